/* analyze.c: the graph walk behind aipm_model_analyze (see model.h).
 *
 * It owns the value table (one entry per tensor name, hashed), the
 * topological order (Kahn's algorithm, which is also how a cycle is found
 * instead of looping forever), the counting rules for parameters, and the
 * per-operator totals. Shapes and MACs of single nodes come from infer.c;
 * turning the result into JSON or text is summary.c's job.
 */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "file.h"
#include "infer.h"
#include "onnx.h"

struct walk {
	struct onnx_model m;
	struct model_val *vals;
	size_t n_vals, cap;
	size_t *hash; /* index + 1, 0 = empty; capacity a power of two */
	size_t hcap;
	long *order;
	struct aipm_model_summary *s;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static struct model_val *find(struct walk *w, const char *name)
{
	for (size_t i = hash_str(name) & (w->hcap - 1);; i = (i + 1) & (w->hcap - 1)) {
		if (!w->hash[i])
			return NULL;
		if (!strcmp(w->vals[w->hash[i] - 1].name, name))
			return &w->vals[w->hash[i] - 1];
	}
}

/* Add a value; a name defined twice breaks ONNX's single assignment and
 * would make counts depend on which definition wins. */
static struct model_val *add(struct walk *w, const char *name, long producer)
{
	struct model_val *old = find(w, name);
	if (old)
		return aipm_err(-EBADMSG, "value '%s' is defined twice (as an initializer, graph input or node output)",
				name), NULL;
	size_t i = hash_str(name) & (w->hcap - 1);
	while (w->hash[i])
		i = (i + 1) & (w->hcap - 1);
	struct model_val *v = &w->vals[w->n_vals];
	*v = (struct model_val){.name = name, .producer = producer};
	model_val_set_unknown(v);
	w->hash[i] = ++w->n_vals;
	return v;
}

static bool is_float(int32_t t) { return t == 1 || t == 10 || t == 11 || (t >= 16 && t <= 20); }

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	return d;
}

int aipm_model_shape_parse(const char *spec, char *name, size_t name_size, int64_t *dims, int *rank)
{
	const char *eq = strrchr(spec, '=');
	if (!eq || eq == spec || (size_t)(eq - spec) >= name_size || !eq[1])
		return aipm_err(-EINVAL, "--input-shape '%s' is not NAME=DIMS. Give e.g. --input-shape input=1x3x224x224",
				spec);
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	int r = 0;
	for (const char *p = eq + 1;;) {
		char *end;
		if (*p < '0' || *p > '9' || r == AIPM_MODEL_MAX_RANK)
			goto bad;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno || v < 1 || v > (1ull << 40))
			goto bad;
		dims[r++] = (int64_t)v;
		if (!*end)
			break;
		if (*end != 'x' && *end != 'X' && *end != ',')
			goto bad;
		p = end + 1;
	}
	*rank = r;
	return 0;
bad:
	return aipm_err(-EINVAL, "--input-shape '%s': dimensions must be 1 to %d positive integers joined by 'x' "
			"(each at most 2^40). Give e.g. --input-shape %s=1x3x224x224", spec, AIPM_MODEL_MAX_RANK, name);
}

/* Graph inputs that are not initializers get their shape from the file or
 * from --input-shape; a symbolic dimension without one is an error that
 * names the input and the flag. */
