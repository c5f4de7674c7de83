/* serve.h: what the two halves of `aipm serve` share. serve.c (options,
 * the sampler and its sink, privileges) publishes the exposition text;
 * serve_http.c (libmicrohttpd, the connection guard, the event loop) only
 * copies it out. Built only with libmicrohttpd (AIPM_HAVE_SERVE).
 */
#ifndef AIPM_CLI_SERVE_H
#define AIPM_CLI_SERVE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "export/prometheus.h"
#include "serve_guard.h"

/* Published exposition text, double-buffered: the sink writes `back`
 * without the lock, then swaps under it. */
struct exporter {
	pthread_mutex_t lock;
	struct aipm_buf front, back;
	bool render_failed;
	/* --processes: the sink's top-N table, sized once (no allocation per
	 * sample); ntop_max 0 = no process series. */
	struct aipm_prom_proc *top;
	size_t ntop_max;
	size_t scopes_said; /* scopes left out past the bound, as last said on stderr */
};

/* The HTTP side. Everything in it is touched by the thread that calls
 * serve_http_run only, except x (locked). */
struct serve_http {
	struct MHD_Daemon *d;
	struct exporter *x;
	struct guard guard;
	uint64_t said_ns, said_late, said_room; /* the last line about cuts */
};

/* Listen on ss (the port 0 picks one: serve_http_port). 0, or -errno. */
int serve_http_start(struct serve_http *h, const struct sockaddr_storage *ss, struct exporter *x);
unsigned serve_http_port(const struct serve_http *h);
/* Serve until one of `signals` (blocked in every thread) arrives, and take
 * it. Returns an exit status; says why on stderr when it is not 0. */
int serve_http_run(struct serve_http *h, const sigset_t *signals);
/* Close every connection and the socket; safe after a failed start. */
void serve_http_stop(struct serve_http *h);

#endif
