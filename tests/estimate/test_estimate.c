/* test_estimate.c: the CPU power estimate on fake cpuinfo/DMI trees.
 *
 *     test_estimate FIXTURES_DIR     (run.sh builds it with mktree.py)
 *
 * Each machine goes through the real path: aipm_cpu_identify() reads the
 * tree's files, aipm_cpu_power_model_choose() picks a row of the compiled
 * tables. The expected rows and numbers are the ones docs/estimate.md
 * documents; a table or constant that changes must change both.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aipm.h"
#include "estimate/estimate.h"
#include "estimate/tables.h"

static const char *fixtures;

static void load(const char *name, struct aipm_cpu_identity *id, struct aipm_cpu_power_model *m)
{
	char proc[512], sys[512];
	snprintf(proc, sizeof proc, "%s/%s/proc", fixtures, name);
	snprintf(sys, sizeof sys, "%s/%s/sys", fixtures, name);
	int rc = aipm_cpu_identify(proc, sys, id);
	if (rc < 0)
		fail_msg("%s: %s", name, aipm_error_last());
	assert_int_equal(aipm_cpu_power_model_choose(id, m), 0);
}

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-6 * (1 + fabs(b)))

static void assert_band(const struct aipm_est_band *b, double w, double lo, double hi)
{
	assert_near(b->w, w);
	assert_near(b->low_w, lo);
	assert_near(b->high_w, hi);
}

static void test_identify_reads_server_cpuinfo_and_dmi(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("xeon-gold-6248-2s", &id, &m);
	assert_string_equal(id.model_name, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
	assert_string_equal(id.vendor_id, "GenuineIntel");
	assert_int_equal(id.vendor, AIPM_CPU_VENDOR_INTEL);
	assert_int_equal(id.family, 6);
	assert_int_equal(id.model, 85);
	assert_int_equal(id.stepping, 7);
	assert_int_equal(id.ncpus, 80);
	assert_int_equal(id.sockets, 2);
	assert_int_equal(id.cores_per_socket, 20);
	assert_int_equal(id.threads_per_socket, 40);
	assert_int_equal(id.virt, AIPM_VIRT_NONE);
	assert_string_equal(id.dmi[AIPM_DMI_SYS_VENDOR], "Dell Inc.");
	assert_string_equal(id.dmi[AIPM_DMI_PRODUCT_NAME], "PowerEdge R740");
	assert_int_equal(id.dmi_err[AIPM_DMI_SYS_VENDOR], 0);
	assert_int_equal(id.cloud, AIPM_CLOUD_UNKNOWN);
}

/* Acceptance: a known server CPU. Bare metal, brand string in the TDP
 * table (cpu_tdp.csv line 4432, 150 W): TDP x 2 sockets = 300 W. */
static void test_known_server_cpu_uses_its_tdp_row(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("xeon-gold-6248-2s", &id, &m);
	assert_int_equal(m.method, AIPM_EST_TDP_TABLE);
	assert_string_equal(aipm_est_method_name(m.method), "tdp_table");
	assert_int_equal(m.table, AIPM_EST_TABLE_TDP);
	assert_int_equal(m.row, 4432);
	assert_string_equal(m.row_key, "Intel Xeon Gold 6248");
	assert_int_equal(m.multiplier, 2);
	assert_band(&m.idle, 36, 15, 105);
	assert_band(&m.full, 306, 150, 405);
	assert_string_equal(m.arch, "Cascade Lake");
	assert_non_null(strstr(m.text, "cpu_tdp row 4432 'Intel Xeon Gold 6248' 150 W"));
	assert_non_null(strstr(m.text, "x 2 sockets"));
}

/* Acceptance: a masked cloud brand string with a known family/model.
 * GCP n2-standard-8: "Intel(R) Xeon(R) CPU @ 2.80GHz", CPUID 6/85/7 ->
 * Cascade Lake (cpuid_microarch.csv line 12) -> microarch_power.csv
 * line 7, per thread x 8 vCPUs. */
