# cli_pidns.sh: aipm inside a PID namespace, where NVML speaks host PIDs.
#  - with its own /proc (a container): probe advises --gpu-all-processes,
#    and that flag attributes all GPU energy to the experiment;
#  - under the host's /proc: the host pid the fake reports for the command
#    is mapped back through NSpid to the pid aipm sees.
. "$AIPM_TESTLIB"
unshare --pid --fork --mount-proc true 2>/dev/null || skip "unshare --pid is not permitted here"
cat > "$T/gpus.ini" <<EOS
count=1
gpu0.energy_step_mj=2000
gpu0.proc=child 50 1000000 1 0
gpu0.proc=424242 50 1000000 1 0
EOS
export AIPM_FAKE_NVML="$T/gpus.ini" AIPM_NVML_LIB="$AIPM_FAKE_NVML_LIB"
unshare --pid --fork --mount-proc "$AIPM" probe > "$T/probe.out" 2>&1
grep_q "probe detects the namespace and advises" "gpu-all-processes" "$T/probe.out"
"$AIPM" probe > "$T/probe-host.out" 2>&1
check "no advice outside a namespace" sh -c "! grep -q 'PID namespace' '$T/probe-host.out'"

expect_rc 0 "run --gpu-all-processes in a container-like namespace" \
	unshare --pid --fork --mount-proc "$AIPM" run --gpu-all-processes -o "$T/all" -- sleep 0.5
"$AIPM" report "$T/all" --json > "$T/all.json" 2>/dev/null
check "all GPU energy attributed with --gpu-all-processes" python3 -c "
import json; r = json.load(open('$T/all.json'))
e, a = r['energy_j']['gpu'], r['attributed_j']['gpu']
print('energy', e, 'attributed', a); assert e > 0 and abs(a - e) <= 0.001 * e"
check "metadata records --gpu-all-processes" python3 -c "
import json; assert json.load(open('$T/all/metadata.json'))['gpu_all_processes'] is True"

expect_rc 0 "run under the host's /proc in a PID namespace" \
	unshare --pid --fork "$AIPM" run -o "$T/map" -- sleep 1
check "host pid mapped through NSpid and attributed" python3 -c "
import json
m = json.load(open('$T/map/metadata.json'))
d = [s for s in m['sources'] if s['name'] == 'nvml'][0]['details']
assert d['pid_namespace'] and d['pid_mapping'], d
pids = set()
for l in open('$T/map/power_metrics.json'):
    l = json.loads(l)
    if isinstance(l, dict):
        pids |= set(l['metrics']['gpu']['per_gpu_per_pid_utilization_absolute']['0'])
# the command is a small pid inside the namespace, never the host's number
print('pids seen as the experiment on GPU 0:', sorted(pids))
assert pids and all(int(p) < 100 for p in pids) and '424242' not in pids"
finish
