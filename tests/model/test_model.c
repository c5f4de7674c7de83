/* test_model.c: unit tests of the protobuf reader and of graph sizing on
 * models written byte by byte here (a tiny protobuf writer), so the wire
 * forms exporters differ on (packed vs unpacked) and corrupt inputs are
 * pinned without any Python. Also feeds every prefix and many byte flips
 * of a real export to the analyzer: errors, never a crash (ASan watches). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"
#include "pb_write.h"
#include "model/protobuf.h"
#include "aipm.h"

/* The writer lives in pb_write.h (shared with the ONNX fuzz harness). */
static void tensor(struct w *g, const char *name, const int64_t *dims, size_t n, int dtype, bool packed)
{
	pb_tensor(g, name, dims, n, dtype, packed, NULL, 0);
}
static void input(struct w *g, const char *name, const int64_t *dims, size_t n, const char *sym)
{
	pb_input(g, name, dims, n, sym);
}
static void model(struct w *m, const struct w *g) { pb_model(m, g, 13); }

/* Conv 1x3x8x8 * W 4x3x3x3, stride 2 given as ints packed: out 3x3 -> 4*3*9*9 = 972 MACs */
static void conv_model(struct w *m, bool packed)
{
	struct w g = {0}, nd = {0}, at = {0};
	put_str(&nd, 1, "x");
	put_str(&nd, 1, "w");
	put_str(&nd, 2, "y");
	put_str(&nd, 3, "conv0");
	put_str(&nd, 4, "Conv");
	put_str(&at, 1, "strides");
	if (packed)
		put_packed(&at, 8, (int64_t[]){2, 2}, 2);
	else
		put_int(&at, 8, 2), put_int(&at, 8, 2);
	put_int(&at, 20, 7);
	put_msg(&nd, 5, &at);
	put_int(&nd, 99, 12345); /* an unknown field must be skipped */
	put_msg(&g, 1, &nd);
	tensor(&g, "w", (int64_t[]){4, 3, 3, 3}, 4, 1, packed);
	input(&g, "x", (int64_t[]){1, 3, 8, 8}, 4, NULL);
	model(m, &g);
}

static void test_varint_fixed_and_len_fields_decode(void **st)
{
	(void)st;
	struct w w = {0};
	put_int(&w, 1, 300);
	put_int(&w, 2, -1); /* negative ints take all 10 bytes */
	put_tag(&w, 3, 5);
	memcpy(w.b + w.n, "\x00\x00\x80\x3f", 4); /* 1.0f */
	w.n += 4;
	put_str(&w, 4, "hi");
	struct aipm_pb r;
	struct aipm_pb_field f;
	aipm_pb_init(&r, w.b, w.b, w.n);
	assert_int_equal(aipm_pb_next(&r, &f), 1);
	assert_int_equal(f.u, 300);
	assert_int_equal(aipm_pb_next(&r, &f), 1);
	assert_int_equal((int64_t)f.u, -1);
	assert_int_equal(aipm_pb_next(&r, &f), 1);
	assert_true(aipm_pb_float(&f) == 1.0f);
	assert_int_equal(aipm_pb_next(&r, &f), 1);
	assert_int_equal(f.len, 2);
	assert_memory_equal(f.data, "hi", 2);
	assert_int_equal(aipm_pb_next(&r, &f), 0);
}

