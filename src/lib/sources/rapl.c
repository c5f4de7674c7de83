/* rapl.c: CPU energy from RAPL through the powercap sysfs tree.
 *
 * Every zone of the `intel-rapl` control type (AMD's RAPL appears under the
 * same driver) and of `intel-rapl-mmio` when present: package-N and its
 * subzones core, uncore and dram, and the top-level psys. Zone directories
 * are found once at open; each zone's energy_uj stays open and is re-read
 * with pread, so a sample costs one syscall per zone.
 *
 * The hardware counter wraps at max_energy_range_uj (about 262 kJ on many
 * Intel parts: 40 minutes at 100 W); the source unwraps it into a 64-bit
 * cumulative count that never goes back. This assumes one sample per wrap
 * period at least, which any sensible interval gives.
 *
 * Since Linux 5.10 (CVE-2020-8694) energy_uj is readable by root only; the
 * source then reports itself unavailable with the fix. It never falls back
 * to an estimate.
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

struct rapl_zone {
	int fd;                 /* energy_uj, kept open */
	int id;                 /* catalog id */
	char dir[64];           /* "intel-rapl:0:1" */
	uint64_t max_range_uj;  /* 0 if unknown: a drop is then a reset */
	uint64_t last_raw;
	uint64_t cum_uj;
	bool have_last;
	struct aipm_domain meta; /* name, kind, socket: copied into the catalog */
};

struct rapl {
	struct aipm_source base; /* first: the sampler sees only this */
	size_t nzones, cap;
	struct rapl_zone *z;
	char root[512];
};

static enum aipm_domain_kind kind_of(const char *name)
{
	if (!strncmp(name, "package", 7))
		return AIPM_DOMAIN_PACKAGE;
	if (!strcmp(name, "core"))
		return AIPM_DOMAIN_CORE;
	if (!strcmp(name, "uncore"))
		return AIPM_DOMAIN_UNCORE;
	if (!strcmp(name, "dram"))
		return AIPM_DOMAIN_DRAM;
	if (!strcmp(name, "psys"))
		return AIPM_DOMAIN_PSYS;
	return AIPM_DOMAIN_OTHER;
}

/* The socket of a zone: its own "package-N", or its parent package's for
 * subzones ("intel-rapl:0:2" belongs to "intel-rapl:0"). */
static int socket_of(int pc, const char *dir, const char *name)
{
	if (!strncmp(name, "package-", 8))
		return atoi(name + 8);
	const char *first = strchr(dir, ':');
	const char *second = first ? strchr(first + 1, ':') : NULL;
	if (!second)
		return -1;
	char parent[64], pname[64], path[160];
	snprintf(parent, sizeof parent, "%.*s", (int)(second - dir), dir);
	snprintf(path, sizeof path, "%s/name", parent);
	if (aipm_read_file_at(pc, path, pname, sizeof pname) <= 0)
		return -1;
	aipm_chomp(pname);
	return !strncmp(pname, "package-", 8) ? atoi(pname + 8) : -1;
}

static void zone_name(char *out, size_t n, const char *dir, const char *name, int socket)
{
	bool mmio = !strncmp(dir, "intel-rapl-mmio", 15);
	enum aipm_domain_kind k = kind_of(name);
	/* the kernel's zone names are short ("package-0", "dram"); one from a
	 * tree with a name near its 63 bytes may lose its tail, as a label can */
	if (k == AIPM_DOMAIN_PACKAGE || k == AIPM_DOMAIN_PSYS || socket < 0)
		aipm_snprintf_trunc(out, n, "%s%s", mmio ? "mmio-" : "", name);
	else
		aipm_snprintf_trunc(out, n, "%s%s-%d", mmio ? "mmio-" : "", name, socket);
}

