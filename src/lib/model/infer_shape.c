/* infer_shape.c: operators that move data without multiplying (see
 * infer_ops.h): Reshape, Flatten, Transpose, Concat, Split, Gather, Slice,
 * Squeeze, Unsqueeze, Pad, Shape, Constant, ConstantOfShape, Expand, Range,
 * the reductions and ScatterND. Each gives its output shape per the ONNX
 * operator docs and, for small integer tensors, its contents, element by
 * element in row-major order, so the exporter's shape arithmetic resolves.
 */
#include <stdint.h>

#include "infer_ops.h"

int infer_ints_of(struct infer_ctx *c, size_t k, const char *name, const int64_t **v, int *n)
{
	const struct onnx_attr *a = onnx_attr_find(c->n, name);
	const struct model_val *x = in(c, k);
	if (x) {
		if (!has_vals(x))
			return UNKNOWN(c, "%s '%s' is not a constant aipm can read", name, x->name);
		*v = x->v;
		*n = x->nv;
	} else if (a) {
		*v = a->ints;
		*n = (int)(a->n_ints > MODEL_MAX_VALS ? MODEL_MAX_VALS + 1 : a->n_ints);
	} else {
		*v = NULL;
		*n = -1;
	}
	return 0;
}

/* Output 0 takes input 0's contents unchanged (same row-major order). */
static void keep_vals(struct infer_ctx *c)
{
	if (has_vals(in(c, 0)))
		set_vals(c->out[0], in(c, 0)->v, in(c, 0)->nv);
}

int op_flatten(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	const struct model_val *x = in(c, 0);
	int64_t axis = onnx_attr_int(c->n, "axis", 1), d[2] = {1, 1};
	if (axis < 0)
		axis += x->rank;
	if (axis < 0 || axis > x->rank)
		return UNKNOWN(c, "axis out of range for rank %d", x->rank);
	for (int i = 0; i < x->rank; i++)
		d[i >= axis] *= x->d[i]; /* at most 2^48 elements in all */
	set_shape(c->out[0], 2, d);
	keep_vals(c);
	return 0;
}

int op_reshape(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	const struct model_val *x = in(c, 0), *s = in(c, 1);
	if (!has_vals(s))
		return UNKNOWN(c, "target shape '%s' is not a constant aipm can read", s ? s->name : "");
	if (s->nv > MODEL_MAX_RANK)
		return UNKNOWN(c, "target rank %d above %d", s->nv, MODEL_MAX_RANK);
	bool allowzero = onnx_attr_int(c->n, "allowzero", 0);
	int64_t d[MODEL_MAX_RANK], total = numel(x), rest = 1;
	int infer_at = -1;
	for (int i = 0; i < s->nv; i++) {
		d[i] = s->v[i];
		if (d[i] == 0 && !allowzero) {
			if (i >= x->rank)
				return UNKNOWN(c, "0 at position %d copies a dimension the input lacks", i);
			d[i] = x->d[i];
		}
		if (d[i] == -1) {
			if (infer_at >= 0)
				return UNKNOWN(c, "more than one -1 in the target shape");
			infer_at = i;
			continue;
		}
		if (d[i] < 0 || __builtin_mul_overflow(rest, d[i], &rest))
			return UNKNOWN(c, "invalid target dimension %lld", (long long)s->v[i]);
	}
	if (infer_at >= 0) {
		if (rest == 0 || total % rest)
			return UNKNOWN(c, "cannot infer -1: %lld elements into %lld", (long long)total, (long long)rest);
		d[infer_at] = total / rest;
	} else if (rest != total)
		return UNKNOWN(c, "%lld elements cannot become %lld", (long long)total, (long long)rest);
	set_shape(c->out[0], s->nv, d);
	keep_vals(c);
	return 0;
}

