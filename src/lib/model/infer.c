/* infer.c: per-operator shape rules and MAC formulas (see infer.h).
 *
 * One static table maps op_type to a shape function and says whether the
 * operator multiplies at all. Shape functions return INFER_UNKNOWN with a
 * reason rather than guessing: a wrong shape upstream would silently skew
 * every MAC count downstream, while an unknown one is reported. Formulas
 * follow the ONNX operator docs (REFERENCE §5.3); arithmetic on
 * dimensions is checked, since dims come from untrusted files.
 */
#include "infer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define UNKNOWN(c, ...) (snprintf((c)->why, sizeof (c)->why, __VA_ARGS__), INFER_UNKNOWN)

void model_val_set_unknown(struct model_val *v)
{
	v->rank = -1;
	v->nv = -1;
}

static struct model_val *in(struct infer_ctx *c, size_t k) { return k < c->n_in ? c->in[k] : NULL; }
static bool known(const struct model_val *v) { return v && v->rank >= 0; }
static bool has_vals(const struct model_val *v) { return v && v->nv >= 0; }

static void set_shape(struct model_val *o, int rank, const int64_t *d)
{
	o->rank = rank;
	memmove(o->d, d, (size_t)rank * sizeof *d);
	o->nv = -1;
}

static int need(struct infer_ctx *c, size_t k)
{
	if (known(in(c, k)))
		return 0;
	return UNKNOWN(c, "shape of input %zu ('%s') is unknown", k, in(c, k) ? in(c, k)->name : "");
}

/* Checked a *= b for MACs; the error names the node. */
static int mul(struct infer_ctx *c, uint64_t *a, int64_t b)
{
	if (b < 0 || __builtin_mul_overflow(*a, (uint64_t)b, a))
		return aipm_err(-EOVERFLOW, "node '%s' (%s): multiply-accumulates overflow 64 bits (absurd dimensions)",
				c->n->name, c->n->op_type);
	return 0;
}

static int norm_axis(int64_t axis, int rank, int64_t *out)
{
	if (axis < 0)
		axis += rank;
	if (axis < 0 || axis >= rank)
		return -1;
	*out = axis;
	return 0;
}

/* Elementwise ops with one tensor in: shape (and integer contents) pass. */
static int op_same(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	for (size_t k = 0; k < c->n_out; k++)
		if (c->out[k])
			*c->out[k] = (struct model_val){.name = c->out[k]->name, .decl = c->out[k]->decl,
							 .producer = c->out[k]->producer, .rank = -1, .nv = -1},
			set_shape(c->out[k], in(c, 0)->rank, in(c, 0)->d);
	/* Identity, Cast and friends keep small integer contents: exporters
	 * route shape arithmetic through them. */
	if (c->n_out && in(c, 0)->nv >= 0 && strcmp(c->n->op_type, "BatchNormalization")) {
		c->out[0]->nv = in(c, 0)->nv;
		memcpy(c->out[0]->v, in(c, 0)->v, sizeof c->out[0]->v);
	}
	return 0;
}

/* numpy broadcasting of all inputs; small integer contents are combined
 * for Add/Sub/Mul/Div so shape arithmetic survives. */
static int op_bcast(struct infer_ctx *c)
{
	int rank = 0;
	int64_t d[MODEL_MAX_RANK];
	for (int i = 0; i < MODEL_MAX_RANK; i++)
		d[i] = 1;
	for (size_t k = 0; k < c->n_in; k++) {
		struct model_val *v = in(c, k);
		if (!v)
			continue;
		if (!known(v))
			return need(c, k);
		if (v->rank > rank)
			rank = v->rank;
		for (int i = 0; i < v->rank; i++) {
			int j = MODEL_MAX_RANK - v->rank + i;
			int64_t x = v->d[i];
			if (d[j] == 1)
				d[j] = x;
			else if (x != 1 && x != d[j])
				return UNKNOWN(c, "input shapes do not broadcast (%lld vs %lld)", (long long)x, (long long)d[j]);
		}
	}
	set_shape(c->out[0], rank, d + MODEL_MAX_RANK - rank);
	struct model_val *a = in(c, 0), *b = in(c, 1);
	const char *op = c->n->op_type;
	if (c->n_in == 2 && has_vals(a) && has_vals(b) && rank <= 1 && (a->nv == b->nv || a->nv == 1 || b->nv == 1)) {
		int n = a->nv > b->nv ? a->nv : b->nv;
		for (int i = 0; i < n; i++) {
			int64_t x = a->v[a->nv == 1 ? 0 : i], y = b->v[b->nv == 1 ? 0 : i], r;
			if (!strcmp(op, "Add") ? __builtin_add_overflow(x, y, &r)
			    : !strcmp(op, "Sub") ? __builtin_sub_overflow(x, y, &r)
			    : !strcmp(op, "Mul") ? __builtin_mul_overflow(x, y, &r)
			    : !strcmp(op, "Div") ? (y == 0 || (x == INT64_MIN && y == -1) || (r = x / y, false))
			    : true)
				return 0;
			c->out[0]->v[i] = r;
		}
		c->out[0]->nv = n;
	}
	return 0;
}

