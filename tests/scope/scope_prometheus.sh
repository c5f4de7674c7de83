#!/bin/sh
# scope_prometheus.sh: a real Prometheus (Debian's, private to this test:
# loopback, its own config and storage, 1 s scrapes) scrapes two `aipm
# serve --slurm` on two fake nodes that both run jobs 1001 and 1002
# (mkcgroup.py trees, fake package counters). The PromQL of the README,
# `sum by (slurm_job)`, gives each job's total over both nodes, and the
# Grafana-free query of a finished job's total (/api/v1/query at its end
# time) gives it too. Skips (77) when prometheus is absent and cannot be
# installed.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
MK="$AIPM_SRC/tests/fixtures/mkcgroup.py"
PROM_PID=""; ADV=""; N1=""; N2=""
cleanup() {
	for p in $ADV; do kill "$p" 2>/dev/null; done
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	SERVE_PID=$N1; serve_stop
	SERVE_PID=$N2; serve_stop
	rm -rf "$T"
}
trap cleanup EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # privilege drop: see tests/serve/serve_http.sh
if ! command -v prometheus >/dev/null 2>&1; then
	"$AIPM_SRC/scripts/deps.sh" --integration >&2 || true
	command -v prometheus >/dev/null 2>&1 || skip "prometheus is not installed and could not be (apt-get install prometheus)"
fi

JOBS=/system.slice/slurmstepd.scope
for n in 1 2; do
	python3 "$MK" make "$T/cg$n" slurm-jobid
	make_rapl_tree make "$T/sys$n" laptop
done
chmod -R a+rX "$T"
AIPM_CGROUP_ROOT="$T/cg1" AIPM_SYSFS_ROOT="$T/sys1" serve_start "$T/n1.err" --interval 0.25 --slurm --user nobody
N1=$SERVE_PID; P1=$SERVE_PORT
AIPM_CGROUP_ROOT="$T/cg2" AIPM_SYSFS_ROOT="$T/sys2" serve_start "$T/n2.err" --interval 0.25 --slurm --user nobody
N2=$SERVE_PID; P2=$SERVE_PORT
check "two aipm serve --slurm, one per fake node" [ -n "$P1" -a -n "$P2" ]
for n in 1 2; do
	python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" advance "$T/sys$n" intel-rapl:0=20 --seconds 60 --step-ms 20 &
	ADV="$ADV $!"
done

pport=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
cat >"$T/prom.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: aipm
    static_configs:
      - targets: ['127.0.0.1:$P1', '127.0.0.1:$P2']
YML
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$T/prom.log" 2>&1 &
PROM_PID=$!
api="http://127.0.0.1:$pport"

# The jobs' CPU time on each node: job 1001 1.0 s + 2.0 s, job 1002 0.5 s + 0 s.
sleep 1
python3 "$MK" advance "$T/cg1" "$JOBS/job_1001/step_0/user/task_0" 1000000
python3 "$MK" advance "$T/cg2" "$JOBS/job_1001/step_0/user/task_0" 2000000
python3 "$MK" advance "$T/cg1" "$JOBS/job_1002/step_0/user/task_0" 500000

# query EXPR [TIME]: the result vector as "labelvalue=value" lines
query() {
	python3 - "$api" "$1" "${2:-}" <<'PY'
import json, sys, urllib.parse, urllib.request
q = {"query": sys.argv[2]}
if sys.argv[3]:
    q["time"] = sys.argv[3]
d = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode(q), timeout=5))
for r in d["data"]["result"] if d["status"] == "success" else []:
    print("%s=%s" % (r["metric"].get("slurm_job", ""), r["value"][1]))
PY
}
# Wait until both targets are up and have been scraped after the advance.
i=0
while [ $i -lt 40 ]; do
	n=$(query 'count(aipm_scope_cpu_seconds_total{slurm_job="1001"} > 0)')
	[ "$n" = "=2" ] && break
	sleep 1; i=$((i + 1))
done
check "Prometheus scraped job 1001 on both nodes (after ${i} s)" [ "$n" = "=2" ]
[ "$n" = "=2" ] || { sed 's/^/    | /' "$T/prom.log" | tail -20; finish; exit 1; }
sleep 2
at=$(python3 -c "import time; print(time.time() - 1)")
query 'sum by (slurm_job) (aipm_scope_cpu_seconds_total)' "$at" | sort >"$T/sum"
sed 's/^/    sum by (slurm_job): /' "$T/sum"
check "sum by (slurm_job) adds up job 1001 over both nodes (3 s)" grep -qx "1001=3" "$T/sum"
check "and job 1002 (0.5 s)" grep -qx "1002=0.5" "$T/sum"
e_sum=$(query 'sum by (slurm_job) (aipm_scope_cpu_energy_joules_total{slurm_job="1001"})' "$at" | sed 's/^1001=//')
e_parts=$(query 'aipm_scope_cpu_energy_joules_total{slurm_job="1001"}' "$at" | sed 's/^1001=//' | python3 -c "import sys; print(sum(map(float, sys.stdin)))")
echo "    job 1001 CPU energy: sum by (slurm_job) $e_sum J, per node $e_parts J"
check "the energy counters add up the same way" near "${e_sum:-0}" "${e_parts:-1}" 1e-9
v=$(query 'sum by (slurm_job) ({__name__=~"aipm_scope_(cpu|dram|gpu)_energy_joules_total", slurm_job="1001"})' "$at" | sed 's/^1001=//')
check "the README's all-domains query sums the same (no DRAM or GPU here)" near "${v:-0}" "${e_parts:-1}" 1e-9

# A finished job's total without Grafana: the job ends (its cgroups go),
# then an instant query at its end time.
python3 "$MK" rm "$T/cg1" "$JOBS/job_1001"
python3 "$MK" rm "$T/cg2" "$JOBS/job_1001"
end=$(python3 -c "import time; print(time.time())")
sleep 3
v=$(query 'sum by (slurm_job) (last_over_time(aipm_scope_cpu_seconds_total{slurm_job="1001"}[1h]))' "$end")
check "after the job ended, the query at its end time gives its total ($v)" [ "$v" = "1001=3" ]
v=$(query 'aipm_scope_cpu_seconds_total{slurm_job="1001"}')
check "and its series are gone from the current samples" [ -z "$v" ]
finish
