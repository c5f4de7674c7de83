/* hwmon.c: temperatures from hwmon and thermal sysfs.
 *
 * Sensors are found once at open (hwmonX numbering is not stable, so each
 * sensor is named by its chip's `name` and its label), their files stay
 * open, and they are re-read at the --mem-interval cadence: temperatures
 * move slowly and some drivers (coretemp) cost a cross-CPU call per read.
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

struct hwmon {
	struct aipm_source base;
	size_t n;
	int fd[AIPM_MAX_TEMPS];
	struct aipm_temp t[AIPM_MAX_TEMPS];
	double interval_s, last_s;
	bool read_once;
};

static void add(struct hwmon *h, int fd, const char *name)
{
	if (h->n == AIPM_MAX_TEMPS) {
		close(fd);
		return;
	}
	h->fd[h->n] = fd;
	snprintf(h->t[h->n].name, sizeof h->t[h->n].name, "%s", name);
	h->n++;
}

static void scan_hwmon(struct hwmon *h, const char *root)
{
	char path[600], *chips[64], *files[128], chip[48], label[48];
	int cls = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cls < 0)
		return;
	size_t nc = aipm_list_dir_sorted(cls, "hwmon", chips, 64);
	for (size_t c = 0; c < nc; c++) {
		int dfd = openat(cls, chips[c], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0 && aipm_read_file_at(dfd, "name", chip, sizeof chip) > 0) {
			aipm_chomp(chip);
			size_t nf = aipm_list_dir_sorted(dfd, "temp", files, 128);
			for (size_t f = 0; f < nf; f++) {
				size_t len = strlen(files[f]);
				if (len > 6 && !strcmp(files[f] + len - 6, "_input")) {
					int fd = aipm_openat_ro(dfd, files[f]);
					snprintf(path, sizeof path, "%.*s_label", (int)(len - 6), files[f]);
					if (aipm_read_file_at(dfd, path, label, sizeof label) > 0)
						aipm_chomp(label);
					else
						snprintf(label, sizeof label, "%.*s", (int)(len - 6), files[f]);
					snprintf(path, sizeof path, "%s/%s", chip, label);
					if (fd >= 0)
						add(h, fd, path);
				}
				free(files[f]);
			}
		}
		if (dfd >= 0)
			close(dfd);
		free(chips[c]);
	}
	close(cls);
}

static void scan_thermal(struct hwmon *h, const char *root)
{
	char *zones[64], type[48], path[160];
	int cls = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cls < 0)
		return;
	size_t nz = aipm_list_dir_sorted(cls, "thermal_zone", zones, 64);
	for (size_t i = 0; i < nz; i++) {
		snprintf(path, sizeof path, "%s/type", zones[i]);
		if (aipm_read_file_at(cls, path, type, sizeof type) > 0) {
			aipm_chomp(type);
			snprintf(path, sizeof path, "%s/temp", zones[i]);
			int fd = aipm_openat_ro(cls, path);
			snprintf(path, sizeof path, "thermal/%s", type);
			if (fd >= 0)
				add(h, fd, path);
		}
		free(zones[i]);
	}
	close(cls);
}

static int hwmon_open(const struct aipm_source_config *cfg, struct aipm_source **out)
{
	struct hwmon *h = calloc(1, sizeof *h);
	if (!h)
		return aipm_err(-ENOMEM, "out of memory opening the temperature source");
	char root[512];
	h->interval_s = cfg->mem_interval_s > 0 ? cfg->mem_interval_s : 1.0;
	snprintf(root, sizeof root, "%s/class/hwmon", aipm_sysfs_root());
	scan_hwmon(h, root);
	snprintf(root, sizeof root, "%s/class/thermal", aipm_sysfs_root());
	scan_thermal(h, root);
	if (h->n)
		aipm_source_set(&h->base, true, "", "%zu temperature sensors (hwmon, thermal)", h->n);
	else
		aipm_source_set(&h->base, false,
				"load the sensor drivers (`sudo modprobe coretemp` on Intel, `k10temp` on AMD) or "
				"install lm-sensors and run `sudo sensors-detect`",
				"no temperature sensors under %s/class/hwmon or %s/class/thermal", aipm_sysfs_root(),
				aipm_sysfs_root());
	*out = &h->base;
	return 0;
}

static int hwmon_sample(struct aipm_source *src, struct aipm_snapshot *snap)
{
	struct hwmon *h = (struct hwmon *)src;
	double now = aipm_ts_to_s(&snap->mono);
	if (!h->read_once || now - h->last_s >= h->interval_s - 1e-6) {
		for (size_t i = 0; i < h->n; i++) {
			char buf[32];
			const char *p = buf;
			uint64_t v;
			bool neg = false;
			if (aipm_pread_all(h->fd[i], buf, sizeof buf) > 0) {
				if (*p == '-') {
					neg = true;
					p++;
				}
				if (aipm_parse_u64(&p, &v))
					h->t[i].celsius = (neg ? -1.0 : 1.0) * (double)v / 1000.0;
			}
		}
		h->last_s = now;
		h->read_once = true;
	}
	snap->ntemps = h->n;
	memcpy(snap->temps, h->t, h->n * sizeof *h->t);
	return 0;
}

static void hwmon_close(struct aipm_source *src)
{
	struct hwmon *h = (struct hwmon *)src;
	for (size_t i = 0; i < h->n; i++)
		close(h->fd[i]);
	free(h);
}

const struct aipm_source_ops aipm_source_hwmon = {
	.name = "hwmon",
	.what = "temperatures (hwmon and thermal sysfs)",
	.open = hwmon_open,
	.sample = hwmon_sample,
	.close = hwmon_close,
};
