/* describe.c: the estimate's provenance as one JSON object: the identity
 * found, the model chosen (method, table, row, bands, the method text),
 * the formula and every compiled-in table's version and licence.
 *
 * One writer for every place that must say how an estimate was made: the
 * estimate source's details in metadata.json and `aipm probe --json`, and
 * tests/estimate/estimate_probe (the comparison with CodeCarbon), so the
 * recording and the documentation's table name the same things. Runs once
 * per recording; it appends to a buffer and does nothing else.
 */
#include "estimate/estimate.h"

#include "util.h"

/* The formula in one line, for a reader of metadata.json without the docs. */
static const char formula[] =
	"P(u) = idle + (full - idle) * u; low bound: idle.low + (full.low - idle.low) * u^3; high bound: "
	"idle.high + (full.high - idle.high) * T(u), T Teads' curve; u = busy CPU time (steal left out) over "
	"total CPU time in the interval; energy = P * dt; attributed = experiment's CPU share * energy, each "
	"bound alike (docs/estimate.md)";

/* sep, then "k": */
static void key(struct aipm_buf *b, const char *sep, const char *k)
{
	aipm_buf_puts(b, sep);
	aipm_buf_json_str(b, k);
	aipm_buf_puts(b, ": ");
}

static void str(struct aipm_buf *b, const char *sep, const char *k, const char *v)
{
	key(b, sep, k);
	aipm_buf_json_str(b, v);
}

static void num(struct aipm_buf *b, const char *k, double v)
{
	key(b, ", ", k);
	aipm_buf_double(b, v);
}

static void band(struct aipm_buf *b, const char *k, const struct aipm_est_band *v)
{
	key(b, ", ", k);
	key(b, "{", "w");
	aipm_buf_double(b, v->w);
	num(b, "low_w", v->low_w);
	num(b, "high_w", v->high_w);
	aipm_buf_puts(b, "}");
}

static void identity(struct aipm_buf *b, const struct aipm_cpu_identity *id)
{
	key(b, ", ", "identity");
	str(b, "{", "model_name", id->model_name);
	str(b, ", ", "vendor_id", id->vendor_id);
	num(b, "family", id->family);
	num(b, "model", id->model);
	num(b, "stepping", id->stepping);
	num(b, "ncpus", id->ncpus);
	num(b, "sockets", id->sockets);
	num(b, "cores_per_socket", id->cores_per_socket);
	num(b, "threads_per_socket", id->threads_per_socket);
	str(b, ", ", "hypervisor", aipm_cpu_virt_name(id->virt));
	str(b, ", ", "cloud", aipm_cloud_name(id->cloud));
	/* An unreadable DMI file is null, an empty one "": not the same fact. */
	for (int i = 0; i < AIPM_DMI_NFIELDS; i++) {
		if (id->dmi_err[i] == 0) {
			str(b, ", ", aipm_dmi_field_name(i), id->dmi[i]);
		} else {
			key(b, ", ", aipm_dmi_field_name(i));
			aipm_buf_puts(b, "null");
		}
	}
	aipm_buf_puts(b, "}");
}

static void tables(struct aipm_buf *b)
{
	key(b, ", ", "tables");
	aipm_buf_puts(b, "[");
	for (int t = 0; t < AIPM_EST_NTABLES; t++) {
		const struct aipm_est_table_info *ti = aipm_est_table_info(t);
		str(b, t ? ", {" : "{", "name", ti->name);
		str(b, ", ", "file", ti->file);
		str(b, ", ", "title", ti->title);
		str(b, ", ", "version", ti->version);
		str(b, ", ", "upstream_path", ti->upstream_path);
		str(b, ", ", "licence", ti->licence);
		num(b, "rows", ti->rows);
		num(b, "skipped", ti->skipped);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]");
}

void aipm_cpu_estimate_describe(struct aipm_buf *b, const struct aipm_cpu_identity *id,
				const struct aipm_cpu_power_model *m)
{
	const struct aipm_est_table_info *t = aipm_est_table_info(m->table);
	str(b, "{", "method", aipm_est_method_name(m->method));
	str(b, ", ", "table", t ? t->name : "");
	str(b, ", ", "table_version", t ? t->version : "");
	num(b, "row", m->row);
	str(b, ", ", "row_key", m->row_key);
	str(b, ", ", "arch", m->arch);
	num(b, "cpuid_row", m->cpuid_row);
	num(b, "tdp_row", m->tdp_row);
	num(b, "ncpus", m->ncpus);
	num(b, "multiplier", m->multiplier);
	band(b, "idle", &m->idle);
	band(b, "full", &m->full);
	str(b, ", ", "text", m->text);
	str(b, ", ", "formula", formula);
	if (id)
		identity(b, id);
	tables(b);
	aipm_buf_puts(b, "}");
}
