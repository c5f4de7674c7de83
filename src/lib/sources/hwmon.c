/* hwmon.c: temperatures from hwmon and thermal sysfs.
 *
 * Sensors are found once at open (hwmonX numbering is not stable, so each
 * sensor is named by its chip's `name` and its label) and published in the
 * catalog; their files stay open and are re-read at the sampler's slow
 * tier (--mem-interval): temperatures move slowly and some drivers
 * (coretemp) cost a cross-CPU call per read. Between two slow samples the
 * last reading is held.
 *
 * A sensor whose read fails (a sleeping NVMe answers EIO, some drivers
 * ENODATA) is absent until it reads again: never 0 degrees.
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

struct sensor {
	int fd;
	int id;       /* catalog id */
	bool valid;   /* the last slow read succeeded */
	double celsius;
	char name[AIPM_NAME_LEN];
};

struct hwmon {
	struct aipm_source base;
	size_t n, cap;
	struct sensor *s;
	size_t truncated; /* directory entries past the listing limit */
};

enum { MAX_LISTED = 1024 };

static int add(struct hwmon *h, int fd, const char *name)
{
	if (aipm_grow((void **)&h->s, &h->cap, h->n + 1, sizeof *h->s) < 0) {
		close(fd);
		return -ENOMEM;
	}
	struct sensor *t = &h->s[h->n++];
	memset(t, 0, sizeof *t);
	t->fd = fd;
	/* "chip/label" for people and the recording's key: the kernel's are
	 * short; a long label loses its tail, as a display name may */
	aipm_snprintf_trunc(t->name, sizeof t->name, "%s", name);
	return 0;
}

/* A directory listing that filled its array may have missed entries. */
static size_t list(struct hwmon *h, int dfd, const char *prefix, char **names)
{
	size_t n = aipm_list_dir_sorted(dfd, prefix, names, MAX_LISTED);
	h->truncated += n == MAX_LISTED;
	return n;
}

static int scan_hwmon(struct hwmon *h, const char *root, char **chips, char **files)
{
	char path[600], chip[48], label[48];
	int err = 0;
	int cls = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cls < 0)
		return 0;
	size_t nc = list(h, cls, "hwmon", chips);
	for (size_t c = 0; c < nc; c++) {
		int dfd = openat(cls, chips[c], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0 && aipm_read_file_at(dfd, "name", chip, sizeof chip) > 0) {
			aipm_chomp(chip);
			size_t nf = list(h, dfd, "temp", files);
			for (size_t f = 0; f < nf; f++) {
				size_t len = strlen(files[f]);
				if (!err && len > 6 && !strcmp(files[f] + len - 6, "_input")) {
					int fd = aipm_openat_ro(dfd, files[f]);
					snprintf(path, sizeof path, "%.*s_label", (int)(len - 6), files[f]);
					if (aipm_read_file_at(dfd, path, label, sizeof label) > 0)
						aipm_chomp(label);
					else
						snprintf(label, sizeof label, "%.*s", (int)(len - 6), files[f]);
					snprintf(path, sizeof path, "%s/%s", chip, label);
					if (fd >= 0)
						err = add(h, fd, path);
				}
				free(files[f]);
			}
		}
		if (dfd >= 0)
			close(dfd);
		free(chips[c]);
	}
	close(cls);
	return err;
}

static int scan_thermal(struct hwmon *h, const char *root, char **zones)
{
	char type[48], path[160];
	int err = 0;
	int cls = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cls < 0)
		return 0;
	size_t nz = list(h, cls, "thermal_zone", zones);
	for (size_t i = 0; i < nz; i++) {
		snprintf(path, sizeof path, "%s/type", zones[i]);
		if (!err && aipm_read_file_at(cls, path, type, sizeof type) > 0) {
			aipm_chomp(type);
			snprintf(path, sizeof path, "%s/temp", zones[i]);
			int fd = aipm_openat_ro(cls, path);
			snprintf(path, sizeof path, "thermal/%s", type);
			if (fd >= 0)
				err = add(h, fd, path);
		}
		free(zones[i]);
	}
	close(cls);
	return err;
}

