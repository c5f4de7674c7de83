/* common.h: what every subcommand shares: the one-line error format
 * "aipm: <what>: <why>. <what to do>", exit codes, number parsing of flags. */
#ifndef AIPM_CLI_COMMON_H
#define AIPM_CLI_COMMON_H

#include <stdbool.h>
#include <stdlib.h>

enum {
	AIPM_EXIT_OK = 0,
	AIPM_EXIT_FAIL = 1,   /* a runtime failure (I/O, recording unreadable) */
	AIPM_EXIT_USAGE = 2,  /* the user asked for something malformed */
	AIPM_EXIT_NOEXEC = 127,
};

/* Print "aipm: " + message + newline on stderr. Returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "aipm: <what>: <aipm_error_last()>" and return code. */
int cli_fail_lib(int code, const char *what);
/* Parse an interval in seconds for flag `flag`, within
 * AIPM_INTERVAL_MIN_S..max_s (aipm.h); prints the error, naming the bounds. */
bool cli_parse_interval(const char *flag, const char *arg, double max_s, double *out);
/* A sampling interval: within AIPM_INTERVAL_MIN_S..AIPM_INTERVAL_MAX_S. */
bool cli_parse_seconds(const char *flag, const char *arg, double *out);
/* A positive, finite duration in seconds (no upper bound). */
bool cli_parse_duration(const char *flag, const char *arg, double *out);

/* The AIPM_* variables are the CLI's way to set the library's roots and
 * library paths (the library reads no environment): one mapping for every
 * options struct of aipm.h that has these five members (the meter's, the
 * probe's, the recording's). Read in the caller's thread, before any of
 * the library's threads exist. */
#define CLI_ROOTS_FROM_ENV(o)                                                                                  \
	((o)->sysfs_root = getenv("AIPM_SYSFS_ROOT"), (o)->proc_root = getenv("AIPM_PROC_ROOT"),               \
	 (o)->cgroup_root = getenv("AIPM_CGROUP_ROOT"), (o)->nvml_lib = getenv("AIPM_NVML_LIB"),               \
	 (o)->amdsmi_lib = getenv("AIPM_AMDSMI_LIB"))

/* Subcommands: argc/argv start at the subcommand's name. */
int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_mark(int argc, char **argv);
int cmd_log(int argc, char **argv);

#endif
