/* amdsmi.c: the AMD GPU source, through AMD SMI loaded with dlopen.
 *
 * Owns the library handle and one record per GPU (processor handle, which
 * calls it answers, the cumulative energy). At open it publishes each GPU
 * in the catalog (vendor "amd", its index in AMD SMI's enumeration order,
 * market name, UUID, energy source); at each sample it sets that device's
 * values: cumulative energy (the accumulated energy counter times its
 * resolution, or the trapezoid integral of power where there is no
 * counter), power, GFX and memory-controller activity, VRAM, temperature
 * and power limit (slow tier), and the processes on the GPU with their
 * memory and GFX use. Like nvml.c it never decides which processes are the
 * experiment's, never computes shares and never writes JSON: the same
 * model carries AMD and NVIDIA GPUs side by side, the writer puts AMD's
 * under "amd_gpu".
 *
 * The counter: energy_accumulator x counter_resolution is microjoules. It
 * may be 32 bits wide in some firmware, may reset with the driver, and has
 * been seen to jump (ROCm/amdsmi #22, #38). A drop is a 32-bit wrap when
 * the last value fitted in 32 bits, else a reset (the new reading is all
 * energy since); a step that would mean more than MAX_PLAUSIBLE_W over
 * the interval is not energy and is dropped, and the note says so. The
 * cumulative energy therefore never goes back and never takes a leap.
 *
 * Per-process GFX use comes from each process's cumulative GFX engine time
 * (amdsmi_proc_info_t.engine_usage.gfx, ns): its growth over the interval
 * is the percent of the interval the process kept the engine busy.
 */
#include "pidns.h"
#include "source.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amdsmi_api.h"
#include "devclock.h"
#include "error.h"

/* No GPU draws this much; a counter step implying more is a glitch. */
#define MAX_PLAUSIBLE_W 5000.0

struct pgfx {
	pid_t pid;         /* host pid */
	uint64_t gfx_ns;   /* cumulative GFX time at the last sample */
	bool seen;         /* listed in the latest answer */
};

struct gpu {
	amdsmi_processor_handle h;
	int id;            /* catalog id */
	unsigned index;
	char name[96];
	char uuid[96];
	bool has_counter, has_power, has_activity, has_vram;
	uint32_t temp_sensor; /* EDGE, or HOTSPOT where there is no edge sensor (MI300) */
	bool temp, limit;
	/* energy */
	bool have_raw;
	uint64_t last_raw;
	double energy_uj, last_t_s;
	struct aipm_power_integral integral; /* no counter: power integrated */
	struct aipm_devclock clock; /* the counter's timestamps: how fresh (devclock.h) */
	uint64_t glitches; /* counter steps dropped as implausible */
	bool have_glitch;
	uint64_t glitch_raw;
	double glitch_t_s;
	/* slow tier, held */
	bool temp_valid, limit_valid;
	double temp_c, limit_w;
	/* per-process GFX time */
	struct pgfx *pg;
	size_t npg, pg_cap;
	double procs_t_s;  /* time of the last process read */
	bool have_procs_t;
	uint64_t truncated;
};

struct amdsmi {
	struct aipm_source base;
	void *lib;
	char lib_path[256];
	struct {
		amdsmi_init_fn init;
		amdsmi_void_fn shut_down;
		amdsmi_version_fn version;
		amdsmi_status_string_fn status_string;
		amdsmi_sockets_fn sockets;
		amdsmi_processors_fn processors;
		amdsmi_type_fn type;
		amdsmi_uuid_fn uuid;
		amdsmi_asic_fn asic;
		amdsmi_energy_fn energy;
		amdsmi_power_fn power;
		amdsmi_activity_fn activity;
		amdsmi_vram_fn vram;
		amdsmi_temp_fn temp;
		amdsmi_procs_fn procs;
	} fn;
	amdsmi_version_t ver;
	bool inited;
	size_t ngpus;
	struct gpu *gpus;
	amdsmi_proc_info_t *pbuf;
	size_t pbuf_cap;
	struct aipm_pidmap pidmap; /* AMD SMI speaks host pids */
};

