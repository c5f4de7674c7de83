/* record_opts.c: see record_opts.h. */
#include "record_opts.h"

#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "common.h"

void record_opts_init(struct record_opts *o)
{
	memset(o, 0, sizeof *o);
	o->dir = "aipm-run";
	o->interval_s = 0.1;
	o->mem_interval_s = 1.0;
}

enum {
	OUTPUT = 1000, INTERVAL, MEM_INTERVAL, AS_OWNER, DESCRIPTION, APPEND, GPU_ALL, NO_ESTIMATE, QUIET, MODEL,
	INPUT_SHAPE,
};

const struct cli_opt record_opts_table[] = {
	CLI_VALUE(OUTPUT, 'o', "output", "DIR", "a directory",
	 "recording directory (default aipm-run; replaced unless --append)"),
	CLI_RANGE(INTERVAL, 'i', "interval", "S", "seconds", "sampling interval in seconds (default 0.1; {range})",
		  AIPM_INTERVAL_MIN_S, AIPM_INTERVAL_MAX_S),
	CLI_RANGE(MEM_INTERVAL, 0, "mem-interval", "S", "seconds",
		  "PSS/USS and temperature interval in seconds (default 1; {range})", AIPM_INTERVAL_MIN_S,
		  AIPM_MEM_INTERVAL_MAX_S),
	CLI_FLAG(AS_OWNER, 0, "as-owner",
	 "as root, record into a directory another user owns, writing\nthe files as that user (without it root "
	 "refuses such a directory)"),
	CLI_VALUE(DESCRIPTION, 'd', "description", "TEXT", "a text", "what this run is, stored in metadata.json"),
	CLI_FLAG(APPEND, 'a', "append", "add a new segment to an existing recording"),
	CLI_FLAG(GPU_ALL, 0, "gpu-all-processes", "attribute every GPU process to the experiment (containers)"),
	CLI_FLAG(NO_ESTIMATE, 0, "no-estimate",
	 "where CPU energy is not measured (no RAPL), record no CPU\npower estimate either (it is recorded apart, "
	 "as cpu_estimate)"),
	CLI_FLAG(QUIET, 'q', "quiet", "no summary at the end"),
	CLI_OPT_END,
};

const struct cli_opt record_opts_model_table[] = {
	CLI_VALUE(MODEL, 0, "model", "FILE.onnx", "an ONNX file", "store the model's parameters and MACs with the recording"),
	CLI_VALUE(INPUT_SHAPE, 0, "input-shape", "NAME=DIMS", "NAME=DIMS",
	 "shape of a model input with symbolic dims\n(e.g. input=1x3x224x224); repeatable"),
	CLI_OPT_END,
};

int record_opts_apply(struct record_opts *o, const struct cli_args *a, int id)
{
	const char *v = a->value;
	switch (id) {
	case OUTPUT: o->dir = v; break;
	case INTERVAL: return cli_parse_seconds(a->flag, v, &o->interval_s) ? 1 : -1;
	case MEM_INTERVAL: return cli_parse_interval(a->flag, v, AIPM_MEM_INTERVAL_MAX_S, &o->mem_interval_s) ? 1 : -1;
	case DESCRIPTION: o->description = v; break;
	case MODEL: o->model = v; break;
	case INPUT_SHAPE:
		if (o->ninput_shapes == (sizeof o->input_shapes / sizeof o->input_shapes[0])) {
			cli_fail(AIPM_EXIT_USAGE, "--input-shape: at most %zu inputs", (sizeof o->input_shapes / sizeof o->input_shapes[0]));
			return -1;
		}
		o->input_shapes[o->ninput_shapes++] = v;
		break;
	case APPEND: o->append = true; break;
	case AS_OWNER: o->as_owner = true; break;
	case GPU_ALL: o->gpu_all_processes = true; break;
	case NO_ESTIMATE: o->no_estimate = true; break;
	case QUIET: o->quiet = true; break;
	default: return 0;
	}
	return 1;
}

/* The recording's news about writing, said at once (from the sampler
 * thread: one fprintf per line). Always, even with --quiet: a recording
 * that is losing lines must never pass for a complete one. */
static void on_event(void *ctx, enum aipm_recording_event ev, const char *msg)
{
	(void)ctx;
	(void)ev;
	cli_fail(0, "%s", msg);
}

int record_opts_open(const struct record_opts *o, struct aipm_recording_options *ro, aipm_recording **rec,
		     bool *replaced)
{
	ro->append = o->append;
	ro->as_owner = o->as_owner;
	ro->description = o->description;
	ro->interval_s = o->interval_s;
	ro->mem_interval_s = o->mem_interval_s;
	ro->gpu_all_processes = o->gpu_all_processes;
	ro->no_cpu_estimate = o->no_estimate;
	ro->on_event = on_event;
	/* The command's way (the library reads no environment). */
	CLI_ROOTS_FROM_ENV(ro);
	if (aipm_recording_open(rec, o->dir, ro) < 0)
		return cli_fail_lib(AIPM_EXIT_USAGE, ro->mode);
	unsigned flags = aipm_recording_flags(*rec);
	*replaced = flags & AIPM_RECORDING_REPLACES;
	if (flags & AIPM_RECORDING_CLOSED_OPEN)
		cli_fail(0, "%s/power_metrics.json: its last segment had no end (aipm was killed?): it is closed "
			    "now, and the new segment starts after it", o->dir);
	return 0;
}

void record_opts_say_replaced(const struct record_opts *o, bool replaced)
{
	if (replaced && !o->quiet)
		cli_fail(0, "replacing the recording in %s (use --append to add a segment instead)", o->dir);
}

/* What cannot measure here, said once, each line ALWAYS even with --quiet
 * where a recording without it must never pass for a complete one (RAPL,
 * an estimate standing in for it); the library picks the lines. */
void record_opts_warn_sources(aipm_recording *r, bool quiet)
{
	char *t = NULL;
	if (aipm_recording_warnings_text(r, !quiet, &t) < 0) {
		cli_fail_lib(0, "the sources' warnings are unknown");
		return;
	}
	for (const char *line = t; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		cli_fail(0, "%.*s", (int)n, line);
		line += n + (nl != NULL);
	}
	aipm_string_free(t);
}

void record_opts_print_summary(const char *dir)
{
	char *t = NULL;
	if (aipm_recording_last_segment_text(dir, &t) < 0) {
		cli_fail(0, "cannot summarise %s: %s", dir, aipm_error_last());
		return;
	}
	fputs(t, stderr);
	aipm_string_free(t);
}

int record_opts_model_check(const struct record_opts *o)
{
	if (!o->model) {
		if (o->ninput_shapes)
			return cli_fail(AIPM_EXIT_USAGE, "--input-shape only applies with --model FILE.onnx");
		return 0;
	}
	char *json = NULL;
	if (aipm_model_json(o->model, o->input_shapes, o->ninput_shapes, &json) < 0)
		return cli_fail_lib(AIPM_EXIT_USAGE, "--model");
	aipm_string_free(json);
	return 0;
}

int record_opts_model_store(aipm_recording *rec, const struct record_opts *o)
{
	if (o->model && aipm_recording_model(rec, o->model, o->input_shapes, o->ninput_shapes) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "--model: the model summary is not stored");
	return 0;
}
