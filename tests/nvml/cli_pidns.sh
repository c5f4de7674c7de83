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

# Under the host's /proc (unshare without --mount-proc) the pids in /proc
# are not aipm's: the process tree is refused with the fix rather than
# filled with strangers, and GPU energy is still recorded. (The NSpid
# mapping itself is pinned by test_nvml_host_pids_mapped_through_nspid.)
expect_rc 0 "run under the host's /proc in a PID namespace" \
	sh -c "unshare --pid --fork '$AIPM' run -o '$T/map' -- sleep 1 2>'$T/map.err'"
grep_q "the foreign /proc is refused with the fix" "mount-proc" "$T/map.err"
check "GPU energy still recorded, no stranger in the tree" python3 -c "
import json
rows = [json.loads(l) for l in open('$T/map/power_metrics.json') if l.startswith('{')]
assert rows[-1]['metrics']['gpu']['per_gpu_energy']['0'] > 0
# no pid from the foreign /proc; the run's cgroup may still give the
# tree's CPU time, listed under 'other' (docs/recording.md)
assert all(set(r['metrics']['cpu'].get('absolute_cpu_time_per_pid') or {}) <= {'other'} for r in rows)"
finish
