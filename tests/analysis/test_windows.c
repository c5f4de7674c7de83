/* test_windows.c: windows, phases and points measured at their edges, and
 * the reader's rules for damaged and foreign recordings.
 *
 * Hand-made recordings (in a temporary directory, or the fixtures of
 * tests/fixtures/recordings) whose truth is known: a window between two
 * samples takes the counters interpolated linearly at its edges; a window
 * no interval covers is missing with a reason; phases and logged points
 * give the numbers `report --from/--to` gives over the same edges.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis/phases.h"
#include "analysis_helpers.h"
#include "analysis/summary.h"
#include "record/line.h"
#include "record/reader.h"
#include "record/scan.h"

#define T0 1795634400.0


static void near_at(double a, double b, double tol, int line)
{
	if (!(fabs(a - b) <= tol * (fabs(b) + 1e-12)))
		fail_msg("line %d: got %.12g, want %.12g", line, a, b);
}
#define near(a, b) near_at((a), (b), 1e-9, __LINE__)

/* A temporary recording: files given as name, text pairs, NULL-ended. */
static char tmpdir[64];
static const char *recording(const char *first, ...)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/aipm-test-win-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	va_list ap;
	va_start(ap, first);
	for (const char *name = first; name; name = va_arg(ap, const char *)) {
		const char *text = va_arg(ap, const char *);
		char path[256];
		snprintf(path, sizeof path, "%s/%s", tmpdir, name);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	va_end(ap);
	return tmpdir;
}

static void drop(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct aipm_summary *window(const char *dir, double from, double to)
{
	struct aipm_summary_opts o = {.from = from, .to = to};
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(dir, &o, &s), 0);
	return s;
}



/* A 10 W package sampled every second from T0: counter = 10 * t. */
static char *constant_power(int n)
{
	static char text[8192];
	size_t at = 0;
	for (int i = 0; i < n; i++)
		at += (size_t)snprintf(text + at, sizeof text - at,
				       "{\"timestamp\": %.1f, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": %d}, "
				       "\"cpu_time\": %.1f}}}\n", T0 + i, 10 * i, 0.5 * i);
	return text;
}

static void test_window_between_two_samples_is_interpolated(void **state)
{
	(void)state;
	/* aipm-basic: package-0 20 J at T0+1, 50 J at T0+2.5 */
	struct aipm_summary *s = window(fixture("aipm-basic"), T0 + 1.5, T0 + 2);
	near(s->total_j[AIPM_TOTAL_CPU], 30 * 0.5 / 1.5);
	near(s->total_j[AIPM_TOTAL_DRAM], 4 * 0.5 / 1.5);
	near(s->duration_s, 0.5);
	assert_true(s->window_interpolated);
	assert_int_equal(s->lines, 0); /* no sample inside, yet measured */
	assert_string_equal(s->missing, "");
	char *j = json_of(s);
	assert_non_null(strstr(j, "\"interpolated\": true"));
	assert_non_null(strstr(j, "\"missing_reason\": null"));
	free(j);
	aipm_summary_free(s);
}

static void test_power_only_window_cuts_the_trapezoid_at_its_edges(void **state)
{
	(void)state;
	/* aipowermeter: intel_power 10 W at 0 s, 20 W at 1 s, 30 W at 3 s.
	 * [0.5, 1.5] s: 15 -> 20 W over 0.5 s, then 20 -> 22.5 W over 0.5 s. */
	struct aipm_summary_opts o = {.from = 0.5, .to = 1.5, .from_relative = true, .to_relative = true};
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(fixture("aipowermeter"), &o, &s), 0);
	near(s->total_j[AIPM_TOTAL_CPU], (15 + 20) / 2.0 * 0.5 + (20 + 22.5) / 2.0 * 0.5);
	near(s->duration_s, 1);
	assert_true(s->window_interpolated);
	aipm_summary_free(s);
}