int op_transpose(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	const struct model_val *x = in(c, 0);
	const struct onnx_attr *p = onnx_attr_find(c->n, "perm");
	if (p && (int)p->n_ints != x->rank)
		return UNKNOWN(c, "perm has %zu entries for rank %d", p->n_ints, x->rank);
	int64_t d[MODEL_MAX_RANK], perm[MODEL_MAX_RANK];
	bool used[MODEL_MAX_RANK] = {0};
	for (int i = 0; i < x->rank; i++) {
		int64_t j = p ? p->ints[i] : x->rank - 1 - i;
		if (j < 0 || j >= x->rank || used[j])
			return UNKNOWN(c, "perm is not a permutation");
		used[j] = true;
		perm[i] = j;
		d[i] = x->d[j];
	}
	set_shape(c->out[0], x->rank, d);
	if (has_vals(x)) {
		int64_t v[MODEL_MAX_VALS], oc[MODEL_MAX_RANK], ic[MODEL_MAX_RANK];
		for (int f = 0; f < x->nv; f++) {
			unflat(f, x->rank, d, oc);
			for (int i = 0; i < x->rank; i++)
				ic[perm[i]] = oc[i];
			v[f] = x->v[flat_of(ic, x->rank, x->d)];
		}
		set_vals(c->out[0], v, x->nv);
	}
	return 0;
}

int op_concat(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	int r = in(c, 0)->rank;
	int64_t axis, d[MODEL_MAX_RANK];
	bool all_vals = true;
	if (norm_axis(onnx_attr_int(c->n, "axis", 0), r, &axis))
		return UNKNOWN(c, "axis out of range for rank %d", r);
	for (int i = 0; i < r; i++)
		d[i] = i == axis ? 0 : c->in[0]->d[i];
	for (size_t k = 0; k < c->n_in; k++) {
		const struct model_val *v = in(c, k);
		if ((rc = need(c, k)))
			return rc;
		if (v->rank != r)
			return UNKNOWN(c, "inputs have different ranks");
		for (int i = 0; i < r; i++)
			if (i != axis && v->d[i] != d[i])
				return UNKNOWN(c, "input %zu has dimension %d of %lld, not %lld", k, i, (long long)v->d[i],
					       (long long)d[i]);
		if (__builtin_add_overflow(d[axis], v->d[axis], &d[axis]))
			return UNKNOWN(c, "size overflows");
		all_vals &= has_vals(v);
	}
	set_shape(c->out[0], r, d);
	if (!all_vals || numel(c->out[0]) > MODEL_MAX_VALS)
		return 0;
	/* each output element comes from the input whose slab along axis holds it */
	int64_t v[MODEL_MAX_VALS], coord[MODEL_MAX_RANK], n = numel(c->out[0]);
	for (int64_t f = 0; f < n; f++) {
		unflat(f, r, d, coord);
		size_t k = 0;
		while (coord[axis] >= in(c, k)->d[axis])
			coord[axis] -= in(c, k++)->d[axis];
		v[f] = in(c, k)->v[flat_of(coord, r, in(c, k)->d)];
	}
	set_vals(c->out[0], v, n);
	return 0;
}

int op_split(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	const struct model_val *x = in(c, 0), *s = in(c, 1);
	const struct onnx_attr *sa = onnx_attr_find(c->n, "split");
	int64_t axis;
	if (norm_axis(onnx_attr_int(c->n, "axis", 0), x->rank, &axis))
		return UNKNOWN(c, "axis out of range for rank %d", x->rank);
	size_t n = c->n_out;
	if (s && !has_vals(s))
		return UNKNOWN(c, "split sizes '%s' are not a constant aipm can read", s->name);
	if ((s && (size_t)s->nv != n) || (sa && sa->n_ints != n))
		return UNKNOWN(c, "split sizes do not match %zu outputs", n);
	int64_t total = 0, len = x->d[axis], chunk = n ? (len + (int64_t)n - 1) / (int64_t)n : 0;
	for (size_t k = 0; k < n; k++) {
		int64_t part = s ? s->v[k] : sa ? sa->ints[k] : (k + 1 < n ? chunk : len - chunk * (int64_t)(n - 1));
		if (part < 0 || __builtin_add_overflow(total, part, &total))
			return UNKNOWN(c, "negative split size");
		if (c->out[k]) {
			set_shape(c->out[k], x->rank, x->d);
			c->out[k]->d[axis] = part;
		}
	}
	if (total != len)
		return UNKNOWN(c, "split sizes add to %lld, not %lld", (long long)total, (long long)len);
	return 0;
}

