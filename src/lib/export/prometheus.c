/* prometheus.c: snapshot -> Prometheus text format 0.0.4.
 *
 * The view at the end of the pipeline for `aipm serve`: it reads a derived
 * snapshot and writes text, nothing else (no sockets, no locks, no clock).
 * Naming follows Prometheus practice: base units in the name (joules,
 * watts, bytes, celsius, ratio), energy as `_joules_total` counters that
 * never go back (the snapshot's energy_j is cumulative since `aipm serve`
 * started and already absorbs RAPL wraps and NVML resets), power and the
 * rest as gauges. AIPowerMeter's five unprefixed gauges follow so existing
 * dashboards keep working.
 *
 * Invariants the tests pin: every family's HELP and TYPE appear once,
 * before its samples, and only when it has at least one sample; each
 * family's samples are contiguous; an unread value has no series (never 0,
 * never NaN); the text ends with a newline; no timestamps (Prometheus
 * stamps the scrape).
 */
#include "export/prometheus.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

/* A metric family whose header is written lazily, before its first
 * sample, so an empty family leaves no trace. */
struct fam {
	const char *name, *type, *help;
	bool started;
};

void aipm_prom_value(struct aipm_buf *b, double v)
{
	if (isnan(v))
		aipm_buf_puts(b, "NaN");
	else if (isinf(v))
		aipm_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else
		aipm_buf_double(b, v); /* C locale whatever LC_NUMERIC says */
}

/* Length of the valid UTF-8 sequence at s, or 0 if the byte at s does not
 * start one (overlong forms, surrogates and > U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp, min;
	if ((c & 0xe0) == 0xc0) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void aipm_prom_label_value(struct aipm_buf *b, const char *s)
{
	aipm_buf_put(b, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0) {
			aipm_buf_put(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			p++;
		} else if (*p == '\\') {
			aipm_buf_put(b, "\\\\", 2), p++;
		} else if (*p == '"') {
			aipm_buf_put(b, "\\\"", 2), p++;
		} else if (*p == '\n') {
			aipm_buf_put(b, "\\n", 2), p++;
		} else {
			aipm_buf_put(b, (const char *)p, n);
			p += n;
		}
	}
	aipm_buf_put(b, "\"", 1);
}

/* Start one sample line of family f: header if first, then the name. */
static void begin(struct aipm_buf *b, struct fam *f)
{
	if (!f->started) {
		/* HELP text escapes only \ and newline; ours are constants
		 * without either. */
		aipm_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		f->started = true;
	}
	aipm_buf_puts(b, f->name);
}

/* Labels are written as {k="v",k="v"}; pass pairs, NULL-terminated. An
 * empty or NULL value means "no such label" in Prometheus: skip it. */
static void labels(struct aipm_buf *b, const char *const *kv)
{
	bool first = true;
	for (; kv[0]; kv += 2) {
		if (!kv[1] || !kv[1][0])
			continue;
		aipm_buf_puts(b, first ? "{" : ",");
		first = false;
		aipm_buf_puts(b, kv[0]);
		aipm_buf_put(b, "=", 1);
		aipm_prom_label_value(b, kv[1]);
	}
	if (!first)
		aipm_buf_put(b, "}", 1);
}

static void end(struct aipm_buf *b, double v)
{
	aipm_buf_put(b, " ", 1);
	aipm_prom_value(b, v);
	aipm_buf_put(b, "\n", 1);
}

static void sample(struct aipm_buf *b, struct fam *f, const char *const *kv, double v)
{
	begin(b, f);
	if (kv)
		labels(b, kv);
	end(b, v);
}

static void availability(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	struct fam up = {"aipm_up", "gauge", "1 when aipm serve has a sample to show.", false};
	sample(b, &up, NULL, 1);
	/* A source is up when it is available and its sample() succeeded in
	 * the latest sample (the sampler records that for every source): the
	 * way to tell "no RAPL here" from "0 W" on a dashboard. */
	struct fam src = {"aipm_source_up", "gauge",
			  "1 when the source answered in the latest sample, 0 when absent or unreadable "
			  "(run `aipm probe` on the node for the reason and the fix).",
			  false};
	for (size_t i = 0; i < s->cat->nsources; i++)
		sample(b, &src, (const char *const[]){"source", s->cat->sources[i], NULL}, s->source_ok[i] ? 1 : 0);
	struct fam n = {"aipm_samples_total", "counter", "Samples taken since aipm serve started.", false};
	sample(b, &n, NULL, (double)(s->seq + 1));
	struct fam ts = {"aipm_last_sample_timestamp_seconds", "gauge",
			 "Unix time of the latest sample (a stale exporter shows here).", false};
	sample(b, &ts, NULL, aipm_ts_to_s(&s->real));
}

