/* fuzz_model_summary.c: the model_summary.json reader under fuzzing.
 *
 * model_summary.json sits in recording directories that users own, so its
 * reader (aipm_model_summary_read) meets hand-edited and hostile files (an object
 * where an array belongs overflowed it). One input is a whole file, read
 * through aipm_model_summary_read from a memfd, exactly as from disk. It
 * must never crash, leak or trip a sanitizer, and what it accepts must be
 * a fixed point: written back as JSON and read again, it gives the same
 * JSON, and the text table renders.
 *
 * Built two ways like fuzz_onnx.c: libFuzzer (tests/fuzz/run_model.sh) and,
 * with -DAIPM_FUZZ_DRIVER, the deterministic driver of fuzz_driver.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/model.h"

static const char *const fuzz_tokens[] = {
	"{", "}", "[", "]", "\"", ",", ":", "null", "true", "1e308", "-1", "1e19", "18446744073709551615", "NaN",
	"\"outputs\":", "\"inputs\":", "\"shape\":", "\"by_op\":", "\"unsized_ops\":", "\"macs\":",
	"{\"a\":1,\"b\":2}", "[1,2,3,4,5,6,7,8,9]", "\"\\u0000\"", "\"\\ud800\"", "\xff",
};

#include "fuzz_driver.h"

/* The summary in s, written to a memfd and read back into r. */
static int reread(const struct aipm_buf *json, struct aipm_model_summary *r)
{
	int fd = memfd_create("summary", 0), rc = -1;
	if (fd < 0)
		return -1;
	if (write(fd, json->data, json->len) == (ssize_t)json->len) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		rc = aipm_model_summary_read(path, r);
	}
	close(fd);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aipm_buf in = {0}, a = {0}, b = {0}, t = {0};
	aipm_buf_put(&in, (const char *)data, size);
	struct aipm_model_summary s, r;
	if (in.oom || reread(&in, &s) != 0) {
		aipm_buf_free(&in);
		return 0;
	}
	aipm_model_summary_text(&s, &t);
	aipm_model_summary_json(&s, &a);
	if (reread(&a, &r) != 0)
		abort(); /* aipm cannot read the JSON it writes */
	aipm_model_summary_json(&r, &b);
	if (!a.oom && !b.oom && (a.len != b.len || memcmp(a.data, b.data, a.len)))
		abort(); /* read, write, read again is not a fixed point */
	aipm_model_summary_free(&s);
	aipm_model_summary_free(&r);
	aipm_buf_free(&in);
	aipm_buf_free(&a);
	aipm_buf_free(&b);
	aipm_buf_free(&t);
	return 0;
}
