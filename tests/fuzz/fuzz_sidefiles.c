/* fuzz_sidefiles.c: the side-file readers under fuzzing.
 *
 * One input holds the four side files of a recording, separated by the
 * line "#%#" (metadata.json, phases.json, results_exp.json,
 * model_summary.json; missing parts are missing files). They are written
 * next to a small fixed power_metrics.json and read by every reader of
 * record/sidefiles.h, by the summary's side-file step, by the phase and
 * logged-point reports (text and JSON) and by the CSV export's phases
 * column. Nothing may crash, leak or trip a sanitizer; every JSON report
 * must parse back as JSON; pairing may never close more phases than it
 * opened.
 *
 * Built like fuzz_line.c: with libFuzzer (tests/fuzz/run.sh) and, with
 * -DAIPM_FUZZ_DRIVER, as a plain program replaying seeds and mutations.
 * Seeds: tests/fuzz/corpus/sidefiles, each the side files of a fixture
 * recording joined (and every input a fuzzer crashed on).
 */
#include <cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/phases.h"
#include "analysis/summary.h"
#include "export/csv.h"
#include "record/sidefiles.h"

static const char *const files[] = {"metadata.json", "phases.json", "results_exp.json", "model_summary.json"};
#define SEP "\n#%#\n"

/* Two segments of a 10 W package around the phases the seeds name. */
static const char samples[] =
	"{\"timestamp\": 1795634400.0, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 0}, \"cpu_time\": 0}}}\n"
	"{\"timestamp\": 1795634401.0, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 10}, \"cpu_time\": 1}}}\n"
	"{\"timestamp\": 1795634402.0, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 20}, \"cpu_time\": 2}}}\n"
	"\"END OF RECORDING SEGMENT\"\n"
	"{\"timestamp\": 1795634410.0, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 0}}, \"amd_gpu\": "
	"{\"per_gpu_energy\": {\"1\": 0}}}}\n"
	"{\"timestamp\": 1795634412.0, \"metrics\": {\"cpu\": {\"per_zone_energy\": {\"package-0\": 20}}, \"amd_gpu\": "
	"{\"per_gpu_energy\": {\"1\": 50}}}}\n";

static char dir[4096];

static void put(const char *name, const char *data, size_t n)
{
	char path[256];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		abort(); /* a cut path would write beside the fuzzer's directory */
	if (!data) {
		unlink(path);
		return;
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (n && fwrite(data, 1, n, f) != n)
		abort();
	fclose(f);
}

static void cleanup(void)
{
	put("power_metrics.json", NULL, 0);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		put(files[i], NULL, 0);
	rmdir(dir);
}

static void must_parse(const struct aipm_out *o)
{
	if (!o->b.data)
		return;
	cJSON *j = cJSON_Parse(o->b.data);
	if (!j)
		abort(); /* a report that is not JSON */
	cJSON_Delete(j);
}

static void read_all(void)
{
	struct aipm_meta m;
	if (aipm_meta_read(dir, &m) == 0) {
		char r[512], f[512];
		aipm_meta_unmeasured(&m, AIPM_META_GPU_ENERGY, r, sizeof r, f, sizeof f);
		aipm_meta_gpu(&m, "nvidia", 0);
		aipm_meta_free(&m);
	}
	double params, macs;
	aipm_model_numbers(dir, &params, &macs);
	struct aipm_phase_file *pf;
	struct aipm_phase_pairing *pp;
	if (aipm_phase_file_open(dir, &pf) == 0) {
		if (aipm_phase_pairing_new(&pp) == 0) {
			struct aipm_phase_event ev;
			struct aipm_phase_step st;
			long opened = 0, closed = 0;
			while (aipm_phase_file_next(pf, &ev) > 0 && aipm_phase_pair(pp, &ev, &st) == 0) {
				opened += st.kind == AIPM_PHASE_OPENED;
				closed += st.kind == AIPM_PHASE_CLOSED;
				if (closed > opened || (st.kind == AIPM_PHASE_CLOSED && st.begin_ts > ev.ts))
					abort();
			}
			aipm_phase_pairing_free(pp);
		}
		aipm_phase_file_close(pf);
	}
	struct aipm_results_file *rf;
	if (aipm_results_open(dir, &rf) == 0) {
		struct aipm_result r;
		while (aipm_results_next(rf, &r) > 0) {
			cJSON *j = cJSON_Parse(r.metrics_json);
			if (!cJSON_IsObject(j))
				abort(); /* the metrics handed on are one JSON object */
			cJSON_Delete(j);
		}
		aipm_results_close(rf);
	}
	for (int json = 0; json < 2; json++) {
		struct aipm_out o = {0};
		if (aipm_phase_report_write(dir, json, &o) == 0 && json)
			must_parse(&o);
		aipm_buf_free(&o.b);
		struct aipm_out p = {0};
		if (aipm_metric_report_write(dir, json, &p) == 0 && json)
			must_parse(&p);
		aipm_buf_free(&p.b);
	}
	struct aipm_summary *s = NULL;
	if (aipm_summary_load(dir, NULL, &s) == 0) {
		struct aipm_out o = {0};
		aipm_summary_json(s, &o.b);
		must_parse(&o);
		aipm_buf_free(&o.b);
		aipm_summary_free(s);
	}
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		aipm_csv_export(dir, null, NULL);
		fclose(null);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/aipm-fuzz-side-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir))
			abort();
		put("power_metrics.json", samples, sizeof samples - 1);
		atexit(cleanup);
	}
	const char *p = (const char *)data, *end = p + size;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (p > end) {
			put(files[i], NULL, 0);
			continue;
		}
		const char *sep = memmem(p, (size_t)(end - p), SEP, sizeof SEP - 1);
		size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
		put(files[i], p, n);
		p += n + sizeof SEP - 1;
	}
	read_all();
	return 0;
}

/* The driver of every harness (fuzz_driver.h, -DAIPM_FUZZ_DRIVER); its
 * seeds are the joined side files of tests/fuzz/corpus/sidefiles. */
static const char *const fuzz_tokens[] = {"\n", "{", "}", "[", "]", "\"", ",", ":", "1e308", "-1", "null",
					  "\"timestamp\": 1795634401.5", "\"event\": \"end\"", "\"event\": \"begin\"",
					  "\"name\": \"train\"", "\"end_training_epoch\": \"2026-11-25T19:20:01\"",
					  "\\u0000", SEP, "\"provides\": [\"gpu_energy\"]", "\"available\": false"};
#include "fuzz_driver.h"
