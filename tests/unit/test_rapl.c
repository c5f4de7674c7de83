/* test_rapl.c: the RAPL source on powercap trees built in a temp dir,
 * through the real open/pread/parse path (the sysfs root in the config). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fakes/rig.h"
#include "source.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/class/powercap/%s", root, rel);
	/* in place, like sysfs: the source keeps the fd open */
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	close(fd);
}

static void zone_dir(const char *dir, const char *name, const char *energy, const char *max)
{
	char path[512];
	snprintf(path, sizeof path, "%s/class/powercap/%s", root, dir);
	assert_int_equal(mkdir(path, 0755), 0);
	char rel[128];
	snprintf(rel, sizeof rel, "%s/name", dir);
	put(rel, name);
	snprintf(rel, sizeof rel, "%s/energy_uj", dir);
	put(rel, energy);
	if (max) {
		snprintf(rel, sizeof rel, "%s/max_energy_range_uj", dir);
		put(rel, max);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/aipm-rapl-XXXXXX");
	assert_non_null(mkdtemp(root));
	char path[512];
	snprintf(path, sizeof path, "%s/class", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/class/powercap", root);
	mkdir(path, 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd);
}

static struct aipm_catalog cat;
static struct aipm_snapshot snap;

static struct aipm_source *open_rapl_at(const char *sysfs)
{
	struct aipm_source_config cfg = {.paths = {.sysfs = sysfs}};
	struct aipm_source *s = NULL;
	memset(&cat, 0, sizeof cat);
	assert_int_equal(aipm_source_open(&aipm_source_rapl, &cfg, &cat, &s), 0);
	assert_int_equal(aipm_snapshot_init(&snap, &cat), 0);
	return s;
}

static struct aipm_source *open_rapl(void) { return open_rapl_at(root); }

static void close_rapl(struct aipm_source *s)
{
	s->ops->close(s);
	aipm_snapshot_free(&snap);
	aipm_catalog_free(&cat);
}

static int k;
static int take(struct aipm_source *s)
{
	k++;
	return rig_sample(s, &snap, (uint64_t)k, 0.1 * k, false);
}

static void test_rapl_names_zones_by_kind_and_socket(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "100\n", "1000\n");
	zone_dir("intel-rapl:0:0", "core\n", "50\n", "1000\n");
	zone_dir("intel-rapl:0:1", "dram\n", "10\n", "1000\n");
	zone_dir("intel-rapl:1", "package-1\n", "100\n", "1000\n");
	zone_dir("intel-rapl:1:0", "uncore\n", "5\n", "1000\n");
	zone_dir("intel-rapl:2", "psys\n", "7\n", "1000\n");
	struct aipm_source *s = open_rapl();
	assert_true(s->available);
	assert_int_equal(take(s), 0);
	assert_int_equal(cat.ndomains, 6);
	const char *names[] = {"package-0", "core-0", "dram-0", "package-1", "uncore-1", "psys"};
	enum aipm_domain_kind kinds[] = {AIPM_DOMAIN_PACKAGE, AIPM_DOMAIN_CORE,   AIPM_DOMAIN_DRAM,
					 AIPM_DOMAIN_PACKAGE, AIPM_DOMAIN_UNCORE, AIPM_DOMAIN_PSYS};
	int sockets[] = {0, 0, 0, 1, 1, -1};
	for (int i = 0; i < 6; i++) {
		assert_string_equal(cat.domains[i].name, names[i]);
		assert_int_equal(cat.domains[i].kind, kinds[i]);
		assert_int_equal(cat.domains[i].socket, sockets[i]);
		assert_string_equal(cat.domains[i].source, "rapl");
		assert_true(snap.domains[i].valid);
	}
	close_rapl(s);
}

static void test_rapl_catalog_says_which_domain_contains_which(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "100\n", "1000\n");
	zone_dir("intel-rapl:0:0", "core\n", "50\n", "1000\n");
	zone_dir("intel-rapl:0:1", "uncore\n", "5\n", "1000\n");
	zone_dir("intel-rapl:0:2", "dram\n", "10\n", "1000\n");
	zone_dir("intel-rapl:1", "psys\n", "7\n", "1000\n");
	struct aipm_source *s = open_rapl();
	assert_int_equal(cat.ndomains, 5);
	/* psys contains the package, the package its core and uncore; DRAM
	 * is measured beside the package, not inside it. */
	assert_int_equal(cat.domains[0].parent, 4);
	assert_int_equal(cat.domains[1].parent, 0);
	assert_int_equal(cat.domains[2].parent, 0);
	assert_int_equal(cat.domains[3].parent, -1);
	assert_int_equal(cat.domains[4].parent, -1);
	close_rapl(s);
}