static const char *errstr(struct amdsmi *a, amdsmi_status_t rc)
{
	const char *s = NULL;
	if (a->fn.status_string && a->fn.status_string(rc, &s) != AMDSMI_STATUS_SUCCESS)
		s = NULL;
	return s ? s : "unknown AMD SMI error";
}

/* ---- open ----------------------------------------------------------- */

static void resolve(struct amdsmi *a)
{
	/* As in nvml.c: dlsym through a void ** (POSIX's advice); every
	 * symbol may be missing and callers check for NULL. */
#define RES(field, name) *(void **)&a->fn.field = dlsym(a->lib, name)
	RES(init, "amdsmi_init");
	RES(shut_down, "amdsmi_shut_down");
	RES(version, "amdsmi_get_lib_version");
	RES(status_string, "amdsmi_status_code_to_string");
	RES(sockets, "amdsmi_get_socket_handles");
	RES(processors, "amdsmi_get_processor_handles");
	RES(type, "amdsmi_get_processor_type");
	RES(uuid, "amdsmi_get_gpu_device_uuid");
	RES(asic, "amdsmi_get_gpu_asic_info");
	RES(energy, "amdsmi_get_energy_count");
	RES(power, "amdsmi_get_power_info");
	RES(activity, "amdsmi_get_gpu_activity");
	RES(vram, "amdsmi_get_gpu_vram_usage");
	RES(temp, "amdsmi_get_temp_metric");
	RES(procs, "amdsmi_get_gpu_process_list");
#undef RES
}

static const char *init_fix(amdsmi_status_t rc)
{
	switch (rc) {
	case AMDSMI_STATUS_DRIVER_NOT_LOADED:
		return "load the amdgpu kernel module (`sudo modprobe amdgpu`), or reboot after installing ROCm";
	case AMDSMI_STATUS_NO_PERM:
		return "give this user access to /dev/kfd and /dev/dri/* (the render and video groups)";
	default:
		return "check the GPUs and the driver with `amd-smi list`";
	}
}

static bool try_load(struct amdsmi *a, const char *path)
{
	snprintf(a->lib_path, sizeof a->lib_path, "%s", path);
	a->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	return a->lib != NULL;
}

/* Returns false with reason/fix set when AMD SMI cannot be used at all. */
static bool open_lib(struct amdsmi *a, const struct aipm_source_config *cfg)
{
	struct aipm_source *s = &a->base;
	const char *given = cfg->paths.amdsmi_lib;
	s->requested = given && *given;
	/* ROCm puts the library in /opt/rocm/lib, which the loader may not
	 * search: try it after the loader's own path. */
	static const char *const names[] = {"libamd_smi.so", "libamd_smi.so.25", "libamd_smi.so.24",
					    "/opt/rocm/lib/libamd_smi.so"};
	/* dlerror's string lives until the next dl call: keep the first. */
	char why[256] = "";
	size_t n = s->requested ? 1 : AIPM_ARRAY_SIZE(names);
	for (size_t i = 0; i < n && !a->lib; i++) {
		if (!try_load(a, s->requested ? given : names[i]) && !why[0]) {
			const char *e = dlerror();
			snprintf(why, sizeof why, "%s", e ? e : "unknown error");
		}
	}
	if (!a->lib) {
		snprintf(a->lib_path, sizeof a->lib_path, "%s", s->requested ? given : names[0]);
		aipm_source_set(s, false,
				"install ROCm's AMD SMI library (amd-smi-lib, it provides libamd_smi.so) or set "
				"AIPM_AMDSMI_LIB to its path; a machine without an AMD GPU needs nothing",
				"cannot load %s: %s", a->lib_path, why);
		return false;
	}
	resolve(a);
	const char *missing = !a->fn.init ? "amdsmi_init" : !a->fn.shut_down ? "amdsmi_shut_down"
			      : !a->fn.sockets ? "amdsmi_get_socket_handles"
			      : !a->fn.processors ? "amdsmi_get_processor_handles" : NULL;
	if (missing) {
		aipm_source_set(s, false, "install AMD SMI from ROCm 6.0 or later", "%s lacks %s", a->lib_path,
				missing);
		return false;
	}
	amdsmi_status_t rc = a->fn.init(AMDSMI_INIT_AMD_GPUS);
	if (rc != AMDSMI_STATUS_SUCCESS) {
		aipm_source_set(s, false, init_fix(rc), "AMD SMI did not start: %s (code %d)", errstr(a, rc), rc);
		return false;
	}
	a->inited = true;
	if (!a->fn.version || a->fn.version(&a->ver) != AMDSMI_STATUS_SUCCESS)
		memset(&a->ver, 0, sizeof a->ver);
	/* The process list returns amdsmi_proc_info_t records from 24.6 on. */
	if (a->ver.year < 24 || (a->ver.year == 24 && a->ver.major < 6))
		a->fn.procs = NULL;
	return true;
}