/* Powers exist only from the second sample on (they are interval values). */
static bool have_interval(const struct aipm_snapshot *s) { return s->seq > 0 && s->interval_s > 0; }

static void rapl(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	const struct aipm_catalog *c = s->cat;
	struct fam e = {"aipm_rapl_energy_joules_total", "counter",
			"Energy of the RAPL zone since aipm serve started, joules (rate() gives watts).", false};
	struct fam p = {"aipm_rapl_power_watts", "gauge", "Power of the RAPL zone over the latest sampling interval, watts.",
			false};
	/* Two passes: each family's samples must be contiguous. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->ndomains; i++) {
			const struct aipm_domain *d = &c->domains[i];
			const struct aipm_domain_value *z = &s->domains[i];
			if (!z->valid)
				continue;
			char sock[16] = "";
			if (d->socket >= 0)
				aipm_fmt_double(sock, sizeof sock, d->socket);
			const char *kv[] = {"zone", d->name, "kind", aipm_domain_kind_name(d->kind), "socket", sock, NULL};
			if (pass == 0 && isfinite(z->energy_j))
				sample(b, &e, kv, z->energy_j);
			else if (pass == 1 && have_interval(s) && isfinite(z->power_w))
				sample(b, &p, kv, z->power_w);
		}
	}
}

/* The CPU estimate (where no CPU energy is measured): a model, so under
 * names of its own, never aipm_rapl_* or intel_power; each value with its
 * bounds as separate families (a bound label would let sum() add the
 * bounds to the estimate), every series labelled with the method, and an
 * info series naming the table row. The energy counters are the machine's
 * since aipm serve started. */
/* A value and its two bounds, each its own family. */
static void bounded(struct aipm_buf *b, struct fam f[3], const char *const *kv, double v, double low, double high)
{
	sample(b, &f[0], kv, v);
	sample(b, &f[1], kv, low);
	sample(b, &f[2], kv, high);
}

static void cpu_estimate(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	const struct aipm_cpu_estimate_entry *ce = s->cat->cpu_estimate;
	if (!ce)
		return;
	const struct aipm_cpu_power_model *m = &ce->model;
	const struct aipm_cpu_estimate *e = &s->cpu_est.est;
	const char *method = aipm_est_method_name(m->method);
	const struct aipm_est_table_info *t = aipm_est_table_info(m->table);
	char row[16];
	aipm_fmt_double(row, sizeof row, m->row);
	struct fam info = {"aipm_cpu_estimate_info", "gauge",
			   "1: CPU energy is not measured here and aipm_cpu_estimated_* are a model's estimate; the "
			   "labels name the method and the table row (docs/estimate.md).",
			   false};
	sample(b, &info,
	       (const char *const[]){"method", method, "table", t ? t->name : "", "row", m->row ? row : "", "arch",
				     m->arch, NULL},
	       1);
	const char *kv[] = {"method", method, NULL};
	if (have_interval(s) && isfinite(s->cpu_est.load)) {
		struct fam l = {"aipm_cpu_estimate_load_ratio", "gauge",
				"Busy CPU time over total CPU time (steal left out) in the latest interval: the load "
				"the CPU estimate used, 0..1.", false};
		sample(b, &l, kv, s->cpu_est.load);
	}
	if (have_interval(s) && isfinite(e->power.w)) {
		struct fam p[3] = {
			{"aipm_cpu_estimated_power_watts", "gauge",
			 "Estimated CPU power over the latest interval, watts (a model, not a measurement).", false},
			{"aipm_cpu_estimated_power_low_watts", "gauge", "Low bound of the estimated CPU power, watts.", false},
			{"aipm_cpu_estimated_power_high_watts", "gauge", "High bound of the estimated CPU power, watts.", false},
		};
		bounded(b, p, kv, e->power.w, e->power.low_w, e->power.high_w);
	}
	struct fam en[3] = {
		{"aipm_cpu_estimated_energy_joules_total", "counter",
		 "Estimated CPU energy since aipm serve started, joules (a model, not a measurement).", false},
		{"aipm_cpu_estimated_energy_low_joules_total", "counter",
		 "Low bound of the estimated CPU energy since aipm serve started, joules.", false},
		{"aipm_cpu_estimated_energy_high_joules_total", "counter",
		 "High bound of the estimated CPU energy since aipm serve started, joules.", false},
	};
	bounded(b, en, kv, e->energy.j, e->energy.low_j, e->energy.high_j);
}

/* GPU families in one table: the validity bit a value needs, and how to
 * read it. Families come out in this order, each contiguous. */
enum gpu_val { G_ENERGY, G_POWER, G_UTIL, G_MEMUTIL, G_MEMUSED, G_MEMTOTAL, G_TEMP, G_LIMIT };
static const struct {
	enum gpu_val v;
	unsigned bit;
	struct fam fam;
} gpu_fams[] = {
	{G_ENERGY, AIPM_GPU_ENERGY,
	 {"aipm_gpu_energy_joules_total", "counter", "Energy of the GPU since aipm serve started, joules.", false}},
	{G_POWER, AIPM_GPU_POWER, {"aipm_gpu_power_watts", "gauge", "Power draw of the GPU, watts.", false}},
	{G_UTIL, AIPM_GPU_UTIL,
	 {"aipm_gpu_utilization_ratio", "gauge", "Fraction of time the GPU computed (NVML SM utilisation, AMD SMI GFX activity), 0..1.",
	  false}},
	{G_MEMUTIL, AIPM_GPU_MEM_UTIL,
	 {"aipm_gpu_memory_utilization_ratio", "gauge", "Fraction of time GPU memory was read or written, 0..1.", false}},
	{G_MEMUSED, AIPM_GPU_MEM, {"aipm_gpu_memory_used_bytes", "gauge", "GPU memory in use, bytes.", false}},
	{G_MEMTOTAL, AIPM_GPU_MEM, {"aipm_gpu_memory_total_bytes", "gauge", "GPU memory installed, bytes.", false}},
	{G_TEMP, AIPM_GPU_TEMP, {"aipm_gpu_temperature_celsius", "gauge", "GPU temperature, degrees Celsius.", false}},
	{G_LIMIT, AIPM_GPU_LIMIT, {"aipm_gpu_power_limit_watts", "gauge", "GPU power limit, watts.", false}},
};

static double gpu_value(const struct aipm_gpu_value *g, enum gpu_val v)
{
	switch (v) {
	case G_ENERGY: return g->energy_j;
	case G_POWER: return g->power_w;
	case G_UTIL: return g->sm_util / 100.0;
	case G_MEMUTIL: return g->mem_util / 100.0;
	case G_MEMUSED: return (double)g->mem_used_bytes;
	case G_MEMTOTAL: return (double)g->mem_total_bytes;
	case G_TEMP: return g->temp_c;
	case G_LIMIT: return g->power_limit_w;
	}
	return NAN;
}

static void gpus(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	const struct aipm_catalog *c = s->cat;
	for (size_t f = 0; f < AIPM_ARRAY_SIZE(gpu_fams); f++) {
		struct fam fam = gpu_fams[f].fam;
		for (size_t i = 0; i < c->ndevices; i++) {
			const struct aipm_device *d = &c->devices[i];
			const struct aipm_gpu_value *g = &s->gpus[i];
			if (!g->valid || !(g->fields & gpu_fams[f].bit))
				continue;
			double v = gpu_value(g, gpu_fams[f].v);
			if (!isfinite(v))
				continue;
			char idx[16];
			aipm_fmt_double(idx, sizeof idx, d->index);
			/* gpu="0" of two vendors are two GPUs: vendor tells them apart. */
			sample(b, &fam,
			       (const char *const[]){"vendor", d->vendor, "gpu", idx, "name", d->name, "uuid", d->uuid, NULL},
			       v);
		}
	}
}

static void machine(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	if (s->meminfo_valid) {
		struct fam used = {"aipm_memory_used_bytes", "gauge",
				   "Memory in use on the machine (MemTotal - MemAvailable), bytes.", false};
		struct fam total = {"aipm_memory_total_bytes", "gauge", "Memory installed (MemTotal), bytes.", false};
		uint64_t avail = s->mem_available_bytes < s->mem_total_bytes ? s->mem_available_bytes : s->mem_total_bytes;
		sample(b, &used, NULL, (double)(s->mem_total_bytes - avail));
		sample(b, &total, NULL, (double)s->mem_total_bytes);
	}
	/* An unreadable sensor has no series (never 0, never NaN). */
	struct fam t = {"aipm_temperature_celsius", "gauge", "Temperature of a hwmon or thermal-zone sensor, degrees Celsius.",
			false};
	for (size_t i = 0; i < s->cat->nsensors; i++)
		if (s->sensors[i].valid && isfinite(s->sensors[i].value))
			sample(b, &t, (const char *const[]){"sensor", s->cat->sensors[i].name, NULL}, s->sensors[i].value);
}

static void processes(struct aipm_buf *b, const struct aipm_prom_input *in)
{
	if (!in->procs_enabled)
		return;
	struct fam p = {"aipm_process_power_watts", "gauge",
			"Package power attributed to the process by its share of busy CPU time, watts (top N).", false};
	struct fam c = {"aipm_process_cpu_ratio", "gauge",
			"The process's share of the machine's busy CPU time over the latest interval, 0..1 (top N).", false};
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < in->nprocs; i++) {
			const struct aipm_prom_proc *q = &in->procs[i];
			char pid[24];
			aipm_fmt_double(pid, sizeof pid, q->pid);
			const char *kv[] = {"pid", pid, "comm", q->comm, NULL};
			if (pass == 0 && isfinite(q->power_w))
				sample(b, &p, kv, q->power_w);
			else if (pass == 1 && isfinite(q->cpu_share))
				sample(b, &c, kv, q->cpu_share);
		}
	}
}

