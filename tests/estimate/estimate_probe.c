/* estimate_probe.c: print, as one JSON object, what the estimate finds for
 * a proc root and a sys root and the power it gives at each utilisation.
 *
 *     estimate_probe PROC_ROOT SYS_ROOT [UTIL...]
 *
 * scripts/estimate_vs_codecarbon.py runs it on tests/estimate/mktree.py's
 * trees, so the comparison in docs/estimate.md is the library's own
 * output, not a second implementation of the model in Python.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "aipm.h"
#include "estimate/estimate.h"
#include "util.h"

static cJSON *band(const struct aipm_est_band *b)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "w", b->w);
	cJSON_AddNumberToObject(o, "low_w", b->low_w);
	cJSON_AddNumberToObject(o, "high_w", b->high_w);
	return o;
}

int main(int argc, char **argv)
{
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	if (argc < 3) {
		fprintf(stderr, "usage: estimate_probe PROC_ROOT SYS_ROOT [UTIL...]\n");
		return 2;
	}
	if (aipm_cpu_identify(argv[1], argv[2], &id) < 0 || aipm_cpu_power_model_choose(&id, &m) < 0) {
		fprintf(stderr, "aipm: %s\n", aipm_error_last());
		return 1;
	}
	/* The recording's own description of the model (metadata.json's
	 * details), so the comparison reads what a recording says. */
	struct aipm_buf b = {0};
	aipm_cpu_estimate_describe(&b, &id, &m);
	cJSON *o = b.data ? cJSON_Parse(b.data) : NULL;
	aipm_buf_free(&b);
	if (!o) {
		fprintf(stderr, "aipm: the estimate's description does not parse\n");
		return 1;
	}
	cJSON *power = cJSON_CreateArray();
	for (int i = 3; i < argc; i++) {
		struct aipm_est_band p;
		double u = strtod(argv[i], NULL);
		if (!aipm_cpu_power_model_eval(&m, u, &p))
			continue;
		cJSON *e = band(&p);
		cJSON_AddNumberToObject(e, "util", u);
		cJSON_AddItemToArray(power, e);
	}
	cJSON_AddItemToObject(o, "power", power);
	char *s = cJSON_Print(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
	return 0;
}
