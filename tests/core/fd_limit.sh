# fd_limit.sh: a tree larger than the file-descriptor limit (ulimit -n
# 1024, 1501 processes) is measured whole: every process listed with its
# CPU time and its PSS, the ones past the fd budget read by open-read-close,
# and metadata.json says so. (It used to show at most 999 processes, and
# PSS for 479, silently.)
. "$AIPM_TESTLIB"
mkdir -p "$T/sys"
export AIPM_SYSFS_ROOT="$T/sys"
# 1500 sleepers and their parent; the parent waits for a file, so the tree
# stays whole until the test has seen it (python: its forks are quick).
cat >"$T/tree.py" <<'PY'
import os, signal, sys, time
kids = []
for i in range(1500):
    p = os.fork()
    if p == 0:
        time.sleep(120)
        os._exit(0)
    kids.append(p)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
for p in kids:
    os.kill(p, signal.SIGKILL)
for p in kids:
    os.waitpid(p, 0)
PY
sh -c "ulimit -n 1024 && exec '$AIPM' run -q -i 0.5 --mem-interval 0.5 -o '$T/r' -- python3 '$T/tree.py' '$T/go'" &
RUN=$!
# Wait for a line with every process and their PSS (at most 30 s).
n=0
while [ $n -lt 300 ]; do
	if python3 - "$T/r/power_metrics.json" 2>/dev/null <<'PY'
import json, sys
# the last whole line only: the file grows by ~100 kB a line
ls = [l for l in open(sys.argv[1]).read().split("\n")[:-1] if l.startswith("{")]
c = json.loads(ls[-1])["metrics"]["cpu"] if ls else {}
sys.exit(0 if len(c.get("absolute_cpu_time_per_pid", {})) >= 1501 and
         len(c.get("per_process_mem_use_abs", {})) >= 1501 else 1)
PY
	then break; fi
	sleep 0.1; n=$((n + 1))
done
touch "$T/go"
wait $RUN
check "aipm run ends with status 0" [ $? = 0 ]
check "a line lists all 1501 processes with CPU time and PSS" [ $n -lt 300 ]
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
