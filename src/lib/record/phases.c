/* phases.c: see phases.h. phases.json lines are built in memory and
 * written with one write() on an O_APPEND descriptor kept open, so a line
 * is whole on disk or absent (a short write on a full disk is cut back), as
 * in power_metrics.json, and two writers never interleave bytes.
 * results_exp.json records go through results.h under the same lock. */
#include "phases.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "metadata.h"
#include "outdir.h"
#include "record/sidefiles.h"
#include "results.h"
#include "util.h"

/* The two files, opened on first use and kept (a name re-opened per line
 * could be swapped for a link between two lines). */
struct side_file {
	const char *name;
	int fd;
	bool torn;
};

struct aipm_phases {
	pthread_mutex_t lock;
	struct aipm_outdir *dir;
	struct side_file files[1]; /* phases.json */
	struct aipm_results_writer *results; /* results_exp.json (results.h) */
	char (*open)[AIPM_PHASE_NAME_MAX + 1]; /* names of open phases */
	size_t nopen, cap;
	aipm_phases_edge_fn edge; /* the instant of a line (phases.h) */
	void *edge_ctx;
};

static int add_open(struct aipm_phases *p, const char *name)
{
	if (p->nopen == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		void *v = realloc(p->open, cap * sizeof *p->open);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		p->open = v;
		p->cap = cap;
	}
	snprintf(p->open[p->nopen++], sizeof p->open[0], "%s", name);
	return 0;
}

static long find_open(const struct aipm_phases *p, const char *name)
{
	for (size_t i = 0; i < p->nopen; i++)
		if (!strcmp(p->open[i], name))
			return (long)i;
	return -1;
}

/* Rebuild the open set from an existing phases.json (append), by the one
 * pairing rule every reader uses (record/sidefiles.h): what the report
 * will call open is what may be ended now. Unreadable lines are skipped
 * there as here. */
static void replay(struct aipm_phases *p, const char *path)
{
	struct aipm_phase_file *f = NULL;
	struct aipm_phase_pairing *pp = NULL;
	if (aipm_phase_file_open_path(path, &f) == 0 && aipm_phase_pairing_new(&pp) == 0) {
		struct aipm_phase_event ev;
		struct aipm_phase_step st;
		while (aipm_phase_file_next(f, &ev) > 0 && aipm_phase_pair(pp, &ev, &st) == 0)
			;
		size_t i = 0;
		for (const char *name; (name = aipm_phase_pairing_open_name(pp, &i));)
			add_open(p, name);
	}
	aipm_phase_pairing_free(pp);
	aipm_phase_file_close(f);
	aipm_err_clear();
}

int aipm_phases_check_name(const char *what, const char *name)
{
	return aipm_format_check_name(what, name); /* the format's rule, shared with the readers */
}

int aipm_phases_open(struct aipm_phases **out, struct aipm_outdir *dir, bool append)
{
	if (!dir)
		return aipm_err(-EINVAL, "no recording directory given");
	struct aipm_phases *p = calloc(1, sizeof *p);
	if (!p)
		return aipm_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	p->dir = aipm_outdir_ref(dir);
	p->files[0] = (struct side_file){.name = "phases.json", .fd = -1};
	for (size_t i = 0; append && i < AIPM_ARRAY_SIZE(p->files); i++) {
		bool exists;
		int e = aipm_outdir_check(dir, p->files[i].name, &exists);
		if (e < 0) {
			aipm_phases_close(p);
			return e;
		}
	}
	int e = aipm_results_writer_open(&p->results, dir, append);
	if (e < 0) {
		aipm_phases_close(p);
		return e;
	}
	if (append) {
		/* replay() reads by path: hand it the descriptor opened safely
		 * (no link followed, no FIFO to block on) through /proc. */
		int fd = aipm_outdir_read_fd(dir, "phases.json");
		if (fd < 0 && fd != -ENOENT) {
			aipm_phases_close(p);
			return fd;
		}
		if (fd >= 0) {
			char path[64];
			snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
			replay(p, path);
			close(fd);
		}
	}
	*out = p;
	return 0;
}

void aipm_phases_set_edge(struct aipm_phases *p, aipm_phases_edge_fn fn, void *ctx)
{
	p->edge = fn;
	p->edge_ctx = ctx;
}

/* "begin NAME" for the sample's edge key, cut to what a snapshot keeps
 * (AIPM_EDGE_WHY_MAX) at a character boundary: the line stays UTF-8. */
#define AIPM_EDGE_WHY_MAX 63
static void edge_why(char *out, const char *what, const char *name)
{
	size_t n = (size_t)snprintf(out, AIPM_EDGE_WHY_MAX + 1, "%s%s%s", what, name ? " " : "", name ? name : "");
	if (n > AIPM_EDGE_WHY_MAX) {
		n = AIPM_EDGE_WHY_MAX;
		while (n && ((unsigned char)out[n] & 0xC0) == 0x80)
			n--; /* out[n] continues a character: cut before it starts */
		out[n] = '\0';
	}
}

/* The instant of a line: the edge sample's time when the hook took one
 * (then true), else the clock's. */
