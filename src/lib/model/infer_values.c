/* infer_values.c: elementwise operators (see infer_ops.h).
 *
 * Shapes follow numpy broadcasting. Contents are evaluated for small
 * integer tensors only, because exporters compute shapes with these very
 * operators (PyTorch's F.pad turns `(7 - W % 7) % 7` into Shape, Gather,
 * Mod, Sub; expand(-1) into Equal and Where). Arithmetic is checked: an
 * overflow or a division by zero leaves the contents unknown, never wrong.
 * Float tensors never carry contents, so a Cast to float forgets them.
 */
#include <stdint.h>

#include "infer_ops.h"

/* Same shape as input 0 for every output, contents unknown: activations,
 * normalisations, Softmax and the like. */
int op_same(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	for (size_t k = 0; k < c->n_out; k++)
		if (c->out[k])
			set_shape(c->out[k], in(c, 0)->rank, in(c, 0)->d);
	return 0;
}

/* Identity and Dropout (at inference): output 0 is input 0, contents too. */
int op_keep(struct infer_ctx *c)
{
	int rc = op_same(c);
	if (!rc && has_vals(in(c, 0)))
		set_vals(c->out[0], in(c, 0)->v, in(c, 0)->nv);
	return rc;
}

static bool int_type(int64_t t) { return (t >= 2 && t <= 7) || t == 9 || t == 12 || t == 13; }

/* Cast (and CastLike, whose target is input 1's type): integer contents
 * survive a cast to an integer type (to bool they become 0/1). Narrowing
 * casts that would change a value forget it instead. */
int op_cast(struct infer_ctx *c)
{
	int rc = op_same(c);
	const struct model_val *x = in(c, 0);
	int64_t to = !strcmp(c->n->op_type, "CastLike") ? (in(c, 1) ? in(c, 1)->dtype : 0) : onnx_attr_int(c->n, "to", 0);
	if (rc || !has_vals(x) || !int_type(to))
		return rc;
	int64_t v[MODEL_MAX_VALS];
	for (int i = 0; i < x->nv; i++) {
		v[i] = to == 9 ? x->v[i] != 0 : x->v[i];
		if ((to == 6 && (v[i] < INT32_MIN || v[i] > INT32_MAX)) || ((to == 12 || to == 13) && v[i] < 0))
			return 0;
	}
	set_vals(c->out[0], v, x->nv);
	return 0;
}

/* Unary integer operators whose contents matter to shapes. */
int op_unary(struct infer_ctx *c)
{
	int rc = op_same(c);
	const struct model_val *x = in(c, 0);
	const char *op = c->n->op_type;
	if (rc || !has_vals(x))
		return rc;
	int64_t v[MODEL_MAX_VALS];
	for (int i = 0; i < x->nv; i++) {
		int64_t a = x->v[i];
		if (a == INT64_MIN && (!strcmp(op, "Neg") || !strcmp(op, "Abs")))
			return 0;
		v[i] = !strcmp(op, "Neg") ? -a : !strcmp(op, "Abs") ? (a < 0 ? -a : a) : !strcmp(op, "Not") ? !a
		       : !strcmp(op, "Sign") ? (a > 0) - (a < 0) : !strcmp(op, "Relu") ? (a > 0 ? a : 0) : a;
	}
	set_vals(c->out[0], v, x->nv);
	return 0;
}

/* numpy broadcasting of n shapes (NULL entries are omitted optional
 * inputs) into rank/d. */
int infer_broadcast(struct infer_ctx *c, struct model_val *const *ins, size_t n, int *rank, int64_t *d)
{
	int64_t acc[MODEL_MAX_RANK];
	int r = 0;
	for (int i = 0; i < MODEL_MAX_RANK; i++)
		acc[i] = 1;
	for (size_t k = 0; k < n; k++) {
		const struct model_val *v = ins[k];
		if (!v)
			continue;
		if (!known(v))
			return UNKNOWN(c, "shape of input %zu ('%s') is unknown", k, v->name);
		if (v->rank > r)
			r = v->rank;
		for (int i = 0; i < v->rank; i++) {
			int j = MODEL_MAX_RANK - v->rank + i;
			int64_t x = v->d[i];
			if (acc[j] == 1)
				acc[j] = x;
			else if (x != 1 && x != acc[j])
				return UNKNOWN(c, "input shapes do not broadcast (%lld vs %lld)", (long long)x, (long long)acc[j]);
		}
	}
	*rank = r;
	memcpy(d, acc + MODEL_MAX_RANK - r, (size_t)r * sizeof *d);
	return 0;
}

