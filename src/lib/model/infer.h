/* infer.h: shape propagation and multiply-accumulates, one node at a time.
 * Internal to src/lib/model/. summary.c walks the graph in topological order
 * and hands each node its input values; infer.c sets the outputs' shapes
 * (and small integer contents, so exporter shape arithmetic such as
 * Shape→Gather→Concat→Reshape resolves) and the node's MACs (REFERENCE §5.3).
 */
#ifndef AIPM_MODEL_INFER_H
#define AIPM_MODEL_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnx.h"

#define MODEL_MAX_RANK 8
#define MODEL_MAX_VALS 16

/* One named tensor of the graph. rank -1: shape unknown; nv -1: contents
 * unknown (only small integer tensors carry contents). */
struct model_val {
	const char *name;
	int rank;
	int64_t d[MODEL_MAX_RANK];
	int nv;
	int64_t v[MODEL_MAX_VALS];
	const struct onnx_value *decl; /* value_info / graph output, a fallback shape */
	long producer;                 /* node index, -1 for inputs and initializers */
	/* parameters: an initializer, a weight Constant, or an Identity alias */
	bool weight, buffer, attributed;
	uint64_t elems;
	int32_t dtype;
	size_t uses, bn_stat_uses;
};

struct infer_ctx {
	const struct onnx_node *n;
	struct model_val **in, **out; /* in[k] NULL for an omitted optional input */
	size_t n_in, n_out;
	int64_t opset;
	uint64_t macs;
	bool macs_overflow; /* macs passed 2^64 and holds UINT64_MAX */
	char why[200]; /* why the node could not be sized */
};

enum { INFER_OK = 0, INFER_UNKNOWN = 1 };

/* INFER_OK with outputs and macs set (saturated, with macs_overflow, past
 * 2^64); INFER_UNKNOWN with why set when the node cannot be sized; negative
 * errno (message set) for absurd sizes.
 * *counts_macs tells whether the operator has MACs at all: an unsized
 * Relu costs nothing, an unsized Conv or an unknown operator must be listed. */
int model_infer_node(struct infer_ctx *c, bool *counts_macs);
void model_val_set_unknown(struct model_val *v);

#endif