static void test_packed_and_unpacked_ints_read_alike(void **st)
{
	(void)st;
	struct w w = {0};
	put_int(&w, 8, 5);
	put_packed(&w, 8, (int64_t[]){6, -7, 8}, 3);
	struct aipm_pb r;
	struct aipm_pb_field f;
	int64_t out[4];
	size_t n = 0;
	aipm_pb_init(&r, w.b, w.b, w.n);
	while (aipm_pb_next(&r, &f) == 1)
		assert_int_equal(aipm_pb_int64s(&r, &f, out, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 5);
	assert_int_equal(out[2], -7);
	assert_int_equal(out[3], 8);
}

static void test_groups_truncation_and_long_varints_are_errors(void **st)
{
	(void)st;
	struct aipm_pb r;
	struct aipm_pb_field f;
	static const uint8_t group[] = {0x0b, 0x0c}, trunc[] = {0x0a, 0x05, 'a'},
			     longv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
			     field0[] = {0x00, 0x01};
	aipm_pb_init(&r, group, group, sizeof group);
	assert_int_equal(aipm_pb_next(&r, &f), -EBADMSG);
	assert_non_null(strstr(aipm_error_last(), "groups"));
	aipm_pb_init(&r, trunc, trunc, sizeof trunc);
	assert_int_equal(aipm_pb_next(&r, &f), -EBADMSG);
	assert_non_null(strstr(aipm_error_last(), "truncated"));
	aipm_pb_init(&r, longv, longv, sizeof longv);
	assert_int_equal(aipm_pb_next(&r, &f), -EBADMSG);
	aipm_pb_init(&r, field0, field0, sizeof field0);
	assert_int_equal(aipm_pb_next(&r, &f), -EBADMSG);
}

static void test_conv_model_sized_in_both_wire_forms(void **st)
{
	(void)st;
	for (int packed = 0; packed < 2; packed++) {
		struct w m = {0};
		struct aipm_model_summary s;
		conv_model(&m, packed);
		assert_int_equal(aipm_model_analyze_buf(m.b, m.n, "mem", NULL, 0, &s), 0);
		assert_int_equal(s.params_total, 108);
		assert_int_equal(s.macs, 972);
		assert_int_equal(s.n_outputs, 0);
		assert_int_equal(s.n_unsized, 0);
		aipm_model_summary_free(&s);
	}
}

static void test_symbolic_input_needs_a_shape(void **st)
{
	(void)st;
	struct w m = {0}, g = {0}, nd = {0};
	put_str(&nd, 1, "x");
	put_str(&nd, 2, "y");
	put_str(&nd, 4, "Relu");
	put_msg(&g, 1, &nd);
	input(&g, "x", (int64_t[]){-1, 4}, 2, "batch");
	model(&m, &g);
	struct aipm_model_summary s;
	assert_int_equal(aipm_model_analyze_buf(m.b, m.n, "mem", NULL, 0, &s), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "--input-shape x="));
	const char *shape[] = {"x=3x4"};
	assert_int_equal(aipm_model_analyze_buf(m.b, m.n, "mem", shape, 1, &s), 0);
	aipm_model_summary_free(&s);
}

static void test_shape_spec_parsing(void **st)
{
	(void)st;
	char name[32];
	int64_t d[AIPM_MODEL_MAX_RANK];
	int r;
	assert_int_equal(aipm_model_shape_parse("in=1x3x224x224", name, sizeof name, d, &r), 0);
	assert_string_equal(name, "in");
	assert_int_equal(r, 4);
	assert_int_equal(d[3], 224);
	assert_int_equal(aipm_model_shape_parse("in=1x0", name, sizeof name, d, &r), -EINVAL);
	assert_int_equal(aipm_model_shape_parse("in=", name, sizeof name, d, &r), -EINVAL);
	assert_int_equal(aipm_model_shape_parse("=3", name, sizeof name, d, &r), -EINVAL);
	assert_int_equal(aipm_model_shape_parse("in=1x2x3x4x5x6x7x8x9", name, sizeof name, d, &r), -EINVAL);
	assert_int_equal(aipm_model_shape_parse("in=99999999999999999999", name, sizeof name, d, &r), -EINVAL);
}

