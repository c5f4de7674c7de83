/* html_parts.h: the pieces of the HTML report (html.c writes the page,
 * html_sections.c the phases, logged points, machine and recording), and
 * the few helpers both use. Inside export/ only. */
#ifndef AIPM_EXPORT_HTML_PARTS_H
#define AIPM_EXPORT_HTML_PARTS_H

#include <stdbool.h>

#include "analysis/summary.h"
#include "record/sidefiles.h"
#include "util.h"

/* Text, escaped. */
void html_text(struct aipm_buf *b, const char *s);
/* <td class="n">v formatted</td>, or a dash when v is missing. */
void html_num(struct aipm_buf *b, const char *fmt, double v);
/* <tr><th>k</th><td>v</td></tr> when v is not empty. */
void html_kv(struct aipm_buf *b, const char *k, const char *v);

/* Where the phase and point tables stop: the rest is the text report's. */
#define HTML_MAX_ROWS 500

void html_phases(struct aipm_buf *b, const char *dir);
void html_points(struct aipm_buf *b, const char *dir);
void html_model(struct aipm_buf *b, const struct aipm_summary *s);
void html_machine(struct aipm_buf *b, const struct aipm_meta *m, const struct aipm_summary *s);
void html_recording(struct aipm_buf *b, const char *dir, const struct aipm_meta *m, const struct aipm_summary *s);

#endif