static void test_window_holding_one_sample_is_interpolated_not_zero(void **state)
{
	(void)state;
	/* `aipm run -i 1` then `report --from 2 --to 2.35`: 3.5 J, not 0. */
	const char *d = recording("power_metrics.json", constant_power(5), NULL);
	struct aipm_summary_opts o = {.from = 2, .to = 2.35, .from_relative = true, .to_relative = true};
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(d, &o, &s), 0);
	/* Unix seconds as doubles resolve 0.24 us: 1e-6 of 0.35 s. */
	near_at(s->total_j[AIPM_TOTAL_CPU], 3.5, 1e-6, __LINE__);
	near_at(s->cpu_time_s, 0.175, 1e-6, __LINE__);
	near_at(s->duration_s, 0.35, 1e-6, __LINE__);
	assert_int_equal(s->lines, 1);
	aipm_summary_free(s);
	drop(d);
}

static void test_window_no_interval_covers_is_missing_with_reason(void **state)
{
	(void)state;
	const struct {
		double from, to;
		const char *why;
	} cases[] = {
		{T0 + 4, T0 + 9, "between two segments"},
		{T0 + 20, T0 + 30, "after the last sample"},
		{T0 - 30, T0 - 20, "before the first sample"},
	};
	for (size_t i = 0; i < 3; i++) {
		struct aipm_summary *s = window(fixture("aipm-basic"), cases[i].from, cases[i].to);
		for (int t = 0; t < AIPM_TOTAL_COUNT; t++)
			assert_true(isnan(s->total_j[t])); /* missing, never 0 */
		assert_true(isnan(s->duration_s));
		assert_non_null(strstr(s->missing, cases[i].why));
		char *t = text_of(s), *j = json_of(s);
		assert_non_null(strstr(t, "no energy in this window"));
		assert_null(strstr(t, "no RAPL zone")); /* the recording has one */
		assert_non_null(strstr(j, "\"missing_reason\": \""));
		assert_non_null(strstr(j, "\"energy_j\": {}"));
		free(t);
		free(j);
		aipm_summary_free(s);
	}
}

static void test_segment_of_one_sample_is_missing_not_zero(void **state)
{
	(void)state;
	const char *d = recording("power_metrics.json", constant_power(1), NULL);
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(d, NULL, &s), 0);
	assert_true(isnan(s->total_j[AIPM_TOTAL_CPU]));
	assert_non_null(strstr(s->missing, "no segment holds two samples"));
	aipm_summary_free(s);
	drop(d);
}

static void test_line_with_a_nul_byte_is_no_sample(void **state)
{
	(void)state;
	static const char line[] = "{\"timestamp\": 1, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\x00x\": 5}}}}";
	static struct aipm_line_table t;
	static struct aipm_line l;
	struct aipm_date_cache dc = {0};
	assert_int_equal(aipm_line_parse(line, sizeof line - 1, &t, &dc, &l), AIPM_LINE_CORRUPT);
	assert_int_equal(aipm_line_parse_dom(line, sizeof line - 1, &t, &dc, &l), AIPM_LINE_CORRUPT);
	/* a NUL outside a string, and text after the object, likewise */
	static const char tail[] = "{\"timestamp\": 1, \"metrics\": {}}\x00{}";
	assert_int_equal(aipm_line_parse(tail, sizeof tail - 1, &t, &dc, &l), AIPM_LINE_CORRUPT);
	static const char after[] = "{\"timestamp\": 1, \"metrics\": {}} x";
	assert_int_equal(aipm_line_parse(after, sizeof after - 1, &t, &dc, &l), AIPM_LINE_CORRUPT);
}

