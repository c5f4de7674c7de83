/* test_results.c: results_exp.json in AIPowerMeter's layout (a JSON array
 * of records with end_training_epoch, one json.load), and aipm's crash
 * safety kept: every record added by one pwrite over the closing bracket, a
 * failed write undone, a file in another layout rewritten on --append with
 * every record kept, and the one reader reading what the writer wrote. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "record/format.h"
#include "record/outdir.h"
#include "record/phases.h"
#include "record/results.h"
#include "record/sidefiles.h"

static char root[256];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "%s/aipm-results.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *name, size_t *len)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", root, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void put_file(const char *name, const char *text)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", root, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The file as AIPowerMeter's reader takes it: one JSON array whose records
 * all have an end_training_epoch; returns the array (caller frees). */
static cJSON *load_array(void)
{
	const char *text = slurp(AIPM_FILE_RESULTS, NULL);
	assert_non_null(text);
	cJSON *j = cJSON_Parse(text);
	if (!cJSON_IsArray(j))
		fail_msg("not one JSON array: %s", text);
	for (const cJSON *r = j->child; r; r = r->next)
		assert_true(cJSON_IsString(cJSON_GetObjectItem(r, AIPM_KEY_END_EPOCH)));
	return j;
}

static struct aipm_results_writer *open_writer(bool append)
{
	struct aipm_outdir *d;
	assert_int_equal(aipm_outdir_open(&d, root, 0), 0);
	struct aipm_results_writer *w = NULL;
	int e = aipm_results_writer_open(&w, d, append);
	aipm_outdir_unref(d);
	assert_int_equal(e, 0);
	return w;
}

static int log_now(struct aipm_results_writer *w, const char *const *names, const double *v, size_t n)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return aipm_results_writer_log(w, names, v, n, &now);
}

static void log1(struct aipm_results_writer *w, const char *name, double v)
{
	const char *names[] = {name};
	assert_int_equal(log_now(w, names, &v, 1), 0);
}

/* What the one reader gives back: the records' times and their "epoch". */
static size_t read_back(double *ts, double *epoch, size_t max)
{
	struct aipm_results_file *f;
	assert_int_equal(aipm_results_open(root, &f), 0);
	struct aipm_result r;
	size_t n = 0;
	while (aipm_results_next(f, &r) > 0 && n < max) {
		cJSON *m = cJSON_Parse(r.metrics_json);
		ts[n] = r.ts;
		epoch[n++] = cJSON_GetObjectItem(m, "epoch") ? cJSON_GetObjectItem(m, "epoch")->valuedouble : NAN;
		cJSON_Delete(m);
	}
	assert_int_equal(aipm_results_skipped(f), 0);
	aipm_results_close(f);
	return n;
}

static void test_results_are_one_array_of_aipowermeter_records(void **state)
{
	(void)state;
	struct aipm_results_writer *w = open_writer(false);
	assert_null(slurp(AIPM_FILE_RESULTS, NULL)); /* created at the first record */
	struct timespec t0;
	clock_gettime(CLOCK_REALTIME, &t0);
	for (int i = 1; i <= 3; i++) {
		log1(w, "epoch", i);
		cJSON *j = load_array(); /* loadable after every record */
		assert_int_equal(cJSON_GetArraySize(j), i);
		cJSON_Delete(j);
	}
	aipm_results_writer_close(w);
	size_t len = 0; /* slurp leaves it alone when the file is missing */
	const char *text = slurp(AIPM_FILE_RESULTS, &len);
	assert_memory_equal(text, "[\n{\"end_training_epoch\": \"", 26);
	assert_memory_equal(text + len - 4, "}\n]\n", 4); /* one record per line */
	double ts[8], ep[8];
	assert_int_equal(read_back(ts, ep, 8), 3);
	double now = (double)t0.tv_sec + t0.tv_nsec / 1e9;
	for (int i = 0; i < 3; i++) {
		assert_true(fabs(ts[i] - now) < 5); /* the date's offset read as such */
		assert_true(ep[i] == i + 1);
	}
}

/* A write the file system refuses (here a file size limit: the same path
 * as a full disk) leaves the file as it was, still one array. */
