/* pb_write.h: a tiny protobuf writer for tests (header only): the unit
 * tests (test_model.c) write ONNX models byte by byte with it, and the ONNX
 * fuzz harness (tests/fuzz/fuzz_onnx.c) builds graphs from fuzz input.
 * Bounds-checked: a message that would not fit sets `full` and stops
 * growing, so fuzz-sized content cannot overrun it. Field numbers are
 * ONNX's (REFERENCE §5.1); the helpers name what the tests need.
 */
#ifndef AIPM_TESTS_PB_WRITE_H
#define AIPM_TESTS_PB_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct w {
	uint8_t b[8192];
	size_t n;
	bool full;
};

static inline void put_raw(struct w *w, const void *p, size_t n)
{
	if (w->full || n > sizeof w->b - w->n) {
		w->full = true;
		return;
	}
	if (n)
		memcpy(w->b + w->n, p, n);
	w->n += n;
}

static inline void put_varint(struct w *w, uint64_t v)
{
	do {
		uint8_t byte = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		put_raw(w, &byte, 1);
		v >>= 7;
	} while (v);
}

static inline void put_tag(struct w *w, unsigned f, unsigned wire) { put_varint(w, (uint64_t)f << 3 | wire); }
static inline void put_int(struct w *w, unsigned f, int64_t v) { put_tag(w, f, 0); put_varint(w, (uint64_t)v); }
static inline void put_bytes(struct w *w, unsigned f, const void *p, size_t n)
{
	put_tag(w, f, 2);
	put_varint(w, n);
	put_raw(w, p, n);
}
static inline void put_str(struct w *w, unsigned f, const char *s) { put_bytes(w, f, s, s ? strlen(s) : 0); }
static inline void put_msg(struct w *w, unsigned f, const struct w *m)
{
	put_bytes(w, f, m->b, m->n);
	w->full |= m->full;
}
static inline void put_packed(struct w *w, unsigned f, const int64_t *v, size_t n)
{
	struct w p = {0};
	for (size_t i = 0; i < n; i++)
		put_varint(&p, (uint64_t)v[i]);
	put_msg(w, f, &p);
}

/* GraphProto.initializer: dims (packed or one record each), data type,
 * name, and int64 contents when vals is given. */
static inline void pb_tensor(struct w *g, const char *name, const int64_t *dims, size_t n, int dtype, bool packed,
			     const int64_t *vals, size_t n_vals)
{
	struct w t = {0};
	if (packed)
		put_packed(&t, 1, dims, n);
	else
		for (size_t i = 0; i < n; i++)
			put_int(&t, 1, dims[i]);
	put_int(&t, 2, dtype);
	if (vals)
		put_packed(&t, 7, vals, n_vals);
	put_str(&t, 8, name);
	put_msg(g, 5, &t);
}

/* GraphProto.input of FLOAT elements; a negative dim is symbolic, named sym. */
static inline void pb_input(struct w *g, const char *name, const int64_t *dims, size_t n, const char *sym)
{
	struct w shape = {0}, tt = {0}, ty = {0}, vi = {0};
	for (size_t i = 0; i < n; i++) {
		struct w d = {0};
		if (dims[i] < 0)
			put_str(&d, 2, sym ? sym : "?");
		else
			put_int(&d, 1, dims[i]);
		put_msg(&shape, 1, &d);
	}
	put_int(&tt, 1, 1);
	put_msg(&tt, 2, &shape);
	put_msg(&ty, 1, &tt);
	put_str(&vi, 1, name);
	put_msg(&vi, 2, &ty);
	put_msg(g, 11, &vi);
}

/* NodeProto.attribute of type INTS (7), packed. */
static inline void pb_attr_ints(struct w *nd, const char *name, const int64_t *v, size_t n)
{
	struct w at = {0};
	put_str(&at, 1, name);
	put_packed(&at, 8, v, n);
	put_int(&at, 20, 7);
	put_msg(nd, 5, &at);
}

/* NodeProto.attribute of type INT (2). */
static inline void pb_attr_int(struct w *nd, const char *name, int64_t v)
{
	struct w at = {0};
	put_str(&at, 1, name);
	put_int(&at, 3, v);
	put_int(&at, 20, 2);
	put_msg(nd, 5, &at);
}

/* ModelProto: ir_version 8, default-domain opset, the graph. */
static inline void pb_model(struct w *m, const struct w *g, int64_t opset)
{
	struct w op = {0};
	put_int(m, 1, 8);
	put_int(&op, 2, opset);
	put_msg(m, 8, &op);
	put_msg(m, 7, g);
}

#endif