static void test_masked_cloud_cpu_uses_its_cpuid(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("gcp-n2-masked", &id, &m);
	assert_int_equal(id.virt, AIPM_VIRT_VM);
	assert_int_equal(id.cloud, AIPM_CLOUD_GCP);
	assert_int_equal(id.ncpus, 8);
	assert_int_equal(m.method, AIPM_EST_MICROARCH);
	assert_string_equal(aipm_est_method_name(m.method), "microarch_table");
	assert_int_equal(m.table, AIPM_EST_TABLE_ARCH);
	assert_int_equal(m.row, 7);
	assert_string_equal(m.row_key, "Cascade Lake");
	assert_int_equal(m.cpuid_row, 12);
	assert_int_equal(m.tdp_row, 0);
	assert_int_equal(m.multiplier, 8);
	assert_band(&m.idle, 8 * 0.6903, 8 * 0.4334, 8 * 0.9060);
	assert_band(&m.full, 8 * 4.0632, 8 * 3.2573, 8 * 4.4589);
	assert_non_null(strstr(m.text, "masked"));
	assert_non_null(strstr(m.text, "microarch_power row 7 'Cascade Lake' (69 SPECpower servers)"));
}

/* Acceptance: an unknown CPU. QEMU's default model on a KVM host: no TDP
 * row, no CPUID row, no provider: the mean of all 16 architectures, with
 * bounds spanning every row's (per thread: idle 0.9312 [0.1844, 3.2719],
 * full 3.8235 [1.1078, 12.75]) x 4 CPUs. */
static void test_unknown_cpu_uses_the_generic_average(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("qemu-unknown", &id, &m);
	assert_int_equal(id.cloud, AIPM_CLOUD_UNKNOWN);
	assert_int_equal(m.method, AIPM_EST_GENERIC_AVG);
	assert_string_equal(aipm_est_method_name(m.method), "generic_average");
	assert_int_equal(m.table, AIPM_EST_TABLE_ARCH);
	assert_int_equal(m.row, 0);
	assert_string_equal(m.row_key, "");
	assert_string_equal(m.arch, "");
	assert_band(&m.idle, 4 * 0.9312375, 4 * 0.1844, 4 * 3.2719);
	assert_band(&m.full, 4 * 3.82353125, 4 * 1.1078, 4 * 12.75);
	assert_non_null(strstr(m.text, "not in cpu_tdp"));
	assert_non_null(strstr(m.text, "not in cpuid_microarch"));
	assert_non_null(strstr(m.text, "mean of all 16 microarch_power rows"));
}

/* A VM's brand string may be real and in the TDP table (AWS), but the VM
 * runs on a share of the package: the TDP row is noted, not used. */
static void test_vm_does_not_use_a_tdp_row(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("aws-epyc-7r13", &id, &m);
	assert_int_equal(id.cloud, AIPM_CLOUD_AWS);
	assert_int_equal(m.method, AIPM_EST_MICROARCH);
	assert_string_equal(m.row_key, "EPYC 3rd Gen");
	assert_int_equal(m.tdp_row, 734);
	assert_band(&m.full, 8 * 1.9573, 8 * 1.7723, 8 * 2.2211);
	assert_non_null(strstr(m.text, "TDP row not used: a VM shares the package"));
}

static void test_provider_average_when_the_cpuid_is_unmapped(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("azure-unmapped", &id, &m);
	assert_int_equal(id.cloud, AIPM_CLOUD_AZURE);
	assert_int_equal(m.method, AIPM_EST_PROVIDER_AVG);
	assert_string_equal(aipm_est_method_name(m.method), "provider_average");
	assert_int_equal(m.table, AIPM_EST_TABLE_CCF_AZURE);
	assert_band(&m.idle, 4 * 0.848575, 4 * 0.3219, 4 * 1.8574);
	assert_band(&m.full, 4 * 3.64055, 4 * 1.5332, 4 * 7.7583);
	assert_non_null(strstr(m.text, "mean of the 8 microarch_power rows azure lists in ccf_use_azure.csv"));

	load("aws-unmapped", &id, &m);
	assert_int_equal(m.method, AIPM_EST_PROVIDER_AVG);
	assert_int_equal(m.table, AIPM_EST_TABLE_CCF_AWS);
	/* VM: the brand string's TDP row (line 3652) is noted, not used. */
	assert_int_equal(m.tdp_row, 3652);
}

/* Hyper-V reads like Azure except for Azure's chassis asset tag. */
static void test_hyperv_without_azure_tag_is_not_azure(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("hyperv-unmapped", &id, &m);
	assert_string_equal(id.dmi[AIPM_DMI_SYS_VENDOR], "Microsoft Corporation");
	assert_int_equal(id.cloud, AIPM_CLOUD_UNKNOWN);
	assert_int_equal(m.method, AIPM_EST_GENERIC_AVG);
}

