/* model.c: `aipm model FILE.onnx [--input-shape NAME=DIMS ...] [--json]`.
 * Parses flags, asks the library for the summary (aipm_model_json/_text in
 * aipm.h) and prints it as the text table or as the JSON stored in
 * recordings (model_summary.json). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "aipm.h"
#include "common.h"
#include "model/model.h" /* the flags' shape check (aipm_model_shape_parse), in the argument loop */

enum { INPUT_SHAPE = 1, JSON };
static const struct cli_opt table[] = {
	CLI_VALUE(INPUT_SHAPE, 0, "input-shape", "NAME=DIMS", "NAME=DIMS, e.g. --input-shape input=1x3x224x224",
		  "shape of input NAME, e.g. input=1x3x224x224; needed\nfor symbolic dimensions (batch, sequence); "
		  "repeatable"),
	CLI_FLAG(JSON, 0, "json", "print the JSON stored as model_summary.json"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm model FILE.onnx [--input-shape NAME=DIMS]... [--json]\n\n"
		   "Parameters (total and trainable) and multiply-accumulates of one forward pass\n"
		   "of an ONNX model, per operator type. Operators that cannot be sized are listed,\n"
		   "never counted as zero.\n\n");
	cli_args_help(f, tables);
}

int cmd_model(int argc, char **argv)
{
	const char *file = NULL;
	const char **shapes = calloc((size_t)argc + 1, sizeof *shapes);
	size_t n_shapes = 0;
	bool json = false;
	int rc = AIPM_EXIT_OK;
	if (!shapes)
		return cli_fail(AIPM_EXIT_FAIL, "model: out of memory");
	struct cli_args a;
	cli_args_init(&a, "model", tables, 0, argc, argv);
	int c;
	while ((c = cli_args_next(&a)) != CLI_ARGS_END) {
		if (c == CLI_ARGS_HELP) {
			usage(stdout);
			goto out;
		} else if (c == JSON) {
			json = true;
		} else if (c == INPUT_SHAPE) {
			char name[256];
			int64_t dims[AIPM_MODEL_MAX_RANK];
			int rank;
			if (aipm_model_shape_parse(a.value, name, sizeof name, dims, &rank) < 0) {
				rc = cli_fail_lib(AIPM_EXIT_USAGE, "model");
				goto out;
			}
			shapes[n_shapes++] = a.value;
		} else if (c == CLI_ARGS_OPERAND && file) {
			rc = cli_fail(AIPM_EXIT_USAGE, "model: one model at a time ('%s' and '%s'). Run aipm model once per file",
				      file, a.value);
			goto out;
		} else if (c == CLI_ARGS_OPERAND) {
			file = a.value;
		} else {
			rc = AIPM_EXIT_USAGE;
			goto out;
		}
	}
	if (!file) {
		usage(stderr);
		rc = cli_fail(AIPM_EXIT_USAGE, "model: no ONNX file given. Run e.g. aipm model resnet18.onnx");
		goto out;
	}
	char *text = NULL;
	int err = json ? aipm_model_json(file, shapes, n_shapes, &text) : aipm_model_text(file, shapes, n_shapes, &text);
	if (err < 0) {
		/* a shape the user gave or must give is a usage error; a bad
		 * file is a runtime failure */
		if (err == -EBADMSG || err == -ELOOP || err == -EOVERFLOW)
			rc = cli_fail(AIPM_EXIT_FAIL, "model: %s. Check that it is a complete ONNX model (re-export it if it was cut short)",
				      aipm_error_last());
		else
			rc = cli_fail_lib(err == -EINVAL ? AIPM_EXIT_USAGE : AIPM_EXIT_FAIL, "model");
		goto out;
	}
	if (fputs(text, stdout) == EOF || fflush(stdout))
		rc = cli_fail(AIPM_EXIT_FAIL, "model: cannot write the summary to standard output");
	aipm_string_free(text);
out:
	free(shapes);
	return rc;
}
