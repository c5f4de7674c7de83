#!/bin/sh
# aipm serve against slow clients while a scraper polls (slow_clients.py):
# more slow sockets than slots from 9 addresses, the per-address bound
# filled from the scraper's own address, and slow sockets within every
# bound that only the request-head deadline closes. Every scrape must be
# answered; figures are printed, and RSS before and after the attacks.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
trap 'serve_stop; rm -rf "$T"' EXIT
# Leak checking is off because of the privilege drop (see serve_http.sh);
# a small quarantine so RSS measures aipm, not ASan (see serve_load.sh).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0:quarantine_size_mb=1:thread_local_quarantine_size_kb=64"
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
check "aipm serve starts" serve_start "$T/serve.err" --interval 0.2 --user nobody

before=$(rss_kb "$SERVE_PID")
for mode in over loopback deadline; do
	check "scrapes get through the '$mode' attack" python3 "$AIPM_SRC/tests/serve/slow_clients.py" "$SERVE_PORT" "$mode"
done
after=$(rss_kb "$SERVE_PID")
# Up to 576 connection pools of 16 KiB stay in the allocator's high-water
# mark (9 MiB); thousands of connections leaking a pool each would not fit.
check "RSS after thousands of attacking connections: ${before} kB -> ${after} kB (within 32 MiB)" \
	[ "$after" -le $((before + 32768)) ]
grep_q "stderr says connections were cut" "^aipm: serve: closed .* connection" "$T/serve.err"
scrape "$SERVE_PORT" "$T/m"
grep_q "still serving after the attacks" '^aipm_up 1$' "$T/m"
expect_rc 0 "stops cleanly after the attacks" serve_stop
finish