static int hwmon_open(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out)
{
	struct hwmon *h = calloc(1, sizeof *h);
	if (!h)
		return aipm_err(-ENOMEM, "out of memory opening the temperature source");
	*out = &h->base;
	const char *sys = aipm_paths_sysfs(&cfg->paths);
	char root[512];
	char **a = calloc(MAX_LISTED, sizeof *a), **b = calloc(MAX_LISTED, sizeof *b);
	int err = !a || !b ? -ENOMEM : 0;
	if (!err && (err = aipm_path_fmt(root, sizeof root, "%s/class/hwmon", sys)) < 0)
		err = aipm_err_wrap(err, "the sysfs root (AIPM_SYSFS_ROOT)");
	if (!err)
		err = scan_hwmon(h, root, a, b);
	if (!err && (err = aipm_path_fmt(root, sizeof root, "%s/class/thermal", sys)) < 0)
		err = aipm_err_wrap(err, "the sysfs root (AIPM_SYSFS_ROOT)");
	if (!err)
		err = scan_thermal(h, root, a);
	free(a);
	free(b);
	if (err < 0)
		return aipm_err(-ENOMEM, "out of memory opening the temperature source");
	for (size_t i = 0; i < h->n; i++) {
		struct aipm_sensor d = {.source = aipm_source_hwmon.name, .unit = "celsius"};
		snprintf(d.name, sizeof d.name, "%s", h->s[i].name);
		h->s[i].id = aipm_catalog_add_sensor(cat, &d);
		if (h->s[i].id < 0)
			return aipm_err(-ENOMEM, "out of memory publishing the temperature sensors");
	}
	if (h->truncated)
		aipm_source_note(&h->base, "a sysfs directory under %s/class listed %d entries or more: sensors past "
					   "them were not read", sys, MAX_LISTED);
	if (h->n)
		aipm_source_set(&h->base, true, "", "%zu temperature sensors (hwmon, thermal)", h->n);
	else
		aipm_source_set(&h->base, false,
				"load the sensor drivers (`sudo modprobe coretemp` on Intel, `k10temp` on AMD) or "
				"install lm-sensors and run `sudo sensors-detect`",
				"no temperature sensors under %s/class/hwmon or %s/class/thermal", sys, sys);
	return 0;
}

/* millidegrees Celsius, possibly negative; false when unreadable. */
static bool read_temp(int fd, double *out)
{
	char buf[32];
	const char *p = buf;
	uint64_t v;
	bool neg = false;
	if (aipm_pread_all(fd, buf, sizeof buf) <= 0)
		return false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!aipm_parse_u64(&p, &v))
		return false;
	*out = (neg ? -1.0 : 1.0) * (double)v / 1000.0;
	return true;
}

static int hwmon_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	struct hwmon *h = (struct hwmon *)src;
	if (ctx->slow)
		for (size_t i = 0; i < h->n; i++)
			h->s[i].valid = read_temp(h->s[i].fd, &h->s[i].celsius);
	for (size_t i = 0; i < h->n; i++)
		if (h->s[i].valid)
			aipm_snapshot_set_sensor(snap, h->s[i].id, h->s[i].celsius);
	/* An unreadable sensor is absent, not an error of the source: drives
	 * that sleep answer EIO for as long as they sleep. */
	return 0;
}

static void hwmon_close(struct aipm_source *src)
{
	struct hwmon *h = (struct hwmon *)src;
	for (size_t i = 0; i < h->n; i++)
		close(h->s[i].fd);
	free(h->s);
	free(h);
}

const struct aipm_source_ops aipm_source_hwmon = {
	.name = "hwmon",
	.what = "temperatures (hwmon and thermal sysfs)",
	.provides = AIPM_PROVIDES_TEMPERATURE,
	.missing = "temperature",
	.say = AIPM_SAY_NEVER,
	.open = hwmon_open,
	.sample = hwmon_sample,
	.close = hwmon_close,
};
