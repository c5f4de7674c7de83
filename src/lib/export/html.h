/* html.h: a recording as one self-contained HTML page (`aipm report
 * --html FILE`), to send to a colleague instead of a directory of JSON
 * lines.
 *
 * The page holds the headline, the energy table (the text report's rows),
 * the power plot and the memory and use plot as inline SVG (plot.h), the
 * GPUs, the phases and the logged points (analysis/phases.h), the model,
 * and the machine and its sources with their reasons (metadata.json). It
 * names nothing outside itself: no script, no stylesheet, font or image
 * from anywhere, no link but to its own sections, so it opens the same
 * offline, in a mail client or years later. Its CSS makes it readable on a
 * phone (tables scroll, the plots keep a legible width) and printable.
 */
#ifndef AIPM_EXPORT_HTML_H
#define AIPM_EXPORT_HTML_H

#include "analysis/summary.h"
#include "util.h"

/* The page of DIR, whose summary s the caller loaded (with its PUE and
 * carbon intensity, when asked), appended to out. 0 or -errno. */
int aipm_html_report(const char *dir, const struct aipm_summary *s, struct aipm_buf *out);
/* The same into path ("-": standard output), replaced whole: a write that
 * fails leaves what was there. 0 or -errno (message set). */
int aipm_html_report_write(const char *dir, const struct aipm_summary *s, const char *path);

#endif
