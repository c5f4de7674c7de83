/* analysis_helpers.h: what the analysis tests share: the path of a fixture
 * recording, and a summary's text and JSON as strings (to free). Include
 * after cmocka.h. */
#ifndef AIPM_TEST_ANALYSIS_HELPERS_H
#define AIPM_TEST_ANALYSIS_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

#include "analysis/summary.h"

/* tests/fixtures/recordings/NAME; four calls may be held at once. */
static inline const char *fixture(const char *name)
{
	static char path[4][4096];
	static int k;
	const char *src = getenv("AIPM_SRC");
	char *p = path[k++ % 4];
	snprintf(p, sizeof path[0], "%s/tests/fixtures/recordings/%s", src ? src : ".", name);
	return p;
}

/* noinline: inlined at -O3, gcc 12 takes the heap pointer open_memstream
 * stores in buf for buf's own address (a false -Wdangling-pointer) */
static __attribute__((noinline, unused)) char *text_of(const struct aipm_summary *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	aipm_summary_print(s, f);
	fclose(f);
	return buf;
}

static inline char *json_of(const struct aipm_summary *s)
{
	struct aipm_buf b = {0};
	aipm_summary_json(s, &b);
	assert_non_null(b.data);
	return b.data;
}

#endif