int op_gather(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc || (rc = need(c, 1)))
		return rc;
	const struct model_val *x = in(c, 0), *ix = in(c, 1);
	int64_t axis, d[MODEL_MAX_RANK];
	if (norm_axis(onnx_attr_int(c->n, "axis", 0), x->rank, &axis))
		return UNKNOWN(c, "axis out of range for rank %d", x->rank);
	int r = x->rank - 1 + ix->rank;
	if (r > MODEL_MAX_RANK)
		return UNKNOWN(c, "rank above %d", MODEL_MAX_RANK);
	int j = 0;
	for (int i = 0; i < axis; i++)
		d[j++] = x->d[i];
	for (int i = 0; i < ix->rank; i++)
		d[j++] = ix->d[i];
	for (int i = (int)axis + 1; i < x->rank; i++)
		d[j++] = x->d[i];
	set_shape(c->out[0], r, d);
	if (!has_vals(x) || !has_vals(ix))
		return 0;
	/* out[a.., i.., b..] = x[a.., ix[i..], b..] */
	int64_t v[MODEL_MAX_VALS], oc[MODEL_MAX_RANK], xc[MODEL_MAX_RANK], icoord[MODEL_MAX_RANK];
	for (int64_t f = 0, n = numel(c->out[0]); f < n; f++) {
		unflat(f, r, d, oc);
		for (int i = 0; i < ix->rank; i++)
			icoord[i] = oc[axis + i];
		int64_t k = ix->v[flat_of(icoord, ix->rank, ix->d)];
		if (k < 0)
			k += x->d[axis];
		if (k < 0 || k >= x->d[axis])
			return 0; /* out of range: the file is wrong, the contents unknown */
		for (int i = 0; i < x->rank; i++)
			xc[i] = i < axis ? oc[i] : i == axis ? k : oc[i - 1 + ix->rank];
		v[f] = x->v[flat_of(xc, x->rank, x->d)];
	}
	set_vals(c->out[0], v, numel(c->out[0]));
	return 0;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

int op_slice(struct infer_ctx *c)
{
	int rc = need(c, 0);
	const int64_t *st, *en, *ax, *sp;
	int ns, ne, na, nsp;
	if (rc || (rc = infer_ints_of(c, 1, "starts", &st, &ns)) || (rc = infer_ints_of(c, 2, "ends", &en, &ne)) ||
	    (rc = infer_ints_of(c, 3, "axes", &ax, &na)) || (rc = infer_ints_of(c, 4, "steps", &sp, &nsp)))
		return rc;
	const struct model_val *x = in(c, 0);
	if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns) || ns > MODEL_MAX_VALS)
		return UNKNOWN(c, "starts/ends/axes/steps are missing or of different lengths");
	int64_t d[MODEL_MAX_RANK], first[MODEL_MAX_RANK] = {0}, step[MODEL_MAX_RANK];
	memcpy(d, x->d, sizeof d);
	for (int i = 0; i < MODEL_MAX_RANK; i++)
		step[i] = 1;
	for (int i = 0; i < ns; i++) {
		int64_t a, stp = nsp >= 0 ? sp[i] : 1, dim;
		if (norm_axis(na >= 0 ? ax[i] : i, x->rank, &a) || stp == 0 || stp == INT64_MIN)
			return UNKNOWN(c, "axis out of range or step 0");
		dim = x->d[a];
		/* negative starts/ends count from the end; INT64_MIN/MAX mean "to the edge" */
		int64_t s = st[i] < 0 ? st[i] + dim : st[i], e = en[i] < 0 ? en[i] + dim : en[i];
		s = stp > 0 ? clamp(s, 0, dim) : clamp(s, 0, dim - 1);
		e = stp > 0 ? clamp(e, 0, dim) : clamp(e, -1, dim - 1);
		__int128 len = stp > 0 ? (e > s ? ((__int128)e - s + stp - 1) / stp : 0)
				       : (s > e ? ((__int128)s - e - stp - 1) / -(__int128)stp : 0);
		d[a] = dim ? (int64_t)len : 0;
		first[a] = s;
		step[a] = stp;
	}
	set_shape(c->out[0], x->rank, d);
	if (has_vals(x)) {
		int64_t v[MODEL_MAX_VALS], oc[MODEL_MAX_RANK];
		for (int64_t f = 0, n = numel(c->out[0]); f < n; f++) {
			unflat(f, x->rank, d, oc);
			for (int i = 0; i < x->rank; i++)
				oc[i] = first[i] + oc[i] * step[i];
			v[f] = x->v[flat_of(oc, x->rank, x->d)];
		}
		set_vals(c->out[0], v, numel(c->out[0]));
	}
	return 0;
}

