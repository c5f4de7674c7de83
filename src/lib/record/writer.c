/* writer.c: power_metrics.json, one JSON line per snapshot.
 *
 * The line is built by hand in a reused buffer (no DOM, no allocation once
 * warm) and leaves in one write() on an O_APPEND descriptor, so every line
 * already written is whole on disk even if aipm is killed: the page cache
 * holds it whatever happens to the process. Field names are AIPowerMeter's
 * (docs/recording.md); a value that was not measured is left out, never
 * written as 0.
 */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

struct aipm_writer {
	int fd;
	char path[4096];
	struct aipm_buf line;
};

static const char segment_end[] = "\"END OF RECORDING SEGMENT\"\n";

static int mkdir_p(const char *dir)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0777) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0777) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int aipm_writer_open(struct aipm_writer **out, const char *dir, bool append, bool *replaced)
{
	struct stat st;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return aipm_err(-ENOTDIR, "%s is a file, not a directory. Give -o a directory to record into", dir);
	int r = mkdir_p(dir);
	if (r < 0)
		return aipm_err(r, "cannot create the recording directory %s: %s. Choose another -o DIR", dir,
				strerror(-r));
	struct aipm_writer *w = calloc(1, sizeof *w);
	if (!w)
		return aipm_err(-ENOMEM, "out of memory");
	snprintf(w->path, sizeof w->path, "%s/power_metrics.json", dir);
	if (replaced)
		*replaced = !append && stat(w->path, &st) == 0;
	w->fd = open(w->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC), 0666);
	if (w->fd < 0) {
		r = -errno;
		free(w);
		return aipm_err(r, "cannot write %s/power_metrics.json: %s. Choose a writable -o DIR", dir,
				strerror(-r));
	}
	if (append) {
		/* A previous run killed mid-line leaves a partial last line: end it
		 * so the new segment starts on a line of its own (the reader skips
		 * and counts the broken one). */
		off_t end = lseek(w->fd, 0, SEEK_END);
		char c = '\n';
		if (end > 0 && pread(w->fd, &c, 1, end - 1) == 1 && c != '\n' && write(w->fd, "\n", 1) < 0) {
			r = -errno;
			close(w->fd);
			free(w);
			return aipm_err(r, "cannot append to %s/power_metrics.json: %s", dir, strerror(-r));
		}
	}
	*out = w;
	return 0;
}

static void put_ts(struct aipm_buf *b, const struct timespec *t)
{
	char tmp[48];
	int n = snprintf(tmp, sizeof tmp, "%lld.%06ld", (long long)t->tv_sec, t->tv_nsec / 1000);
	aipm_buf_put(b, tmp, (size_t)n);
}

static void put_date(struct aipm_buf *b, const struct timespec *t)
{
	char tmp[64];
	aipm_format_date(tmp, sizeof tmp, t);
	aipm_buf_put(b, "\"", 1);
	aipm_buf_puts(b, tmp);
	aipm_buf_put(b, "\"", 1);
}

/* `"key": ` with the separating comma managed by *first. */
static void key(struct aipm_buf *b, bool *first, const char *k)
{
	if (!*first)
		aipm_buf_put(b, ", ", 2);
	*first = false;
	aipm_buf_json_str(b, k);
	aipm_buf_put(b, ": ", 2);
}

static void num(struct aipm_buf *b, bool *first, const char *k, double v)
{
	if (!isfinite(v))
		return;
	key(b, first, k);
	aipm_buf_double(b, v);
}

static void pid_key(struct aipm_buf *b, bool *first, pid_t pid)
{
	if (!*first)
		aipm_buf_put(b, ", ", 2);
	*first = false;
	aipm_buf_put(b, "\"", 1);
	aipm_buf_u64(b, (uint64_t)pid);
	aipm_buf_put(b, "\": ", 3);
}

/* A per-process value in fixed point, `dec` decimals, trailing zeros cut:
 * the per-process objects hold most of a line's numbers, and printf with a
 * locale swap per number was a fifth of a sample's cost for a 50-process
 * tree. Shares get 9 decimals (1e-9 of the machine), seconds and watts 6
 * (a microsecond, a microwatt). Anything out of range goes to the general
 * formatter. */