/* Spatial attributes shared by Conv, ConvTranspose and the pools. */
struct window {
	int sp;
	int64_t k[MODEL_MAX_RANK], s[MODEL_MAX_RANK], dil[MODEL_MAX_RANK], pb[MODEL_MAX_RANK], pe[MODEL_MAX_RANK];
	const char *auto_pad;
};

static int window(struct infer_ctx *c, int sp, const int64_t *kernel, struct window *w)
{
	const struct onnx_attr *ks = onnx_attr_find(c->n, "kernel_shape"), *st = onnx_attr_find(c->n, "strides"),
			       *dl = onnx_attr_find(c->n, "dilations"), *pd = onnx_attr_find(c->n, "pads");
	w->sp = sp;
	w->auto_pad = onnx_attr_str(c->n, "auto_pad", "NOTSET");
	if (ks && (int)ks->n_ints != sp)
		return UNKNOWN(c, "kernel_shape has %zu values for %d spatial dims", ks->n_ints, sp);
	if ((st && (int)st->n_ints != sp) || (dl && (int)dl->n_ints != sp) || (pd && (int)pd->n_ints != 2 * sp))
		return UNKNOWN(c, "strides/dilations/pads do not match %d spatial dims", sp);
	for (int i = 0; i < sp; i++) {
		w->k[i] = ks ? ks->ints[i] : kernel ? kernel[i] : -1;
		w->s[i] = st ? st->ints[i] : 1;
		w->dil[i] = dl ? dl->ints[i] : 1;
		w->pb[i] = pd ? pd->ints[i] : 0;
		w->pe[i] = pd ? pd->ints[sp + i] : 0;
		/* bounds keep (k-1)*dilation + pads + dims far inside int64 */
		if (w->k[i] < 1 || w->s[i] < 1 || w->dil[i] < 1 || w->pb[i] < 0 || w->pe[i] < 0 ||
		    w->k[i] > (1 << 24) || w->dil[i] > (1 << 24) || w->s[i] > (1 << 24) ||
		    w->pb[i] > ONNX_MAX_ELEMENTS || w->pe[i] > ONNX_MAX_ELEMENTS)
			return UNKNOWN(c, "kernel/strides/dilations/pads missing, zero, negative or absurd");
	}
	return 0;
}

