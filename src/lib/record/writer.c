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
#include "outdir.h"

struct aipm_writer {
	int fd;
	struct aipm_outdir *dir;
	char name[128];       /* the file's name in dir: the staged name until commit, "" unnamed */
	bool staged, committed;
	off_t base;           /* appending: the size an uncommitted run cuts back to */
	struct aipm_buf line;
	/* Lines the disk refused, oldest first, each with its newline. The
	 * first `keep` bytes are never dropped: the END line closing a killed
	 * segment and the new segment's first line, its energy baseline. */
	struct aipm_buf held;
	size_t nheld, keep;
	uint64_t lines, dropped;
	bool torn;            /* a partial line could not be cut back */
};

static const char segment_end[] = "\"END OF RECORDING SEGMENT\"\n";
static const char pm_name[] = "power_metrics.json";

/* Write one line now, whole or not at all. */
static int put(struct aipm_writer *w, const char *data, size_t n)
{
	if (w->torn) {
		bool torn = false;
		int e = aipm_write_whole(w->fd, "\n", 1, &torn);
		if (e < 0)
			return e;
		w->torn = false;
	}
	return aipm_write_whole(w->fd, data, n, &w->torn);
}

/* Drop the oldest line that may be dropped. */
static bool drop_one(struct aipm_writer *w)
{
	char *start = w->held.data + w->keep;
	size_t avail = w->held.len - w->keep;
	char *nl = avail ? memchr(start, '\n', avail) : NULL;
	if (!nl)
		return false;
	size_t n = (size_t)(nl - start) + 1;
	memmove(start, start + n, avail - n);
	w->held.len -= n;
	w->nheld--;
	w->dropped++;
	return true;
}

static void hold(struct aipm_writer *w, const char *data, size_t n, bool keep)
{
	while (w->held.len + n > AIPM_WRITER_HOLD_MAX && drop_one(w))
		;
	if (w->held.len + n > AIPM_WRITER_HOLD_MAX) {
		w->dropped++;
		return;
	}
	aipm_buf_put(&w->held, data, n);
	if (w->held.oom) { /* keep what was held before; this line is lost */
		w->held.oom = false;
		w->dropped++;
		return;
	}
	w->nheld++;
	if (keep)
		w->keep = w->held.len;
}

/* Write the held lines, oldest first, as far as the disk takes them. */
static int flush(struct aipm_writer *w)
{
	size_t off = 0;
	int e = 0;
	while (off < w->held.len) {
		const char *nl = memchr(w->held.data + off, '\n', w->held.len - off);
		size_t n = (size_t)(nl - (w->held.data + off)) + 1;
		if ((e = put(w, w->held.data + off, n)) < 0)
			break;
		off += n;
		w->nheld--;
	}
	memmove(w->held.data, w->held.data + off, w->held.len - off);
	w->held.len -= off;
	w->keep = w->keep > off ? w->keep - off : 0;
	return e;
}

static int submit(struct aipm_writer *w, const char *data, size_t n, bool keep)
{
	int e = w->held.len ? flush(w) : 0;
	if (!e)
		e = put(w, data, n);
	if (!e)
		return 0;
	hold(w, data, n, keep);
	return aipm_err(e, "cannot write %s/%s: %s", aipm_outdir_path(w->dir), pm_name, strerror(-e));
}

/* A killed run leaves its last segment without the END line, perhaps with
 * half a line: end that line and the segment, so the new segment is never
 * merged into the killed one. */
static int close_open_segment(struct aipm_writer *w, bool *closed)
{
	char tail[4096];
	off_t end = lseek(w->fd, 0, SEEK_END);
	if (end <= 0)
		return 0;
	size_t n = end < (off_t)sizeof tail ? (size_t)end : sizeof tail;
	ssize_t got = pread(w->fd, tail, n, end - (off_t)n);
	if (got != (ssize_t)n)
		return aipm_err(got < 0 ? -errno : -EIO, "cannot read %s/%s to append to it", aipm_outdir_path(w->dir),
				pm_name);
	bool cut = tail[n - 1] != '\n';
	size_t e = n;
	while (!cut && e > 0 && (tail[e - 1] == '\n' || tail[e - 1] == ' ' || tail[e - 1] == '\r'))
		e--; /* the last line that holds something */
	size_t b = e;
	while (b > 0 && tail[b - 1] != '\n')
		b--;
	const size_t mlen = sizeof segment_end - 2;
	if (!cut && e - b == mlen && !memcmp(tail + b, segment_end, mlen))
		return 0;
	if (!cut && e == 0)
		return 0; /* only blank lines */
	*closed = true;
	char fix[sizeof segment_end + 1];
	size_t k = 0;
	if (cut)
		fix[k++] = '\n';
	memcpy(fix + k, segment_end, sizeof segment_end - 1);
	k += sizeof segment_end - 1;
	int r = submit(w, fix, k, true);
	return r == -ENOSPC || r == -EDQUOT ? 0 : r; /* held: written when space returns */
}

