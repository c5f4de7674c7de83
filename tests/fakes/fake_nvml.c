/* fake_nvml.c: a libnvidia-ml stand-in, built by the test suite.
 *
 * aipm dlopens it through AIPM_NVML_LIB exactly as it would open the real
 * library, so the product's loading, symbol resolution and parsing paths
 * run unchanged. What it reports is scripted by the file named in
 * AIPM_FAKE_NVML (read at nvmlInit_v2), one `key=value` per line:
 *
 *   count=2                GPUs GetCount reports (default 0)
 *   init_rc=9              nvmlInit_v2 answers this code
 *   v3_stride=32           bytes per record the _v3 process calls write
 *   gpuN.name=Tesla V100   gpuN.uuid=GPU-...
 *   gpuN.handle_rc=4       GetHandleByIndex answers this (NO_PERMISSION)
 *   gpuN.energy=none       no total-energy counter (NOT_SUPPORTED)
 *   gpuN.energy_start_mj=  gpuN.energy_step_mj=   counter = start + step*tick
 *   gpuN.reset_at=K        driver reload at tick K: counter = step*(tick-K+1)
 *   gpuN.power_mw=  gpuN.power_step_mw=           power = mw + step*(tick-1)
 *   gpuN.lost_at=K         from tick K every call answers GPU_IS_LOST
 *   gpuN.util=  gpuN.mem_total=  gpuN.mem_used=  gpuN.temp=  gpuN.limit_mw=
 *   gpuN.mem_reserved=     driver-reserved bytes: in "used" for _v2 only,
 *                          as drivers 510+ report them
 *   gpuN.mem2_rc=25        GetMemoryInfo_v2 answers this (plain call works)
 *   gpuN.putil=0           GetProcessUtilization answers NOT_SUPPORTED
 *   gpuN.util_every=K      a utilisation sample only every K ticks
 *   gpuN.always_more=1     the process lists grow faster than they can be read:
 *                          INSUFFICIENT_SIZE with a larger count, every call
 *   gpuN.proc=PID SM MEM FROM TO   (repeatable) a process on the GPU from
 *                          tick FROM to TO (0: forever) using SM percent and
 *                          MEM bytes; PID "child" is the first child of the
 *                          calling process, as the host's /proc numbers it.
 *   gpuN.delay_us=N        every GetPowerUsage takes N µs (a slow driver)
 *   gpuN.fields=0          GetFieldValues answers NOT_SUPPORTED for the
 *                          energy field (older drivers: no reading's time)
 *
 * Time-driven GPUs, for edges and freshness (the truth is the fake's own:
 * fake_nvml_energy_j):
 *   gpuN.profile=SPEC      power follows SPEC in wall-clock time (Unix
 *                          seconds): const:W, square:LOW:HIGH:PERIOD_S (HIGH
 *                          in the first half of each period),
 *                          sine:MEAN:AMP:PERIOD_S. GetPowerUsage gives the
 *                          power now; the energy counter is the profile's
 *                          energy since nvmlInit, as of its last update.
 *   gpuN.energy_period_ms=P the counter updates only at multiples of P ms
 *                          of wall-clock time (NVML's every 20-100 ms), and
 *                          GetFieldValues stamps it with that update's time;
 *                          0 (default): fresh at every call.
 *
 * A GPU's tick is the number of GetPowerUsage calls made on it: the
 * product reads power first on every GPU at every sample, so tick k is
 * sample k. fake_nvml_calls() counts every NVML call (for the benchmark).
 *
 * Build variants: -DFAKE_NO_V2 drops the _v2 running-process symbols (so
 * _v3 must be used), -DFAKE_NO_V2_V3 drops both (v1 only).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/lib/sources/nvml_api.h"

#define API __attribute__((visibility("default")))
#define MAXG 32
#define MAXP 256

struct fproc {
	long pid; /* -1: the caller's first child */
	unsigned sm;
	unsigned long long mem;
	unsigned from, to;
};