static bool edge_time(struct aipm_phases *p, const char *what, const char *name, struct timespec *at)
{
	if (!p->edge) {
		clock_gettime(CLOCK_REALTIME, at);
		return false;
	}
	char why[AIPM_EDGE_WHY_MAX + 1];
	edge_why(why, what, name);
	return p->edge(p->edge_ctx, why, at) > 0;
}

/* {"date": ..., "timestamp": ..., then the caller's members. */
static void line_head(struct aipm_buf *b, const struct timespec *at)
{
	char date[64];
	aipm_format_date(date, sizeof date, at);
	aipm_buf_puts(b, "{\"date\": ");
	aipm_buf_json_str(b, date);
	aipm_buf_printf(b, ", \"timestamp\": %lld.%06ld", (long long)at->tv_sec, at->tv_nsec / 1000);
}

static int append_line(struct aipm_phases *p, struct side_file *f, struct aipm_buf *b)
{
	aipm_buf_puts(b, "}\n");
	if (b->oom)
		return aipm_err(-ENOMEM, "out of memory");
	const char *dir = aipm_outdir_path(p->dir);
	if (f->fd < 0) {
		bool existed;
		int fd = aipm_outdir_append(p->dir, f->name, &existed);
		if (fd < 0)
			return fd;
		f->fd = fd;
	}
	int e = 0;
	if (f->torn && !(e = aipm_write_whole(f->fd, "\n", 1, &f->torn)))
		f->torn = false;
	if (!e)
		e = aipm_write_whole(f->fd, b->data, b->len, &f->torn);
	if (e == -ENOSPC || e == -EDQUOT)
		return aipm_err(e, "%s/%s: %s: the line is not written. Free space on that disk", dir, f->name,
				strerror(-e));
	if (e < 0)
		return aipm_err(e, "%s/%s: %s. Check that the recording directory still exists and is writable",
				dir, f->name, strerror(-e));
	return 0;
}

static int phase_event(struct aipm_phases *p, const char *name, bool begin)
{
	int e = aipm_phases_check_name("phase", name);
	if (e < 0)
		return e;
	pthread_mutex_lock(&p->lock);
	long i = find_open(p, name);
	if (begin && i >= 0) {
		e = aipm_err(-EALREADY, "phase '%s' is already open. End it first: phases of one name do not nest",
			     name);
	} else if (!begin && i < 0) {
		e = aipm_err(-EINVAL, "phase '%s' is not open. Begin it first (aipm mark %s)", name, name);
	} else {
		struct aipm_buf b = {0};
		struct timespec at;
		bool sampled = edge_time(p, begin ? AIPM_EVENT_BEGIN : AIPM_EVENT_END, name, &at);
		line_head(&b, &at);
		aipm_buf_puts(&b, ", \"name\": ");
		aipm_buf_json_str(&b, name);
		aipm_buf_puts(&b, begin ? ", \"event\": \"begin\"" : ", \"event\": \"end\"");
		if (sampled)
			aipm_buf_puts(&b, ", \"" AIPM_KEY_EDGE_SAMPLE "\": true");
		e = append_line(p, &p->files[0], &b);
		aipm_buf_free(&b);
		if (!e && begin)
			e = add_open(p, name);
		else if (!e)
			memmove(p->open[i], p->open[i + 1], (p->nopen-- - (size_t)i - 1) * sizeof p->open[0]);
	}
	pthread_mutex_unlock(&p->lock);
	return e;
}

int aipm_phases_begin(struct aipm_phases *p, const char *name) { return phase_event(p, name, true); }
int aipm_phases_end(struct aipm_phases *p, const char *name) { return phase_event(p, name, false); }

int aipm_phases_log(struct aipm_phases *p, const char *const *names, const double *values, size_t n)
{
	if (!n)
		return aipm_err(-EINVAL, "no metric given. Log at least one NAME=VALUE");
	for (size_t i = 0; i < n; i++) {
		int e = aipm_phases_check_name("metric", names[i]);
		if (e < 0)
			return e;
		if (!isfinite(values[i]))
			return aipm_err(-EINVAL, "metric '%s' is not a finite number. Log finite values only",
					names[i]);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(names[k], names[i]))
				return aipm_err(-EINVAL, "metric '%s' is given twice in one line. Give each once",
						names[i]);
		if (aipm_results_reserved_name(names[i]))
			return aipm_err(-EINVAL, "metric name '%s' is a key of the record itself (its date). Name "
						 "the metric otherwise, e.g. '%s_value'", names[i], names[i]);
	}
	/* The record's instant is that of a sample taken for it (phases.h),
	 * so a report reads the counters there. */
	struct timespec at;
	edge_time(p, "log", NULL, &at);
	pthread_mutex_lock(&p->lock);
	int e = aipm_results_writer_log(p->results, names, values, n, &at);
	pthread_mutex_unlock(&p->lock);
	return e;
}

void aipm_phases_close(struct aipm_phases *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(p->files); i++)
		if (p->files[i].fd >= 0)
			close(p->files[i].fd);
	aipm_results_writer_close(p->results);
	aipm_outdir_unref(p->dir);
	pthread_mutex_destroy(&p->lock);
	free(p->open);
	free(p);
}
