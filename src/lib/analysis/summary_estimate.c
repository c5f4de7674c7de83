/* summary_estimate.c: the CPU estimate in the report, in a section of its
 * own (docs/estimate.md).
 *
 * A recording made without RAPL carries an estimate of CPU energy with a
 * low and a high bound (metrics.cpu_estimate). The summary totals it over
 * the window like any counter (series.h), into est_j, and never into a
 * measured total; this file says what it is: the text section is headed
 * "estimate" and says "not measured", with the interval [low, high] and
 * the method that made it (metadata.json's cpu_estimate details); JSON has
 * it under its own "estimate" object with "measured": false. Phases and
 * logged points get the same object from their window's totals.
 */
#include <math.h>
#include <string.h>

#include "analysis/out.h"
#include "summary.h"

static const char *const keys[AIPM_EST_J_COUNT] = {AIPM_KEYS_EST_J};

bool aipm_estimate_any(const double *est_j)
{
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		if (!isnan(est_j[i]))
			return true;
	return false;
}

void aipm_summary_estimate_init(struct aipm_summary_estimate *e)
{
	memset(e, 0, sizeof *e);
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		e->j[i] = NAN;
}

void aipm_summary_estimate_add(struct aipm_summary_estimate *t, const struct aipm_summary_estimate *s, bool first)
{
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		t->j[i] = aipm_nadd(t->j[i], s->j[i]);
	if (!s->how.method[0])
		return;
	if (first || !t->how.method[0])
		t->how = s->how;
	else if (strcmp(t->how.method, s->how.method) || strcmp(t->how.row_key, s->how.row_key))
		t->mixed = true;
	t->mixed |= s->mixed;
}

/* One value with its interval. */
static void row(FILE *f, const char *name, const double *j)
{
	if (!isnan(j[0]))
		aipm_cfprintf(f, "  %-16s %14.3f J  [%.3f, %.3f] J\n", name, j[0], j[1], j[2]);
}

static void method_text(const struct aipm_summary *s, FILE *f)
{
	const struct aipm_meta_estimate *h = &s->est.how;
	if (s->est.mixed) {
		aipm_cfprintf(f, "  method         several: the recordings were estimated differently (see each one's report)\n");
		return;
	}
	if (!h->method[0]) {
		aipm_cfprintf(f, "  method         unknown: metadata.json does not say (%s)\n",
			      s->meta_status == AIPM_META_OK ? "no cpu_estimate details" : s->meta_problem);
		return;
	}
	aipm_cfprintf(f, "  method         %s from %s", h->method, h->table);
	if (h->row)
		aipm_cfprintf(f, " row %ld '%s'", h->row, h->row_key);
	aipm_cfprintf(f, " (table %s)\n", h->table_version);
	if (h->text[0])
		aipm_cfprintf(f, "  how            %s\n", h->text);
}

void aipm_summary_estimate_print(const struct aipm_summary *s, FILE *f)
{
	const double *j = s->est.j;
	if (!aipm_estimate_any(j))
		return;
	aipm_cfprintf(f, "estimate     CPU energy NOT measured (no RAPL): a model's estimate [low, high], in no total "
			 "above\n");
	row(f, "cpu", &j[AIPM_EST_J]);
	row(f, "attributed", &j[AIPM_EST_ATT_J]);
	method_text(s, f);
}

static void numbers(struct aipm_buf *b, const double *est_j, bool *f)
{
	aipm_json_bool(b, "measured", false, f);
	for (int i = 0; i < AIPM_EST_J_COUNT; i++)
		aipm_json_num(b, keys[i], est_j[i], f);
}

void aipm_estimate_json(struct aipm_buf *b, const char *key, const double *est_j, bool *first)
{
	if (!aipm_estimate_any(est_j))
		return;
	bool f = true;
	aipm_json_key(b, key, first);
	aipm_buf_puts(b, "{");
	numbers(b, est_j, &f);
	aipm_buf_puts(b, "}");
}

void aipm_summary_estimate_json(struct aipm_buf *b, const struct aipm_summary *s, bool *first)
{
	const struct aipm_summary_estimate *e = &s->est;
	if (!aipm_estimate_any(e->j))
		return;
	const struct aipm_meta_estimate *h = &e->how;
	bool f = true, known = h->method[0] && !e->mixed;
	aipm_json_key(b, "estimate", first);
	aipm_buf_puts(b, "{");
	numbers(b, e->j, &f);
	aipm_json_str(b, "method", e->mixed ? "mixed" : known ? h->method : NULL, &f);
	if (known) {
		aipm_json_str(b, "table", h->table, &f);
		aipm_json_str(b, "table_version", h->table_version, &f);
		if (h->row)
			aipm_json_int(b, "row", h->row, &f);
		aipm_json_str(b, "row_key", h->row_key[0] ? h->row_key : NULL, &f);
		aipm_json_str(b, "arch", h->arch[0] ? h->arch : NULL, &f);
		aipm_json_str(b, "text", h->text, &f);
	}
	aipm_buf_puts(b, "}");
}
