/* flatten.h: a recording line as (column name, value) pairs.
 *
 * Shared by the CSV export and the plots, so both name a metric the same
 * way: a field of "cpu" or "gpu" by its own name ("intel_power"), one entry
 * of a per-pid or per-GPU object as "name.key" ("per_process_cpu_uses.1234",
 * "per_gpu_power_draw.0"), any other section prefixed by its name
 * ("temperature.coretemp/Package id 0").
 */
#ifndef AIPM_EXPORT_FLATTEN_H
#define AIPM_EXPORT_FLATTEN_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Called for each leaf (number, string or boolean) of the line's metrics. */
typedef void (*aipm_flatten_fn)(void *ctx, const char *name, const cJSON *leaf);
void aipm_flatten_metrics(const cJSON *root, aipm_flatten_fn fn, void *ctx);

/* Lines of DIR/power_metrics.json, in order, one parse each: fn gets each
 * sample's tree, its time (Unix s: "timestamp", else the local "date") and
 * its segment (0, 1, ...). Blank, corrupt and truncated lines are counted in
 * *skipped. fn returns non-zero to stop. Returns 0 or -errno (message set). */
typedef int (*aipm_sample_fn)(void *ctx, const cJSON *root, double ts, int segment);
int aipm_recording_foreach(const char *dir, aipm_sample_fn fn, void *ctx, long long *skipped);

/* A set of names in first-seen order (columns, series). */
struct aipm_names {
	char **names;
	size_t n, cap;
	size_t *slots; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
};
/* Index of name, adding it when add is true; -1 if absent or out of memory. */
long aipm_names_find(struct aipm_names *s, const char *name, bool add);
void aipm_names_free(struct aipm_names *s);

#endif
