/* amdsmi_api.h: the few AMD SMI types and calls aipm uses, declared by us.
 *
 * aipm never links against libamd_smi: amdsmi.c dlopens it at run time, so
 * one binary runs with and without ROCm (nvtop does the same for its
 * vendors). These declarations are copied by hand from ROCm's
 * include/amd_smi/amdsmi.h as released with ROCm 6.2.0 (AMD SMI library
 * 24.6.2, AMDSMI_LIB_VERSION_YEAR 24, _MAJOR 6); the layouts below are the
 * same in 24.7 (ROCm 6.3). Only what amdsmi.c calls is here, and the
 * struct sizes are asserted. tests/fakes/fake_amdsmi.c implements the same
 * declarations, so a layout mistake here shows up as a test failure.
 *
 * Traps, from the 24.6 sources (src/amd_smi/amd_smi.cc, amd_smi_utils.cc):
 *  - amdsmi_get_temp_metric returns degrees Celsius, although its comment
 *    says millidegrees (the implementation divides rocm_smi's value by
 *    1000);
 *  - amdsmi_power_info_t.power_limit is hwmon's power1_cap as read, in
 *    microwatts; 0xFFFF in any of its fields means "not available";
 *  - amdsmi_get_gpu_process_list changed in 24.6: before it (ROCm 6.1,
 *    library 24.5) it returned amdsmi_process_handle_t, not
 *    amdsmi_proc_info_t records, so amdsmi.c calls it only from 24.6 on;
 *  - the energy counter is an accumulator (times counter_resolution, in
 *    microjoules) that some firmware keeps in 32 bits and that can jump
 *    (ROCm/amdsmi issues #22 and #38).
 */
#ifndef AIPM_AMDSMI_API_H
#define AIPM_AMDSMI_API_H

#include <stdint.h>

/* amdsmi_status_t is a 4-byte enum; we keep it as int. The codes we act on: */
enum {
	AMDSMI_STATUS_SUCCESS = 0,
	AMDSMI_STATUS_INVAL = 1,
	AMDSMI_STATUS_NOT_SUPPORTED = 2,
	AMDSMI_STATUS_NO_PERM = 10,
	AMDSMI_STATUS_OUT_OF_RESOURCES = 15, /* process list: buffer too small */
	AMDSMI_STATUS_INIT_ERROR = 18,
	AMDSMI_STATUS_NOT_FOUND = 31,
	AMDSMI_STATUS_NOT_INIT = 32,
	AMDSMI_STATUS_DRIVER_NOT_LOADED = 34,
	AMDSMI_STATUS_NO_DATA = 40,
};
typedef int amdsmi_status_t;

#define AMDSMI_INIT_AMD_GPUS (1ull << 1)
#define AMDSMI_PROCESSOR_TYPE_AMD_GPU 1
#define AMDSMI_TEMPERATURE_TYPE_EDGE 0
#define AMDSMI_TEMPERATURE_TYPE_HOTSPOT 1 /* also JUNCTION */
#define AMDSMI_TEMP_CURRENT 0
#define AMDSMI_GPU_UUID_SIZE 38
#define AMDSMI_NORMAL_STRING_LENGTH 32
#define AMDSMI_MAX_STRING_LENGTH 64
#define AMDSMI_256_LENGTH 256
#define AMDSMI_NOT_AVAILABLE_U32 0xFFFFu /* "not available" in power_info */

typedef void *amdsmi_socket_handle;
typedef void *amdsmi_processor_handle;
typedef uint32_t amdsmi_process_handle_t;

typedef struct {
	uint32_t year, major, minor, release;
	const char *build;
} amdsmi_version_t; /* 24 bytes */

typedef struct {
	char market_name[AMDSMI_256_LENGTH];
	uint32_t vendor_id;
	char vendor_name[AMDSMI_MAX_STRING_LENGTH];
	uint32_t subvendor_id;
	uint64_t device_id;
	uint32_t rev_id;
	char asic_serial[AMDSMI_NORMAL_STRING_LENGTH];
	uint32_t oam_id;
	uint32_t reserved[18];
} amdsmi_asic_info_t; /* 448 bytes */

typedef struct {
	uint32_t current_socket_power; /* W, 0xFFFF: not available (pre-MI300) */
	uint32_t average_socket_power; /* W */
	uint32_t gfx_voltage, soc_voltage, mem_voltage; /* mV */
	uint32_t power_limit;          /* hwmon power1_cap, µW */
	uint32_t reserved[11];
} amdsmi_power_info_t; /* 68 bytes */