/* The element of broadcast input v that output element `flat` reads. */
static int64_t bcast_at(const struct model_val *v, int rank, const int64_t *d, int64_t flat)
{
	int64_t coord[MODEL_MAX_RANK], vc[MODEL_MAX_RANK];
	unflat(flat, rank, d, coord);
	for (int i = 0; i < v->rank; i++) {
		int j = rank - v->rank + i;
		vc[i] = v->d[i] == 1 ? 0 : coord[j];
	}
	return v->v[flat_of(vc, v->rank, v->d)];
}

/* One binary integer operation; false when it has no exact int64 answer. */
static bool apply(const char *op, int64_t fmod, int64_t x, int64_t y, int64_t *r)
{
	if (!strcmp(op, "Add"))
		return !__builtin_add_overflow(x, y, r);
	if (!strcmp(op, "Sub"))
		return !__builtin_sub_overflow(x, y, r);
	if (!strcmp(op, "Mul"))
		return !__builtin_mul_overflow(x, y, r);
	if (!strcmp(op, "Div") || !strcmp(op, "Mod")) {
		if (y == 0 || (x == INT64_MIN && y == -1))
			return false;
		if (op[0] == 'D') {
			*r = x / y; /* ONNX integer Div truncates, as C does */
			return true;
		}
		*r = x % y; /* fmod=0: the result takes the divisor's sign (Python's %) */
		if (!fmod && *r && ((*r < 0) != (y < 0)))
			*r += y;
		return true;
	}
#define RESULT(name, expr)                   \
	if (!strcmp(op, name)) {             \
		*r = (expr);                 \
		return true;                 \
	}
	RESULT("Max", x > y ? x : y)
	RESULT("Min", x < y ? x : y)
	RESULT("Equal", x == y)
	RESULT("Less", x < y)
	RESULT("Greater", x > y)
	RESULT("LessOrEqual", x <= y)
	RESULT("GreaterOrEqual", x >= y)
	RESULT("And", x && y)
	RESULT("Or", x || y)
	RESULT("Xor", !x != !y)
#undef RESULT
	return false; /* Pow, Sum, Mean...: not needed for shapes */
}

/* Broadcasting operators: Add, Mul, Equal, Where (cond ? x : y), Max of
 * any number of inputs... Contents when every input has them. */
int op_bcast(struct infer_ctx *c)
{
	int rank, rc;
	int64_t d[MODEL_MAX_RANK];
	if ((rc = infer_broadcast(c, c->in, c->n_in, &rank, d)))
		return rc;
	set_shape(c->out[0], rank, d);
	const char *op = c->n->op_type;
	bool where = !strcmp(op, "Where");
	if (c->n_in < 2 || (where && c->n_in != 3) || numel(c->out[0]) > MODEL_MAX_VALS)
		return 0;
	for (size_t k = 0; k < c->n_in; k++)
		if (!has_vals(in(c, k)))
			return 0;
	int64_t v[MODEL_MAX_VALS], n = numel(c->out[0]), fmod = onnx_attr_int(c->n, "fmod", 0);
	for (int64_t i = 0; i < n; i++) {
		int64_t acc = bcast_at(in(c, 0), rank, d, i);
		if (where) {
			acc = acc ? bcast_at(in(c, 1), rank, d, i) : bcast_at(in(c, 2), rank, d, i);
		} else {
			for (size_t k = 1; k < c->n_in; k++)
				if (!apply(op, fmod, acc, bcast_at(in(c, k), rank, d, i), &acc))
					return 0;
		}
		v[i] = acc;
	}
	set_vals(c->out[0], v, n);
	return 0;
}
