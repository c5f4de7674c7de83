#!/bin/sh
# aipm attach measures running processes and their descendants until they
# end, the duration, or a signal.
. "$AIPM_TESTLIB"
export AIPM_SYSFS_ROOT="$T/none"

"$AIPM_BURN" 600 &
bpid=$!
"$AIPM" attach -q -p $bpid -o "$T/a" 2>"$T/err"
check "attach ends when the process ends (exit $?)" [ $? = 0 ]
got=$(last_cpu "$T/a" "c['cpu_time']")
check "attach counts the process's CPU time ($got s)" python3 -c "import sys; sys.exit(0 if 0.3 < $got < 0.7 else 1)"
check "attach: invariants" invariants "$T/a"

sleep 30 &
spid=$!
t0=$(date +%s.%N)
"$AIPM" attach -q -p $spid --duration 0.5 -o "$T/d"
t1=$(date +%s.%N)
check "--duration stops the measurement" python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 3 else 1)"
check "--duration: segment closed" grep -q "END OF RECORDING" "$T/d/power_metrics.json"
"$AIPM" attach -q -p $spid -o "$T/i" &
apid=$!
sleep 0.4
kill -INT $apid
wait $apid
check "SIGINT stops attach cleanly" [ $? = 0 ]
check "SIGINT: the process is left running" kill -0 $spid
kill $spid
finish