/* Output size of a sliding window (Conv and pools), per the ONNX spec. */
static int window_out(struct infer_ctx *c, const struct window *w, const int64_t *inp, bool ceil_mode, int64_t *out)
{
	for (int i = 0; i < w->sp; i++) {
		int64_t ext = (w->k[i] - 1) * w->dil[i] + 1, x = inp[i], o;
		if (!strcmp(w->auto_pad, "SAME_UPPER") || !strcmp(w->auto_pad, "SAME_LOWER"))
			o = (x + w->s[i] - 1) / w->s[i];
		else if (!strcmp(w->auto_pad, "VALID"))
			o = x >= ext ? (x - ext) / w->s[i] + 1 : 0;
		else if (!strcmp(w->auto_pad, "NOTSET") || !*w->auto_pad) {
			int64_t span = x + w->pb[i] + w->pe[i] - ext;
			if (span < 0)
				o = 0;
			else {
				o = (ceil_mode ? (span + w->s[i] - 1) / w->s[i] : span / w->s[i]) + 1;
				/* a last window starting inside the right padding is dropped */
				if (ceil_mode && (o - 1) * w->s[i] >= x + w->pb[i])
					o--;
			}
		} else
			return UNKNOWN(c, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", w->auto_pad);
		if (o < 1)
			return UNKNOWN(c, "the kernel does not fit the input (output size %lld)", (long long)o);
		out[i] = o;
	}
	return 0;
}

static int op_conv(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc || (rc = need(c, 1)))
		return rc;
	const struct model_val *x = in(c, 0), *wt = in(c, 1);
	int r = x->rank, sp = r - 2;
	if (r < 3 || wt->rank != r)
		return UNKNOWN(c, "input rank %d and weight rank %d do not make a convolution", r, wt->rank);
	int64_t g = onnx_attr_int(c->n, "group", 1);
	if (g < 1 || x->d[1] % g || wt->d[1] != x->d[1] / g)
		return UNKNOWN(c, "group %lld does not divide %lld input channels into weight's %lld", (long long)g,
			       (long long)x->d[1], (long long)wt->d[1]);
	struct window w;
	int64_t d[MODEL_MAX_RANK];
	if ((rc = window(c, sp, wt->d + 2, &w)) || (rc = window_out(c, &w, x->d + 2, false, d + 2)))
		return rc;
	d[0] = x->d[0];
	d[1] = wt->d[0];
	set_shape(c->out[0], r, d);
	/* N · M · (C/group) · Πk · Πout */
	c->macs = 1;
	for (int i = 0; i < r; i++)
		if ((rc = mul(c, &c->macs, i < 2 ? d[i] : d[i] * 1)) || (i >= 2 && (rc = mul(c, &c->macs, w.k[i - 2]))))
			return rc;
	return mul(c, &c->macs, wt->d[1]);
}

static int op_convtranspose(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc || (rc = need(c, 1)))
		return rc;
	const struct model_val *x = in(c, 0), *wt = in(c, 1);
	int r = x->rank, sp = r - 2;
	int64_t g = onnx_attr_int(c->n, "group", 1);
	if (r < 3 || wt->rank != r || g < 1 || wt->d[0] != x->d[1])
		return UNKNOWN(c, "input %d-D and weight %d-D (first dim %lld vs %lld channels) do not make a ConvTranspose",
			       r, wt->rank, (long long)wt->d[0], (long long)x->d[1]);
	struct window w;
	if ((rc = window(c, sp, wt->d + 2, &w)))
		return rc;
	const struct onnx_attr *op = onnx_attr_find(c->n, "output_padding"), *os = onnx_attr_find(c->n, "output_shape");
	int64_t d[MODEL_MAX_RANK];
	d[0] = x->d[0];
	if (__builtin_mul_overflow(wt->d[1], g, &d[1]))
		return UNKNOWN(c, "output channels overflow");
	for (int i = 0; i < sp; i++) {
		__int128 ext = (__int128)(w.k[i] - 1) * w.dil[i] + 1, o;
		if (os && (int)os->n_ints >= sp)
			o = os->ints[os->n_ints - sp + i];
		else if (!strncmp(w.auto_pad, "SAME", 4))
			o = (__int128)x->d[2 + i] * w.s[i];
		else
			o = (__int128)w.s[i] * (x->d[2 + i] - 1) + (op && (int)op->n_ints == sp ? op->ints[i] : 0) + ext -
			    w.pb[i] - w.pe[i];
		if (o < 1 || o > ONNX_MAX_ELEMENTS)
			return UNKNOWN(c, "output size %lld is not positive or absurd", (long long)o);
		d[2 + i] = o;
	}
	set_shape(c->out[0], r, d);
	/* each input pixel scatters one kernel: N · C · (M/group) · Πk · Πin */
	c->macs = 1;
	if ((rc = mul(c, &c->macs, x->d[0])) || (rc = mul(c, &c->macs, x->d[1])) || (rc = mul(c, &c->macs, wt->d[1])))
		return rc;
	for (int i = 0; i < sp; i++)
		if ((rc = mul(c, &c->macs, w.k[i])) || (rc = mul(c, &c->macs, x->d[2 + i])))
			return rc;
	return 0;
}

