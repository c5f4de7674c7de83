#!/bin/sh
# scope_attach_fake.sh: `aipm attach --cgroup/--slurm-job/--container` on a
# fake node (tests/fixtures/mkcgroup.py under AIPM_CGROUP_ROOT: Slurm in
# both layouts, Docker, Kubernetes): each name resolves to its cgroup with
# its labels in metadata.json, the members' /proc keys are recorded, a GPU
# process counts when the cgroup lists it, errors name the value at fault,
# and a cgroup removed while attached ends the recording.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkcgroup.py"
S1=""; S2=""; BG=""
cleanup() { for p in $S1 $S2 $BG; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
python3 "$MK" make "$T/cg" --proc "$T/proc" slurm-jobid slurm-sluid docker-systemd k8s-systemd memory
make_rapl_tree make "$T/sys" laptop
export AIPM_CGROUP_ROOT="$T/cg" AIPM_SYSFS_ROOT="$T/sys"
JOB=/system.slice/slurmstepd.scope/job_1001
TASK=$JOB/step_0/user/task_0

# Two real processes in job 1001's task, and a pid no /proc shows.
sleep 60 & S1=$!
sleep 60 & S2=$!
python3 "$MK" procs "$T/cg" "$TASK" "$S1" "$S2" 3999999

# meta DIR EXPR: a python expression on metadata.json's "scope" as `s`
meta() { python3 -c "import json,sys; s=json.load(open(sys.argv[1]+'/metadata.json'))['scope']; sys.exit(0 if ($2) else 1)" "$1"; }

cat >"$T/gpus.ini" <<EOS
count=1
gpu0.name=Fake A100
gpu0.energy_step_mj=1000
gpu0.proc=$S1 60 1000000 1 0
gpu0.proc=1 20 500000 1 0
gpu0.proc=3999999 20 500000 1 0
EOS
expect_rc 0 "attach --slurm-job 1001 records" env AIPM_FAKE_NVML="$T/gpus.ini" AIPM_NVML_LIB="$AIPM_FAKE_NVML_LIB" \
	"$AIPM" attach -q --slurm-job 1001 --duration 0.8 -o "$T/j"
check "its scope is the job's cgroup, with its label" meta "$T/j" \
	"s['kind'] == 'cgroup' and s['path'] == '$JOB' and s['labels'] == {'slurm_job': '1001'} and not s['created']"
check "the cgroup's memory.peak at the end, where the memory controller is" meta "$T/j" \
	"s['end']['memory_peak_bytes'] == 8192000 and s['end']['cpu_usage_usec'] == 0"
check "the cgroup source measured it (not the /proc scan)" python3 -c "
import json, sys
m = json.load(open('$T/j/metadata.json'))
src = {s['name']: s for s in m['sources']}
sys.exit(0 if src['cgroup']['available'] and 'cgroup $JOB' in src['cgroup']['reason'] else 1)"
check "the members' per-process keys are recorded, from descendant cgroups" python3 -c "
import json, sys
ls = [json.loads(l) for l in open('$T/j/power_metrics.json') if l.startswith('{')]
c = ls[-1]['metrics']['cpu']
pids = set(c['per_process_mem_use_abs'])
sys.exit(0 if pids == {'$S1', '$S2'} else 1)"
check "GPU energy: the job's processes' share (60 + 20 of 100 %), pid 1 not, a pid only the cgroup lists yes" python3 -c "
import json, sys
ls = [json.loads(l) for l in open('$T/j/power_metrics.json') if l.startswith('{')]
g = ls[-1]['metrics']['gpu']
e, a = g['per_gpu_energy']['0'], g['per_gpu_attributed_energy']['0']
print('    gpu energy %.3f J, attributed %.3f J' % (e, a))
sys.exit(0 if e > 0 and abs(a - 0.8 * e) <= 0.01 * e + 1e-9 else 1)"

expect_rc 0 "attach --slurm-job 1001.0 (a step)" "$AIPM" attach -q --slurm-job 1001.0 --duration 0.3 -o "$T/s"
check "the step's cgroup and labels" meta "$T/s" \
	"s['path'] == '$JOB/step_0' and s['labels'] == {'slurm_job': '1001', 'slurm_step': '0'}"

# The SLUID layout: the job id comes from slurmstepd's title in /proc.
expect_rc 0 "attach --slurm-job 2001 (a SLUID job directory)" env AIPM_PROC_ROOT="$T/proc" \
	"$AIPM" attach -q --slurm-job 2001 --duration 0.3 -o "$T/sl"
check "the SLUID job's cgroup, numeric id and SLUID" meta "$T/sl" \
	"s['path'].endswith('/sBR1JB8J1YM400') and s['labels'] == {'slurm_job': '2001', 'slurm_sluid': 'sBR1JB8J1YM400'}"

DOCKER=$(python3 -c "import json; print([s['container_id'] for s in json.load(open('$T/cg/manifest.json'))['scopes'] if s.get('runtime') == 'docker'][0])")
expect_rc 0 "attach --container with a 12-digit prefix (Docker, systemd driver)" \
	"$AIPM" attach -q --container "$(echo "$DOCKER" | cut -c1-12)" --duration 0.3 -o "$T/d"
check "the container's scope and labels" meta "$T/d" \
	"s['path'] == '/system.slice/docker-$DOCKER.scope' and s['labels'] == {'container_id': '$DOCKER', 'runtime': 'docker'}"

POD=$(python3 -c "import json; print([s['pod_uid'] for s in json.load(open('$T/cg/manifest.json'))['scopes'] if s['kind'] == 'pod' and s['qos'] == 'guaranteed'][0])")
expect_rc 0 "attach --container POD_UID (a Kubernetes pod)" "$AIPM" attach -q --container "$POD" --duration 0.3 -o "$T/p"
check "the pod's cgroup and labels" meta "$T/p" \
	"s['path'].startswith('/kubepods.slice/kubepods-pod') and s['labels'] == {'pod_uid': '$POD', 'qos': 'guaranteed'}"
CTR=$(python3 -c "import json; print([s['container_id'] for s in json.load(open('$T/cg/manifest.json'))['scopes'] if s.get('runtime') == 'crio'][0])")
expect_rc 0 "attach --container cri-o://ID (a container of a burstable pod)" \
	"$AIPM" attach -q --container "cri-o://$CTR" --duration 0.3 -o "$T/c"
check "the container's labels include its pod" meta "$T/c" \
	"s['labels']['container_id'] == '$CTR' and s['labels']['runtime'] == 'crio' and s['labels']['qos'] == 'burstable' and len(s['labels']['pod_uid']) == 36"

# Errors: one line naming the flag and the value, exit 2, nothing recorded.
expect_rc 2 "an unknown job is a usage error" "$AIPM" attach --slurm-job 4242 -o "$T/e1" 2>"$T/err"
grep_q "the error names the flag and the job" "aipm: attach: --slurm-job 4242: Slurm job '4242'" "$T/err"
check "and nothing was recorded" [ ! -e "$T/e1/power_metrics.json" ]
expect_rc 2 "an ambiguous container prefix is refused" "$AIPM" attach --container 7 -o "$T/e2" 2>"$T/err"
grep_q "the error says it is ambiguous and what to do" "container '7' is ambiguous" "$T/err"
expect_rc 2 "a cgroup that does not exist is refused" "$AIPM" attach --cgroup /no/such -o "$T/e3" 2>"$T/err"
grep_q "the error names the path" "--cgroup /no/such: cgroup '/no/such': no cgroup" "$T/err"
expect_rc 2 "'..' is refused" "$AIPM" attach --cgroup /system.slice/../x -o "$T/e4" 2>"$T/err"
expect_rc 2 "-p with --cgroup is refused" "$AIPM" attach -p $$ --cgroup "$JOB" -o "$T/e5" 2>"$T/err"
grep_q "the error says to give one" "Give one" "$T/err"
expect_rc 2 "two scopes are refused" "$AIPM" attach --cgroup "$JOB" --container 7f -o "$T/e6" 2>"$T/err"
expect_rc 1 "the root cgroup (which holds aipm) is refused" "$AIPM" attach --cgroup / --duration 0.2 -o "$T/e7" 2>"$T/err"
grep_q "the error says why" "holds aipm itself" "$T/err"

# A cgroup removed while attached (the container stopped) ends the run.
"$AIPM" attach --container "$DOCKER" -o "$T/gone" 2>"$T/gone.err" &
BG=$!
sleep 1
python3 "$MK" rm "$T/cg" "/system.slice/docker-$DOCKER.scope"
i=0
while kill -0 "$BG" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "attach ends once its cgroup is removed" sh -c "! kill -0 $BG 2>/dev/null"
kill "$BG" 2>/dev/null # had it not, it stops here
wait "$BG" 2>/dev/null
BG=""
grep_q "and says the cgroup was removed" "stopped: the cgroup was removed" "$T/gone.err"
check "the source says when, in metadata.json" python3 -c "
import json, sys
m = json.load(open('$T/gone/metadata.json'))
h = [s for s in m['segments'][-1]['sources'] if s['name'] == 'cgroup'][0]
sys.exit(0 if 'was removed' in h.get('note', '') else 1)"
check "the recording holds its invariants" invariants "$T/gone"
finish
