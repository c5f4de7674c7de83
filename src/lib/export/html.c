/* html.c: the HTML report's page (html.h): head and CSS, the headline,
 * the energy table, the plots, the GPUs; html_sections.c writes the rest.
 *
 * A view: every number comes from the analysis (the summary and its rows,
 * summary_out.h; the phase and point windows, phases.h) or the plots
 * (plot.h); this file formats them. Text from the recording (a
 * description, a phase name, a source's reason) is escaped, always.
 */
#include "html.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aipm.h"
#include "analysis/out.h"
#include "analysis/summary_out.h"
#include "error.h"
#include "html_parts.h"
#include "plot.h"

#define J_PER_WH 3600.0

/* Small, and all of it: no font, image or stylesheet comes from anywhere. */
static const char css[] =
	":root{--ink:#1d1d1f;--grey:#5f6368;--line:#e2e2e2;--soft:#f6f7f8;--share:#2e9e5b}"
	"*{box-sizing:border-box}"
	"body{margin:0;color:var(--ink);background:#fff;"
	"font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}"
	"main{max-width:74rem;margin:0 auto;padding:1rem 1.2rem}"
	"h1{font-size:1.6rem;margin:.4rem 0 .2rem;line-height:1.25}"
	"h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid var(--line)}"
	"h3{font-size:1rem;margin:1.2rem 0 .4rem}"
	".meta,.note,figcaption{color:var(--grey);font-size:.9rem}"
	".meta{overflow-wrap:anywhere}"
	"nav{margin:.6rem 0;font-size:.9rem;display:flex;flex-wrap:wrap;gap:.2rem .9rem}nav a{color:var(--grey)}"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.7rem;margin:1rem 0}"
	".card{border:1px solid var(--line);border-radius:.5rem;padding:.6rem .9rem;background:var(--soft)}"
	".card .k{color:var(--grey);font-size:.85rem}.card .v{font-size:1.45rem;font-weight:600}"
	".card .s{color:var(--grey);font-size:.85rem}.card.share .v{color:var(--share)}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
	"table{border-collapse:collapse;width:100%;font-size:.92rem}"
	"th,td{padding:.3rem .55rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}"
	"th{font-weight:600;background:var(--soft)}tbody th{background:none;font-weight:500;white-space:nowrap}"
	".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	"tr.sum td{font-weight:600}td.d1{padding-left:1.6rem}td.d2{padding-left:2.7rem}td.d3{padding-left:3.8rem}"
	"td.part{white-space:nowrap}"
	"tr.missing td{background:#fff7e6}.missing .what{color:#8a4b00;font-weight:600}"
	".yes{color:#1a7f37;font-weight:600}.no{color:#b42318;font-weight:600}"
	"figure{margin:1rem 0}figure .scroll svg{display:block;width:100%;min-width:46rem;height:auto}"
	"code{font-size:.88em;overflow-wrap:anywhere}"
	"footer{color:var(--grey);font-size:.8rem;margin:2.5rem 0 1rem}"
	"@media (max-width:40rem){body{font-size:15px}main{padding:.6rem}.card .v{font-size:1.2rem}"
	"th,td{padding:.25rem .35rem}.wh{display:none}td.part{white-space:normal;min-width:8.5rem}"
	".scroll td:first-child{position:sticky;left:0;background:#fff}.scroll th:first-child{position:sticky;left:0}"
	"tr.missing td:first-child{background:#fff7e6}td.d1{padding-left:1rem}td.d2{padding-left:1.6rem}"
	"td.d3{padding-left:2.2rem}}"
	"@media print{main{max-width:none;padding:0}nav{display:none}h2,h3{break-after:avoid}"
	"figure,.cards,tr{break-inside:avoid}.scroll{overflow:visible}"
	"figure .scroll svg{min-width:0}.card{background:none}}";

void html_text(struct aipm_buf *b, const char *s) { aipm_buf_xml(b, s ? s : ""); }

void html_num(struct aipm_buf *b, const char *fmt, double v)
{
	aipm_buf_puts(b, "<td class=\"n\">");
	if (isfinite(v))
		aipm_buf_cprintf(b, fmt, v);
	else
		aipm_buf_puts(b, "&ndash;");
	aipm_buf_puts(b, "</td>");
}

