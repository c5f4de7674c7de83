/* nvml.c: the NVIDIA GPU source, through NVML loaded with dlopen.
 *
 * Owns the NVML library handle, one cached record per GPU (handle, which
 * calls that GPU answers) and the per-GPU cumulative energy. At open it
 * publishes each GPU in the catalog (vendor "nvidia", index, name, UUID,
 * energy source); at each sample it sets that device's values: cumulative
 * energy in mJ (from the total-energy counter where the GPU has one, else
 * the trapezoid integral of power over the snapshots' monotonic times),
 * power, utilisation, memory, temperature, power limit and the processes
 * on the GPU with their SM use and memory. It never decides which of those
 * processes are the experiment's, never computes shares or attributed
 * energy (attribution does) and never writes JSON (the writer does).
 *
 * Traps handled here, each explained where it is handled: the energy
 * counter restarts at 0 when the driver reloads; the _v3 running-process
 * records changed size without notice; NVML speaks host PIDs while aipm
 * may live in a PID namespace; a GPU can fall off the bus mid-run.
 * The NVML calls per sample are kept to what the fields need: names, UUIDs
 * and which calls are supported are found at open, the power limit and the
 * temperature are re-read at the sampler's slow tier.
 *
 * Nothing is truncated silently: GPUs and process lists grow as needed; a
 * process list that could not be read whole (it kept growing between the
 * size query and the read) leaves that GPU's list incomplete, so its share
 * is unknown for that sample, and the note says so.
 */
#include "pidns.h"
#include "source.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aipm.h"
#include "error.h"
#include "membership.h"
#include "nvml_priv.h"

const char *aipm_nvml_errstr(struct nvml *n, nvmlReturn_t rc)
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
	RES(fields, "nvmlDeviceGetFieldValues");
	for (int k = 0; k < 2; k++)
		for (int v = 0; v < 3; v++)
			RES(procs[k][v], procs[k][v]);
#undef RES
}

/* The energy counter through GetFieldValues, with the time NVML read it
 * at (µs since 1970): how fresh it is. A value of another type than an
 * unsigned count, or a negative one, is not the counter. */
static nvmlReturn_t energy_field(struct nvml *n, struct gpu *g, unsigned long long *mj, double *at_s)
{
	nvmlFieldValue_t v = {.fieldId = NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION};
	nvmlReturn_t rc = n->fn.fields(g->dev, 1, &v);
	if (rc != NVML_SUCCESS)
		return rc;
	if (v.nvmlReturn != NVML_SUCCESS)
		return v.nvmlReturn;
	if (v.valueType == NVML_VALUE_TYPE_UNSIGNED_LONG_LONG || v.valueType == NVML_VALUE_TYPE_UNSIGNED_LONG)
		*mj = v.value.ullVal;
	else if (v.valueType == NVML_VALUE_TYPE_SIGNED_LONG_LONG && v.value.sllVal >= 0)
		*mj = (unsigned long long)v.value.sllVal;
	else
		return NVML_ERROR_UNKNOWN;
	*at_s = (double)v.timestamp / 1e6;
	return NVML_SUCCESS;
}