size_t aipm_prom_top_procs(const struct aipm_snapshot *s, struct aipm_prom_proc *out, size_t n)
{
	if (!n || !s->tree_valid)
		return 0;
	double pkg_w = NAN;
	if (!(have_interval(s) && aipm_snapshot_kind_power(s, AIPM_DOMAIN_PACKAGE, &pkg_w)))
		pkg_w = NAN;
	/* Power is share x one number, so ranking by share is ranking by
	 * power, with or without RAPL. An idle process is not a top one:
	 * listing zeros would only churn series among thousands of sleepers.
	 * Bounded insertion: a handful of processes use CPU in one interval,
	 * so this is one pass over procs. procs is sorted by pid and only a
	 * strictly larger share moves up, so ties keep the lower pid first. */
	size_t k = 0;
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct aipm_proc *p = &s->procs[i];
		if (!(p->cpu_share > 0) || (k == n && !(p->cpu_share > out[n - 1].cpu_share)))
			continue;
		size_t j = k < n ? k++ : n - 1;
		while (j > 0 && p->cpu_share > out[j - 1].cpu_share) {
			out[j] = out[j - 1];
			j--;
		}
		out[j].pid = p->pid;
		memcpy(out[j].comm, p->comm, sizeof out[j].comm);
		out[j].comm[sizeof out[j].comm - 1] = '\0';
		out[j].cpu_share = p->cpu_share;
		out[j].power_w = isfinite(pkg_w) ? p->cpu_share * pkg_w : NAN;
	}
	return k;
}