static int add_inputs(struct walk *w, const char *const *shapes, size_t n_shapes)
{
	char name[256];
	int64_t dims[AIPM_MODEL_MAX_RANK];
	int rank, rc;
	for (size_t k = 0; k < n_shapes; k++) {
		if ((rc = aipm_model_shape_parse(shapes[k], name, sizeof name, dims, &rank)) < 0)
			return rc;
		bool found = false;
		for (size_t i = 0; i < w->m.g.n_inputs; i++)
			found |= !strcmp(w->m.g.inputs[i].name, name) && !find(w, name);
		if (!found)
			return aipm_err(-EINVAL, "--input-shape names '%s', which is not an input of the model (its inputs: %s%s)",
					name, w->m.g.n_inputs ? w->m.g.inputs[0].name : "none",
					w->m.g.n_inputs > 1 ? ", ..." : "");
	}
	for (size_t i = 0; i < w->m.g.n_inputs; i++) {
		const struct onnx_value *in = &w->m.g.inputs[i];
		if (find(w, in->name))
			continue; /* old exporters list initializers as inputs too */
		struct model_val *v = add(w, in->name, -1);
		if (!v)
			return -EBADMSG;
		bool given = false;
		for (size_t k = 0; k < n_shapes; k++) {
			aipm_model_shape_parse(shapes[k], name, sizeof name, dims, &rank);
			if (strcmp(name, in->name))
				continue;
			if (in->rank >= 0 && in->rank != rank)
				return aipm_err(-EINVAL, "--input-shape %s has %d dimensions but input '%s' has %d",
						shapes[k], rank, in->name, in->rank);
			uint64_t elems;
			if (onnx_dims_elements(dims, (size_t)rank, &elems) < 0)
				return aipm_err(-EINVAL, "--input-shape %s: more than 2^48 elements. Give the real shape",
						shapes[k]);
			v->rank = rank;
			memcpy(v->d, dims, sizeof dims);
			given = true;
		}
		if (given)
			continue;
		if (in->rank < 0 || in->rank > MODEL_MAX_RANK)
			return aipm_err(-EINVAL, "input '%s' has no usable declared shape. Give it with --input-shape %s=DIMxDIM...",
					in->name, in->name);
		for (int d = 0; d < in->rank; d++)
			if (in->dims[d] < 0)
				return aipm_err(-EINVAL, "input '%s' has a symbolic dimension '%s' (dimension %d). "
						"Give a concrete shape with --input-shape %s=1x...",
						in->name, in->params[d] ? in->params[d] : "?", d, in->name);
		uint64_t elems;
		if (onnx_dims_elements(in->dims, (size_t)in->rank, &elems) < 0)
			return aipm_err(-EOVERFLOW, "input '%s' declares absurd dimensions (more than 2^48 elements). "
					"Give its real shape with --input-shape %s=1x...", in->name, in->name);
		v->rank = in->rank;
		memcpy(v->d, in->dims, (size_t)in->rank * sizeof *v->d);
	}
	return 0;
}

static int add_values(struct walk *w, const char *const *shapes, size_t n_shapes)
{
	const struct onnx_graph *g = &w->m.g;
	int rc;
	for (size_t i = 0; i < g->n_inits; i++) {
		const struct onnx_tensor *t = &g->inits[i];
		struct model_val *v = add(w, t->name, -1);
		if (!v)
			return -EBADMSG;
		if ((rc = onnx_tensor_elements(t, &v->elems)) < 0)
			return rc;
		v->weight = true;
		v->dtype = t->data_type;
		if (t->rank <= MODEL_MAX_RANK) {
			v->rank = (int)t->rank;
			memcpy(v->d, t->dims, t->rank * sizeof *t->dims);
		}
		if (t->vals && t->n_vals <= MODEL_MAX_VALS) {
			v->nv = (int)t->n_vals;
			memcpy(v->v, t->vals, t->n_vals * sizeof *t->vals);
		}
	}
	if ((rc = add_inputs(w, shapes, n_shapes)) < 0)
		return rc;
	for (size_t i = 0; i < g->n_nodes; i++)
		for (size_t k = 0; k < g->nodes[i].n_out; k++)
			if (*g->nodes[i].out[k] && !add(w, g->nodes[i].out[k], (long)i))
				return aipm_err_wrap(-EBADMSG, "node '%s' (%s)", g->nodes[i].name, g->nodes[i].op_type);
	/* declared shapes: a fallback where inference gives up */
	for (size_t i = 0; i < g->n_vis + g->n_outputs; i++) {
		const struct onnx_value *d = i < g->n_vis ? &g->vis[i] : &g->outputs[i - g->n_vis];
		struct model_val *v = find(w, d->name);
		if (v)
			v->decl = d;
	}
	return 0;
}

