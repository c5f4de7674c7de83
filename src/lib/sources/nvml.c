/* nvml.c: the NVIDIA GPU source, through NVML loaded with dlopen.
 *
 * Owns the NVML library handle, one cached record per GPU (handle, name,
 * UUID, which calls that GPU answers) and the per-GPU cumulative energy. At
 * each sample it fills snap->gpus: cumulative energy in mJ (from the
 * total-energy counter where the GPU has one, else the trapezoid integral
 * of power over the snapshots' monotonic times), power, utilisation,
 * memory, temperature, power limit and the processes on the GPU with their
 * SM use and memory. It never computes shares or attributed energy
 * (attrib.c does) and never writes JSON (writer_gpu.c does).
 *
 * Traps handled here, each explained where it is handled: the energy
 * counter restarts at 0 when the driver reloads; the _v3 running-process
 * records changed size without notice; NVML speaks host PIDs while aipm
 * may live in a PID namespace; a GPU can fall off the bus mid-run.
 * The NVML calls per sample are kept to what the fields need: names, UUIDs
 * and which calls are supported are found at open, the power limit and the
 * temperature are re-read at a slow cadence.
 */
#include "pidns.h"
#include "source.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "nvml_api.h"

#define LIMIT_PERIOD_S 5.0  /* the power limit changes only by an admin's hand */
#define TEMP_PERIOD_S 1.0   /* temperature moves over seconds */
/* A process the driver stops reporting in the utilisation buffer has gone
 * idle; keep its last SM use no longer than this when NOT_FOUND says the
 * driver simply has no newer sample (its period is 1/6 s to 1 s, longer
 * than aipm's default 0.1 s interval). */
#define UTIL_HOLD_S 1.0

struct util_entry {
	pid_t pid;      /* host pid, as NVML gives it */
	unsigned sm;    /* percent, mean of the driver's samples in the window */
	double seen_s;  /* monotonic time of the sample that reported it */
};

struct gpu {
	nvmlDevice_t dev;
	unsigned index;
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
	bool lost;          /* GPU_IS_LOST once: never asked again */
	bool has_counter;   /* total-energy counter answered at open */
	int mem_ver;        /* 2, 1, or 0 (unsupported) */
	bool putil;         /* per-process utilisation supported */
	bool temp, limit;
	/* energy */
	bool have_raw;
	uint64_t last_raw_mj;
	double energy_mj;   /* cumulative since open; a double for integration */
	bool have_power;
	double last_power_w, last_power_s;
	/* slow-cadence readings */
	double limit_w, limit_read_s;
	double temp_c, temp_read_s;
	bool temp_valid;
	/* per-process utilisation */
	unsigned long long last_seen_us;
	size_t nutil;
	struct util_entry util[AIPM_MAX_GPU_PROCS];
};

struct nvml {
	struct aipm_source base;
	void *lib;
	char lib_path[256];
	struct {
		nvml_init_fn init, shutdown;
		nvml_error_string_fn error_string;
		nvml_count_fn count;
		nvml_handle_fn handle;
		nvml_str_fn name, uuid;
		nvml_ull_fn energy;
		nvml_uint_fn power, limit;
		nvml_util_fn util;
		nvml_mem_fn mem;
		nvml_mem2_fn mem2;
		nvml_temp_fn temp;
		nvml_procs_fn procs[2][3]; /* [compute, graphics][v2, v3, v1] */
		nvml_putil_fn putil;
	} fn;
	bool all_procs;
	size_t ngpus;
	struct gpu gpus[AIPM_MAX_GPUS];
	/* running-process records, room for cap records of up to 32 bytes */
	unsigned char *pbuf;
	size_t pbuf_cap;
	int v3_stride; /* 0 until measured; -1 when _v3 output is unusable */
	nvmlProcessUtilizationSample_t *ubuf;
	size_t ubuf_cap;
	struct aipm_pidmap pidmap; /* NVML speaks host pids */
};

