/* csv.c: `aipm export --csv`. A view: it reads a recording through
 * flatten.c (the one sequential reader underneath) and writes RFC 4180 CSV
 * that pandas and spreadsheets open as is. The columns are discovered in a
 * first pass, because a pid or a GPU may appear at any point of a run and a
 * CSV header cannot grow later. With phases.json, a "phases" column names
 * the phases each sample's interval belongs to, paired by the report's own
 * rule and read as the report reads them (record/sidefiles.h). */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "flatten.h"
#include "record/sidefiles.h"
#include "util.h"

/* The phases open at a sample's time, from phases.json's edges, which
 * arrive in time order alongside the samples. */
struct active {
	struct aipm_phase_edges *e;
	struct aipm_phase_edge next;
	bool have_next;
	struct {
		size_t id;
		char name[AIPM_FORMAT_NAME_MAX + 1];
	} *v; /* in begin order */
	size_t n, cap;
};

struct csv {
	struct aipm_names cols;
	const cJSON **row; /* pass 2: this sample's leaf per column */
	FILE *out;
	struct aipm_buf line;
	long long rows;
	bool phases;
	struct active act;
	int err;
};

static void discover(void *ctx, const char *name, const cJSON *leaf)
{
	struct csv *c = ctx;
	(void)leaf;
	if (aipm_names_find(&c->cols, name, true) < 0)
		c->err = -ENOMEM;
}

static int pass1(void *ctx, const cJSON *root, const struct aipm_sample *s)
{
	(void)s;
	struct csv *c = ctx;
	aipm_flatten_metrics(root, discover, c);
	return c->err;
}

static void cell_str(struct aipm_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		aipm_buf_puts(b, s);
		return;
	}
	aipm_buf_puts(b, "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			aipm_buf_put(b, "\"", 1); /* a quote is doubled */
		aipm_buf_put(b, p, 1);
	}
	aipm_buf_puts(b, "\"");
}

static void fill(void *ctx, const char *name, const cJSON *leaf)
{
	struct csv *c = ctx;
	long i = aipm_names_find(&c->cols, name, false);
	if (i >= 0)
		c->row[i] = leaf;
}

/* Apply the phase edges before ts: a sample's values describe the
 * interval that ends at it, which belongs to a phase when the phase began
 * before the sample and ended at or after it. */
static int advance(struct active *a, double ts)
{
	for (;;) {
		if (!a->have_next) {
			int e = aipm_phase_edges_next(a->e, &a->next);
			if (e <= 0)
				return e;
			a->have_next = true;
		}
		if (!(a->next.ts < ts))
			return 0;
		a->have_next = false;
		const struct aipm_phase_edge *x = &a->next;
		size_t i = 0;
		while (i < a->n && a->v[i].id < x->id)
			i++;
		if (x->end) {
			if (i < a->n && a->v[i].id == x->id) {
				memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof *a->v);
				a->n--;
			}
			continue;
		}
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 8;
			void *v = realloc(a->v, cap * sizeof *a->v);
			if (!v)
				return -ENOMEM;
			a->v = v;
			a->cap = cap;
		}
		memmove(&a->v[i + 1], &a->v[i], (a->n - i) * sizeof *a->v);
		a->v[i].id = x->id;
		snprintf(a->v[i].name, sizeof a->v[0].name, "%s", x->name);
		a->n++;
	}
}

static void phases_cell(struct csv *c, double ts)
{
	struct aipm_buf names = {0};
	int e = advance(&c->act, ts);
	if (e < 0)
		c->err = e;
	for (size_t i = 0; i < c->act.n; i++) {
		if (i)
			aipm_buf_puts(&names, ";");
		aipm_buf_puts(&names, c->act.v[i].name);
	}
	aipm_buf_puts(&c->line, ",");
	if (names.len)
		cell_str(&c->line, names.data);
	aipm_buf_free(&names);
}