static void test_reversed_timestamps_are_skipped_and_counted(void **state)
{
	(void)state;
	const char *d = recording("power_metrics.json",
		"{\"timestamp\": 100, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 0}}}}\n"
		"{\"timestamp\": 101, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 10}}}}\n"
		"{\"timestamp\": 100.5, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 50}}}}\n"
		"{\"timestamp\": 101, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 10}}}}\n"
		"{\"timestamp\": 102, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 20}}}}\n"
		"{\"timestamp\": 90, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 25}}}}\n"
		"{\"timestamp\": 103, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 30}}}}\n",
		NULL);
	for (long long part = 0; part <= 64; part += 8) {
		aipm_scan_set_min_part_bytes(part);
		struct aipm_summary_opts o = {.from = NAN, .to = NAN, .threads = part ? 5 : 1};
		struct aipm_summary *s = NULL;
		assert_int_equal(aipm_summary_load(d, &o, &s), 0);
		assert_int_equal(s->out_of_order, 3);
		assert_int_equal(s->samples, 4);
		near(s->total_j[AIPM_TOTAL_CPU], 30);
		near(s->duration_s, 3);
		char *t = text_of(s);
		assert_non_null(strstr(t, "3 not later than the sample before"));
		free(t);
		aipm_summary_free(s);
	}
	aipm_scan_set_min_part_bytes(0);
	/* the sequential reader (CSV, plots, phases) applies the same rule */
	char path[256];
	snprintf(path, sizeof path, "%s/power_metrics.json", d);
	struct aipm_reader *r;
	assert_int_equal(aipm_reader_open(path, NULL, &r), 0);
	struct aipm_sample smp;
	double last = -INFINITY;
	while (aipm_reader_next(r, &smp) > 0) {
		assert_true(smp.line->ts > last);
		last = smp.line->ts;
	}
	assert_int_equal(aipm_reader_stats(r)->out_of_order, 3);
	assert_int_equal(aipm_reader_stats(r)->samples, 4);
	aipm_reader_close(r);
	drop(d);
}

static void test_missing_or_half_written_metadata_is_said(void **state)
{
	(void)state;
	const char *d = recording("power_metrics.json", constant_power(3), NULL);
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(d, NULL, &s), 0);
	assert_int_equal(s->meta_status, AIPM_META_MISSING);
	char *t = text_of(s), *j = json_of(s);
	assert_non_null(strstr(t, "metadata     missing"));
	assert_non_null(strstr(j, "\"metadata\": {\"status\": \"missing\""));
	free(t);
	free(j);
	aipm_summary_free(s);
	drop(d);
	d = recording("power_metrics.json", constant_power(3), "metadata.json", "{\"aipm_version\": \"0.1.0\", \"desc", NULL);
	assert_int_equal(aipm_summary_load(d, NULL, &s), 0);
	assert_int_equal(s->meta_status, AIPM_META_CORRUPT);
	j = json_of(s);
	assert_non_null(strstr(j, "\"status\": \"corrupt\""));
	assert_non_null(strstr(j, "half-written"));
	free(j);
	aipm_summary_free(s);
	drop(d);
}

static void test_aipowermeter_sentinels_are_missing(void **state)
{
	(void)state;
	/* psys_power -1: a machine without psys; null: not read. */
	const char *d = recording("power_metrics.json",
		"{\"date\": \"2021-01-10 10:00:00\", \"metrics\": {\"cpu\": {\"intel_power\": 10, \"psys_power\": -1, "
		"\"total_dram_power\": 2}}}\n"
		"{\"date\": \"2021-01-10 10:00:01\", \"metrics\": {\"cpu\": {\"intel_power\": 10, \"psys_power\": -1, "
		"\"total_dram_power\": -1}}}\n"
		"{\"date\": \"2021-01-10 10:00:02\", \"metrics\": {\"cpu\": {\"intel_power\": 10, \"psys_power\": null, "
		"\"total_dram_power\": 2}}}\n"
		"{\"date\": \"2021-01-10 10:00:03\", \"metrics\": {\"cpu\": {\"intel_power\": 10, \"psys_power\": -1, "
		"\"total_dram_power\": 2}}}\n",
		NULL);
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(d, NULL, &s), 0);
	assert_string_equal(s->format, "aipowermeter");
	near(s->total_j[AIPM_TOTAL_CPU], 30);
	assert_true(isnan(s->total_j[AIPM_TOTAL_PSYS])); /* never integrated */
	near(s->total_j[AIPM_TOTAL_DRAM], 2);           /* only the interval with both ends */
	aipm_summary_free(s);
	drop(d);
}

