/* fuzz_onnx.c: the ONNX reader and graph sizing under fuzzing.
 *
 * Each input is used twice. As a whole .onnx file (a serialized
 * ModelProto) it goes through aipm_model_analyze_buf, with no input shape
 * and again with one for the first input, as `aipm model` runs it. And as
 * a recipe for a graph that the harness writes itself (build_graph): a few
 * nodes drawn from the operators aipm sizes, wired to each other, with
 * dimensions, attributes and integer constants drawn towards the edges
 * (0, 1, 2^48, 2^62, INT64_MAX, negatives). Byte mutations of a real file
 * rarely get a 9-byte varint past five length prefixes; the recipe puts
 * hostile numbers in front of every shape rule at once. Nothing may crash,
 * leak or trip a sanitizer (the window arithmetic on hostile dims was
 * exactly that), and whatever is accepted must be self-consistent:
 *   - the per-operator MACs add up to the total unless it saturated, and
 *     a saturated total is flagged;
 *   - per-operator parameters never exceed the total;
 *   - the summary written as model_summary.json reads back to the same
 *     JSON (the one reader, summary.c, against the one writer).
 *
 * Built two ways: with clang's libFuzzer (tests/fuzz/run_model.sh, in the
 * suite when clang is there) and, with -DAIPM_FUZZ_DRIVER, as a plain
 * program that replays the smoke corpus and deterministic mutations
 * (fuzz_driver.h; a test in every build).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/model.h"
#include "../model/pb_write.h"

/* Protobuf pieces: varint continuations, the longest varint, tags of the
 * ModelProto/GraphProto/NodeProto fields, op types with special rules. */
static const char *const fuzz_tokens[] = {
	"\x80", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "\x7f", "\x00", "\x0a\x00", "\x3a\x02", "\x08\x07",
	"\x42\x04\x08\x00\x10\x0d", "\x0a\x01x", "\x22\x03Pad", "\x22\x04Conv", "\x22\x07Reshape", "\x22\x05Slice",
	"\x22\x06MatMul", "\x22\x05Range", "\x22\x06Concat", "\x22\x08Constant", "\x2a\x06\x0a\x01p\x40\x01",
};

#include "fuzz_driver.h"

static void check_sums(const struct aipm_model_summary *s)
{
	uint64_t macs = 0, params = 0;
	bool over = false;
	for (size_t i = 0; i < s->n_ops; i++) {
		over |= __builtin_add_overflow(macs, s->ops[i].macs, &macs);
		params += s->ops[i].params; /* at most 2^60 in all: analyze.c refuses more */
	}
	if (!s->macs_overflow && (over || macs != s->macs))
		abort(); /* the by-op table and the total disagree */
	if (s->macs == UINT64_MAX && !s->macs_overflow)
		abort(); /* a saturated total must say so */
	if (params > s->params_total)
		abort();
}

/* JSON -> model_summary.json -> reader -> JSON must give the same bytes,
 * where every number is exact in a double (the reader goes through cJSON). */
