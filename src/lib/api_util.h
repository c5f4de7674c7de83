/* api_util.h: what every public entry point of include/aipm.h shares: the
 * version rule of options structs (libgit2's git_*_options_init) and the
 * hand-over of a built text to the caller. Internal to libaipm; the CLI
 * never includes it. */
#ifndef AIPM_API_UTIL_H
#define AIPM_API_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

/* Zero opts (size bytes, its first member the unsigned version) and set
 * its version. -EINVAL for a NULL opts or a version outside 1..known, with
 * a sentence naming fn; opts is then left as it was. */
int aipm_api_opts_init(void *opts, size_t size, unsigned version, unsigned known, const char *fn);
/* A caller's options of the given version: -EINVAL with the sentence for a
 * struct never initialised (version 0) or newer than this library. fn is
 * the public function called, kind the options' stem ("meter", "probe"),
 * so the fix names aipm_<kind>_options_init and AIPM_<KIND>_OPTIONS_INIT. */
int aipm_api_opts_check(unsigned version, unsigned known, const char *fn, const char *kind);
/* Hand b's text to *out (malloc'd: aipm_string_free frees it), or free it
 * and return -ENOMEM when b ran out of memory. */
int aipm_api_give(struct aipm_buf *b, char **out);
/* Run write(f, ctx) into a memory stream and hand its text to *out
 * (untouched on failure): the string form of a call whose FILE form
 * exists, so both give the same bytes. Returns what write returned, or
 * -ENOMEM. */
int aipm_api_to_string(char **out, int (*write)(FILE *f, void *ctx), void *ctx);
/* The checks of every reader: a directory given and an output pointer;
 * what names the pointer's parameter ("json_out"). */
int aipm_api_check_out(const char *dir, const void *out, const char *fn, const char *what);

#endif