static void test_rapl_unwraps_counter_once_per_interval(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "990\n", "999\n");
	struct aipm_source *s = open_rapl();
	take(s);
	uint64_t first = snap.domains[0].energy_uj;
	put("intel-rapl:0/energy_uj", "995\n");
	take(s);
	assert_int_equal(snap.domains[0].energy_uj - first, 5);
	/* 995 -> 999 -> wraps to 0 -> 20: 4 + 1 + 20 = 25 uJ */
	put("intel-rapl:0/energy_uj", "20\n");
	take(s);
	assert_int_equal(snap.domains[0].energy_uj - first, 30);
	put("intel-rapl:0/energy_uj", "20\n");
	take(s);
	assert_int_equal(snap.domains[0].energy_uj - first, 30); /* no change, no wrap */
	close_rapl(s);
}

static void test_rapl_reset_without_range_counts_from_zero(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "5000\n", NULL);
	struct aipm_source *s = open_rapl();
	take(s);
	uint64_t first = snap.domains[0].energy_uj;
	put("intel-rapl:0/energy_uj", "300\n");
	take(s);
	assert_int_equal(snap.domains[0].energy_uj - first, 300);
	close_rapl(s);
}

/* A counter that fails mid-run: the value is marked, not zeroed, and the
 * failure is counted in the source's health with its message. */
static void test_rapl_failed_read_keeps_the_count_and_is_counted(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "100\n", "1000\n");
	struct aipm_source *s = open_rapl();
	take(s);
	put("intel-rapl:0/energy_uj", "garbage\n");
	assert_true(take(s) < 0);
	assert_false(snap.domains[0].valid);
	assert_int_equal(s->samples, 2);
	assert_int_equal(s->failed, 1);
	assert_true(s->last_rc < 0);
	assert_non_null(strstr(s->last_error, "intel-rapl:0/energy_uj"));
	put("intel-rapl:0/energy_uj", "150\n");
	assert_int_equal(take(s), 0);
	assert_true(snap.domains[0].valid);
	assert_int_equal(snap.domains[0].energy_uj, 50);
	assert_int_equal(s->failed, 1);
	assert_int_equal(s->last_rc, 0);
	close_rapl(s);
}

static void test_rapl_mmio_zone_is_not_a_package(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "1\n", "1000\n");
	zone_dir("intel-rapl-mmio:0", "package-0\n", "1\n", "1000\n");
	struct aipm_source *s = open_rapl();
	take(s);
	assert_int_equal(cat.ndomains, 2);
	int packages = 0, mmio = 0;
	for (size_t i = 0; i < cat.ndomains; i++) {
		packages += cat.domains[i].kind == AIPM_DOMAIN_PACKAGE;
		if (!strcmp(cat.domains[i].name, "mmio-package-0")) {
			mmio++;
			assert_int_equal(cat.domains[i].kind, AIPM_DOMAIN_OTHER);
		}
	}
	assert_int_equal(packages, 1);
	assert_int_equal(mmio, 1);
	close_rapl(s);
}

static void test_rapl_missing_tree_is_unavailable_with_fix(void **state)
{
	(void)state;
	struct aipm_source *s = open_rapl_at("/nonexistent-aipm");
	assert_false(s->available);
	assert_non_null(strstr(s->reason, "/nonexistent-aipm/class/powercap"));
	assert_non_null(strstr(s->fix, "modprobe intel_rapl_msr"));
	assert_int_equal(cat.ndomains, 0);
	close_rapl(s);
}

/* More zones than the old fixed limit of 64: all measured. */
static void test_rapl_has_no_zone_limit(void **state)
{
	(void)state;
	char dir[64], name[64];
	for (int i = 0; i < 80; i++) {
		snprintf(dir, sizeof dir, "intel-rapl:%d", i);
		snprintf(name, sizeof name, "package-%d\n", i);
		zone_dir(dir, name, "1\n", "1000\n");
	}
	struct aipm_source *s = open_rapl();
	assert_true(s->available);
	assert_int_equal(cat.ndomains, 80);
	assert_int_equal(take(s), 0);
	close_rapl(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rapl_names_zones_by_kind_and_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_unwraps_counter_once_per_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_reset_without_range_counts_from_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_failed_read_keeps_the_count_and_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_catalog_says_which_domain_contains_which, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_has_no_zone_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_mmio_zone_is_not_a_package, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_missing_tree_is_unavailable_with_fix, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
