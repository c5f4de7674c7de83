/* line.c: one power_metrics.json line (line.h): what kind of line it is,
 * and which parser reads it.
 *
 * Lines first go to the scanner of line_fast.c, which reads the shape aipm
 * writes without building a tree; whatever it will not vouch for comes to
 * the cJSON parse of line_dom.c, which stays the reference. The meaning of
 * each key is line_keys.c's, shared by both. This file depends on both
 * parsers and neither depends on it.
 */
#include "line.h"

#include <string.h>

static bool marker(const char *s, size_t n)
{
	static const char m[] = AIPM_SEGMENT_MARKER;
	const size_t ml = sizeof m - 1;
	if (n == ml + 2 && s[0] == '"' && s[n - 1] == '"')
		return !memcmp(s + 1, m, ml);
	return n == ml && !memcmp(s, m, ml);
}

enum aipm_line_kind aipm_line_classify(const char *text, size_t len)
{
	while (len && (*text == ' ' || *text == '\t' || *text == '\r'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	if (!len)
		return AIPM_LINE_BLANK;
	if (marker(text, len))
		return AIPM_LINE_SEGMENT_END;
	return AIPM_LINE_SAMPLE;
}

enum aipm_line_kind aipm_line_parse(const char *text, size_t len, struct aipm_line_table *t,
				    struct aipm_date_cache *dc, struct aipm_line *l)
{
	int kind = aipm_line_parse_fast(text, len, t, dc, l);
	return kind >= 0 ? (enum aipm_line_kind)kind : aipm_line_parse_dom(text, len, t, dc, l);
}
