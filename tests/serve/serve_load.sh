#!/bin/sh
# aipm serve under load: wrk on loopback for a bounded time (5 s, 2
# threads, 50 connections). Every response must be a 200 and the resident
# memory must stay flat: a scrape is a copy of pre-rendered text, so
# nothing may accumulate per request.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
trap 'serve_stop; rm -rf "$T"' EXIT
if ! command -v wrk >/dev/null 2>&1; then
	"$AIPM_SRC/scripts/deps.sh" --integration >/dev/null 2>&1 || true
	command -v wrk >/dev/null 2>&1 || skip "wrk is not installed and could not be (apt-get install wrk)"
fi
# ASan parks freed memory in a quarantine (256 MiB by default), which
# would read as growth; keep it small so RSS measures aipm, not ASan.
# Leak checking is off because of the privilege drop (see serve_http.sh).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1:thread_local_quarantine_size_kb=64:detect_leaks=0"
make_rapl_tree make "$T/sys" server2
export AIPM_SYSFS_ROOT="$T/sys"
check "aipm serve starts" serve_start "$T/serve.err" --interval 0.1 --user nobody
url="http://127.0.0.1:$SERVE_PORT/metrics"
# Warm-up: MHD's connection pools and the allocator reach their steady size.
wrk -t2 -c50 -d1s "$url" >"$T/warm.txt" 2>&1
before=$(rss_kb "$SERVE_PID")
wrk -t2 -c50 -d5s --timeout 2s "$url" >"$T/wrk.txt" 2>&1
after=$(rss_kb "$SERVE_PID")
sed 's/^/    | /' "$T/wrk.txt"
echo "    RSS before ${before} kB, after ${after} kB"
reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$T/wrk.txt")
check "wrk completed requests ($reqs)" [ "${reqs:-0}" -gt 1000 ]
check "no non-2xx responses" sh -c "! grep -q 'Non-2xx' '$T/wrk.txt'"
check "no socket errors" sh -c "! grep -q 'Socket errors' '$T/wrk.txt'"
check "RSS flat: ${before} kB -> ${after} kB (within 4 MiB)" [ "$after" -le $((before + 4096)) ]
scrape "$SERVE_PORT" "$T/m"
grep_q "still serving after the load" '^aipm_up 1$' "$T/m"
expect_rc 0 "stops cleanly after the load" serve_stop
finish
