/* plot.c: `aipm plot` and the HTML report's pictures (plot.h).
 *
 * The view end of the pipeline: plot_data.c collects the series through
 * the one reader and the summary, plot_draw.c lays them out and draws on
 * a canvas (canvas.h); this file picks the canvas from the file name and
 * says what was drawn. It totals nothing itself.
 */
#include "plot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aipm_config.h"
#include "canvas.h"
#include "error.h"
#include "plot_data.h"

static int load(const char *dir, const char *const *metrics, size_t nmetrics, struct plot_data *d,
		struct aipm_plot_stats *st)
{
	memset(st, 0, sizeof *st);
	int rc = plot_data_load(dir, metrics, nmetrics, d);
	if (rc < 0)
		return rc;
	st->segments = d->segments;
	st->skipped_lines = d->skipped_lines;
	if (!d->ns) {
		if (!nmetrics)
			return aipm_err(-ENODATA, "%s: no power in the recording (no RAPL zone, no GPU). "
					"Name what to draw with -m, e.g. -m cpu_time", dir);
		return aipm_err(-ENODATA, "%s: no sample has %s%s. `aipm export --csv %s` lists the metrics", dir,
				metrics[0], nmetrics > 1 ? " or the other metrics asked for" : "", dir);
	}
	st->series = d->ns;
	st->dropped_series = d->dropped_series;
	st->phases = d->nph;
	st->phases_dropped = d->phases_dropped;
	for (int i = 0; i < d->ns; i++)
		st->points += (long long)d->s[i].n;
	return 0;
}

static int panels(const struct plot_data *d)
{
	int n = 0;
	for (int i = 0; i < d->ns; i++)
		n = d->s[i].panel + 1 > n ? d->s[i].panel + 1 : n;
	return n;
}

#if AIPM_HAVE_PLOTS
#define png_new aipm_canvas_png_new
#define png_finish aipm_canvas_png_finish
#else
/* Never reached: aipm_plot_write refuses a PNG first. */
static struct aipm_canvas *png_new(double w, double h)
{
	(void)w, (void)h;
	aipm_err(-ENOTSUP, "this aipm was built without cairo");
	return NULL;
}
static int png_finish(struct aipm_canvas *c, const char *path) { return (void)c, (void)path, -ENOTSUP; }
#endif

/* Where a picture goes: SVG text into svg (inline in a page or a file of
 * its own), else a PNG file at png. */
struct target {
	struct aipm_buf *svg;
	bool inline_html;
	const char *png;
};

static int draw(const char *dir, const char *const *metrics, size_t nmetrics, const struct target *t,
		struct aipm_plot_stats *st)
{
	struct plot_data *d = malloc(sizeof *d);
	if (!d)
		return aipm_err(-ENOMEM, "out of memory");
	int rc = load(dir, metrics, nmetrics, d, st);
	if (!rc) {
		double w, h;
		d->untitled = t->inline_html; /* the page says it above the picture */
		plot_size(d, &w, &h);
		struct aipm_canvas *c = t->svg ? aipm_canvas_svg_new(w, h, d->title, t->inline_html, t->svg) : png_new(w, h);
		rc = c ? 0 : -ENOMEM;
		if (c) {
			plot_draw(d, c);
			rc = t->svg ? aipm_canvas_svg_finish(c) : png_finish(c, t->png);
		}
		st->panels = panels(d);
	}
	plot_data_free(d);
	free(d);
	return rc;
}

int aipm_plot_svg(const char *dir, const char *const *metrics, size_t nmetrics, bool inline_html,
		  struct aipm_buf *out, struct aipm_plot_stats *st)
{
	struct target t = {.svg = out, .inline_html = inline_html};
	return draw(dir, metrics, nmetrics, &t, st);
}

static int write_file(const char *path, const struct aipm_buf *b)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return aipm_err(-errno, "%s: %s. Pick a writable path", path, strerror(errno));
	bool ok = fwrite(b->data, 1, b->len, f) == b->len;
	ok = !fclose(f) && ok;
	return ok ? 0 : aipm_err(-EIO, "%s: the write failed (disk full?)", path);
}

int aipm_plot_write(const char *dir, const char *const *metrics, size_t nmetrics, const char *path,
		    struct aipm_plot_stats *st)
{
	size_t len = strlen(path);
	bool svg = len > 4 && !strcasecmp(path + len - 4, ".svg");
	if (len < 5 || (!svg && strcasecmp(path + len - 4, ".png")))
		return aipm_err(-EINVAL, "%s: the picture's name must end in .png or .svg", path);
	if (svg) {
		struct aipm_buf b = {0};
		int rc = aipm_plot_svg(dir, metrics, nmetrics, false, &b, st);
		if (!rc)
			rc = write_file(path, &b);
		aipm_buf_free(&b);
		return rc;
	}
	if (!AIPM_HAVE_PLOTS)
		return aipm_err(-ENOTSUP, "%s: this aipm was built without cairo, which PNG pictures need. Write an "
				"SVG (-o FILE.svg), or install libcairo2-dev and rebuild", path);
	struct target t = {.png = path};
	return draw(dir, metrics, nmetrics, &t, st);
}
