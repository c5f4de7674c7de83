/* control.c: see control.h. One server thread handles one connection at a
 * time: requests are a few bytes and a line written, so a queue of clients
 * waits microseconds. A client that connects and sends nothing is dropped
 * after a timeout, so it cannot stall the others; a client of another user
 * is dropped at once. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "aipm.h"
#include "error.h"

#define MSG_MAX 65536
#define CLIENT_TIMEOUT_MS 5000
#define LOG_MAX 256 /* metrics in one results_exp.json line, as `aipm log` allows */

struct control {
	int listen_fd, wake[2];
	pthread_t thread;
	bool started;
	aipm_recording *rec; /* its phases and metrics (not owned) */
	char name[64]; /* AIPM_CONTROL: "@" and the abstract socket's name */
};

/* The address AIPM_CONTROL names: "@NAME" is an abstract socket (what
 * aipm run serves), anything else a socket file. */
static int address(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (n >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@') {
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)sizeof *sa;
	}
	return 0;
}

/* The user of the process at the other end; (uid_t)-1 when unknown. */
static uid_t peer_uid(int fd)
{
	struct ucred cr;
	socklen_t n = sizeof cr;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) == 0 ? cr.uid : (uid_t)-1;
}

static bool trusted(uid_t uid) { return uid == geteuid() || uid == 0; }

/* Split a request into its NUL-separated fields: all are counted, the
 * first max stored. */
static size_t fields(char *msg, size_t len, char **f, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < len; n++) {
		if (n < max)
			f[n] = msg + i;
		i += strlen(msg + i) + 1;
	}
	return n;
}

static int handle(struct control *c, char *msg, size_t len)
{
	char *f[1 + 2 * LOG_MAX];
	msg[len] = '\0'; /* the buffer has room: fields end even if the client forgot */
	size_t n = fields(msg, len, f, sizeof f / sizeof f[0]);
	if (n > sizeof f / sizeof f[0] && !strcmp(f[0], "log"))
		return aipm_err(-E2BIG, "%zu metrics in one log request; at most %d make one line. Log them in "
					"several calls", (n - 1) / 2, LOG_MAX);
	if (n == 2 && !strcmp(f[0], "begin"))
		return aipm_recording_phase_begin(c->rec, f[1]);
	if (n == 2 && !strcmp(f[0], "end"))
		return aipm_recording_phase_end(c->rec, f[1]);
	if (n >= 3 && n % 2 == 1 && !strcmp(f[0], "log")) {
		const char *names[LOG_MAX];
		double values[LOG_MAX];
		size_t k = 0;
		for (size_t i = 1; i + 1 < n; i += 2, k++) {
			char *end;
			names[k] = f[i];
			values[k] = strtod(f[i + 1], &end);
			if (end == f[i + 1] || *end)
				return aipm_err(-EINVAL, "metric '%s': '%s' is not a number", f[i], f[i + 1]);
		}
		return aipm_recording_log_many(c->rec, names, values, k);
	}
	return aipm_err(-EPROTO, "malformed request (an aipm of another version?). Use the aipm that runs "
				 "the measurement");
}

static void reply(int fd, int e)
{
	char r[1200];
	size_t n;
	if (e >= 0)
		n = (size_t)snprintf(r, sizeof r, "ok");
	else
		n = (size_t)snprintf(r, sizeof r, "error%c%d%c%s", 0, -e, 0, aipm_error_last());
	if (n >= sizeof r)
		n = sizeof r - 1;
	if (send(fd, r, n, MSG_NOSIGNAL) < 0) { /* the client gave up: nothing to tell it */
	}
}

static void serve_one(struct control *c, int fd)
{
	static char msg[MSG_MAX + 1];
	/* An abstract socket has no file permissions: anyone on the machine
	 * may connect, so the peer's user is checked. Another user's request
	 * is read (briefly: it must not hold the others up) only to be
	 * answered with the refusal, not reset. */
	uid_t uid = peer_uid(fd);
	bool ok = trusted(uid);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ok ? CLIENT_TIMEOUT_MS : 200) <= 0)
		return;
	/* MSG_TRUNC: the real size, so a request cut to the buffer is refused,
	 * never half obeyed. */
	ssize_t len = recv(fd, msg, MSG_MAX, MSG_TRUNC);
	if (len <= 0)
		return;
	if (!ok)
		reply(fd, aipm_err(-EPERM, "this aipm run belongs to uid %d: a process of uid %d may not mark its "
					   "phases or log into it", (int)geteuid(), (int)uid));
	else
		reply(fd, len > MSG_MAX ? aipm_err(-E2BIG, "a request of %zd bytes; at most %d", len, MSG_MAX)
					: handle(c, msg, (size_t)len));
}

static void *serve(void *arg)
{
	struct control *c = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = c->listen_fd, .events = POLLIN}, {.fd = c->wake[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_one(c, fd);
		close(fd);
	}
	return NULL;
}