/* Input 0's shape and the axes (input 1, or the attribute before opset
 * 13) that Squeeze, Unsqueeze and the reductions work on; *na -1: none. */
static int with_axes(struct infer_ctx *c, const struct model_val **x, const int64_t **axes, int *na)
{
	int rc = need(c, 0);
	if (rc || (rc = infer_ints_of(c, 1, "axes", axes, na)))
		return rc;
	*x = in(c, 0);
	return 0;
}

int op_squeeze(struct infer_ctx *c)
{
	const struct model_val *x;
	const int64_t *axes;
	int na, rc = with_axes(c, &x, &axes, &na);
	if (rc)
		return rc;
	if (na > MODEL_MAX_RANK)
		return UNKNOWN(c, "more axes than dimensions");
	bool drop[MODEL_MAX_RANK] = {0};
	for (int i = 0; i < na; i++) {
		int64_t a;
		if (norm_axis(axes[i], x->rank, &a) || x->d[a] != 1)
			return UNKNOWN(c, "axis %lld is not a dimension of size 1", (long long)axes[i]);
		drop[a] = true;
	}
	int64_t d[MODEL_MAX_RANK];
	int r = 0;
	for (int i = 0; i < x->rank; i++)
		if (!(na < 0 ? x->d[i] == 1 : drop[i]))
			d[r++] = x->d[i];
	set_shape(c->out[0], r, d);
	keep_vals(c);
	return 0;
}

int op_unsqueeze(struct infer_ctx *c)
{
	const struct model_val *x;
	const int64_t *axes;
	int na, rc = with_axes(c, &x, &axes, &na);
	if (rc)
		return rc;
	int r = x->rank + (na > 0 ? na : 0);
	if (na < 0 || r > MODEL_MAX_RANK)
		return UNKNOWN(c, "axes missing or rank above %d", MODEL_MAX_RANK);
	bool ins[MODEL_MAX_RANK] = {0};
	for (int i = 0; i < na; i++) {
		int64_t a;
		if (norm_axis(axes[i], r, &a) || ins[a])
			return UNKNOWN(c, "axis %lld out of range or repeated", (long long)axes[i]);
		ins[a] = true;
	}
	int64_t d[MODEL_MAX_RANK];
	for (int i = 0, j = 0; i < r; i++)
		d[i] = ins[i] ? 1 : x->d[j++];
	set_shape(c->out[0], r, d);
	keep_vals(c);
	return 0;
}

/* Pad: pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...] from input 1
 * (opset >= 11) or the attribute (older), optionally for `axes` only
 * (input 3, opset 18). Negative pads crop. Every mode keeps this shape. */
