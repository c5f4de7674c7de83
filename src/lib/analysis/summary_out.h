/* summary_out.h: what a report of one summary shows, decided once for the
 * text report, the JSON report, the HTML report and the plots' legends.
 *
 * The headline is the energy of the run (CPU packages + DRAM + GPUs as
 * measured; psys alone when it is all there is, since it already holds the
 * others), the experiment's share of it, the mean power and the duration.
 * The energy table lists each zone once, under the zone that already
 * holds its energy (psys > package > core, uncore; DRAM beside them), with
 * a sum row only where a part has several zones, so no number is printed
 * twice under two names; a part the recording did not measure gets a row
 * that says so and why. Nothing here reads a file.
 */
#ifndef AIPM_ANALYSIS_SUMMARY_OUT_H
#define AIPM_ANALYSIS_SUMMARY_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/summary.h"

struct aipm_headline {
	double energy_j;     /* NAN: nothing measured */
	double attributed_j; /* the experiment's share; NAN: not known */
	double share;        /* attributed_j / energy_j */
	double mean_w;       /* energy_j / duration_s */
	double duration_s;
	char includes[96];   /* "CPU packages + DRAM + GPUs", "psys" */
};
void aipm_summary_headline(const struct aipm_summary *s, struct aipm_headline *h);
/* A summary's totals as a window's (series.h), for its derived sums. */
struct aipm_totals aipm_summary_totals(const struct aipm_summary *s);

enum aipm_row_kind {
	AIPM_ROW_PART,    /* a zone, a GPU */
	AIPM_ROW_SUM,     /* the sum of the rows below it, one level deeper */
	AIPM_ROW_MISSING, /* a part not measured: reason (and fix) say why */
};

struct aipm_energy_row {
	enum aipm_row_kind kind;
	int depth;   /* 0 for a part of the machine; 1 inside the row above it, ... */
	char label[192];
	const char *key; /* the JSON energy_j key, or NULL (a GPU) */
	int zone_kind;   /* enum aipm_kind of its zones; -1: GPUs, or a part missing */
	double energy_j, mean_w, attributed_j; /* NAN: not measured / not known */
	bool in_run;     /* its energy is part of the headline's */
	const char *note; /* e.g. "holds the packages", NULL */
	char reason[512], fix[512]; /* AIPM_ROW_MISSING */
};

/* The energy table of s: *rows malloc'd (free it), the count returned, or
 * -ENOMEM (message set). */
int aipm_summary_rows(const struct aipm_summary *s, struct aipm_energy_row **rows);

/* A GPU of s as people name it ("GPU 0 (NVIDIA A100)", "node2: GPU 0 (...)"
 * in a total of several recordings). */
void aipm_summary_gpu_title(const struct aipm_summary *s, const struct aipm_summary_gpu *g, char *out, size_t n);

/* "1.5 GiB" */
const char *aipm_bytes_h(char *buf, size_t size, double bytes);

#endif
