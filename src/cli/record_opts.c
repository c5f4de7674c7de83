/* record_opts.c: see record_opts.h. */
#include "record_opts.h"

#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "analysis/summary.h"
#include "model/model.h"
#include "common.h"
#include "record/outdir.h"
#include "sampler.h"

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
		if (o->ninput_shapes == AIPM_ARRAY_SIZE(o->input_shapes)) {
			cli_fail(AIPM_EXIT_USAGE, "--input-shape: at most %zu inputs", AIPM_ARRAY_SIZE(o->input_shapes));
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

/* The recorder's news about writing, said at once (from the sampler
 * thread: one fprintf per line). Always, even with --quiet: a recording
 * that is losing lines must never pass for a complete one. */
static void on_event(void *ctx, enum aipm_recorder_event ev, const char *msg)
{
	(void)ctx;
	(void)ev;
	cli_fail(0, "%s", msg);
}

int record_opts_open(const struct record_opts *o, struct aipm_recorder_config *rc, struct aipm_recorder **rec,
		     bool *replaced)
{
	rc->dir = o->dir;
	rc->append = o->append;
	rc->as_owner = o->as_owner;
	rc->info.description = o->description;
	rc->info.interval_s = o->interval_s;
	rc->info.mem_interval_s = o->mem_interval_s;
	rc->info.gpu_all_processes = o->gpu_all_processes;
	rc->no_cpu_estimate = o->no_estimate;
	rc->on_event = on_event;
	bool closed = false;
	if (aipm_recorder_open(rec, rc, replaced, &closed) < 0)
		return cli_fail_lib(AIPM_EXIT_USAGE, rc->info.mode);
	if (closed)
		cli_fail(0, "%s/power_metrics.json: its last segment had no end (aipm was killed?): it is closed "
			    "now, and the new segment starts after it", o->dir);
	return 0;
}

void record_opts_say_replaced(const struct record_opts *o, bool replaced)
{
	if (replaced && !o->quiet)
		cli_fail(0, "replacing the recording in %s (use --append to add a segment instead)", o->dir);
}

/* A model standing in for a measurement is said as plainly as the
 * measurement's absence, and always: a recording with an estimate must
 * never pass for one that measured. */
static void say_estimates(struct aipm_sampler *s)
{
	for (size_t i = 0; s && i < aipm_sampler_nsources(s); i++) {
		const struct aipm_source *src = aipm_sampler_source(s, i);
		if (src->available && (src->ops->provides & AIPM_PROVIDES_CPU_ESTIMATE))
			cli_fail(0, "%s. Recorded apart as cpu_estimate, with low and high bounds, never as measured "
				    "energy (--no-estimate turns it off)", src->reason);
	}
}

void record_opts_warn_sources(struct aipm_recorder *r, bool quiet)
{
	/* Generic over the sources: each says what is lost without it and
	 * when that must be said. ALWAYS even with --quiet: a recording
	 * without CPU energy must never pass for a complete one. */
	struct aipm_sampler *s = aipm_recorder_sampler(r);
	for (size_t i = 0; s && i < aipm_sampler_nsources(s); i++) {
		const struct aipm_source *src = aipm_sampler_source(s, i);
		const struct aipm_source_ops *o = src->ops;
		if (src->available || !o->missing)
			continue;
		if (o->say == AIPM_SAY_ALWAYS || (o->say == AIPM_SAY_IF_REQUESTED && src->requested && !quiet))
			cli_fail(0, "no %s will be recorded: %s. To measure %s: %s", o->missing, src->reason,
				 o->missing, src->fix[0] ? src->fix : "see `aipm probe`");
	}
	say_estimates(s);
}

void record_opts_print_summary(const char *dir)
{
	struct aipm_summary *s = NULL;
	if (aipm_summary_load_dir(dir, true, &s) < 0) {
		cli_fail(0, "cannot summarise %s: %s", dir, aipm_error_last());
		return;
	}
	aipm_summary_print(s, stderr);
	aipm_summary_free(s);
}

int record_opts_model_check(struct record_opts *o, void **model)
{
	*model = NULL;
	if (!o->model) {
		if (o->ninput_shapes)
			return cli_fail(AIPM_EXIT_USAGE, "--input-shape only applies with --model FILE.onnx");
		return 0;
	}
	struct aipm_model_summary *m = calloc(1, sizeof *m);
	if (!m)
		return cli_fail(AIPM_EXIT_FAIL, "out of memory");
	if (aipm_model_analyze(o->model, o->input_shapes, o->ninput_shapes, m) < 0) {
		free(m);
		return cli_fail_lib(AIPM_EXIT_USAGE, "--model");
	}
	*model = m;
	return 0;
}

void record_opts_model_free(void *model)
{
	struct aipm_model_summary *m = model;
	if (!m)
		return;
	aipm_model_summary_free(m);
	free(m);
}

int record_opts_model_store(struct aipm_recorder *rec, void *model)
{
	struct aipm_model_summary *m = model;
	if (m && aipm_recorder_store_model(rec, m) < 0)
		return cli_fail_lib(AIPM_EXIT_FAIL, "--model: the model summary is not stored");
	return 0;
}