static int op_pool(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	const struct model_val *x = in(c, 0);
	if (x->rank < 3)
		return UNKNOWN(c, "pooling needs a rank >= 3 input, got %d", x->rank);
	if (!onnx_attr_find(c->n, "kernel_shape"))
		return UNKNOWN(c, "kernel_shape attribute is missing");
	struct window w;
	int64_t d[MODEL_MAX_RANK];
	if ((rc = window(c, x->rank - 2, NULL, &w)) ||
	    (rc = window_out(c, &w, x->d + 2, onnx_attr_int(c->n, "ceil_mode", 0) != 0, d + 2)))
		return rc;
	d[0] = x->d[0];
	d[1] = x->d[1];
	for (size_t k = 0; k < c->n_out; k++)
		if (c->out[k])
			set_shape(c->out[k], x->rank, d);
	return 0;
}

static int op_global_pool(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	int64_t d[MODEL_MAX_RANK];
	for (int i = 0; i < in(c, 0)->rank; i++)
		d[i] = i < 2 ? in(c, 0)->d[i] : 1;
	set_shape(c->out[0], in(c, 0)->rank, d);
	return 0;
}

static int op_gemm(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc || (rc = need(c, 1)))
		return rc;
	const struct model_val *a = in(c, 0), *b = in(c, 1);
	if (a->rank != 2 || b->rank != 2)
		return UNKNOWN(c, "Gemm needs 2-D inputs, got %d-D and %d-D", a->rank, b->rank);
	bool ta = onnx_attr_int(c->n, "transA", 0), tb = onnx_attr_int(c->n, "transB", 0);
	int64_t m = a->d[ta], k = a->d[!ta], kb = b->d[tb], n = b->d[!tb];
	if (k != kb)
		return UNKNOWN(c, "inner dimensions differ (%lld vs %lld)", (long long)k, (long long)kb);
	set_shape(c->out[0], 2, (int64_t[]){m, n});
	c->macs = 1;
	if ((rc = mul(c, &c->macs, m)) || (rc = mul(c, &c->macs, n)))
		return rc;
	return mul(c, &c->macs, k);
}

/* numpy matmul: batch dims broadcast; a 1-D operand is a row or a column
 * vector whose dimension is dropped from the result. */
static int op_matmul(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc || (rc = need(c, 1)))
		return rc;
	const struct model_val *a = in(c, 0), *b = in(c, 1);
	if (a->rank < 1 || b->rank < 1)
		return UNKNOWN(c, "MatMul of a scalar");
	int64_t m = a->rank == 1 ? 1 : a->d[a->rank - 2], k = a->d[a->rank - 1];
	int64_t kb = b->rank == 1 ? b->d[0] : b->d[b->rank - 2], n = b->rank == 1 ? 1 : b->d[b->rank - 1];
	if (k != kb)
		return UNKNOWN(c, "inner dimensions differ (%lld vs %lld)", (long long)k, (long long)kb);
	int ba = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0, nb = ba > bb ? ba : bb;
	if (nb + 2 > MODEL_MAX_RANK)
		return UNKNOWN(c, "rank above %d", MODEL_MAX_RANK);
	int64_t d[MODEL_MAX_RANK];
	c->macs = 1;
	for (int i = 0; i < nb; i++) {
		int ia = i - (nb - ba), ib = i - (nb - bb);
		int64_t x = ia >= 0 ? a->d[ia] : 1, y = ib >= 0 ? b->d[ib] : 1;
		if (x != y && x != 1 && y != 1)
			return UNKNOWN(c, "batch dimensions do not broadcast (%lld vs %lld)", (long long)x, (long long)y);
		d[i] = x == 1 ? y : x;
		if ((rc = mul(c, &c->macs, d[i])))
			return rc;
	}
	int r = nb;
	if (a->rank > 1)
		d[r++] = m;
	if (b->rank > 1)
		d[r++] = n;
	set_shape(c->out[0], r, d);
	if ((rc = mul(c, &c->macs, m)) || (rc = mul(c, &c->macs, n)))
		return rc;
	return mul(c, &c->macs, k);
}

static int op_flatten(struct infer_ctx *c)
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
		if (__builtin_mul_overflow(d[i >= axis], x->d[i], &d[i >= axis]))
			return UNKNOWN(c, "size overflows");
	set_shape(c->out[0], 2, d);
	return 0;
}

static int op_reshape(struct infer_ctx *c)
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
	int64_t d[MODEL_MAX_RANK], total = 1, rest = 1;
	int infer_at = -1;
	for (int i = 0; i < x->rank; i++)
		if (__builtin_mul_overflow(total, x->d[i], &total))
			return UNKNOWN(c, "size overflows");
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
	if (has_vals(x)) {
		c->out[0]->nv = x->nv;
		memcpy(c->out[0]->v, x->v, sizeof x->v);
	}
	return 0;
}

