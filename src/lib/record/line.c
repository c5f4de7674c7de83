/* line.c: one power_metrics.json line (line.h): what kind of line it is,
 * and which parser reads it.
 *
 * Lines first go to the scanner of line_fast.c, which reads the shape aipm
 * writes without building a tree; whatever it will not vouch for comes to
 * the cJSON parse of line_dom.c, which stays the reference. The meaning of
 * each key, and the classifier, are line_keys.c's, shared by both. This
 * file depends on both parsers and neither depends on it.
 */
#include "line.h"

enum aipm_line_kind aipm_line_parse(const char *text, size_t len, struct aipm_line_table *t,
				    struct aipm_date_cache *dc, struct aipm_line *l)
{
	int kind = aipm_line_parse_fast(text, len, t, dc, l);
	return kind >= 0 ? (enum aipm_line_kind)kind : aipm_line_parse_dom(text, len, t, dc, l);
}