static double gpu_j(const struct aipm_summary *s, const char *vendor, long index, const char **name)
{
	for (int i = 0; i < s->ngpus; i++)
		if (!strcmp(s->gpus[i].vendor, vendor) && s->gpus[i].index == index) {
			*name = s->gpus[i].name;
			return s->gpus[i].energy_j;
		}
	return NAN;
}

static void test_gpus_of_two_vendors_are_told_apart(void **state)
{
	(void)state;
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(fixture("aipm-vendors"), NULL, &s), 0);
	const char *name = NULL;
	assert_int_equal(s->ngpus, 3);
	near(gpu_j(s, "nvidia", 0, &name), 500);
	assert_string_equal(name, "NVIDIA A100-SXM4-40GB");
	near(gpu_j(s, "amd", 0, &name), 260);
	assert_string_equal(name, "AMD Instinct MI250X GCD 0");
	near(gpu_j(s, "amd", 1, &name), 120);
	near(s->total_j[AIPM_TOTAL_GPU], 880);
	near(s->total_j[AIPM_TOTAL_CPU], 110);
	near(s->total_j[AIPM_TOTAL_DRAM], 28);
	assert_int_equal(s->unknown_fields, 0); /* temperature, cpu_estimate, edge: all known */
	assert_int_equal(s->edge_samples, 1);
	assert_int_equal(s->nhealth, 1);
	assert_string_equal(s->health[0].source, "amdsmi");
	assert_int_equal(s->health[0].failed, 2);
	assert_string_equal(s->gpu_reason, ""); /* GPUs measured: no reason to give */
	char *t = text_of(s), *j = json_of(s);
	assert_non_null(strstr(t, "gpu nvidia:0"));
	assert_non_null(strstr(t, "gpu amd:1"));
	assert_non_null(strstr(t, "amdsmi: 2 of 8 samples (last error: GPU 1 is lost)"));
	assert_non_null(strstr(j, "\"label\": \"amd:0\""));
	assert_non_null(strstr(j, "\"failed_samples\": [{\"source\": \"amdsmi\""));
	free(t);
	free(j);
	aipm_summary_free(s);
}

/* A sink that keeps the results. */
struct kept {
	struct aipm_phase_result ph[16];
	struct aipm_point_result pt[16];
	char metrics[16][64];
	int nph, npt;
	struct aipm_phase_total names[8];
	size_t nnames;
	struct aipm_report_notes notes;
};

static void k_begin(void *ctx, const char *dir, double start)
{
	(void)ctx, (void)dir, (void)start;
}

static void k_phase(void *ctx, const struct aipm_phase_result *r, double start)
{
	(void)start;
	struct kept *k = ctx;
	k->ph[k->nph++] = *r;
}

static void k_point(void *ctx, const struct aipm_point_result *r, double start)
{
	(void)start;
	struct kept *k = ctx;
	snprintf(k->metrics[k->npt], sizeof k->metrics[0], "%s", r->metrics_json);
	k->pt[k->npt++] = *r;
}

static void k_end(void *ctx, const struct aipm_phase_total *n, size_t nn, const struct aipm_report_notes *notes)
{
	struct kept *k = ctx;
	for (size_t i = 0; i < nn && i < 8; i++)
		k->names[i] = n[i];
	k->nnames = nn;
	k->notes = *notes;
}

static const struct aipm_phase_sink keep = {k_begin, k_phase, k_point, k_end};