/* Kahn's algorithm: a node is ready when every input made by another node
 * is done. Nodes left over sit on a cycle. */
static int topo_order(struct walk *w)
{
	const struct onnx_graph *g = &w->m.g;
	size_t n = g->n_nodes, total = 0, head = 0, tail = 0;
	size_t *indeg = calloc(n + 1, sizeof *indeg), *start = calloc(n + 2, sizeof *start), *adj = NULL;
	int rc = 0;
	w->order = calloc(n + 1, sizeof *w->order);
	if (!indeg || !start || !w->order) {
		rc = aipm_err(-ENOMEM, "out of memory ordering the graph");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < g->nodes[i].n_in; k++) {
			const char *nm = g->nodes[i].in[k];
			struct model_val *v = *nm ? find(w, nm) : NULL;
			if (*nm && !v) {
				rc = aipm_err(-EBADMSG, "node '%s' (%s) reads '%s', which no node, initializer or graph input provides",
					      g->nodes[i].name, g->nodes[i].op_type, nm);
				goto out;
			}
			if (v && v->producer >= 0) {
				indeg[i]++;
				start[v->producer]++;
				total++;
			}
		}
	/* consumers of node p live in adj[start[p] .. start[p+1]) */
	for (size_t i = 0, acc = 0; i <= n; i++) {
		size_t c = start[i];
		start[i] = acc;
		acc += c;
	}
	start[n + 1] = total;
	adj = calloc(total + 1, sizeof *adj);
	size_t *fill = calloc(n + 1, sizeof *fill);
	if (!adj || !fill) {
		free(fill);
		rc = aipm_err(-ENOMEM, "out of memory ordering the graph");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < g->nodes[i].n_in; k++) {
			struct model_val *v = *g->nodes[i].in[k] ? find(w, g->nodes[i].in[k]) : NULL;
			if (v && v->producer >= 0)
				adj[start[v->producer] + fill[v->producer]++] = i;
		}
	free(fill);
	for (size_t i = 0; i < n; i++)
		if (!indeg[i])
			w->order[tail++] = (long)i;
	while (head < tail) {
		size_t p = (size_t)w->order[head++];
		for (size_t e = start[p]; e < start[p + 1]; e++)
			if (--indeg[adj[e]] == 0)
				w->order[tail++] = (long)adj[e];
	}
	if (tail < n) {
		for (size_t i = 0; i < n; i++)
			if (indeg[i]) {
				rc = aipm_err(-ELOOP, "the graph has a cycle through node '%s' (#%zu, %s); an ONNX graph must be acyclic",
					      g->nodes[i].name, i, g->nodes[i].op_type);
				break;
			}
	}
out:
	free(indeg);
	free(start);
	free(adj);
	return rc;
}

static struct aipm_model_op *op_entry(struct aipm_model_summary *s, const char *op_type)
{
	for (size_t i = 0; i < s->n_ops; i++)
		if (!strcmp(s->ops[i].op_type, op_type))
			return &s->ops[i];
	struct aipm_model_op *ops = realloc(s->ops, (s->n_ops + 1) * sizeof *ops);
	if (!ops)
		return NULL;
	s->ops = ops;
	ops[s->n_ops] = (struct aipm_model_op){.op_type = xstrdup(op_type)};
	return ops[s->n_ops].op_type ? &ops[s->n_ops++] : NULL;
}

