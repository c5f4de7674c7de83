/* serve.c: `aipm serve`: a whole-machine Prometheus exporter.
 *
 * The sampler measures on its own cadence; its sink (in the sampler
 * thread) renders the exposition text once per sample into a back buffer
 * and swaps it with the published one under a mutex. A scrape only copies
 * the published text: it never touches hardware and never formats, so any
 * number of scrapers cost the same and cannot slow the sampling down.
 *
 * HTTP is serve_http.c's (libmicrohttpd on the main thread, GET and HEAD
 * on /metrics only), and who may hold a connection for how long is
 * serve_guard.c's. This file holds the options, the sink, the privilege
 * drop and the order of it all.
 *
 * --cgroups GLOB, --slurm, --slurm-steps and --containers add each scope's
 * CPU time and attributed CPU, DRAM and GPU energy, labelled with its
 * cgroup, Slurm job and step, container and pod (sources/cgroup_set.c lists
 * them every --rescan seconds; attrib_scopes.c shares the machine's energy
 * among them). At most --max-scopes, in sorted path order; the rest are
 * counted in aipm_scopes_left_out and said once on stderr.
 *
 * --processes N adds the top N processes by attributed power. The sampler
 * then lists every process of the machine at its cadence (procfs.c's
 * machine-wide mode) and the sink picks the top N while it renders, so a
 * scrape still only copies text.
 *
 * Started as root, it opens every counter (the sampler's sources keep their
 * fds) and binds the socket, then drops to --user (default nobody): the
 * open fds stay readable, nothing new can be opened with root's rights.
 * PR_SET_NO_NEW_PRIVS is set first of all, in the main thread before the
 * sampler thread exists: it is per thread and inherited, never propagated.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aipm_config.h"
#include "args.h"
#include "common.h"

#if AIPM_HAVE_SERVE
#include "aipm.h"
#include "error.h"
#include "export/prometheus.h"
#include "sampler.h"
#include "scope/names.h"
#include "serve.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"
/* More per-process series than this per node is a cardinality problem for
 * the Prometheus server, not a view: a typo like 10000 is refused. */
#define MAX_PROCESSES 1000
/* The same for scopes: a node runs a few jobs or a few hundred containers. */
#define MAX_SCOPES 10000
#define MAX_SETS 16

enum { LISTEN = 1, INTERVAL, USER, PROCESSES, CGROUPS, SLURM, SLURM_STEPS, CONTAINERS, MAX_SCOPES_OPT, RESCAN,
       NO_ESTIMATE };

