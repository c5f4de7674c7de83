#!/bin/sh
# scope_cli.sh: the scope library through scopectl, as the CLI will drive
# it: a fake node (Slurm both layouts, Docker, Podman, Kubernetes) under
# AIPM_CGROUP_ROOT, then this machine's real cgroup v2 where writable: many
# short processes counted to the microsecond, and a daemon that outlives
# its command (moved back out, said so, killed by pid).
. "$AIPM_TESTLIB"
SC="$AIPM_BUILD/tests/scope/scopectl"
MK="$AIPM_SRC/tests/fixtures/mkcgroup.py"

python3 "$MK" make "$T/cg" --proc "$T/proc" slurm-jobid slurm-sluid docker-systemd k8s-systemd
export AIPM_CGROUP_ROOT="$T/cg" AIPM_PROC_ROOT="$T/proc"

"$SC" list slurm 2 >"$T/out" 2>&1
grep_q "a bound of 2 jobs lists 2" "listed=2 left_out=3" "$T/out"
"$SC" list slurm >"$T/out" 2>&1
grep_q "a SLUID job's numeric id comes from its slurmstepd title" \
	"cgroup=/system.slice/node1_slurmstepd.scope/sBR1JB8J1YM400 slurm_job=2001 " "$T/out"
grep_q "or from a task's SLURM_JOB_ID" "sBR1JB8J1YM401 slurm_job=2002 " "$T/out"
grep_q "and stays unknown when neither is readable" "sBR1JB8J1YM402 slurm_job= slurm_sluid=sBR1JB8J1YM402" "$T/out"

expect_rc 1 "an unknown job is refused" "$SC" resolve slurm 4242 2>"$T/err"
grep_q "the error names the job" "Slurm job '4242'" "$T/err"
expect_rc 1 "a bad step is refused" "$SC" resolve slurm 1001.x 2>"$T/err"
grep_q "the error says what a step is" "a number, batch, extern or interactive" "$T/err"

# a task of job 1001 runs 123456 us: the job's cpu.stat counts descendants
python3 "$MK" advance "$T/cg" /system.slice/slurmstepd.scope/job_1001/step_0/user/task_0 123456
"$SC" read /system.slice/slurmstepd.scope/job_1001 >"$T/out" 2>&1
grep_q "a job's cpu.stat counts its steps" "usage_usec=123456 " "$T/out"
grep_q "memory is absent, not zero, without the controller" "memory_current_bytes=absent" "$T/out"

"$SC" members /system.slice/slurmstepd.scope/job_1002 >"$T/out"
grep_q "members include descendants by default" "n=2 " "$T/out"
"$SC" members /system.slice/slurmstepd.scope/job_1002 flat >"$T/out"
grep_q "and not when asked flat" "n=0 " "$T/out"

unset AIPM_CGROUP_ROOT AIPM_PROC_ROOT
# --- the real cgroup v2 -------------------------------------------------
if ! "$SC" run -- true >"$T/probe" 2>&1; then
	echo "skip - real cgroup v2 not writable: $(cat "$T/probe")"
	finish
	exit $?
fi
"$SC" run -- "$AIPM_BURN" -f 1000 2 >"$T/out" 2>&1
usage=$(sed -n 's/^usage_usec=\([0-9]*\) .*/\1/p' "$T/out")
ru=$(sed -n 's/.* rusage_usec=\([0-9]*\)$/\1/p' "$T/out")
echo "# 1000 processes of 2 ms: cpu.stat $usage us, wait4 $ru us"
check "1000 short processes: cpu.stat within 1% of wait4" near "$usage" "$ru" 0.01
grep_q "the run's cgroup is removed" "left=0 moved=0 removed=1" "$T/out"

"$SC" run -- sh -c 'sleep 30 & exit 0' >"$T/out" 2>&1
grep_q "a daemon that outlives the command is moved out" "left=1 moved=1 removed=1" "$T/out"
daemon=$(sed -n 's/.* first=\([0-9]*\)$/\1/p' "$T/out")
if [ -n "$daemon" ] && [ "$daemon" != 0 ]; then
	check "and keeps running" kill -0 "$daemon"
	kill "$daemon"
fi
finish
