/* fake_amdsmi.c: a libamd_smi stand-in, built by the test suite.
 *
 * aipm dlopens it through AIPM_AMDSMI_LIB exactly as it would open ROCm's
 * library, so the product's loading, symbol resolution and parsing paths
 * run unchanged. It implements the declarations of
 * src/lib/sources/amdsmi_api.h (AMD SMI 24.6). What it reports is scripted
 * by the file named in AIPM_FAKE_AMDSMI (read at amdsmi_init), one
 * `key=value` per line:
 *
 *   count=2                GPUs (default 0), spread over `sockets` sockets
 *   sockets=1              sockets listed (GPUs go round-robin; default 1)
 *   init_rc=34             amdsmi_init answers this code
 *   version=24.6           the library version amdsmi_get_lib_version gives
 *   cpus=1                 one extra processor per socket that is not a GPU
 *   gpuN.name=  gpuN.uuid=
 *   gpuN.energy=none       no energy counter (NOT_SUPPORTED)
 *   gpuN.energy_start=  gpuN.energy_step=   accumulator = start + step*tick
 *   gpuN.resolution=15.25  microjoules per accumulator unit (a float)
 *   gpuN.wrap32=1          the accumulator is 32 bits wide and wraps
 *   gpuN.jump_at=K         at tick K the accumulator leaps by 2^40 (a glitch)
 *   gpuN.power_w=  gpuN.avg_only=1 (current_socket_power 0xFFFF)
 *   gpuN.gfx=  gpuN.umc=  gpuN.vram_total_mb=  gpuN.vram_used_mb=
 *   gpuN.temp=  gpuN.edge=none (no edge sensor: only the hotspot)
 *   gpuN.limit_uw=         power1_cap as hwmon gives it, microwatts
 *   gpuN.always_more=1     the process list grows faster than it can be read
 *   gpuN.proc=PID MEM GFX_NS FROM TO  (repeatable) a process on the GPU from
 *                          tick FROM to TO (0: forever) using MEM bytes and
 *                          GFX_NS nanoseconds of GFX time per tick; PID
 *                          "child" is the first child of the calling process.
 *   gpuN.energy_period_ms=P the firmware updates the counter only every P ms
 *                          of the GPU's clock: between updates a read gives
 *                          the value and the timestamp of the last update
 *                          (a stale counter); 0 (default): fresh each read.
 *
 * The energy count's timestamp is the GPU's own clock, as the firmware's
 * system_clock_counter is: CLOCK_MONOTONIC plus GPU_CLOCK_OFFSET_NS, in ns.
 *
 * A GPU's tick is the number of amdsmi_get_energy_count calls made on it
 * (the product reads it once per GPU per sample, and once at open: tick 1
 * is the open). amdsmi_fake_calls() counts every call (for benchmarks).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/lib/sources/amdsmi_api.h"

#define API __attribute__((visibility("default")))
#define MAXG 32
#define MAXP 256

struct fproc {
	long pid; /* -1: the caller's first child */
	uint64_t mem, gfx_ns;
	unsigned from, to;
};

struct fgpu {
	char name[96], uuid[64];
	int energy, wrap32, avg_only, edge, always_more;
	uint64_t e_start, e_step;
	float resolution;
	unsigned jump_at;
	unsigned power_w, gfx, umc, temp, limit_uw;
	unsigned vram_total_mb, vram_used_mb;
	unsigned nprocs;
	struct fproc procs[MAXP];
	unsigned tick;
	int is_cpu;
	uint64_t period_ns;        /* energy_period_ms */
	uint64_t held_acc, held_ts; /* the last update, when stale */
	int have_held;
};

/* The GPU's clock: no relation to any of the host's but its rate. */
#define GPU_CLOCK_OFFSET_NS 987654321000ull

