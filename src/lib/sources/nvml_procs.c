/* nvml_procs.c: the processes on each NVIDIA GPU, for nvml.c.
 *
 * Memory per process from the compute and graphics running-process lists
 * (_v2, _v3 behind its stride check, v1), SM use per process from the
 * utilisation table since the last seen timestamp. Both protocols answer
 * INSUFFICIENT_SIZE when the buffer is too small; the buffers grow, and a
 * list still not whole after the retries is said (procs_complete false)
 * so attribution never computes a share over part of it. Which of these
 * processes are the experiment's is not decided here.
 */
#include "nvml_priv.h"

#include <stdlib.h>
#include <string.h>

bool aipm_nvml_lost(struct gpu *g, nvmlReturn_t rc)
{
	if (rc == NVML_ERROR_GPU_IS_LOST)
		g->lost = true;
	return g->lost;
}

/* GetProcessUtilization into n->ubuf, growing it on INSUFFICIENT_SIZE
 * (the count may grow between calls). *truncated: still too small after
 * the retries. */
nvmlReturn_t aipm_nvml_putil_call(struct nvml *n, struct gpu *g, unsigned long long since, unsigned *cnt,
				  bool *truncated)
{
	nvmlReturn_t rc;
	*truncated = false;
	for (int tries = 0;; tries++) {
		*cnt = (unsigned)n->ubuf_cap;
		rc = n->fn.putil(g->dev, n->ubuf, cnt, since);
		if (rc != NVML_ERROR_INSUFFICIENT_SIZE)
			break;
		if (tries == 3) {
			*truncated = true;
			break;
		}
		size_t want = (size_t)*cnt + *cnt / 2 + 16;
		void *p = realloc(n->ubuf, want * sizeof *n->ubuf);
		if (!p) {
			*truncated = true;
			break;
		}
		n->ubuf = p;
		n->ubuf_cap = want;
	}
	if (rc == NVML_SUCCESS && *cnt > n->ubuf_cap) {
		*cnt = (unsigned)n->ubuf_cap;
		*truncated = true;
	}
	return rc;
}

static struct util_entry *util_slot(struct gpu *g, pid_t pid, double t_s)
{
	for (size_t k = 0; k < g->nutil; k++)
		if (g->util[k].pid == pid)
			return &g->util[k];
	if (aipm_grow((void **)&g->util, &g->util_cap, g->nutil + 1, sizeof *g->util) < 0)
		return NULL;
	g->util[g->nutil] = (struct util_entry){.pid = pid, .seen_s = t_s};
	return &g->util[g->nutil++];
}

/* Per-process SM use since the last seen timestamp. NOT_FOUND means the
 * driver has no sample newer than that: keep what it said last (for at
 * most UTIL_HOLD_S). A fresh answer replaces the table: a process it omits
 * had no SM use. */
static void sample_putil(struct nvml *n, struct gpu *g, double t_s)
{
	unsigned cnt;
	bool truncated;
	nvmlReturn_t rc = aipm_nvml_putil_call(n, g, g->last_seen_us, &cnt, &truncated);
	if (aipm_nvml_lost(g, rc))
		return;
	if (rc == NVML_ERROR_NOT_SUPPORTED) {
		g->putil = false; /* MIG, or pre-Maxwell: stop asking */
		g->nutil = 0;
		return;
	}
	if (rc != NVML_SUCCESS) {
		size_t k = 0;
		for (size_t i = 0; i < g->nutil; i++)
			if (t_s - g->util[i].seen_s <= UTIL_HOLD_S)
				g->util[k++] = g->util[i];
		g->nutil = k;
		g->util_complete = rc == NVML_ERROR_NOT_FOUND && !truncated;
		return;
	}
	unsigned long long newest = g->last_seen_us;
	g->nutil = 0;
	g->util_complete = !truncated;
	for (unsigned i = 0; i < cnt; i++) {
		const nvmlProcessUtilizationSample_t *s = &n->ubuf[i];
		/* nvtop's checks: old timestamps and >100 % are driver noise */
		if (s->timeStamp <= g->last_seen_us || s->smUtil > 100 || s->pid == 0)
			continue;
		if (s->timeStamp > newest)
			newest = s->timeStamp;
		struct util_entry *u = util_slot(g, (pid_t)s->pid, t_s);
		if (!u) {
			g->util_complete = false;
			continue;
		}
		u->sum += s->smUtil;
		u->n++;
	}
	for (size_t k = 0; k < g->nutil; k++)
		g->util[k].sm = (g->util[k].sum + g->util[k].n / 2) / g->util[k].n;
	g->last_seen_us = newest;
}

/* One running-process list into n->pbuf; returns the record count and
 * sets *stride, or -1 (*whole false when records were left out). Records
 * are read as raw bytes: pid at offset 0 and usedGpuMemory at offset 8 in
 * all three layouts. */