typedef struct {
	uint32_t gfx_activity; /* percent */
	uint32_t umc_activity; /* memory controller, percent */
	uint32_t mm_activity;  /* multimedia, percent */
	uint32_t reserved[13];
} amdsmi_engine_usage_t; /* 64 bytes */

typedef struct {
	uint32_t vram_total; /* MB */
	uint32_t vram_used;  /* MB */
	uint32_t reserved[2];
} amdsmi_vram_usage_t; /* 16 bytes */

typedef struct {
	char name[AMDSMI_NORMAL_STRING_LENGTH];
	amdsmi_process_handle_t pid; /* host pid */
	uint64_t mem;                /* bytes */
	struct {
		uint64_t gfx; /* ns the process used the GFX engine, cumulative */
		uint64_t enc;
		uint32_t reserved[12];
	} engine_usage;
	struct {
		uint64_t gtt_mem, cpu_mem, vram_mem; /* bytes */
		uint32_t reserved[10];
	} memory_usage;
	char container_name[AMDSMI_NORMAL_STRING_LENGTH];
	uint32_t reserved[4];
} amdsmi_proc_info_t; /* 224 bytes */

_Static_assert(sizeof(amdsmi_version_t) == 24, "amdsmi_version_t layout");
_Static_assert(sizeof(amdsmi_asic_info_t) == 448, "amdsmi_asic_info_t layout");
_Static_assert(sizeof(amdsmi_power_info_t) == 68, "amdsmi_power_info_t layout");
_Static_assert(sizeof(amdsmi_engine_usage_t) == 64, "amdsmi_engine_usage_t layout");
_Static_assert(sizeof(amdsmi_vram_usage_t) == 16, "amdsmi_vram_usage_t layout");
_Static_assert(sizeof(amdsmi_proc_info_t) == 224, "amdsmi_proc_info_t layout");

/* Function types, one per symbol amdsmi.c resolves. */
typedef amdsmi_status_t (*amdsmi_init_fn)(uint64_t flags);                      /* amdsmi_init */
typedef amdsmi_status_t (*amdsmi_void_fn)(void);                                /* amdsmi_shut_down */
typedef amdsmi_status_t (*amdsmi_version_fn)(amdsmi_version_t *);               /* amdsmi_get_lib_version */
typedef amdsmi_status_t (*amdsmi_status_string_fn)(amdsmi_status_t, const char **); /* amdsmi_status_code_to_string */
typedef amdsmi_status_t (*amdsmi_sockets_fn)(uint32_t *, amdsmi_socket_handle *); /* amdsmi_get_socket_handles */
typedef amdsmi_status_t (*amdsmi_processors_fn)(amdsmi_socket_handle, uint32_t *,
						 amdsmi_processor_handle *);  /* amdsmi_get_processor_handles */
typedef amdsmi_status_t (*amdsmi_type_fn)(amdsmi_processor_handle, uint32_t *);  /* amdsmi_get_processor_type */
typedef amdsmi_status_t (*amdsmi_uuid_fn)(amdsmi_processor_handle, unsigned int *, char *); /* amdsmi_get_gpu_device_uuid */
typedef amdsmi_status_t (*amdsmi_asic_fn)(amdsmi_processor_handle, amdsmi_asic_info_t *); /* amdsmi_get_gpu_asic_info */
typedef amdsmi_status_t (*amdsmi_energy_fn)(amdsmi_processor_handle, uint64_t *energy_accumulator,
					     float *counter_resolution_uj, uint64_t *timestamp_ns); /* amdsmi_get_energy_count */
typedef amdsmi_status_t (*amdsmi_power_fn)(amdsmi_processor_handle, amdsmi_power_info_t *); /* amdsmi_get_power_info */
typedef amdsmi_status_t (*amdsmi_activity_fn)(amdsmi_processor_handle, amdsmi_engine_usage_t *); /* amdsmi_get_gpu_activity */
typedef amdsmi_status_t (*amdsmi_vram_fn)(amdsmi_processor_handle, amdsmi_vram_usage_t *); /* amdsmi_get_gpu_vram_usage */
typedef amdsmi_status_t (*amdsmi_temp_fn)(amdsmi_processor_handle, uint32_t sensor, uint32_t metric,
					   int64_t *celsius);                  /* amdsmi_get_temp_metric */
typedef amdsmi_status_t (*amdsmi_procs_fn)(amdsmi_processor_handle, uint32_t *max_processes,
					    amdsmi_proc_info_t *list);         /* amdsmi_get_gpu_process_list (24.6+) */

#endif
