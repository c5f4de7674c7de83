#!/bin/sh
# aipm serve under load and under attack, on loopback: the figures the
# README quotes for the exporter. Prints them and asserts nothing (the
# assertions are tests/serve/serve_load.sh and serve_slow.sh).
#
#   bench/serve_attack.sh [BUILD_DIR]     (a release build; needs wrk)
#
# 1. wrk -t2 -c50 -d5s alone, three runs, RSS before and after;
# 2. each attack of tests/serve/slow_clients.py with attackers that
#    reconnect at once (the test waits 0.1 s), while its scraper polls;
# 3. wrk again while 540 slow sockets from 9 addresses hold the server
#    (reconnecting 0.1 s after each close, as in the test).
# Attackers, scraper, wrk and the server share this machine's cores, so
# the figures are a floor for the server, not its capacity.
set -eu
b=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
command -v wrk >/dev/null 2>&1 || { echo "bench/serve_attack.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
AIPM="$b/aipm"
. "$src/tests/serve/serve_lib.sh" # serve_start, serve_stop, rss_kb
trap 'serve_stop; rm -rf "$tmp"' EXIT
python3 "$src/tests/fixtures/mkrapl.py" make "$tmp/sys" server2
export AIPM_SYSFS_ROOT="$tmp/sys"
serve_start "$tmp/serve.err" --interval 0.1 || { cat "$tmp/serve.err" >&2; exit 1; }
port=$SERVE_PORT
url="http://127.0.0.1:$port/metrics"
rss() { rss_kb "$SERVE_PID"; }
figures() { grep -E 'Requests/sec|Non-2xx|Socket errors|Latency' "$1" | sed 's/^ */    /'; }

echo "== wrk -t2 -c50 -d5s, alone"
wrk -t2 -c50 -d1s "$url" >/dev/null 2>&1 # warm-up: pools reach their size
before=$(rss)
for run in 1 2 3; do
	wrk -t2 -c50 -d5s "$url" >"$tmp/wrk.txt" 2>&1
	echo "  run $run:"
	figures "$tmp/wrk.txt"
done
echo "  RSS before ${before} kB, after $(rss) kB"

for mode in over loopback deadline; do
	echo
	echo "== $mode attack, attackers reconnecting at once"
	python3 "$src/tests/serve/slow_clients.py" "$port" "$mode" --reconnect 0 | grep -v '^ok - ' || true
	echo "  RSS $(rss) kB"
done

echo
echo "== wrk -t2 -c50 -d5s during the over attack (540 slow sockets, 9 addresses, reconnecting after 0.1 s)"
python3 "$src/tests/serve/slow_clients.py" "$port" over --seconds 9 >"$tmp/attack.txt" 2>&1 &
attacker=$!
sleep 2
wrk -t2 -c50 -d5s "$url" >"$tmp/wrk.txt" 2>&1
figures "$tmp/wrk.txt"
wait "$attacker" || true
sed -n 's/^  /  /p' "$tmp/attack.txt"
echo "  RSS $(rss) kB"
echo
grep '^aipm: serve: closed' "$tmp/serve.err" | head -3 || true