static void test_phases_are_windows_between_their_marks(void **state)
{
	(void)state;
	static struct kept k;
	memset(&k, 0, sizeof k);
	assert_int_equal(aipm_phase_report_run(fixture("aipm-vendors"), &keep, &k), 0);
	assert_int_equal(k.nph, 4);
	/* in begin order, though "gap" begins after "run" in the file */
	const char *order[] = {"train", "eval", "gap", "run"};
	for (int i = 0; i < 4; i++)
		assert_string_equal(k.ph[i].name, order[i]);
	near(aipm_totals_machine_j(&k.ph[0].t), 40 + 10 + 360);
	near(k.ph[0].f.covered_s, 2);
	assert_true(k.ph[0].f.interpolated); /* begins between samples; ends on the edge sample */
	near(aipm_totals_machine_j(&k.ph[1].t), 15 + 3.75 + 135);
	assert_false(k.ph[2].f.covered);
	assert_true(isnan(aipm_totals_machine_j(&k.ph[2].t)));
	assert_non_null(strstr(k.ph[2].f.missing, "between two segments"));
	near(aipm_totals_machine_j(&k.ph[3].t), 102.5 + 99);
	assert_int_equal(k.ph[3].f.segments, 2);
	near(k.ph[3].f.covered_s, 1.5);
	near(k.ph[0].t.attributed_cpu_j, 20);
	assert_int_equal(k.notes.skipped, 0);
}

/* Each phase is what `report --from begin --to end` says of that window. */
static void test_phase_equals_the_report_over_the_same_edges(void **state)
{
	(void)state;
	static struct kept k;
	memset(&k, 0, sizeof k);
	assert_int_equal(aipm_phase_report_run(fixture("aipm-vendors"), &keep, &k), 0);
	for (int i = 0; i < k.nph; i++) {
		struct aipm_summary *s = window(fixture("aipm-vendors"), k.ph[i].begin_ts, k.ph[i].end_ts);
		struct aipm_totals t;
		memcpy(t.total_j, s->total_j, sizeof t.total_j);
		t.attributed_cpu_j = s->attributed_cpu_j;
		t.attributed_dram_j = s->attributed_dram_j;
		t.attributed_gpu_j = s->attributed_gpu_j;
		double a = aipm_totals_machine_j(&k.ph[i].t), b = aipm_totals_machine_j(&t);
		assert_true((isnan(a) && isnan(b)) || fabs(a - b) < 1e-9);
		a = k.ph[i].t.cpu_time_s, b = s->cpu_time_s;
		assert_true((isnan(a) && isnan(b)) || fabs(a - b) < 1e-9);
		assert_true(k.ph[i].f.interpolated == s->window_interpolated);
		aipm_summary_free(s);
	}
}

static void test_points_measure_from_the_start_and_since_the_last(void **state)
{
	(void)state;
	static struct kept k;
	memset(&k, 0, sizeof k);
	assert_int_equal(aipm_metric_report_run(fixture("aipm-vendors"), &keep, &k), 0);
	assert_int_equal(k.npt, 2);
	near(aipm_totals_machine_j(&k.pt[0].from_start), 30 + 7.5 + 270);
	near(aipm_totals_machine_j(&k.pt[1].from_start), 820 + 99);
	near(aipm_totals_machine_j(&k.pt[1].since_prev), 919 - 307.5);
	assert_string_equal(k.metrics[1], "{\"epoch\":2,\"acc\":0.75}");
}

static void test_counter_absent_from_a_line_is_bridged(void **state)
{
	(void)state;
	/* The zone is missing at T0+2 (a failed read): the counter counted on,
	 * so totals stay last - first and a window across the gap takes the
	 * bridge from T0+1 to T0+3 (the cursor reads ahead for it). */
	const char *d = recording("power_metrics.json",
		"{\"timestamp\": 1795634400, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 0}}}}\n"
		"{\"timestamp\": 1795634401, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 10}}}}\n"
		"{\"timestamp\": 1795634402, \"metrics\": {\"cpu\": {}}}\n"
		"{\"timestamp\": 1795634403, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 50}}}}\n",
		"phases.json",
		"{\"timestamp\": 1795634401.5, \"name\": \"a\", \"event\": \"begin\"}\n"
		"{\"timestamp\": 1795634402.5, \"name\": \"a\", \"event\": \"end\"}\n",
		NULL);
	struct aipm_summary *s = NULL;
	assert_int_equal(aipm_summary_load(d, NULL, &s), 0);
	near(s->total_j[AIPM_TOTAL_CPU], 50);
	aipm_summary_free(s);
	s = window(d, T0 + 1.5, T0 + 2.5);
	near(s->total_j[AIPM_TOTAL_CPU], 20);
	aipm_summary_free(s);
	static struct kept k;
	memset(&k, 0, sizeof k);
	assert_int_equal(aipm_phase_report_run(d, &keep, &k), 0);
	near(aipm_totals_machine_j(&k.ph[0].t), 20);
	drop(d);
}

