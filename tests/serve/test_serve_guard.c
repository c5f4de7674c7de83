/* test_serve_guard.c: aipm serve's connection guard (src/cli/serve_guard.c)
 * on made-up times and fds, no sockets: the deadlines are absolute, a bound
 * displaces the least advanced connection of the right address instead of
 * refusing the newcomer, and a cut slot is reused only once MHD closed it.
 * The same rules under real attacks: slow_clients.py. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "serve_guard.h"

#define S 1000000000ull /* ns per second */

/* The fds the guard cut, in order. */
struct cuts {
	int fd[64];
	int n;
};

static void record_cut(void *ctx, int fd)
{
	struct cuts *c = ctx;
	if (c->n < 64)
		c->fd[c->n++] = fd;
}

static struct guard make(struct cuts *cuts, uint32_t total, uint32_t per_addr, uint32_t nslots)
{
	/* Different deadlines per phase, so that mixing them up shows. */
	struct guard_limits lim = {.total = total, .per_addr = per_addr, .head_ns = 10 * S, .reply_ns = 4 * S};
	struct guard g;
	memset(cuts, 0, sizeof *cuts);
	assert_int_equal(guard_init(&g, &lim, nslots, record_cut, cuts), 0);
	return g;
}

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	assert_int_equal(inet_pton(AF_INET, a, &sa.sin_addr), 1);
	return sa;
}

static struct guard_conn *open_from(struct guard *g, int fd, const char *addr, uint64_t t)
{
	struct sockaddr_in sa = v4(addr);
	return guard_open(g, fd, (const struct sockaddr *)&sa, t);
}

static void test_guard_head_deadline_counts_from_the_accept(void **state)
{
	(void)state;
	struct cuts cuts;
	struct guard g = make(&cuts, 8, 8, 9);
	open_from(&g, 10, "10.0.0.1", 0);
	/* Polled often, as while bytes trickle in: nothing moves it. */
	for (uint64_t t = 0; t < 10 * S; t += S / 2)
		assert_int_equal(guard_expire(&g, t), (int)((10 * S - t + 999999) / 1000000));
	/* Rounded up: a wait that ends before the deadline would spin. */
	assert_int_equal(guard_expire(&g, 10 * S - 1), 1);
	assert_int_equal(cuts.n, 0);
	assert_int_equal(guard_expire(&g, 10 * S), -1);
	assert_int_equal(cuts.n, 1);
	assert_int_equal(cuts.fd[0], 10);
	assert_int_equal(g.cut_late, 1);
	guard_free(&g);
}

static void test_guard_reply_and_next_head_get_deadlines_of_their_own(void **state)
{
	(void)state;
	struct cuts cuts;
	struct guard g = make(&cuts, 8, 8, 9);
	struct guard_conn *c = open_from(&g, 10, "10.0.0.1", 0);
	guard_head_done(&g, c, 9 * S); /* the head just in time */
	assert_int_equal(guard_expire(&g, 12 * S), 1000);
	assert_int_equal(cuts.n, 0);
	guard_reply_done(&g, c, 12 * S); /* kept alive: a new head deadline */
	guard_expire(&g, 22 * S - 1);
	assert_int_equal(cuts.n, 0);
	guard_expire(&g, 22 * S);
	assert_int_equal(cuts.n, 1);

	/* A reply that is never taken is cut at its own deadline. */
	c = open_from(&g, 11, "10.0.0.1", 30 * S);
	guard_head_done(&g, c, 30 * S);
	guard_expire(&g, 34 * S - 1);
	assert_int_equal(cuts.n, 1);
	guard_expire(&g, 34 * S);
	assert_int_equal(cuts.n, 2);
	assert_int_equal(cuts.fd[1], 11);
	guard_free(&g);
}

/* 64 half-sent requests from 127.0.0.1 and a scraper on the same address:
 * the scraper's next connection displaces the oldest half-sent one; the
 * scraper (answering or kept alive) is never the one cut. */
static void test_guard_address_at_its_bound_gives_up_its_oldest_unfinished(void **state)
{
	(void)state;
	struct cuts cuts;
	struct guard g = make(&cuts, 512, 4, 600);
	struct guard_conn *scraper = open_from(&g, 100, "127.0.0.1", 0);
	guard_head_done(&g, scraper, 0);
	guard_reply_done(&g, scraper, 0); /* kept alive, idle: the oldest of all */
	for (int i = 0; i < 3; i++)
		open_from(&g, 1 + i, "127.0.0.1", (uint64_t)(1 + i) * S);
	assert_int_equal(cuts.n, 0);
	assert_non_null(open_from(&g, 200, "127.0.0.1", 5 * S));
	assert_int_equal(cuts.n, 1);
	assert_int_equal(cuts.fd[0], 1); /* the oldest never-finished one */
	assert_int_equal(g.cut_room, 1);
	/* Another address is not touched by 127.0.0.1's bound. */
	open_from(&g, 300, "127.0.0.2", 6 * S);
	assert_int_equal(cuts.n, 1);
	guard_free(&g);
}

