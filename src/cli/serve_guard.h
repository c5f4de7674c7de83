/* serve_guard.h: who may hold `aipm serve`'s connections, and for how long.
 *
 * libmicrohttpd's own bounds do not survive a cluster network: its timeout
 * is an idle timeout (a client sending a byte every few seconds keeps its
 * slot forever), and its per-address limit refuses the newcomer, so whoever
 * holds 64 connections from 127.0.0.1 locks every local scraper out. The
 * guard replaces both with three rules:
 *
 *  1. Absolute deadlines. A request head must be complete within head_ns of
 *     the connection's accept, or of its previous reply on a kept-alive
 *     connection; a reply must be sent within reply_ns of its head. Bytes
 *     that trickle in do not move a deadline.
 *  2. An address that already holds per_addr connections and opens another
 *     gives up its own least advanced one; the newcomer is not refused.
 *  3. When total connections are open, the address holding the most gives
 *     up its least advanced one.
 *
 * "Least advanced": a connection that has never completed a request, then
 * one kept alive between requests, then one being answered; the oldest
 * first within each. A scraper sends its request as soon as it connects,
 * so it is never the one displaced while an attacker holds more
 * connections (rule 3) or older unfinished ones from the same address
 * (rule 2): every slot an attack holds stays within a scraper's reach,
 * which is the reserved capacity. A scrape itself is unchanged: a copy of
 * the pre-rendered text.
 *
 * Pure bookkeeping in arrays sized once (no allocation after guard_init,
 * no sockets, no clock, no lock): serve.c reports libmicrohttpd's events
 * with the time, on the one thread that runs libmicrohttpd, and passes a
 * `cut` callback that shuts a socket down; libmicrohttpd then closes it and
 * says so (guard_close). It reports the close before it closes the fd, so a
 * cut never reaches a reused fd number.
 */
#ifndef AIPM_CLI_SERVE_GUARD_H
#define AIPM_CLI_SERVE_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum guard_phase {
	GUARD_NEW,   /* accepted, no request completed yet */
	GUARD_IDLE,  /* kept alive, waiting for its next request head */
	GUARD_REPLY, /* its request head is complete: being answered */
};

struct guard_conn {
	int fd;           /* -1: a free slot */
	bool cut;         /* shut down; libmicrohttpd has not closed it yet */
	uint8_t phase;    /* enum guard_phase; the order is the eviction order */
	uint32_t addr;    /* index in guard.addrs */
	uint64_t since_ns; /* when it entered its phase */
};

struct guard_addr {
	unsigned char key[16]; /* IPv6, or IPv4 as ::ffff:a.b.c.d */
	uint32_t conns;        /* connections not cut; 0: a free entry */
};

struct guard_limits {
	uint32_t total, per_addr; /* connections, all and per address (>= 1) */
	uint64_t head_ns, reply_ns;
};

struct guard {
	struct guard_limits lim;
	struct guard_conn *conns; /* nslots: total plus room for cut ones */
	struct guard_addr *addrs; /* nslots too: one per connection at most */
	uint32_t nslots, live;    /* live: open and not cut */
	uint64_t next_ns;         /* no deadline falls before this */
	void (*cut)(void *ctx, int fd);
	void *ctx;
	uint64_t cut_late, cut_room; /* cut by a deadline, by rule 2 or 3 */
};

/* nslots > lim->total: the cut connections libmicrohttpd has not closed
 * yet need slots too. Returns 0 or -ENOMEM / -EINVAL. */
int guard_init(struct guard *g, const struct guard_limits *lim, uint32_t nslots, void (*cut)(void *ctx, int fd),
	       void *ctx);
void guard_free(struct guard *g);
/* A connection was accepted. May cut another first (rules 2 and 3).
 * Returns its slot, or NULL when every slot is taken (the caller shuts the
 * newcomer down itself). */
struct guard_conn *guard_open(struct guard *g, int fd, const struct sockaddr *sa, uint64_t now_ns);
/* Its request head is complete / its reply was sent (or abandoned). */
void guard_head_done(struct guard *g, struct guard_conn *c, uint64_t now_ns);
void guard_reply_done(struct guard *g, struct guard_conn *c, uint64_t now_ns);
/* libmicrohttpd closed it: the slot is free. */
void guard_close(struct guard *g, struct guard_conn *c);
/* Cut every connection past its deadline. Returns the milliseconds until
 * the next deadline (rounded up; at times sooner: the deadline of one cut
 * or closed since may wake the caller once), -1 if there is none. */
int guard_expire(struct guard *g, uint64_t now_ns);

#endif