static const char *errstr(struct nvml *n, nvmlReturn_t rc)
{
	const char *s = n->fn.error_string ? n->fn.error_string(rc) : NULL;
	return s ? s : "unknown NVML error";
}

/* ---- open ----------------------------------------------------------- */

static void *sym(struct nvml *n, const char *name) { return dlsym(n->lib, name); }

static void resolve(struct nvml *n)
{
	static const char *const procs[2][3] = {
		{"nvmlDeviceGetComputeRunningProcesses_v2", "nvmlDeviceGetComputeRunningProcesses_v3",
		 "nvmlDeviceGetComputeRunningProcesses"},
		{"nvmlDeviceGetGraphicsRunningProcesses_v2", "nvmlDeviceGetGraphicsRunningProcesses_v3",
		 "nvmlDeviceGetGraphicsRunningProcesses"},
	};
	/* ISO C has no void * to function pointer conversion; POSIX's
	 * dlsym page recommends writing through a void ** instead. Every
	 * symbol may be missing: callers check for NULL. */
#define RES(field, name) *(void **)&n->fn.field = sym(n, name)
	RES(init, "nvmlInit_v2");
	RES(shutdown, "nvmlShutdown");
	RES(error_string, "nvmlErrorString");
	RES(count, "nvmlDeviceGetCount_v2");
	RES(handle, "nvmlDeviceGetHandleByIndex_v2");
	RES(name, "nvmlDeviceGetName");
	RES(uuid, "nvmlDeviceGetUUID");
	RES(energy, "nvmlDeviceGetTotalEnergyConsumption");
	RES(power, "nvmlDeviceGetPowerUsage");
	RES(limit, "nvmlDeviceGetEnforcedPowerLimit");
	RES(util, "nvmlDeviceGetUtilizationRates");
	RES(mem, "nvmlDeviceGetMemoryInfo");
	RES(mem2, "nvmlDeviceGetMemoryInfo_v2");
	RES(temp, "nvmlDeviceGetTemperature");
	RES(putil, "nvmlDeviceGetProcessUtilization");
	for (int k = 0; k < 2; k++)
		for (int v = 0; v < 3; v++)
			RES(procs[k][v], procs[k][v]);
#undef RES
}

static void open_gpu(struct nvml *n, struct gpu *g, double now_s)
{
	unsigned long long mj;
	unsigned int mw;
	nvmlMemory_v2_t m2 = {.version = NVML_MEMORY_V2_VERSION};
	nvmlMemory_t m1;
	if (!n->fn.name || n->fn.name(g->dev, g->name, sizeof g->name) != NVML_SUCCESS)
		snprintf(g->name, sizeof g->name, "GPU %u", g->index);
	if (!n->fn.uuid || n->fn.uuid(g->dev, g->uuid, sizeof g->uuid) != NVML_SUCCESS)
		g->uuid[0] = '\0';
	g->has_counter = n->fn.energy && n->fn.energy(g->dev, &mj) == NVML_SUCCESS;
	/* _v2 first: it counts reserved memory in "used" as nvidia-smi does;
	 * the plain call is the fallback for drivers before 510. */
	if (n->fn.mem2 && n->fn.mem2(g->dev, &m2) == NVML_SUCCESS)
		g->mem_ver = 2;
	else if (n->fn.mem && n->fn.mem(g->dev, &m1) == NVML_SUCCESS)
		g->mem_ver = 1;
	g->limit = n->fn.limit && n->fn.limit(g->dev, &mw) == NVML_SUCCESS;
	if (g->limit) {
		g->limit_w = mw / 1000.0;
		g->limit_read_s = now_s;
	}
	g->temp = n->fn.temp != NULL;
	g->putil = n->fn.putil != NULL;
	if (g->putil) {
		/* Prime the last-seen timestamp so the first sample gets only
		 * fresh samples, not the driver's whole backlog. */
		unsigned cnt = (unsigned)n->ubuf_cap;
		if (n->fn.putil(g->dev, n->ubuf, &cnt, 0) == NVML_SUCCESS)
			for (unsigned i = 0; i < cnt && i < n->ubuf_cap; i++)
				if (n->ubuf[i].timeStamp > g->last_seen_us)
					g->last_seen_us = n->ubuf[i].timeStamp;
	}
}

