#!/bin/sh
# intervals.sh (issue 12, item 4): every interval is bounded where it
# enters. `-i 1e11` used to overflow the nanosecond step to 0: aipm spun at
# 100 % CPU, never started the command and ignored SIGTERM. Each refusal
# must be at once (a deadline turns a hang into a failure), exit 2, name
# the flag and the bounds, and start nothing.
. "$AIPM_TESTLIB"
export AIPM_SYSFS_ROOT="$T/none"
TO="timeout -s KILL 15"
M="$T/marker"
refused() {
	desc=$1 want=$2
	shift 2
	rm -f "$M"
	$TO "$AIPM" "$@" 2>"$T/err"
	rc=$?
	check "$desc: exit 2 at once (got $rc)" [ $rc = 2 ]
	grep_q "$desc: the bounds are said" "$want" "$T/err"
	check "$desc: nothing started" [ ! -e "$M" ]
}
for v in 1e11 1e300 61 1e-12 0.0009; do
	refused "run -i $v" "0.001..60 s" run -i $v -o "$T/r" -- touch "$M"
	refused "attach -i $v" "0.001..60 s" attach -p $$ -i $v -o "$T/r"
done
for v in 1e11 1e300 3601 1e-12; do
	refused "run --mem-interval $v" "0.001..3600 s" run --mem-interval $v -o "$T/r" -- touch "$M"
done
for v in 1e300 1e11 1e-12; do
	refused "serve --interval $v" "0.001..60 s" serve --interval $v --listen 127.0.0.1:0
done
"$AIPM" run --help >"$T/help"
grep_q "--help says the bounds of -i" "default 0.1; 0.001 to 60" "$T/help"
grep_q "--help says the bounds of --mem-interval" "default 1; 0.001 to 3600" "$T/help"
# The bounds themselves are accepted.
expect_rc 0 "run -i 60 --mem-interval 3600 runs" $TO "$AIPM" run -q -i 60 --mem-interval 3600 -o "$T/r" -- true
expect_rc 0 "run -i 0.001 runs" $TO "$AIPM" run -q -i 0.001 -o "$T/r" -- true
# --duration is not an interval: a long one is fine.
"$AIPM" attach -q -p $$ --duration 1e9 -i 0.05 -o "$T/a" &
apid=$!
# Signals are aipm's to take once it records (before, SIGTERM kills it).
for i in $(seq 150); do [ -s "$T/a/power_metrics.json" ] && break; sleep 0.1; done
kill -TERM $apid
wait $apid
check "attach --duration 1e9 is accepted and stops on SIGTERM ($?)" [ $? = 0 ]
finish