struct fgpu {
	char name[96], uuid[96];
	int handle_rc, mem2_rc;
	int energy; /* has a counter */
	unsigned long long e_start, e_step;
	unsigned reset_at, lost_at;
	unsigned power_mw, power_step_mw;
	unsigned util, temp, limit_mw;
	unsigned long long mem_total, mem_used, mem_reserved;
	int putil;
	unsigned util_every;
	int always_more;
	unsigned nprocs;
	struct fproc procs[MAXP];
	unsigned tick;
	unsigned delay_us;
	int fields;
	char profile;   /* 0: tick-driven; 'c', 's' (square), 'n' (sine) */
	double pa, pb, pperiod;
	double energy_period_s;
};

static struct {
	unsigned count;
	int init_rc;
	unsigned v3_stride;
	struct fgpu g[MAXG];
	unsigned long calls;
	int inited;
	double t_init; /* wall-clock time of nvmlInit: time-driven counters start there */
} F;

API unsigned long fake_nvml_calls(void) { return F.calls; }

static void defaults(void)
{
	memset(&F.g, 0, sizeof F.g);
	F.count = 0;
	F.init_rc = 0;
	F.v3_stride = 24;
	for (int i = 0; i < MAXG; i++) {
		struct fgpu *g = &F.g[i];
		snprintf(g->name, sizeof g->name, "Fake GPU %d", i);
		snprintf(g->uuid, sizeof g->uuid, "GPU-fake-%04d", i);
		g->energy = 1;
		g->e_step = 1000;
		g->power_mw = 100000;
		g->util = 50;
		g->temp = 40;
		g->limit_mw = 250000;
		g->mem_total = 16ull << 30;
		g->mem_used = 1ull << 30;
		g->putil = 1;
		g->util_every = 1;
		g->fields = 1;
	}
}

static double wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void set_profile(struct fgpu *g, const char *v)
{
	double a = 0, b = 0, p = 1;
	if (sscanf(v, "const:%lf", &a) == 1)
		g->profile = 'c';
	else if (sscanf(v, "square:%lf:%lf:%lf", &a, &b, &p) == 3)
		g->profile = 's';
	else if (sscanf(v, "sine:%lf:%lf:%lf", &a, &b, &p) == 3)
		g->profile = 'n';
	g->pa = a;
	g->pb = b;
	g->pperiod = p > 0 ? p : 1;
}

static double profile_w(const struct fgpu *g, double t)
{
	double per = g->pperiod;
	switch (g->profile) {
	case 'c': return g->pa;
	case 's': return t - floor(t / per) * per < per / 2 ? g->pb : g->pa;
	default: return g->pa + g->pb * sin(2 * M_PI * t / per);
	}
}

/* The profile's energy (J) from 0 to t, in closed form. */
static double profile_j(const struct fgpu *g, double t)
{
	double per = g->pperiod, n = floor(t / per), rest = t - n * per, half = per / 2, w = 2 * M_PI / per;
	switch (g->profile) {
	case 'c': return g->pa * t;
	case 's': return n * (g->pa + g->pb) * half + g->pb * fmin(rest, half) + g->pa * fmax(rest - half, 0);
	default: return g->pa * t + g->pb * (1 - cos(w * rest)) / w;
	}
}

/* When the counter was last updated, at wall-clock time now. */
static double updated_at(const struct fgpu *g, double now)
{
	double p = g->energy_period_s, t = p > 0 ? floor(now / p) * p : now;
	return t > F.t_init ? t : F.t_init;
}

/* The truth, for tests (dlsym it from the library aipm loaded): the energy
 * GPU index drew between wall-clock times t0 and t1; NAN unless it is
 * time-driven. */
API double fake_nvml_energy_j(unsigned index, double t0, double t1)
{
	if (index >= MAXG || !F.g[index].profile)
		return NAN;
	return profile_j(&F.g[index], t1) - profile_j(&F.g[index], t0);
}