static void test_results_in_other_layouts_are_read(void **state)
{
	(void)state;
	static const char *const layouts[] = {
		/* a JSON array, pretty-printed */
		"[\n {\n  \"timestamp\": 1795634400.5,\n  \"metrics\": {\"epoch\": 1}\n },\n"
		" {\"timestamp\": 1795634401.5, \"metrics\": {\"epoch\": 2}}\n]\n",
		/* an array cut by a kill after its second record */
		"[{\"timestamp\": 1795634400.5, \"metrics\": {\"epoch\": 1}},\n{\"timestamp\": 1795634401.5, "
		"\"metrics\": {\"epoch\": 2}},\n{\"timestamp\": 1795634402.5, \"metr",
		/* AIPowerMeter's records: an ISO date, the metrics beside it */
		"[{\"end_training_epoch\": \"%s\", \"epoch\": 1}, {\"end_training_epoch\": \"%s\", \"epoch\": 2}]",
		/* AIPowerMeter's object of records */
		"{\"0\": {\"end_training_epoch\": \"%s\", \"epoch\": 1}, \"1\": {\"end_training_epoch\": \"%s\", "
		"\"epoch\": 2}}",
	};
	char d1[64], d2[64], text[1024];
	aipm_format_date_ts(d1, sizeof d1, T0 + 0.5);
	aipm_format_date_ts(d2, sizeof d2, T0 + 1.5);
	d1[10] = d2[10] = 'T'; /* as Python's isoformat writes it */
	for (size_t i = 0; i < 4; i++) {
		snprintf(text, sizeof text, layouts[i], d1, d2);
		const char *d = recording("power_metrics.json", constant_power(4), "results_exp.json", text, NULL);
		static struct kept k;
		memset(&k, 0, sizeof k);
		assert_int_equal(aipm_metric_report_run(d, &keep, &k), 0);
		assert_int_equal(k.npt, 2);
		assert_string_equal(k.metrics[1], "{\"epoch\":2}");
		near(aipm_totals_machine_j(&k.pt[1].from_start), 15);
		assert_int_equal(k.notes.skipped, i == 1 ? 1 : 0);
		drop(d);
	}
}

static void test_more_zones_and_gpus_than_the_sampler_are_read(void **state)
{
	(void)state;
	/* 70 zones and 20 GPUs: past AIPM_MAX_ZONES and AIPM_MAX_GPUS, within
	 * the file's limits; then 130 zones: 2 past them, skipped, counted. */
	static char line[1 << 16];
	static struct aipm_line_table t;
	static struct aipm_line l;
	struct aipm_date_cache dc = {0};
	for (int pass = 0; pass < 2; pass++) {
		int nz = pass ? 130 : 70;
		size_t at = (size_t)snprintf(line, sizeof line, "{\"timestamp\": 5, \"metrics\": {\"cpu\": {\"per_zone_energy\": {");
		for (int z = 0; z < nz; z++)
			at += (size_t)snprintf(line + at, sizeof line - at, "%s\"package-%d\": %d", z ? ", " : "", z, z);
		at += (size_t)snprintf(line + at, sizeof line - at, "}}, \"amd_gpu\": {\"per_gpu_energy\": {");
		for (int g = 0; g < 20; g++)
			at += (size_t)snprintf(line + at, sizeof line - at, "%s\"%d\": %d", g ? ", " : "", g, g);
		at += (size_t)snprintf(line + at, sizeof line - at, "}}}}");
		memset(&t, 0, sizeof t);
		assert_int_equal(aipm_line_parse(line, at, &t, &dc, &l), AIPM_LINE_SAMPLE);
		assert_int_equal(aipm_line_table_zones(&t), pass ? AIPM_FORMAT_MAX_ZONES : 70);
		assert_int_equal(aipm_line_table_gpus(&t), 20);
		assert_int_equal(l.dropped, pass ? 2 : 0);
		near(l.zone_energy_j[69], 69);
		near(l.gpu[19].energy_j, 19);
	}
}