static const struct cli_opt table[] = {
	CLI_VALUE(LISTEN, 'l', "listen", "ADDR:PORT", "ADDR:PORT",
		  "where to listen (default " DEFAULT_LISTEN ", this machine\nonly); [::1]:PORT for IPv6; "
		  "0.0.0.0:PORT to let other\nmachines scrape; PORT 0 picks a free port"),
	CLI_RANGE(INTERVAL, 'i', "interval", "S", "seconds", "seconds between samples (default 1; {range})",
		  AIPM_INTERVAL_MIN_S, AIPM_INTERVAL_MAX_S),
	CLI_VALUE(USER, 'u', "user", "NAME", "a user name",
		  "started as root: open the counters, then run as NAME\n(default nobody)"),
	CLI_VALUE(PROCESSES, 0, "processes", "N", "a number of processes",
		  "also the top N processes (1 to 1000) by attributed power:\naipm_process_power_watts (CPU share "
		  "x package power,\nonly with RAPL) and aipm_process_cpu_ratio"),
	CLI_VALUE(CGROUPS, 0, "cgroups", "GLOB", "a glob, e.g. --cgroups '/system.slice/*'",
		  "also each cgroup matching GLOB (e.g. '/system.slice/*.service';\n'*', '?', '[..]' within one "
		  "level; repeatable): its CPU time and\nattributed CPU, DRAM and GPU energy (aipm_scope_*_total)"),
	CLI_FLAG(SLURM, 0, "slurm", "the same for each Slurm job on this node (labels slurm_job,\nslurm_sluid)"),
	CLI_FLAG(SLURM_STEPS, 0, "slurm-steps", "the same for each Slurm step (label slurm_step)"),
	CLI_FLAG(CONTAINERS, 0, "containers", "the same for each container (container_id, runtime, pod_uid)"),
	CLI_VALUE(MAX_SCOPES_OPT, 0, "max-scopes", "N", "a number of scopes",
		  "at most N scopes (default 1000), in sorted path order; the\nrest are counted in "
		  "aipm_scopes_left_out"),
	CLI_RANGE(RESCAN, 0, "rescan", "S", "seconds", "list the scopes again every S seconds (default 5;\n{range})",
		  AIPM_INTERVAL_MIN_S, AIPM_MEM_INTERVAL_MAX_S),
	CLI_FLAG(NO_ESTIMATE, 0, "no-estimate",
		 "without RAPL, serve no CPU power estimate either (it is\nserved apart, as aipm_cpu_estimated_* "
		 "with _low/_high bounds)"),
	CLI_OPT_END,
};
static const struct cli_opt *const tables[] = {table, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: aipm serve [--listen ADDR:PORT] [--interval S] [--user NAME] [--processes N]\n"
		   "                  [--no-estimate] [--cgroups GLOB] [--slurm|--slurm-steps] [--containers]\n"
		   "                  [--max-scopes N] [--rescan S]\n"
		   "\n"
		   "Serve this machine's energy, power, memory, GPU and temperature readings\n"
		   "to Prometheus at http://ADDR:PORT/metrics (text format 0.0.4).\n\n");
	cli_args_help(f, tables);
}

/* Said once per rise: scopes that matched past the bound are not measured. */
static void say_left_out(struct exporter *x, const struct aipm_snapshot *snap)
{
	size_t n = snap->scope.omitted[AIPM_SCOPE_OMIT_BOUND];
	if (n <= x->scopes_said)
		return;
	x->scopes_said = n;
	fprintf(stderr, "aipm: serve: %zu scope(s) matched past --max-scopes %zu and are not measured "
			"(aipm_scopes_left_out{reason=\"bound\"}; the first ones in sorted path order are). Raise "
			"--max-scopes or narrow the match\n",
		n, snap->scope.n);
}

static void sink(void *ctx, const struct aipm_snapshot *snap)
{
	struct exporter *x = ctx;
	say_left_out(x, snap);
	aipm_buf_reset(&x->back);
	x->back.oom = false;
	struct aipm_prom_input in = {
		.snap = snap,
		.procs_enabled = x->ntop_max > 0,
		.procs = x->top,
		.nprocs = aipm_prom_top_procs(snap, x->top, x->ntop_max),
	};
	bool ok = aipm_prom_render(&x->back, &in) == 0;
	pthread_mutex_lock(&x->lock);
	if (ok) {
		struct aipm_buf t = x->front;
		x->front = x->back;
		x->back = t;
	}
	x->render_failed = !ok; /* keep serving the previous text */
	pthread_mutex_unlock(&x->lock);
}

/* ADDR:PORT, [V6]:PORT or localhost:PORT, numeric only: an exporter must
 * not depend on DNS to start. */
static bool parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *len, bool *loopback)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = arg;
	size_t hl;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close || close[1] != ':')
			return false;
		h = arg + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return false;
		hl = (size_t)(colon - arg);
	}
	if (hl == 0 || hl >= sizeof host)
		return false;
	memcpy(host, h, hl);
	host[hl] = 0;
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return false;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof *v4;
		*loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		return true;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		return true;
	}
	return false;
}

/* setgroups, then setgid, then setuid: the other order would leave root's
 * groups or gid behind. glibc applies each to every thread (the sampler
 * thread already runs). */
