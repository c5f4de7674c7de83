/* bench_util.h: what the benchmarks share: a tree of sleeping processes to
 * measure, and the calling thread's CPU time. Header-only: each benchmark
 * is one executable. */
#ifndef AIPM_BENCH_UTIL_H
#define AIPM_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* A root and n-1 children, all sleeping, in one process group so that
 * kill(-root, SIGKILL) ends them together; returns once they exist. */
static inline pid_t bench_spawn_tree(int n)
{
	int p[2];
	if (pipe(p) < 0)
		exit(1);
	pid_t root = fork();
	if (root == 0) {
		setpgid(0, 0);
		for (int i = 1; i < n; i++)
			if (fork() == 0) {
				pause();
				_exit(0);
			}
		close(p[0]);
		if (write(p[1], "r", 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		exit(1);
	close(p[0]);
	return root;
}

static inline double bench_thread_cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

#endif
