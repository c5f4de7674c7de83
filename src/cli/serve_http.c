/* serve_http.c: the HTTP side of `aipm serve` (serve.h): libmicrohttpd in
 * epoll mode, run by the main thread (which also takes the signals), with
 * a small per connection memory pool (oversized requests get 413/431 from
 * MHD, not our memory). Only GET and HEAD on /metrics are served, and a
 * scrape only copies the text the sampler's sink published.
 *
 * Who may hold a connection, and for how long, is serve_guard.c's:
 * absolute deadlines for a request head and for a reply, per-address and
 * total bounds that displace the least advanced connection of the busiest
 * address instead of refusing the newcomer. MHD's own per-address limit
 * (refuse the newcomer) is what locked local scrapers out, and its timeout
 * is an idle timeout that a byte every few seconds resets; it stays as a
 * backstop. MHD tells the guard about each connection (NOTIFY_CONNECTION,
 * the handler's first call, NOTIFY_COMPLETED). To close one, the guard
 * shuts its socket down and MHD closes it on its next pass.
 *
 * Why MHD runs on our thread rather than its own: a shutdown from another
 * thread could reach an fd number MHD had just closed and the kernel given
 * to a new client. On one thread it cannot, because MHD reports a close
 * (NOTIFY_CLOSED, which frees the guard's slot) before it closes the fd.
 * Accepting connections ourselves and handing them over (MHD_add_connection)
 * would give the same control for more code: MHD already tells us the fd
 * and the address of each connection it accepts.
 */
#include "aipm_config.h"

#if AIPM_HAVE_SERVE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common.h"
#include "serve.h"

/* Bounds: a handful of Prometheus servers scrape a node; anything near
 * these numbers is a misbehaving client (serve_guard.h: reaching one
 * displaces a connection, it does not refuse the newcomer). */
#define CONN_LIMIT 512
#define PER_ADDR_LIMIT 64
/* Slots for connections cut but not yet closed by MHD (it accepts at most
 * 11 per pass and closes the cut ones on the next): MHD's own limit is
 * CONN_LIMIT + this, so it never holds a connection the guard cannot see. */
#define CUT_SLACK 64
/* A request head within 10 s of the connect (or of the previous reply on a
 * kept-alive connection), a reply within 10 s of its head: Prometheus's
 * default scrape timeout, and longer than any keep-alive gap of a 5 s
 * scrape interval. */
#define HEAD_DEADLINE_S 10
#define REPLY_DEADLINE_S 10
#define IDLE_TIMEOUT_S 10 /* MHD's idle timeout, a backstop to the above */
#define CONN_MEMORY 16384
/* At most one line a minute about cut connections on stderr. */
#define CUT_REPORT_NS (60 * 1000000000ull)

/* handle()'s "headers already handled" marker on a connection the guard
 * had no slot for (cannot happen: MHD's limit is the guard's). */
static int unguarded;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
			     size_t len, enum MHD_ResponseMemoryMode mode, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
	if (!r)
		return MHD_NO; /* MHD closes the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define TEXT(s) s, sizeof s - 1, MHD_RESPMEM_PERSISTENT

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct serve_http *srv = cls;
	struct exporter *x = srv->x;
	(void)version, (void)upload_data;
	/* The first call comes once the head is complete: the request-head
	 * deadline is met and the reply's starts. *con_cls remembers the
	 * guard's slot for NOTIFY_COMPLETED and marks later calls. */
	bool first = !*con_cls;
	if (first) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct guard_conn *g = ci ? ci->socket_context : NULL;
		if (g)
			guard_head_done(&srv->guard, g, now_ns());
		*con_cls = g ? (void *)g : (void *)&unguarded;
	}
	/* Errors are answered on the first call, before any body: MHD then
	 * discards the body and closes the connection, which is what a
	 * request we refuse deserves. */
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
			     TEXT("Not found. aipm serves /metrics only.\n"), NULL);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     TEXT("Method not allowed: use GET or HEAD.\n"), "GET, HEAD");
	/* A good scrape is answered on the second call, once MHD knows the
	 * request is complete: a response queued earlier makes MHD close the
	 * connection, and Prometheus (and wrk) keep connections alive. */
	if (first)
		return MHD_YES;
	/* A scrape has no body. MHD 0.9 cannot queue a response while a body
	 * arrives, and reading it all would let one client stream forever:
	 * drop the connection (MHD_NO closes it). */
	if (*upload_size)
		return MHD_NO;
	/* The only work a scrape does: copy the latest text. MUST_COPY makes
	 * MHD own its copy, so the sink may swap buffers right after. */
	pthread_mutex_lock(&x->lock);
	enum MHD_Result ret;
	if (x->front.len)
		ret = reply(c, MHD_HTTP_OK, AIPM_PROM_CONTENT_TYPE, x->front.data, x->front.len, MHD_RESPMEM_MUST_COPY,
			    NULL);
	else
		ret = reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
			    TEXT("No sample yet.\n"), NULL);
	pthread_mutex_unlock(&x->lock);
	return ret;
}

/* The guard's way to close a connection: MHD sees the socket hang up on
 * its next pass and closes it (and reports NOTIFY_CLOSED). */