static int read_proc_list(struct nvml *n, struct gpu *g, int kind, size_t *stride, bool *whole)
{
	int ver = n->fn.procs[kind][0] ? 0 : (n->fn.procs[kind][1] && n->v3_stride >= 0) ? 1 : 2;
	nvml_procs_fn fn = n->fn.procs[kind][ver];
	*whole = true;
	if (!fn)
		return -1;
	nvmlReturn_t rc;
	unsigned cnt;
	for (int tries = 0;; tries++) {
		cnt = (unsigned)n->pbuf_cap;
		if (ver == 1) /* _v3 stride probe: a pattern no field ends with */
			memset(n->pbuf, 0xA5, n->pbuf_cap * 32);
		rc = fn(g->dev, &cnt, n->pbuf);
		if (rc != NVML_ERROR_INSUFFICIENT_SIZE)
			break;
		size_t want = (size_t)cnt + cnt / 2 + 16; /* the list may grow between calls */
		void *p = tries < 3 ? realloc(n->pbuf, want * 32) : NULL;
		if (!p) {
			*whole = false; /* still too small: the list is not whole */
			return -1;
		}
		n->pbuf = p;
		n->pbuf_cap = want;
	}
	if (aipm_nvml_lost(g, rc))
		return -1;
	if (rc != NVML_SUCCESS) {
		*whole = rc == NVML_ERROR_NOT_SUPPORTED;
		return -1;
	}
	if (cnt > n->pbuf_cap) {
		cnt = (unsigned)n->pbuf_cap;
		*whole = false;
	}
	*stride = ver == 0 ? 24 : ver == 2 ? 16 : (size_t)n->v3_stride;
	if (ver == 1 && cnt > 0 && n->v3_stride == 0) {
		/* Where the driver stopped writing tells its record size: n
		 * records of s bytes end in ((n-1)s, ns]. */
		size_t end = (size_t)cnt * 32;
		while (end > 0 && n->pbuf[end - 1] == 0xA5)
			end--;
		size_t s = end <= cnt * 16u ? 16 : end <= cnt * 24u ? 24 : 32;
		for (unsigned i = 0; i < cnt; i++) {
			unsigned pid;
			memcpy(&pid, n->pbuf + i * s, sizeof pid);
			if (pid == 0 || pid > 4194304) /* PID_MAX_LIMIT */
				s = 0;
		}
		n->v3_stride = s ? (int)s : -1;
		if (!s) /* unusable: the next call falls back to v1 */
			return -1;
		*stride = s;
	}
	return (int)cnt;
}

/* The processes on one GPU (host pids here, mapped at the end): memory
 * from the compute and graphics lists, SM use from the utilisation table.
 * Returns false when the list is not whole. */
bool aipm_nvml_sample_procs(struct nvml *n, struct gpu *g, struct aipm_snapshot *snap, double t_s)
{
	struct aipm_gpu_value *o = aipm_snapshot_gpu(snap, g->id);
	bool mem_ok = false, mem_whole = true, oom = false;
	for (int kind = 0; kind < 2 && !g->lost; kind++) {
		size_t stride;
		bool whole;
		int cnt = read_proc_list(n, g, kind, &stride, &whole);
		mem_whole &= whole;
		if (cnt < 0)
			continue;
		mem_ok = true;
		for (int i = 0; i < cnt; i++) {
			unsigned pid;
			unsigned long long bytes;
			memcpy(&pid, n->pbuf + (size_t)i * stride, sizeof pid);
			memcpy(&bytes, n->pbuf + (size_t)i * stride + 8, sizeof bytes);
			struct aipm_gpu_proc *p = aipm_snapshot_gpu_proc(snap, g->id, (pid_t)pid);
			oom |= !p;
			/* A process with a compute and a graphics context is
			 * listed twice with the same memory: take it once. */
			if (p && bytes != NVML_VALUE_NOT_AVAILABLE && (!p->mem_valid || bytes > p->mem_bytes)) {
				p->mem_bytes = bytes;
				p->mem_valid = true;
			}
		}
	}
	if (g->lost)
		return true;
	if (mem_ok)
		o->fields |= AIPM_GPU_PROC_MEM;
	if (g->putil) {
		sample_putil(n, g, t_s);
		if (g->lost)
			return true;
	}
	bool util_whole = true;
	if (g->putil) {
		o->fields |= AIPM_GPU_PROC_UTIL;
		util_whole = g->util_complete;
		for (size_t k = 0; k < g->nutil; k++) {
			struct aipm_gpu_proc *p = aipm_snapshot_gpu_proc(snap, g->id, g->util[k].pid);
			oom |= !p;
			if (p)
				p->sm_util = g->util[k].sm;
		}
	}
	for (size_t i = 0; i < o->nprocs; i++)
		o->procs[i].pid = aipm_pidmap_local(&n->pidmap, o->procs[i].pid, t_s);
	/* The share is computed from SM use where the GPU gives it, else
	 * from memory (attrib.c): that basis must have been read whole. */
	o->procs_complete = !oom && (g->putil ? util_whole : mem_whole);
	return o->procs_complete;
}