static void open_gpu(struct nvml *n, struct gpu *g)
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
	double at_s;
	g->energy_field = g->has_counter && n->fn.fields && energy_field(n, g, &mj, &at_s) == NVML_SUCCESS;
	/* _v2 first: it counts reserved memory in "used" as nvidia-smi does;
	 * the plain call is the fallback for drivers before 510. */
	if (n->fn.mem2 && n->fn.mem2(g->dev, &m2) == NVML_SUCCESS)
		g->mem_ver = 2;
	else if (n->fn.mem && n->fn.mem(g->dev, &m1) == NVML_SUCCESS)
		g->mem_ver = 1;
	g->limit = n->fn.limit && n->fn.limit(g->dev, &mw) == NVML_SUCCESS;
	if (g->limit) {
		g->limit_w = mw / 1000.0;
		g->limit_valid = true;
	}
	g->temp = n->fn.temp != NULL;
	g->putil = n->fn.putil != NULL;
	if (g->putil) {
		/* Prime the last-seen timestamp so the first sample gets only
		 * fresh samples, not the driver's whole backlog. */
		unsigned cnt;
		bool truncated;
		if (aipm_nvml_putil_call(n, g, 0, &cnt, &truncated) == NVML_SUCCESS)
			for (unsigned i = 0; i < cnt; i++)
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
	const char *given = cfg->paths.nvml_lib;
	s->requested = given && *given;
	/* The .so.1 name on purpose: the CUDA toolkit's stubs/ directory has a
	 * libnvidia-ml.so that only fails nvmlInit. */
	/* a cut library path would load another library, or none */
	if (aipm_path_fmt(n->lib_path, sizeof n->lib_path, "%s", s->requested ? given : "libnvidia-ml.so.1") < 0) {
		aipm_source_set(s, false, "set AIPM_NVML_LIB to a shorter path (a symlink to the library)", "AIPM_NVML_LIB: %s",
				aipm_error_last());
		return false;
	}
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
		aipm_source_set(s, false, init_fix(rc), "NVML did not start: %s (code %d)", aipm_nvml_errstr(n, rc), rc);
		n->fn.shutdown = NULL; /* nothing to shut down */
		return false;
	}
	return true;
}

/* Publish the opened GPUs in the catalog. */
static int publish(struct nvml *n, struct aipm_catalog *cat)
{
	for (size_t i = 0; i < n->ngpus; i++) {
		struct gpu *g = &n->gpus[i];
		g->id = aipm_catalog_add_gpu(cat, aipm_source_nvml.name, "nvidia", g->index, g->name, g->uuid,
					     !g->has_counter);
		if (g->id < 0)
			return aipm_err(-ENOMEM, "nvml: out of memory publishing the GPUs");
	}
	return 0;
}