static const char *init_fix(nvmlReturn_t rc)
{
	switch (rc) {
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "load the NVIDIA kernel module (modprobe nvidia), or reboot after installing the driver";
	case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
		return "the NVIDIA library and kernel module versions differ: reboot after the driver update";
	case NVML_ERROR_NO_PERMISSION:
		return "give this user read/write access to /dev/nvidia* (the video group on most systems)";
	default:
		return "check the driver with nvidia-smi";
	}
}

/* Returns false with reason/fix set when NVML cannot be used at all. */
static bool open_lib(struct nvml *n, const struct aipm_source_config *cfg)
{
	struct aipm_source *s = &n->base;
	const char *env = getenv("AIPM_NVML_LIB");
	/* The .so.1 name on purpose: the CUDA toolkit's stubs/ directory has a
	 * libnvidia-ml.so that only fails nvmlInit. */
	snprintf(n->lib_path, sizeof n->lib_path, "%s", env && *env ? env : "libnvidia-ml.so.1");
	n->lib = dlopen(n->lib_path, RTLD_NOW | RTLD_LOCAL);
	if (!n->lib) {
		const char *why = dlerror();
		aipm_source_set(s, false,
				"install the NVIDIA driver (it provides libnvidia-ml.so.1) or set AIPM_NVML_LIB to "
				"its path; a machine without an NVIDIA GPU needs nothing",
				"cannot load %s: %s", n->lib_path, why ? why : "unknown error");
		return false;
	}
	resolve(n);
	const char *missing = !n->fn.init ? "nvmlInit_v2" : !n->fn.shutdown ? "nvmlShutdown"
			      : !n->fn.count ? "nvmlDeviceGetCount_v2"
			      : !n->fn.handle ? "nvmlDeviceGetHandleByIndex_v2" : NULL;
	if (missing) {
		aipm_source_set(s, false, "install an NVIDIA driver from 2012 or later (NVML 5.319+)",
				"%s lacks %s", n->lib_path, missing);
		return false;
	}
	nvmlReturn_t rc = n->fn.init();
	if (rc != NVML_SUCCESS) {
		aipm_source_set(s, false, init_fix(rc), "NVML did not start: %s (code %d)", errstr(n, rc), rc);
		n->fn.shutdown = NULL; /* nothing to shut down */
		return false;
	}
	(void)cfg;
	return true;
}

static int nvml_open(const struct aipm_source_config *cfg, struct aipm_source **out)
{
	struct nvml *n = calloc(1, sizeof *n);
	if (!n)
		return aipm_err(-ENOMEM, "nvml: out of memory");
	n->all_procs = cfg && cfg->gpu_all_processes;
	n->pbuf_cap = 8; /* grows on INSUFFICIENT_SIZE */
	n->ubuf_cap = 8;
	n->pbuf = malloc(n->pbuf_cap * 32);
	n->ubuf = malloc(n->ubuf_cap * sizeof *n->ubuf);
	if (!n->pbuf || !n->ubuf) {
		free(n->pbuf);
		free(n->ubuf);
		free(n);
		return aipm_err(-ENOMEM, "nvml: out of memory");
	}
	*out = &n->base;
	aipm_pidmap_init(&n->pidmap);
	if (!open_lib(n, cfg))
		return 0;
	unsigned count = 0;
	nvmlReturn_t rc = n->fn.count(&count);
	if (rc != NVML_SUCCESS || count == 0) {
		aipm_source_set(&n->base, false, rc ? init_fix(rc) : "",
				rc ? "NVML cannot count GPUs: %s" : "no NVIDIA GPU found%s", rc ? errstr(n, rc) : "");
		return 0;
	}
	double now_s = aipm_mono_s();
	char first_err[128] = "";
	for (unsigned i = 0; i < count && n->ngpus < AIPM_MAX_GPUS; i++) {
		struct gpu *g = &n->gpus[n->ngpus];
		/* GetCount counts GPUs this user may not open (NO_PERMISSION):
		 * skip those, keep the others. */
		rc = n->fn.handle(i, &g->dev);
		if (rc != NVML_SUCCESS) {
			if (!first_err[0])
				snprintf(first_err, sizeof first_err, "GPU %u: %s", i, errstr(n, rc));
			continue;
		}
		g->index = i;
		open_gpu(n, g, now_s);
		n->ngpus++;
	}
	if (!n->ngpus) {
		aipm_source_set(&n->base, false, "check the driver with nvidia-smi and the permissions of /dev/nvidia*",
				"NVML counts %u GPU(s) but none could be opened (%s)", count, first_err);
		return 0;
	}
	size_t nint = 0;
	for (size_t i = 0; i < n->ngpus; i++)
		nint += !n->gpus[i].has_counter;
	aipm_source_set(&n->base, true, "", "%zu NVIDIA GPU(s) (%s%s)%s%s", n->ngpus, n->gpus[0].name,
			n->ngpus > 1 ? ", ..." : "",
			nint ? "; energy integrated from power where the GPU has no energy counter" : "",
			n->pidmap.in_pidns && !n->all_procs
				? "; aipm runs in a PID namespace and NVML reports host PIDs: pass "
				  "--gpu-all-processes if the experiment owns these GPUs"
				: "");
	return 0;
}