static void test_results_a_refused_write_is_undone(void **state)
{
	(void)state;
	struct aipm_results_writer *w = open_writer(false);
	log1(w, "epoch", 1);
	size_t len = 0;
	char before[4096];
	const char *text = slurp(AIPM_FILE_RESULTS, &len);
	memcpy(before, text, len);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim = {.rlim_cur = len + 10, .rlim_max = RLIM_INFINITY};
	getrlimit(RLIMIT_FSIZE, &old);
	lim.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	const char *names[] = {"a_long_metric_name_to_pass_the_limit"};
	double v = 2;
	int e = log_now(w, names, &v, 1);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(e, -EFBIG);
	size_t len2;
	text = slurp(AIPM_FILE_RESULTS, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(text, before, len);
	log1(w, "epoch", 3); /* and the next one goes on */
	cJSON *j = load_array();
	assert_int_equal(cJSON_GetArraySize(j), 2);
	cJSON_Delete(j);
	aipm_results_writer_close(w);
}

/* --append onto an older layout: aipm's JSON lines, an array cut short by
 * a kill, AIPowerMeter's object of records. Every record is kept, with its
 * time, and new records follow. */
static void check_rewritten(const char *old, size_t nold, double first_ts)
{
	put_file(AIPM_FILE_RESULTS, old);
	struct aipm_results_writer *w = open_writer(true);
	cJSON *j = load_array(); /* rewritten at open */
	assert_int_equal(cJSON_GetArraySize(j), (int)nold);
	cJSON_Delete(j);
	log1(w, "epoch", 9);
	aipm_results_writer_close(w);
	double ts[8], ep[8];
	assert_int_equal(read_back(ts, ep, 8), nold + 1);
	assert_true(fabs(ts[0] - first_ts) < 1e-5);
	assert_true(ep[0] == 1 && ep[nold] == 9);
}

static void test_results_append_rewrites_other_layouts(void **state)
{
	(void)state;
	check_rewritten("{\"date\": \"x\", \"timestamp\": 1795634465.6, \"metrics\": {\"epoch\": 1, \"acc\": 0.5}}\n"
			"{\"date\": \"x\", \"timestamp\": 1795634466.6, \"metrics\": {\"epoch\": 2}}\n",
			2, 1795634465.6);
	check_rewritten("[\n{\"end_training_epoch\": \"2026-11-25T19:21:05.600000+01:00\", \"epoch\": 1},\n"
			"{\"end_training_epoch\": \"2026-11-25T19:2", 1, 1795630865.6);
	check_rewritten("{\"0\": {\"end_training_epoch\": \"2026-11-25T19:21:05.600000-05:30\", \"epoch\": 1}, "
			"\"1\": {\"end_training_epoch\": \"2026-11-25T19:21:06.600000-05:30\", \"epoch\": 2}}",
			2, 1795654265.6);
	/* A closed array of AIPowerMeter's, on one line: added to in place. */
	put_file(AIPM_FILE_RESULTS, "[{\"end_training_epoch\": \"2026-11-25T19:21:05.600000+01:00\", \"epoch\": 1}]");
	struct aipm_results_writer *w = open_writer(true);
	log1(w, "epoch", 2);
	aipm_results_writer_close(w);
	const char *text = slurp(AIPM_FILE_RESULTS, NULL);
	static const char kept[] = "[{\"end_training_epoch\": \"2026-11-25T19:21:05.600000+01:00\", \"epoch\": 1},\n{";
	assert_memory_equal(text, kept, sizeof kept - 1);
	double ts[8], ep[8];
	assert_int_equal(read_back(ts, ep, 8), 2);
}

/* A metric may not take the record's own keys. */
static void test_results_refuse_the_record_keys_as_metric_names(void **state)
{
	(void)state;
	struct aipm_outdir *d;
	assert_int_equal(aipm_outdir_open(&d, root, 0), 0);
	struct aipm_phases *p;
	assert_int_equal(aipm_phases_open(&p, d, false), 0);
	aipm_outdir_unref(d);
	const char *bad[] = {"end_training_epoch", "timestamp", "date", "metrics"};
	double v = 1;
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(aipm_phases_log(p, &bad[i], &v, 1), -EINVAL);
	const char *good[] = {"epoch"};
	assert_int_equal(aipm_phases_log(p, good, &v, 1), 0);
	aipm_phases_close(p);
}

/* Python's isoformat with an offset is an instant, whatever the local
 * zone; without one it is local time. */
static void test_results_dates_with_an_offset_are_instants(void **state)
{
	(void)state;
	double ts;
	assert_true(aipm_format_date_parse("2026-11-25T19:21:05.600000+01:00", NULL, &ts));
	assert_true(fabs(ts - 1795630865.6) < 1e-6);
	assert_true(aipm_format_date_parse("2026-11-25T19:21:05.600000-05:30", NULL, &ts));
	assert_true(fabs(ts - 1795654265.6) < 1e-6);
	assert_true(aipm_format_date_parse("2026-11-25T18:21:05.600000Z", NULL, &ts));
	assert_true(fabs(ts - 1795630865.6) < 1e-6);
	assert_false(aipm_format_date_parse("2026-11-25T19:21:05+1", NULL, &ts));
	assert_false(aipm_format_date_parse("2026-11-25T19:21:05+01:00x", NULL, &ts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_results_are_one_array_of_aipowermeter_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_a_refused_write_is_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_append_rewrites_other_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_refuse_the_record_keys_as_metric_names, setup, teardown),
		cmocka_unit_test(test_results_dates_with_an_offset_are_instants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
