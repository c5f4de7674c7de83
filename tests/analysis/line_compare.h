/* line_compare.h: whether the two line parsers agree (tests and fuzzing).
 *
 * aipm_line_parse_fast reads a line by hand and gives up (-1) on what it
 * does not vouch for; aipm_line_parse_dom is the cJSON reference. Where
 * the fast one answers, the struct it fills and the zones it registers
 * must be exactly the DOM's: same kind, same bits for every double (NAN
 * included), same unknown-field and dropped counts, the same zones and
 * GPUs registered. Each parser gets its own table so a difference in
 * registration shows. Header-only: the unit test and
 * the fuzz harness (built outside meson) both include it.
 */
#ifndef AIPM_TEST_LINE_COMPARE_H
#define AIPM_TEST_LINE_COMPARE_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "record/line.h"

static int line_cmp_d(double a, double b) { return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a); }

/* 0: agree, or the fast parser gave up (*gave_up set); else the line of
 * the first field that differs, with a message on stderr. */
static int line_parsers_differ(const char *text, size_t len, int *gave_up)
{
	static struct aipm_line_table za, zb;
	static struct aipm_line a, b;
	struct aipm_date_cache da = {0}, db = {0};
	memset(&za, 0, sizeof za);
	memset(&zb, 0, sizeof zb);
	memset(&a, 0xA5, sizeof a);
	memset(&b, 0x5A, sizeof b);
	int kf = aipm_line_parse_fast(text, len, &za, &da, &a);
	*gave_up = kf < 0;
	if (kf < 0)
		return aipm_line_table_zones(&za) || aipm_line_table_gpus(&za) ? __LINE__ : 0; /* gave up, yet left a trace */
	int kd = (int)aipm_line_parse_dom(text, len, &zb, &db, &b);
#define DIFF(cond, what)                                                                                   \
	do {                                                                                               \
		if (cond) {                                                                                \
			fprintf(stderr, "fast and DOM parsers differ on %s in: %.*s\n", what, (int)len, text); \
			return __LINE__;                                                                   \
		}                                                                                          \
	} while (0)
	DIFF(kf != kd, "the line's kind");
	if (kd != AIPM_LINE_SAMPLE)
		return 0;
	DIFF(aipm_line_table_zones(&za) != aipm_line_table_zones(&zb), "the zones registered");
	for (int z = 0; z < aipm_line_table_zones(&za); z++)
		DIFF(strcmp(za.zone[z], zb.zone[z]), "the zone names");
	DIFF(aipm_line_table_gpus(&za) != aipm_line_table_gpus(&zb), "the GPUs registered");
	for (int g = 0; g < aipm_line_table_gpus(&za); g++)
		DIFF(strcmp(za.gpu[g].vendor, zb.gpu[g].vendor) || za.gpu[g].index != zb.gpu[g].index, "the GPU ids");
	DIFF(!line_cmp_d(a.ts, b.ts) || a.timestamped != b.timestamped, "ts");
	DIFF(a.edge != b.edge, "the edge mark");
	DIFF(a.dropped != b.dropped, "dropped values");
	DIFF(a.nzones != b.nzones, "nzones");
	for (int z = 0; z < a.nzones; z++)
		DIFF(!line_cmp_d(a.zone_energy_j[z], b.zone_energy_j[z]) ||
			     !line_cmp_d(a.zone_power_w[z], b.zone_power_w[z]),
		     "a zone value");
	DIFF(!line_cmp_d(a.attributed_cpu_j, b.attributed_cpu_j) || !line_cmp_d(a.attributed_dram_j, b.attributed_dram_j),
	     "attributed energy");
	DIFF(!line_cmp_d(a.cpu_time_s, b.cpu_time_s), "cpu_time");
	for (int i = 0; i < AIPM_PW_COUNT; i++)
		DIFF(!line_cmp_d(a.pw[i], b.pw[i]), "a whole-machine power");
	DIFF(!line_cmp_d(a.pss_bytes, b.pss_bytes) || !line_cmp_d(a.uss_bytes, b.uss_bytes), "PSS/USS");
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		DIFF(!line_cmp_d(a.est_j[i], b.est_j[i]), "a CPU estimate energy");
	for (int i = 0; i < AIPM_EST_W_COUNT; i++)
		DIFF(!line_cmp_d(a.est_w[i], b.est_w[i]), "a CPU estimate power");
	DIFF(!line_cmp_d(a.est_load, b.est_load), "the CPU estimate's load");
	DIFF(a.ngpus != b.ngpus, "ngpus");
	for (int g = 0; g < a.ngpus; g++) {
		const struct aipm_line_gpu *x = &a.gpu[g], *y = &b.gpu[g];
		DIFF(!line_cmp_d(x->energy_j, y->energy_j) || !line_cmp_d(x->attributed_j, y->attributed_j) ||
			     !line_cmp_d(x->power_w, y->power_w) ||
			     !line_cmp_d(x->attributable_power_w, y->attributable_power_w) ||
			     !line_cmp_d(x->sm_percent, y->sm_percent) || !line_cmp_d(x->mem_bytes, y->mem_bytes) ||
			     !line_cmp_d(x->energy_age_s, y->energy_age_s) ||
			     x->integrated != y->integrated,
		     "a GPU value");
	}
	DIFF(a.unknown_fields != b.unknown_fields, "unknown_fields");
#undef DIFF
	return 0;
}

#endif