static void probe_temp(struct amdsmi *a, struct gpu *g)
{
	int64_t c;
	g->temp = false;
	if (!a->fn.temp)
		return;
	static const uint32_t sensors[] = {AMDSMI_TEMPERATURE_TYPE_EDGE, AMDSMI_TEMPERATURE_TYPE_HOTSPOT};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(sensors) && !g->temp; i++)
		if (a->fn.temp(g->h, sensors[i], AMDSMI_TEMP_CURRENT, &c) == AMDSMI_STATUS_SUCCESS) {
			g->temp = true;
			g->temp_sensor = sensors[i];
		}
}

static void open_gpu(struct amdsmi *a, struct gpu *g)
{
	amdsmi_asic_info_t asic;
	uint64_t acc, ts;
	float res;
	amdsmi_power_info_t pw;
	amdsmi_engine_usage_t act;
	amdsmi_vram_usage_t vr;
	char uuid[AMDSMI_GPU_UUID_SIZE + 2];
	unsigned len = sizeof uuid - 1;
	memset(&asic, 0, sizeof asic);
	if (a->fn.asic && a->fn.asic(g->h, &asic) == AMDSMI_STATUS_SUCCESS && asic.market_name[0])
		/* a display name (the uuid identifies the GPU): a long one may be cut */
		aipm_snprintf_trunc(g->name, sizeof g->name, "%.*s", (int)sizeof asic.market_name, asic.market_name);
	else
		snprintf(g->name, sizeof g->name, "AMD GPU %u", g->index);
	memset(uuid, 0, sizeof uuid);
	if (a->fn.uuid && a->fn.uuid(g->h, &len, uuid) == AMDSMI_STATUS_SUCCESS)
		snprintf(g->uuid, sizeof g->uuid, "%s", uuid);
	g->has_counter = a->fn.energy && a->fn.energy(g->h, &acc, &res, &ts) == AMDSMI_STATUS_SUCCESS && res > 0;
	g->has_power = a->fn.power && a->fn.power(g->h, &pw) == AMDSMI_STATUS_SUCCESS;
	g->limit = g->has_power && pw.power_limit != AMDSMI_NOT_AVAILABLE_U32 && pw.power_limit > 0;
	g->has_activity = a->fn.activity && a->fn.activity(g->h, &act) == AMDSMI_STATUS_SUCCESS;
	g->has_vram = a->fn.vram && a->fn.vram(g->h, &vr) == AMDSMI_STATUS_SUCCESS;
	probe_temp(a, g);
}

