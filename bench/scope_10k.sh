#!/bin/sh
# scope_10k.sh: issue 14's accuracy figure at full size: N processes (default
# 10,000) of MS ms (default 5) under `aipm run` in its own cgroup and under
# `aipm attach --cgroup`, the recorded tree CPU time beside the cgroup's own
# cpu.stat and /usr/bin/time. Prints figures; asserts nothing (the test
# suite's tests/scope/scope_run_real.sh checks 1 % on 500 processes).
# Needs a writable cgroup v2 (root here).
#   bench/scope_10k.sh BUILD_DIR [N] [MS]
set -eu
b=${1:-build}
n=${2:-10000}
ms=${3:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
aipm="$b/aipm"
burn="$b/bench/bench_burn"
[ -x "$burn" ] || { echo "scope_10k: build $burn first (ninja -C $b bench/bench_burn)"; exit 0; }
cgm=$(python3 "$src/tests/fixtures/mkcgroup.py" mount)
self=$(sed -n 's/^0:://p' /proc/self/cgroup)
parent="${self%/}/aipm-bench-10k-$$"
dir="$cgm$parent"
if ! mkdir "$dir" 2>/dev/null; then
	echo "scope_10k: no writable cgroup v2 here (${cgm:-none}): skipped"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rmdir "$dir/job" "$dir" 2>/dev/null; rm -rf "$tmp"' EXIT
python3 "$src/tests/fixtures/mkrapl.py" make "$tmp/sys" laptop # no RAPL warning on machines without it
export AIPM_SYSFS_ROOT="$tmp/sys"
usage() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }
tree() {
	python3 -c "
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1] + '/power_metrics.json') if l.startswith('{')]
print(ls[-1]['metrics']['cpu']['cpu_time'])" "$1"
}
report() { # WHAT TREE CGROUP TIME
	python3 -c "
import sys
w, t, c, m = sys.argv[1], *map(float, sys.argv[2:])
print('%-26s tree %9.3f s  cgroup cpu.stat %9.3f s (%+.3f %%)  /usr/bin/time %9.3f s (%+.3f %%)' % (w, t, c, (t - c) / c * 100, m, (t - m) / m * 100))" "$@"
}
time_file() { python3 -c "import sys; u, s = open(sys.argv[1]).read().split()[-2:]; print(float(u) + float(s))" "$1"; }

echo "$n processes of $ms ms ($(nproc) CPUs)"
"$aipm" run -q -i 0.1 --cgroup-parent "$parent" -o "$tmp/run" -- \
	/usr/bin/time -f "%U %S" -o "$tmp/t1" "$burn" -f "$n" "$ms" >/dev/null
report "aipm run (own cgroup)" "$(tree "$tmp/run")" "$(python3 -c "print($(usage "$dir") / 1e6)")" "$(time_file "$tmp/t1")"

mkdir "$dir/job"
sh -c "echo \$\$ > '$dir/job/cgroup.procs'; sleep 1; exec /usr/bin/time -f '%U %S' -o '$tmp/t2' '$burn' -f $n $ms >/dev/null" &
sleep 0.3
u0=$(usage "$dir/job")
"$aipm" attach -q -i 0.1 --cgroup "$parent/job" -o "$tmp/att"
u1=$(usage "$dir/job")
report "aipm attach --cgroup" "$(tree "$tmp/att")" "$(python3 -c "print(($u1 - $u0) / 1e6)")" "$(time_file "$tmp/t2")"

"$aipm" run -q -i 0.1 --scope proc -o "$tmp/proc" -- /usr/bin/time -f "%U %S" -o "$tmp/t3" "$burn" -f "$n" "$ms" >/dev/null
python3 -c "
import sys
t, m = map(float, sys.argv[1:])
print('%-26s tree %9.3f s  (no cgroup)                    /usr/bin/time %9.3f s (%+.3f %%)' % ('aipm run --scope proc', t, m, (t - m) / m * 100))" \
	"$(tree "$tmp/proc")" "$(time_file "$tmp/t3")"
