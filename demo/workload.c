/* workload: the demo's small CPU job, a stand-in for a training run. A
 * parent process and one child each multiply matrices for a few seconds
 * (so `aipm run` has a process tree to attribute), then the parent prints
 * what it did. `workload [SECONDS]`. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 160

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned long matmul_for(double seconds)
{
	static double a[N][N], b[N][N], c[N][N];
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			a[i][j] = (double)(i + j) / N;
			b[i][j] = (double)(i - j) / N;
		}
	unsigned long rounds = 0;
	double end = now() + seconds;
	while (now() < end) {
		for (int i = 0; i < N; i++)
			for (int k = 0; k < N; k++)
				for (int j = 0; j < N; j++)
					c[i][j] += a[i][k] * b[k][j];
		rounds++;
	}
	return rounds + (c[1][1] > 1e300);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	pid_t child = fork();
	if (child == 0) {
		matmul_for(seconds * 0.5); /* a shorter-lived helper process */
		_exit(0);
	}
	unsigned long rounds = matmul_for(seconds);
	if (child > 0)
		waitpid(child, NULL, 0);
	printf("workload: %lu rounds of %dx%d matrix products in %.1f s\n", rounds, N, N, seconds);
	return 0;
}