static uint8_t *slurp(const char *rel, size_t *n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", getenv("AIPM_SRC") ? getenv("AIPM_SRC") : ".", rel);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 20];
	*n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

/* Every prefix of a real export is either a clean error or (rarely, when
 * the cut falls between top-level fields) a smaller valid model. */
static void test_every_prefix_of_an_export_fails_cleanly(void **st)
{
	(void)st;
	size_t n;
	const uint8_t *buf = slurp("tests/fixtures/onnx/small.onnx", &n);
	assert_true(n > 100);
	int failures = 0;
	for (size_t len = 0; len < n; len++) {
		uint8_t *copy = malloc(len + 1); /* exact size so ASan sees overreads */
		memcpy(copy, buf, len);
		struct aipm_model_summary s;
		int rc = aipm_model_analyze_buf(copy, len, "cut", NULL, 0, &s);
		if (rc < 0)
			failures++;
		else
			aipm_model_summary_free(&s);
		free(copy);
	}
	assert_true(failures > (int)n / 2);
}

static void flip_fixture(const char *rel, int iters)
{
	size_t n;
	const uint8_t *buf = slurp(rel, &n);
	uint8_t *copy = malloc(n);
	unsigned seed = 7;
	for (int iter = 0; iter < iters; iter++) {
		memcpy(copy, buf, n);
		for (int k = 0; k <= iter % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % n] = (uint8_t)(seed >> 20);
		}
		struct aipm_model_summary s;
		if (aipm_model_analyze_buf(copy, n, "flip", NULL, 0, &s) == 0)
			aipm_model_summary_free(&s);
	}
	free(copy);
}

/* Random byte flips reach the shape rules with odd dims and attributes. */
static void test_flipped_bytes_never_crash(void **st)
{
	(void)st;
	static const char *const fx[] = {"small", "op_gather_slice", "op_shape_chain", "op_pools", "op_conv_group",
					 "op_convtranspose", "op_transpose_concat_split", "op_reshape_matmul",
					 "op_matmul_bcast", "op_constant_weight"};
	char rel[128];
	for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
		snprintf(rel, sizeof rel, "tests/fixtures/onnx/%s.onnx", fx[i]);
		flip_fixture(rel, getenv("AIPM_FUZZ_ITERS") ? atoi(getenv("AIPM_FUZZ_ITERS")) : 3000);
	}
	flip_fixture("tests/fixtures/onnx/resnet18.onnx", 200);
}

static void test_summary_json_round_trips_to_text(void **st)
{
	(void)st;
	struct w m = {0};
	struct aipm_model_summary s;
	conv_model(&m, true);
	assert_int_equal(aipm_model_analyze_buf(m.b, m.n, "conv.onnx", NULL, 0, &s), 0);
	char dir[] = "/tmp/aipm-model-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/model_summary.json", dir);
	struct aipm_buf json = {0};
	aipm_model_summary_json(&s, &json);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(json.data, 1, json.len, f), json.len);
	fclose(f);
	aipm_buf_free(&json);
	struct aipm_buf direct = {0}, via = {0};
	aipm_model_summary_text(&s, &direct);
	assert_int_equal(aipm_model_summary_text_file(path, &via), 0);
	assert_non_null(strstr(via.data, "972"));
	assert_non_null(strstr(via.data, "Conv "));
	/* same table from the struct and from the stored JSON, but for the file name */
	assert_string_equal(strchr(direct.data, '\n'), strchr(via.data, '\n'));
	aipm_buf_free(&direct);
	aipm_buf_free(&via);
	aipm_model_summary_free(&s);
	assert_int_equal(aipm_model_summary_read("/nonexistent/model_summary.json", &s), -ENOENT);
	unlink(path);
	rmdir(dir);
}


/* A node with up to 3 inputs and one output, no attributes. */
static void node(struct w *g, const char *op, const char *a, const char *b, const char *out)
{
	struct w nd = {0};
	put_str(&nd, 1, a);
	if (b)
		put_str(&nd, 1, b);
	put_str(&nd, 2, out);
	put_str(&nd, 3, out);
	put_str(&nd, 4, op);
	put_msg(g, 1, &nd);
}

