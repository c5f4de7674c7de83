/* onnx.h: an ONNX ModelProto read into plain structs (REFERENCE §5.1).
 * Internal to src/lib/model/: only what parameter and MAC counting need is
 * kept (names, dims, data types, attributes, small integer tensors for shape
 * arithmetic); weight bytes are never copied or needed, so stripped fixtures
 * and external-data models read the same as full ones. Everything lives in
 * one arena freed by onnx_model_free.
 */
#ifndef AIPM_MODEL_ONNX_H
#define AIPM_MODEL_ONNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Integer tensors up to this many elements keep their values: Reshape
 * targets, Slice bounds and axes. Larger ones are data, not shape. */
#define ONNX_SMALL_VALUES 64

enum { ONNX_FLOAT = 1, ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11, ONNX_BFLOAT16 = 16 };
enum { ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2, ONNX_ATTR_STRING = 3, ONNX_ATTR_TENSOR = 4,
       ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7 };

struct onnx_tensor {
	const char *name;
	int64_t *dims;
	size_t rank;
	int32_t data_type;
	bool external;     /* data_location == EXTERNAL: dims still tell the size */
	int64_t *vals;     /* integer values when small and present, else NULL */
	size_t n_vals;
};

struct onnx_attr {
	const char *name;
	int32_t type;
	int64_t i;
	float f;
	const char *s;
	int64_t *ints;
	size_t n_ints;
	size_t n_floats;
	struct onnx_tensor *t;
};

/* A declared value (graph input/output, value_info). rank -1: no shape.
 * dims[k] is -1 where the dimension is symbolic or missing; params[k] then
 * holds its name (dim_param) or NULL. */
struct onnx_value {
	const char *name;
	int32_t elem_type;
	int rank;
	int64_t *dims;
	const char **params;
};

struct onnx_node {
	const char *name, *op_type, *domain;
	const char **in, **out;
	size_t n_in, n_out;
	struct onnx_attr *attrs;
	size_t n_attrs;
};

struct onnx_graph {
	struct onnx_node *nodes;
	struct onnx_tensor *inits;
	struct onnx_value *inputs, *outputs, *vis;
	size_t n_nodes, n_inits, n_inputs, n_outputs, n_vis;
};

struct onnx_arena;

struct onnx_model {
	int64_t ir_version, opset;
	const char *producer, *producer_version;
	struct onnx_graph g;
	struct onnx_arena *arena;
};

/* Parse a serialized ModelProto held in buf. 0 or -errno (message set). */
int onnx_model_parse(const uint8_t *buf, size_t len, struct onnx_model *m);
void onnx_model_free(struct onnx_model *m);

const struct onnx_attr *onnx_attr_find(const struct onnx_node *n, const char *name);
int64_t onnx_attr_int(const struct onnx_node *n, const char *name, int64_t dflt);
const char *onnx_attr_str(const struct onnx_node *n, const char *name, const char *dflt);
/* Number of elements from dims, checked: -EOVERFLOW when a dim is negative
 * or passes ONNX_MAX_ELEMENTS, or the product does. Every shape aipm works
 * with (initializers, graph inputs, node outputs) passes this check, which
 * keeps dimension arithmetic (dims + pads, dims * strides) far from int64
 * overflow. onnx_tensor_elements also sets the message. */
#define ONNX_MAX_ELEMENTS (INT64_C(1) << 48)
int onnx_dims_elements(const int64_t *dims, size_t rank, uint64_t *out);
int onnx_tensor_elements(const struct onnx_tensor *t, uint64_t *out);

#endif