/* AIPowerMeter's Flask exporter gauges, same names and meaning, so its
 * Grafana dashboards keep working. It measured one process tree; a whole
 * machine stands in for it here (mem_used_cpu is the machine's used
 * memory, mem_used_gpu the GPUs' used memory). */
static void legacy(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	double w;
	if (have_interval(s)) {
		struct fam f1 = {"intel_power", "gauge", "AIPowerMeter name: total RAPL package power, watts.", false};
		if (aipm_snapshot_kind_power(s, AIPM_DOMAIN_PACKAGE, &w) && isfinite(w))
			sample(b, &f1, NULL, w);
		struct fam f2 = {"power_draw_cpu", "gauge", "AIPowerMeter name: RAPL core (power plane 0) power, watts.",
				 false};
		if (aipm_snapshot_kind_power(s, AIPM_DOMAIN_CORE, &w) && isfinite(w))
			sample(b, &f2, NULL, w);
	}
	if (s->meminfo_valid && s->mem_available_bytes <= s->mem_total_bytes) {
		struct fam f = {"mem_used_cpu", "gauge", "AIPowerMeter name: memory in use, bytes.", false};
		sample(b, &f, NULL, (double)(s->mem_total_bytes - s->mem_available_bytes));
	}
	double mem = 0, pw = 0;
	bool have_mem = false, have_pw = false;
	for (size_t i = 0; i < s->cat->ndevices; i++) {
		const struct aipm_gpu_value *g = &s->gpus[i];
		if (!g->valid)
			continue;
		if (g->fields & AIPM_GPU_MEM)
			mem += (double)g->mem_used_bytes, have_mem = true;
		if ((g->fields & AIPM_GPU_POWER) && isfinite(g->power_w))
			pw += g->power_w, have_pw = true;
	}
	struct fam fm = {"mem_used_gpu", "gauge", "AIPowerMeter name: memory in use on all GPUs, bytes.", false};
	struct fam fp = {"power_draw_gpu", "gauge", "AIPowerMeter name: power draw of all GPUs, watts.", false};
	if (have_mem)
		sample(b, &fm, NULL, mem);
	if (have_pw)
		sample(b, &fp, NULL, pw);
}

int aipm_prom_render(struct aipm_buf *out, const struct aipm_prom_input *in)
{
	const struct aipm_snapshot *s = in->snap;
	availability(out, s);
	rapl(out, s);
	cpu_estimate(out, s);
	gpus(out, s);
	machine(out, s);
	processes(out, in);
	legacy(out, s);
	if (out->oom)
		return aipm_err(-ENOMEM, "out of memory writing the Prometheus exposition");
	return 0;
}
