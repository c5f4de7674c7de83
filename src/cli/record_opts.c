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

void record_opts_usage(FILE *f)
{
	fprintf(f, "  -o, --output DIR       recording directory (default aipm-run; replaced unless --append)\n"
		   "  -i, --interval S       sampling interval in seconds (default 0.1; %g to %g)\n"
		   "      --mem-interval S   PSS/USS and temperature interval in seconds (default 1; %g to %g)\n",
		AIPM_INTERVAL_MIN_S, AIPM_INTERVAL_MAX_S, AIPM_INTERVAL_MIN_S, AIPM_MEM_INTERVAL_MAX_S);
	fprintf(f, "      --as-owner         as root, record into a directory another user owns, writing\n"
		   "                         the files as that user (without it root refuses such a directory)\n"
		   "  -d, --description TEXT what this run is, stored in metadata.json\n"
		   "  -a, --append           add a new segment to an existing recording\n"
		   "      --gpu-all-processes  attribute every GPU process to the experiment (containers)\n"
		   "      --no-estimate      where CPU energy is not measured (no RAPL), record no CPU\n"
		   "                         power estimate either (it is recorded apart, as cpu_estimate)\n"
		   "  -q, --quiet            no summary at the end\n");
}

static const char *value(int argc, char **argv, int *i, const char *flag)
{
	if (*i + 1 >= argc || !argv[*i + 1][0]) {
		cli_fail(AIPM_EXIT_USAGE, "%s needs a value. See `aipm %s --help`", flag, argv[0]);
		return NULL;
	}
	return argv[++*i];
}

int record_opts_parse(struct record_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char *v;
	if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
		if (!(v = value(argc, argv, i, a)))
			return -1;
		o->dir = v;
	} else if (!strcmp(a, "-i") || !strcmp(a, "--interval")) {
		if (!(v = value(argc, argv, i, a)) || !cli_parse_seconds(a, v, &o->interval_s))
			return -1;
	} else if (!strcmp(a, "--mem-interval")) {
		if (!(v = value(argc, argv, i, a)) ||
		    !cli_parse_interval(a, v, AIPM_MEM_INTERVAL_MAX_S, &o->mem_interval_s))
			return -1;
	} else if (!strcmp(a, "-d") || !strcmp(a, "--description")) {
		if (!(v = value(argc, argv, i, a)))
			return -1;
		o->description = v;
	} else if (!strcmp(a, "--model")) {
		if (!(v = value(argc, argv, i, a)))
			return -1;
		o->model = v;
	} else if (!strcmp(a, "--input-shape")) {
		if (!(v = value(argc, argv, i, a)))
			return -1;
		if (o->ninput_shapes == AIPM_ARRAY_SIZE(o->input_shapes)) {
			cli_fail(AIPM_EXIT_USAGE, "--input-shape: at most %zu inputs", AIPM_ARRAY_SIZE(o->input_shapes));
			return -1;
		}
		o->input_shapes[o->ninput_shapes++] = v;
	} else if (!strcmp(a, "-a") || !strcmp(a, "--append")) {
		o->append = true;
	} else if (!strcmp(a, "--as-owner")) {
		o->as_owner = true;
	} else if (!strcmp(a, "--gpu-all-processes")) {
		o->gpu_all_processes = true;
	} else if (!strcmp(a, "--no-estimate")) {
		o->no_estimate = true;
	} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		o->quiet = true;
	} else {
		return 0;
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
	if (!m)
		return 0;
	struct aipm_buf b = {0};
	aipm_model_summary_json(m, &b);
	aipm_buf_put(&b, "\n", 1);
	int r = 0;
	if (b.oom)
		r = cli_fail(AIPM_EXIT_FAIL, "out of memory writing model_summary.json");
	/* Like every file of the recording: no link followed, replaced by
	 * rename, as the directory's owner with --as-owner. */
	else if (aipm_outdir_replace(aipm_recorder_outdir(rec), "model_summary.json", b.data, b.len) < 0)
		r = cli_fail_lib(AIPM_EXIT_FAIL, "--model: the model summary is not stored");
	aipm_buf_free(&b);
	return r;
}