/* Every AMD GPU of every socket, in AMD SMI's order. */
static int find_gpus(struct amdsmi *a, char *err, size_t errlen)
{
	uint32_t ns = 0;
	amdsmi_status_t rc = a->fn.sockets(&ns, NULL);
	if (rc != AMDSMI_STATUS_SUCCESS) {
		snprintf(err, errlen, "AMD SMI cannot list sockets: %s", errstr(a, rc));
		return 0;
	}
	amdsmi_socket_handle *socks = calloc(ns ? ns : 1, sizeof *socks);
	if (!socks)
		return -ENOMEM;
	if (ns && a->fn.sockets(&ns, socks) != AMDSMI_STATUS_SUCCESS)
		ns = 0;
	int r = 0;
	for (uint32_t i = 0; i < ns && r == 0; i++) {
		uint32_t np = 0;
		if (a->fn.processors(socks[i], &np, NULL) != AMDSMI_STATUS_SUCCESS || !np)
			continue;
		amdsmi_processor_handle *ph = calloc(np, sizeof *ph);
		struct gpu *more = ph ? realloc(a->gpus, (a->ngpus + np) * sizeof *more) : NULL;
		if (!more) {
			free(ph);
			r = -ENOMEM;
			break;
		}
		a->gpus = more;
		if (a->fn.processors(socks[i], &np, ph) == AMDSMI_STATUS_SUCCESS)
			for (uint32_t k = 0; k < np; k++) {
				uint32_t type = AMDSMI_PROCESSOR_TYPE_AMD_GPU;
				if (a->fn.type && (a->fn.type(ph[k], &type) != AMDSMI_STATUS_SUCCESS ||
						   type != AMDSMI_PROCESSOR_TYPE_AMD_GPU))
					continue;
				struct gpu *g = &a->gpus[a->ngpus];
				memset(g, 0, sizeof *g);
				g->h = ph[k];
				g->index = (unsigned)a->ngpus++;
				open_gpu(a, g);
			}
		free(ph);
	}
	free(socks);
	return r;
}

static int publish(struct amdsmi *a, struct aipm_catalog *cat)
{
	for (size_t i = 0; i < a->ngpus; i++) {
		struct gpu *g = &a->gpus[i];
		g->id = aipm_catalog_add_gpu(cat, aipm_source_amdsmi.name, "amd", g->index, g->name, g->uuid,
					     !g->has_counter);
		if (g->id < 0)
			return aipm_err(-ENOMEM, "amdsmi: out of memory publishing the GPUs");
	}
	return 0;
}

static int amdsmi_open(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out)
{
	struct amdsmi *a = calloc(1, sizeof *a);
	if (!a)
		return aipm_err(-ENOMEM, "amdsmi: out of memory");
	*out = &a->base;
	aipm_pidmap_init(&a->pidmap, aipm_paths_proc(&cfg->paths));
	if (!open_lib(a, cfg))
		return 0;
	char err[256] = "";
	if (find_gpus(a, err, sizeof err) < 0)
		return aipm_err(-ENOMEM, "amdsmi: out of memory listing the GPUs");
	if (!a->ngpus) {
		aipm_source_set(&a->base, false, err[0] ? "check the GPUs and the driver with `amd-smi list`" : "",
				"%s", err[0] ? err : "no AMD GPU found");
		return 0;
	}
	if (publish(a, cat) < 0)
		return -ENOMEM;
	size_t nint = 0;
	for (size_t i = 0; i < a->ngpus; i++)
		nint += !a->gpus[i].has_counter;
	aipm_source_set(&a->base, true, "", "%zu AMD GPU(s) (%s%s), AMD SMI %u.%u.%u%s%s", a->ngpus, a->gpus[0].name,
			a->ngpus > 1 ? ", ..." : "", a->ver.year, a->ver.major, a->ver.minor,
			nint ? "; energy integrated from power where the GPU has no energy counter" : "",
			a->fn.procs ? "" : "; no per-process use (needs AMD SMI 24.6, ROCm 6.2, or later)");
	return 0;
}

/* ---- sample --------------------------------------------------------- */

/* The counter's progress from last to raw in microjoules; false when it
 * is no energy at all (more than MAX_PLAUSIBLE_W over dt). */
static bool step_uj(uint64_t last, uint64_t raw, double res_uj, double dt, double *uj)
{
	uint64_t step;
	if (raw >= last)
		step = raw - last;
	else if (last <= UINT32_MAX)
		step = (UINT32_MAX - last) + 1 + raw; /* 32-bit wrap */
	else
		step = raw; /* reset: all of it is new */
	*uj = (double)step * res_uj;
	return !(dt > 0 && *uj / dt / 1e6 > MAX_PLAUSIBLE_W);
}