void html_kv(struct aipm_buf *b, const char *k, const char *v)
{
	if (!v || !v[0])
		return;
	aipm_buf_puts(b, "<tr><th>");
	html_text(b, k);
	aipm_buf_puts(b, "</th><td>");
	html_text(b, v);
	aipm_buf_puts(b, "</td></tr>\n");
}

static void card(struct aipm_buf *b, const char *cls, const char *k, const char *v, const char *sub)
{
	aipm_buf_printf(b, "<div class=\"card%s%s\"><div class=\"k\">", cls ? " " : "", cls ? cls : "");
	html_text(b, k);
	aipm_buf_puts(b, "</div><div class=\"v\">");
	html_text(b, v);
	aipm_buf_puts(b, "</div>");
	if (sub && sub[0]) {
		aipm_buf_puts(b, "<div class=\"s\">");
		html_text(b, sub);
		aipm_buf_puts(b, "</div>");
	}
	aipm_buf_puts(b, "</div>\n");
}

/* printf in the C locale into a stack string, for a card. */
static const char *fmt(char *out, size_t n, const char *f, double a, double b)
{
	struct aipm_buf t = {0};
	aipm_buf_cprintf(&t, f, a, b);
	snprintf(out, n, "%s", t.data ? t.data : "");
	aipm_buf_free(&t);
	return out;
}

static void duration_str(char *out, size_t n, double s)
{
	if (!isfinite(s))
		snprintf(out, n, "not measured");
	else if (s < 120)
		fmt(out, n, "%.1f s", s, 0);
	else
		snprintf(out, n, "%d:%02d:%02d", (int)(s / 3600), (int)fmod(s / 60, 60), (int)fmod(s, 60));
}

/* The one line a reader takes away, as cards. */
static void headline(struct aipm_buf *b, const struct aipm_summary *s)
{
	struct aipm_headline h;
	aipm_summary_headline(s, &h);
	char v[96], sub[160];
	aipm_buf_puts(b, "<section class=\"cards\" id=\"headline\">\n");
	if (isnan(h.energy_j)) {
		card(b, NULL, "energy of the run", "not measured", "see the table below for why");
	} else {
		fmt(sub, sizeof sub, "%.4f Wh", h.energy_j / J_PER_WH, 0);
		snprintf(sub + strlen(sub), sizeof sub - strlen(sub), "; %s", h.includes);
		card(b, NULL, "energy of the run", fmt(v, sizeof v, "%.1f J", h.energy_j, 0), sub);
	}
	if (isfinite(h.attributed_j))
		card(b, "share", "the experiment's share", fmt(v, sizeof v, "%.1f J", h.attributed_j, 0),
		     fmt(sub, sizeof sub, "%.1f %% of the run", 100 * h.share, 0));
	else
		card(b, NULL, "the experiment's share", "not measured", "no process tree was read");
	card(b, NULL, "mean power", isfinite(h.mean_w) ? fmt(v, sizeof v, "%.1f W", h.mean_w, 0) : "not measured", NULL);
	duration_str(v, sizeof v, s->duration_s);
	card(b, NULL, "duration", v, s->segments > 1 ? fmt(sub, sizeof sub, "in %.0f segments", s->segments, 0) : NULL);
	if (!isnan(s->pue) && isfinite(h.energy_j))
		card(b, NULL, "facility energy", fmt(v, sizeof v, "%.1f J", h.energy_j * s->pue, 0),
		     fmt(sub, sizeof sub, "with PUE %g", s->pue, 0));
	if (!isnan(s->carbon_g_per_kwh) && isfinite(h.energy_j))
		card(b, NULL, "emissions",
		     fmt(v, sizeof v, "%.3f gCO2e", h.energy_j * (isnan(s->pue) ? 1 : s->pue) / J_PER_WH / 1000 * s->carbon_g_per_kwh, 0),
		     fmt(sub, sizeof sub, "at %g gCO2e/kWh", s->carbon_g_per_kwh, 0));
	aipm_buf_puts(b, "</section>\n");
}