static void test_unreadable_dmi_is_recorded_not_fatal(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("dmi-unreadable", &id, &m);
	assert_int_equal(id.dmi_err[AIPM_DMI_SYS_VENDOR], -ENOENT);
	assert_int_equal(id.dmi_err[AIPM_DMI_PRODUCT_NAME], -EISDIR);
	assert_string_equal(id.dmi[AIPM_DMI_SYS_VENDOR], "");
	assert_int_equal(id.cloud, AIPM_CLOUD_UNKNOWN);
	assert_int_equal(m.method, AIPM_EST_MICROARCH);
	assert_string_equal(m.row_key, "Ice Lake");
}

static void test_missing_cpuinfo_is_an_error(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	memset(&id, 0x5a, sizeof id);
	char proc[512];
	snprintf(proc, sizeof proc, "%s/xeon-gold-6248-2s/sys", fixtures);
	assert_int_equal(aipm_cpu_identify(proc, proc, &id), -ENOENT);
	assert_non_null(strstr(aipm_error_last(), "cpuinfo"));
	/* Untouched on failure (systemd's ret_ rule). */
	assert_int_equal(id.ncpus, 0x5a5a5a5a);
	struct aipm_cpu_power_model m;
	id.ncpus = 0;
	assert_int_equal(aipm_cpu_power_model_choose(&id, &m), -EINVAL);
}

static void test_arm_cpuinfo_has_no_hypervisor_bit(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	load("arm-neoverse", &id, &m);
	assert_int_equal(id.ncpus, 4);
	assert_int_equal(id.vendor, AIPM_CPU_VENDOR_UNKNOWN);
	assert_int_equal(id.family, -1);
	assert_int_equal(id.virt, AIPM_VIRT_UNKNOWN);
	assert_int_equal(id.sockets, 0);
	assert_int_equal(m.method, AIPM_EST_PROVIDER_AVG);
}

/* Kernel brand strings find the table's spelling: (R), (TM), "CPU",
 * "Processor", "N-Core" and the frequency dropped. */
static void test_brand_strings_match_table_spellings(void **state)
{
	(void)state;
	static const struct {
		const char *brand;
		unsigned line;
	} cases[] = {
		{"AMD EPYC 7763 64-Core Processor", 727},
		{"Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", 3046},
		{"AMD Ryzen Threadripper 1950X 16-Core Processor", 1438},
		{"Intel(R) Xeon(R) CPU E3-1240 V2 @ 3.40GHz", 3898},
		{"AMD EPYC 8024P 8-Core Processor", 735},
		{"Intel(R) Xeon(R) CPU @ 2.20GHz", 0},		/* masked */
		{"Intel(R) Xeon(R) Processor", 0},		/* masked */
		{"Intel(R) Xeon(R) Gold 6248X CPU @ 2.50GHz", 0},	/* no such part */
		{"Intel(R) Atom(TM) CPU E625CT @ 0.60GHz", 0},	/* rows 1665 and 1761 disagree */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct aipm_cpu_identity id = {.ncpus = 4, .sockets = 1, .virt = AIPM_VIRT_NONE,
					       .family = -1, .model = -1, .stepping = -1};
		struct aipm_cpu_power_model m;
		snprintf(id.model_name, sizeof id.model_name, "%s", cases[i].brand);
		assert_int_equal(aipm_cpu_power_model_choose(&id, &m), 0);
		if (m.tdp_row != cases[i].line)
			fail_msg("'%s': row %u, want %u", cases[i].brand, m.tdp_row, cases[i].line);
		assert_int_equal(m.method, cases[i].line ? AIPM_EST_TDP_TABLE : AIPM_EST_GENERIC_AVG);
		if (strstr(cases[i].brand, "E625CT"))
			assert_non_null(strstr(m.text, "ambiguous in cpu_tdp"));
	}
}

/* The curves at the points docs/estimate.md tabulates, for 300 W of TDP:
 * central idle + (full - idle) u, low idle + (full - idle) u^3, high
 * idle + (full - idle) Teads(u). */