static int nvml_open(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out)
{
	struct nvml *n = calloc(1, sizeof *n);
	if (!n)
		return aipm_err(-ENOMEM, "nvml: out of memory");
	n->all_procs = cfg->membership && cfg->membership->gpu_all_processes;
	n->pbuf_cap = 8; /* grows on INSUFFICIENT_SIZE */
	n->ubuf_cap = 8;
	n->pbuf = malloc(n->pbuf_cap * 32);
	n->ubuf = malloc(n->ubuf_cap * sizeof *n->ubuf);
	*out = &n->base;
	aipm_pidmap_init(&n->pidmap, aipm_paths_proc(&cfg->paths));
	if (!n->pbuf || !n->ubuf)
		return aipm_err(-ENOMEM, "nvml: out of memory");
	if (!open_lib(n, cfg))
		return 0;
	unsigned count = 0;
	nvmlReturn_t rc = n->fn.count(&count);
	if (rc != NVML_SUCCESS || count == 0) {
		aipm_source_set(&n->base, false, rc ? init_fix(rc) : "",
				rc ? "NVML cannot count GPUs: %s" : "no NVIDIA GPU found%s", rc ? aipm_nvml_errstr(n, rc) : "");
		return 0;
	}
	n->gpus = calloc(count, sizeof *n->gpus);
	if (!n->gpus)
		return aipm_err(-ENOMEM, "nvml: out of memory for %u GPUs", count);
	char first_err[128] = "";
	for (unsigned i = 0; i < count; i++) {
		struct gpu *g = &n->gpus[n->ngpus];
		/* GetCount counts GPUs this user may not open (NO_PERMISSION):
		 * skip those, keep the others, and say which. */
		rc = n->fn.handle(i, &g->dev);
		if (rc != NVML_SUCCESS) {
			if (!first_err[0])
				snprintf(first_err, sizeof first_err, "GPU %u: %s", i, aipm_nvml_errstr(n, rc));
			continue;
		}
		g->index = i;
		open_gpu(n, g);
		n->ngpus++;
	}
	if (!n->ngpus) {
		aipm_source_set(&n->base, false, "check the driver with nvidia-smi and the permissions of /dev/nvidia*",
				"NVML counts %u GPU(s) but none could be opened (%s)", count, first_err);
		return 0;
	}
	if (n->ngpus < count)
		aipm_source_note(&n->base, "%zu of %u GPUs could not be opened and are not measured (first: %s)",
				 (size_t)(count - n->ngpus), count, first_err);
	if (publish(n, cat) < 0)
		return -ENOMEM;
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

/* How old a counter reading at at_s (CLOCK_REALTIME) is at the sample's
 * time now_s. A reading a little newer than the sample's time (it was
 * stamped before the sources were read) is as of that time; a time more
 * than AGE_MAX_S away is not the counter's (a zero, another clock): no age. */
#define AGE_MAX_S 10.0
static void set_age(struct aipm_gpu_value *o, double at_s, double now_s)
{
	double age = now_s - at_s;
	if (!(fabs(age) <= AGE_MAX_S))
		return;
	o->energy_age_s = age > 0 ? round(age * 1e6) / 1e6 : 0; /* µs, as the line times */
	o->fields |= AIPM_GPU_ENERGY_AGE;
}

/* Energy and power. The counter is mJ since the driver loaded: a reading
 * below the last one means a reload, and the new reading is all energy
 * since, so the cumulative never goes back. It is read through
 * GetFieldValues where that answers, for the time NVML read it (the counter
 * updates every 20-100 ms: the reading is that old). Without a counter,
 * integrate power over the snapshots' monotonic times (trapezoid). */
static void sample_energy(struct nvml *n, struct gpu *g, struct aipm_gpu_value *o, double t_s, double real_s)
{
	unsigned int mw;
	unsigned long long mj;
	nvmlReturn_t rc = n->fn.power ? n->fn.power(g->dev, &mw) : NVML_ERROR_FUNCTION_NOT_FOUND;
	if (aipm_nvml_lost(g, rc))
		return;
	if (rc == NVML_SUCCESS) {
		o->power_w = mw / 1000.0;
		o->fields |= AIPM_GPU_POWER;
	}
	if (g->has_counter) {
		double at_s = NAN;
		rc = g->energy_field ? energy_field(n, g, &mj, &at_s) : NVML_ERROR_NOT_SUPPORTED;
		if (aipm_nvml_lost(g, rc))
			return;
		if (rc != NVML_SUCCESS) /* the plain call, without a time */
			rc = n->fn.energy(g->dev, &mj);
		if (aipm_nvml_lost(g, rc))
			return;
		if (rc == NVML_SUCCESS && !isnan(at_s))
			set_age(o, at_s, real_s);
		if (rc == NVML_SUCCESS) {
			if (g->have_raw)
				g->energy_mj += (double)(mj >= g->last_raw_mj ? mj - g->last_raw_mj : mj);
			g->last_raw_mj = mj;
			g->have_raw = true;
		}
	} else if (o->fields & AIPM_GPU_POWER) {
		g->energy_mj += aipm_power_integral_add(&g->integral, o->power_w, t_s) * 1e3;
	}
}

/* Temperature and power limit, at the slow tier; held in between. */
static void sample_slow(struct nvml *n, struct gpu *g)
{
	if (g->temp) {
		unsigned int c;
		nvmlReturn_t rc = n->fn.temp(g->dev, NVML_TEMPERATURE_GPU, &c);
		if (aipm_nvml_lost(g, rc))
			return;
		g->temp_valid = rc == NVML_SUCCESS;
		g->temp = rc != NVML_ERROR_NOT_SUPPORTED;
		g->temp_c = c;
	}
	if (g->limit) {
		unsigned int mw;
		nvmlReturn_t rc = n->fn.limit(g->dev, &mw);
		if (aipm_nvml_lost(g, rc))
			return;
		if (rc == NVML_SUCCESS)
			g->limit_w = mw / 1000.0;
	}
}

static void sample_state(struct nvml *n, struct gpu *g, struct aipm_gpu_value *o, bool slow)
{
	nvmlUtilization_t u;
	nvmlReturn_t rc = n->fn.util ? n->fn.util(g->dev, &u) : NVML_ERROR_FUNCTION_NOT_FOUND;
	if (aipm_nvml_lost(g, rc))
		return;
	if (rc == NVML_SUCCESS) {
		o->sm_util = u.gpu;
		o->mem_util = u.memory;
		o->fields |= AIPM_GPU_UTIL | AIPM_GPU_MEM_UTIL;
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
	if (aipm_nvml_lost(g, rc))
		return;
	if (g->mem_ver && rc == NVML_SUCCESS)
		o->fields |= AIPM_GPU_MEM;
	if (slow)
		sample_slow(n, g);
	if (g->lost)
		return;
	if (g->temp_valid) {
		o->temp_c = g->temp_c;
		o->fields |= AIPM_GPU_TEMP;
	}
	if (g->limit_valid) {
		o->power_limit_w = g->limit_w;
		o->fields |= AIPM_GPU_LIMIT;
	}
}

static int nvml_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct nvml *n = (struct nvml *)src;
	double t_s = aipm_ts_to_s(&ctx->mono);
	size_t partial = 0;
	for (size_t i = 0; i < n->ngpus; i++) {
		struct gpu *g = &n->gpus[i];
		struct aipm_gpu_value *o = aipm_snapshot_gpu(snap, g->id);
		if (!g->lost)
			sample_energy(n, g, o, t_s, aipm_ts_to_s(&ctx->real));
		if (!g->lost)
			sample_state(n, g, o, ctx->slow);
		if (!g->lost && !aipm_nvml_sample_procs(n, g, snap, t_s)) {
			g->truncated++;
			partial++;
		}
		/* A lost GPU keeps the energy it had: it is cumulative, and
		 * the analysis must not see it drop to zero. */
		o->energy_mj = (uint64_t)g->energy_mj;
		o->fields |= AIPM_GPU_ENERGY;
		o->valid = !g->lost;
		if (g->lost) {
			o->fields = AIPM_GPU_ENERGY;
			o->nprocs = 0;
			o->procs_complete = false;
		}
	}
	if (partial) {
		size_t k = 0;
		for (size_t i = 0; i < n->ngpus; i++)
			k += n->gpus[i].truncated > 0;
		aipm_source_note(&n->base, "the process list of %zu GPU(s) could not be read whole in some samples "
					   "(it grew faster than it could be read): their experiment share is unknown "
					   "(absent) in those samples, never computed over a partial list", k);
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
	for (size_t i = 0; i < n->ngpus; i++)
		free(n->gpus[i].util);
	free(n->gpus);
	free(n->pbuf);
	free(n->ubuf);
	aipm_pidmap_free(&n->pidmap);
	free(n);
}

static void nvml_describe(struct aipm_source *src, struct aipm_buf *b)
{
	struct nvml *n = (struct nvml *)src;
	aipm_buf_puts(b, "{\"vendor\": \"nvidia\", \"library\": ");
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
		aipm_buf_printf(b, ", \"energy_source\": \"%s\", \"energy_age\": %s",
				g->has_counter ? "counter" : "integrated", g->energy_field ? "true" : "false");
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
	.provides = AIPM_PROVIDES_GPU_ENERGY,
	.missing = "NVIDIA GPU energy",
	.say = AIPM_SAY_IF_REQUESTED,
	.open = nvml_open,
	.sample = nvml_sample,
	.close = nvml_close,
	.describe = nvml_describe,
};
