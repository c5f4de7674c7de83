#!/bin/sh
# aipm serve scraped by a real Prometheus (Debian's 2.42), private to this
# test: loopback only, its own config and storage in $T, 1 s scrapes. The
# fake package zone advances at 40 W; Prometheus's rate() of the energy
# counter must say 40 W within 2%. Skips (77) when prometheus is absent and
# cannot be installed.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
PROM_PID=""; ADV_PID=""
cleanup() {
	[ -n "$ADV_PID" ] && kill "$ADV_PID" 2>/dev/null
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	serve_stop
	rm -rf "$T"
}
trap cleanup EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # privilege drop: see serve_http.sh

if ! command -v prometheus >/dev/null 2>&1; then
	"$AIPM_SRC/scripts/deps.sh" --integration >&2 || true
	command -v prometheus >/dev/null 2>&1 || skip "prometheus is not installed and could not be (apt-get install prometheus)"
fi
# The package's own daemon listens on 0.0.0.0:9090; deps.sh forbids it
# from starting, but an earlier install may have started one. Stop it: a
# test machine must not expose a TSDB to the network.
if [ "$(id -u)" = 0 ]; then
	for pid in $(pgrep -x prometheus 2>/dev/null); do
		if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--web.listen-address=127.0.0.1" ; then continue; fi
		echo "stopping a system prometheus (pid $pid) that listens on all interfaces"
		kill "$pid" 2>/dev/null
	done
fi

make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
check "aipm serve starts" serve_start "$T/serve.err" --interval 0.25 --user nobody

# A free port for Prometheus, picked by the kernel.
pport=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
cat >"$T/prom.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: aipm
    static_configs:
      - targets: ['127.0.0.1:$SERVE_PORT']
YML
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$T/prom.log" 2>&1 &
PROM_PID=$!
api="http://127.0.0.1:$pport"

# 40 W on the package zone for the whole test (bounded: 40 s at most).
python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" advance "$T/sys" intel-rapl:0=40,intel-rapl:1=60 --seconds 40 --step-ms 10 &
ADV_PID=$!

# Poll the targets until aipm is up (the first scrape comes ~8 s after
# start: discovery reload interval plus scrape offset).
up=""
i=0
while [ $i -lt 30 ]; do
	if python3 - "$api" <<'PY' 2>/dev/null; then up=1; break; fi
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/targets", timeout=2))
t = d["data"]["activeTargets"]
sys.exit(0 if t and t[0]["health"] == "up" else 1)
PY
	sleep 1; i=$((i + 1))
done
check "Prometheus reports the aipm target up (after ${i} s)" [ -n "$up" ]
[ -n "$up" ] || { sed 's/^/    | /' "$T/prom.log" | tail -20; finish; }

# query EXPR: the single value of an instant query, or nothing
query() {
	python3 - "$api" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
u = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
d = json.load(urllib.request.urlopen(u, timeout=5))
r = d["data"]["result"]
print(r[0]["value"][1] if d["status"] == "success" and len(r) == 1 else "")
PY
}
# rate() needs a few scrapes in its window: wait until the window is full
# of samples taken while the counters advance. Prometheus divides by its
# scrape times, aipm's values are as of its own samples (1 s apart): the
# jitter between the two, a few hundred ms on a loaded machine, is spread
# over the window, so it is 15 s long (5 s read 6 % low under load).
sleep 17
w=$(query 'rate(aipm_rapl_energy_joules_total{zone="package-0"}[15s])')
echo "    rate(package-0 energy)[15s] = ${w} W"
check "Prometheus's rate() of package-0 energy is 40 W within 2% ($w)" near "${w:-0}" 40 0.02
w=$(query 'rate(aipm_rapl_energy_joules_total{zone="psys"}[15s])')
check "and psys is 60 W within 2% ($w)" near "${w:-0}" 60 0.02
w=$(query 'avg_over_time(intel_power[5s])')
check "AIPowerMeter's intel_power gauge reads 40 W within 2% ($w)" near "${w:-0}" 40 0.02
v=$(query 'aipm_source_up{source="rapl"}')
check "aipm_source_up{source=rapl} is 1 in Prometheus ($v)" [ "$v" = 1 ]
v=$(query 'count(resets(aipm_rapl_energy_joules_total[30s]) > 0)')
check "no counter reset seen by Prometheus ('$v' series with resets)" [ -z "$v" ]
finish
