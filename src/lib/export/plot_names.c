/* plot_names.c: a recording's field names (flatten.h) for people, with
 * the unit, the drawing style and the summary total each one is, and the
 * words of a legend.
 *
 * The names are the recording's (AIPowerMeter's and aipm's, docs/
 * recording.md); what a field is follows from its name, so a field added
 * later still gets a unit by the same rules and, at worst, its own name as
 * its label: a series is never drawn unnamed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/out.h"
#include "analysis/summary_out.h"
#include "plot_data.h"

static const char *const fixed[][2] = {
	{"intel_power", "CPU packages"},
	{"total_cpu_power", "cores"},
	{"uncore_power", "uncore"},
	{"total_dram_power", "DRAM"},
	{"psys_power", "psys"},
	{"rel_intel_power", "the experiment's CPU power"},
	{"nvidia_draw_absolute", "all NVIDIA GPUs"},
	{"nvidia_attributable_power", "the experiment's NVIDIA GPU power"},
	{"nvidia_power", "NVIDIA GPUs' power"},
	{"nvidia_memory", "NVIDIA GPUs' memory"},
	{"nvidia_use_rate", "NVIDIA GPUs' use"},
	{"experiment_mem_pss", "the experiment's PSS"},
	{"experiment_mem_uss", "the experiment's USS"},
	{"total_mem_use", "memory used on the machine"},
	{"cpu_time", "the experiment's CPU time"},
	{"attributed_energy.cpu", "the experiment's CPU energy"},
	{"attributed_energy.dram", "the experiment's DRAM energy"},
	{"cpu_estimate.power_w", "CPU estimate"},
	{"cpu_estimate.power_low_w", "CPU estimate, low bound"},
	{"cpu_estimate.power_high_w", "CPU estimate, high bound"},
	{"cpu_estimate.load", "CPU load (the estimate's input)"},
	{"cpu_estimate.energy_j", "CPU estimate, energy"},
	{"cpu_estimate.attributed_j", "CPU estimate, the experiment's energy"},
};

/* per_gpu_<what> and per_process_<what>, for people. */
static const char *const gpu_what[][2] = {
	{"power_draw", ""},
	{"power_limit", "power limit"},
	{"power", ""},
	{"use_rate", "use"},
	{"absolute_percent_usage", "use"},
	{"memory", "memory"},
	{"attributable_mem_use", "memory of pid"},
	{"per_pid_utilization_absolute", "use by pid"},
	{"estimated_attributable_utilization", "the experiment's share"},
	{"attributable_power", "the experiment's power"},
	{"attributed_energy", "the experiment's energy"},
	{"energy_integrated", "energy integrated from power"},
	{"energy", "energy"},
	{"temperature", "temperature"},
};
static const char *const proc_what[][2] = {
	{"per_process_cpu_power", "CPU power"},
	{"per_process_dram_power", "DRAM power"},
	{"per_process_cpu_uses", "CPU share"},
	{"per_process_mem_use_abs", "PSS"},
	{"per_process_mem_use_uss", "USS"},
	{"per_process_mem_use_percent", "memory share"},
	{"absolute_cpu_time_per_pid", "CPU time"},
};

/* "amd_gpu.per_gpu_use_rate.1" -> vendor "amd", rest "per_gpu_use_rate.1";
 * "per_gpu_use_rate.1" (the "gpu" section) -> "nvidia". */
static const char *gpu_field(const char *name, char *vendor, size_t vn)
{
	const char *d = strchr(name, '.');
	if (d && d - name > 4 && !strncmp(d - 4, "_gpu", 4)) {
		snprintf(vendor, vn, "%.*s", (int)(d - 4 - name), name);
		return d + 1;
	}
	snprintf(vendor, vn, "%s", AIPM_GPU_VENDOR_NVIDIA);
	return name;
}

static bool has(const char *s, const char *w) { return strstr(s, w) != NULL; }

