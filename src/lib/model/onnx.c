/* onnx.c: ModelProto → structs (see onnx.h), on top of protobuf.c.
 *
 * Each message is read in two passes over its bytes: the first counts the
 * repeated fields, the second fills arrays of exactly that size. That keeps
 * the code free of growable arrays and makes every index provably in
 * bounds. Unknown fields are skipped (ONNX adds fields every release); a
 * known field with the wrong wire type is corruption and is reported.
 * Nothing here interprets the graph: shapes and counts are infer.c's job.
 */
#include "onnx.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "protobuf.h"

struct onnx_arena {
	struct onnx_arena *next;
	alignas(max_align_t) unsigned char data[];
};

static void *aalloc(struct onnx_model *m, size_t count, size_t size)
{
	if (count && size > (SIZE_MAX - sizeof(struct onnx_arena)) / count)
		return NULL;
	struct onnx_arena *a = calloc(1, sizeof *a + count * size);
	if (!a)
		return NULL;
	a->next = m->arena;
	m->arena = a;
	return a->data;
}

void onnx_model_free(struct onnx_model *m)
{
	while (m->arena) {
		struct onnx_arena *next = m->arena->next;
		free(m->arena);
		m->arena = next;
	}
}

#define OOM() aipm_err(-ENOMEM, "out of memory while reading the ONNX model")

static const char *astr(struct onnx_model *m, const struct aipm_pb_field *f)
{
	char *s = aalloc(m, f->len + 1, 1);
	if (s)
		memcpy(s, f->data, f->len);
	return s;
}

static int want(const struct aipm_pb_field *f, int wire, const char *msg)
{
	if (f->wire == wire)
		return 0;
	return aipm_err(-EBADMSG, "not an ONNX model: %s field %u has wire type %u, expected %d", msg, f->num, f->wire, wire);
}

/* Read a string field into *dst; tolerate repeats (last wins, as protobuf says). */
static int str_field(struct onnx_model *m, const struct aipm_pb_field *f, const char **dst, const char *msg)
{
	int rc = want(f, AIPM_PB_LEN, msg);
	if (rc < 0)
		return rc;
	*dst = astr(m, f);
	return *dst ? 0 : OOM();
}

#define FOR_FIELDS(r, f, rc) while (((rc) = aipm_pb_next((r), &(f))) > 0)

int onnx_dims_elements(const int64_t *dims, size_t rank, uint64_t *out)
{
	uint64_t n = 1;
	/* each dimension is bounded too: after a 0 the product stays 0 and
	 * would let a 2^62 dimension through into the window arithmetic */
	for (size_t i = 0; i < rank; i++)
		if (dims[i] < 0 || dims[i] > ONNX_MAX_ELEMENTS || __builtin_mul_overflow(n, (uint64_t)dims[i], &n) ||
		    n > (uint64_t)ONNX_MAX_ELEMENTS)
			return -EOVERFLOW;
	*out = n;
	return 0;
}

int onnx_tensor_elements(const struct onnx_tensor *t, uint64_t *out)
{
	if (onnx_dims_elements(t->dims, t->rank, out) == 0)
		return 0;
	for (size_t i = 0; i < t->rank; i++)
		if (t->dims[i] < 0)
			return aipm_err(-EOVERFLOW, "tensor '%s' has negative dimension %lld", t->name,
					(long long)t->dims[i]);
	return aipm_err(-EOVERFLOW, "tensor '%s' claims more than 2^48 elements (absurd dimensions)", t->name);
}

/* Integer values of a small INT64/INT32 tensor, from raw_data or the typed
 * repeated fields. Anything odd just leaves the values unknown. */