static int drop_privileges(uid_t uid, gid_t gid)
{
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -errno;
	/* Paranoia that costs nothing: root must be out of reach now. */
	if (uid != 0 && (setuid(0) == 0 || geteuid() == 0))
		return -EPERM;
	return 0;
}

/* A model standing in for a measurement is said as plainly as its absence. */
static void say_estimates(struct aipm_sampler *s)
{
	for (size_t i = 0; i < aipm_sampler_nsources(s); i++) {
		const struct aipm_source *src = aipm_sampler_source(s, i);
		if (src->available && (src->ops->provides & AIPM_PROVIDES_CPU_ESTIMATE))
			fprintf(stderr, "aipm: serve: %s. Served apart as aipm_cpu_estimated_* with _low and _high "
					"bounds, never as RAPL energy (--no-estimate turns it off).\n", src->reason);
	}
}

/* Generic over the sources, as record_opts_warn_sources: what each one
 * lost means for the exposition. --processes needs the process list. */
static void warn_sources(struct aipm_sampler *s, bool processes)
{
	for (size_t i = 0; i < aipm_sampler_nsources(s); i++) {
		const struct aipm_source *src = aipm_sampler_source(s, i);
		const struct aipm_source_ops *o = src->ops;
		if (src->available)
			continue;
		bool needed = processes && (o->provides & AIPM_PROVIDES_PROCESSES);
		if (!(needed || o->say == AIPM_SAY_ALWAYS || (o->say == AIPM_SAY_IF_REQUESTED && src->requested)))
			continue;
		char upper[32]; /* "RAPL", "NVML": the names people know */
		size_t k = 0;
		for (; o->name[k] && k < sizeof upper - 1; k++)
			upper[k] = (char)(o->name[k] >= 'a' && o->name[k] <= 'z' ? o->name[k] - 32 : o->name[k]);
		upper[k] = '\0';
		fprintf(stderr,
			"aipm: serve: %s unavailable, serving without %s%s (aipm_source_up{source=\"%s\"} 0): %s.%s%s%s "
			"See `aipm probe`.\n",
			upper, o->missing ? o->missing : "its readings", needed ? " and without process series" : "",
			o->name, src->reason, src->fix[0] ? " Fix: " : "", src->fix, src->fix[0] ? "." : "");
	}
	say_estimates(s);
}

struct opts {
	const char *listen, *user;
	double interval_s, rescan_s;
	bool user_given;
	size_t processes; /* 0: no per-process series */
	struct aipm_scope_query sets[MAX_SETS];
	size_t nsets, max_scopes;
	bool no_estimate;
};

/* A whole number from 1 to max, digits only. */
static bool parse_count(const char *v, size_t max, size_t *out)
{
	size_t n = 0;
	if (!*v)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (size_t)(*p - '0');
		if (n > max)
			return false;
	}
	if (n < 1)
		return false;
	*out = n;
	return true;
}

/* Machine-wide, procfs keeps one /proc/PID/stat fd per process: a busy
 * node has more processes than the usual soft limit of 1024 fds. The hard
 * limit is ours to take (systemd's advice for services); a process that
 * still finds no fd is retried at the next sample. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int add_set(struct opts *o, const char *flag, enum aipm_scope_set set, const char *glob)
{
	for (size_t i = 0; i < o->nsets; i++)
		if (o->sets[i].set == set && set != AIPM_SCOPES_GLOB)
			return 0; /* said twice */
	if (o->nsets == MAX_SETS)
		return cli_fail(AIPM_EXIT_USAGE, "serve: %s: at most %d scope sets (--cgroups, --slurm, --slurm-steps, "
						 "--containers)",
				flag, MAX_SETS);
	aipm_scope_query_init(&o->sets[o->nsets], set);
	o->sets[o->nsets++].glob = glob;
	return 0;
}

