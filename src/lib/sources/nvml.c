/* nvml.c: placeholder until the NVML source lands. */
#include "source.h"

#include <errno.h>
#include <stdlib.h>

static int nvml_open(const struct aipm_source_config *cfg, struct aipm_source **out)
{
	(void)cfg;
	struct aipm_source *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	aipm_source_set(s, false, "", "the NVML source is not built yet");
	*out = s;
	return 0;
}

static int nvml_sample(struct aipm_source *src, struct aipm_snapshot *snap)
{
	(void)src;
	snap->gpu_valid = false;
	return 0;
}

static void nvml_close(struct aipm_source *src) { free(src); }

const struct aipm_source_ops aipm_source_nvml = {
	.name = "nvml",
	.what = "NVIDIA GPUs through NVML: energy, power, utilisation, memory, per-process use",
	.open = nvml_open,
	.sample = nvml_sample,
	.close = nvml_close,
};
