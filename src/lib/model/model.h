/* model.h: model complexity from an ONNX file — parameters and
 * multiply-accumulates of one forward pass, per operator type — as a struct,
 * as JSON (model_summary.json in a recording, `aipm model --json`) and as a
 * text table (`aipm model`, `aipm report`).
 *
 * Counting rules (REFERENCE §5): parameters are the elements of the
 * initializers, of Constant nodes holding weights (floating point, more than
 * one element) and of Identity nodes aliasing such tensors (exporters store
 * equal tensors once), floating point only: BatchNormalization running
 * mean/var are buffers (params_buffers) and integer tensors (shapes, index
 * tables) are constants (int_constants), as torch counts neither. That is
 * torchvision's num_params. params_trainable equals params_total (every
 * floating-point weight of an exported graph); it stays for older readers.
 * MACs count Conv, ConvTranspose, Gemm and MatMul; operators that cannot be
 * sized are listed in `unsized`, never counted as zero. A count past 2^64
 * saturates at UINT64_MAX with macs_overflow set: a lower bound, said as
 * such, never a wrapped number.
 */
#ifndef AIPM_MODEL_MODEL_H
#define AIPM_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define AIPM_MODEL_MAX_RANK 8

struct aipm_model_op {
	char *op_type;
	uint64_t nodes, macs, params;
};

struct aipm_model_unsized {
	char *op_type, *node, *reason;
};

/* A graph input or output; rank -1 when its shape is unknown. */
struct aipm_model_io {
	char *name;
	int rank;
	int64_t dims[AIPM_MODEL_MAX_RANK];
};

struct aipm_model_summary {
	char *file, *producer;
	int64_t opset;
	uint64_t nodes, params_total, params_trainable, params_buffers, int_constants, macs;
	bool macs_overflow; /* macs (and some by-op macs) saturated at UINT64_MAX */
	struct aipm_model_op *ops; /* sorted by MACs, then params, then name */
	struct aipm_model_unsized *unsized;
	struct aipm_model_io *inputs, *outputs;
	size_t n_ops, n_unsized, n_inputs, n_outputs;
};

/* Parse "NAME=1x3x224x224" (the --input-shape syntax). 0, or -EINVAL with a
 * message naming the spec and giving an example. */
int aipm_model_shape_parse(const char *spec, char *name, size_t name_size, int64_t *dims, int *rank);

/* Read and size an ONNX model. input_shapes are NAME=DIMS strings that
 * override or complete the declared input shapes (symbolic dims need one).
 * 0, or negative errno with the message set (file, graph or shape at fault). */
int aipm_model_analyze(const char *onnx_path, const char *const *input_shapes, size_t n,
		       struct aipm_model_summary *out);
/* The same from bytes in memory; `label` stands for the file in messages. */
int aipm_model_analyze_buf(const uint8_t *buf, size_t len, const char *label, const char *const *input_shapes,
			   size_t n, struct aipm_model_summary *out);
void aipm_model_summary_free(struct aipm_model_summary *s);

/* model_summary.json, one object, numbers in the C locale. `aipm run
 * --model` stores it with the recording's atomic writer
 * (aipm_outdir_replace, record/outdir.h), like every other whole file. */
void aipm_model_summary_json(const struct aipm_model_summary *s, struct aipm_buf *b);
/* The human table shown by `aipm model` and `aipm report`. */
void aipm_model_summary_text(const struct aipm_model_summary *s, struct aipm_buf *b);

/* Load a model_summary.json back (for `aipm report`). */
int aipm_model_summary_read(const char *json_path, struct aipm_model_summary *out);
/* Read model_summary.json and append its text table to out. */
int aipm_model_summary_text_file(const char *json_path, struct aipm_buf *out);

#endif