static int pass2(void *ctx, const cJSON *root, const struct aipm_sample *s)
{
	struct csv *c = ctx;
	struct aipm_buf *b = &c->line;
	memset(c->row, 0, c->cols.n * sizeof *c->row);
	aipm_flatten_metrics(root, fill, c);
	aipm_buf_reset(b);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, AIPM_KEY_DATE);
	if (cJSON_IsString(d)) {
		cell_str(b, d->valuestring);
	} else {
		/* aipm always writes date; derive it for a line without. */
		char tmp[64];
		aipm_format_date_ts(tmp, sizeof tmp, s->line->ts);
		aipm_buf_puts(b, tmp);
	}
	aipm_buf_puts(b, ",");
	aipm_buf_double(b, s->line->ts);
	aipm_buf_printf(b, ",%d", s->segment);
	if (c->phases)
		phases_cell(c, s->line->ts);
	for (size_t i = 0; i < c->cols.n; i++) {
		aipm_buf_puts(b, ",");
		const cJSON *v = c->row[i];
		if (cJSON_IsNumber(v))
			aipm_buf_double(b, v->valuedouble);
		else if (cJSON_IsBool(v))
			aipm_buf_puts(b, cJSON_IsTrue(v) ? "1" : "0");
		else if (cJSON_IsString(v))
			cell_str(b, v->valuestring);
	}
	aipm_buf_puts(b, "\n");
	if (b->oom || c->err == -ENOMEM)
		return aipm_err(-ENOMEM, "out of memory");
	if (c->err < 0)
		return aipm_err(c->err, "reading phases.json: %s", strerror(-c->err));
	if (fwrite(b->data, 1, b->len, c->out) != b->len)
		return aipm_err(-errno, "writing the CSV: %s", strerror(errno));
	c->rows++;
	return 0;
}

static int write_header(struct csv *c)
{
	aipm_buf_puts(&c->line, "date,timestamp,segment");
	if (c->phases)
		aipm_buf_puts(&c->line, ",phases");
	for (size_t i = 0; i < c->cols.n; i++) {
		aipm_buf_puts(&c->line, ",");
		cell_str(&c->line, c->cols.names[i]);
	}
	aipm_buf_puts(&c->line, "\n");
	if (c->line.oom || fwrite(c->line.data, 1, c->line.len, c->out) != c->line.len)
		return aipm_err(-EIO, "writing the CSV: %s", strerror(errno ? errno : EIO));
	return 0;
}

int aipm_csv_export(const char *dir, FILE *out, struct aipm_csv_stats *stats)
{
	struct csv c = {.out = out};
	struct aipm_reader_stats st;
	int rc = aipm_recording_foreach(dir, pass1, &c, &st);
	if (rc < 0 || c.err < 0) {
		rc = rc < 0 ? rc : aipm_err(c.err, "%s: out of memory", dir);
		goto out;
	}
	c.phases = aipm_phase_edges_open(dir, &c.act.e) == 0;
	aipm_err_clear();
	c.row = calloc(c.cols.n + 1, sizeof *c.row);
	if (!c.row) {
		rc = aipm_err(-ENOMEM, "%s: out of memory", dir);
		goto out;
	}
	if ((rc = write_header(&c)) < 0)
		goto out;
	rc = aipm_recording_foreach(dir, pass2, &c, &st);
	if (rc < 0)
		goto out;
	if (fflush(out) != 0) {
		rc = aipm_err(-errno, "writing the CSV: %s", strerror(errno));
		goto out;
	}
	if (stats) {
		stats->rows = c.rows;
		stats->columns = (long long)c.cols.n + 3 + c.phases;
		stats->skipped_lines = aipm_reader_skipped(&st);
		stats->segments = st.segments;
	}
out:
	free(c.row);
	free(c.act.v);
	aipm_phase_edges_close(c.act.e);
	aipm_buf_free(&c.line);
	aipm_names_free(&c.cols);
	return rc;
}
