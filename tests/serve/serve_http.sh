#!/bin/sh
# aipm serve over real sockets on loopback: the exposition of a fake
# powercap tree, GET/HEAD only, malformed and oversized requests, idle
# connections, the privilege drop and no_new_privs in every thread, RAPL
# missing, bad arguments.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
trap 'serve_stop; rm -rf "$T"' EXIT
# The privilege drop makes the process non-dumpable, so LeakSanitizer
# cannot ptrace it at exit; leaks are the unit tests' job.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"

if [ "$(id -u)" = 0 ]; then
	expect_rc 2 "a --user that does not exist is refused" "$AIPM" serve --user aipm-no-such-user --listen 127.0.0.1:0
	"$AIPM" serve --user aipm-no-such-user --listen 127.0.0.1:0 2>"$T/nouser.err"
	grep_q "the error names the missing user" "aipm-no-such-user' does not exist" "$T/nouser.err"
fi
expect_rc 2 "--listen without a port is a usage error" "$AIPM" serve --listen 127.0.0.1
expect_rc 2 "--listen with a host name is a usage error" "$AIPM" serve --listen example.org:80
expect_rc 2 "--interval 0 is a usage error" "$AIPM" serve --interval 0
expect_rc 2 "an unknown flag is a usage error" "$AIPM" serve --bogus

check "aipm serve starts on a fake powercap tree" serve_start "$T/serve.err" --interval 0.2 --user nobody
grep_q "startup line names the URL" "^aipm: serving http://127.0.0.1:$SERVE_PORT/metrics" "$T/serve.err"
# PR_SET_NO_NEW_PRIVS is per thread and inherited: set after the sampler
# thread started, that thread would lack it.
nthreads=0 nnp=0
for f in /proc/"$SERVE_PID"/task/*/status; do
	nthreads=$((nthreads + 1))
	grep -q '^NoNewPrivs:[[:space:]]*1$' "$f" && nnp=$((nnp + 1))
done
check "every thread has NoNewPrivs: 1 ($nnp of $nthreads)" [ "$nthreads" -ge 2 -a "$nnp" = "$nthreads" ]
if [ "$(id -u)" = 0 ]; then
	nobody=$(id -u nobody)
	uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$SERVE_PID/status")
	check "started as root, it runs as nobody ($uids)" [ "$uids" = "$nobody $nobody $nobody $nobody" ]
	gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$SERVE_PID/status")
	groups=$(awk '/^Groups:/ {print $2}' "/proc/$SERVE_PID/status")
	check "and with nobody's group only ($gids; groups '$groups')" [ "$(echo "$gids" | cut -d' ' -f1)" != 0 -a "$groups" != 0 ]
fi
# Counters opened as root are still read after the drop: advance them.
python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" advance "$T/sys" intel-rapl:0=40 --seconds 1 --step-ms 20
sleep 0.5
scrape "$SERVE_PORT" "$T/m1"
e=$(sed -n 's/^aipm_rapl_energy_joules_total{zone="package-0",kind="package",socket="0"} //p' "$T/m1")
check "package energy read after the drop is 40 J within 1% ($e)" near "${e:-0}" 40 0.01
grep_q "AIPowerMeter's intel_power gauge is there" '^intel_power ' "$T/m1"
grep_q "RAPL is up" 'aipm_source_up{source="rapl"} 1' "$T/m1"
check "no NaN in the exposition" sh -c "! grep -q NaN '$T/m1'"
check "HTTP methods, paths and abuse" python3 "$AIPM_SRC/tests/serve/http_abuse.py" "$SERVE_PORT"
check "the server is still alive" kill -0 "$SERVE_PID"
expect_rc 0 "SIGTERM stops it with status 0" serve_stop

# No RAPL: still serves, says so at startup with the fix, source_up 0.
mkdir -p "$T/empty"
AIPM_SYSFS_ROOT="$T/empty" serve_start "$T/norapl.err" --interval 0.2 --user nobody
check "serve runs without RAPL" [ -n "$SERVE_PORT" ]
grep_q "startup says RAPL is unavailable" "RAPL unavailable" "$T/norapl.err"
grep_q "and points to aipm probe" "aipm probe" "$T/norapl.err"
scrape "$SERVE_PORT" "$T/m2"
grep_q "aipm_source_up for rapl is 0" 'aipm_source_up{source="rapl"} 0' "$T/m2"
check "no RAPL series at all (missing is not zero)" sh -c "! grep -q '^aipm_rapl_\|^intel_power' '$T/m2'"
expect_rc 0 "it stops cleanly" serve_stop

# IPv6 loopback, when this machine has it.
if python3 -c "import socket; socket.socket(socket.AF_INET6).bind(('::1', 0))" 2>/dev/null; then
	"$AIPM" serve --listen '[::1]:0' --interval 0.2 2>"$T/v6.err" &
	SERVE_PID=$!
	sleep 1
	p6=$(sed -n 's|^aipm: serving http://\[::1\]:\([0-9]*\)/metrics.*|\1|p' "$T/v6.err")
	check "serves on [::1] (port ${p6:-none})" python3 -c "import urllib.request,sys; sys.exit(0 if b'aipm_up 1' in urllib.request.urlopen('http://[::1]:%s/metrics' % sys.argv[1], timeout=5).read() else 1)" "${p6:-1}"
	expect_rc 0 "the IPv6 server stops cleanly" serve_stop
fi
finish
