/* fuzz_driver.h: the plain-program driver of the fuzz harnesses, for a
 * test of the suite with any compiler (-DAIPM_FUZZ_DRIVER): a seed, then
 * `rounds` deterministic mutations of it (byte flips, cuts, splices of the
 * harness's own tokens), each through LLVMFuzzerTestOneInput. Header-only:
 * each harness is one file built outside meson too (tests/fuzz/run.sh). */
#ifndef AIPM_FUZZ_DRIVER_H
#define AIPM_FUZZ_DRIVER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fuzz_rng = 88172645463325252ull;
static uint64_t fuzz_next(void)
{
	fuzz_rng ^= fuzz_rng << 13;
	fuzz_rng ^= fuzz_rng >> 7;
	fuzz_rng ^= fuzz_rng << 17;
	return fuzz_rng;
}

static void fuzz_mutate(char *buf, size_t *n, size_t cap, const char *const *tokens, size_t ntokens)
{
	int k = (int)(fuzz_next() % 4);
	if (*n == 0)
		k = 2;
	size_t at = *n ? fuzz_next() % *n : 0;
	switch (k) {
	case 0: buf[at] ^= (char)(1u << (fuzz_next() % 8)); break;
	case 1: *n = at; break;
	default: {
		const char *s = tokens[fuzz_next() % ntokens];
		size_t sl = strlen(s);
		if (*n + sl > cap)
			return;
		memmove(buf + at + sl, buf + at, *n - at);
		memcpy(buf + at, s, sl);
		*n += sl;
	}
	}
}

/* The seed (n bytes at seed), then rounds mutations of it. */
static void fuzz_rounds(const char *seed, size_t n, long rounds, const char *const *tokens, size_t ntokens)
{
	enum { CAP = 1 << 16 };
	static char buf[CAP];
	LLVMFuzzerTestOneInput((const uint8_t *)seed, n);
	for (long r = 0; r < rounds; r++) {
		size_t m = n < CAP ? n : CAP;
		memcpy(buf, seed, m);
		for (int k = 1 + (int)(fuzz_next() % 4); k > 0; k--)
			fuzz_mutate(buf, &m, CAP, tokens, ntokens);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, m);
	}
}

#endif
