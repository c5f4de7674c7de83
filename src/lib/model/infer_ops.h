/* infer_ops.h: what the per-operator files share (internal to infer*.c).
 *
 * infer.c keeps the operator table and the operators that multiply (Conv,
 * ConvTranspose, Gemm, MatMul) with the pools that share their window
 * arithmetic; infer_shape.c the operators that only move data (Reshape,
 * Slice, Pad, Concat, ...); infer_values.c elementwise operators and the
 * small-integer evaluation that lets exporter shape arithmetic
 * (Shape -> Gather -> Mod -> Concat -> Pad) resolve.
 *
 * Contents ("values") are kept for integer tensors of at most
 * MODEL_MAX_VALS elements, flat in row-major order: nv is then exactly the
 * element count. Every operator either computes its outputs' values
 * correctly or leaves them unknown; a guessed value would size everything
 * downstream wrongly without a word.
 */
#ifndef AIPM_MODEL_INFER_OPS_H
#define AIPM_MODEL_INFER_OPS_H

#include <stdio.h>
#include <string.h>

#include "infer.h"

#define UNKNOWN(c, ...) (snprintf((c)->why, sizeof (c)->why, __VA_ARGS__), INFER_UNKNOWN)

static inline struct model_val *in(struct infer_ctx *c, size_t k) { return k < c->n_in ? c->in[k] : NULL; }
static inline bool known(const struct model_val *v) { return v && v->rank >= 0; }
static inline bool has_vals(const struct model_val *v) { return v && v->rank >= 0 && v->nv >= 0; }

/* Elements of a known shape. Every shape was bounded to 2^48 elements when
 * it was made (analyze.c's check_size), so this cannot overflow. */
static inline int64_t numel(const struct model_val *v)
{
	int64_t n = 1;
	for (int i = 0; i < v->rank; i++)
		n *= v->d[i];
	return n;
}

/* Set a shape; contents become unknown until the operator sets them. */
static inline void set_shape(struct model_val *o, int rank, const int64_t *d)
{
	o->rank = rank;
	memmove(o->d, d, (size_t)rank * sizeof *d);
	o->nv = -1;
}

/* Contents for o, whose shape is set: n must be its element count. */
static inline void set_vals(struct model_val *o, const int64_t *v, int64_t n)
{
	if (n < 0 || n > MODEL_MAX_VALS || n != numel(o))
		return;
	memmove(o->v, v, (size_t)n * sizeof *v);
	o->nv = (int)n;
}

static inline int need(struct infer_ctx *c, size_t k)
{
	if (known(in(c, k)))
		return 0;
	return UNKNOWN(c, "shape of input %zu ('%s') is unknown", k, in(c, k) ? in(c, k)->name : "");
}

static inline int norm_axis(int64_t axis, int rank, int64_t *out)
{
	if (axis < 0)
		axis += rank;
	if (axis < 0 || axis >= rank)
		return -1;
	*out = axis;
	return 0;
}

/* Row-major flat index <-> coordinates, for contents of small tensors. */
static inline void unflat(int64_t flat, int rank, const int64_t *d, int64_t *coord)
{
	for (int i = rank - 1; i >= 0; i--) {
		coord[i] = d[i] ? flat % d[i] : 0;
		flat = d[i] ? flat / d[i] : 0;
	}
}

static inline int64_t flat_of(const int64_t *coord, int rank, const int64_t *d)
{
	int64_t f = 0;
	for (int i = 0; i < rank; i++)
		f = f * d[i] + coord[i];
	return f;
}

/* Integers from input k (opset >= 10/13 style) or attribute `name` (older).
 * *n is -1 when neither is there. */
int infer_ints_of(struct infer_ctx *c, size_t k, const char *name, const int64_t **v, int *n);

/* infer_values.c */
int op_same(struct infer_ctx *c);
int op_keep(struct infer_ctx *c);
int op_cast(struct infer_ctx *c);
int op_unary(struct infer_ctx *c);
int op_bcast(struct infer_ctx *c);
int infer_broadcast(struct infer_ctx *c, struct model_val *const *ins, size_t n, int *rank, int64_t *d);

/* infer_shape.c */
int op_flatten(struct infer_ctx *c);
int op_reshape(struct infer_ctx *c);
int op_transpose(struct infer_ctx *c);
int op_concat(struct infer_ctx *c);
int op_split(struct infer_ctx *c);
int op_gather(struct infer_ctx *c);
int op_slice(struct infer_ctx *c);
int op_squeeze(struct infer_ctx *c);
int op_unsqueeze(struct infer_ctx *c);
int op_pad(struct infer_ctx *c);
int op_shape(struct infer_ctx *c);
int op_constant(struct infer_ctx *c);
int op_constant_of_shape(struct infer_ctx *c);
int op_expand(struct infer_ctx *c);
int op_range(struct infer_ctx *c);
int op_reduce(struct infer_ctx *c);
int op_scatter(struct infer_ctx *c);

#endif