/* Add the counter's progress (raw accumulator units) to the cumulative
 * energy. A glitch is dropped and remembered: if the next reading follows
 * on from before it, the glitch was a one-off and the counter is read on
 * from the old value; if it follows on from the glitch, the counter really
 * moved and is read on from there, the leap itself never counted. */
static void count_energy(struct gpu *g, uint64_t raw, double res_uj, double t_s)
{
	double uj;
	if (!g->have_raw) {
		g->last_raw = raw;
	} else if (step_uj(g->last_raw, raw, res_uj, t_s - g->last_t_s, &uj)) {
		g->energy_uj += uj;
		g->last_raw = raw;
		g->have_glitch = false;
	} else if (g->have_glitch && step_uj(g->glitch_raw, raw, res_uj, t_s - g->glitch_t_s, &uj)) {
		g->energy_uj += uj; /* the counter moved for good: read on from the new level */
		g->last_raw = raw;
		g->have_glitch = false;
	} else {
		g->glitches++;
		g->have_glitch = true;
		g->glitch_raw = raw;
		g->glitch_t_s = t_s;
		return; /* last_raw and last_t_s stay before the glitch */
	}
	g->last_t_s = t_s;
	g->have_raw = true;
}

static void sample_energy(struct amdsmi *a, struct gpu *g, struct aipm_gpu_value *o, double t_s)
{
	amdsmi_power_info_t pw;
	if (g->has_power && a->fn.power(g->h, &pw) == AMDSMI_STATUS_SUCCESS) {
		/* current_socket_power is MI300's; older GPUs give the average. */
		uint32_t w = pw.current_socket_power != AMDSMI_NOT_AVAILABLE_U32 ? pw.current_socket_power
										  : pw.average_socket_power;
		if (w != AMDSMI_NOT_AVAILABLE_U32) {
			o->power_w = w;
			o->fields |= AIPM_GPU_POWER;
		}
	}
	uint64_t acc, ts;
	float res;
	if (g->has_counter) {
		if (a->fn.energy(g->h, &acc, &res, &ts) == AMDSMI_STATUS_SUCCESS && res > 0) {
			count_energy(g, acc, res, t_s);
			/* The firmware updates the counter every ms or so on some
			 * GPUs, far less often on others: its stamp says when. */
			o->energy_age_s = round(aipm_devclock_age(&g->clock, (double)ts / 1e9, t_s) * 1e6) / 1e6;
			o->fields |= AIPM_GPU_ENERGY_AGE;
		}
	} else if (o->fields & AIPM_GPU_POWER) {
		g->energy_uj += aipm_power_integral_add(&g->integral, o->power_w, t_s) * 1e6;
	}
	o->energy_mj = (uint64_t)(g->energy_uj / 1e3);
	o->fields |= AIPM_GPU_ENERGY;
}

static void sample_state(struct amdsmi *a, struct gpu *g, struct aipm_gpu_value *o, bool slow)
{
	amdsmi_engine_usage_t act;
	amdsmi_vram_usage_t vr;
	if (g->has_activity && a->fn.activity(g->h, &act) == AMDSMI_STATUS_SUCCESS) {
		if (act.gfx_activity <= 100) {
			o->sm_util = act.gfx_activity;
			o->fields |= AIPM_GPU_UTIL;
		}
		if (act.umc_activity <= 100) {
			o->mem_util = act.umc_activity;
			o->fields |= AIPM_GPU_MEM_UTIL;
		}
	}
	if (g->has_vram && a->fn.vram(g->h, &vr) == AMDSMI_STATUS_SUCCESS) {
		o->mem_used_bytes = (uint64_t)vr.vram_used << 20;
		o->mem_total_bytes = (uint64_t)vr.vram_total << 20;
		o->fields |= AIPM_GPU_MEM;
	}
	if (slow) {
		int64_t c;
		amdsmi_power_info_t pw;
		if (g->temp)
			g->temp_valid = a->fn.temp(g->h, g->temp_sensor, AMDSMI_TEMP_CURRENT, &c) == AMDSMI_STATUS_SUCCESS;
		if (g->temp_valid)
			g->temp_c = (double)c;
		if (g->limit && a->fn.power(g->h, &pw) == AMDSMI_STATUS_SUCCESS &&
		    pw.power_limit != AMDSMI_NOT_AVAILABLE_U32 && pw.power_limit > 0) {
			/* µW as hwmon's power1_cap; a value under 100000 can only
			 * be watts (a library that converted). */
			g->limit_w = pw.power_limit >= 100000 ? pw.power_limit / 1e6 : pw.power_limit;
			g->limit_valid = true;
		}
	}
	if (g->temp_valid) {
		o->temp_c = g->temp_c;
		o->fields |= AIPM_GPU_TEMP;
	}
	if (g->limit_valid) {
		o->power_limit_w = g->limit_w;
		o->fields |= AIPM_GPU_LIMIT;
	}
}