/* ---- sample --------------------------------------------------------- */

static bool check_lost(struct gpu *g, nvmlReturn_t rc)
{
	if (rc == NVML_ERROR_GPU_IS_LOST)
		g->lost = true;
	return g->lost;
}

/* Energy and power. The counter is mJ since the driver loaded: a reading
 * below the last one means a reload, and the new reading is all energy
 * since, so the cumulative never goes back. Without a counter, integrate
 * power over the snapshots' monotonic times (trapezoid). */
static void sample_energy(struct nvml *n, struct gpu *g, struct aipm_gpu *o, double t_s)
{
	unsigned int mw;
	unsigned long long mj;
	nvmlReturn_t rc = n->fn.power ? n->fn.power(g->dev, &mw) : NVML_ERROR_FUNCTION_NOT_FOUND;
	if (check_lost(g, rc))
		return;
	if (rc == NVML_SUCCESS) {
		o->power_w = mw / 1000.0;
		o->fields |= AIPM_GPU_POWER;
	}
	if (g->has_counter) {
		rc = n->fn.energy(g->dev, &mj);
		if (check_lost(g, rc))
			return;
		if (rc == NVML_SUCCESS) {
			if (g->have_raw)
				g->energy_mj += (double)(mj >= g->last_raw_mj ? mj - g->last_raw_mj : mj);
			g->last_raw_mj = mj;
			g->have_raw = true;
		}
	} else if (o->fields & AIPM_GPU_POWER) {
		if (g->have_power && t_s > g->last_power_s)
			g->energy_mj += (g->last_power_w + o->power_w) / 2 * (t_s - g->last_power_s) * 1e3;
		g->have_power = true;
		g->last_power_w = o->power_w;
		g->last_power_s = t_s;
	}
}