static void check_round_trip(const struct aipm_model_summary *s)
{
	const uint64_t exact = UINT64_C(1) << 53;
	if (s->macs >= exact || s->opset >= (int64_t)exact || s->opset <= -(int64_t)exact)
		return;
	for (size_t i = 0; i < s->n_ops; i++)
		if (s->ops[i].macs >= exact)
			return;
	struct aipm_buf a = {0}, b = {0};
	aipm_model_summary_json(s, &a);
	int fd = memfd_create("summary", 0);
	if (fd < 0 || a.oom || write(fd, a.data, a.len) != (ssize_t)a.len) {
		if (fd >= 0)
			close(fd);
		aipm_buf_free(&a);
		return;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct aipm_model_summary r;
	if (aipm_model_summary_read(path, &r) != 0)
		abort(); /* aipm cannot read what it wrote */
	aipm_model_summary_json(&r, &b);
	if (!b.oom && (a.len != b.len || memcmp(a.data, b.data, a.len)))
		abort(); /* the reader and the writer disagree */
	aipm_model_summary_free(&r);
	aipm_buf_free(&a);
	aipm_buf_free(&b);
	close(fd);
}

/* ---- graphs from a recipe ---- */
struct recipe {
	const uint8_t *p, *end;
};

static unsigned take(struct recipe *r)
{
	return r->p < r->end ? *r->p++ : 0;
}

/* A number for a dimension, a pad, an axis or a shape entry: mostly small,
 * often at the edges of what aipm must refuse. */
static int64_t pick(struct recipe *r)
{
	static const int64_t edge[] = {0, 1, 2, 3, 7, -1, -2, 224, (int64_t)1 << 24, (int64_t)1 << 40,
				       (int64_t)1 << 48, ((int64_t)1 << 48) + 1, (int64_t)1 << 62, INT64_MAX,
				       INT64_MIN, -((int64_t)1 << 48), INT64_MAX - 1, 64};
	unsigned b = take(r);
	return b < 160 ? (int64_t)(b % 9) : edge[b % (sizeof edge / sizeof edge[0])];
}

static void pick_list(struct recipe *r, int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = pick(r);
}

static const char *const ops[] = {
	"Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "Gemm", "MatMul", "Reshape",
	"Transpose", "Concat", "Split", "Gather", "Slice", "Pad", "Expand", "Range", "Flatten", "Squeeze",
	"Unsqueeze", "Add", "Mul", "Div", "Mod", "Where", "Equal", "Shape", "ConstantOfShape", "ReduceMean",
	"Cast", "Identity", "Neg", "ScatterND", "BatchNormalization", "Constant"};

/* Value names v0 (the input), v1...: node k's output is v(k+1); initializers are c0, c1... */
static void value_name(char *out, size_t n, struct recipe *r, int made, int *consts, struct w *g)
{
	unsigned b = take(r);
	if (b < 200 || !made) {
		snprintf(out, n, "v%u", made ? b % (unsigned)made : 0);
		return;
	}
	/* a new initializer: int64 contents (a shape, pads, indices) or float dims */
	int64_t dims[4], vals[8];
	size_t rank = take(r) % 4, nv = take(r) % 9;
	pick_list(r, dims, rank);
	pick_list(r, vals, nv);
	snprintf(out, n, "c%d", (*consts)++);
	if (b & 1) {
		int64_t d = (int64_t)nv;
		pb_tensor(g, out, &d, 1, 7, true, vals, nv);
	} else {
		pb_tensor(g, out, dims, rank, 1, b & 2, NULL, 0);
	}
}

static void build_graph(struct recipe *r, struct w *m)
{
	static struct w g, nd;
	memset(&g, 0, sizeof g);
	int64_t dims[6];
	size_t rank = 1 + take(r) % 5;
	pick_list(r, dims, rank);
	pb_input(&g, "v0", dims, rank, "batch");
	int consts = 0, made = 1;
	for (unsigned k = 0, nodes = 1 + take(r) % 6; k < nodes; k++) {
		memset(&nd, 0, sizeof nd);
		char name[16];
		for (unsigned i = 0, nin = take(r) % 5; i < nin; i++) {
			value_name(name, sizeof name, r, made, &consts, &g);
			put_str(&nd, 1, name);
		}
		snprintf(name, sizeof name, "v%d", made++);
		put_str(&nd, 2, name);
		put_str(&nd, 4, ops[take(r) % (sizeof ops / sizeof ops[0])]);
		static const char *const ints[] = {"kernel_shape", "strides", "pads", "dilations", "perm", "axes",
						  "split", "output_padding", "output_shape"};
		static const char *const one[] = {"group", "axis", "transA", "transB", "ceil_mode", "keepdims",
						 "to", "allowzero", "start", "end"};
		for (unsigned a = 0, na = take(r) % 4; a < na; a++) {
			unsigned which = take(r);
			if (which & 1) {
				int64_t v[8];
				size_t n = take(r) % 9;
				pick_list(r, v, n);
				pb_attr_ints(&nd, ints[(which >> 1) % (sizeof ints / sizeof ints[0])], v, n);
			} else {
				pb_attr_int(&nd, one[(which >> 1) % (sizeof one / sizeof one[0])], pick(r));
			}
		}
		put_msg(&g, 1, &nd);
	}
	pb_model(m, &g, 13 + take(r) % 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct w built;
	memset(&built, 0, sizeof built);
	struct recipe r = {data, data + size};
	build_graph(&r, &built);
	struct aipm_model_summary s;
	if (!built.full && aipm_model_analyze_buf(built.b, built.n, "built.onnx", NULL, 0, &s) == 0) {
		check_sums(&s);
		check_round_trip(&s);
		aipm_model_summary_free(&s);
	}
	if (aipm_model_analyze_buf(data, size, "fuzz.onnx", NULL, 0, &s) == 0) {
		check_sums(&s);
		check_round_trip(&s);
		struct aipm_buf t = {0};
		aipm_model_summary_text(&s, &t);
		aipm_buf_free(&t);
		/* again with a concrete shape for the first input, as --input-shape gives */
		char spec[300];
		if (s.n_inputs && strlen(s.inputs[0].name) < 200 && !strchr(s.inputs[0].name, '=') && *s.inputs[0].name) {
			snprintf(spec, sizeof spec, "%s=2x3x17x9", s.inputs[0].name);
			const char *shapes[] = {spec};
			struct aipm_model_summary s2;
			if (aipm_model_analyze_buf(data, size, "fuzz.onnx", shapes, 1, &s2) == 0) {
				check_sums(&s2);
				aipm_model_summary_free(&s2);
			}
		}
		aipm_model_summary_free(&s);
	}
	return 0;
}