static int tensor_values(struct onnx_model *m, struct aipm_pb *r, struct onnx_tensor *t)
{
	uint64_t n = 0;
	if ((t->data_type != ONNX_INT64 && t->data_type != ONNX_INT32) || t->external)
		return 0;
	if (onnx_tensor_elements(t, &n) < 0 || n > ONNX_SMALL_VALUES)
		return 0;
	int64_t *v = aalloc(m, n ? n : 1, sizeof *v);
	if (!v)
		return OOM();
	size_t got = 0;
	bool seen = false;
	struct aipm_pb_field f;
	int rc;
	FOR_FIELDS(r, f, rc) {
		if (f.num == 9 && f.wire == AIPM_PB_LEN) {
			unsigned w = t->data_type == ONNX_INT64 ? 8 : 4;
			if (f.len != n * w)
				return 0;
			for (size_t i = 0; i < n; i++) {
				uint64_t u = 0;
				for (unsigned b = 0; b < w; b++)
					u |= (uint64_t)f.data[i * w + b] << (8 * b);
				v[i] = w == 8 ? (int64_t)u : (int64_t)(int32_t)(uint32_t)u;
			}
			got = n;
			seen = true;
		} else if ((f.num == 7 && t->data_type == ONNX_INT64) || (f.num == 5 && t->data_type == ONNX_INT32)) {
			if ((rc = aipm_pb_int64s(r, &f, v, n, &got)) < 0)
				return rc;
			seen = true;
		}
	}
	if (rc < 0)
		return rc;
	if (seen && got == n) {
		if (t->data_type == ONNX_INT32)
			for (size_t i = 0; i < n; i++)
				v[i] = (int32_t)v[i];
		t->vals = v;
		t->n_vals = n;
	}
	return 0;
}