static int note_unsized(struct aipm_model_summary *s, const struct onnx_node *nd, long idx, const char *why)
{
	struct aipm_model_unsized *u = realloc(s->unsized, (s->n_unsized + 1) * sizeof *u);
	if (!u)
		return aipm_err(-ENOMEM, "out of memory");
	s->unsized = u;
	char num[32];
	snprintf(num, sizeof num, "#%ld", idx);
	u[s->n_unsized++] = (struct aipm_model_unsized){xstrdup(nd->op_type), xstrdup(*nd->name ? nd->name : num),
							 xstrdup(why)};
	return 0;
}

/* Every shape that leaves a node is checked here, once: dims come from
 * untrusted files and feed multiplications everywhere downstream. */
static int check_size(const struct onnx_node *nd, const struct model_val *v)
{
	uint64_t n;
	if (onnx_dims_elements(v->d, (size_t)v->rank, &n) < 0)
		return aipm_err(-EOVERFLOW, "node '%s' (%s): output '%s' would have absurd dimensions "
				"(negative or more than 2^48 elements)", nd->name, nd->op_type, v->name);
	return 0;
}

/* a += b saturating at UINT64_MAX: a wrapped total is a wrong number, a
 * saturated one is a lower bound the summary flags. true if it saturated. */
static bool sat_add(uint64_t *a, uint64_t b)
{
	if (!__builtin_add_overflow(*a, b, a))
		return false;
	*a = UINT64_MAX;
	return true;
}

static int run_node(struct walk *w, long idx)
{
	const struct onnx_node *nd = &w->m.g.nodes[idx];
	struct model_val *ins[64] = {0}, *outs[64] = {0};
	if (nd->n_in > 64 || nd->n_out > 64)
		return note_unsized(w->s, nd, idx, "more than 64 inputs or outputs");
	for (size_t k = 0; k < nd->n_in; k++)
		ins[k] = *nd->in[k] ? find(w, nd->in[k]) : NULL;
	for (size_t k = 0; k < nd->n_out; k++)
		outs[k] = *nd->out[k] ? find(w, nd->out[k]) : NULL;
	struct infer_ctx c = {.n = nd, .in = ins, .out = outs, .n_in = nd->n_in, .n_out = nd->n_out,
			      .opset = w->m.opset};
	bool counts;
	int rc = model_infer_node(&c, &counts);
	if (rc < 0)
		return rc;
	struct aipm_model_op *op = op_entry(w->s, nd->op_type);
	if (!op)
		return aipm_err(-ENOMEM, "out of memory");
	op->nodes++;
	if (rc == INFER_OK) {
		bool over = sat_add(&op->macs, c.macs);
		over |= sat_add(&w->s->macs, c.macs);
		w->s->macs_overflow |= over || c.macs_overflow;
	} else if (counts && (rc = note_unsized(w->s, nd, idx, c.why)) < 0) {
		return rc;
	}
	for (size_t k = 0; k < nd->n_out; k++) {
		struct model_val *o = outs[k];
		if (!o)
			continue;
		const struct onnx_value *d = o->decl;
		if (o->rank < 0 && d && d->rank >= 0 && d->rank <= MODEL_MAX_RANK) {
			bool concrete = true;
			for (int i = 0; i < d->rank; i++)
				concrete &= d->dims[i] >= 0;
			if (concrete) {
				o->rank = d->rank;
				memcpy(o->d, d->dims, (size_t)d->rank * sizeof *o->d);
			}
		}
		if (o->rank >= 0 && (rc = check_size(nd, o)) < 0)
			return rc;
	}
	/* weights that are not initializers: a Constant holding a weight
	 * tensor, an Identity aliasing one */
	const struct onnx_attr *a = onnx_attr_find(nd, "value");
	if (!strcmp(nd->op_type, "Constant") && outs[0] && a && a->t && is_float(a->t->data_type)) {
		uint64_t n;
		if ((rc = onnx_tensor_elements(a->t, &n)) < 0)
			return rc;
		if (n > 1) {
			outs[0]->weight = true;
			outs[0]->elems = n;
			outs[0]->dtype = a->t->data_type;
		}
	}
	if (!strcmp(nd->op_type, "Identity") && nd->n_in && ins[0] && ins[0]->weight && outs[0]) {
		outs[0]->weight = true;
		outs[0]->elems = ins[0]->elems;
		outs[0]->dtype = ins[0]->dtype;
	}
	return 0;
}

