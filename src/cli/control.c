/* control.c: see control.h. One server thread handles one connection at a
 * time: requests are a few bytes and a line written, so a queue of clients
 * waits microseconds. A client that connects and sends nothing is dropped
 * after a timeout, so it cannot stall the others. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "aipm.h"
#include "error.h"
#include "record/phases.h"

#define MSG_MAX 65536
#define CLIENT_TIMEOUT_MS 5000

struct control {
	int listen_fd, wake[2];
	pthread_t thread;
	bool started;
	struct aipm_phases *phases;
	char dir[4096], path[sizeof ((struct sockaddr_un *)0)->sun_path];
};

/* Split a request into its NUL-separated fields (at most max). */
static size_t fields(char *msg, size_t len, char **f, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n < max;) {
		f[n++] = msg + i;
		i += strlen(msg + i) + 1;
	}
	return n;
}

static int handle(struct control *c, char *msg, size_t len)
{
	char *f[1 + 2 * 256];
	msg[len] = '\0'; /* the buffer has room: fields end even if the client forgot */
	size_t n = fields(msg, len, f, sizeof f / sizeof f[0]);
	if (n == 2 && !strcmp(f[0], "begin"))
		return aipm_phases_begin(c->phases, f[1]);
	if (n == 2 && !strcmp(f[0], "end"))
		return aipm_phases_end(c->phases, f[1]);
	if (n >= 3 && n % 2 == 1 && !strcmp(f[0], "log")) {
		const char *names[256];
		double values[256];
		size_t k = 0;
		for (size_t i = 1; i + 1 < n; i += 2, k++) {
			char *end;
			names[k] = f[i];
			values[k] = strtod(f[i + 1], &end);
			if (end == f[i + 1] || *end)
				return aipm_err(-EINVAL, "metric '%s': '%s' is not a number", f[i], f[i + 1]);
		}
		return aipm_phases_log(c->phases, names, values, k);
	}
	return aipm_err(-EPROTO, "malformed request (an aipm of another version?). Use the aipm that runs "
				 "the measurement");
}

static void serve_one(struct control *c, int fd)
{
	static char msg[MSG_MAX + 1];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, CLIENT_TIMEOUT_MS) <= 0)
		return;
	ssize_t len = recv(fd, msg, MSG_MAX, 0);
	if (len <= 0)
		return;
	int e = handle(c, msg, (size_t)len);
	char reply[1200];
	size_t rlen;
	if (e >= 0)
		rlen = (size_t)snprintf(reply, sizeof reply, "ok");
	else
		rlen = (size_t)snprintf(reply, sizeof reply, "error%c%d%c%s", 0, -e, 0, aipm_error_last());
	if (rlen >= sizeof reply)
		rlen = sizeof reply - 1;
	if (send(fd, reply, rlen, MSG_NOSIGNAL) < 0) { /* the client gave up: nothing to tell it */
	}
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

static int socket_dir(char *out, size_t n)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	if (!base || access(base, W_OK) < 0)
		base = getenv("TMPDIR");
	if (!base || access(base, W_OK) < 0)
		base = "/tmp";
	snprintf(out, n, "%s/aipm-XXXXXX", base);
	if (!mkdtemp(out))
		return aipm_err(-errno, "cannot create a directory for the control socket in %s: %s. Set TMPDIR "
					"to a writable directory", base, strerror(errno));
	return 0;
}

int control_start(struct control **out, const char *dir, bool append)
{
	struct control *c = calloc(1, sizeof *c);
	if (!c)
		return aipm_err(-ENOMEM, "out of memory");
	c->listen_fd = c->wake[0] = c->wake[1] = -1;
	int e = socket_dir(c->dir, sizeof c->dir);
	if (e < 0) {
		free(c);
		return e;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if ((size_t)snprintf(c->path, sizeof c->path, "%s/control", c->dir) >= sizeof c->path) {
		e = aipm_err(-ENAMETOOLONG, "the control socket's path %s/control is too long for a unix socket. "
					    "Set TMPDIR to a shorter directory", c->dir);
		goto fail;
	}
	memcpy(sa.sun_path, c->path, sizeof c->path);
	c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(c->listen_fd, 64) < 0 || pipe2(c->wake, O_CLOEXEC) < 0) {
		e = aipm_err(-errno, "control socket %s: %s", c->path, strerror(errno));
		goto fail;
	}
	if ((e = aipm_phases_open(&c->phases, dir, append)) < 0)
		goto fail;
	if ((e = -pthread_create(&c->thread, NULL, serve, c)) < 0) {
		aipm_err(e, "cannot start the control thread: %s", strerror(-e));
		goto fail;
	}
	c->started = true;
	setenv(AIPM_CONTROL_ENV, c->path, 1);
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
	unlink(c->path);
	rmdir(c->dir);
	aipm_phases_close(c->phases);
	free(c);
}

int control_request(const char *req, size_t len)
{
	const char *path = getenv(AIPM_CONTROL_ENV);
	if (!path || !*path)
		return aipm_err(-ENOENT, "not inside `aipm run`: AIPM_CONTROL is not set. Run your command as "
					 "`aipm run -o DIR -- CMD`, and call this from CMD or a process it starts");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return aipm_err(-ENAMETOOLONG, "AIPM_CONTROL=%s is too long for a unix socket path", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return aipm_err(-errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = -errno;
		close(fd);
		/* Not -ENOENT, which means "not inside aipm run" to the caller. */
		return aipm_err(-ECONNREFUSED, "cannot reach the running aipm at AIPM_CONTROL=%s: %s. Has `aipm run` "
				   "ended? (AIPM_CONTROL is only valid while it runs)", path, strerror(-e));
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