/* The CPU estimate of a recording without RAPL (summary_estimate.c's
 * numbers and method), set apart from the measured rows and said to be
 * none of them. */
static void estimate(struct aipm_buf *b, const struct aipm_summary *s)
{
	const double *j = s->est.j;
	if (!aipm_estimate_any(j))
		return;
	aipm_buf_puts(b, "<h3 id=\"estimate\">CPU energy, estimated: not measured</h3>\n<p class=\"note\">This machine "
			 "gave no CPU energy counter (no RAPL); a model estimated it, with bounds. It is in no "
			 "total above.</p>\n<div class=\"scroll\"><table><thead><tr><th>estimate</th><th class=\"n\">J</th>"
			 "<th class=\"n\">low J</th><th class=\"n\">high J</th></tr></thead><tbody>\n");
	static const char *const what[2] = {"CPU", "the experiment's share"};
	for (int k = 0; k < 2; k++) {
		const double *v = &j[k ? AIPM_EST_ATT_J : AIPM_EST_J];
		if (isnan(v[0]))
			continue;
		aipm_buf_printf(b, "<tr><td>%s</td>", what[k]);
		for (int i = 0; i < 3; i++)
			html_num(b, "%.3f", v[i]);
		aipm_buf_puts(b, "</tr>\n");
	}
	aipm_buf_puts(b, "</tbody></table></div>\n");
	const struct aipm_meta_estimate *h = &s->est.how;
	if (h->method[0] && !s->est.mixed) {
		aipm_buf_puts(b, "<p class=\"note\">Method: ");
		html_text(b, h->method);
		aipm_buf_puts(b, " from ");
		html_text(b, h->table);
		if (h->row_key[0]) {
			aipm_buf_puts(b, ", row &lsquo;");
			html_text(b, h->row_key);
			aipm_buf_puts(b, "&rsquo;");
		}
		aipm_buf_puts(b, " (");
		html_text(b, h->table_version);
		aipm_buf_puts(b, "). ");
		html_text(b, h->text);
		aipm_buf_puts(b, "</p>\n");
	}
}

/* The text report's rows: each zone once under what holds it, the parts
 * not measured with their reasons. */
static void energy_table(struct aipm_buf *b, const struct aipm_summary *s)
{
	struct aipm_energy_row *rows = NULL;
	int n = aipm_summary_rows(s, &rows);
	aipm_buf_puts(b, "<h2 id=\"energy\">Energy</h2>\n");
	if (s->missing[0]) {
		aipm_buf_puts(b, "<p class=\"note\">No energy in this recording: ");
		html_text(b, s->missing);
		aipm_buf_puts(b, "</p>\n");
	}
	aipm_buf_puts(b, "<div class=\"scroll\"><table><thead><tr><th>part</th><th class=\"n\">J</th>"
			 "<th class=\"n wh\">Wh</th><th class=\"n\">mean W</th><th class=\"n\">experiment J</th>"
			 "</tr></thead><tbody>\n");
	for (int i = 0; i < n; i++) {
		const struct aipm_energy_row *r = &rows[i];
		if (r->kind == AIPM_ROW_MISSING) {
			aipm_buf_puts(b, "<tr class=\"missing\"><td><span class=\"what\">");
			html_text(b, r->label);
			aipm_buf_puts(b, "</span></td><td colspan=\"4\">not measured: ");
			html_text(b, r->reason);
			if (r->fix[0]) {
				aipm_buf_puts(b, "<br><span class=\"note\">to measure it: ");
				html_text(b, r->fix);
				aipm_buf_puts(b, "</span>");
			}
			aipm_buf_puts(b, "</td></tr>\n");
			continue;
		}
		aipm_buf_printf(b, "<tr%s><td class=\"part d%d\">", r->kind == AIPM_ROW_SUM ? " class=\"sum\"" : "",
				r->depth > 3 ? 3 : r->depth);
		html_text(b, r->label);
		if (r->note) {
			aipm_buf_puts(b, " <span class=\"note\">(");
			html_text(b, r->note);
			aipm_buf_puts(b, ")</span>");
		}
		aipm_buf_puts(b, "</td>");
		html_num(b, "%.3f", r->energy_j);
		aipm_buf_puts(b, "<td class=\"n wh\">");
		if (isfinite(r->energy_j))
			aipm_buf_cprintf(b, "%.6f", r->energy_j / J_PER_WH);
		aipm_buf_puts(b, "</td>");
		html_num(b, "%.1f", r->mean_w);
		html_num(b, "%.3f", r->attributed_j);
		aipm_buf_puts(b, "</tr>\n");
	}
	aipm_buf_puts(b, "</tbody></table></div>\n");
	estimate(b, s);
	struct aipm_headline h;
	aipm_summary_headline(s, &h);
	if (h.includes[0]) {
		aipm_buf_puts(b, "<p class=\"note\">The run's energy is ");
		html_text(b, h.includes);
		aipm_buf_puts(b, "; a row inside another is part of it, never added to it again.</p>\n");
	}
	free(rows);
}

