/* writer_estimate.c: the "cpu_estimate" section of a power_metrics.json
 * line, on machines that measure no CPU energy (docs/estimate.md).
 *
 * An estimate is a model, not a measurement, so it never goes under the
 * keys a reader takes for measured CPU energy (metrics.cpu's intel_power,
 * per_zone_energy, attributed_energy: AIPowerMeter's loader sums those).
 * It has a section of its own beside "cpu", whose every number carries its
 * bounds and whose "method" names the rule that made it; metadata.json
 * (the cpu_estimate source's details) says which table row, the identity
 * found and the tables' versions.
 *
 *   "cpu_estimate": {"method": "microarch_table", "load": 0.52,
 *     "power_w": 19.0, "power_low_w": 6.3, "power_high_w": 27.1,
 *     "energy_j": ..., "energy_low_j": ..., "energy_high_j": ...,
 *     "attributed_j": ..., "attributed_low_j": ..., "attributed_high_j": ...}
 *
 * load and power_* are the last interval's, present only when it was
 * estimated; energy_* (machine) and attributed_* (the experiment's share)
 * are cumulative since the segment's first sample and never go back;
 * attributed_* only when the process tree was read, as for measured
 * energy. It reads the snapshot and its catalog, nothing else.
 */
#include <math.h>

#include "record/format.h"
#include "writer.h"

static void put(struct aipm_buf *b, const char *k, double v)
{
	if (!isfinite(v))
		return;
	aipm_buf_puts(b, ", ");
	aipm_buf_json_str(b, k);
	aipm_buf_puts(b, ": ");
	aipm_buf_double(b, v);
}

/* Each value with its bounds, under constant keys (no formatting of names
 * per line: the writer runs at every sample). */
enum { POWER, ENERGY, ATTRIBUTED };
static const char *const keys[][3] = {
	[POWER] = {AIPM_KEYS_EST_W},
	[ENERGY] = {AIPM_KEY_EST_J, AIPM_KEY_EST_J_LOW, AIPM_KEY_EST_J_HIGH},
	[ATTRIBUTED] = {AIPM_KEY_EST_ATT_J, AIPM_KEY_EST_ATT_J_LOW, AIPM_KEY_EST_ATT_J_HIGH},
};

static void band(struct aipm_buf *b, int which, double v, double low, double high)
{
	put(b, keys[which][0], v);
	put(b, keys[which][1], low);
	put(b, keys[which][2], high);
}

void aipm_writer_format_cpu_estimate(struct aipm_buf *b, const struct aipm_snapshot *s)
{
	const struct aipm_cpu_estimate_entry *ce = s->cat->cpu_estimate;
	if (!ce)
		return;
	const struct aipm_cpu_estimate *e = &s->cpu_est.est;
	aipm_buf_puts(b, ", \"" AIPM_SECTION_CPU_ESTIMATE "\": {\"" AIPM_KEY_EST_METHOD "\": ");
	aipm_buf_json_str(b, aipm_est_method_name(ce->model.method));
	put(b, AIPM_KEY_EST_LOAD, s->cpu_est.load);
	band(b, POWER, e->power.w, e->power.low_w, e->power.high_w);
	band(b, ENERGY, e->energy.j, e->energy.low_j, e->energy.high_j);
	if (s->tree_valid)
		band(b, ATTRIBUTED, e->attributed.j, e->attributed.low_j, e->attributed.high_j);
	aipm_buf_puts(b, "}");
}
