/* record_opts.h: the flags `aipm run` and `aipm attach` share, parsed in
 * one place so they mean the same thing in both. */
#ifndef AIPM_CLI_RECORD_OPTS_H
#define AIPM_CLI_RECORD_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "aipm.h"
#include "args.h"

struct record_opts {
	const char *dir;
	const char *description;
	const char *model;        /* --model FILE.onnx */
	const char *input_shapes[16]; /* --input-shape NAME=DIMS, for --model */
	size_t ninput_shapes;
	double interval_s, mem_interval_s;
	bool append, gpu_all_processes, quiet, as_owner;
	bool no_estimate; /* --no-estimate */
};

/* Defaults: -o aipm-run, -i 0.1, --mem-interval 1. */
void record_opts_init(struct record_opts *o);
/* The options run and attach share, and run's --model and --input-shape
 * (attach does not size a model), each with its --help lines. */
extern const struct cli_opt record_opts_table[];
extern const struct cli_opt record_opts_model_table[];
/* Option id of those tables, just returned by cli_args_next: 1 taken; 0
 * not one of them; -1 after a usage error. */
int record_opts_apply(struct record_opts *o, const struct cli_args *a, int id);
/* Fill ro from the options and the environment's roots (ro->mode and what
 * is the subcommand's already set), open the recording and say what
 * opening found (a killed segment closed); *replaced: a recording is there
 * to replace. 0, or the exit status after the message. */
int record_opts_open(const struct record_opts *o, struct aipm_recording_options *ro, aipm_recording **rec,
		     bool *replaced);
/* "replacing the recording in DIR", once it is (unless --quiet). */
void record_opts_say_replaced(const struct record_opts *o, bool replaced);
/* Tell the user, once, about sources that cannot measure here: RAPL
 * missing is said plainly, with the fix, never silently skipped. */
void record_opts_warn_sources(aipm_recording *r, bool quiet);
/* --model: size the model before anything starts (a bad model is a usage
 * error, and no recording is touched), then store model_summary.json in
 * the recording once the command runs (a failure is said, the run goes
 * on). */
int record_opts_model_check(const struct record_opts *o);
int record_opts_model_store(aipm_recording *rec, const struct record_opts *o);
/* The end-of-run summary of the recording's last segment, on stderr. */
void record_opts_print_summary(const char *dir);

#endif