static uint64_t gpu_clock_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return GPU_CLOCK_OFFSET_NS + (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static struct {
	unsigned count, sockets, cpus;
	int init_rc;
	unsigned ver_year, ver_major;
	struct fgpu g[MAXG];
	struct fgpu cpu[MAXG]; /* processors that are not GPUs */
	unsigned long calls;
	int inited;
} F;

API unsigned long amdsmi_fake_calls(void) { return F.calls; }

static void defaults(void)
{
	memset(&F, 0, sizeof F);
	F.sockets = 1;
	F.ver_year = 24;
	F.ver_major = 6;
	for (int i = 0; i < MAXG; i++) {
		struct fgpu *g = &F.g[i];
		snprintf(g->name, sizeof g->name, "Fake MI%d", 200 + i);
		snprintf(g->uuid, sizeof g->uuid, "fake-amd-%04d", i);
		g->energy = 1;
		g->e_step = 1000;
		g->resolution = 15.25f; /* exact in binary: the truth is exact too */
		g->power_w = 300;
		g->gfx = 60;
		g->umc = 20;
		g->temp = 45;
		g->edge = 1;
		g->limit_uw = 500000000;
		g->vram_total_mb = 65536;
		g->vram_used_mb = 1024;
		F.cpu[i].is_cpu = 1;
	}
}

static void set_gpu(struct fgpu *g, const char *k, const char *v)
{
	unsigned long long n = strtoull(v, NULL, 10);
	if (!strcmp(k, "name"))
		snprintf(g->name, sizeof g->name, "%s", v);
	else if (!strcmp(k, "uuid"))
		snprintf(g->uuid, sizeof g->uuid, "%s", v);
	else if (!strcmp(k, "energy"))
		g->energy = strcmp(v, "none") != 0;
	else if (!strcmp(k, "energy_start"))
		g->e_start = n;
	else if (!strcmp(k, "energy_step"))
		g->e_step = n;
	else if (!strcmp(k, "energy_period_ms"))
		g->period_ns = n * 1000000ull;
	else if (!strcmp(k, "resolution"))
		g->resolution = strtof(v, NULL);
	else if (!strcmp(k, "wrap32"))
		g->wrap32 = (int)n;
	else if (!strcmp(k, "jump_at"))
		g->jump_at = (unsigned)n;
	else if (!strcmp(k, "power_w"))
		g->power_w = (unsigned)n;
	else if (!strcmp(k, "avg_only"))
		g->avg_only = (int)n;
	else if (!strcmp(k, "gfx"))
		g->gfx = (unsigned)n;
	else if (!strcmp(k, "umc"))
		g->umc = (unsigned)n;
	else if (!strcmp(k, "temp"))
		g->temp = (unsigned)n;
	else if (!strcmp(k, "edge"))
		g->edge = strcmp(v, "none") != 0;
	else if (!strcmp(k, "limit_uw"))
		g->limit_uw = (unsigned)n;
	else if (!strcmp(k, "vram_total_mb"))
		g->vram_total_mb = (unsigned)n;
	else if (!strcmp(k, "vram_used_mb"))
		g->vram_used_mb = (unsigned)n;
	else if (!strcmp(k, "always_more"))
		g->always_more = (int)n;
	else if (!strcmp(k, "proc") && g->nprocs < MAXP) {
		struct fproc *p = &g->procs[g->nprocs++];
		char pid[32] = "";
		sscanf(v, "%31s %lu %lu %u %u", pid, &p->mem, &p->gfx_ns, &p->from, &p->to);
		p->pid = strcmp(pid, "child") ? strtol(pid, NULL, 10) : -1;
	}
}

static void load(void)
{
	defaults();
	const char *path = getenv("AIPM_FAKE_AMDSMI");
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq = '\0';
		const char *k = line, *v = eq + 1;
		unsigned idx;
		char sub[64];
		if (sscanf(k, "gpu%u.%63s", &idx, sub) == 2 && idx < MAXG)
			set_gpu(&F.g[idx], sub, v);
		else if (!strcmp(k, "count"))
			F.count = (unsigned)atoi(v);
		else if (!strcmp(k, "sockets"))
			F.sockets = (unsigned)atoi(v) ? (unsigned)atoi(v) : 1;
		else if (!strcmp(k, "cpus"))
			F.cpus = (unsigned)atoi(v);
		else if (!strcmp(k, "init_rc"))
			F.init_rc = atoi(v);
		else if (!strcmp(k, "version"))
			sscanf(v, "%u.%u", &F.ver_year, &F.ver_major);
	}
	fclose(f);
}

/* The caller's first child, as the /proc we see numbers it. */
static long first_child(void)
{
	long me = (long)getpid(), best = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300], buf[512];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *r = strrchr(buf, ')');
		long ppid = 0;
		if (r && sscanf(r + 2, "%*c %ld", &ppid) == 1 && ppid == me) {
			long pid = strtol(e->d_name, NULL, 10);
			if (!best || pid < best)
				best = pid;
		}
	}
	if (d)
		closedir(d);
	return best;
}

