#!/bin/sh
# scope_two_jobs.sh: two jobs in two real cgroups at once, measured by one
# `aipm serve --cgroups` over a fake package counter driven by the
# machine's busy CPU time (1 J per busy tick, mkrapl.py busy), so the true
# share of the package energy is a job's CPU time (its cgroup's cpu.stat)
# over the machine's busy time, as tests/core/cpu_share.sh measures it.
# The machine is shared: the truth is taken over the same samples. The
# attributed energies sum to at most the package energy and each is within
# 2 points of its true share. Skipped where cgroup v2 is not writable.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
CGM=$(python3 "$AIPM_SRC/tests/fixtures/mkcgroup.py" mount)
[ -n "$CGM" ] || skip "no cgroup v2 mounted here (cgroup v1 only)"
SELF=$(sed -n 's/^0:://p' /proc/self/cgroup)
PARENT="${SELF%/}/aipm-2jobs-$$"
DIR="$CGM$PARENT"
mkdir "$DIR" 2>"$T/mkdir.err" || skip "cgroup v2 at $CGM is not writable here: $(cat "$T/mkdir.err")"
mkdir "$DIR/a" "$DIR/b"
DRV=""; JA=""; JB=""
cleanup() {
	for p in $DRV $JA $JB; do kill "$p" 2>/dev/null; done
	serve_stop
	rmdir "$DIR/a" "$DIR/b" "$DIR" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # privilege drop: see tests/serve/serve_http.sh
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"
python3 "$MK" make "$T/sys" amd
chmod -R a+rX "$T"
export AIPM_SYSFS_ROOT="$T/sys"
python3 "$MK" busy "$T/sys" intel-rapl:0 --uj-per-tick 1000000 --seconds 90 --step-ms 5 &
DRV=$!
HZ=$(getconf CLK_TCK)
usage() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }

check "serve --cgroups starts" serve_start "$T/serve.err" --interval 0.1 --cgroups "$PARENT/*" --user nobody
sleep 0.6
scrape "$SERVE_PORT" "$T/m0"
a0=$(usage "$DIR/a"); b0=$(usage "$DIR/b")
# job a burns 1.5 s, job b forks 150 children of 20 ms: both at once
sh -c "echo \$\$ > '$DIR/a/cgroup.procs'; exec '$AIPM_BURN' 1500" & JA=$!
sh -c "echo \$\$ > '$DIR/b/cgroup.procs'; exec '$AIPM_BURN' -f 150 20 >/dev/null" & JB=$!
wait $JA $JB; JA=""; JB=""
sleep 0.6
scrape "$SERVE_PORT" "$T/m1"
a1=$(usage "$DIR/a"); b1=$(usage "$DIR/b")

python3 - "$T/m0" "$T/m1" "$PARENT" "$HZ" "$a0" "$a1" "$b0" "$b1" <<'PY' >"$T/shares"
import re, sys
def load(f):
    out = {}
    for line in open(f):
        m = re.match(r'([a-z_]+)(\{(.*)\})? (\S+)$', line.strip())
        if m and not line.startswith("#"):
            out[(m.group(1), m.group(3) or "")] = float(m.group(4))
    return out
m0, m1, parent, hz = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3], float(sys.argv[4])
a0, a1, b0, b1 = map(float, sys.argv[5:9])
def d(name, labels):
    return m1.get((name, labels), 0) - m0.get((name, labels), 0)
pkg = d("aipm_rapl_energy_joules_total", 'zone="package-0",kind="package",socket="0"')
busy_s = pkg / hz  # 1 J per busy tick
ok = True
tot = 0
for job, u0, u1 in (("a", a0, a1), ("b", b0, b1)):
    lab = 'cgroup="%s/%s"' % (parent, job)
    e = d("aipm_scope_cpu_energy_joules_total", lab)
    cpu = d("aipm_scope_cpu_seconds_total", lab)
    truth = (u1 - u0) / 1e6 / busy_s
    got = e / pkg
    tot += e
    print("job %s: attributed %.2f J of %.2f J (share %.4f), true share %.4f (cpu.stat %.3f s, aipm %.3f s, busy %.3f s)"
          % (job, e, pkg, got, truth, (u1 - u0) / 1e6, cpu, busy_s))
    print("cpu_%s %d" % (job, abs(cpu - (u1 - u0) / 1e6) < 1e-6))
    print("share_%s %d" % (job, abs(got - truth) <= 0.02))
print("sum %d" % (tot <= pkg + 1e-6))
PY
sed -n 's/^job/    job/p' "$T/shares"
check "job a: aipm's CPU seconds are its cgroup's cpu.stat" grep -qx "cpu_a 1" "$T/shares"
check "job b: aipm's CPU seconds are its cgroup's cpu.stat" grep -qx "cpu_b 1" "$T/shares"
check "job a: attributed share within 2 points of its true share" grep -qx "share_a 1" "$T/shares"
check "job b: attributed share within 2 points of its true share" grep -qx "share_b 1" "$T/shares"
check "the two jobs' attributed energies sum to at most the package energy" grep -qx "sum 1" "$T/shares"
finish
