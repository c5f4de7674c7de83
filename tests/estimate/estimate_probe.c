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

static cJSON *band(const struct aipm_est_band *b)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "w", b->w);
	cJSON_AddNumberToObject(o, "low_w", b->low_w);
	cJSON_AddNumberToObject(o, "high_w", b->high_w);
	return o;
}

static cJSON *identity(const struct aipm_cpu_identity *id)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model_name", id->model_name);
	cJSON_AddStringToObject(o, "vendor_id", id->vendor_id);
	cJSON_AddNumberToObject(o, "family", id->family);
	cJSON_AddNumberToObject(o, "model", id->model);
	cJSON_AddNumberToObject(o, "stepping", id->stepping);
	cJSON_AddNumberToObject(o, "ncpus", id->ncpus);
	cJSON_AddNumberToObject(o, "sockets", id->sockets);
	cJSON_AddNumberToObject(o, "cores_per_socket", id->cores_per_socket);
	cJSON_AddNumberToObject(o, "threads_per_socket", id->threads_per_socket);
	cJSON_AddStringToObject(o, "hypervisor", aipm_cpu_virt_name(id->virt));
	cJSON_AddStringToObject(o, "cloud", aipm_cloud_name(id->cloud));
	for (int i = 0; i < AIPM_DMI_NFIELDS; i++) {
		if (id->dmi_err[i] == 0)
			cJSON_AddStringToObject(o, aipm_dmi_field_name(i), id->dmi[i]);
		else
			cJSON_AddNullToObject(o, aipm_dmi_field_name(i));
	}
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
	const struct aipm_est_table_info *t = aipm_est_table_info(m.table);
	cJSON *o = cJSON_CreateObject(), *power = cJSON_CreateArray();
	cJSON_AddItemToObject(o, "identity", identity(&id));
	cJSON_AddStringToObject(o, "method", aipm_est_method_name(m.method));
	cJSON_AddStringToObject(o, "table", t->name);
	cJSON_AddStringToObject(o, "table_version", t->version);
	cJSON_AddNumberToObject(o, "row", m.row);
	cJSON_AddStringToObject(o, "row_key", m.row_key);
	cJSON_AddStringToObject(o, "arch", m.arch);
	cJSON_AddNumberToObject(o, "multiplier", m.multiplier);
	cJSON_AddItemToObject(o, "idle", band(&m.idle));
	cJSON_AddItemToObject(o, "full", band(&m.full));
	cJSON_AddStringToObject(o, "text", m.text);
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