int aipm_writer_open(struct aipm_writer **out, struct aipm_outdir *dir, bool append, bool *replaced,
		     bool *closed_open)
{
	bool exists, closed = false;
	int r = aipm_outdir_check(dir, pm_name, &exists);
	if (r < 0)
		return r;
	struct aipm_writer *w = calloc(1, sizeof *w);
	if (!w)
		return aipm_err(-ENOMEM, "out of memory");
	w->dir = aipm_outdir_ref(dir);
	if (append) {
		bool existed;
		w->fd = aipm_outdir_append(dir, pm_name, &existed);
		snprintf(w->name, sizeof w->name, "%s", pm_name);
	} else {
		/* Staged beside the old file, replacing it at commit once the
		 * command has started: unnamed where the filesystem allows it, so
		 * a run killed before that leaves nothing behind. */
		w->staged = true;
		w->fd = aipm_outdir_create_unnamed(dir);
		if (w->fd < 0)
			w->fd = aipm_outdir_create_temp(dir, pm_name, w->name, sizeof w->name);
	}
	if (w->fd < 0) {
		r = w->fd;
		aipm_outdir_unref(w->dir);
		free(w);
		return r;
	}
	if (append && (r = close_open_segment(w, &closed)) < 0) {
		aipm_writer_close(w);
		return r;
	}
	w->base = lseek(w->fd, 0, SEEK_END);
	if (replaced)
		*replaced = !append && exists;
	if (closed_open)
		*closed_open = closed;
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
	aipm_writer_format_cpu_estimate(b, s);
	aipm_writer_format_gpu(b, s);
	format_sensors(b, s);
	aipm_buf_puts(b, "}}");
}

int aipm_writer_write(struct aipm_writer *w, const struct aipm_snapshot *s)
{
	aipm_writer_format(&w->line, s);
	aipm_buf_put(&w->line, "\n", 1);
	if (w->line.oom) {
		w->line.oom = false;
		w->dropped++;
		return aipm_err(-ENOMEM, "out of memory formatting a line of %s/%s", aipm_outdir_path(w->dir),
				pm_name);
	}
	return submit(w, w->line.data, w->line.len, w->lines++ == 0);
}

int aipm_writer_end_segment(struct aipm_writer *w)
{
	return submit(w, segment_end, sizeof segment_end - 1, false);
}

int aipm_writer_commit(struct aipm_writer *w)
{
	if (w->committed)
		return 0;
	if (w->staged) {
		int e = w->name[0] ? aipm_outdir_rename(w->dir, w->name, pm_name)
				   : aipm_outdir_name(w->dir, w->fd, pm_name);
		if (e < 0)
			return e;
		snprintf(w->name, sizeof w->name, "%s", pm_name);
	}
	w->committed = true;
	return 0;
}

void aipm_writer_held(const struct aipm_writer *w, size_t *held, uint64_t *dropped)
{
	*held = w->nheld;
	*dropped = w->dropped;
}

void aipm_writer_close(struct aipm_writer *w)
{
	if (!w)
		return;
	if (!w->committed && w->staged && w->name[0])
		aipm_outdir_remove(w->dir, w->name);
	else if (!w->committed && ftruncate(w->fd, w->base) < 0) { /* nothing more to undo with */
	}
	if (w->committed)
		fsync(w->fd);
	close(w->fd);
	aipm_buf_free(&w->line);
	aipm_buf_free(&w->held);
	aipm_outdir_unref(w->dir);
	free(w);
}