/* Five Gemm nodes of 2^62 MACs each (A 2^20 x 2^22, B 2^22 x 2^20: every
 * tensor within the 2^48-element bound) add up past 2^64. The total must
 * saturate and say so, not wrap to 2^62. */
static void test_mac_total_saturates_instead_of_wrapping(void **st)
{
	(void)st;
	struct w m = {0}, g = {0};
	char out[8];
	for (int i = 0; i < 5; i++) {
		snprintf(out, sizeof out, "y%d", i);
		node(&g, "Gemm", "a", "b", out);
	}
	tensor(&g, "b", (int64_t[]){1 << 22, 1 << 20}, 2, 1, true);
	input(&g, "a", (int64_t[]){1 << 20, 1 << 22}, 2, NULL);
	model(&m, &g);
	struct aipm_model_summary s;
	assert_int_equal(aipm_model_analyze_buf(m.b, m.n, "mem", NULL, 0, &s), 0);
	assert_true(s.macs == UINT64_MAX);
	assert_true(s.macs_overflow);
	struct aipm_buf b = {0};
	aipm_model_summary_json(&s, &b);
	assert_non_null(strstr(b.data, "\"macs_overflow\":true"));
	aipm_buf_reset(&b);
	aipm_model_summary_text(&s, &b);
	assert_non_null(strstr(b.data, "more than 18,446,744,073,709,551,615"));
	assert_non_null(strstr(b.data, "lower bound"));
	aipm_buf_free(&b);
	aipm_model_summary_free(&s);
	/* one node alone is exact and unflagged */
	struct w m1 = {0}, g1 = {0};
	node(&g1, "Gemm", "a", "b", "y");
	tensor(&g1, "b", (int64_t[]){1 << 22, 1 << 20}, 2, 1, true);
	input(&g1, "a", (int64_t[]){1 << 20, 1 << 22}, 2, NULL);
	model(&m1, &g1);
	assert_int_equal(aipm_model_analyze_buf(m1.b, m1.n, "mem", NULL, 0, &s), 0);
	assert_true(s.macs == UINT64_C(1) << 62);
	assert_false(s.macs_overflow);
	aipm_model_summary_free(&s);
}

/* Conv y = x * w (w 4x3x3x3) with pads 1: x + pads is where a dimension
 * near 2^63 overflowed. */
static void padded_conv(struct w *g)
{
	struct w nd = {0};
	put_str(&nd, 1, "x");
	put_str(&nd, 1, "w");
	put_str(&nd, 2, "y");
	put_str(&nd, 4, "Conv");
	pb_attr_ints(&nd, "pads", (int64_t[]){1, 1, 1, 1}, 4);
	put_msg(g, 1, &nd);
	tensor(g, "w", (int64_t[]){4, 3, 3, 3}, 4, 1, true);
}

/* A graph input declaring a dimension near 2^63 used to reach the window
 * arithmetic (x + pads: signed overflow, which UBSan aborts on). */
static void test_absurd_graph_input_dimension_is_refused(void **st)
{
	(void)st;
	static const int64_t dims[][4] = {{1, 3, INT64_MAX, 8}, {1, 3, (int64_t)1 << 49, 1}, {0, 3, INT64_MAX / 2, 8}};
	for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
		struct w m = {0}, g = {0};
		padded_conv(&g);
		input(&g, "x", dims[k], 4, NULL);
		model(&m, &g);
		struct aipm_model_summary s;
		assert_int_equal(aipm_model_analyze_buf(m.b, m.n, "mem", NULL, 0, &s), -EOVERFLOW);
		assert_non_null(strstr(aipm_error_last(), "input 'x' declares absurd dimensions"));
	}
}

/* An initializer with a zero dimension has no elements, but its other
 * dimensions must still be bounded: they become shapes downstream (here
 * the input of a padded Conv: INT64_MAX + pads overflowed). */