/* One option, just returned by cli_args_next: 0 or the exit status. */
static int apply(struct opts *o, const struct cli_args *a, int id)
{
	const char *v = a->value;
	switch (id) {
	case NO_ESTIMATE: o->no_estimate = true; return 0;
	case SLURM: return add_set(o, a->flag, AIPM_SCOPES_SLURM_JOBS, NULL);
	case SLURM_STEPS: return add_set(o, a->flag, AIPM_SCOPES_SLURM_STEPS, NULL);
	case CONTAINERS: return add_set(o, a->flag, AIPM_SCOPES_CONTAINERS, NULL);
	case LISTEN: o->listen = v; return 0;
	case USER: o->user = v, o->user_given = true; return 0;
	case PROCESSES:
		if (!parse_count(v, MAX_PROCESSES, &o->processes))
			return cli_fail(AIPM_EXIT_USAGE,
					"serve: --processes '%s' is not a number of processes. Give a whole "
					"number from 1 to %d, e.g. --processes 10",
					v, MAX_PROCESSES);
		return 0;
	case CGROUPS: return add_set(o, "--cgroups", AIPM_SCOPES_GLOB, v);
	case MAX_SCOPES_OPT:
		if (!parse_count(v, MAX_SCOPES, &o->max_scopes))
			return cli_fail(AIPM_EXIT_USAGE,
					"serve: --max-scopes '%s' is not a number of scopes. Give a whole number from 1 "
					"to %d",
					v, MAX_SCOPES);
		return 0;
	case RESCAN: return cli_parse_interval(a->flag, v, AIPM_MEM_INTERVAL_MAX_S, &o->rescan_s) ? 0 : AIPM_EXIT_USAGE;
	case INTERVAL: return cli_parse_seconds(a->flag, v, &o->interval_s) ? 0 : AIPM_EXIT_USAGE;
	default: return AIPM_EXIT_USAGE;
	}
}

/* 0, -1 after --help, or the exit status after the message. */
static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.listen = DEFAULT_LISTEN, .user = "nobody", .interval_s = 1};
	struct cli_args a;
	cli_args_init(&a, "serve", tables, 0, argc, argv);
	int id, r;
	while ((id = cli_args_next(&a)) != CLI_ARGS_END) {
		if (id == CLI_ARGS_HELP) {
			usage(stdout);
			return -1;
		}
		if (id == CLI_ARGS_OPERAND)
			return cli_args_unexpected(&a, a.value);
		if ((r = apply(o, &a, id)))
			return r;
	}
	if ((o->max_scopes || o->rescan_s) && !o->nsets)
		return cli_fail(AIPM_EXIT_USAGE, "serve: --max-scopes and --rescan apply to scopes: add --cgroups GLOB, "
						 "--slurm, --slurm-steps or --containers");
	return 0;
}

