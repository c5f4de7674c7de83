# fd_limit.sh: a tree larger than the file-descriptor limit (ulimit -n
# 1024, 1501 processes) is measured whole: every process counted, its CPU
# time and PSS in the tree's, the ones past the fd budget read by
# open-read-close, and metadata.json says so. (It used to show at most 999
# processes, and PSS for 479, silently.) Lines stay short: they name a few
# processes and sum the rest under "other".
. "$AIPM_TESTLIB"
mkdir -p "$T/sys"
export AIPM_SYSFS_ROOT="$T/sys"
# 1500 sleepers and their parent; the parent waits for a file, so the tree
# stays whole until the test has seen it (python: its forks are quick). It
# writes the sleepers' own PSS sum, the truth for aipm's tree PSS.
cat >"$T/tree.py" <<'PY'
import os, signal, sys, time
kids = []
for i in range(1500):
    p = os.fork()
    if p == 0:
        time.sleep(120)
        os._exit(0)
    kids.append(p)
time.sleep(1)
pss = 0
for p in kids:
    for l in open("/proc/%d/smaps_rollup" % p):
        if l.startswith("Pss:"):
            pss += int(l.split()[1]) * 1024
open(sys.argv[1] + ".pss", "w").write("%d" % pss)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
for p in kids:
    os.kill(p, signal.SIGKILL)
for p in kids:
    os.waitpid(p, 0)
PY
sh -c "ulimit -n 1024 && exec '$AIPM' run -q -i 0.5 --mem-interval 0.5 -o '$T/r' -- python3 '$T/tree.py' '$T/go'" &
RUN=$!
# Wait for a line that counts every process with their PSS (at most 30 s):
# lines list a few processes by name (the rest summed under "other"), so
# the count and the tree's PSS say that all were read.
n=0
while [ $n -lt 300 ]; do
	if python3 - "$T/r/power_metrics.json" "$T/go.pss" 2>/dev/null <<'PY'
import json, sys
ls = [l for l in open(sys.argv[1]).read().split("\n")[:-1] if l.startswith("{")]
c = json.loads(ls[-1])["metrics"]["cpu"] if ls else {}
kids = int(open(sys.argv[2]).read())
pss = c.get("per_process_mem_use_abs", {})
sys.exit(0 if c.get("experiment_processes", 0) >= 1501 and c.get("experiment_mem_pss", 0) >= 0.95 * kids and
         abs(sum(pss.values()) - c["experiment_mem_pss"]) <= 1 and len(pss) <= 5 else 1)  # 4 named + other
PY
	then break; fi
	sleep 0.1; n=$((n + 1))
done
touch "$T/go"
wait $RUN
check "aipm run ends with status 0" [ $? = 0 ]
check "a line counts all 1501 processes and the PSS of every one" [ $n -lt 300 ]
check "no line is longer than 4 kB" python3 -c "
import sys; sys.exit(max(len(l) for l in open('$T/r/power_metrics.json')) > 4096)"
check "metadata.json says what was degraded" python3 - "$T/r/metadata.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
# the tree's reader: the cgroup source where aipm run made a cgroup, else procfs
src = {s["name"]: s for s in m["segments"][-1]["sources"]}
p = src["cgroup"] if m.get("scope", {}).get("kind") == "cgroup" else src["procfs"]
assert "open-read-close" in p.get("note", "") and "RLIMIT_NOFILE" in p["note"], p
print(p["note"])
PY
check "invariants hold" python3 "$AIPM_SRC/tests/cli/check_invariants.py" "$T/r"
finish