/* An inline SVG plot. Without the data for it: a note that says why
 * (always), or nothing (optional). */
static void figure(struct aipm_buf *b, const char *dir, const char *id, const char *title,
		   const char *const *metrics, size_t n, const char *caption, bool always)
{
	struct aipm_buf svg = {0};
	struct aipm_plot_stats st;
	bool drawn = aipm_plot_svg(dir, metrics, n, true, &svg, &st) == 0;
	if (drawn || always) {
		aipm_buf_printf(b, "<h2 id=\"%s\">", id);
		html_text(b, title);
		aipm_buf_puts(b, "</h2>\n");
	}
	if (!drawn) {
		if (always) {
			aipm_buf_puts(b, "<p class=\"note\">Nothing to draw: ");
			html_text(b, aipm_error_last());
			aipm_buf_puts(b, "</p>\n");
		}
		aipm_err_clear();
		aipm_buf_free(&svg);
		return;
	}
	aipm_buf_puts(b, "<figure><div class=\"scroll\">\n");
	aipm_buf_put(b, svg.data, svg.len);
	aipm_buf_puts(b, "</div><figcaption>");
	html_text(b, caption);
	aipm_buf_puts(b, "</figcaption></figure>\n");
	b->oom |= svg.oom;
	aipm_buf_free(&svg);
}

static void gpus(struct aipm_buf *b, const struct aipm_summary *s)
{
	if (!s->ngpus)
		return;
	char t[256], a[64];
	aipm_buf_puts(b, "<h2 id=\"gpus\">GPUs</h2>\n<div class=\"scroll\"><table><thead><tr><th>GPU</th>"
			 "<th>UUID</th><th>energy from</th><th class=\"n\">J</th><th class=\"n\">the experiment's J</th>"
			 "<th class=\"n\">SM use, mean %</th><th class=\"n\">memory peak</th></tr></thead><tbody>\n");
	for (int i = 0; i < s->ngpus; i++) {
		const struct aipm_summary_gpu *g = &s->gpus[i];
		aipm_summary_gpu_title(s, g, t, sizeof t);
		aipm_buf_puts(b, "<tr><td>");
		html_text(b, t);
		aipm_buf_puts(b, "</td><td><code>");
		html_text(b, g->uuid[0] ? g->uuid : "-");
		aipm_buf_puts(b, "</code></td><td>");
		html_text(b, !g->energy_source ? "-"
			     : !strcmp(g->energy_source, "integrated") ? "its power, integrated"
								       : "its energy counter");
		aipm_buf_puts(b, "</td>");
		html_num(b, "%.3f", g->energy_j);
		html_num(b, "%.3f", g->attributed_j);
		html_num(b, "%.1f", g->sm_mean);
		aipm_buf_puts(b, "<td class=\"n\">");
		html_text(b, isfinite(g->mem_peak_bytes) ? aipm_bytes_h(a, sizeof a, g->mem_peak_bytes) : "-");
		aipm_buf_puts(b, "</td></tr>\n");
	}
	aipm_buf_puts(b, "</tbody></table></div>\n");
}