int op_pad(struct infer_ctx *c)
{
	int rc = need(c, 0);
	const int64_t *p, *ax;
	int np, na;
	if (rc || (rc = infer_ints_of(c, 1, "pads", &p, &np)) || (rc = infer_ints_of(c, 3, "axes", &ax, &na)))
		return rc;
	const struct model_val *x = in(c, 0);
	int n = na >= 0 ? na : x->rank;
	if (np != 2 * n || n > MODEL_MAX_RANK)
		return UNKNOWN(c, "%d pads for %d axes", np, n);
	int64_t d[MODEL_MAX_RANK];
	memcpy(d, x->d, sizeof d);
	for (int i = 0; i < n; i++) {
		int64_t a;
		if (norm_axis(na >= 0 ? ax[i] : i, x->rank, &a))
			return UNKNOWN(c, "axis %lld out of range", (long long)ax[i]);
		if (p[i] < -ONNX_MAX_ELEMENTS || p[i] > ONNX_MAX_ELEMENTS || p[n + i] < -ONNX_MAX_ELEMENTS ||
		    p[n + i] > ONNX_MAX_ELEMENTS)
			return UNKNOWN(c, "absurd pads");
		d[a] += p[i] + p[n + i];
		if (d[a] < 0)
			return UNKNOWN(c, "pads crop axis %lld below zero", (long long)a);
	}
	set_shape(c->out[0], x->rank, d);
	return 0;
}

int op_shape(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	const struct model_val *x = in(c, 0);
	int64_t s = onnx_attr_int(c->n, "start", 0), e = onnx_attr_int(c->n, "end", x->rank);
	s = clamp(s < 0 ? s + x->rank : s, 0, x->rank);
	e = clamp(e < 0 ? e + x->rank : e, 0, x->rank);
	int64_t n = e > s ? e - s : 0;
	set_shape(c->out[0], 1, &n);
	set_vals(c->out[0], x->d + s, n);
	return 0;
}

int op_constant(struct infer_ctx *c)
{
	const struct onnx_attr *a = c->n->n_attrs ? &c->n->attrs[0] : NULL;
	struct model_val *o = c->out[0];
	if (!a)
		return UNKNOWN(c, "Constant without a value attribute");
	if (a->t) {
		if (a->t->rank > MODEL_MAX_RANK)
			return UNKNOWN(c, "rank above %d", MODEL_MAX_RANK);
		set_shape(o, (int)a->t->rank, a->t->dims);
		if (a->t->vals)
			set_vals(o, a->t->vals, (int64_t)a->t->n_vals);
	} else if (!strcmp(a->name, "value_int") || !strcmp(a->name, "value_float")) {
		set_shape(o, 0, NULL);
		if (a->name[6] == 'i')
			set_vals(o, &a->i, 1);
	} else if (!strcmp(a->name, "value_ints") || !strcmp(a->name, "value_floats")) {
		int64_t n = (int64_t)(a->name[6] == 'i' ? a->n_ints : a->n_floats);
		set_shape(o, 1, &n);
		if (a->name[6] == 'i')
			set_vals(o, a->ints, n);
	} else
		return UNKNOWN(c, "Constant attribute '%s' is not supported", a->name);
	return 0;
}

/* The target shape of ConstantOfShape and Expand: input k's contents. */
static int shape_input(struct infer_ctx *c, size_t k, struct model_val *out)
{
	const struct model_val *s = in(c, k);
	if (!has_vals(s) || s->rank != 1 || s->nv > MODEL_MAX_RANK)
		return UNKNOWN(c, "shape input '%s' is not a constant aipm can read", s ? s->name : "");
	for (int i = 0; i < s->nv; i++)
		if (s->v[i] < 0 || s->v[i] > ONNX_MAX_ELEMENTS)
			return UNKNOWN(c, "shape input '%s' has dimension %lld", s->name, (long long)s->v[i]);
	*out = (struct model_val){.name = s->name};
	set_shape(out, s->nv, s->v);
	uint64_t n;
	if (onnx_dims_elements(out->d, (size_t)out->rank, &n) < 0)
		return UNKNOWN(c, "shape input '%s' asks for more than 2^48 elements", s->name);
	return 0;
}

int op_constant_of_shape(struct infer_ctx *c)
{
	struct model_val s;
	int rc = shape_input(c, 0, &s);
	if (rc)
		return rc;
	set_shape(c->out[0], s.rank, s.d);
	/* the fill value: a one-element tensor attribute, float 0 by default */
	const struct onnx_attr *a = onnx_attr_find(c->n, "value");
	if (a && a->t && a->t->vals && a->t->n_vals == 1 && numel(c->out[0]) <= MODEL_MAX_VALS) {
		int64_t v[MODEL_MAX_VALS];
		for (int64_t i = 0; i < numel(c->out[0]); i++)
			v[i] = a->t->vals[0];
		set_vals(c->out[0], v, numel(c->out[0]));
	}
	return 0;
}