/* Full: the address holding the most gives one up, whoever arrives. */
static void test_guard_full_server_takes_from_the_busiest_address(void **state)
{
	(void)state;
	struct cuts cuts;
	struct guard g = make(&cuts, 5, 64, 8);
	open_from(&g, 1, "10.0.0.9", 0); /* a scraper's connection, oldest of all */
	for (int i = 0; i < 3; i++)
		open_from(&g, 10 + i, "10.0.0.66", (uint64_t)(1 + i) * S);
	open_from(&g, 20, "10.0.0.77", 4 * S);
	assert_int_equal(g.live, 5);
	assert_non_null(open_from(&g, 30, "10.0.0.88", 5 * S));
	assert_int_equal(cuts.n, 1);
	assert_int_equal(cuts.fd[0], 10);
	assert_int_equal(g.live, 5);
	/* The busiest address itself, arriving again, also gives one up. */
	assert_non_null(open_from(&g, 13, "10.0.0.66", 6 * S));
	assert_int_equal(cuts.n, 2);
	assert_int_equal(cuts.fd[1], 11);
	guard_free(&g);
}

/* Least advanced first: never finished, then kept alive, then answering,
 * whatever their ages; the oldest within a phase. */
static void test_guard_cuts_new_before_idle_before_reply(void **state)
{
	(void)state;
	struct cuts cuts;
	struct guard g = make(&cuts, 8, 3, 12);
	struct guard_conn *c = open_from(&g, 2, "10.0.0.1", 0);
	guard_head_done(&g, c, 0); /* answering since 0 */
	c = open_from(&g, 1, "10.0.0.1", 1 * S);
	guard_head_done(&g, c, 1 * S);
	guard_reply_done(&g, c, 5 * S); /* kept alive since 5 */
	open_from(&g, 3, "10.0.0.1", 9 * S); /* the youngest, never finished */
	c = open_from(&g, 4, "10.0.0.1", 10 * S);
	assert_int_equal(cuts.n, 1);
	assert_int_equal(cuts.fd[0], 3);
	guard_head_done(&g, c, 10 * S);
	c = open_from(&g, 5, "10.0.0.1", 11 * S);
	assert_int_equal(cuts.n, 2);
	assert_int_equal(cuts.fd[1], 1); /* idle, younger than the one answering */
	guard_head_done(&g, c, 11 * S);
	open_from(&g, 6, "10.0.0.1", 12 * S);
	assert_int_equal(cuts.n, 3);
	assert_int_equal(cuts.fd[2], 2); /* the oldest of those answering */
	guard_free(&g);
}

/* A cut connection keeps its slot until MHD closes it: its fd is still
 * open, and only then may the number be reused. */
static void test_guard_cut_slot_is_free_only_once_closed(void **state)
{
	(void)state;
	struct cuts cuts;
	struct guard g = make(&cuts, 1, 1, 2);
	struct guard_conn *a = open_from(&g, 7, "10.0.0.1", 0);
	struct guard_conn *b = open_from(&g, 8, "10.0.0.1", 1 * S); /* cuts 7 */
	assert_non_null(b);
	assert_int_equal(cuts.n, 1);
	assert_null(open_from(&g, 9, "10.0.0.2", 2 * S)); /* no slot left */
	guard_head_done(&g, a, 2 * S);                      /* late news of a cut one: ignored */
	assert_int_equal(guard_expire(&g, 10 * S), 1000);   /* a is not cut twice; b is due at 11 s */
	assert_int_equal(cuts.n, 1);
	guard_close(&g, a);
	assert_int_equal(g.live, 1);
	assert_non_null(open_from(&g, 7, "10.0.0.2", 10 * S)); /* the number again, a new connection */
	assert_int_equal(cuts.n, 2);                         /* b made room: the server holds 1 */
	guard_close(&g, b);
	assert_int_equal(g.live, 1);
	guard_free(&g);
}

static void test_guard_ipv4_and_mapped_ipv6_are_one_address(void **state)
{
	(void)state;
	struct cuts cuts;
	struct guard g = make(&cuts, 8, 1, 9);
	open_from(&g, 1, "192.0.2.1", 0);
	struct sockaddr_in6 m = {.sin6_family = AF_INET6};
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.1", &m.sin6_addr), 1);
	guard_open(&g, 2, (const struct sockaddr *)&m, 1 * S);
	assert_int_equal(cuts.n, 1);
	struct sockaddr_in6 other = {.sin6_family = AF_INET6};
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &other.sin6_addr), 1);
	guard_open(&g, 3, (const struct sockaddr *)&other, 2 * S);
	assert_int_equal(cuts.n, 1);
	guard_free(&g);
}

static void test_guard_refuses_impossible_limits(void **state)
{
	(void)state;
	struct guard g;
	struct cuts cuts;
	struct guard_limits lim = {.total = 4, .per_addr = 1, .head_ns = S, .reply_ns = S};
	assert_int_equal(guard_init(&g, &lim, 4, record_cut, &cuts), -EINVAL); /* no room for cut ones */
	lim.per_addr = 0;
	assert_int_equal(guard_init(&g, &lim, 8, record_cut, &cuts), -EINVAL);
	g = make(&cuts, 4, 4, 5);
	assert_int_equal(guard_expire(&g, 0), -1);
	guard_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard_head_deadline_counts_from_the_accept),
		cmocka_unit_test(test_guard_reply_and_next_head_get_deadlines_of_their_own),
		cmocka_unit_test(test_guard_address_at_its_bound_gives_up_its_oldest_unfinished),
		cmocka_unit_test(test_guard_full_server_takes_from_the_busiest_address),
		cmocka_unit_test(test_guard_cuts_new_before_idle_before_reply),
		cmocka_unit_test(test_guard_cut_slot_is_free_only_once_closed),
		cmocka_unit_test(test_guard_ipv4_and_mapped_ipv6_are_one_address),
		cmocka_unit_test(test_guard_refuses_impossible_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
