/* flatten.h: a recording line as (column name, value) pairs.
 *
 * Shared by the CSV export and the plots, so both name a metric the same
 * way: a field of "cpu" or "gpu" by its own name ("intel_power"), one entry
 * of a per-pid or per-GPU object as "name.key" ("per_process_cpu_uses.1234",
 * "per_gpu_power_draw.0"), any other section prefixed by its name
 * ("temperature.coretemp/Package id 0", "amd_gpu.per_gpu_power.0").
 *
 * The samples themselves come from the one sequential reader
 * (record/reader.h): the views skip, count and number segments exactly as
 * the report does.
 */
#ifndef AIPM_EXPORT_FLATTEN_H
#define AIPM_EXPORT_FLATTEN_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "record/names.h"
#include "record/reader.h"

/* Called for each leaf (number, string or boolean) of the line's metrics. */
typedef void (*aipm_flatten_fn)(void *ctx, const char *name, const cJSON *leaf);
void aipm_flatten_metrics(const cJSON *root, aipm_flatten_fn fn, void *ctx);

/* Samples of DIR/power_metrics.json, in order: fn gets each sample's tree,
 * the reader's sample (time, segment) and returns non-zero to stop. *st
 * (may be NULL) gets the reader's counts. Returns 0 or -errno (message
 * set). */
typedef int (*aipm_sample_fn)(void *ctx, const cJSON *root, const struct aipm_sample *s);
int aipm_recording_foreach(const char *dir, aipm_sample_fn fn, void *ctx, struct aipm_reader_stats *st);

#endif
