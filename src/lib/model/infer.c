/* infer.c: the operator table and the operators that multiply (see
 * infer.h and infer_ops.h).
 *
 * One static table maps op_type to a shape function and says whether the
 * operator multiplies at all. Shape functions return INFER_UNKNOWN with a
 * reason rather than guessing: a wrong shape upstream would silently skew
 * every MAC count downstream, while an unknown one is reported. Formulas
 * follow the ONNX operator docs (REFERENCE §5.3); arithmetic on
 * dimensions is checked, since dims come from untrusted files. The
 * operators that only move data live in infer_shape.c, elementwise ones in
 * infer_values.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "infer_ops.h"

void model_val_set_unknown(struct model_val *v)
{
	v->rank = -1;
	v->nv = -1;
}

static int mul(struct infer_ctx *c, uint64_t *a, int64_t b)
{
	if (b < 0)
		return aipm_err(-EOVERFLOW, "node '%s' (%s): negative dimension %lld in a MAC count", c->n->name,
				c->n->op_type, (long long)b);
	if (b == 0) {
		*a = 0;
		c->macs_overflow = false;
	} else if (__builtin_mul_overflow(*a, (uint64_t)b, a)) {
		*a = UINT64_MAX;
		c->macs_overflow = true;
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
	{"Pad", op_pad, false}, {"Shape", op_shape, false}, {"Constant", op_constant, false},
	{"ConstantOfShape", op_constant_of_shape, false}, {"Expand", op_expand, false}, {"Range", op_range, false},
	{"ScatterND", op_scatter, false}, {"ScatterElements", op_scatter, false},
	{"ReduceMean", op_reduce, false}, {"ReduceSum", op_reduce, false}, {"ReduceMax", op_reduce, false},
	{"ReduceMin", op_reduce, false}, {"ReduceProd", op_reduce, false}, {"ReduceL2", op_reduce, false},
	{"Add", op_bcast, false}, {"Sub", op_bcast, false}, {"Mul", op_bcast, false}, {"Div", op_bcast, false},
	{"Mod", op_bcast, false}, {"Pow", op_bcast, false}, {"Max", op_bcast, false}, {"Min", op_bcast, false},
	{"Sum", op_bcast, false}, {"Mean", op_bcast, false}, {"Where", op_bcast, false},
	{"Equal", op_bcast, false}, {"Less", op_bcast, false}, {"Greater", op_bcast, false},
	{"LessOrEqual", op_bcast, false}, {"GreaterOrEqual", op_bcast, false}, {"And", op_bcast, false},
	{"Or", op_bcast, false}, {"Xor", op_bcast, false}, {"PRelu", op_bcast, false},
	{"Neg", op_unary, false}, {"Abs", op_unary, false}, {"Not", op_unary, false}, {"Sign", op_unary, false},
	{"Relu", op_unary, false},
	{"Identity", op_keep, false}, {"Dropout", op_keep, false}, {"Cast", op_cast, false},
	{"CastLike", op_cast, false},
	{"LeakyRelu", op_same, false}, {"Sigmoid", op_same, false}, {"Tanh", op_same, false},
	{"Elu", op_same, false}, {"Selu", op_same, false}, {"Gelu", op_same, false}, {"Erf", op_same, false},
	{"HardSigmoid", op_same, false}, {"HardSwish", op_same, false}, {"Softplus", op_same, false},
	{"Softsign", op_same, false}, {"Mish", op_same, false}, {"Clip", op_same, false}, {"Exp", op_same, false},
	{"Log", op_same, false}, {"Sqrt", op_same, false}, {"Reciprocal", op_same, false},
	{"Floor", op_same, false}, {"Ceil", op_same, false}, {"Round", op_same, false},
	{"Sin", op_same, false}, {"Cos", op_same, false}, {"Softmax", op_same, false},
	{"LogSoftmax", op_same, false}, {"BatchNormalization", op_same, false},
	{"LayerNormalization", op_same, false}, {"InstanceNormalization", op_same, false},
	{"GroupNormalization", op_same, false}, {"LRN", op_same, false},
};

int model_infer_node(struct infer_ctx *c, bool *counts_macs)
{
	const char *dom = c->n->domain;
	c->macs = 0;
	c->macs_overflow = false;
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
