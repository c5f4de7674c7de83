/* nvml_priv.h: the NVML source's private state, shared by nvml.c (open,
 * energy, state, close) and nvml_procs.c (the processes on each GPU). Not
 * for anything outside the source. */
#ifndef AIPM_NVML_PRIV_H
#define AIPM_NVML_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nvml_api.h"
#include "pidns.h"
#include "source.h"

/* A process the driver stops reporting in the utilisation buffer has gone
 * idle; keep its last SM use no longer than this when NOT_FOUND says the
 * driver simply has no newer sample (its period is 1/6 s to 1 s, longer
 * than aipm's default 0.1 s interval). */
#define UTIL_HOLD_S 1.0

struct util_entry {
	pid_t pid;      /* host pid, as NVML gives it */
	unsigned sm;    /* percent, mean of the driver's samples in the window */
	double seen_s;  /* monotonic time of the sample that reported it */
	unsigned sum, n; /* accumulating the driver's samples of one call */
};

struct gpu {
	nvmlDevice_t dev;
	int id;             /* catalog id */
	unsigned index;
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
	bool lost;          /* GPU_IS_LOST once: never asked again */
	bool has_counter;   /* total-energy counter answered at open */
	bool energy_field;  /* ... and through GetFieldValues, with its time */
	int mem_ver;        /* 2, 1, or 0 (unsupported) */
	bool putil;         /* per-process utilisation supported */
	bool temp, limit;
	/* energy */
	bool have_raw;
	uint64_t last_raw_mj;
	double energy_mj;   /* cumulative since open; a double for integration */
	struct aipm_power_integral integral; /* no counter: power integrated */
	/* slow-tier readings, held in between */
	double limit_w;
	double temp_c;
	bool temp_valid, limit_valid;
	/* per-process utilisation */
	unsigned long long last_seen_us;
	size_t nutil, util_cap;
	struct util_entry *util;
	bool util_complete; /* the latest answer was read whole */
	uint64_t truncated; /* samples whose process list was not read whole */
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
		nvml_fields_fn fields;
	} fn;
	bool all_procs;
	size_t ngpus;
	struct gpu *gpus;
	/* running-process records, room for cap records of up to 32 bytes */
	unsigned char *pbuf;
	size_t pbuf_cap;
	int v3_stride; /* 0 until measured; -1 when _v3 output is unusable */
	nvmlProcessUtilizationSample_t *ubuf;
	size_t ubuf_cap;
	struct aipm_pidmap pidmap; /* NVML speaks host pids */
};

const char *aipm_nvml_errstr(struct nvml *n, nvmlReturn_t rc);
/* Marks g lost on GPU_IS_LOST; true once lost (never asked again). */
bool aipm_nvml_lost(struct gpu *g, nvmlReturn_t rc);
/* GetProcessUtilization into n->ubuf, grown as needed (nvml_procs.c). */
nvmlReturn_t aipm_nvml_putil_call(struct nvml *n, struct gpu *g, unsigned long long since, unsigned *cnt,
				  bool *truncated);
/* The processes on one GPU into snap; false when the list is not whole. */
bool aipm_nvml_sample_procs(struct nvml *n, struct gpu *g, struct aipm_snapshot *snap, double t_s);

#endif
