/* writer_priv.h: what the parts of the line writer share (writer.c: the
 * line and the file; writer_proc.c: the per-process objects; writer_gpu.c:
 * the GPU sections). Not for anything outside record/. */
#ifndef AIPM_WRITER_PRIV_H
#define AIPM_WRITER_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

#include "snapshot.h"
#include "util.h"

/* `"k": ` with the separating comma managed by *first. */
void aipm_writer_key(struct aipm_buf *b, bool *first, const char *k);
/* `"1234": ` for a pid, the same way. */
void aipm_writer_pid_key(struct aipm_buf *b, bool *first, pid_t pid);
/* v in fixed point with dec decimals, trailing zeros cut (writer.c). */
void aipm_writer_put_fixed(struct aipm_buf *b, double v, int dec);

/* What a per-process object holds; scale is the zone power a share
 * multiplies (intel_power, total_cpu_power, total_dram_power). */
enum aipm_proc_field {
	AIPM_PF_CPU_USE,       /* share of user+system time (AIPowerMeter's) */
	AIPM_PF_CPU_SHARE,     /* share of busy time (aipm's) */
	AIPM_PF_CPU_TIME,      /* CPU seconds of the interval */
	AIPM_PF_CPU_USE_POWER, /* CPU use x scale */
	AIPM_PF_PSS,
	AIPM_PF_USS,
	AIPM_PF_MEM_PCT,       /* PSS over used memory */
	AIPM_PF_DRAM_POWER,    /* mem share x scale */
};
/* `"name": {"pid": v, ..., "other": rest}` (writer_proc.c says which
 * processes are written). */
void aipm_writer_per_process(struct aipm_buf *b, bool *first, const char *name, const struct aipm_snapshot *s,
			     enum aipm_proc_field f, double scale);
/* Some process of the table has its memory read. */
bool aipm_writer_has_mem(const struct aipm_snapshot *s);

#endif