static void sample_state(struct nvml *n, struct gpu *g, struct aipm_gpu *o, double t_s)
{
	nvmlUtilization_t u;
	nvmlReturn_t rc = n->fn.util ? n->fn.util(g->dev, &u) : NVML_ERROR_FUNCTION_NOT_FOUND;
	if (check_lost(g, rc))
		return;
	if (rc == NVML_SUCCESS) {
		o->sm_util = u.gpu;
		o->mem_util = u.memory;
		o->fields |= AIPM_GPU_UTIL;
	}
	if (g->mem_ver == 2) {
		nvmlMemory_v2_t m = {.version = NVML_MEMORY_V2_VERSION};
		rc = n->fn.mem2(g->dev, &m);
		o->mem_used_bytes = m.used;
		o->mem_total_bytes = m.total;
	} else if (g->mem_ver == 1) {
		nvmlMemory_t m;
		rc = n->fn.mem(g->dev, &m);
		o->mem_used_bytes = m.used;
		o->mem_total_bytes = m.total;
	}
	if (check_lost(g, rc))
		return;
	if (g->mem_ver && rc == NVML_SUCCESS)
		o->fields |= AIPM_GPU_MEM;
	if (g->temp && (!g->temp_valid || t_s - g->temp_read_s >= TEMP_PERIOD_S)) {
		unsigned int c;
		rc = n->fn.temp(g->dev, NVML_TEMPERATURE_GPU, &c);
		if (check_lost(g, rc))
			return;
		g->temp_valid = rc == NVML_SUCCESS;
		g->temp = rc != NVML_ERROR_NOT_SUPPORTED;
		g->temp_c = c;
		g->temp_read_s = t_s;
	}
	if (g->temp_valid) {
		o->temp_c = g->temp_c;
		o->fields |= AIPM_GPU_TEMP;
	}
	if (g->limit && t_s - g->limit_read_s >= LIMIT_PERIOD_S) {
		unsigned int mw;
		if (n->fn.limit(g->dev, &mw) == NVML_SUCCESS)
			g->limit_w = mw / 1000.0;
		g->limit_read_s = t_s;
	}
	if (g->limit) {
		o->power_limit_w = g->limit_w;
		o->fields |= AIPM_GPU_LIMIT;
	}
}

/* Per-process SM use since the last seen timestamp. NOT_FOUND means the
 * driver has no sample newer than that: keep what it said last (for at
 * most UTIL_HOLD_S). A fresh answer replaces the table: a process it omits
 * had no SM use. */
static void sample_putil(struct nvml *n, struct gpu *g, double t_s)
{
	nvmlReturn_t rc;
	unsigned cnt;
	for (int tries = 0;; tries++) {
		cnt = (unsigned)n->ubuf_cap;
		rc = n->fn.putil(g->dev, n->ubuf, &cnt, g->last_seen_us);
		if (rc != NVML_ERROR_INSUFFICIENT_SIZE || tries == 3)
			break;
		size_t want = (size_t)cnt + cnt / 2 + 16;
		void *p = realloc(n->ubuf, want * sizeof *n->ubuf);
		if (!p)
			break;
		n->ubuf = p;
		n->ubuf_cap = want;
	}
	if (check_lost(g, rc))
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
		return;
	}
	unsigned sums[AIPM_MAX_GPU_PROCS], nsum[AIPM_MAX_GPU_PROCS];
	unsigned long long newest = g->last_seen_us;
	g->nutil = 0;
	for (unsigned i = 0; i < cnt && i < n->ubuf_cap; i++) {
		const nvmlProcessUtilizationSample_t *s = &n->ubuf[i];
		/* nvtop's checks: old timestamps and >100 % are driver noise */
		if (s->timeStamp <= g->last_seen_us || s->smUtil > 100 || s->pid == 0)
			continue;
		if (s->timeStamp > newest)
			newest = s->timeStamp;
		size_t k = 0;
		while (k < g->nutil && g->util[k].pid != (pid_t)s->pid)
			k++;
		if (k == g->nutil) {
			if (k == AIPM_MAX_GPU_PROCS)
				continue;
			g->util[k] = (struct util_entry){.pid = (pid_t)s->pid, .seen_s = t_s};
			sums[k] = nsum[k] = 0;
			g->nutil++;
		}
		sums[k] += s->smUtil;
		nsum[k]++;
	}
	for (size_t k = 0; k < g->nutil; k++)
		g->util[k].sm = (sums[k] + nsum[k] / 2) / nsum[k];
	g->last_seen_us = newest;
}

/* One running-process list into n->pbuf; returns the record count and
 * sets *stride, or -1. Records are read as raw bytes: pid at offset 0 and
 * usedGpuMemory at offset 8 in all three layouts. */
