/* estimate.h: a labelled CPU power estimate for machines without RAPL.
 *
 * Most cloud VMs expose no energy counter for the CPU. This module turns
 * what the machine says about itself into an estimate of CPU power with a
 * low and a high bound and the method that produced it, so that a view can
 * show it beside (never inside) measured energy. Three pure steps:
 *
 *   aipm_cpu_identify()           proc root + sys root -> identity
 *   aipm_cpu_power_model_choose() identity -> idle and full-load power,
 *                                 bounds, method, table row
 *   aipm_cpu_estimate_add()       model + the interval's utilisation,
 *                                 the experiment's share and dt -> power,
 *                                 energy and attributed energy, with bounds
 *
 * and aipm_cpu_estimate_describe() says how, for the records. Deciding
 * whether to estimate and reading the load each sample is the estimate
 * source's (sources/cpu_estimate.c); the per-interval step is attrib.c's.
 *
 * The tables (the CSV files in data/estimate/, with their sources and
 * licences) are compiled in: choosing a model does no I/O and cannot fail
 * on a data file. Formula, constants and their sources: docs/estimate.md.
 *
 * What this module must not do: read anything but the two roots it is
 * given, call getenv, print, keep state between calls, or allocate or do
 * I/O in aipm_cpu_power_model_eval / aipm_cpu_estimate_add (they run once
 * per sample). It returns numbers; it never decides that a machine should
 * estimate (a machine with readable RAPL never should: the caller's rule).
 */
#ifndef AIPM_ESTIMATE_H
#define AIPM_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

#define AIPM_CPU_STR_MAX 128

enum aipm_cpu_vendor {
	AIPM_CPU_VENDOR_UNKNOWN = 0,
	AIPM_CPU_VENDOR_INTEL,	/* vendor_id GenuineIntel */
	AIPM_CPU_VENDOR_AMD,	/* vendor_id AuthenticAMD */
	AIPM_CPU_VENDOR_OTHER,
};

/* What the kernel says about virtualisation. UNKNOWN where cpuinfo has no
 * x86 "flags" line (ARM's "Features" carries no hypervisor bit). */
enum aipm_cpu_virt {
	AIPM_VIRT_UNKNOWN = 0,
	AIPM_VIRT_NONE,		/* flags without "hypervisor": bare metal (or a container on it) */
	AIPM_VIRT_VM,		/* flags with "hypervisor" */
};

enum aipm_cloud {
	AIPM_CLOUD_UNKNOWN = 0,
	AIPM_CLOUD_AWS,		/* DMI sys_vendor "Amazon EC2" */
	AIPM_CLOUD_GCP,		/* sys_vendor "Google" / product "Google Compute Engine" */
	AIPM_CLOUD_AZURE,	/* sys_vendor "Microsoft Corporation" with Azure's chassis asset tag */
};

/* The DMI files read under <sys root>/class/dmi/id/. */
enum aipm_dmi_field {
	AIPM_DMI_SYS_VENDOR = 0,
	AIPM_DMI_PRODUCT_NAME,
	AIPM_DMI_CHASSIS_ASSET_TAG,
	AIPM_DMI_NFIELDS,
};

struct aipm_cpu_identity {
	/* From <proc root>/cpuinfo, first CPU's block ("" or -1 when absent). */
	char model_name[AIPM_CPU_STR_MAX];	/* brand string, as the kernel prints it */
	char vendor_id[16];
	enum aipm_cpu_vendor vendor;
	int family, model, stepping;		/* CPUID, decimal */
	/* Whole file. */
	unsigned ncpus;				/* "processor" entries: logical CPUs this OS sees */
	unsigned sockets;			/* distinct "physical id"; 0 when none is printed */
	unsigned cores_per_socket;		/* "cpu cores"; 0 when absent */
	unsigned threads_per_socket;		/* "siblings"; 0 when absent */
	enum aipm_cpu_virt virt;
	/* DMI, trimmed; dmi[i] is "" and dmi_err[i] < 0 (-errno) when the
	 * file could not be read (absent in many VMs, root-only on some). */
	char dmi[AIPM_DMI_NFIELDS][AIPM_CPU_STR_MAX];
	int dmi_err[AIPM_DMI_NFIELDS];
	enum aipm_cloud cloud;			/* from DMI; UNKNOWN when it names no provider we know */
};

/* Read <proc_root>/cpuinfo and <sys_root>/class/dmi/id/{sys_vendor,
 * product_name,chassis_asset_tag}. Roots are paths ("/proc", "/sys", or a
 * fake tree). Unreadable DMI is recorded in dmi_err, not an error.
 * Returns 0, or a negative errno with aipm_err set when cpuinfo cannot be
 * read or lists no CPU (there is then nothing to estimate from). */
int aipm_cpu_identify(const char *proc_root, const char *sys_root, struct aipm_cpu_identity *id);

const char *aipm_dmi_field_name(enum aipm_dmi_field f);	/* "sys_vendor", ... */
const char *aipm_cloud_name(enum aipm_cloud c);		/* "aws", "gcp", "azure", "unknown" */
const char *aipm_cpu_virt_name(enum aipm_cpu_virt v);	/* "unknown", "none", "vm" */