/* The process list, grown on OUT_OF_RESOURCES (the list may grow between
 * calls); returns the count, or -1 with *whole false when it could not be
 * read whole. */
static int read_procs(struct amdsmi *a, struct gpu *g, bool *whole)
{
	*whole = true;
	for (int tries = 0; tries < 4; tries++) {
		uint32_t n = (uint32_t)a->pbuf_cap;
		amdsmi_status_t rc = a->fn.procs(g->h, &n, a->pbuf_cap ? a->pbuf : NULL);
		if (rc == AMDSMI_STATUS_SUCCESS && n <= a->pbuf_cap)
			return (int)n;
		if (rc != AMDSMI_STATUS_SUCCESS && rc != AMDSMI_STATUS_OUT_OF_RESOURCES) {
			*whole = rc == AMDSMI_STATUS_NOT_SUPPORTED;
			return -1;
		}
		size_t want = (size_t)n + n / 2 + 16;
		amdsmi_proc_info_t *p = realloc(a->pbuf, want * sizeof *p);
		if (!p)
			break;
		a->pbuf = p;
		a->pbuf_cap = want;
	}
	*whole = false;
	return -1;
}

static struct pgfx *pgfx_of(struct gpu *g, pid_t pid)
{
	for (size_t i = 0; i < g->npg; i++)
		if (g->pg[i].pid == pid)
			return &g->pg[i];
	if (aipm_grow((void **)&g->pg, &g->pg_cap, g->npg + 1, sizeof *g->pg) < 0)
		return NULL;
	g->pg[g->npg] = (struct pgfx){.pid = pid};
	return &g->pg[g->npg++];
}

/* Processes: memory, and GFX use over the interval from each process's
 * cumulative GFX time. Returns false when the list is not whole. */
static bool sample_procs(struct amdsmi *a, struct gpu *g, struct aipm_snapshot *snap, double t_s)
{
	struct aipm_gpu_value *o = aipm_snapshot_gpu(snap, g->id);
	bool whole;
	int n = read_procs(a, g, &whole);
	if (n < 0)
		return whole;
	double dt = t_s - g->procs_t_s;
	bool have_dt = g->have_procs_t && dt > 0;
	for (size_t i = 0; i < g->npg; i++)
		g->pg[i].seen = false;
	bool oom = false;
	for (int i = 0; i < n; i++) {
		const amdsmi_proc_info_t *r = &a->pbuf[i];
		struct aipm_gpu_proc *p = aipm_snapshot_gpu_proc(snap, g->id, (pid_t)r->pid);
		struct pgfx *q = pgfx_of(g, (pid_t)r->pid);
		if (!p || !q) {
			oom = true;
			continue;
		}
		p->mem_bytes = r->mem;
		p->mem_valid = true;
		/* A process new since the last read started within it: all of
		 * its GFX time is this interval's. */
		uint64_t d = r->engine_usage.gfx > q->gfx_ns ? r->engine_usage.gfx - q->gfx_ns : 0;
		double pct = have_dt ? (double)d / (dt * 1e9) * 100 : 0;
		p->sm_util = (unsigned)(pct > 100 ? 100 : pct + 0.5);
		q->gfx_ns = r->engine_usage.gfx;
		q->seen = true;
	}
	size_t k = 0; /* forget processes that left */
	for (size_t i = 0; i < g->npg; i++)
		if (g->pg[i].seen)
			g->pg[k++] = g->pg[i];
	g->npg = k;
	g->procs_t_s = t_s;
	g->have_procs_t = true;
	o->fields |= AIPM_GPU_PROC_MEM | (have_dt ? AIPM_GPU_PROC_UTIL : 0);
	for (size_t i = 0; i < o->nprocs; i++)
		o->procs[i].pid = aipm_pidmap_local(&a->pidmap, o->procs[i].pid, t_s);
	return !oom;
}