static int active(const struct fproc *p, unsigned t) { return t >= p->from && (!p->to || t <= p->to); }

#define ENTER(h)                                                                                                     \
	do {                                                                                                         \
		F.calls++;                                                                                           \
		if (!F.inited)                                                                                       \
			return AMDSMI_STATUS_NOT_INIT;                                                               \
		if (!(h))                                                                                            \
			return AMDSMI_STATUS_INVAL;                                                                  \
	} while (0)

static struct fgpu *gpu(amdsmi_processor_handle h) { return (struct fgpu *)h; }

API amdsmi_status_t amdsmi_init(uint64_t flags)
{
	F.calls++;
	load();
	if (!(flags & AMDSMI_INIT_AMD_GPUS))
		return AMDSMI_STATUS_INVAL;
	if (F.init_rc)
		return F.init_rc;
	F.inited = 1;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_shut_down(void)
{
	F.calls++;
	F.inited = 0;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_lib_version(amdsmi_version_t *v)
{
	F.calls++;
	*v = (amdsmi_version_t){.year = F.ver_year, .major = F.ver_major, .minor = 2, .build = "fake"};
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_status_code_to_string(amdsmi_status_t rc, const char **s)
{
	switch (rc) {
	case AMDSMI_STATUS_SUCCESS: *s = "Success"; break;
	case AMDSMI_STATUS_DRIVER_NOT_LOADED: *s = "Driver not loaded"; break;
	case AMDSMI_STATUS_NO_PERM: *s = "Permission denied"; break;
	case AMDSMI_STATUS_NOT_SUPPORTED: *s = "Not supported"; break;
	default: *s = "Fake error"; break;
	}
	return AMDSMI_STATUS_SUCCESS;
}

/* Socket handles are 1-based small integers cast to pointers. */
API amdsmi_status_t amdsmi_get_socket_handles(uint32_t *count, amdsmi_socket_handle *out)
{
	F.calls++;
	if (!F.inited)
		return AMDSMI_STATUS_NOT_INIT;
	uint32_t n = F.count ? F.sockets : 0;
	if (!out) {
		*count = n;
		return AMDSMI_STATUS_SUCCESS;
	}
	for (uint32_t i = 0; i < n && i < *count; i++)
		out[i] = (amdsmi_socket_handle)(uintptr_t)(i + 1);
	*count = n;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_processor_handles(amdsmi_socket_handle sock, uint32_t *count,
						 amdsmi_processor_handle *out)
{
	F.calls++;
	if (!F.inited)
		return AMDSMI_STATUS_NOT_INIT;
	unsigned s = (unsigned)(uintptr_t)sock - 1, n = 0;
	amdsmi_processor_handle list[2 * MAXG];
	if (F.cpus && s < MAXG)
		list[n++] = &F.cpu[s];
	for (unsigned i = 0; i < F.count && i < MAXG; i++)
		if (i % F.sockets == s)
			list[n++] = &F.g[i];
	if (out)
		for (uint32_t i = 0; i < n && i < *count; i++)
			out[i] = list[i];
	*count = n;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_processor_type(amdsmi_processor_handle h, uint32_t *type)
{
	ENTER(h);
	*type = gpu(h)->is_cpu ? 2 : AMDSMI_PROCESSOR_TYPE_AMD_GPU;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_gpu_device_uuid(amdsmi_processor_handle h, unsigned int *len, char *uuid)
{
	ENTER(h);
	if (strlen(gpu(h)->uuid) >= *len)
		return AMDSMI_STATUS_INVAL;
	strcpy(uuid, gpu(h)->uuid);
	*len = (unsigned)strlen(uuid);
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_gpu_asic_info(amdsmi_processor_handle h, amdsmi_asic_info_t *info)
{
	ENTER(h);
	memset(info, 0, sizeof *info);
	snprintf(info->market_name, sizeof info->market_name, "%s", gpu(h)->name);
	info->vendor_id = 0x1002;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_energy_count(amdsmi_processor_handle h, uint64_t *acc, float *res, uint64_t *ts)
{
	ENTER(h);
	struct fgpu *g = gpu(h);
	if (!g->energy)
		return AMDSMI_STATUS_NOT_SUPPORTED;
	g->tick++;
	uint64_t v = g->e_start + g->e_step * g->tick;
	if (g->jump_at && g->tick >= g->jump_at)
		v += (g->tick == g->jump_at) ? (1ull << 40) : 0; /* one glitch, then back on track */
	if (g->wrap32)
		v &= 0xFFFFFFFFull;
	uint64_t now = gpu_clock_ns();
	if (g->period_ns) {
		/* An update at each multiple of the period: the value read then
		 * is held, with that multiple as its stamp. */
		uint64_t at = now / g->period_ns * g->period_ns;
		if (!g->have_held || at != g->held_ts) {
			g->held_acc = v;
			g->held_ts = at;
			g->have_held = 1;
		}
		v = g->held_acc;
		now = g->held_ts;
	}
	*acc = v;
	*res = g->resolution;
	*ts = now;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_power_info(amdsmi_processor_handle h, amdsmi_power_info_t *info)
{
	ENTER(h);
	struct fgpu *g = gpu(h);
	memset(info, 0, sizeof *info);
	info->current_socket_power = g->avg_only ? AMDSMI_NOT_AVAILABLE_U32 : g->power_w;
	info->average_socket_power = g->power_w;
	info->gfx_voltage = info->soc_voltage = info->mem_voltage = AMDSMI_NOT_AVAILABLE_U32;
	info->power_limit = g->limit_uw;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_gpu_activity(amdsmi_processor_handle h, amdsmi_engine_usage_t *info)
{
	ENTER(h);
	memset(info, 0, sizeof *info);
	info->gfx_activity = gpu(h)->gfx;
	info->umc_activity = gpu(h)->umc;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_gpu_vram_usage(amdsmi_processor_handle h, amdsmi_vram_usage_t *info)
{
	ENTER(h);
	memset(info, 0, sizeof *info);
	info->vram_total = gpu(h)->vram_total_mb;
	info->vram_used = gpu(h)->vram_used_mb;
	return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_temp_metric(amdsmi_processor_handle h, uint32_t sensor, uint32_t metric, int64_t *c)
{
	ENTER(h);
	if (metric != AMDSMI_TEMP_CURRENT)
		return AMDSMI_STATUS_INVAL;
	if (sensor == AMDSMI_TEMPERATURE_TYPE_EDGE && !gpu(h)->edge)
		return AMDSMI_STATUS_NOT_SUPPORTED;
	*c = gpu(h)->temp + (sensor == AMDSMI_TEMPERATURE_TYPE_HOTSPOT ? 10 : 0); /* degrees, as 24.6 gives */
	return AMDSMI_STATUS_SUCCESS;
}

/* *max in/out: capacity, then the processes running; OUT_OF_RESOURCES when
 * the capacity was too small, as 24.6 does. */
API amdsmi_status_t amdsmi_get_gpu_process_list(amdsmi_processor_handle h, uint32_t *max, amdsmi_proc_info_t *list)
{
	ENTER(h);
	struct fgpu *g = gpu(h);
	uint32_t cap = *max, n = 0;
	for (unsigned i = 0; i < g->nprocs; i++)
		n += active(&g->procs[i], g->tick);
	if (g->always_more) {
		*max = cap * 2 + 100;
		return cap ? AMDSMI_STATUS_OUT_OF_RESOURCES : AMDSMI_STATUS_SUCCESS;
	}
	if (cap == 0 || n == 0) {
		*max = n;
		return AMDSMI_STATUS_SUCCESS;
	}
	if (!list)
		return AMDSMI_STATUS_INVAL;
	long child = 0;
	uint32_t k = 0;
	for (unsigned i = 0; i < g->nprocs && k < cap; i++) {
		const struct fproc *p = &g->procs[i];
		if (!active(p, g->tick))
			continue;
		if (p->pid < 0 && !child)
			child = first_child();
		amdsmi_proc_info_t *r = &list[k++];
		memset(r, 0, sizeof *r);
		snprintf(r->name, sizeof r->name, "proc%ld", p->pid);
		r->pid = (uint32_t)(p->pid < 0 ? child : p->pid);
		r->mem = p->mem;
		/* cumulative GFX time: gfx_ns per tick since it started */
		r->engine_usage.gfx = p->gfx_ns * (g->tick - p->from + 1);
		r->memory_usage.vram_mem = p->mem;
	}
	*max = n;
	return cap >= n ? AMDSMI_STATUS_SUCCESS : AMDSMI_STATUS_OUT_OF_RESOURCES;
}