/* BatchNormalization's running mean and variance (inputs 3 and 4) are
 * buffers; a tensor is one when every real use is such an input.
 * Identity uses are aliases, not uses. Integer tensors (shapes, index
 * tables such as Swin's relative_position_index) are constants, not
 * parameters: torch counts neither. Parameters are credited to the first
 * operator that reads them, in topological order. Each tensor is at most
 * 2^48 elements but a file can hold many: sums past 2^60 are refused. */
static int count_params(struct walk *w)
{
	const struct onnx_graph *g = &w->m.g;
	struct aipm_model_summary *s = w->s;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct onnx_node *nd = &g->nodes[i];
		if (!strcmp(nd->op_type, "Identity"))
			continue;
		bool bn = !strcmp(nd->op_type, "BatchNormalization");
		for (size_t k = 0; k < nd->n_in; k++) {
			struct model_val *v = *nd->in[k] ? find(w, nd->in[k]) : NULL;
			if (v && v->weight) {
				v->uses++;
				v->bn_stat_uses += bn && (k == 3 || k == 4);
			}
		}
	}
	for (size_t i = 0; i < w->n_vals; i++) {
		struct model_val *v = &w->vals[i];
		if (!v->weight)
			continue;
		v->buffer = (v->uses && v->uses == v->bn_stat_uses) || !is_float(v->dtype);
		uint64_t *sum = !is_float(v->dtype) ? &s->int_constants : v->buffer ? &s->params_buffers : &s->params_total;
		if (__builtin_add_overflow(*sum, v->elems, sum) || *sum > (UINT64_C(1) << 60))
			return aipm_err(-EOVERFLOW, "the initializers claim more than 2^60 elements in all (absurd dimensions)");
	}
	s->params_trainable = s->params_total;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct onnx_node *nd = &g->nodes[w->order[i]];
		if (!strcmp(nd->op_type, "Identity"))
			continue;
		for (size_t k = 0; k < nd->n_in; k++) {
			struct model_val *v = *nd->in[k] ? find(w, nd->in[k]) : NULL;
			if (!v || !v->weight || v->buffer || v->attributed)
				continue;
			v->attributed = true;
			struct aipm_model_op *op = op_entry(s, nd->op_type);
			if (!op)
				return aipm_err(-ENOMEM, "out of memory");
			op->params += v->elems;
		}
	}
	return 0;
}

static int cmp_op(const void *pa, const void *pb)
{
	const struct aipm_model_op *a = pa, *b = pb;
	if (a->macs != b->macs)
		return a->macs < b->macs ? 1 : -1;
	if (a->params != b->params)
		return a->params < b->params ? 1 : -1;
	return strcmp(a->op_type, b->op_type);
}

static int fill_io(struct walk *w, const struct onnx_value *list, size_t n, struct aipm_model_io **out, size_t *nout)
{
	*out = calloc(n + 1, sizeof **out);
	if (!*out)
		return aipm_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct model_val *v = find(w, list[i].name);
		if (v && v->producer < 0 && v->weight)
			continue; /* an initializer listed as an input */
		struct aipm_model_io *io = &(*out)[(*nout)++];
		io->name = xstrdup(list[i].name);
		io->rank = v ? v->rank : -1;
		if (v && v->rank >= 0)
			memcpy(io->dims, v->d, (size_t)v->rank * sizeof *v->d);
	}
	return 0;
}