static void test_phase_of_no_length_inside_an_interval_is_zero_not_missing(void **state)
{
	(void)state;
	const char *d = recording("power_metrics.json", constant_power(3), "phases.json",
		"{\"timestamp\": 1795634400.5, \"name\": \"blink\", \"event\": \"begin\"}\n"
		"{\"timestamp\": 1795634400.5, \"name\": \"blink\", \"event\": \"end\"}\n"
		"{\"timestamp\": 1795634401.5, \"name\": \"open\", \"event\": \"begin\"}\n",
		NULL);
	static struct kept k;
	memset(&k, 0, sizeof k);
	assert_int_equal(aipm_phase_report_run(d, &keep, &k), 0);
	assert_int_equal(k.nph, 2);
	assert_true(k.ph[0].f.covered);
	near(aipm_totals_machine_j(&k.ph[0].t), 0);
	assert_true(k.ph[1].open); /* never ended: to the end of the recording */
	near(aipm_totals_machine_j(&k.ph[1].t), 5);
	drop(d);
}

static void test_pairing_refuses_what_the_writer_refuses(void **state)
{
	(void)state;
	/* an end before its begin, an end of a phase not open, a begin of one
	 * already open: skipped and counted, by every reader alike */
	const char *d = recording("power_metrics.json", constant_power(4), "phases.json",
		"{\"timestamp\": 1795634401, \"name\": \"a\", \"event\": \"begin\"}\n"
		"{\"timestamp\": 1795634400.5, \"name\": \"a\", \"event\": \"end\"}\n"
		"{\"timestamp\": 1795634401.2, \"name\": \"a\", \"event\": \"begin\"}\n"
		"{\"timestamp\": 1795634401.5, \"name\": \"b\", \"event\": \"end\"}\n"
		"{\"timestamp\": 1795634402, \"name\": \"a\", \"event\": \"end\"}\n"
		"not json\n",
		NULL);
	static struct kept k;
	memset(&k, 0, sizeof k);
	assert_int_equal(aipm_phase_report_run(d, &keep, &k), 0);
	assert_int_equal(k.nph, 1);
	near(k.ph[0].begin_ts, T0 + 1);
	near(k.ph[0].end_ts, T0 + 2);
	assert_int_equal(k.notes.skipped, 4);
	drop(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_between_two_samples_is_interpolated),
		cmocka_unit_test(test_power_only_window_cuts_the_trapezoid_at_its_edges),
		cmocka_unit_test(test_window_holding_one_sample_is_interpolated_not_zero),
		cmocka_unit_test(test_window_no_interval_covers_is_missing_with_reason),
		cmocka_unit_test(test_segment_of_one_sample_is_missing_not_zero),
		cmocka_unit_test(test_line_with_a_nul_byte_is_no_sample),
		cmocka_unit_test(test_reversed_timestamps_are_skipped_and_counted),
		cmocka_unit_test(test_pairing_refuses_what_the_writer_refuses),
		cmocka_unit_test(test_missing_or_half_written_metadata_is_said),
		cmocka_unit_test(test_aipowermeter_sentinels_are_missing),
		cmocka_unit_test(test_gpus_of_two_vendors_are_told_apart),
		cmocka_unit_test(test_phases_are_windows_between_their_marks),
		cmocka_unit_test(test_phase_equals_the_report_over_the_same_edges),
		cmocka_unit_test(test_points_measure_from_the_start_and_since_the_last),
		cmocka_unit_test(test_counter_absent_from_a_line_is_bridged),
		cmocka_unit_test(test_results_in_other_layouts_are_read),
		cmocka_unit_test(test_more_zones_and_gpus_than_the_sampler_are_read),
		cmocka_unit_test(test_phase_of_no_length_inside_an_interval_is_zero_not_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