static void test_power_curves_at_documented_points(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	struct aipm_est_band p;
	load("xeon-gold-6248-2s", &id, &m);
	assert_true(aipm_cpu_power_model_eval(&m, 0.0, &p));
	assert_band(&p, 36, 15, 105);
	assert_true(aipm_cpu_power_model_eval(&m, 0.1, &p));
	assert_band(&p, 36 + 270 * 0.1, 15 + 135 * 0.001, 105 + 300 * 0.20 / 0.90);
	assert_true(aipm_cpu_power_model_eval(&m, 0.5, &p));
	assert_band(&p, 36 + 270 * 0.5, 15 + 135 * 0.125, 105 + 300 * 0.7);
	assert_true(aipm_cpu_power_model_eval(&m, 1.0, &p));
	assert_band(&p, 306, 150, 405);
	/* Utilisation is clamped, NaN (no interval yet) gives nothing. */
	assert_true(aipm_cpu_power_model_eval(&m, 1.7, &p));
	assert_band(&p, 306, 150, 405);
	assert_true(aipm_cpu_power_model_eval(&m, -0.2, &p));
	assert_band(&p, 36, 15, 105);
	p.w = 123;
	assert_false(aipm_cpu_power_model_eval(&m, NAN, &p));
	assert_near(p.w, 123.0);
}

static void check_bounds(const struct aipm_cpu_power_model *m, const char *what)
{
	struct aipm_est_band prev = {0, 0, 0};
	for (int i = 0; i <= 100; i++) {
		struct aipm_est_band p;
		assert_true(aipm_cpu_power_model_eval(m, i / 100.0, &p));
		if (!(p.low_w <= p.w && p.w <= p.high_w && p.low_w > 0))
			fail_msg("%s at %d %%: %g [%g, %g]", what, i, p.w, p.low_w, p.high_w);
		if (p.w < prev.w || p.low_w < prev.low_w || p.high_w < prev.high_w)
			fail_msg("%s: power falls between %d and %d %%", what, i - 1, i);
		prev = p;
	}
}

/* low <= central <= high and power never falls as load rises, for every
 * architecture row, every 25th TDP row and every average. */
static void test_bounds_contain_the_estimate_for_every_row(void **state)
{
	(void)state;
	for (size_t i = 0; i < aipm_est_cpuid_nrows; i++) {
		const struct aipm_est_cpuid_row *r = &aipm_est_cpuid_rows[i];
		struct aipm_cpu_identity id = {.ncpus = 2, .vendor = r->vendor, .family = r->family,
					       .model = r->model, .stepping = r->stepping_min};
		struct aipm_cpu_power_model m;
		assert_int_equal(aipm_cpu_power_model_choose(&id, &m), 0);
		assert_int_equal(m.method, AIPM_EST_MICROARCH);
		check_bounds(&m, aipm_est_arch_rows[r->arch].arch);
	}
	for (size_t i = 0; i < aipm_est_tdp_nrows; i += 25) {
		struct aipm_cpu_identity id = {.ncpus = 8, .sockets = 1, .virt = AIPM_VIRT_NONE, .family = -1};
		struct aipm_cpu_power_model m;
		snprintf(id.model_name, sizeof id.model_name, "%s", aipm_est_tdp_rows[i].name);
		assert_int_equal(aipm_cpu_power_model_choose(&id, &m), 0);
		check_bounds(&m, aipm_est_tdp_rows[i].name);
	}
	for (int c = AIPM_CLOUD_UNKNOWN; c <= AIPM_CLOUD_AZURE; c++) {
		struct aipm_cpu_identity id = {.ncpus = 2, .cloud = c, .family = -1};
		struct aipm_cpu_power_model m;
		assert_int_equal(aipm_cpu_power_model_choose(&id, &m), 0);
		check_bounds(&m, aipm_cloud_name(c));
	}
}

/* Attribution uses measured energy's rule: share x the interval's energy,
 * bounds included, so it never exceeds the machine's, bound by bound. */
