#!/bin/sh
# orphan.sh: an orphan reparented to `aipm run` joins the tree.
#
# A command that daemonises forks a child and exits at once: the child is
# reparented to aipm (a child subreaper) before aipm ever saw it under its
# real parent, so only the orphan rule (membership.h: a process whose
# parent is aipm itself came from the tree, the command being aipm's only
# child) makes it a member. Without the rule its CPU time would still
# arrive in the end, through wait4 when aipm reaps it, but it would be
# missing from every sample while it runs, and from the per-process lists.
# Here the intermediate shell exits within microseconds of the fork and
# aipm samples every 0.2 s, so the orphan is almost never seen beside its
# parent; its pid is checked in the samples taken while it burns.
. "$AIPM_TESTLIB"
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"

"$AIPM" run -q -i 0.2 -o "$T/rec" -- sh -c \
	"( \"$AIPM_BURN\" 1200 & echo \$! >'$T/orphan' ) ; while [ ! -s '$T/orphan' ] || [ -d /proc/\$(cat '$T/orphan') ]; do sleep 0.05; done"
expect_rc 0 "the command's orphan wrote its pid" test -s "$T/orphan"
opid=$(cat "$T/orphan")
python3 - "$T/rec" "$opid" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1] + "/power_metrics.json") if l.startswith("{")]
cpu = [r["metrics"]["cpu"] for r in rows]
seen = [c for c in cpu if sys.argv[2] in c.get("absolute_cpu_time_per_pid", {})]
print("    the orphan %s is in %d of %d samples" % (sys.argv[2], len(seen), len(rows)))
# It burns 1.2 s at 0.2 s a sample: in the samples while it runs, with
# its CPU time growing there, not only at the end.
# (absolute_cpu_time_per_pid is the CPU time of each interval, as
# AIPowerMeter records it: the orphan's lines add up to most of its 1.2 s.)
ok = len(seen) >= 3 and sum(c["absolute_cpu_time_per_pid"][sys.argv[2]] for c in seen) > 0.5
mid = cpu[len(cpu) // 2]["cpu_time"]
print("    the tree's CPU time half way: %.2f s (of %.2f s)" % (mid, cpu[-1]["cpu_time"]))
sys.exit(0 if ok and mid > 0.3 else 1)
PY
check "the orphan is measured while it runs, as a member of the tree" [ $? = 0 ]
check "the recording holds its invariants" invariants "$T/rec"
finish