static int serve(const struct opts *o)
{
	/* Before anything else, and above all before the sampler thread
	 * starts: no thread of this process may gain privileges by execve. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cli_fail(AIPM_EXIT_FAIL, "serve: cannot set no_new_privs: %s. This kernel is older than 3.5",
				strerror(errno));
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool loopback;
	if (!parse_listen(o->listen, &ss, &sslen, &loopback))
		return cli_fail(AIPM_EXIT_USAGE,
				"serve: --listen '%s' is not ADDR:PORT. Give a numeric address and a port, e.g. "
				"127.0.0.1:9464 or [::1]:9464",
				o->listen);
	/* Resolve the user before opening anything: a typo must not leave a
	 * root exporter running. */
	bool root = geteuid() == 0;
	uid_t uid = 0;
	gid_t gid = 0;
	if (root) {
		struct passwd *pw = getpwnam(o->user);
		if (!pw)
			return cli_fail(AIPM_EXIT_USAGE,
					"serve: user '%s' does not exist on this machine, so aipm cannot drop root to it. "
					"Create it or name another with --user",
					o->user);
		uid = pw->pw_uid, gid = pw->pw_gid;
	} else if (o->user_given) {
		cli_fail(0, "serve: not started as root, so --user %s has no effect (running as uid %u)", o->user,
			 (unsigned)geteuid());
	}

	/* Signals go to serve_http_run's signalfd, never to the sampler thread:
	 * block them before it starts so it inherits the mask. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	struct exporter x = {.lock = PTHREAD_MUTEX_INITIALIZER, .ntop_max = o->processes};
	struct serve_http http = {0};
	struct aipm_sampler_config sc = {
		.interval_s = o->interval_s,
		.mem_interval_s = o->interval_s,
		.all_processes = o->processes > 0,
		.scope = {.sets = o->sets, .nsets = o->nsets, .max = o->max_scopes, .rescan_s = o->rescan_s},
		.no_cpu_estimate = o->no_estimate,
		.sink = sink,
		.sink_ctx = &x,
	};
	struct aipm_sampler *smp = NULL;
	int rc = AIPM_EXIT_FAIL, r;
	if (o->processes) {
		x.top = calloc(o->processes, sizeof *x.top);
		if (!x.top) {
			cli_fail(AIPM_EXIT_FAIL, "serve: out of memory for --processes %zu", o->processes);
			goto out;
		}
	}
	if (o->processes || o->nsets)
		raise_fd_limit(); /* a kept fd per process, two or three per scope */
	if ((r = aipm_sampler_start(&smp, &sc)) < 0) {
		/* a malformed glob is the user's; anything else the machine's */
		cli_fail_lib(r == -EINVAL ? AIPM_EXIT_USAGE : AIPM_EXIT_FAIL, "serve");
		rc = r == -EINVAL ? AIPM_EXIT_USAGE : AIPM_EXIT_FAIL;
		goto out;
	}
	warn_sources(smp, o->processes > 0);

	r = serve_http_start(&http, &ss, &x);
	if (r < 0) {
		cli_fail(AIPM_EXIT_FAIL, "serve: cannot listen on %s: %s. Pick another --listen address or port",
			 o->listen, r == -EINVAL ? "libmicrohttpd refused to start" : strerror(-r));
		goto out;
	}
	unsigned port = serve_http_port(&http);

	if (root) {
		r = drop_privileges(uid, gid);
		if (r < 0) {
			cli_fail(AIPM_EXIT_FAIL, "serve: cannot drop root to user '%s': %s. Stopping rather than serve as root",
				 o->user, strerror(-r));
			goto out;
		}
	}
	char host[INET6_ADDRSTRLEN];
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	if (!loopback)
		fprintf(stderr, "aipm: serve: listening on %s, reachable from other machines (the default, "
				DEFAULT_LISTEN ", is this machine only)\n", host);
	/* Tests and scripts read the port from this line (with PORT 0). */
	fprintf(stderr, "aipm: serving http://%s%s%s:%u/metrics, sampling every %g s%s%s\n",
		ss.ss_family == AF_INET6 ? "[" : "", host, ss.ss_family == AF_INET6 ? "]" : "", port, o->interval_s,
		root ? ", as user " : "", root ? o->user : "");
	fflush(stderr);

	rc = serve_http_run(&http, &set);
out:
	serve_http_stop(&http);
	aipm_sampler_free(smp); /* stops the thread; the sink is done after */
	aipm_buf_free(&x.front);
	aipm_buf_free(&x.back);
	free(x.top);
	pthread_mutex_destroy(&x.lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct opts o;
	int r = parse(argc, argv, &o);
	if (r < 0)
		return AIPM_EXIT_OK; /* --help */
	if (r > 0)
		return r;
	return serve(&o);
}

#else /* !AIPM_HAVE_SERVE */

int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(AIPM_EXIT_FAIL, "serve: this aipm was built without libmicrohttpd. Install libmicrohttpd-dev "
					"and rebuild (meson configure -Dserve=enabled)");
}

#endif