static void head(struct aipm_buf *b, const char *dir, const struct aipm_summary *s, const struct aipm_meta *m)
{
	const char *base = strrchr(dir, '/');
	base = base && base[1] ? base + 1 : dir;
	const char *title = s->description[0] ? s->description : base;
	aipm_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<meta name=\"generator\" content=\"aipm " AIPM_VERSION_STRING "\">\n<title>");
	html_text(b, title);
	aipm_buf_puts(b, " - aipm report</title>\n<style>");
	aipm_buf_puts(b, css);
	aipm_buf_puts(b, "</style>\n</head>\n<body>\n<main>\n<header><h1>");
	html_text(b, title);
	aipm_buf_puts(b, "</h1>\n<p class=\"meta\">");
	html_text(b, dir);
	char date[64];
	if (isfinite(s->start_ts)) {
		aipm_format_date_ts(date, sizeof date, s->start_ts);
		date[19] = '\0'; /* to the second */
		aipm_buf_puts(b, " &middot; started ");
		html_text(b, date);
		aipm_buf_puts(b, " (local time)");
	}
	if (m->host[0]) {
		aipm_buf_puts(b, " &middot; on ");
		html_text(b, m->host);
	}
	aipm_buf_puts(b, "</p>\n<nav><a href=\"#energy\">Energy</a><a href=\"#power\">Power</a>"
			 "<a href=\"#phases\">Phases</a><a href=\"#points\">Logged metrics</a>"
			 "<a href=\"#machine\">Machine</a><a href=\"#recording\">Recording</a></nav></header>\n");
}

int aipm_html_report(const char *dir, const struct aipm_summary *s, struct aipm_buf *b)
{
	struct aipm_meta m;
	int rc = aipm_meta_read(dir, &m);
	if (rc < 0)
		return rc;
	head(b, dir, s, &m);
	headline(b, s);
	energy_table(b, s);
	figure(b, dir, "power", "Power over time", NULL, 0,
	       "Each power is a step over the interval it is the average of. The shaded area is the experiment's "
	       "share of the machine's power; bands are phases, one colour per name.", true);
	static const char *const use[] = {"experiment_mem_pss", "per_gpu_use_rate", "amd_gpu.per_gpu_use_rate",
					  "per_gpu_memory", "amd_gpu.per_gpu_memory"};
	figure(b, dir, "use", "Memory and use", use, AIPM_ARRAY_SIZE(use),
	       "The experiment's memory (PSS), each GPU's use and memory, from zero.", false);
	gpus(b, s);
	html_phases(b, dir);
	html_points(b, dir);
	html_model(b, s);
	html_machine(b, &m, s);
	html_recording(b, dir, &m, s);
	aipm_buf_puts(b, "<footer>Written by aipm " AIPM_VERSION_STRING " (aipm report --html). This page is whole: it "
			 "loads nothing from anywhere.</footer>\n</main>\n</body>\n</html>\n");
	aipm_meta_free(&m);
	return b->oom ? aipm_err(-ENOMEM, "out of memory writing the HTML report") : 0;
}

/* Written beside its final name and renamed over it: a full disk or a
 * killed aipm never leaves half a page where a whole one was. */
static int replace(const char *path, const struct aipm_buf *b)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return aipm_err(-errno, "%s: %s. Pick a writable path for --html", path, strerror(errno));
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	int e = off == b->len ? 0 : errno ? errno : EIO;
	if (!e && fchmod(fd, 0644) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return aipm_err(-e, "%s: %s. Pick a writable path for --html", path, strerror(e));
	}
	return 0;
}

int aipm_html_report_write(const char *dir, const struct aipm_summary *s, const char *path)
{
	struct aipm_buf b = {0};
	int rc = aipm_html_report(dir, s, &b);
	if (!rc && !strcmp(path, "-"))
		rc = fwrite(b.data, 1, b.len, stdout) == b.len && !fflush(stdout)
			     ? 0
			     : aipm_err(-EIO, "standard output: the write failed");
	else if (!rc)
		rc = replace(path, &b);
	aipm_buf_free(&b);
	return rc;
}