static int read_proc_list(struct nvml *n, struct gpu *g, int kind, size_t *stride)
{
	int ver = n->fn.procs[kind][0] ? 0 : (n->fn.procs[kind][1] && n->v3_stride >= 0) ? 1 : 2;
	nvml_procs_fn fn = n->fn.procs[kind][ver];
	if (!fn)
		return -1;
	nvmlReturn_t rc;
	unsigned cnt;
	for (int tries = 0;; tries++) {
		cnt = (unsigned)n->pbuf_cap;
		if (ver == 1) /* _v3 stride probe: a pattern no field ends with */
			memset(n->pbuf, 0xA5, n->pbuf_cap * 32);
		rc = fn(g->dev, &cnt, n->pbuf);
		if (rc != NVML_ERROR_INSUFFICIENT_SIZE || tries == 3)
			break;
		size_t want = (size_t)cnt + cnt / 2 + 16; /* the list may grow between calls */
		void *p = realloc(n->pbuf, want * 32);
		if (!p)
			return -1;
		n->pbuf = p;
		n->pbuf_cap = want;
	}
	if (check_lost(g, rc) || rc != NVML_SUCCESS)
		return -1;
	if (cnt > n->pbuf_cap)
		cnt = (unsigned)n->pbuf_cap;
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

static struct aipm_gpu_proc *find_proc(struct aipm_gpu *o, pid_t pid)
{
	for (size_t i = 0; i < o->nprocs; i++)
		if (o->procs[i].pid == pid)
			return &o->procs[i];
	if (o->nprocs == AIPM_MAX_GPU_PROCS)
		return NULL;
	o->procs[o->nprocs] = (struct aipm_gpu_proc){.pid = pid};
	return &o->procs[o->nprocs++];
}

static int cmp_proc(const void *a, const void *b)
{
	const struct aipm_proc *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static bool in_tree(const struct aipm_snapshot *snap, pid_t pid)
{
	struct aipm_proc key = {.pid = pid};
	return pid > 0 && snap->nprocs && bsearch(&key, snap->procs, snap->nprocs, sizeof key, cmp_proc);
}

/* The processes on one GPU (host pids here, mapped at the end): memory
 * from the compute and graphics lists, SM use from the utilisation table. */
static void sample_procs(struct nvml *n, struct gpu *g, struct aipm_gpu *o, const struct aipm_snapshot *snap,
			 double t_s)
{
	bool mem_ok = false;
	for (int kind = 0; kind < 2 && !g->lost; kind++) {
		size_t stride;
		int cnt = read_proc_list(n, g, kind, &stride);
		if (cnt < 0)
			continue;
		mem_ok = true;
		for (int i = 0; i < cnt; i++) {
			unsigned pid;
			unsigned long long bytes;
			memcpy(&pid, n->pbuf + (size_t)i * stride, sizeof pid);
			memcpy(&bytes, n->pbuf + (size_t)i * stride + 8, sizeof bytes);
			struct aipm_gpu_proc *p = find_proc(o, (pid_t)pid);
			/* A process with a compute and a graphics context is
			 * listed twice with the same memory: take it once. */
			if (p && bytes != NVML_VALUE_NOT_AVAILABLE && (!p->mem_valid || bytes > p->mem_bytes)) {
				p->mem_bytes = bytes;
				p->mem_valid = true;
			}
		}
	}
	if (g->lost)
		return;
	if (mem_ok)
		o->fields |= AIPM_GPU_PROC_MEM;
	if (g->putil) {
		sample_putil(n, g, t_s);
		if (g->lost)
			return;
	}
	if (g->putil) {
		o->fields |= AIPM_GPU_PROC_UTIL;
		for (size_t k = 0; k < g->nutil; k++) {
			struct aipm_gpu_proc *p = find_proc(o, g->util[k].pid);
			if (p)
				p->sm_util = g->util[k].sm;
		}
	}
	for (size_t i = 0; i < o->nprocs; i++) {
		struct aipm_gpu_proc *p = &o->procs[i];
		p->pid = aipm_pidmap_local(&n->pidmap, p->pid, t_s);
		p->in_experiment = n->all_procs || in_tree(snap, p->pid);
	}
}

static int nvml_sample(struct aipm_source *src, struct aipm_snapshot *snap)
{
	struct nvml *n = (struct nvml *)src;
	snap->gpu_all_processes = n->all_procs;
	if (!src->available) {
		snap->gpu_valid = false;
		snap->ngpus = 0;
		return 0;
	}
	double t_s = aipm_ts_to_s(&snap->mono);
	snap->ngpus = n->ngpus;
	snap->gpu_valid = true;
	for (size_t i = 0; i < n->ngpus; i++) {
		struct gpu *g = &n->gpus[i];
		struct aipm_gpu *o = &snap->gpus[i];
		memset(o, 0, sizeof *o);
		o->index = g->index;
		memcpy(o->name, g->name, sizeof o->name);
		memcpy(o->uuid, g->uuid, sizeof o->uuid);
		o->energy_integrated = !g->has_counter;
		if (!g->lost)
			sample_energy(n, g, o, t_s);
		if (!g->lost)
			sample_state(n, g, o, t_s);
		if (!g->lost)
			sample_procs(n, g, o, snap, t_s);
		/* A lost GPU keeps the energy it had: it is cumulative, and
		 * the analysis must not see it drop to zero. */
		o->energy_mj = (uint64_t)g->energy_mj;
		o->fields |= AIPM_GPU_ENERGY;
		o->valid = !g->lost;
		if (g->lost) {
			o->fields = AIPM_GPU_ENERGY;
			o->nprocs = 0;
		}
	}
	return 0;
}

/* ---- close, describe ------------------------------------------------ */

static void nvml_close(struct aipm_source *src)
{
	struct nvml *n = (struct nvml *)src;
	if (!n)
		return;
	if (n->lib) {
		if (n->fn.shutdown && n->fn.init)
			n->fn.shutdown();
		dlclose(n->lib);
	}
	free(n->pbuf);
	free(n->ubuf);
	aipm_pidmap_free(&n->pidmap);
	free(n);
}

static void nvml_describe(struct aipm_source *src, struct aipm_buf *b)
{
	struct nvml *n = (struct nvml *)src;
	aipm_buf_puts(b, "{\"library\": ");
	aipm_buf_json_str(b, n->lib_path);
	aipm_buf_printf(b, ", \"pid_namespace\": %s, \"pid_mapping\": %s, \"gpu_all_processes\": %s",
			n->pidmap.in_pidns ? "true" : "false", n->pidmap.ns_level > 1 ? "true" : "false",
			n->all_procs ? "true" : "false");
	if (n->pidmap.in_pidns && !n->all_procs)
		aipm_buf_puts(b, ", \"advice\": \"NVML reports host PIDs; pass --gpu-all-processes if the "
				 "experiment owns the GPUs\"");
	aipm_buf_puts(b, ", \"gpus\": [");
	for (size_t i = 0; i < n->ngpus; i++) {
		const struct gpu *g = &n->gpus[i];
		aipm_buf_printf(b, "%s{\"index\": %u, \"name\": ", i ? ", " : "", g->index);
		aipm_buf_json_str(b, g->name);
		aipm_buf_puts(b, ", \"uuid\": ");
		aipm_buf_json_str(b, g->uuid);
		aipm_buf_printf(b, ", \"energy_source\": \"%s\"", g->has_counter ? "counter" : "integrated");
		if (g->limit) {
			aipm_buf_puts(b, ", \"power_limit_w\": ");
			aipm_buf_double(b, g->limit_w);
		}
		aipm_buf_printf(b, ", \"per_process_utilization\": %s}", g->putil ? "true" : "false");
	}
	aipm_buf_puts(b, "]}");
}

const struct aipm_source_ops aipm_source_nvml = {
	.name = "nvml",
	.what = "NVIDIA GPUs through NVML: energy, power, utilisation, memory, per-process use",
	.open = nvml_open,
	.sample = nvml_sample,
	.close = nvml_close,
	.describe = nvml_describe,
};