static void test_attribution_scales_estimate_and_bounds(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	struct aipm_cpu_estimate e;
	load("gcp-n2-masked", &id, &m);
	aipm_cpu_estimate_init(&e);
	assert_true(isnan(e.power.w));
	assert_true(aipm_cpu_estimate_add(&e, &m, 0.5, 0.25, 2.0));
	struct aipm_est_band p;
	assert_true(aipm_cpu_power_model_eval(&m, 0.5, &p));
	assert_near(e.energy.j, 2 * p.w);
	assert_near(e.energy.low_j, 2 * p.low_w);
	assert_near(e.energy.high_j, 2 * p.high_w);
	assert_near(e.attributed.j, 0.25 * 2 * p.w);
	assert_near(e.attributed.low_j, 0.25 * 2 * p.low_w);
	assert_near(e.attributed.high_j, 0.25 * 2 * p.high_w);
	/* A share above 1 (tick granularity) is clamped; NaN counts as 0. */
	assert_true(aipm_cpu_estimate_add(&e, &m, 0.5, 1.3, 1.0));
	assert_true(aipm_cpu_estimate_add(&e, &m, 0.5, NAN, 1.0));
	assert_near(e.attributed.j, (0.5 + 1) * p.w);
	assert_near(e.energy.j, 4 * p.w);
	assert_true(e.attributed.high_j <= e.energy.high_j && e.attributed.low_j <= e.energy.low_j);
	/* No interval, no energy: NaN utilisation, zero or NaN dt. */
	struct aipm_cpu_estimate before = e;
	assert_false(aipm_cpu_estimate_add(&e, &m, NAN, 0.5, 1.0));
	assert_false(aipm_cpu_estimate_add(&e, &m, 0.5, 0.5, 0.0));
	assert_false(aipm_cpu_estimate_add(&e, &m, 0.5, 0.5, NAN));
	assert_memory_equal(&e, &before, sizeof e);
	assert_int_equal(e.intervals, 3);
}

static void test_tables_name_their_versions(void **state)
{
	(void)state;
	static const unsigned rows[AIPM_EST_NTABLES] = {4898, 16, 24, 20, 9, 8};
	for (int t = 0; t < AIPM_EST_NTABLES; t++) {
		const struct aipm_est_table_info *i = aipm_est_table_info(t);
		assert_non_null(i);
		assert_true(i->version[0] && i->licence[0] && i->file[0]);
		assert_int_equal(i->rows, rows[t]);
	}
	assert_string_equal(aipm_est_table_info(AIPM_EST_TABLE_TDP)->version, "mlco2/codecarbon@b05965e43b69 (2026-08-08)");
	assert_int_equal(aipm_est_table_info(AIPM_EST_TABLE_TDP)->skipped, 5);
	assert_string_equal(aipm_est_table_info(AIPM_EST_TABLE_ARCH)->licence, "Apache-2.0");
	assert_null(aipm_est_table_info(AIPM_EST_NTABLES));
}

/* This machine, whatever it is: identify and estimate through the real
 * roots and say what was found in the test log. */
static void test_this_machine(void **state)
{
	(void)state;
	struct aipm_cpu_identity id;
	struct aipm_cpu_power_model m;
	struct aipm_est_band p;
	assert_int_equal(aipm_cpu_identify("/proc", "/sys", &id), 0);
	assert_int_equal(aipm_cpu_power_model_choose(&id, &m), 0);
	assert_true(aipm_cpu_power_model_eval(&m, 0.5, &p));
	assert_true(isfinite(p.w) && p.low_w > 0 && p.low_w <= p.w && p.w <= p.high_w);
	print_message("this machine: %s: %s DMI sys_vendor %s. At 50 %%: %.1f W [%.1f, %.1f].\n",
		      aipm_est_method_name(m.method), m.text,
		      id.dmi_err[AIPM_DMI_SYS_VENDOR] ? strerror(-id.dmi_err[AIPM_DMI_SYS_VENDOR])
						       : id.dmi[AIPM_DMI_SYS_VENDOR],
		      p.w, p.low_w, p.high_w);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_estimate FIXTURES_DIR (built by mktree.py)\n");
		return 2;
	}
	fixtures = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identify_reads_server_cpuinfo_and_dmi),
		cmocka_unit_test(test_known_server_cpu_uses_its_tdp_row),
		cmocka_unit_test(test_masked_cloud_cpu_uses_its_cpuid),
		cmocka_unit_test(test_unknown_cpu_uses_the_generic_average),
		cmocka_unit_test(test_vm_does_not_use_a_tdp_row),
		cmocka_unit_test(test_provider_average_when_the_cpuid_is_unmapped),
		cmocka_unit_test(test_hyperv_without_azure_tag_is_not_azure),
		cmocka_unit_test(test_unreadable_dmi_is_recorded_not_fatal),
		cmocka_unit_test(test_missing_cpuinfo_is_an_error),
		cmocka_unit_test(test_arm_cpuinfo_has_no_hypervisor_bit),
		cmocka_unit_test(test_brand_strings_match_table_spellings),
		cmocka_unit_test(test_power_curves_at_documented_points),
		cmocka_unit_test(test_bounds_contain_the_estimate_for_every_row),
		cmocka_unit_test(test_attribution_scales_estimate_and_bounds),
		cmocka_unit_test(test_tables_name_their_versions),
		cmocka_unit_test(test_this_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