static int op_transpose(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	const struct model_val *x = in(c, 0);
	const struct onnx_attr *p = onnx_attr_find(c->n, "perm");
	if (p && (int)p->n_ints != x->rank)
		return UNKNOWN(c, "perm has %zu entries for rank %d", p->n_ints, x->rank);
	int64_t d[MODEL_MAX_RANK];
	bool used[MODEL_MAX_RANK] = {0};
	for (int i = 0; i < x->rank; i++) {
		int64_t j = p ? p->ints[i] : x->rank - 1 - i;
		if (j < 0 || j >= x->rank || used[j])
			return UNKNOWN(c, "perm is not a permutation");
		used[j] = true;
		d[i] = x->d[j];
	}
	set_shape(c->out[0], x->rank, d);
	return 0;
}

static int op_concat(struct infer_ctx *c)
{
	int rc = need(c, 0);
	if (rc)
		return rc;
	int r = in(c, 0)->rank;
	int64_t axis, d[MODEL_MAX_RANK], vals[MODEL_MAX_VALS];
	int nv = 0;
	bool all_vals = r == 1;
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
		if (__builtin_add_overflow(d[axis], v->d[axis], &d[axis]))
			return UNKNOWN(c, "size overflows");
		if (!has_vals(v) || nv + v->nv > MODEL_MAX_VALS)
			all_vals = false;
		else if (all_vals) {
			memcpy(vals + nv, v->v, (size_t)v->nv * sizeof *vals);
			nv += v->nv;
		}
	}
	set_shape(c->out[0], r, d);
	if (all_vals) {
		c->out[0]->nv = nv;
		memcpy(c->out[0]->v, vals, (size_t)nv * sizeof *vals);
	}
	return 0;
}

static int op_split(struct infer_ctx *c)
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

static int op_gather(struct infer_ctx *c)
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
	if (has_vals(x) && has_vals(ix) && x->rank == 1 && ix->nv <= MODEL_MAX_VALS) {
		for (int i = 0; i < ix->nv; i++) {
			int64_t k = ix->v[i] < 0 ? ix->v[i] + x->nv : ix->v[i];
			if (k < 0 || k >= x->nv)
				return 0;
			c->out[0]->v[i] = x->v[k];
		}
		c->out[0]->nv = ix->nv;
	}
	return 0;
}

/* Integers from input k (opset >= 13 style) or attribute `name` (older). */
static int ints_of(struct infer_ctx *c, size_t k, const char *name, const int64_t **v, int *n)
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

static int op_squeeze(struct infer_ctx *c)
{
	int rc = need(c, 0);
	const int64_t *axes;
	int na;
	if (rc || (rc = ints_of(c, 1, "axes", &axes, &na)))
		return rc;
	const struct model_val *x = in(c, 0);
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
	c->out[0]->nv = x->nv;
	memcpy(c->out[0]->v, x->v, sizeof x->v);
	return 0;
}