static void test_zero_sized_initializer_with_a_huge_dimension_is_refused(void **st)
{
	(void)st;
	struct w m = {0}, g = {0};
	padded_conv(&g);
	tensor(&g, "x", (int64_t[]){0, 3, INT64_MAX, 8}, 4, 1, true);
	model(&m, &g);
	struct aipm_model_summary s;
	assert_int_equal(aipm_model_analyze_buf(m.b, m.n, "mem", NULL, 0, &s), -EOVERFLOW);
	assert_non_null(strstr(aipm_error_last(), "tensor 'x' claims more than 2^48 elements"));
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* model_summary.json is read back from recording directories users own
 * (aipm_model_summary_read, the format's reader): an object where an array belongs once overflowed the io array
 * (found by fuzzing), huge or NaN-like numbers reached float-to-integer
 * casts, and a FIFO blocked the reader forever. */
static void test_summary_reader_survives_hostile_files(void **st)
{
	(void)st;
	char dir[] = "/tmp/aipm-model-XXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char *const bad[] = {
		"{\"outputs\":{\"a\":1,\"b\":2,\"c\":3}}",
		"{\"inputs\":{\"a\":{\"shape\":[1]},\"b\":2},\"unsized_ops\":{\"x\":{},\"y\":1}}",
		"{\"inputs\":[{\"name\":\"x\",\"shape\":[1e300,-5,1,2,3,4,5,6,7,8,9]}],\"macs\":1e300,"
		"\"params_total\":-1,\"opset\":1e30,\"by_op\":[1,2,{\"a\":1}]}",
		"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2,3,4,5,6,7,8,9,10]}],\"by_op\":{\"Conv\":{\"macs\":1e20}}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct aipm_model_summary s;
		assert_int_equal(aipm_model_summary_read(write_tmp(dir, "m.json", bad[i]), &s), 0);
		assert_int_equal(s.n_outputs, 0);
		for (size_t k = 0; k < s.n_inputs; k++)
			assert_true(s.inputs[k].rank <= AIPM_MODEL_MAX_RANK);
		if (i == 2) {
			assert_true(s.macs == UINT64_MAX);
			assert_int_equal(s.params_total, 0);
			assert_int_equal(s.inputs[0].rank, -1);
		}
		struct aipm_buf b = {0};
		aipm_model_summary_text(&s, &b);
		aipm_buf_free(&b);
		aipm_model_summary_free(&s);
	}
	char fifo[128];
	snprintf(fifo, sizeof fifo, "%s/fifo.json", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct aipm_model_summary s;
	assert_int_equal(aipm_model_summary_read(fifo, &s), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "not a regular file (a FIFO)"));
	assert_int_equal(aipm_model_analyze(fifo, NULL, 0, &s), -EINVAL);
	assert_int_equal(aipm_model_summary_read(dir, &s), -EINVAL);
	assert_non_null(strstr(aipm_error_last(), "a directory"));
	unlink(fifo);
	unlink(write_tmp(dir, "m.json", ""));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_fixed_and_len_fields_decode),
		cmocka_unit_test(test_packed_and_unpacked_ints_read_alike),
		cmocka_unit_test(test_groups_truncation_and_long_varints_are_errors),
		cmocka_unit_test(test_conv_model_sized_in_both_wire_forms),
		cmocka_unit_test(test_symbolic_input_needs_a_shape),
		cmocka_unit_test(test_shape_spec_parsing),
		cmocka_unit_test(test_every_prefix_of_an_export_fails_cleanly),
		cmocka_unit_test(test_flipped_bytes_never_crash),
		cmocka_unit_test(test_summary_json_round_trips_to_text),
		cmocka_unit_test(test_mac_total_saturates_instead_of_wrapping),
		cmocka_unit_test(test_absurd_graph_input_dimension_is_refused),
		cmocka_unit_test(test_zero_sized_initializer_with_a_huge_dimension_is_refused),
		cmocka_unit_test(test_summary_reader_survives_hostile_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
