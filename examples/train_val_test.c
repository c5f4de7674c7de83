/* train_val_test.c: AIPowerMeter's train / validation / test example, with
 * libaipm's phases instead of one recording folder per stage.
 *
 * A logistic regression on synthetic data, trained for a few epochs by
 * gradient descent, stands in for the model: the point is the measuring
 * around it. Each epoch is a "train" and a "validation" phase, the end is a
 * "test" phase, and the accuracy of each epoch is logged. Then the phase
 * report is read back from the recording and printed.
 *
 *   cc train_val_test.c $(pkg-config --cflags --libs aipm) -lm -o tvt
 *   ./tvt out 3 && aipm report --by-phase out
 */
#define _POSIX_C_SOURCE 200809L /* rand_r */
#include <aipm.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DIM 32
#define N_TRAIN 400000
#define N_VAL 100000
#define N_TEST 100000

static double w_true[DIM];

/* Deterministic data: x uniform in [-1, 1], y = [w_true . x > 0]. */
static void sample(unsigned *seed, double *x, int *y)
{
	double dot = 0;
	for (int k = 0; k < DIM; k++) {
		x[k] = 2.0 * rand_r(seed) / RAND_MAX - 1.0;
		dot += w_true[k] * x[k];
	}
	*y = dot > 0;
}

static double predict(const double *w, const double *x)
{
	double z = 0;
	for (int k = 0; k < DIM; k++)
		z += w[k] * x[k];
	return 1.0 / (1.0 + exp(-z));
}

static void train_epoch(double *w, unsigned seed)
{
	double x[DIM];
	int y;
	for (int i = 0; i < N_TRAIN; i++) {
		sample(&seed, x, &y);
		double g = predict(w, x) - y;
		for (int k = 0; k < DIM; k++)
			w[k] -= 0.05 * g * x[k];
	}
}

static double accuracy(const double *w, unsigned seed, int n)
{
	double x[DIM];
	int y, good = 0;
	for (int i = 0; i < n; i++) {
		sample(&seed, x, &y);
		good += (predict(w, x) > 0.5) == y;
	}
	return (double)good / n;
}

/* Print the library's message and stop: an example should fail loudly. */
static int check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "train_val_test: %s: %s\n", what, aipm_error_last());
		exit(1);
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "aipm-example";
	int epochs = argc > 2 ? atoi(argv[2]) : 3;
	if (epochs < 1)
		epochs = 1;
	unsigned seed = 1;
	for (int k = 0; k < DIM; k++)
		w_true[k] = 2.0 * rand_r(&seed) / RAND_MAX - 1.0;

	struct aipm_meter_options opts;
	check(aipm_meter_options_init(&opts, AIPM_METER_OPTIONS_VERSION), "options");
	opts.description = "train/validation/test example (C)";
	opts.interval_s = 0.02;
	/* libaipm reads no environment variable (a library cannot know when
	 * its host calls setenv): a program that wants aipm's own variables
	 * honoured, as this one does, passes them on. */
	opts.sysfs_root = getenv("AIPM_SYSFS_ROOT");
	opts.nvml_lib = getenv("AIPM_NVML_LIB");
	aipm_meter *m;
	check(aipm_meter_start(&m, dir, &opts), "start");
	double w[DIM] = {0};
	for (int e = 1; e <= epochs; e++) {
		check(aipm_meter_phase_begin(m, "train"), "train");
		train_epoch(w, 100u + (unsigned)e);
		check(aipm_meter_phase_end(m, "train"), "train");

		check(aipm_meter_phase_begin(m, "validation"), "validation");
		double acc = accuracy(w, 7, N_VAL);
		check(aipm_meter_phase_end(m, "validation"), "validation");

		const char *names[] = {"epoch", "val_accuracy"};
		double values[] = {e, acc};
		check(aipm_meter_log_many(m, names, values, 2), "log");
		printf("epoch %d: validation accuracy %.3f\n", e, acc);
	}
	check(aipm_meter_phase_begin(m, "test"), "test");
	double acc = accuracy(w, 11, N_TEST);
	check(aipm_meter_phase_end(m, "test"), "test");
	check(aipm_meter_log(m, "test_accuracy", acc), "log");
	check(aipm_meter_stop(m), "stop");
	aipm_meter_free(m);
	printf("test accuracy %.3f\n", acc);

	char *json;
	check(aipm_recording_phases_json(dir, &json), "phases");
	printf("%s\n", json);
	aipm_string_free(json);
	return 0;
}
