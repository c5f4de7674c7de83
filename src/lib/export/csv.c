/* csv.c: `aipm export --csv`. A view: it reads a recording through
 * flatten.c and writes RFC 4180 CSV that pandas and spreadsheets open as
 * is. The columns are discovered in a first pass, because a pid or a GPU
 * may appear at any point of a run and a CSV header cannot grow later. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "flatten.h"
#include "util.h"

struct csv {
	struct aipm_names cols;
	const cJSON **row; /* pass 2: this sample's leaf per column */
	FILE *out;
	struct aipm_buf line;
	long long rows;
	int err;
};

static void discover(void *ctx, const char *name, const cJSON *leaf)
{
	struct csv *c = ctx;
	(void)leaf;
	if (aipm_names_find(&c->cols, name, true) < 0)
		c->err = -ENOMEM;
}

static int pass1(void *ctx, const cJSON *root, double ts, int segment)
{
	(void)ts;
	(void)segment;
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

static int pass2(void *ctx, const cJSON *root, double ts, int segment)
{
	struct csv *c = ctx;
	struct aipm_buf *b = &c->line;
	memset(c->row, 0, c->cols.n * sizeof *c->row);
	aipm_flatten_metrics(root, fill, c);
	aipm_buf_reset(b);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "date");
	if (cJSON_IsString(d)) {
		cell_str(b, d->valuestring);
	} else {
		/* aipm always writes date; derive it for a line without. */
		char tmp[40];
		time_t t = (time_t)ts;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(tmp, sizeof tmp, "%Y-%m-%d %H:%M:%S", &tm);
		aipm_buf_puts(b, tmp);
	}
	aipm_buf_puts(b, ",");
	aipm_buf_double(b, ts);
	aipm_buf_printf(b, ",%d", segment);
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
	if (b->oom)
		return -ENOMEM;
	if (fwrite(b->data, 1, b->len, c->out) != b->len)
		return -errno;
	c->rows++;
	return 0;
}

int aipm_csv_export(const char *dir, FILE *out, struct aipm_csv_stats *stats)
{
	struct csv c = {.out = out};
	long long skipped = 0;
	int rc = aipm_recording_foreach(dir, pass1, &c, &skipped);
	if (rc < 0 || c.err < 0) {
		rc = rc < 0 ? rc : aipm_err(c.err, "%s: out of memory", dir);
		goto out;
	}
	c.row = calloc(c.cols.n + 1, sizeof *c.row);
	if (!c.row) {
		rc = aipm_err(-ENOMEM, "%s: out of memory", dir);
		goto out;
	}
	aipm_buf_puts(&c.line, "date,timestamp,segment");
	for (size_t i = 0; i < c.cols.n; i++) {
		aipm_buf_puts(&c.line, ",");
		cell_str(&c.line, c.cols.names[i]);
	}
	aipm_buf_puts(&c.line, "\n");
	if (c.line.oom || fwrite(c.line.data, 1, c.line.len, out) != c.line.len) {
		rc = aipm_err(-EIO, "writing the CSV: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	rc = aipm_recording_foreach(dir, pass2, &c, &skipped);
	if (rc < 0) {
		rc = aipm_err(rc, "writing the CSV of %s: %s", dir, strerror(-rc));
		goto out;
	}
	if (fflush(out) != 0) {
		rc = aipm_err(-errno, "writing the CSV: %s", strerror(errno));
		goto out;
	}
	if (stats) {
		stats->rows = c.rows;
		stats->columns = (long long)c.cols.n + 3;
		stats->skipped_lines = skipped;
	}
out:
	free(c.row);
	aipm_buf_free(&c.line);
	aipm_names_free(&c.cols);
	return rc;
}