/* The socket is abstract (a name, no file): it disappears with aipm
 * however aipm ends, so a killed run leaves nothing behind, and no
 * directory is needed. The name is random, so it cannot be taken in
 * advance; the pid in it says whose it is. */
int control_start(struct control **out, aipm_recording *rec)
{
	struct control *c = calloc(1, sizeof *c);
	if (!c)
		return aipm_err(-ENOMEM, "out of memory");
	c->listen_fd = c->wake[0] = c->wake[1] = -1;
	int e;
	c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0) {
		e = aipm_err(-errno, "control socket: %s", strerror(errno));
		goto fail;
	}
	for (int tries = 0;; tries++) {
		uint64_t r = 0;
		if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
			r ^= (uint64_t)(uintptr_t)c ^ ((uint64_t)getpid() << 32);
		snprintf(c->name, sizeof c->name, "@aipm-%d-%016llx", (int)getpid(), (unsigned long long)r);
		struct sockaddr_un sa;
		socklen_t len;
		if ((e = address(c->name, &sa, &len)) < 0) {
			e = aipm_err(e, "control socket %s: the name is too long", c->name);
			goto fail;
		}
		if (bind(c->listen_fd, (struct sockaddr *)&sa, len) == 0)
			break;
		if (errno != EADDRINUSE || tries == 8) {
			e = aipm_err(-errno, "control socket %s: %s", c->name, strerror(errno));
			goto fail;
		}
	}
	if (listen(c->listen_fd, 64) < 0 || pipe2(c->wake, O_CLOEXEC) < 0) {
		e = aipm_err(-errno, "control socket %s: %s", c->name, strerror(errno));
		goto fail;
	}
	c->rec = rec;
	if ((e = -pthread_create(&c->thread, NULL, serve, c)) < 0) {
		aipm_err(e, "cannot start the control thread: %s", strerror(-e));
		goto fail;
	}
	c->started = true;
	setenv(AIPM_CONTROL_ENV, c->name, 1);
	*out = c;
	return 0;
fail:
	control_stop(c);
	return e;
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	if (c->started) {
		if (write(c->wake[1], "x", 1) < 0) { /* the pipe cannot be full: one byte, once */
		}
		pthread_join(c->thread, NULL);
		unsetenv(AIPM_CONTROL_ENV);
	}
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	for (int i = 0; i < 2; i++)
		if (c->wake[i] >= 0)
			close(c->wake[i]);
	free(c);
}

int control_request(const char *req, size_t len)
{
	const char *path = getenv(AIPM_CONTROL_ENV);
	if (!path || !*path)
		return aipm_err(-ENOENT, "not inside `aipm run`: AIPM_CONTROL is not set. Run your command as "
					 "`aipm run -o DIR -- CMD`, and call this from CMD or a process it starts");
	struct sockaddr_un sa;
	socklen_t salen;
	if (address(path, &sa, &salen) < 0)
		return aipm_err(-ENAMETOOLONG, "AIPM_CONTROL=%s is too long for a unix socket name", path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return aipm_err(-errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		int e = -errno;
		close(fd);
		/* Not -ENOENT, which means "not inside aipm run" to the caller. */
		return aipm_err(-ECONNREFUSED, "cannot reach the running aipm at AIPM_CONTROL=%s: %s. Has `aipm run` "
				   "ended? (AIPM_CONTROL is only valid while it runs)", path, strerror(-e));
	}
	/* Anyone may take a free abstract name: a server of another user is
	 * not the aipm run this process is measured by. */
	uid_t server = peer_uid(fd);
	if (!trusted(server)) {
		close(fd);
		return aipm_err(-ECONNREFUSED, "AIPM_CONTROL=%s is served by a process of uid %d, not by an aipm "
				   "run of yours. Has `aipm run` ended?", path, (int)server);
	}
	char reply[1300];
	ssize_t n = -1;
	if (send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2 * CLIENT_TIMEOUT_MS) > 0)
			n = recv(fd, reply, sizeof reply - 1, 0);
	}
	int e = n < 0 ? -errno : 0;
	close(fd);
	if (n <= 0)
		return aipm_err(n == 0 || !e ? -ETIMEDOUT : e, "the running aipm at %s did not answer%s%s", path,
				e ? ": " : "", e ? strerror(-e) : "");
	reply[n] = '\0';
	if (!strcmp(reply, "ok"))
		return 0;
	if (!strcmp(reply, "error") && (size_t)n > 6) {
		const char *code = reply + 6;
		const char *msg = code + strlen(code) + 1;
		int err = atoi(code);
		return aipm_err(err > 0 ? -err : -EIO, "%s", msg < reply + n ? msg : "unknown error");
	}
	return aipm_err(-EPROTO, "the running aipm sent an unexpected reply");
}