static int add_zone(struct rapl *r, int pc, const char *dir, int *unreadable, char *first_bad, size_t badlen)
{
	char path[160], name[64], buf[64];
	snprintf(path, sizeof path, "%s/name", dir);
	if (aipm_read_file_at(pc, path, name, sizeof name) <= 0)
		return 0; /* a control-type directory, not a zone */
	aipm_chomp(name);
	snprintf(path, sizeof path, "%s/energy_uj", dir);
	int fd = aipm_openat_ro(pc, path);
	if (fd == -ENOENT)
		return 0;
	if (fd >= 0 && aipm_pread_all(fd, buf, sizeof buf) < 0) {
		close(fd);
		fd = -EACCES;
	}
	if (fd < 0) {
		if (!(*unreadable)++)
			snprintf(first_bad, badlen, "%s", path);
		return 0;
	}
	if (aipm_grow((void **)&r->z, &r->cap, r->nzones + 1, sizeof *r->z) < 0) {
		close(fd);
		return -ENOMEM;
	}
	struct rapl_zone *z = &r->z[r->nzones];
	struct aipm_domain *m = &z->meta;
	memset(z, 0, sizeof *z);
	z->fd = fd;
	snprintf(z->dir, sizeof z->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/max_energy_range_uj", dir);
	if (aipm_read_file_at(pc, path, buf, sizeof buf) > 0) {
		const char *p = buf;
		aipm_parse_u64(&p, &z->max_range_uj);
	}
	m->kind = kind_of(name);
	m->socket = socket_of(pc, dir, name);
	/* MMIO exposes the same package counter a second time on some laptops:
	 * keep it, but as "other" so it never adds into the package total. */
	if (!strncmp(dir, "intel-rapl-mmio", 15))
		m->kind = AIPM_DOMAIN_OTHER;
	zone_name(m->name, sizeof m->name, dir, name, m->socket);
	r->nzones++;
	return 0;
}

static const char fix_perm[] =
	"run aipm as root, or install aipm's udev rule (60-aipm-rapl.rules) and join its group aipm "
	"(`sudo usermod -aG aipm $USER`), or make the counters readable by every user until the next reboot with "
	"`sudo chmod o+r /sys/class/powercap/intel-rapl*/energy_uj /sys/class/powercap/intel-rapl*/*/energy_uj`";

/* Which domain's energy already includes this one's: a subzone's package
 * (core and uncore are parts of the package; DRAM is not, it is measured
 * beside it), and psys for a package (psys covers the whole SoC). */
static void link_parents(struct rapl *r)
{
	int psys = -1;
	for (size_t i = 0; i < r->nzones; i++)
		if (r->z[i].meta.kind == AIPM_DOMAIN_PSYS)
			psys = (int)i;
	for (size_t i = 0; i < r->nzones; i++) {
		struct aipm_domain *m = &r->z[i].meta;
		m->parent = -1;
		if (m->kind == AIPM_DOMAIN_PACKAGE) {
			m->parent = psys;
		} else if (m->kind == AIPM_DOMAIN_CORE || m->kind == AIPM_DOMAIN_UNCORE) {
			const char *second = strchr(strchr(r->z[i].dir, ':') + 1, ':');
			size_t plen = second ? (size_t)(second - r->z[i].dir) : 0;
			for (size_t k = 0; plen && k < r->nzones; k++)
				if (strlen(r->z[k].dir) == plen && !strncmp(r->z[k].dir, r->z[i].dir, plen))
					m->parent = (int)k; /* index now, catalog id after publish */
		}
	}
}

static void drop_zones(struct rapl *r)
{
	for (size_t i = 0; i < r->nzones; i++)
		close(r->z[i].fd);
	r->nzones = 0;
}

/* Publish the zones in the catalog, then map parents (indices into z)
 * to catalog ids: psys sorts after the packages it contains. */
static int publish(struct rapl *r, struct aipm_catalog *cat)
{
	link_parents(r);
	for (size_t i = 0; i < r->nzones; i++) {
		struct aipm_domain d = r->z[i].meta;
		d.source = aipm_source_rapl.name;
		d.parent = -1;
		int id = aipm_catalog_add_domain(cat, &d);
		if (id < 0)
			return aipm_err(-ENOMEM, "out of memory publishing the RAPL zones");
		r->z[i].id = id;
	}
	for (size_t i = 0; i < r->nzones; i++)
		if (r->z[i].meta.parent >= 0)
			cat->domains[r->z[i].id].parent = r->z[r->z[i].meta.parent].id;
	return 0;
}

static int rapl_open(const struct aipm_source_config *cfg, struct aipm_catalog *cat, struct aipm_source **out)
{
	struct rapl *r = calloc(1, sizeof *r);
	if (!r)
		return aipm_err(-ENOMEM, "out of memory opening the RAPL source");
	*out = &r->base;
	/* a cut root names another tree (or none, read as "no RAPL here") */
	int e = aipm_path_fmt(r->root, sizeof r->root, "%s/class/powercap", aipm_paths_sysfs(&cfg->paths));
	if (e < 0)
		return aipm_err_wrap(e, "the sysfs root (AIPM_SYSFS_ROOT)");
	int pc = open(r->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pc < 0) {
		aipm_source_set(&r->base, false,
				"RAPL needs an Intel (Sandy Bridge or later) or AMD (Zen or later) CPU on bare metal "
				"with the intel_rapl_common/intel_rapl_msr modules loaded (`sudo modprobe intel_rapl_msr`); "
				"virtual machines and most clouds do not expose it",
				"no powercap tree at %s (%s): this machine exposes no RAPL energy counters", r->root,
				strerror(errno));
		return 0;
	}
	enum { MAX_ENTRIES = 4096 };
	char **names = calloc(MAX_ENTRIES, sizeof *names);
	if (!names) {
		close(pc);
		return aipm_err(-ENOMEM, "out of memory opening the RAPL source");
	}
	size_t n = aipm_list_dir_sorted(pc, "intel-rapl", names, MAX_ENTRIES);
	int unreadable = 0, err = 0;
	char bad[192] = "";
	for (size_t i = 0; i < n; i++) {
		/* "intel-rapl" itself is the control type, not a zone */
		if (!err && strchr(names[i], ':'))
			err = add_zone(r, pc, names[i], &unreadable, bad, sizeof bad);
		free(names[i]);
	}
	free(names);
	close(pc);
	if (err < 0) {
		drop_zones(r);
		return aipm_err(err, "out of memory opening the RAPL source");
	}
	if (n == MAX_ENTRIES)
		aipm_source_note(&r->base, "%s lists %d entries or more: zones past them were not read", r->root,
				 MAX_ENTRIES);
	if (unreadable) {
		/* Partial data would look like a complete measurement: refuse. */
		drop_zones(r);
		aipm_source_set(&r->base, false, fix_perm,
				"%d RAPL energy counter(s) are not readable by this user (first: %s/%s): since Linux "
				"5.10 energy_uj is readable by root only",
				unreadable, r->root, bad);
		return 0;
	}
	if (r->nzones == 0) {
		aipm_source_set(&r->base, false,
				"load the RAPL driver (`sudo modprobe intel_rapl_msr`) on a bare-metal Intel or AMD machine",
				"%s has no intel-rapl zones with an energy_uj counter", r->root);
		return 0;
	}
	if (publish(r, cat) < 0)
		return -ENOMEM;
	char list[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < r->nzones && len < sizeof list - 1; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", r->z[i].meta.name);
	aipm_source_set(&r->base, true, "", "%zu RAPL zones under %s: %s", r->nzones, r->root, list);
	return 0;
}

/* Add the counter's progress since the last read to the cumulative count.
 * A drop is a wrap when the range is known, otherwise a reset (count from
 * zero): either way the cumulative value only grows. */
static void unwrap(struct rapl_zone *z, uint64_t raw)
{
	if (z->have_last) {
		if (raw >= z->last_raw)
			z->cum_uj += raw - z->last_raw;
		else if (z->max_range_uj >= z->last_raw)
			z->cum_uj += z->max_range_uj - z->last_raw + 1 + raw;
		else
			z->cum_uj += raw;
	}
	z->last_raw = raw;
	z->have_last = true;
}

static int rapl_sample(struct aipm_source *src, const struct aipm_sample_ctx *ctx, struct aipm_snapshot *snap)
{
	(void)ctx;
	struct rapl *r = (struct rapl *)src;
	size_t bad = 0;
	const char *first_bad = NULL;
	for (size_t i = 0; i < r->nzones; i++) {
		struct rapl_zone *z = &r->z[i];
		char buf[32];
		uint64_t raw;
		const char *p = buf;
		bool ok = aipm_pread_all(z->fd, buf, sizeof buf) > 0 && aipm_parse_u64(&p, &raw);
		if (ok)
			unwrap(z, raw);
		else if (!bad++)
			first_bad = z->dir;
		/* The cumulative is held through a failed read, marked invalid. */
		aipm_snapshot_set_energy(snap, z->id, z->cum_uj, ok);
	}
	if (bad)
		return aipm_err(-EIO, "%zu RAPL counter(s) unreadable (first: %s/%s/energy_uj)", bad, r->root, first_bad);
	return 0;
}

static void rapl_close(struct aipm_source *src)
{
	struct rapl *r = (struct rapl *)src;
	drop_zones(r);
	free(r->z);
	free(r);
}

static void rapl_describe(struct aipm_source *src, struct aipm_buf *b)
{
	struct rapl *r = (struct rapl *)src;
	aipm_buf_puts(b, "{\"zones\": [");
	for (size_t i = 0; i < r->nzones; i++) {
		const struct aipm_domain *m = &r->z[i].meta;
		aipm_buf_puts(b, i ? ", {\"name\": " : "{\"name\": ");
		aipm_buf_json_str(b, m->name);
		aipm_buf_puts(b, ", \"kind\": ");
		aipm_buf_json_str(b, aipm_domain_kind_name(m->kind));
		aipm_buf_puts(b, ", \"path\": ");
		aipm_buf_json_str(b, r->z[i].dir);
		aipm_buf_puts(b, ", \"max_energy_range_uj\": ");
		aipm_buf_u64(b, r->z[i].max_range_uj);
		if (m->parent >= 0) {
			aipm_buf_puts(b, ", \"inside\": ");
			aipm_buf_json_str(b, r->z[m->parent].meta.name);
		}
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]}");
}

const struct aipm_source_ops aipm_source_rapl = {
	.name = "rapl",
	.what = "CPU package, core, uncore, DRAM and psys energy (RAPL through powercap sysfs)",
	.provides = AIPM_PROVIDES_CPU_ENERGY | AIPM_PROVIDES_DRAM_ENERGY,
	.missing = "CPU energy",
	.say = AIPM_SAY_ALWAYS,
	.open = rapl_open,
	.sample = rapl_sample,
	.close = rapl_close,
	.describe = rapl_describe,
};
