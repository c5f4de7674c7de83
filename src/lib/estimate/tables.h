/* tables.h: the estimate's data tables, compiled in from the CSV files in
 * data/estimate/ by gen_tables.py (the one reader of those files). Internal to
 * src/lib/estimate: callers see rows only through estimate.h's model
 * (table, row, key) and aipm_est_table_info().
 *
 * Every row keeps its line in the CSV file (header = line 1), so a method
 * sentence can point a reader at the exact row that produced a number.
 */
#ifndef AIPM_ESTIMATE_TABLES_H
#define AIPM_ESTIMATE_TABLES_H

#include <stddef.h>

#include "estimate/estimate.h"

/* cpu_tdp.csv: CodeCarbon's TDP by model name, watts per socket. */
struct aipm_est_tdp_row {
	const char *name;
	double tdp_w;
	unsigned line;
};

/* microarch_power.csv: SPECpower servers' wall power per hardware thread
 * at active idle and at 100 % load; w is the mean (CCF's coefficient),
 * low_w/high_w the servers' spread (see derive_microarch.py). */
struct aipm_est_arch_row {
	const char *arch;
	unsigned servers;
	struct aipm_est_band idle, full;
	unsigned line;
};

/* cpuid_microarch.csv: one CPUID family/model and stepping range. */
struct aipm_est_cpuid_row {
	enum aipm_cpu_vendor vendor;
	int family, model, stepping_min, stepping_max;
	unsigned arch;		/* index into aipm_est_arch_rows */
	const char *codename;
	unsigned line;
};

/* ccf_use_<cloud>.csv: an architecture a provider uses. */
struct aipm_est_provider_row {
	enum aipm_cloud cloud;
	unsigned arch;		/* index into aipm_est_arch_rows */
	unsigned line;
};

extern const struct aipm_est_tdp_row aipm_est_tdp_rows[];
extern const size_t aipm_est_tdp_nrows;
extern const struct aipm_est_arch_row aipm_est_arch_rows[];
extern const size_t aipm_est_arch_nrows;
extern const struct aipm_est_cpuid_row aipm_est_cpuid_rows[];
extern const size_t aipm_est_cpuid_nrows;
extern const struct aipm_est_provider_row aipm_est_provider_rows[];
extern const size_t aipm_est_provider_nrows;
extern const struct aipm_est_table_info aipm_est_tables[AIPM_EST_NTABLES];

#endif
