#!/bin/sh
# root_owner.sh (issue 12, item 1): aipm run as root against a user who
# owns -o DIR, or who may write into it, and plants links there: root's
# file must never be written. The reproductions of the issue: links to a
# root-owned file as power_metrics.json (replace and -a), metadata.json,
# phases.json, results_exp.json, model_summary.json; a loop re-creating the
# links while the run logs; metadata.json.tmp.<pid> planted for aipm's pid;
# a hard link. A directory of another user is refused unless --as-owner,
# which writes the recording as that user.
. "$AIPM_TESTLIB"
[ "$(id -u)" = 0 ] || skip "needs root: it plays a user against aipm run as root"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to act as another user"
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
TO="timeout -s KILL 30"
NOBODY=65534
AS_USER="setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups"
chmod 755 "$T"
echo precious >"$T/victim"
chmod 600 "$T/victim"
same() { [ "$(cat "$T/victim")" = precious ] && [ "$(stat -c %s "$T/victim")" = 9 ]; }
names="power_metrics.json metadata.json phases.json results_exp.json"
job="\"$AIPM\" mark a && \"$AIPM\" mark --end a && \"$AIPM\" log x=1"

# A directory another user owns: refused as root, nothing created.
mkdir "$T/u" && chown $NOBODY:$NOBODY "$T/u"
expect_rc 2 "another user's DIR: refused as root" $TO "$AIPM" run -q -o "$T/u" -- true 2>"$T/err"
grep_q "another user's DIR: the flag is named" "--as-owner" "$T/err"
check "another user's DIR: nothing created" [ -z "$(ls -A "$T/u")" ]

# --as-owner: recorded, and every file is the owner's.
expect_rc 0 "--as-owner: records" $TO "$AIPM" run -q --as-owner -o "$T/u" -- sh -c "$job"
for f in $names; do
	check "--as-owner: $f belongs to the owner" [ "$(stat -c %u "$T/u/$f")" = $NOBODY ]
done
check "--as-owner: no temporary file left" [ -z "$(ls "$T/u" | grep tmp)" ]
check "--as-owner: invariants hold" invariants "$T/u"

# The owner plants a link under each name: refused, root's file untouched.
for f in $names; do
	for flag in "" -a; do
		rm -f "$T/u/$f" && $AS_USER ln -s "$T/victim" "$T/u/$f"
		$TO "$AIPM" run -q --as-owner $flag -o "$T/u" -- sh -c "$job" 2>"$T/err"
		check "--as-owner, $f -> root's file ${flag:-(replace)}: refused ($?)" grep -q "symbolic link" "$T/err"
		check "--as-owner, $f -> root's file ${flag:-(replace)}: untouched" same
		rm -f "$T/u/$f"
	done
done

# A directory root owns that others may write into (mode 1777, as /tmp):
# no --as-owner, so O_NOFOLLOW alone stands between them and root's file.
mkdir "$T/w" && chmod 1777 "$T/w"
for f in $names; do
	for flag in "" -a; do
		rm -f "$T/w/$f" && $AS_USER ln -s "$T/victim" "$T/w/$f"
		$TO "$AIPM" run -q $flag -o "$T/w" -- sh -c "$job" 2>"$T/err"
		check "shared DIR, $f -> root's file ${flag:-(replace)}: refused ($?)" grep -q "symbolic link" "$T/err"
		check "shared DIR, $f -> root's file ${flag:-(replace)}: untouched" same
		rm -f "$T/w/$f"
	done
done

# A loop re-creating the links while the run writes phases and metrics:
# whatever it wins, root's file is never written.
$TO "$AIPM" run -q -o "$T/w" -- true
$AS_USER sh -c "while :; do ln -sf '$T/victim' '$T/w/phases.json'; ln -sf '$T/victim' '$T/w/results_exp.json'; done" &
loop=$!
for i in 1 2 3 4 5; do
	$TO "$AIPM" run -q -a -o "$T/w" -- sh -c "for k in 1 2 3 4 5 6 7 8; do $job; done" 2>/dev/null
done
kill $loop
wait $loop 2>/dev/null
check "a loop re-creating links: root's file untouched" same

# metadata.json.tmp.<pid> planted for the very pid aipm will have (exec
# keeps the shell's pid).
rm -rf "$T/w"/* && $TO "$AIPM" run -q -o "$T/w" -- true
$TO sh -c "$AS_USER ln -s '$T/victim' '$T/w/metadata.json.tmp.'\$\$ && exec \"$AIPM\" run -q -o '$T/w' -- true"
check "metadata.json.tmp.<pid> planted: root's file untouched" same
check "metadata.json.tmp.<pid> planted: metadata.json written" python3 -c "import json; json.load(open('$T/w/metadata.json'))"

# model_summary.json: a link is replaced, never followed.
rm -rf "$T/w"/* && $AS_USER ln -s "$T/victim" "$T/w/model_summary.json"
$TO "$AIPM" run -q --model "$AIPM_SRC/tests/fixtures/onnx/small.onnx" -o "$T/w" -- true
check "model_summary.json a link: root's file untouched" same
check "model_summary.json a link: the summary is a file of its own" \
	python3 -c "import json,os; p='$T/w/model_summary.json'; assert not os.path.islink(p); json.load(open(p))"

# A hard link to root's file (root plants it here: protected_hardlinks
# stops users, not every system has it on).
rm -rf "$T/w"/* && $TO "$AIPM" run -q -o "$T/w" -- true
rm "$T/w/power_metrics.json" && ln "$T/victim" "$T/w/power_metrics.json"
expect_rc 2 "a hard link as power_metrics.json (-a): refused" $TO "$AIPM" run -q -a -o "$T/w" -- true 2>"$T/err"
grep_q "a hard link: said so" "hard links" "$T/err"
check "a hard link: root's file untouched" same
finish
