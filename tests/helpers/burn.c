/* burn: a test workload. `burn MS` spins on the CPU for MS milliseconds of
 * CPU time; `burn -f N MS` forks N children that each burn MS, waits for
 * each, and prints the children's total CPU time in seconds (the truth a
 * test compares aipm's count against). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void spin(double ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	volatile unsigned long x = 0;
	do {
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6 < ms);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "-f") == 0) {
		int n = atoi(argv[2]);
		double ms = atof(argv[3]);
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				spin(ms);
				_exit(0);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
		struct rusage ru;
		getrusage(RUSAGE_CHILDREN, &ru);
		printf("%.6f\n", (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
					 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
		return 0;
	}
	spin(argc > 1 ? atof(argv[1]) : 100);
	return 0;
}
