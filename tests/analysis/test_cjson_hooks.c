/* test_cjson_hooks.c: the readers leave the host's cJSON allocator alone.
 *
 * libcjson is shared: its allocator hooks belong to the whole process. A
 * host that installs its own (here: a header in front of every block,
 * checked on free), parses an object, then calls every libaipm reader and
 * frees its object must survive: the library may neither replace the hooks
 * (the host's object would then be freed by another allocator) nor free
 * what cJSON allocated with plain free() (cJSON_PrintUnformatted's text
 * must go back through cJSON_free). Every reader that uses cJSON is called:
 * lines the fast scanner leaves to cJSON, metadata, phases, logged points
 * in both layouts, the model summary, the CSV export.
 */
#include <cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aipm.h"
#include "analysis_helpers.h"
#include "export/csv.h"

static const char magic[8] = "HOSTHOOK";
static long live;

static void *host_malloc(size_t n)
{
	unsigned char *p = malloc(n + 16);
	if (!p)
		return NULL;
	memcpy(p, magic, sizeof magic);
	live++;
	return p + 16;
}

static void host_free(void *q)
{
	if (!q)
		return;
	unsigned char *p = (unsigned char *)q - 16;
	if (memcmp(p, magic, sizeof magic))
		abort(); /* not ours: someone swapped the hooks under us */
	memset(p, 0, sizeof magic);
	live--;
	free(p);
}


static void call(int (*fn)(const char *, char **), const char *dir)
{
	char *json = NULL;
	assert_int_equal(fn(dir, &json), 0);
	assert_non_null(json);
	aipm_string_free(json);
}

static void test_host_hooks_survive_every_reader(void **state)
{
	(void)state;
	cJSON_Hooks hooks = {host_malloc, host_free};
	cJSON_InitHooks(&hooks);
	cJSON *mine = cJSON_Parse("{\"host\": [1, 2, {\"x\": \"y\"}]}");
	assert_non_null(mine);
	/* oddities: lines only cJSON reads; aipm-vendors: metadata with
	 * details, phases, points; aipm-basic: the model summary. */
	call(aipm_recording_summary_json, fixture("oddities"));
	call(aipm_recording_summary_json, fixture("aipm-vendors"));
	call(aipm_recording_summary_json, fixture("aipm-basic"));
	call(aipm_recording_phases_json, fixture("aipm-vendors"));
	call(aipm_recording_metrics_json, fixture("aipm-vendors"));
	FILE *null = fopen("/dev/null", "w");
	assert_non_null(null);
	assert_int_equal(aipm_csv_export(fixture("aipm-vendors"), null, NULL), 0);
	fclose(null);
	/* AIPowerMeter's layout of results_exp.json: records rebuilt and
	 * printed by cJSON */
	char dir[] = "/tmp/aipm-test-hooks-XXXXXX", cmd[8192];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd,
		 "cp '%s/power_metrics.json' '%s/' && printf '[{\"end_training_epoch\": \"2026-11-25T19:20:01\", "
		 "\"acc\": 1}]' >'%s/results_exp.json'",
		 fixture("aipm-vendors"), dir, dir);
	assert_int_equal(system(cmd), 0);
	call(aipm_recording_metrics_json, dir);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	cJSON *again = cJSON_Parse("[\"after\"]");
	cJSON_Delete(mine);
	cJSON_Delete(again);
	assert_int_equal(live, 0); /* everything cJSON allocated went back */
	cJSON_InitHooks(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_hooks_survive_every_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
