#!/bin/sh
# scope_serve_fake.sh: `aipm serve --slurm/--slurm-steps/--containers/
# --cgroups` on a fake node (mkcgroup.py under AIPM_CGROUP_ROOT, a fake
# powercap tree, the fake NVML): one series per scope with the labels the
# manifest lists, CPU seconds exactly as cpu.stat advanced, attributed
# energy never above the measured and summing to at most it, memory and
# DRAM only where the memory controller is, GPU energy to the job whose
# cgroup lists the GPU process, the bound and nesting counted and said, a
# removed scope gone at once, a new one found at the next rescan.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
MK="$AIPM_SRC/tests/fixtures/mkcgroup.py"
cleanup() { serve_stop; rm -rf "$T"; }
trap cleanup EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # privilege drop: see tests/serve/serve_http.sh
python3 "$MK" make "$T/cg" --proc "$T/proc" slurm-jobid docker-systemd docker-cgroupfs podman k8s-systemd k8s-cgroupfs memory
make_rapl_tree make "$T/sys" server2
chmod -R a+rX "$T" # serve drops root to nobody, then lists the scopes again
export AIPM_CGROUP_ROOT="$T/cg" AIPM_SYSFS_ROOT="$T/sys"
JOB1=/system.slice/slurmstepd.scope/job_1001
TASK1=$(python3 -c "import json; print(json.load(open('$T/cg/manifest.json'))['pids']['$JOB1/step_0/user/task_0'][0])")
cat >"$T/gpus.ini" <<EOS
count=1
gpu0.name=Fake H100
gpu0.energy_step_mj=2000
gpu0.proc=$TASK1 75 1000000 1 0
gpu0.proc=1 25 1000000 1 0
EOS
export AIPM_FAKE_NVML="$T/gpus.ini" AIPM_NVML_LIB="$AIPM_FAKE_NVML_LIB"

# metrics OUT: scrape, then check it with python (prom.py-like parsing)
parse() {
	python3 - "$1" "$T/cg/manifest.json" "$2" <<'PY'
import json, re, sys
text, manifest, expr = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3]
series = {}
for line in text.splitlines():
    if line.startswith("#") or not line:
        continue
    m = re.match(r'([a-z_]+)(\{(.*)\})? (\S+)$', line)
    labels = tuple(sorted(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or "")))
    series.setdefault(m.group(1), {})[labels] = float(m.group(4))
def fam(name):
    return {dict(k).get("cgroup", ""): (dict(k), v) for k, v in series.get(name, {}).items()}
ok = eval("(" + expr + "\n)")
if not ok:
    print("    | failed: %s" % expr)
sys.exit(0 if ok else 1)
PY
}

check "serve --slurm --containers starts" serve_start "$T/s1.err" --interval 0.2 --slurm --containers --user nobody
sleep 1
python3 "$MK" advance "$T/cg" "$JOB1/step_0/user/task_0" 250000
sleep 0.8
scrape "$SERVE_PORT" "$T/m1"
check "one series per job and container, labelled as the manifest says" parse "$T/m1" "
all(fam('aipm_scope_cpu_seconds_total').get(s['cgroup'], ({},))[0] ==
    {k: v for k, v in dict(s, kind=None).items() if k != 'kind' and v} for s in manifest['scopes']
    if s['kind'] in ('slurm_job', 'container'))
and len(fam('aipm_scope_cpu_seconds_total')) == sum(s['kind'] in ('slurm_job', 'container') for s in manifest['scopes'])"
check "job 1001's CPU seconds are what its cpu.stat advanced" parse "$T/m1" \
	"abs(fam('aipm_scope_cpu_seconds_total')['$JOB1'][1] - 0.25) < 1e-9"
check "attributed CPU energy per scope and summed is at most the package energy" parse "$T/m1" "
sum(v for _, v in fam('aipm_scope_cpu_energy_joules_total').values()) <=
sum(v for k, v in series['aipm_rapl_energy_joules_total'].items() if dict(k)['kind'] == 'package') + 1e-9"
check "memory and DRAM series with the memory controller" parse "$T/m1" "
fam('aipm_scope_memory_bytes')['$JOB1'][1] == 3000000 + 4096 + 96000 and '$JOB1' in fam('aipm_scope_dram_energy_joules_total')"
check "GPU energy: job 1001 gets its task's 75 %, the others nothing, never above the GPU's" parse "$T/m1" "
(lambda g, e: abs(g['$JOB1'][1] - 0.75 * e) <= 0.75 * 2 + 1e-9 and g['$JOB1'][1] <= e and
 sum(v for c, (_, v) in g.items() if c != '$JOB1') == 0)(fam('aipm_scope_gpu_energy_joules_total'),
 list(series['aipm_gpu_energy_joules_total'].values())[0])"