static void set_gpu(struct fgpu *g, const char *k, const char *v)
{
	unsigned long long n = strtoull(v, NULL, 10);
	if (!strcmp(k, "name"))
		snprintf(g->name, sizeof g->name, "%s", v);
	else if (!strcmp(k, "uuid"))
		snprintf(g->uuid, sizeof g->uuid, "%s", v);
	else if (!strcmp(k, "handle_rc"))
		g->handle_rc = (int)n;
	else if (!strcmp(k, "mem2_rc"))
		g->mem2_rc = (int)n;
	else if (!strcmp(k, "energy"))
		g->energy = strcmp(v, "none") != 0;
	else if (!strcmp(k, "energy_start_mj"))
		g->e_start = n;
	else if (!strcmp(k, "energy_step_mj"))
		g->e_step = n;
	else if (!strcmp(k, "reset_at"))
		g->reset_at = (unsigned)n;
	else if (!strcmp(k, "lost_at"))
		g->lost_at = (unsigned)n;
	else if (!strcmp(k, "power_mw"))
		g->power_mw = (unsigned)n;
	else if (!strcmp(k, "power_step_mw"))
		g->power_step_mw = (unsigned)n;
	else if (!strcmp(k, "util"))
		g->util = (unsigned)n;
	else if (!strcmp(k, "temp"))
		g->temp = (unsigned)n;
	else if (!strcmp(k, "limit_mw"))
		g->limit_mw = (unsigned)n;
	else if (!strcmp(k, "mem_total"))
		g->mem_total = n;
	else if (!strcmp(k, "mem_used"))
		g->mem_used = n;
	else if (!strcmp(k, "mem_reserved"))
		g->mem_reserved = n;
	else if (!strcmp(k, "putil"))
		g->putil = (int)n;
	else if (!strcmp(k, "always_more"))
		g->always_more = (int)n;
	else if (!strcmp(k, "util_every"))
		g->util_every = n ? (unsigned)n : 1;
	else if (!strcmp(k, "delay_us"))
		g->delay_us = (unsigned)n;
	else if (!strcmp(k, "fields"))
		g->fields = (int)n;
	else if (!strcmp(k, "profile"))
		set_profile(g, v);
	else if (!strcmp(k, "energy_period_ms"))
		g->energy_period_s = strtod(v, NULL) / 1000.0;
	else if (!strcmp(k, "proc") && g->nprocs < MAXP) {
		struct fproc *p = &g->procs[g->nprocs++];
		char pid[32] = "";
		sscanf(v, "%31s %u %llu %u %u", pid, &p->sm, &p->mem, &p->from, &p->to);
		p->pid = strcmp(pid, "child") ? strtol(pid, NULL, 10) : -1;
	}
}

static void load(void)
{
	defaults();
	const char *path = getenv("AIPM_FAKE_NVML");
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
		else if (!strcmp(k, "init_rc"))
			F.init_rc = atoi(v);
		else if (!strcmp(k, "v3_stride"))
			F.v3_stride = (unsigned)atoi(v);
	}
	fclose(f);
}

/* The caller's first child, numbered as the /proc we see numbers it (the
 * host's when the caller sits in a PID namespace under the host's /proc,
 * which is what NVML would report). */
static long first_child(void)
{
	char self[32] = "";
	ssize_t n = readlink("/proc/self", self, sizeof self - 1);
	long me = n > 0 ? strtol(self, NULL, 10) : (long)getpid(), best = 0;
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
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		char *rp = strrchr(buf, ')');
		long ppid = 0;
		if (rp && sscanf(rp + 2, "%*c %ld", &ppid) == 1 && ppid == me) {
			long pid = strtol(e->d_name, NULL, 10);
			if (!best || pid < best)
				best = pid;
		}
	}
	if (d)
		closedir(d);
	return best;
}

static struct fgpu *dev(nvmlDevice_t d) { return (struct fgpu *)d; }
static int lost(struct fgpu *g) { return g->lost_at && g->tick >= g->lost_at; }
static int active(const struct fproc *p, unsigned t) { return t >= p->from && (!p->to || t <= p->to); }

#define ENTER(d)                                  \
	F.calls++;                                \
	if (!F.inited)                            \
		return NVML_ERROR_UNINITIALIZED;  \
	if (lost(dev(d)))                         \
		return NVML_ERROR_GPU_IS_LOST

API nvmlReturn_t nvmlInit_v2(void)
{
	F.calls++;
	load();
	F.t_init = wall_s();
	F.inited = F.init_rc == 0;
	return F.init_rc;
}