/* A value with its bounds: low_w <= w <= high_w, always. */
struct aipm_est_band {
	double w, low_w, high_w;
};

struct aipm_est_energy {
	double j, low_j, high_j;
};

/* How the model was chosen, first that applies. */
enum aipm_est_method {
	AIPM_EST_TDP_TABLE = 0,	/* bare metal, brand string found in cpu_tdp: TDP x sockets */
	AIPM_EST_MICROARCH,	/* CPUID -> micro-architecture -> per-thread watts x CPUs */
	AIPM_EST_PROVIDER_AVG,	/* provider known, architecture not: mean of its architectures */
	AIPM_EST_GENERIC_AVG,	/* nothing known: mean of every architecture */
};

enum aipm_est_table {
	AIPM_EST_TABLE_TDP = 0,		/* cpu_tdp.csv */
	AIPM_EST_TABLE_ARCH,		/* microarch_power.csv */
	AIPM_EST_TABLE_CPUID,		/* cpuid_microarch.csv */
	AIPM_EST_TABLE_CCF_AWS,		/* ccf_use_aws.csv */
	AIPM_EST_TABLE_CCF_GCP,		/* ccf_use_gcp.csv */
	AIPM_EST_TABLE_CCF_AZURE,	/* ccf_use_azure.csv */
	AIPM_EST_NTABLES,
};

/* Provenance of one compiled-in table, for metadata and reports. */
struct aipm_est_table_info {
	const char *name;	/* "cpu_tdp" */
	const char *file;	/* "cpu_tdp.csv" (under data/estimate/) */
	const char *title;
	const char *version;	/* "mlco2/codecarbon@b05965e43b69 (2026-08-08)" */
	const char *upstream_path;
	const char *licence;	/* SPDX identifier */
	unsigned rows;		/* rows compiled in */
	unsigned skipped;	/* rows left out as unusable (cpu_tdp: TDP not a positive number) */
};
const struct aipm_est_table_info *aipm_est_table_info(enum aipm_est_table t);

struct aipm_cpu_power_model {
	enum aipm_est_method method;
	/* Power of the CPUs this OS sees, at 0 % and at 100 % utilisation. */
	struct aipm_est_band idle, full;
	unsigned ncpus;
	/* What the row's values were multiplied by: sockets for a TDP row,
	 * logical CPUs for a per-thread row. */
	unsigned multiplier;
	enum aipm_est_table table;	/* where idle/full come from */
	unsigned row;			/* line in that file; 0 for an average */
	char row_key[AIPM_CPU_STR_MAX];	/* row's model name or architecture; "" for an average */
	char arch[32];			/* micro-architecture from CPUID, "" if unmapped */
	unsigned cpuid_row;		/* its line in cpuid_microarch.csv, 0 if none */
	unsigned tdp_row;		/* line of the TDP row the brand string matched, 0 if none */
	char text[640];			/* the method in one paragraph, numbers and rows included */
};

/* Choose the model for an identity (pure; no I/O). Returns 0, or -EINVAL
 * with aipm_err set when the identity has no CPU. */
int aipm_cpu_power_model_choose(const struct aipm_cpu_identity *id, struct aipm_cpu_power_model *m);

/* "tdp_table", "microarch_table", "provider_average", "generic_average". */
const char *aipm_est_method_name(enum aipm_est_method method);

/* Power at utilisation util (the machine's busy CPU time over its total
 * CPU time in the interval; clamped to [0,1]). The central value follows a
 * linear curve, the low bound a cubic one, the high bound Teads' curve,
 * each between the matching idle and full-load bounds. Returns false and
 * leaves *power untouched when util is NaN (no interval yet). */
bool aipm_cpu_power_model_eval(const struct aipm_cpu_power_model *m, double util, struct aipm_est_band *power);

/* Running totals of one recording. */
struct aipm_cpu_estimate {
	struct aipm_est_band power;		/* last interval's machine power */
	struct aipm_est_energy energy;		/* machine, since the first interval */
	struct aipm_est_energy attributed;	/* the experiment's share, since the first interval */
	uint64_t intervals;			/* intervals added */
};

void aipm_cpu_estimate_init(struct aipm_cpu_estimate *e);

/* Add one interval of dt_s seconds. share is the experiment's share of the
 * machine's CPU, the same rule as measured energy (its CPU time over the
 * machine's busy CPU time, attrib.c's tree_cpu_share), clamped to [0,1];
 * it scales the estimate and both bounds alike, so attributed energy never
 * exceeds the machine's estimate, bound by bound. Returns false and adds
 * nothing when util is NaN or dt_s is not positive and finite. */
bool aipm_cpu_estimate_add(struct aipm_cpu_estimate *e, const struct aipm_cpu_power_model *m, double util,
			   double share, double dt_s);

struct aipm_buf;
/* Append one JSON object saying how the estimate is made: method, table,
 * row, bands, the method text, the formula, the identity (left out when id
 * is NULL) and every table's version and licence (describe.c). For
 * metadata.json and `aipm probe --json`, once per recording. */
void aipm_cpu_estimate_describe(struct aipm_buf *b, const struct aipm_cpu_identity *id,
				const struct aipm_cpu_power_model *m);

#endif
