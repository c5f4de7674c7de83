#!/bin/sh
# root_safe.sh (issue 12, item 1): aipm never writes through a link or into
# a FIFO planted in the recording directory, whoever runs it: DIR itself a
# link is refused, each file of the recording a link or a FIFO is refused
# before the command starts (a FIFO power_metrics.json used to hang aipm
# forever after the command, deaf to SIGTERM), with and without --append.
. "$AIPM_TESTLIB"
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
# A hang is the bug: every run gets a deadline (SIGKILL: the old aipm
# ignored SIGTERM).
TO="timeout -s KILL 20"
M="$T/marker"
echo precious >"$T/victim"
same() { [ "$(cat "$T/victim")" = precious ]; }

mkdir "$T/real"
ln -s "$T/real" "$T/link"
expect_rc 2 "DIR a symbolic link: refused" $TO "$AIPM" run -q -o "$T/link" -- touch "$M" 2>"$T/err"
grep_q "DIR a symbolic link: said so" "is a symbolic link" "$T/err"
check "DIR a symbolic link: nothing written where it points" [ -z "$(ls -A "$T/real")" ]
check "DIR a symbolic link: the command did not run" [ ! -e "$M" ]

for name in power_metrics.json metadata.json phases.json results_exp.json; do
	for mode in replace append; do
		flag=; [ $mode = append ] && flag=-a
		rm -rf "$T/d" && mkdir "$T/d" && mkfifo "$T/d/$name"
		expect_rc 2 "$name a FIFO ($mode): refused at once, no hang" \
			$TO "$AIPM" run -q $flag -o "$T/d" -- touch "$M" 2>"$T/err"
		grep_q "$name a FIFO ($mode): named" "$name is a FIFO" "$T/err"
		check "$name a FIFO ($mode): the command did not run" [ ! -e "$M" ]

		rm -rf "$T/d" && mkdir "$T/d" && ln -s "$T/victim" "$T/d/$name"
		expect_rc 2 "$name a link ($mode): refused" $TO "$AIPM" run -q $flag -o "$T/d" -- touch "$M" 2>"$T/err"
		grep_q "$name a link ($mode): named" "$name is a symbolic link" "$T/err"
		check "$name a link ($mode): the file it points to is untouched" same
	done
done

finish
