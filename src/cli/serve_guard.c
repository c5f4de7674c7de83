/* serve_guard.c: deadlines and fair eviction for aipm serve's connections
 * (the rules are in serve_guard.h).
 *
 * Every operation is a linear scan of at most nslots (576) entries, a few
 * microseconds, and runs once per connection or per request state change,
 * never per byte: kept-alive scrapers (Prometheus, wrk) open connections
 * rarely, and a flood of connects costs the flooder at least as much. A
 * hash table would be faster and would be code nobody needs.
 */
#include "serve_guard.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int guard_init(struct guard *g, const struct guard_limits *lim, uint32_t nslots, void (*cut)(void *ctx, int fd),
	       void *ctx)
{
	if (!lim->total || !lim->per_addr || nslots <= lim->total || !cut)
		return -EINVAL;
	*g = (struct guard){.lim = *lim, .nslots = nslots, .next_ns = UINT64_MAX, .cut = cut, .ctx = ctx};
	g->conns = calloc(nslots, sizeof *g->conns);
	g->addrs = calloc(nslots, sizeof *g->addrs);
	if (!g->conns || !g->addrs) {
		guard_free(g);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nslots; i++)
		g->conns[i].fd = -1;
	return 0;
}

void guard_free(struct guard *g)
{
	free(g->conns);
	free(g->addrs);
	g->conns = NULL;
	g->addrs = NULL;
}

/* IPv4 as the IPv4-mapped IPv6 address, so a dual-stack listener counts
 * one client once whichever way it comes. */
static void addr_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
}

/* The entry of this address, or a free one made its own. There is always
 * one: entries in use <= live connections < nslots. */
static uint32_t addr_find(struct guard *g, const unsigned char key[16])
{
	uint32_t free_at = UINT32_MAX;
	for (uint32_t i = 0; i < g->nslots; i++) {
		if (!g->addrs[i].conns) {
			if (free_at == UINT32_MAX)
				free_at = i;
		} else if (!memcmp(g->addrs[i].key, key, 16)) {
			return i;
		}
	}
	memcpy(g->addrs[free_at].key, key, 16);
	return free_at;
}

static bool live(const struct guard_conn *c)
{
	return c->fd >= 0 && !c->cut;
}

static uint64_t deadline(const struct guard *g, const struct guard_conn *c)
{
	uint64_t d = c->since_ns + (c->phase == GUARD_REPLY ? g->lim.reply_ns : g->lim.head_ns);
	return d < c->since_ns ? UINT64_MAX : d; /* saturate */
}

/* A new deadline is never earlier than those already counted unless the
 * limits differ by phase; keeping the minimum covers both. */
static void arm(struct guard *g, const struct guard_conn *c)
{
	uint64_t d = deadline(g, c);
	if (d < g->next_ns)
		g->next_ns = d;
}

static void cut(struct guard *g, struct guard_conn *c)
{
	c->cut = true;
	g->addrs[c->addr].conns--;
	g->live--;
	g->cut(g->ctx, c->fd);
}

/* The least advanced live connection of address a: lowest phase, then
 * oldest in it. */
static struct guard_conn *least_advanced(struct guard *g, uint32_t a)
{
	struct guard_conn *worst = NULL;
	for (uint32_t i = 0; i < g->nslots; i++) {
		struct guard_conn *c = &g->conns[i];
		if (!live(c) || c->addr != a)
			continue;
		if (!worst || c->phase < worst->phase || (c->phase == worst->phase && c->since_ns < worst->since_ns))
			worst = c;
	}
	return worst;
}

static uint32_t busiest(const struct guard *g)
{
	uint32_t best = 0;
	for (uint32_t i = 1; i < g->nslots; i++)
		if (g->addrs[i].conns > g->addrs[best].conns)
			best = i;
	return best;
}

struct guard_conn *guard_open(struct guard *g, int fd, const struct sockaddr *sa, uint64_t now_ns)
{
	struct guard_conn *slot = NULL;
	for (uint32_t i = 0; i < g->nslots && !slot; i++)
		if (g->conns[i].fd < 0)
			slot = &g->conns[i];
	if (!slot)
		return NULL;
	unsigned char key[16];
	addr_key(sa, key);
	uint32_t a = addr_find(g, key);
	struct guard_conn *victim = NULL;
	if (g->addrs[a].conns >= g->lim.per_addr)
		victim = least_advanced(g, a); /* rule 2 */
	else if (g->live >= g->lim.total)
		victim = least_advanced(g, busiest(g)); /* rule 3 */
	if (victim) {
		cut(g, victim);
		g->cut_room++;
	}
	*slot = (struct guard_conn){.fd = fd, .phase = GUARD_NEW, .addr = a, .since_ns = now_ns};
	g->addrs[a].conns++;
	g->live++;
	arm(g, slot);
	return slot;
}

static void enter(struct guard *g, struct guard_conn *c, enum guard_phase p, uint64_t now_ns)
{
	if (!live(c))
		return; /* cut: its deadline no longer matters */
	c->phase = (uint8_t)p;
	c->since_ns = now_ns;
	arm(g, c);
}

void guard_head_done(struct guard *g, struct guard_conn *c, uint64_t now_ns)
{
	enter(g, c, GUARD_REPLY, now_ns);
}

void guard_reply_done(struct guard *g, struct guard_conn *c, uint64_t now_ns)
{
	enter(g, c, GUARD_IDLE, now_ns);
}

void guard_close(struct guard *g, struct guard_conn *c)
{
	if (live(c)) {
		g->addrs[c->addr].conns--;
		g->live--;
	}
	c->fd = -1;
	c->cut = false;
}

int guard_expire(struct guard *g, uint64_t now_ns)
{
	if (now_ns >= g->next_ns) {
		uint64_t next = UINT64_MAX;
		for (uint32_t i = 0; i < g->nslots; i++) {
			struct guard_conn *c = &g->conns[i];
			if (!live(c))
				continue;
			uint64_t d = deadline(g, c);
			if (d <= now_ns) {
				cut(g, c);
				g->cut_late++;
			} else if (d < next) {
				next = d;
			}
		}
		g->next_ns = next;
	}
	if (g->next_ns == UINT64_MAX)
		return -1;
	uint64_t ms = (g->next_ns - now_ns + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}