static void put_fixed(struct aipm_buf *b, double v, int dec)
{
	static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
	static const uint64_t iscale[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
	double x = v * scale[dec] + 0.5;
	if (!(v >= 0 && x < 1e18)) {
		aipm_buf_double(b, v);
		return;
	}
	uint64_t n = (uint64_t)x, ip = n / iscale[dec], fp = n % iscale[dec];
	char tmp[48];
	int i = (int)sizeof tmp;
	if (fp) {
		int d = dec;
		while (fp % 10 == 0) {
			fp /= 10;
			d--;
		}
		for (; d > 0; d--) {
			tmp[--i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		tmp[--i] = '.';
	}
	do {
		tmp[--i] = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip);
	aipm_buf_put(b, tmp + i, sizeof tmp - (size_t)i);
}

enum proc_field { PF_CPU_USE, PF_CPU_TIME, PF_PSS, PF_USS, PF_MEM_PCT, PF_CPU_POWER, PF_DRAM_POWER };

static void per_process(struct aipm_buf *b, bool *first, const char *name, const struct aipm_snapshot *s,
			enum proc_field f, double scale)
{
	bool need_mem = f == PF_PSS || f == PF_USS || f == PF_MEM_PCT || f == PF_DRAM_POWER;
	key(b, first, name);
	aipm_buf_put(b, "{", 1);
	bool f2 = true;
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct aipm_proc *p = &s->procs[i];
		if (need_mem && !p->mem_valid)
			continue;
		pid_key(b, &f2, p->pid);
		switch (f) {
		case PF_CPU_USE: put_fixed(b, p->cpu_share, 9); break;
		case PF_CPU_TIME: put_fixed(b, (double)p->cpu_ns / 1e9, 6); break;
		case PF_PSS: aipm_buf_u64(b, p->pss_bytes); break;
		case PF_USS: aipm_buf_u64(b, p->uss_bytes); break;
		case PF_MEM_PCT: put_fixed(b, p->mem_share, 9); break;
		case PF_CPU_POWER: put_fixed(b, p->cpu_share * scale, 6); break;
		case PF_DRAM_POWER: put_fixed(b, p->mem_share * scale, 6); break;
		}
	}
	aipm_buf_put(b, "}", 1);
}

/* per_zone_energy / per_zone_power: every domain of the catalog by name.
 * Energy is cumulative and held when a read failed; power only where it
 * was measured over the interval. */
static void zones(struct aipm_buf *b, bool *first, const struct aipm_snapshot *s, bool energy)
{
	const struct aipm_catalog *c = s->cat;
	key(b, first, energy ? "per_zone_energy" : "per_zone_power");
	aipm_buf_put(b, "{", 1);
	bool f2 = true;
	for (size_t i = 0; i < c->ndomains; i++) {
		double v = energy ? s->domains[i].energy_j : s->domains[i].power_w;
		if (!energy && !(s->domains[i].valid && isfinite(v)))
			continue;
		key(b, &f2, c->domains[i].name);
		aipm_buf_double(b, v);
	}
	aipm_buf_put(b, "}", 1);
}

static double kind_power(const struct aipm_snapshot *s, enum aipm_domain_kind k)
{
	double w;
	return aipm_snapshot_kind_power(s, k, &w) ? w : NAN;
}

static void format_tree(struct aipm_buf *b, bool *first, const struct aipm_snapshot *s, double pkg, double core,
			double dram, bool interval)
{
	const struct aipm_catalog *c = s->cat;
	bool has_pkg = aipm_catalog_has_kind(c, AIPM_DOMAIN_PACKAGE);
	bool has_dram = aipm_catalog_has_kind(c, AIPM_DOMAIN_DRAM);
	if (has_pkg || has_dram) {
		bool f2 = true;
		key(b, first, "attributed_energy");
		aipm_buf_put(b, "{", 1);
		if (has_pkg)
			num(b, &f2, "cpu", s->attributed_cpu_j);
		if (has_dram)
			num(b, &f2, "dram", s->attributed_dram_j);
		aipm_buf_put(b, "}", 1);
	}
	num(b, first, "rel_intel_power", s->tree_cpu_share * pkg);
	/* AIPowerMeter charges per-process CPU power on the core zone; AMD
	 * parts expose only the package, which then stands in. */
	double cpu_base = isfinite(core) ? core : pkg;
	if (isfinite(cpu_base))
		per_process(b, first, "per_process_cpu_power", s, PF_CPU_POWER, cpu_base);
	if (isfinite(dram))
		per_process(b, first, "per_process_dram_power", s, PF_DRAM_POWER, dram);
	if (interval)
		per_process(b, first, "per_process_cpu_uses", s, PF_CPU_USE, 0);
	per_process(b, first, "absolute_cpu_time_per_pid", s, PF_CPU_TIME, 0);
	per_process(b, first, "per_process_mem_use_abs", s, PF_PSS, 0);
	per_process(b, first, "per_process_mem_use_uss", s, PF_USS, 0);
	per_process(b, first, "per_process_mem_use_percent", s, PF_MEM_PCT, 0);
	num(b, first, "cpu_time", s->tree_cpu_s);
	if (s->tree_mem_valid) {
		num(b, first, "experiment_mem_pss", (double)s->tree_pss_bytes);
		num(b, first, "experiment_mem_uss", (double)s->tree_uss_bytes);
	}
}

static void format_cpu(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	bool first = true;
	bool interval = s->seq > 0 && s->interval_s > 0;
	bool domains = s->cat->ndomains > 0;
	double pkg = NAN, core = NAN, uncore = NAN, dram = NAN, psys = NAN;
	if (domains && interval) {
		pkg = kind_power(s, AIPM_DOMAIN_PACKAGE);
		core = kind_power(s, AIPM_DOMAIN_CORE);
		uncore = kind_power(s, AIPM_DOMAIN_UNCORE);
		dram = kind_power(s, AIPM_DOMAIN_DRAM);
		psys = kind_power(s, AIPM_DOMAIN_PSYS);
	}
	aipm_buf_put(b, "\"cpu\": {", 8);
	num(b, &first, "intel_power", pkg);
	num(b, &first, "total_cpu_power", core);
	num(b, &first, "uncore_power", uncore);
	num(b, &first, "total_dram_power", dram);
	num(b, &first, "psys_power", psys);
	if (domains) {
		if (interval)
			zones(b, &first, s, false);
		zones(b, &first, s, true);
	}
	if (s->tree_valid)
		format_tree(b, &first, s, pkg, core, dram, interval);
	if (s->meminfo_valid)
		num(b, &first, "total_mem_use", (double)(s->mem_total_bytes > s->mem_available_bytes
								  ? s->mem_total_bytes - s->mem_available_bytes : 0));
	aipm_buf_put(b, "}", 1);
}

/* "temperature": {name: celsius} over the sensors read; absent if none. */
static void format_sensors(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	const struct aipm_catalog *c = s->cat;
	bool first = true;
	for (size_t i = 0; i < c->nsensors; i++) {
		if (!s->sensors[i].valid)
			continue;
		if (first)
			aipm_buf_puts(b, ", \"temperature\": {");
		num(b, &first, c->sensors[i].name, s->sensors[i].value);
	}
	if (!first)
		aipm_buf_put(b, "}", 1);
}

void aipm_writer_format(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	aipm_buf_reset(b);
	aipm_buf_puts(b, "{\"date\": ");
	put_date(b, &s->real);
	aipm_buf_puts(b, ", \"timestamp\": ");
	put_ts(b, &s->real);
	if (s->edge[0]) {
		/* An off-grid sample (a phase edge): why it was taken. */
		aipm_buf_puts(b, ", \"edge\": ");
		aipm_buf_json_str(b, s->edge);
	}
	aipm_buf_puts(b, ", \"metrics\": {");
	format_cpu(b, s);
	aipm_writer_format_gpu(b, s);
	format_sensors(b, s);
	aipm_buf_puts(b, "}}");
}

static int write_all(struct aipm_writer *w, const char *data, size_t n)
{
	while (n) {
		ssize_t k = write(w->fd, data, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return aipm_err(-errno, "writing %s: %s", w->path, strerror(errno));
		}
		data += k;
		n -= (size_t)k;
	}
	return 0;
}

int aipm_writer_write(struct aipm_writer *w, const struct aipm_snapshot *s)
{
	aipm_writer_format(&w->line, s);
	aipm_buf_put(&w->line, "\n", 1);
	if (w->line.oom)
		return aipm_err(-ENOMEM, "out of memory formatting a line of %s", w->path);
	return write_all(w, w->line.data, w->line.len);
}

int aipm_writer_end_segment(struct aipm_writer *w) { return write_all(w, segment_end, sizeof segment_end - 1); }

void aipm_writer_close(struct aipm_writer *w)
{
	if (!w)
		return;
	fsync(w->fd);
	close(w->fd);
	aipm_buf_free(&w->line);
	free(w);
}