void plot_field_of(const char *name, struct plot_field *f)
{
	*f = (struct plot_field){.unit = "value", .style = PLOT_LINE, .scale = 1, .total = -1};
	if (has(name, "temperature")) {
		f->unit = "°C";
	} else if (has(name, "energy_integrated")) {
		f->unit = "value";
	} else if (has(name, "estimated_attributable_utilization") || has(name, "cpu_uses") || has(name, "share") ||
		   has(name, "cpu_estimate.load")) {
		f->unit = "fraction";
		f->style = PLOT_STEP; /* a share of the interval's CPU or GPU time */
	} else if (has(name, "mem_use_percent")) {
		f->unit = "fraction";
	} else if (has(name, "percent") || has(name, "use_rate") || has(name, "usage") || has(name, "utilization")) {
		f->unit = "%";
		f->style = PLOT_STEP; /* NVML's and AMD SMI's use is over their last period */
	} else if (has(name, "energy") || has(name, "attributed_j") || has(name, "cpu_estimate.energy")) {
		f->unit = "J";
	} else if (has(name, "power_limit")) {
		f->unit = "W";
	} else if (has(name, "power") || has(name, "draw")) {
		f->unit = "W";
		f->style = PLOT_STEP;
	} else if (has(name, "mem")) {
		f->unit = "MiB";
		f->scale = 1.0 / 1048576;
	} else if (has(name, "cpu_time")) {
		f->unit = "s";
	}
	static const struct {
		const char *key;
		enum aipm_total t;
	} totals[] = {{"intel_power", AIPM_TOTAL_CPU},       {"total_cpu_power", AIPM_TOTAL_CORE},
		      {"uncore_power", AIPM_TOTAL_UNCORE},    {"total_dram_power", AIPM_TOTAL_DRAM},
		      {"psys_power", AIPM_TOTAL_PSYS},        {"nvidia_draw_absolute", AIPM_TOTAL_GPU}};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(totals); i++)
		if (!strcmp(name, totals[i].key))
			f->total = (int)totals[i].t;
	f->zone_power = !strncmp(name, "per_zone_power.", 15);
	char vendor[AIPM_FORMAT_VENDOR_MAX + 1];
	const char *key = gpu_field(name, vendor, sizeof vendor);
	f->gpu_power = !strncmp(key, "per_gpu_power_draw.", 19) || !strncmp(key, "per_gpu_power.", 14);
}

int plot_summary_gpu(const struct aipm_summary *s, const char *vendor, long index)
{
	for (int i = 0; s && i < s->ngpus; i++)
		if (s->gpus[i].index == index && !strcmp(s->gpus[i].vendor, vendor))
			return i;
	return -1;
}

static void gpu_label(const char *name, const struct aipm_summary *s, char *out, size_t n)
{
	char vendor[AIPM_FORMAT_VENDOR_MAX + 1], who[256];
	const char *f = gpu_field(name, vendor, sizeof vendor) + 8; /* past "per_gpu_" */
	const char *what = f;
	size_t wl = strcspn(f, ".");
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(gpu_what); i++)
		if (strlen(gpu_what[i][0]) == wl && !strncmp(f, gpu_what[i][0], wl)) {
			what = gpu_what[i][1];
			break;
		}
	if (what == f) { /* a field this aipm does not know: its own name */
		snprintf(out, n, "%s", name);
		return;
	}
	const char *idx = f + wl + (f[wl] == '.');
	long index = strtol(idx, NULL, 10);
	const char *pid = strchr(idx, '.');
	int g = plot_summary_gpu(s, vendor, index);
	bool several = false;
	for (int i = 0; s && i < s->ngpus; i++)
		several |= strcmp(s->gpus[i].vendor, vendor) != 0;
	if (!strcmp(idx, "all"))
		snprintf(who, sizeof who, "all %s GPUs", aipm_vendor_label(vendor));
	else
		aipm_gpu_label_for(vendor, index, g >= 0 ? s->gpus[g].name : NULL, several, who, sizeof who);
	snprintf(out, n, "%s%s%s%s%s", who, what[0] ? " " : "", what, pid ? " " : "", pid ? pid + 1 : "");
}

