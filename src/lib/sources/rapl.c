/* rapl.c: stub, being written. */
#include "source.h"

#include <errno.h>
#include <stdlib.h>

static int s_open(const struct aipm_source_config *cfg, struct aipm_source **out)
{
	(void)cfg;
	struct aipm_source *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	aipm_source_set(s, false, "", "not built yet");
	*out = s;
	return 0;
}
static int s_sample(struct aipm_source *src, struct aipm_snapshot *snap) { (void)src; (void)snap; return 0; }
static void s_close(struct aipm_source *src) { free(src); }
const struct aipm_source_ops aipm_source_rapl = { .name = "rapl", .what = "rapl", .open = s_open, .sample = s_sample, .close = s_close };
