/* bench_nvml.c: what the NVML source costs per sample.
 *
 * Opens the NVML source against the fake libnvidia-ml (two GPUs, one with
 * an energy counter and one integrated, four processes each, per-process
 * utilisation on), takes samples as the sampler would, and prints the CPU
 * time per sample, the NVML calls per sample (counted by the fake) and the
 * cost of formatting the "gpu" object of a line. The fake answers in
 * nanoseconds, so the figure is aipm's own overhead; a real driver adds its
 * own time per call, which is why the call count is printed too.
 *
 * usage: bench_nvml [FAKE_LIB] [SAMPLES]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib.h"
#include "membership.h"
#include "record/writer.h"
#include "source.h"

#ifndef BENCH_FAKE_NVML
#define BENCH_FAKE_NVML ""
#endif

int main(int argc, char **argv)
{
	const char *lib = argc > 1 ? argv[1] : BENCH_FAKE_NVML;
	int n = argc > 2 ? atoi(argv[2]) : 5000;
	if (!*lib || n < 2) {
		fprintf(stderr, "usage: bench_nvml FAKE_LIB [SAMPLES>=2]\n");
		return 2;
	}
	char script[] = "/tmp/aipm-bench-nvml-XXXXXX";
	int fd = mkstemp(script);
	if (fd < 0) {
		perror("bench_nvml: mkstemp");
		return 1;
	}
	const char *text = "count=2\n"
			   "gpu0.proc=1001 40 1000000000 1 0\ngpu0.proc=1002 10 200000000 1 0\n"
			   "gpu0.proc=1003 5 100000000 1 0\ngpu0.proc=2001 30 300000000 1 0\n"
			   "gpu1.energy=none\n"
			   "gpu1.proc=1001 20 1000000000 1 0\ngpu1.proc=1004 10 200000000 1 0\n"
			   "gpu1.proc=2002 5 100000000 1 0\ngpu1.proc=2003 30 300000000 1 0\n";
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("bench_nvml: write");
		return 1;
	}
	close(fd);
	setenv("AIPM_FAKE_NVML", script, 1); /* read by the fake library */

	struct aipm_membership mb = {.self = getpid()};
	struct aipm_source_config cfg = {.paths = {.nvml_lib = lib}, .membership = &mb};
	struct aipm_catalog cat = {0};
	struct aipm_source *src = NULL;
	if (aipm_source_open(&aipm_source_nvml, &cfg, &cat, &src) < 0 || !src->available) {
		fprintf(stderr, "bench_nvml: NVML source unavailable: %s\n", src ? src->reason : "open failed");
		unlink(script);
		return 1;
	}
	void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
	unsigned long (*calls)(void) = NULL;
	if (h)
		*(void **)&calls = dlsym(h, "fake_nvml_calls");

	struct aipm_snapshot first, prev, cur;
	aipm_snapshot_init(&first, &cat);
	aipm_snapshot_init(&prev, &cat);
	aipm_snapshot_init(&cur, &cat);
	struct aipm_buf line = {0};
	double sample_s = 0, format_s = 0;
	unsigned long c0 = 0, c1 = 0;
	for (int k = 0; k < n; k++) {
		/* the slow tier every 10th sample, as at -i 0.1 --mem-interval 1 */
		struct aipm_sample_ctx ctx = {.seq = (uint64_t)k, .slow = k % 10 == 0};
		ctx.mono.tv_sec = k / 10;
		ctx.mono.tv_nsec = (long)(k % 10) * 100000000L;
		aipm_snapshot_clear(&cur);
		cur.seq = ctx.seq;
		cur.mono = ctx.mono;
		if (k == 1 && calls)
			c0 = calls();
		double t0 = aipm_thread_cpu_s();
		aipm_source_sample(src, &ctx, &cur);
		double t1 = aipm_thread_cpu_s();
		for (int p = 0; p < 4; p++) { /* the experiment: pids 1001..1004 */
			struct aipm_proc *q = aipm_snapshot_add_proc(&cur);
			q->pid = 1001 + p;
		}
		aipm_snapshot_derive(&cur, k ? &prev : NULL, k ? &first : &cur);
		double t2 = aipm_thread_cpu_s();
		aipm_buf_reset(&line);
		aipm_writer_format_gpu(&line, &cur);
		double t3 = aipm_thread_cpu_s();
		if (k >= 1) { /* the first sample primes the buffers */
			sample_s += t1 - t0;
			format_s += t3 - t2;
		}
		if (!k)
			aipm_snapshot_copy(&first, &cur);
		aipm_snapshot_copy(&prev, &cur);
	}
	if (calls)
		c1 = calls();
	printf("bench_nvml: %d samples, 2 GPUs (counter + integrated), 4 GPU processes each, fake NVML\n", n);
	printf("nvml sample:      %8.2f us/sample\n", sample_s / (n - 1) * 1e6);
	if (calls)
		printf("nvml calls:       %8.2f calls/sample (%.1f per GPU)\n", (double)(c1 - c0) / (n - 1),
		       (double)(c1 - c0) / (n - 1) / 2);
	printf("gpu line format:  %8.2f us/line (%zu bytes)\n", format_s / (n - 1) * 1e6, line.len);
	printf("gpu energy:       %.3f J on GPU 0, %.3f J on GPU 1 (integrated), attributed %.3f J\n",
	       cur.gpus[0].energy_j, cur.gpus[1].energy_j, cur.attributed_gpu_j);
	aipm_buf_free(&line);
	aipm_snapshot_free(&first);
	aipm_snapshot_free(&prev);
	aipm_snapshot_free(&cur);
	aipm_source_nvml.close(src);
	aipm_catalog_free(&cat);
	unlink(script);
	return 0;
}
