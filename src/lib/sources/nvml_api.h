/* nvml_api.h: the few NVML types and calls aipm uses, declared by us.
 *
 * aipm never links against libnvidia-ml: nvml.c dlopens it at run time, so
 * one binary runs with and without the driver (nvtop does the same). These
 * declarations are copied by hand from NVIDIA's nvml.h, NVML API version 12
 * (driver R535 era); the "since" notes say which header first has each
 * entry point. Only what nvml.c calls is here, and every layout was checked
 * against the real header on x86-64 (LP64); see the sizes asserted below.
 * tests/fakes/fake_nvml.c implements the same declarations, so a layout
 * mistake here shows up as a test failure, not as garbage on a real GPU.
 */
#ifndef AIPM_NVML_API_H
#define AIPM_NVML_API_H

#include <stdint.h>

/* nvmlReturn_t is a 4-byte enum; we keep it as int. The codes we act on: */
enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NO_PERMISSION = 4,
	NVML_ERROR_NOT_FOUND = 6,          /* process utilisation: no new sample */
	NVML_ERROR_INSUFFICIENT_SIZE = 7,  /* buffer too small; count says how many */
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_LIBRARY_NOT_FOUND = 12,
	NVML_ERROR_FUNCTION_NOT_FOUND = 13,
	NVML_ERROR_GPU_IS_LOST = 15,
	NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
	NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
	NVML_ERROR_UNKNOWN = 999,
};

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t; /* opaque, 8 bytes */

#define NVML_TEMPERATURE_GPU 0
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
/* usedGpuMemory when the driver cannot tell (Windows WDDM, some MIG cases) */
#define NVML_VALUE_NOT_AVAILABLE (~0ULL)

/* nvmlDeviceGetUtilizationRates: percent over the driver's last period */
typedef struct {
	unsigned int gpu;
	unsigned int memory;
} nvmlUtilization_t; /* 8 bytes */

/* nvmlDeviceGetMemoryInfo (v1) */
typedef struct {
	unsigned long long total, free, used;
} nvmlMemory_t; /* 24 bytes */

/* nvmlDeviceGetMemoryInfo_v2 (NVML 11.5+): version must be
 * sizeof | 2 << 24 = 0x02000028; the literal 2 gets FUNCTION_NOT_FOUND
 * from driver 510.39 (NVIDIA/nvidia-settings#78). */
typedef struct {
	unsigned int version;
	unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t; /* 40 bytes */
#define NVML_MEMORY_V2_VERSION 0x02000028u

/* Running processes. v1 (unversioned symbol) is 16 bytes; _v2 (NVML 11.1+)
 * 24 bytes; _v3 claims the v2 layout but drivers 535.43-535.86 wrote 32
 * bytes (an extra usedGpuCcProtectedMemory) without a version bump, so nvml.c
 * reads _v3 output only after measuring its stride. */
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t; /* 16 bytes */

typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId;     /* 0xFFFFFFFF when MIG is off */
	unsigned int computeInstanceId; /* 0xFFFFFFFF when MIG is off */
} nvmlProcessInfo_v2_t; /* 24 bytes */

/* nvmlDeviceGetProcessUtilization (NVML 8+, Maxwell and newer) */
typedef struct {
	unsigned int pid;
	unsigned long long timeStamp; /* CPU time, µs; pass the largest seen back */
	unsigned int smUtil, memUtil, encUtil, decUtil;
} nvmlProcessUtilizationSample_t; /* 32 bytes */

/* nvmlDeviceGetFieldValues (NVML 9+): one record per field asked for, its
 * value and the CPU time (µs since 1970) NVML read it at; the energy field
 * is the counter GetTotalEnergyConsumption returns, with that time. */
#define NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION 83 /* mJ since the driver loaded */
enum {
	NVML_VALUE_TYPE_DOUBLE = 0,
	NVML_VALUE_TYPE_UNSIGNED_INT = 1,
	NVML_VALUE_TYPE_UNSIGNED_LONG = 2,
	NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3,
	NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4,
};
typedef union {
	double dVal;
	unsigned int uiVal;
	unsigned long ulVal;
	unsigned long long ullVal;
	long long sllVal;
} nvmlValue_t; /* 8 bytes */
typedef struct {
	unsigned int fieldId;
	unsigned int scopeId;
	long long timestamp;   /* µs since 1970, CLOCK_REALTIME */
	long long latencyUsec;
	int valueType;         /* nvmlValueType_t */
	nvmlReturn_t nvmlReturn;
	nvmlValue_t value;
} nvmlFieldValue_t; /* 40 bytes */

_Static_assert(sizeof(nvmlUtilization_t) == 8, "nvmlUtilization_t layout");
_Static_assert(sizeof(nvmlFieldValue_t) == 40, "nvmlFieldValue_t layout");
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t layout");
_Static_assert(sizeof(nvmlMemory_v2_t) == 40, "nvmlMemory_v2_t layout");
_Static_assert(sizeof(nvmlProcessInfo_v1_t) == 16, "nvmlProcessInfo_v1_t layout");
_Static_assert(sizeof(nvmlProcessInfo_v2_t) == 24, "nvmlProcessInfo_v2_t layout");
_Static_assert(sizeof(nvmlProcessUtilizationSample_t) == 32, "process utilisation sample layout");

/* Function types, one per symbol nvml.c resolves. Device handle first. */
typedef nvmlReturn_t (*nvml_init_fn)(void);                                  /* nvmlInit_v2, nvmlShutdown */
typedef const char *(*nvml_error_string_fn)(nvmlReturn_t);                   /* nvmlErrorString */
typedef nvmlReturn_t (*nvml_count_fn)(unsigned int *);                       /* nvmlDeviceGetCount_v2 */
typedef nvmlReturn_t (*nvml_handle_fn)(unsigned int, nvmlDevice_t *);        /* nvmlDeviceGetHandleByIndex_v2 */
typedef nvmlReturn_t (*nvml_str_fn)(nvmlDevice_t, char *, unsigned int);     /* GetName, GetUUID */
typedef nvmlReturn_t (*nvml_ull_fn)(nvmlDevice_t, unsigned long long *);     /* GetTotalEnergyConsumption (mJ, Volta+) */
typedef nvmlReturn_t (*nvml_uint_fn)(nvmlDevice_t, unsigned int *);          /* GetPowerUsage, GetEnforcedPowerLimit (mW) */
typedef nvmlReturn_t (*nvml_util_fn)(nvmlDevice_t, nvmlUtilization_t *);     /* GetUtilizationRates */
typedef nvmlReturn_t (*nvml_mem_fn)(nvmlDevice_t, nvmlMemory_t *);           /* GetMemoryInfo */
typedef nvmlReturn_t (*nvml_mem2_fn)(nvmlDevice_t, nvmlMemory_v2_t *);       /* GetMemoryInfo_v2 */
typedef nvmlReturn_t (*nvml_temp_fn)(nvmlDevice_t, int, unsigned int *);     /* GetTemperature */
/* Get{Compute,Graphics}RunningProcesses{,_v2,_v3}: the record type differs
 * by version, so nvml.c passes raw bytes. */
typedef nvmlReturn_t (*nvml_procs_fn)(nvmlDevice_t, unsigned int *, void *);
typedef nvmlReturn_t (*nvml_fields_fn)(nvmlDevice_t, int, nvmlFieldValue_t *); /* GetFieldValues */
typedef nvmlReturn_t (*nvml_putil_fn)(nvmlDevice_t, nvmlProcessUtilizationSample_t *, unsigned int *,
				      unsigned long long);               /* GetProcessUtilization */

#endif