API nvmlReturn_t nvmlShutdown(void)
{
	F.calls++;
	F.inited = 0;
	return NVML_SUCCESS;
}

API const char *nvmlErrorString(nvmlReturn_t rc)
{
	switch (rc) {
	case NVML_SUCCESS: return "Success";
	case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
	case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
	case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
	case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
	default: return "Unknown Error";
	}
}

API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *count)
{
	F.calls++;
	if (!F.inited)
		return NVML_ERROR_UNINITIALIZED;
	*count = F.count;
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *out)
{
	F.calls++;
	if (!F.inited)
		return NVML_ERROR_UNINITIALIZED;
	if (i >= F.count || i >= MAXG)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (F.g[i].handle_rc)
		return F.g[i].handle_rc;
	*out = (nvmlDevice_t)&F.g[i];
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned len)
{
	ENTER(d);
	if (strlen(dev(d)->name) >= len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	strcpy(buf, dev(d)->name);
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned len)
{
	ENTER(d);
	if (strlen(dev(d)->uuid) >= len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	strcpy(buf, dev(d)->uuid);
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned *mw)
{
	F.calls++;
	if (!F.inited)
		return NVML_ERROR_UNINITIALIZED;
	struct fgpu *g = dev(d);
	g->tick++;
	if (g->delay_us)
		usleep(g->delay_us);
	if (lost(g))
		return NVML_ERROR_GPU_IS_LOST;
	if (g->profile)
		*mw = (unsigned)lround(profile_w(g, wall_s()) * 1000);
	else
		*mw = g->power_mw + g->power_step_mw * (g->tick - 1);
	return NVML_SUCCESS;
}

/* The counter and the wall-clock time of its last update. */
static void energy_now(struct fgpu *g, unsigned long long *mj, double *at)
{
	double now = wall_s();
	*at = now;
	if (g->profile) {
		*at = updated_at(g, now);
		*mj = g->e_start + (unsigned long long)llround((profile_j(g, *at) - profile_j(g, F.t_init)) * 1000);
	} else if (g->reset_at && g->tick >= g->reset_at) {
		*mj = g->e_step * (g->tick - g->reset_at + 1);
	} else {
		*mj = g->e_start + g->e_step * g->tick;
	}
}

API nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj)
{
	ENTER(d);
	struct fgpu *g = dev(d);
	if (!g->energy)
		return NVML_ERROR_NOT_SUPPORTED;
	double at;
	energy_now(g, mj, &at);
	return NVML_SUCCESS;
}

/* The energy field only; anything else is not supported here. */
API nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t d, int count, nvmlFieldValue_t *v)
{
	ENTER(d);
	struct fgpu *g = dev(d);
	for (int i = 0; i < count; i++) {
		v[i].nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
		if (v[i].fieldId != NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION || !g->energy || !g->fields)
			continue;
		double at;
		energy_now(g, &v[i].value.ullVal, &at);
		v[i].valueType = NVML_VALUE_TYPE_UNSIGNED_LONG_LONG;
		v[i].timestamp = llround(at * 1e6);
		v[i].latencyUsec = 0;
		v[i].nvmlReturn = NVML_SUCCESS;
	}
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned *mw)
{
	ENTER(d);
	*mw = dev(d)->limit_mw;
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
	ENTER(d);
	u->gpu = dev(d)->util;
	u->memory = dev(d)->util / 2;
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m)
{
	ENTER(d);
	m->total = dev(d)->mem_total;
	m->used = dev(d)->mem_used - dev(d)->mem_reserved;
	m->free = m->total - dev(d)->mem_used;
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m)
{
	ENTER(d);
	if (dev(d)->mem2_rc)
		return dev(d)->mem2_rc;
	/* A real driver refuses a wrong version (the literal 2 gets 13 from
	 * 510.39); refuse it here so a wrong constant fails the tests. The
	 * number is spelled out, not taken from nvml_api.h, so a mistake
	 * there cannot agree with itself. */
	if (m->version != 0x02000028u)
		return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	m->total = dev(d)->mem_total;
	m->used = dev(d)->mem_used;
	m->reserved = dev(d)->mem_reserved;
	m->free = m->total - m->used;
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned *c)
{
	ENTER(d);
	if (sensor != NVML_TEMPERATURE_GPU)
		return NVML_ERROR_INVALID_ARGUMENT;
	*c = dev(d)->temp;
	return NVML_SUCCESS;
}