void plot_field_label(const char *name, const struct aipm_summary *s, char *out, size_t n)
{
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(fixed); i++)
		if (!strcmp(name, fixed[i][0])) {
			snprintf(out, n, "%s", fixed[i][1]);
			return;
		}
	char zone[192];
	if (!strncmp(name, "per_zone_power.", 15) || !strncmp(name, "per_zone_energy.", 16)) {
		bool energy = name[9] == 'e';
		aipm_zone_label(strchr(name, '.') + 1, zone, sizeof zone);
		snprintf(out, n, "%s%s", zone, energy ? " energy" : "");
		return;
	}
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(proc_what); i++) {
		size_t l = strlen(proc_what[i][0]);
		if (!strncmp(name, proc_what[i][0], l) && name[l] == '.') {
			snprintf(out, n, "pid %s %s", name + l + 1, proc_what[i][1]);
			return;
		}
	}
	char vendor[AIPM_FORMAT_VENDOR_MAX + 1];
	if (!strncmp(gpu_field(name, vendor, sizeof vendor), "per_gpu_", 8)) {
		gpu_label(name, s, out, n);
		return;
	}
	if (!strncmp(name, "temperature.", 12)) {
		snprintf(out, n, "%s", name + 12); /* the sensor's own name */
		return;
	}
	snprintf(out, n, "%s", name);
}

void plot_energy_str(double j, char *out, size_t n)
{
	struct aipm_buf b = {0};
	if (j >= 1e7)
		aipm_buf_cprintf(&b, "%.2f MJ", j / 1e6);
	else if (j >= 1e4)
		aipm_buf_cprintf(&b, "%.1f kJ", j / 1e3);
	else
		aipm_buf_cprintf(&b, "%.1f J", j);
	snprintf(out, n, "%s", b.data ? b.data : "?");
	aipm_buf_free(&b);
}

void plot_legend_energy(struct plot_series *s, double j, double dur, const char *extra)
{
	char e[64];
	struct aipm_buf b = {0};
	plot_energy_str(j, e, sizeof e);
	aipm_buf_cprintf(&b, "%s", e);
	if (dur > 0)
		aipm_buf_cprintf(&b, ", mean %.1f W", j / dur);
	if (extra)
		aipm_buf_cprintf(&b, "%s", extra);
	snprintf(s->legend, sizeof s->legend, "%s", b.data ? b.data : "");
	aipm_buf_free(&b);
}

/* "10.0 GiB", "12.5 W", "0.43": a value as people read it. */
static void value_str(double v, const char *unit, char *out, size_t n)
{
	if (!strcmp(unit, "MiB")) {
		aipm_bytes_h(out, n, v * 1048576);
		return;
	}
	bool bare = !strcmp(unit, "fraction") || !strcmp(unit, "value");
	struct aipm_buf b = {0};
	aipm_buf_cprintf(&b, fabs(v) >= 1000 ? "%.0f" : "%.3g", v);
	snprintf(out, n, "%s%s%s", b.data ? b.data : "?", bare ? "" : " ", bare ? "" : unit);
	aipm_buf_free(&b);
}

/* A named metric's legend: the report's energy for a power it totals,
 * else its mean and peak. */
void plot_legend_named(struct plot_series *s, const struct aipm_summary *sum)
{
	struct plot_field f;
	plot_field_of(s->key, &f);
	double j = NAN;
	if (f.total >= 0)
		j = sum->total_j[f.total];
	for (int z = 0; f.zone_power && z < sum->nzones; z++)
		if (!strcmp(sum->zones[z].name, strchr(s->key, '.') + 1))
			j = sum->zones[z].energy_j;
	if (f.gpu_power) {
		char vendor[AIPM_FORMAT_VENDOR_MAX + 1] = AIPM_GPU_VENDOR_NVIDIA;
		const char *d = strchr(s->key, '.');
		if (d && d - s->key > 4 && !strncmp(d - 4, "_gpu", 4))
			snprintf(vendor, sizeof vendor, "%.*s", (int)(d - 4 - s->key), s->key);
		int g = plot_summary_gpu(sum, vendor, strtol(strrchr(s->key, '.') + 1, NULL, 10));
		j = g >= 0 ? sum->gpus[g].energy_j : NAN;
	}
	if (!isnan(j)) {
		plot_legend_energy(s, j, sum->duration_s, NULL);
		return;
	}
	char mean[64], peak[64];
	if (s->span > 0) {
		value_str(s->area / s->span, s->unit, mean, sizeof mean);
		value_str(s->peak, s->unit, peak, sizeof peak);
		snprintf(s->legend, sizeof s->legend, "mean %s, peak %s", mean, peak);
	}
}