static int walk_graph(struct walk *w, const char *const *shapes, size_t n_shapes)
{
	const struct onnx_graph *g = &w->m.g;
	int rc;
	w->cap = g->n_inits + g->n_inputs + 1;
	for (size_t i = 0; i < g->n_nodes; i++)
		w->cap += g->nodes[i].n_out;
	for (w->hcap = 16; w->hcap < 2 * w->cap; w->hcap *= 2)
		;
	w->vals = calloc(w->cap, sizeof *w->vals);
	w->hash = calloc(w->hcap, sizeof *w->hash);
	if (!w->vals || !w->hash)
		return aipm_err(-ENOMEM, "out of memory for %zu values", w->cap);
	if ((rc = add_values(w, shapes, n_shapes)) < 0 || (rc = topo_order(w)) < 0)
		return rc;
	for (size_t i = 0; i < g->n_nodes; i++)
		if ((rc = run_node(w, w->order[i])) < 0)
			return rc;
	if ((rc = count_params(w)) < 0)
		return rc;
	if (w->s->n_ops)
		qsort(w->s->ops, w->s->n_ops, sizeof *w->s->ops, cmp_op);
	w->s->nodes = g->n_nodes;
	w->s->opset = w->m.opset;
	size_t plen = strlen(w->m.producer) + strlen(w->m.producer_version) + 2;
	w->s->producer = malloc(plen);
	if (w->s->producer)
		snprintf(w->s->producer, plen, "%s%s%s", w->m.producer, *w->m.producer_version ? " " : "",
			 w->m.producer_version);
	if ((rc = fill_io(w, g->inputs, g->n_inputs, &w->s->inputs, &w->s->n_inputs)) < 0)
		return rc;
	return fill_io(w, g->outputs, g->n_outputs, &w->s->outputs, &w->s->n_outputs);
}

int aipm_model_analyze_buf(const uint8_t *buf, size_t len, const char *label, const char *const *input_shapes,
			   size_t n, struct aipm_model_summary *out)
{
	struct walk w = {.s = out};
	memset(out, 0, sizeof *out);
	out->file = xstrdup(label);
	int rc = onnx_model_parse(buf, len, &w.m);
	if (rc == 0) {
		rc = walk_graph(&w, input_shapes, n);
		onnx_model_free(&w.m);
	}
	free(w.vals);
	free(w.hash);
	free(w.order);
	if (rc < 0) {
		aipm_model_summary_free(out);
		return aipm_err_wrap(rc, "%s", label);
	}
	return 0;
}

int aipm_model_analyze(const char *onnx_path, const char *const *input_shapes, size_t n,
		       struct aipm_model_summary *out)
{
	size_t size;
	int fd = model_file_open(onnx_path, SIZE_MAX, &size);
	if (fd < 0)
		return fd;
	if (size == 0) {
		close(fd);
		return aipm_err(-EBADMSG, "%s: the file is empty, not an ONNX model", onnx_path);
	}
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	int err = errno;
	close(fd);
	if (p == MAP_FAILED)
		return aipm_err(-err, "%s: cannot map: %s", onnx_path, strerror(err));
	int rc = aipm_model_analyze_buf(p, size, onnx_path, input_shapes, n, out);
	munmap(p, size);
	return rc;
}

void aipm_model_summary_free(struct aipm_model_summary *s)
{
	for (size_t i = 0; i < s->n_ops; i++)
		free(s->ops[i].op_type);
	for (size_t i = 0; i < s->n_unsized; i++) {
		free(s->unsized[i].op_type);
		free(s->unsized[i].node);
		free(s->unsized[i].reason);
	}
	for (size_t i = 0; i < s->n_inputs; i++)
		free(s->inputs[i].name);
	for (size_t i = 0; i < s->n_outputs; i++)
		free(s->outputs[i].name);
	free(s->ops);
	free(s->unsized);
	free(s->inputs);
	free(s->outputs);
	free(s->file);
	free(s->producer);
	memset(s, 0, sizeof *s);
}
