/* api_model.c: aipm_model_json and aipm_model_text (include/aipm.h), the
 * answers of `aipm model`. Glue only: the reading and counting are
 * model/model.h's, the same code aipm_meter_model stores in a recording,
 * so `aipm model --json` and model_summary.json cannot differ.
 */
#include "aipm.h"

#include <errno.h>
#include <stdbool.h>

#include "api_util.h"
#include "error.h"
#include "model/model.h"

static int model(const char *onnx, const char *const *shapes, size_t n, bool json, char **out, const char *fn)
{
	if (!onnx || !*onnx)
		return aipm_err(-EINVAL, "%s: no ONNX file given", fn);
	if (n && !shapes)
		return aipm_err(-EINVAL, "%s: input_shapes is NULL", fn);
	if (!out)
		return aipm_err(-EINVAL, "%s: the output pointer is NULL", fn);
	struct aipm_model_summary s;
	int e = aipm_model_analyze(onnx, shapes, n, &s);
	if (e < 0)
		return e;
	struct aipm_buf b = {0};
	if (json)
		aipm_model_summary_json(&s, &b);
	else
		aipm_model_summary_text(&s, &b);
	aipm_model_summary_free(&s);
	return aipm_api_give(&b, out);
}

AIPM_API int aipm_model_json(const char *onnx_path, const char *const *input_shapes, size_t n, char **json_out)
{
	return model(onnx_path, input_shapes, n, true, json_out, "aipm_model_json");
}

AIPM_API int aipm_model_text(const char *onnx_path, const char *const *input_shapes, size_t n, char **text_out)
{
	return model(onnx_path, input_shapes, n, false, text_out, "aipm_model_text");
}