/* The running-process protocol: *count is the caller's capacity; too
 * small answers INSUFFICIENT_SIZE with the count needed. */
static nvmlReturn_t procs(nvmlDevice_t d, unsigned *count, void *buf, unsigned stride)
{
	ENTER(d);
	struct fgpu *g = dev(d);
	long child = 0;
	unsigned n = 0;
	for (unsigned i = 0; i < g->nprocs; i++)
		n += active(&g->procs[i], g->tick);
	if (g->always_more) {
		*count = *count * 2 + 100;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	if (*count < n || (n && !buf)) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	unsigned char *out = buf;
	n = 0;
	for (unsigned i = 0; i < g->nprocs; i++) {
		const struct fproc *p = &g->procs[i];
		if (!active(p, g->tick))
			continue;
		if (p->pid < 0 && !child)
			child = first_child();
		unsigned char rec[32];
		unsigned pid = (unsigned)(p->pid < 0 ? child : p->pid), mig = 0xFFFFFFFFu;
		unsigned long long zero = 0;
		memset(rec, 0, sizeof rec);
		memcpy(rec, &pid, 4);
		memcpy(rec + 8, &p->mem, 8);
		if (stride >= 24) {
			memcpy(rec + 16, &mig, 4);
			memcpy(rec + 20, &mig, 4);
		}
		if (stride >= 32)
			memcpy(rec + 24, &zero, 8);
		memcpy(out + (size_t)n * stride, rec, stride);
		n++;
	}
	*count = n;
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned *c, void *b) { return procs(d, c, b, 16); }
API nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t d, unsigned *c, void *b)
{
	(void)b;
	ENTER(d);
	*c = 0; /* graphics contexts: none in these scripts */
	return NVML_SUCCESS;
}
#ifndef FAKE_NO_V2_V3
API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned *c, void *b)
{
	return procs(d, c, b, F.v3_stride);
}
API nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t d, unsigned *c, void *b)
{
	return nvmlDeviceGetGraphicsRunningProcesses(d, c, b);
}
#ifndef FAKE_NO_V2
API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d, unsigned *c, void *b) { return procs(d, c, b, 24); }
API nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t d, unsigned *c, void *b)
{
	return nvmlDeviceGetGraphicsRunningProcesses(d, c, b);
}
#endif
#endif

/* One sample per active process per tick t (t a multiple of util_every),
 * timestamped t*100000 µs; only those newer than last_seen are returned,
 * and NOT_FOUND when there are none, as the driver does. */
API nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t d, nvmlProcessUtilizationSample_t *buf,
						 unsigned *count, unsigned long long last_seen)
{
	ENTER(d);
	struct fgpu *g = dev(d);
	if (!g->putil)
		return NVML_ERROR_NOT_SUPPORTED;
	long child = 0;
	unsigned n = 0, cap = *count;
	for (unsigned t = g->tick > 10 ? g->tick - 10 : 1; t <= g->tick; t++) {
		unsigned long long ts = (unsigned long long)t * 100000;
		if (t % g->util_every || ts <= last_seen)
			continue;
		for (unsigned i = 0; i < g->nprocs; i++) {
			const struct fproc *p = &g->procs[i];
			if (!active(p, t) || !p->sm)
				continue;
			if (buf && n < cap) {
				if (p->pid < 0 && !child)
					child = first_child();
				buf[n] = (nvmlProcessUtilizationSample_t){
					.pid = (unsigned)(p->pid < 0 ? child : p->pid), .timeStamp = ts, .smUtil = p->sm};
			}
			n++;
		}
	}
	if (!n)
		return NVML_ERROR_NOT_FOUND;
	if (g->always_more)
		n = cap * 2 + 100;
	if (!buf || n > cap) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	*count = n;
	return NVML_SUCCESS;
}
