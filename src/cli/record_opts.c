/* record_opts.c: see record_opts.h. */
#include "record_opts.h"

#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "analysis/summary.h"
#include "model/model.h"
#include "common.h"
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
		   "  -i, --interval S       sampling interval in seconds (default 0.1)\n"
		   "      --mem-interval S   PSS/USS and temperature interval in seconds (default 1)\n"
		   "  -d, --description TEXT what this run is, stored in metadata.json\n"
		   "  -a, --append           add a new segment to an existing recording\n"
		   "      --gpu-all-processes  attribute every GPU process to the experiment (containers)\n"
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
		if (!(v = value(argc, argv, i, a)) || !cli_parse_seconds(a, v, &o->mem_interval_s))
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
	} else if (!strcmp(a, "--gpu-all-processes")) {
		o->gpu_all_processes = true;
	} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		o->quiet = true;
	} else {
		return 0;
	}
	return 1;
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

int record_opts_model_store(const char *dir, void *model)
{
	struct aipm_model_summary *m = model;
	if (!m)
		return 0;
	if (!dir) {
		aipm_model_summary_free(m);
		free(m);
		return 0;
	}
	struct aipm_buf b = {0};
	aipm_model_summary_json(m, &b);
	char path[4096];
	snprintf(path, sizeof path, "%s/model_summary.json", dir);
	FILE *f = fopen(path, "w");
	int r = 0;
	if (!f || !b.data || fputs(b.data, f) < 0 || fputc('\n', f) < 0)
		r = cli_fail(AIPM_EXIT_FAIL, "cannot write %s", path);
	if (f && fclose(f) != 0 && !r)
		r = cli_fail(AIPM_EXIT_FAIL, "cannot write %s", path);
	aipm_buf_free(&b);
	aipm_model_summary_free(m);
	free(m);
	return r;
}