static int op_unsqueeze(struct infer_ctx *c)
{
	int rc = need(c, 0);
	const int64_t *axes;
	int na;
	if (rc || (rc = ints_of(c, 1, "axes", &axes, &na)))
		return rc;
	const struct model_val *x = in(c, 0);
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
	c->out[0]->nv = x->nv;
	memcpy(c->out[0]->v, x->v, sizeof x->v);
	return 0;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static int op_slice(struct infer_ctx *c)
{
	int rc = need(c, 0);
	const int64_t *st, *en, *ax, *sp;
	int ns, ne, na, nsp;
	if (rc || (rc = ints_of(c, 1, "starts", &st, &ns)) || (rc = ints_of(c, 2, "ends", &en, &ne)) ||
	    (rc = ints_of(c, 3, "axes", &ax, &na)) || (rc = ints_of(c, 4, "steps", &sp, &nsp)))
		return rc;
	const struct model_val *x = in(c, 0);
	if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns) || ns > MODEL_MAX_VALS)
		return UNKNOWN(c, "starts/ends/axes/steps are missing or of different lengths");
	int64_t d[MODEL_MAX_RANK], first = 0, step0 = 1;
	memcpy(d, x->d, sizeof d);
	for (int i = 0; i < ns; i++) {
		int64_t a, step = nsp >= 0 ? sp[i] : 1, dim;
		if (norm_axis(na >= 0 ? ax[i] : i, x->rank, &a) || step == 0 || step == INT64_MIN)
			return UNKNOWN(c, "axis out of range or step 0");
		dim = x->d[a];
		int64_t s = st[i] < 0 ? st[i] + dim : st[i], e = en[i] < 0 ? en[i] + dim : en[i];
		s = step > 0 ? clamp(s, 0, dim) : clamp(s, 0, dim - 1);
		e = step > 0 ? clamp(e, 0, dim) : clamp(e, -1, dim - 1);
		__int128 len = step > 0 ? (e > s ? ((__int128)e - s + step - 1) / step : 0)
					: (s > e ? ((__int128)s - e - step - 1) / -(__int128)step : 0);
		d[a] = (int64_t)len;
		if (a == 0)
			first = s, step0 = step;
	}
	set_shape(c->out[0], x->rank, d);
	if (has_vals(x) && x->rank == 1) {
		for (int64_t i = 0; i < d[0]; i++)
			c->out[0]->v[i] = x->v[first + i * step0];
		c->out[0]->nv = (int)d[0];
	}
	return 0;
}

static int op_shape(struct infer_ctx *c)
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
	memcpy(c->out[0]->v, x->d + s, (size_t)n * sizeof *x->d);
	c->out[0]->nv = (int)n;
	return 0;
}

static int op_constant(struct infer_ctx *c)
{
	const struct onnx_attr *a = c->n->n_attrs ? &c->n->attrs[0] : NULL;
	struct model_val *o = c->out[0];
	if (!a)
		return UNKNOWN(c, "Constant without a value attribute");
	if (a->t) {
		if (a->t->rank > MODEL_MAX_RANK)
			return UNKNOWN(c, "rank above %d", MODEL_MAX_RANK);
		set_shape(o, (int)a->t->rank, a->t->dims);
		if (a->t->vals && a->t->n_vals <= MODEL_MAX_VALS) {
			memcpy(o->v, a->t->vals, a->t->n_vals * sizeof *o->v);
			o->nv = (int)a->t->n_vals;
		}
	} else if (!strcmp(a->name, "value_int") || !strcmp(a->name, "value_float")) {
		o->rank = 0;
		o->v[0] = a->i;
		o->nv = !strcmp(a->name, "value_int") ? 1 : -1;
	} else if (!strcmp(a->name, "value_ints") || !strcmp(a->name, "value_floats")) {
		int64_t n = (int64_t)(a->name[6] == 'i' ? a->n_ints : a->n_floats);
		set_shape(o, 1, &n);
		if (a->name[6] == 'i' && n <= MODEL_MAX_VALS) {
			memcpy(o->v, a->ints, (size_t)n * sizeof *o->v);
			o->nv = (int)n;
		}
	} else
		return UNKNOWN(c, "Constant attribute '%s' is not supported", a->name);
	return 0;
}

static int op_constant_of_shape(struct infer_ctx *c)
{
	const struct model_val *s = in(c, 0);
	if (!has_vals(s) || s->nv > MODEL_MAX_RANK)
		return UNKNOWN(c, "shape input is not a constant aipm can read");
	set_shape(c->out[0], s->nv, s->v);
	return 0;
}

static int op_expand(struct infer_ctx *c)
{
	struct model_val tmp = {.name = "shape"};
	const struct model_val *s = in(c, 1);
	if (!has_vals(s) || s->nv > MODEL_MAX_RANK)
		return UNKNOWN(c, "target shape is not a constant aipm can read");
	set_shape(&tmp, s->nv, s->v);
	struct model_val *ins[2] = {in(c, 0), &tmp};
	struct infer_ctx sub = *c;
	sub.in = ins;
	sub.n_in = 2;
	int rc = op_bcast(&sub);
	memcpy(c->why, sub.why, sizeof c->why);
	c->out[0]->nv = -1;
	return rc;
}