check "nothing left out" parse "$T/m1" "all(v == 0 for v in series['aipm_scopes_left_out'].values())"
serve_stop

# Without the memory controller: no memory series, no DRAM energy (absent, not 0).
python3 "$MK" make "$T/cg2" slurm-jobid
chmod -R a+rX "$T/cg2"
check "serve --slurm-steps starts (no memory controller)" env AIPM_CGROUP_ROOT="$T/cg2" sh -c \
	". '$AIPM_SRC/tests/serve/serve_lib.sh'; serve_start '$T/s2.err' --interval 0.2 --slurm-steps --user nobody; echo \$SERVE_PID > '$T/s2.pid'; sleep 1; scrape \$SERVE_PORT '$T/m2'"
SERVE_PID=$(cat "$T/s2.pid"); serve_stop
check "the steps, each labelled with its job and step" parse "$T/m2" "
sorted((d['slurm_job'], d['slurm_step']) for d, _ in fam('aipm_scope_cpu_seconds_total').values()) ==
[('1001', '0'), ('1001', 'batch'), ('1001', 'extern'), ('1002', '0')]"
check "no memory and no DRAM series" parse "$T/m2" \
	"'aipm_scope_memory_bytes' not in series and 'aipm_scope_dram_energy_joules_total' not in series"

# The bound, nesting, removal and a new scope at the next rescan.
check "serve --max-scopes 2 starts" serve_start "$T/s3.err" --interval 0.2 \
	--containers --slurm --max-scopes 2 --cgroups '/system.slice/*' --user nobody
sleep 1
scrape "$SERVE_PORT" "$T/m3"
check "two scopes measured, the rest counted as left out past the bound" parse "$T/m3" "
series['aipm_scopes'][()] == 2 and series['aipm_scopes_left_out'][(('reason', 'bound'),)] > 0"
check "jobs inside a listed slurmstepd.scope are nested, not counted twice" parse "$T/m3" "
series['aipm_scopes_left_out'][(('reason', 'nested'),)] == 2"
grep_q "the bound is said once on stderr" "matched past --max-scopes 2 and are not measured" "$T/s3.err"
first=$(python3 -c "
import re; print(sorted(re.findall(r'aipm_scope_cpu_seconds_total\{cgroup=\"([^\"]*)\"', open('$T/m3').read()))[0])")
python3 "$MK" rm "$T/cg" "$first"
sleep 0.5
scrape "$SERVE_PORT" "$T/m4"
check "a removed scope's series are gone at the next sample" parse "$T/m4" "'$first' not in fam('aipm_scope_cpu_seconds_total')"
serve_stop

check "serve --slurm --cgroups '/system.slice/*' starts" serve_start "$T/s4.err" --interval 0.2 --slurm \
	--cgroups '/system.slice/*' --user nobody
sleep 0.8
scrape "$SERVE_PORT" "$T/m6"
check "the jobs inside the listed slurmstepd.scope have no series of their own (it counts them)" parse "$T/m6" "
'/system.slice/slurmstepd.scope' in fam('aipm_scope_cpu_seconds_total') and
not any('/slurmstepd.scope/' in c for c in fam('aipm_scope_cpu_seconds_total')) and
series['aipm_scopes_left_out'][(('reason', 'nested'),)] == 2"
serve_stop

cp -r "$T/cg/system.slice/slurmstepd.scope/job_1002" "$T/cg/system.slice/slurmstepd.scope/job_1003"
chmod -R a+rX "$T/cg"
check "serve --slurm --rescan 0.5 starts" serve_start "$T/s5.err" --interval 0.2 --rescan 0.5 --slurm --user nobody
sleep 0.5
cp -r "$T/cg/system.slice/slurmstepd.scope/job_1002" "$T/cg/system.slice/slurmstepd.scope/job_1004"
chmod -R a+rX "$T/cg"
sleep 1.2
scrape "$SERVE_PORT" "$T/m5"
check "a job that started after serve is found at the next rescan" parse "$T/m5" "
{d['slurm_job'] for d, _ in fam('aipm_scope_cpu_seconds_total').values()} >= {'1001', '1002', '1003', '1004'}"
serve_stop

expect_rc 2 "--max-scopes without a scope set is refused" "$AIPM" serve --max-scopes 5 2>"$T/err"
grep_q "and says what to add" "add --cgroups GLOB" "$T/err"
expect_rc 2 "--max-scopes 0 is refused" "$AIPM" serve --slurm --max-scopes 0 2>"$T/err"
expect_rc 2 "a glob with '**' is refused at start" "$AIPM" serve --listen 127.0.0.1:0 --cgroups '/**/x' 2>"$T/err"
grep_q "naming the glob" "\*\*" "$T/err"
finish