static int parse_tensor(struct onnx_model *m, const struct aipm_pb *r, struct onnx_tensor *t)
{
	struct aipm_pb it = *r;
	struct aipm_pb_field f;
	size_t ndims = 0;
	int rc;
	FOR_FIELDS(&it, f, rc) {
		if (f.num == 1 && (rc = aipm_pb_int64s(&it, &f, NULL, 0, &ndims)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (ndims > 64)
		return aipm_err(-EBADMSG, "tensor with %zu dimensions (absurd; ONNX tensors have a handful)", ndims);
	t->dims = aalloc(m, ndims ? ndims : 1, sizeof *t->dims);
	if (!t->dims)
		return OOM();
	t->name = "";
	it = *r;
	size_t n = 0;
	FOR_FIELDS(&it, f, rc) {
		switch (f.num) {
		case 1: rc = aipm_pb_int64s(&it, &f, t->dims, ndims, &n); break;
		case 2: rc = want(&f, AIPM_PB_VARINT, "TensorProto.data_type"); t->data_type = (int32_t)f.u; break;
		case 8: rc = str_field(m, &f, &t->name, "TensorProto.name"); break;
		case 14: rc = want(&f, AIPM_PB_VARINT, "TensorProto.data_location"); t->external = f.u == 1; break;
		default: break;
		}
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	t->rank = ndims;
	uint64_t elems;
	if ((rc = onnx_tensor_elements(t, &elems)) < 0)
		return rc;
	it = *r;
	return tensor_values(m, &it, t);
}

/* TensorShapeProto.Dimension: dim_value 1, dim_param 2. */
static int parse_dim(struct onnx_model *m, const struct aipm_pb *r, int64_t *d, const char **param)
{
	struct aipm_pb_field f;
	int rc;
	*d = -1;
	FOR_FIELDS((struct aipm_pb *)r, f, rc) {
		if (f.num == 1) {
			if ((rc = want(&f, AIPM_PB_VARINT, "Dimension.dim_value")) < 0)
				return rc;
			*d = (int64_t)f.u;
			*param = NULL;
		} else if (f.num == 2 && (rc = str_field(m, &f, param, "Dimension.dim_param")) < 0) {
			return rc;
		}
	}
	return rc;
}

static int parse_shape(struct onnx_model *m, const struct aipm_pb *r, struct onnx_value *v)
{
	struct aipm_pb it = *r;
	struct aipm_pb_field f;
	int rc, n = 0;
	FOR_FIELDS(&it, f, rc) n += f.num == 1;
	if (rc < 0)
		return rc;
	if (n > 64)
		return aipm_err(-EBADMSG, "value '%s' has %d dimensions (absurd)", v->name, n);
	v->dims = aalloc(m, n ? n : 1, sizeof *v->dims);
	v->params = aalloc(m, n ? n : 1, sizeof *v->params);
	if (!v->dims || !v->params)
		return OOM();
	it = *r;
	v->rank = 0;
	FOR_FIELDS(&it, f, rc) {
		if (f.num != 1)
			continue;
		if ((rc = want(&f, AIPM_PB_LEN, "TensorShapeProto.dim")) < 0)
			return rc;
		struct aipm_pb sub;
		aipm_pb_sub(&it, &f, &sub);
		if ((rc = parse_dim(m, &sub, &v->dims[v->rank], &v->params[v->rank])) < 0)
			return rc;
		v->rank++;
	}
	return rc;
}

/* ValueInfoProto → TypeProto.tensor_type → elem_type, shape. Sequences,
 * maps and the like keep rank -1: they are simply not sized. */
static int parse_value(struct onnx_model *m, const struct aipm_pb *r, struct onnx_value *v)
{
	struct aipm_pb it = *r, ty, tt;
	struct aipm_pb_field f, g, h;
	int rc, rc2, rc3;
	v->name = "";
	v->rank = -1;
	FOR_FIELDS(&it, f, rc) {
		if (f.num == 1 && (rc = str_field(m, &f, &v->name, "ValueInfoProto.name")) < 0)
			return rc;
		if (f.num != 2)
			continue;
		if ((rc = want(&f, AIPM_PB_LEN, "ValueInfoProto.type")) < 0)
			return rc;
		aipm_pb_sub(&it, &f, &ty);
		FOR_FIELDS(&ty, g, rc2) {
			if (g.num != 1)
				continue;
			if ((rc2 = want(&g, AIPM_PB_LEN, "TypeProto.tensor_type")) < 0)
				return rc2;
			aipm_pb_sub(&ty, &g, &tt);
			FOR_FIELDS(&tt, h, rc3) {
				if (h.num == 1 && h.wire == AIPM_PB_VARINT)
					v->elem_type = (int32_t)h.u;
				if (h.num == 2 && h.wire == AIPM_PB_LEN) {
					struct aipm_pb sh;
					aipm_pb_sub(&tt, &h, &sh);
					if ((rc3 = parse_shape(m, &sh, v)) < 0)
						return rc3;
				}
			}
			if (rc3 < 0)
				return rc3;
		}
		if (rc2 < 0)
			return rc2;
	}
	return rc;
}

static int parse_attr(struct onnx_model *m, const struct aipm_pb *r, struct onnx_attr *a)
{
	struct aipm_pb it = *r;
	struct aipm_pb_field f;
	size_t nints = 0;
	int rc;
	FOR_FIELDS(&it, f, rc) {
		if (f.num == 8 && (rc = aipm_pb_int64s(&it, &f, NULL, 0, &nints)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	a->ints = aalloc(m, nints ? nints : 1, sizeof *a->ints);
	if (!a->ints)
		return OOM();
	a->name = "";
	it = *r;
	size_t n = 0;
	FOR_FIELDS(&it, f, rc) {
		switch (f.num) {
		case 1: rc = str_field(m, &f, &a->name, "AttributeProto.name"); break;
		case 2: rc = want(&f, AIPM_PB_I32, "AttributeProto.f"); a->f = aipm_pb_float(&f); break;
		case 3: rc = want(&f, AIPM_PB_VARINT, "AttributeProto.i"); a->i = (int64_t)f.u; break;
		case 4: rc = str_field(m, &f, &a->s, "AttributeProto.s"); break;
		case 5:
			if ((rc = want(&f, AIPM_PB_LEN, "AttributeProto.t")) < 0)
				break;
			a->t = aalloc(m, 1, sizeof *a->t);
			if (!a->t)
				return OOM();
			struct aipm_pb sub;
			aipm_pb_sub(&it, &f, &sub);
			rc = parse_tensor(m, &sub, a->t);
			break;
		case 7: a->n_floats += f.wire == AIPM_PB_LEN ? f.len / 4 : 1; break;
		case 8: rc = aipm_pb_int64s(&it, &f, a->ints, nints, &n); break;
		case 20: rc = want(&f, AIPM_PB_VARINT, "AttributeProto.type"); a->type = (int32_t)f.u; break;
		default: break;
		}
		if (rc < 0)
			return rc;
	}
	a->n_ints = nints;
	return rc;
}

static int parse_node(struct onnx_model *m, const struct aipm_pb *r, struct onnx_node *nd)
{
	struct aipm_pb it = *r;
	struct aipm_pb_field f;
	size_t cnt[6] = {0};
	int rc;
	FOR_FIELDS(&it, f, rc) if (f.num < 6) cnt[f.num]++;
	if (rc < 0)
		return rc;
	nd->in = aalloc(m, cnt[1] + 1, sizeof *nd->in);
	nd->out = aalloc(m, cnt[2] + 1, sizeof *nd->out);
	nd->attrs = aalloc(m, cnt[5] + 1, sizeof *nd->attrs);
	if (!nd->in || !nd->out || !nd->attrs)
		return OOM();
	nd->name = nd->op_type = nd->domain = "";
	it = *r;
	FOR_FIELDS(&it, f, rc) {
		switch (f.num) {
		case 1: rc = str_field(m, &f, &nd->in[nd->n_in++], "NodeProto.input"); break;
		case 2: rc = str_field(m, &f, &nd->out[nd->n_out++], "NodeProto.output"); break;
		case 3: rc = str_field(m, &f, &nd->name, "NodeProto.name"); break;
		case 4: rc = str_field(m, &f, &nd->op_type, "NodeProto.op_type"); break;
		case 7: rc = str_field(m, &f, &nd->domain, "NodeProto.domain"); break;
		case 5:
			if ((rc = want(&f, AIPM_PB_LEN, "NodeProto.attribute")) < 0)
				break;
			struct aipm_pb sub;
			aipm_pb_sub(&it, &f, &sub);
			rc = parse_attr(m, &sub, &nd->attrs[nd->n_attrs++]);
			break;
		default: break;
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

static int parse_graph(struct onnx_model *m, const struct aipm_pb *r)
{
	struct onnx_graph *g = &m->g;
	struct aipm_pb it = *r;
	struct aipm_pb_field f;
	size_t cnt[14] = {0};
	int rc;
	FOR_FIELDS(&it, f, rc) if (f.num < 14) cnt[f.num]++;
	if (rc < 0)
		return rc;
	g->nodes = aalloc(m, cnt[1] + 1, sizeof *g->nodes);
	g->inits = aalloc(m, cnt[5] + 1, sizeof *g->inits);
	g->inputs = aalloc(m, cnt[11] + 1, sizeof *g->inputs);
	g->outputs = aalloc(m, cnt[12] + 1, sizeof *g->outputs);
	g->vis = aalloc(m, cnt[13] + 1, sizeof *g->vis);
	if (!g->nodes || !g->inits || !g->inputs || !g->outputs || !g->vis)
		return OOM();
	it = *r;
	FOR_FIELDS(&it, f, rc) {
		struct aipm_pb sub;
		if (f.num != 1 && f.num != 5 && (f.num < 11 || f.num > 13))
			continue;
		if ((rc = want(&f, AIPM_PB_LEN, "GraphProto")) < 0)
			return rc;
		aipm_pb_sub(&it, &f, &sub);
		switch (f.num) {
		case 1:
			rc = parse_node(m, &sub, &g->nodes[g->n_nodes]);
			if (rc < 0)
				return aipm_err_wrap(rc, "node %zu", g->n_nodes);
			g->n_nodes++;
			break;
		case 5:
			rc = parse_tensor(m, &sub, &g->inits[g->n_inits]);
			if (rc < 0)
				return aipm_err_wrap(rc, "initializer %zu", g->n_inits);
			g->n_inits++;
			break;
		case 11: rc = parse_value(m, &sub, &g->inputs[g->n_inputs++]); break;
		case 12: rc = parse_value(m, &sub, &g->outputs[g->n_outputs++]); break;
		case 13: rc = parse_value(m, &sub, &g->vis[g->n_vis++]); break;
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

int onnx_model_parse(const uint8_t *buf, size_t len, struct onnx_model *m)
{
	memset(m, 0, sizeof *m);
	struct aipm_pb r;
	struct aipm_pb_field f;
	const struct aipm_pb_field *graph = NULL;
	struct aipm_pb_field gf;
	bool have_ir = false;
	int rc;
	m->producer = m->producer_version = "";
	aipm_pb_init(&r, buf, buf, len);
	FOR_FIELDS(&r, f, rc) {
		switch (f.num) {
		case 1: rc = want(&f, AIPM_PB_VARINT, "ModelProto.ir_version"); m->ir_version = (int64_t)f.u; have_ir = true; break;
		case 2: rc = str_field(m, &f, &m->producer, "ModelProto.producer_name"); break;
		case 3: rc = str_field(m, &f, &m->producer_version, "ModelProto.producer_version"); break;
		case 7: rc = want(&f, AIPM_PB_LEN, "ModelProto.graph"); gf = f; graph = &gf; break;
		case 8: {
			if ((rc = want(&f, AIPM_PB_LEN, "ModelProto.opset_import")) < 0)
				break;
			/* OperatorSetIdProto: domain 1, version 2; the default domain is "" or "ai.onnx". */
			struct aipm_pb sub;
			struct aipm_pb_field o;
			bool dflt = true;
			int64_t ver = 0;
			aipm_pb_sub(&r, &f, &sub);
			FOR_FIELDS(&sub, o, rc) {
				if (o.num == 1 && o.wire == AIPM_PB_LEN)
					dflt = o.len == 0 || (o.len == 7 && !memcmp(o.data, "ai.onnx", 7));
				if (o.num == 2 && o.wire == AIPM_PB_VARINT)
					ver = (int64_t)o.u;
			}
			if (dflt && rc == 0)
				m->opset = ver;
			break;
		}
		default: break;
		}
		if (rc < 0)
			goto fail;
	}
	if (rc < 0) {
		/* damage in the outermost message usually means it is not ONNX at all */
		rc = aipm_err_wrap(rc, "not a valid ONNX model");
		goto fail;
	}
	if (!graph || !have_ir) {
		rc = aipm_err(-EBADMSG, "not an ONNX model: no %s found (an .onnx file is a serialized ModelProto)",
			      graph ? "ir_version" : "graph");
		goto fail;
	}
	struct aipm_pb sub;
	aipm_pb_sub(&r, graph, &sub);
	if ((rc = parse_graph(m, &sub)) < 0)
		goto fail;
	return 0;
fail:
	onnx_model_free(m);
	return rc;
}

const struct onnx_attr *onnx_attr_find(const struct onnx_node *n, const char *name)
{
	for (size_t i = 0; i < n->n_attrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	return NULL;
}

int64_t onnx_attr_int(const struct onnx_node *n, const char *name, int64_t dflt)
{
	const struct onnx_attr *a = onnx_attr_find(n, name);
	return a ? a->i : dflt;
}

const char *onnx_attr_str(const struct onnx_node *n, const char *name, const char *dflt)
{
	const struct onnx_attr *a = onnx_attr_find(n, name);
	return a && a->s ? a->s : dflt;
}