static int op_reduce(struct infer_ctx *c)
{
	int rc = need(c, 0);
	const int64_t *axes;
	int na;
	if (rc || (rc = ints_of(c, 1, "axes", &axes, &na)))
		return rc;
	const struct model_val *x = in(c, 0);
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

struct op_rule {
	const char *op_type;
	int (*infer)(struct infer_ctx *c);
	bool macs; /* the operator multiplies: unsized means unknown MACs */
};

/* Elementwise and normalisation ops cost no MACs in this count (REFERENCE
 * §5.3 counts weight multiplications only, as torchvision's figures do). */
static const struct op_rule rules[] = {
	{"Conv", op_conv, true}, {"ConvTranspose", op_convtranspose, true},
	{"Gemm", op_gemm, true}, {"MatMul", op_matmul, true},
	{"MaxPool", op_pool, false}, {"AveragePool", op_pool, false}, {"LpPool", op_pool, false},
	{"GlobalAveragePool", op_global_pool, false}, {"GlobalMaxPool", op_global_pool, false},
	{"Flatten", op_flatten, false}, {"Reshape", op_reshape, false}, {"Transpose", op_transpose, false},
	{"Concat", op_concat, false}, {"Split", op_split, false}, {"Gather", op_gather, false},
	{"Slice", op_slice, false}, {"Squeeze", op_squeeze, false}, {"Unsqueeze", op_unsqueeze, false},
	{"Shape", op_shape, false}, {"Constant", op_constant, false}, {"ConstantOfShape", op_constant_of_shape, false},
	{"Expand", op_expand, false},
	{"ReduceMean", op_reduce, false}, {"ReduceSum", op_reduce, false}, {"ReduceMax", op_reduce, false},
	{"ReduceMin", op_reduce, false}, {"ReduceProd", op_reduce, false}, {"ReduceL2", op_reduce, false},
	{"Add", op_bcast, false}, {"Sub", op_bcast, false}, {"Mul", op_bcast, false}, {"Div", op_bcast, false},
	{"Pow", op_bcast, false}, {"Max", op_bcast, false}, {"Min", op_bcast, false}, {"Sum", op_bcast, false},
	{"Mean", op_bcast, false}, {"Where", op_bcast, false}, {"Equal", op_bcast, false}, {"Less", op_bcast, false},
	{"Greater", op_bcast, false}, {"And", op_bcast, false}, {"Or", op_bcast, false}, {"Mod", op_bcast, false},
	{"PRelu", op_same, false},
	{"Relu", op_same, false}, {"LeakyRelu", op_same, false}, {"Sigmoid", op_same, false}, {"Tanh", op_same, false},
	{"Elu", op_same, false}, {"Selu", op_same, false}, {"Gelu", op_same, false}, {"Erf", op_same, false},
	{"HardSigmoid", op_same, false}, {"HardSwish", op_same, false}, {"Softplus", op_same, false},
	{"Softsign", op_same, false}, {"Mish", op_same, false}, {"Clip", op_same, false}, {"Exp", op_same, false},
	{"Log", op_same, false}, {"Sqrt", op_same, false}, {"Reciprocal", op_same, false}, {"Neg", op_same, false},
	{"Abs", op_same, false}, {"Floor", op_same, false}, {"Ceil", op_same, false}, {"Round", op_same, false},
	{"Sin", op_same, false}, {"Cos", op_same, false}, {"Not", op_same, false}, {"Sign", op_same, false},
	{"Softmax", op_same, false}, {"LogSoftmax", op_same, false}, {"Dropout", op_same, false},
	{"Identity", op_same, false}, {"Cast", op_same, false}, {"CastLike", op_same, false},
	{"BatchNormalization", op_same, false}, {"LayerNormalization", op_same, false},
	{"InstanceNormalization", op_same, false}, {"GroupNormalization", op_same, false},
	{"LRN", op_same, false},
};

int model_infer_node(struct infer_ctx *c, bool *counts_macs)
{
	const char *dom = c->n->domain;
	c->macs = 0;
	c->why[0] = '\0';
	*counts_macs = true;
	if (!*dom || !strcmp(dom, "ai.onnx")) {
		for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
			if (strcmp(rules[i].op_type, c->n->op_type))
				continue;
			*counts_macs = rules[i].macs;
			if (!c->n_out || !c->out[0])
				return UNKNOWN(c, "node has no output");
			return rules[i].infer(c);
		}
	}
	return UNKNOWN(c, "operator %s%s%s is not one aipm can size", dom, *dom ? "." : "", c->n->op_type);
}
