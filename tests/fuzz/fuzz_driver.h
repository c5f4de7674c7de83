/* fuzz_driver.h: a libFuzzer stand-in for the model harnesses
 * (fuzz_onnx.c, fuzz_model_summary.c), compiled in with -DAIPM_FUZZ_DRIVER
 * so every build's test suite replays their seeds and a fixed number of
 * deterministic mutations, any compiler, no clang needed.
 *
 *     fuzz_onnx_driver ROUNDS SEED...
 *
 * Each seed runs as is (the smoke corpus in tests/fuzz/corpus/ holds every
 * input a fuzzer ever crashed on), then ROUNDS times mutated. The
 * mutations suit both formats: byte flips, cuts, inserted bytes that are
 * protobuf varint continuations and length prefixes or JSON punctuation,
 * and splices of another seed's bytes (a field of one model inside
 * another). The including file supplies LLVMFuzzerTestOneInput and
 * fuzz_tokens[], the bytes worth inserting for its format.
 */
#ifndef AIPM_FUZZ_DRIVER_H
#define AIPM_FUZZ_DRIVER_H
#ifdef AIPM_FUZZ_DRIVER

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fuzz_rng = 0x9e3779b97f4a7c15ull;
static uint64_t fuzz_next(void)
{
	fuzz_rng ^= fuzz_rng << 13;
	fuzz_rng ^= fuzz_rng >> 7;
	fuzz_rng ^= fuzz_rng << 17;
	return fuzz_rng;
}

static void fuzz_insert(uint8_t *buf, size_t *n, size_t cap, size_t at, const void *s, size_t len)
{
	if (*n + len > cap)
		return;
	memmove(buf + at + len, buf + at, *n - at);
	memcpy(buf + at, s, len);
	*n += len;
}

static void fuzz_mutate(uint8_t *buf, size_t *n, size_t cap, const uint8_t *other, size_t other_n)
{
	size_t at = *n ? fuzz_next() % *n : 0;
	switch (*n ? fuzz_next() % 6 : 2) {
	case 0: buf[at] ^= (uint8_t)(1u << (fuzz_next() % 8)); break;
	case 1: buf[at] = (uint8_t)fuzz_next(); break;
	case 2: {
		const char *t = fuzz_tokens[fuzz_next() % (sizeof fuzz_tokens / sizeof fuzz_tokens[0])];
		fuzz_insert(buf, n, cap, at, t, strlen(t));
		break;
	}
	case 3: *n = at; break;
	case 4: /* delete a short run */
		if (at < *n) {
			size_t len = 1 + fuzz_next() % 16;
			len = len > *n - at ? *n - at : len;
			memmove(buf + at, buf + at + len, *n - at - len);
			*n -= len;
		}
		break;
	default: /* splice a run of another seed */
		if (other_n) {
			size_t from = fuzz_next() % other_n, len = 1 + fuzz_next() % 64;
			len = len > other_n - from ? other_n - from : len;
			fuzz_insert(buf, n, cap, at, other + from, len);
		}
	}
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200;
	enum { CAP = 1 << 20 };
	static uint8_t seeds[2][CAP], buf[2 * CAP];
	size_t sn[2] = {0, 0};
	long runs = 0;
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "fuzz driver: cannot read seed %s\n", argv[i]);
			return 1;
		}
		uint8_t *seed = seeds[i % 2];
		size_t n = sn[i % 2] = fread(seed, 1, CAP, f);
		fclose(f);
		LLVMFuzzerTestOneInput(seed, n);
		runs++;
		for (long r = 0; r < rounds; r++) {
			size_t m = n;
			memcpy(buf, seed, n);
			for (int k = 1 + (int)(fuzz_next() % 4); k > 0; k--)
				fuzz_mutate(buf, &m, sizeof buf, seeds[(i + 1) % 2], sn[(i + 1) % 2]);
			LLVMFuzzerTestOneInput(buf, m);
			runs++;
		}
	}
	printf("ok - %ld inputs from %d seeds\n", runs, argc - 2);
	return 0;
}

#endif
#endif