static void cut_socket(void *ctx, int fd)
{
	(void)ctx;
	shutdown(fd, SHUT_RDWR);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct serve_http *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (*socket_context)
			guard_close(&srv->guard, *socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *sa = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!fd)
		return; /* cannot happen in 0.9.75; unguarded, MHD's timeout still applies */
	struct guard_conn *g = guard_open(&srv->guard, fd->connect_fd, sa ? sa->client_addr : NULL, now_ns());
	if (!g)
		shutdown(fd->connect_fd, SHUT_RDWR); /* no slot: not served */
	*socket_context = g;
}

/* A reply was sent (or the request abandoned): a kept-alive connection now
 * waits for its next head, under the head deadline again. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct serve_http *srv = cls;
	(void)c, (void)toe;
	if (*con_cls && *con_cls != &unguarded)
		guard_reply_done(&srv->guard, *con_cls, now_ns());
	*con_cls = NULL;
}

/* One line when connections start being cut, then at most one a minute:
 * whoever runs the exporter should know that something holds connections
 * open, without a line per connection. */
static void say_cuts(struct serve_http *srv, uint64_t now)
{
	const struct guard *g = &srv->guard;
	uint64_t late = g->cut_late - srv->said_late, room = g->cut_room - srv->said_room;
	if (!late && !room)
		return;
	if (srv->said_ns && now - srv->said_ns < CUT_REPORT_NS)
		return;
	fprintf(stderr,
		"aipm: serve: closed %llu connection%s: %llu past the %d s deadline for a request, %llu to make room "
		"(at most %d connections, %d per address). Some client holds connections open; scrapers still get "
		"in. At most one such line a minute\n",
		(unsigned long long)(late + room), late + room == 1 ? "" : "s", (unsigned long long)late,
		HEAD_DEADLINE_S, (unsigned long long)room, CONN_LIMIT, PER_ADDR_LIMIT);
	srv->said_ns = now ? now : 1;
	srv->said_late = g->cut_late;
	srv->said_room = g->cut_room;
}

/* The HTTP loop, on the main thread until a signal: wait on MHD's epoll fd
 * and the signal fd, at most until the next deadline (the guard's or MHD's
 * idle timeout), let MHD run, cut what is overdue. */
int serve_http_run(struct serve_http *srv, const sigset_t *signals)
{
	struct MHD_Daemon *d = srv->d;
	const union MHD_DaemonInfo *ep = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	int sfd = signalfd(-1, signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (!ep || sfd < 0) {
		int e = sfd < 0 ? errno : EINVAL;
		if (sfd >= 0)
			close(sfd);
		return cli_fail(AIPM_EXIT_FAIL, "serve: cannot wait for connections and signals: %s. This is a bug",
				strerror(e));
	}
	struct pollfd p[2] = {{.fd = ep->epoll_fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
	int rc = AIPM_EXIT_OK;
	while (!(p[1].revents & POLLIN)) {
		uint64_t now = now_ns();
		int wait_ms = guard_expire(&srv->guard, now);
		say_cuts(srv, now);
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		if (MHD_get_timeout(d, &mhd_ms) == MHD_YES && (wait_ms < 0 || mhd_ms < (unsigned)wait_ms))
			wait_ms = mhd_ms > INT_MAX ? INT_MAX : (int)mhd_ms;
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR) {
			rc = cli_fail(AIPM_EXIT_FAIL, "serve: waiting for connections failed: %s", strerror(errno));
			break;
		}
		/* MHD's rule: run after every wait, whatever woke it. */
		if (MHD_run(d) != MHD_YES) {
			rc = cli_fail(AIPM_EXIT_FAIL, "serve: libmicrohttpd stopped serving. Restart aipm serve");
			break;
		}
	}
	/* Take the pending signals, or unblocking them at the end would
	 * deliver them (and SIGTERM's default is to die). */
	struct signalfd_siginfo si[4];
	while (read(sfd, si, sizeof si) > 0)
		;
	close(sfd);
	return rc;
}

/* MHD without a thread of its own (serve_http_run runs it), its limit the
 * guard's slots, its per-address limit left to the guard. */
int serve_http_start(struct serve_http *srv, const struct sockaddr_storage *ss, struct exporter *x)
{
	static const struct guard_limits lim = {
		.total = CONN_LIMIT,
		.per_addr = PER_ADDR_LIMIT,
		.head_ns = HEAD_DEADLINE_S * 1000000000ull,
		.reply_ns = REPLY_DEADLINE_S * 1000000000ull,
	};
	*srv = (struct serve_http){.x = x};
	int r = guard_init(&srv->guard, &lim, CONN_LIMIT + CUT_SLACK, cut_socket, NULL);
	if (r < 0)
		return r;
	unsigned flags = MHD_USE_EPOLL;
	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR,
				  (const struct sockaddr *)ss, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned)(CONN_LIMIT + CUT_SLACK), MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				  MHD_OPTION_END);
	return srv->d ? 0 : errno ? -errno : -EINVAL;
}

unsigned serve_http_port(const struct serve_http *srv)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

void serve_http_stop(struct serve_http *srv)
{
	if (srv->d)
		MHD_stop_daemon(srv->d); /* closes every connection: the guard hears of each */
	srv->d = NULL;
	guard_free(&srv->guard);
}


#endif /* AIPM_HAVE_SERVE */