static int amdsmi_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct amdsmi *a = (struct amdsmi *)src;
	double t_s = aipm_ts_to_s(&ctx->mono);
	uint64_t glitches = 0, truncated = 0;
	for (size_t i = 0; i < a->ngpus; i++) {
		struct gpu *g = &a->gpus[i];
		struct aipm_gpu_value *o = aipm_snapshot_gpu(snap, g->id);
		o->valid = true;
		sample_energy(a, g, o, t_s);
		sample_state(a, g, o, ctx->slow);
		o->procs_complete = true;
		if (a->fn.procs && !sample_procs(a, g, snap, t_s)) {
			o->procs_complete = false;
			g->truncated++;
		}
		glitches += g->glitches;
		truncated += g->truncated > 0;
	}
	if (glitches || truncated)
		aipm_source_note(&a->base, "%llu energy counter step(s) implying more than %.0f W were dropped as "
					   "counter glitches; the process list of %llu GPU(s) could not be read whole in "
					   "some samples (their share is unknown there)",
				 (unsigned long long)glitches, MAX_PLAUSIBLE_W, (unsigned long long)truncated);
	return 0;
}

/* ---- close, describe ------------------------------------------------ */

static void amdsmi_close(struct aipm_source *src)
{
	struct amdsmi *a = (struct amdsmi *)src;
	if (a->lib) {
		if (a->inited)
			a->fn.shut_down();
		dlclose(a->lib);
	}
	for (size_t i = 0; i < a->ngpus; i++)
		free(a->gpus[i].pg);
	free(a->gpus);
	free(a->pbuf);
	aipm_pidmap_free(&a->pidmap);
	free(a);
}

static void amdsmi_describe(struct aipm_source *src, struct aipm_buf *b)
{
	struct amdsmi *a = (struct amdsmi *)src;
	aipm_buf_puts(b, "{\"vendor\": \"amd\", \"library\": ");
	aipm_buf_json_str(b, a->lib_path);
	aipm_buf_printf(b, ", \"library_version\": \"%u.%u.%u\", \"per_process\": %s, \"gpus\": [", a->ver.year,
			a->ver.major, a->ver.minor, a->fn.procs ? "true" : "false");
	for (size_t i = 0; i < a->ngpus; i++) {
		const struct gpu *g = &a->gpus[i];
		aipm_buf_printf(b, "%s{\"index\": %u, \"name\": ", i ? ", " : "", g->index);
		aipm_buf_json_str(b, g->name);
		aipm_buf_puts(b, ", \"uuid\": ");
		aipm_buf_json_str(b, g->uuid);
		aipm_buf_printf(b, ", \"energy_source\": \"%s\"", g->has_counter ? "counter" : "integrated");
		if (g->temp)
			aipm_buf_printf(b, ", \"temperature_sensor\": \"%s\"",
					g->temp_sensor == AMDSMI_TEMPERATURE_TYPE_EDGE ? "edge" : "hotspot");
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]}");
}

const struct aipm_source_ops aipm_source_amdsmi = {
	.name = "amdsmi",
	.what = "AMD GPUs through AMD SMI: energy, power, activity, VRAM, per-process use",
	.provides = AIPM_PROVIDES_GPU_ENERGY,
	.missing = "AMD GPU energy",
	.say = AIPM_SAY_IF_REQUESTED,
	.open = amdsmi_open,
	.sample = amdsmi_sample,
	.close = amdsmi_close,
	.describe = amdsmi_describe,
};