int op_expand(struct infer_ctx *c)
{
	struct model_val s;
	int rc = need(c, 0);
	if (rc || (rc = shape_input(c, 1, &s)))
		return rc;
	struct model_val *ins[2] = {in(c, 0), &s};
	int rank;
	int64_t d[MODEL_MAX_RANK];
	if ((rc = infer_broadcast(c, ins, 2, &rank, d)))
		return rc;
	set_shape(c->out[0], rank, d);
	const struct model_val *x = in(c, 0);
	if (has_vals(x) && numel(c->out[0]) <= MODEL_MAX_VALS) {
		int64_t v[MODEL_MAX_VALS], oc[MODEL_MAX_RANK], xc[MODEL_MAX_RANK];
		for (int64_t f = 0, n = numel(c->out[0]); f < n; f++) {
			unflat(f, rank, d, oc);
			for (int i = 0; i < x->rank; i++)
				xc[i] = x->d[i] == 1 ? 0 : oc[rank - x->rank + i];
			v[f] = x->v[flat_of(xc, x->rank, x->d)];
		}
		set_vals(c->out[0], v, numel(c->out[0]));
	}
	return 0;
}

/* Range(start, limit, delta): max(ceil((limit - start) / delta), 0)
 * elements; integer inputs only (float ranges stay unknown). */
int op_range(struct infer_ctx *c)
{
	const struct model_val *s = in(c, 0), *l = in(c, 1), *dl = in(c, 2);
	if (!has_vals(s) || !has_vals(l) || !has_vals(dl) || s->nv != 1 || l->nv != 1 || dl->nv != 1)
		return UNKNOWN(c, "start, limit and delta are not integer constants aipm can read");
	int64_t a = s->v[0], b = l->v[0], step = dl->v[0];
	const int64_t lim = ONNX_MAX_ELEMENTS;
	if (step == 0 || a < -lim || a > lim || b < -lim || b > lim || step < -lim || step > lim)
		return UNKNOWN(c, "delta 0 or absurd bounds");
	int64_t span = step > 0 ? b - a : a - b, mag = step > 0 ? step : -step;
	int64_t n = span > 0 ? (span + mag - 1) / mag : 0;
	set_shape(c->out[0], 1, &n);
	if (n <= MODEL_MAX_VALS) {
		int64_t v[MODEL_MAX_VALS];
		for (int64_t i = 0; i < n; i++)
			v[i] = a + i * step;
		set_vals(c->out[0], v, n);
	}
	return 0;
}

int op_reduce(struct infer_ctx *c)
{
	const struct model_val *x;
	const int64_t *axes;
	int na, rc = with_axes(c, &x, &axes, &na);
	if (rc)
		return rc;
	bool keep = onnx_attr_int(c->n, "keepdims", 1), red[MODEL_MAX_RANK] = {0};
	if (na <= 0 && onnx_attr_int(c->n, "noop_with_empty_axes", 0))
		return op_same(c);
	for (int i = 0; i < x->rank; i++)
		red[i] = na <= 0;
	for (int i = 0; i < na; i++) {
		int64_t a;
		if (norm_axis(axes[i], x->rank, &a))
			return UNKNOWN(c, "axis %lld out of range", (long long)axes[i]);
		red[a] = true;
	}
	int64_t d[MODEL_MAX_RANK];
	int r = 0;
	for (int i = 0; i < x->rank; i++)
		if (!red[i] || keep)
			d[r++] = red[i] ? 1 : x->d[i];
	set_shape(c->out[0], r, d);
	return 0;
}

/* ScatterND, ScatterElements: the data's shape, new contents unknown. */
int op_scatter(struct infer_ctx *c) { return op_same(c); }
