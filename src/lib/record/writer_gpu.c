/* writer_gpu.c: placeholder until the NVML source lands. */
#include "writer.h"

void aipm_writer_format_gpu(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	(void)b;
	(void)s;
}
