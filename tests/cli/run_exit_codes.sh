#!/bin/sh
# aipm run behaves like time(1): the command's status, 128+N for a signal,
# 127 when it cannot start, and signals sent to aipm reach the command.
. "$AIPM_TESTLIB"
export AIPM_SYSFS_ROOT="$T/none"

"$AIPM" run -q -o "$T/r" -- sh -c 'exit 3'
check "exit status of the command is aipm's (3)" [ $? = 3 ]
"$AIPM" run -q -o "$T/r" -- sh -c 'kill -TERM $$'
check "a command killed by SIGTERM gives 143" [ $? = 143 ]
"$AIPM" run -q -o "$T/nocmd" -- /nonexistent/cmd 2>"$T/err"
check "a command that cannot start gives 127" [ $? = 127 ]
grep_q "the message names the command" "/nonexistent/cmd" "$T/err"
check "nothing is recorded for a command that cannot start" [ ! -e "$T/nocmd" ]
"$AIPM" run -q -o "$T/nocmd" -- no-such-command-aipm 2>"$T/err"
check "a command not on PATH gives 127" [ $? = 127 ]

# The command keeps stdin.
out=$(echo hello | "$AIPM" run -q -o "$T/r" -- cat)
check "stdin reaches the command" [ "$out" = hello ]

# SIGTERM and SIGINT sent to aipm are forwarded; aipm exits with 128+N and
# closes the recording.
# A non-interactive shell starts background jobs with SIGINT ignored (and
# an ignored signal cannot be trapped): restore the default before aipm.
for sig in TERM INT HUP; do
	python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
		"$AIPM" run -q -o "$T/sig$sig" -- sh -c "trap 'kill \$!; exit 42' $sig; sleep 30 & touch '$T/ready$sig'; wait" &
	apid=$!
	# Signal only once the trap is set (a loaded machine may take seconds
	# to get there); the trap ends its sleep, which would otherwise hold
	# the test's output open for 30 s.
	for _ in $(seq 200); do [ -e "$T/ready$sig" ] && break; sleep 0.05; done
	kill -$sig $apid
	wait $apid
	rc=$?
	check "SIG$sig forwarded: the command's trap ran (exit $rc)" [ $rc = 42 ]
	check "SIG$sig: the segment is closed" grep -q "END OF RECORDING SEGMENT" "$T/sig$sig/power_metrics.json"
done
"$AIPM" run -q -o "$T/kill" -- sleep 30 &
apid=$!
sleep 0.5
kill -TERM $apid
wait $apid
check "sleep killed through aipm: 143" [ $? = 143 ]
finish
