/* test_rapl.c: the RAPL source on powercap trees built in a temp dir,
 * through the real open/pread/parse path (AIPM_SYSFS_ROOT). */
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
	setenv("AIPM_SYSFS_ROOT", root, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd);
}

static struct aipm_source *open_rapl(void)
{
	struct aipm_source_config cfg = {0};
	struct aipm_source *s = NULL;
	assert_int_equal(aipm_source_rapl.open(&cfg, &s), 0);
	s->ops = &aipm_source_rapl;
	return s;
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
	struct aipm_snapshot snap;
	aipm_snapshot_init(&snap);
	assert_int_equal(s->ops->sample(s, &snap), 0);
	assert_int_equal(snap.nzones, 6);
	const char *names[] = {"package-0", "core-0", "dram-0", "package-1", "uncore-1", "psys"};
	enum aipm_zone_kind kinds[] = {AIPM_ZONE_PACKAGE, AIPM_ZONE_CORE, AIPM_ZONE_DRAM,
				       AIPM_ZONE_PACKAGE, AIPM_ZONE_UNCORE, AIPM_ZONE_PSYS};
	int sockets[] = {0, 0, 0, 1, 1, -1};
	for (int i = 0; i < 6; i++) {
		assert_string_equal(snap.zones[i].name, names[i]);
		assert_int_equal(snap.zones[i].kind, kinds[i]);
		assert_int_equal(snap.zones[i].socket, sockets[i]);
		assert_true(snap.zones[i].valid);
	}
	s->ops->close(s);
	aipm_snapshot_free(&snap);
}

static void test_rapl_unwraps_counter_once_per_interval(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "990\n", "999\n");
	struct aipm_source *s = open_rapl();
	struct aipm_snapshot snap;
	aipm_snapshot_init(&snap);
	s->ops->sample(s, &snap);
	uint64_t first = snap.zones[0].energy_uj;
	put("intel-rapl:0/energy_uj", "995\n");
	s->ops->sample(s, &snap);
	assert_int_equal(snap.zones[0].energy_uj - first, 5);
	/* 995 -> 999 -> wraps to 0 -> 20: 4 + 1 + 20 = 25 uJ */
	put("intel-rapl:0/energy_uj", "20\n");
	s->ops->sample(s, &snap);
	assert_int_equal(snap.zones[0].energy_uj - first, 30);
	put("intel-rapl:0/energy_uj", "20\n");
	s->ops->sample(s, &snap);
	assert_int_equal(snap.zones[0].energy_uj - first, 30); /* no change, no wrap */
	s->ops->close(s);
	aipm_snapshot_free(&snap);
}

static void test_rapl_reset_without_range_counts_from_zero(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "5000\n", NULL);
	struct aipm_source *s = open_rapl();
	struct aipm_snapshot snap;
	aipm_snapshot_init(&snap);
	s->ops->sample(s, &snap);
	uint64_t first = snap.zones[0].energy_uj;
	put("intel-rapl:0/energy_uj", "300\n");
	s->ops->sample(s, &snap);
	assert_int_equal(snap.zones[0].energy_uj - first, 300);
	s->ops->close(s);
	aipm_snapshot_free(&snap);
}

static void test_rapl_unparseable_read_keeps_the_count(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "100\n", "1000\n");
	struct aipm_source *s = open_rapl();
	struct aipm_snapshot snap;
	aipm_snapshot_init(&snap);
	s->ops->sample(s, &snap);
	put("intel-rapl:0/energy_uj", "garbage\n");
	assert_true(s->ops->sample(s, &snap) < 0);
	assert_false(snap.zones[0].valid); /* marked, not zeroed */
	put("intel-rapl:0/energy_uj", "150\n");
	s->ops->sample(s, &snap);
	assert_true(snap.zones[0].valid);
	assert_int_equal(snap.zones[0].energy_uj, 50);
	s->ops->close(s);
	aipm_snapshot_free(&snap);
}

static void test_rapl_mmio_zone_is_not_a_package(void **state)
{
	(void)state;
	zone_dir("intel-rapl:0", "package-0\n", "1\n", "1000\n");
	zone_dir("intel-rapl-mmio:0", "package-0\n", "1\n", "1000\n");
	struct aipm_source *s = open_rapl();
	struct aipm_snapshot snap;
	aipm_snapshot_init(&snap);
	s->ops->sample(s, &snap);
	assert_int_equal(snap.nzones, 2);
	int packages = 0, mmio = 0;
	for (size_t i = 0; i < snap.nzones; i++) {
		packages += snap.zones[i].kind == AIPM_ZONE_PACKAGE;
		if (!strcmp(snap.zones[i].name, "mmio-package-0")) {
			mmio++;
			assert_int_equal(snap.zones[i].kind, AIPM_ZONE_OTHER);
		}
	}
	assert_int_equal(packages, 1);
	assert_int_equal(mmio, 1);
	s->ops->close(s);
	aipm_snapshot_free(&snap);
}

static void test_rapl_missing_tree_is_unavailable_with_fix(void **state)
{
	(void)state;
	setenv("AIPM_SYSFS_ROOT", "/nonexistent-aipm", 1);
	struct aipm_source *s = open_rapl();
	assert_false(s->available);
	assert_non_null(strstr(s->reason, "/nonexistent-aipm/class/powercap"));
	assert_non_null(strstr(s->fix, "modprobe intel_rapl_msr"));
	s->ops->close(s);
	setenv("AIPM_SYSFS_ROOT", root, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rapl_names_zones_by_kind_and_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_unwraps_counter_once_per_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_reset_without_range_counts_from_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_unparseable_read_keeps_the_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_mmio_zone_is_not_a_package, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rapl_missing_tree_is_unavailable_with_fix, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
