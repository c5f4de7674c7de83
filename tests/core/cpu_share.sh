# cpu_share.sh: the experiment's CPU share, end to end, at -i 0.1. A fake
# package counter is driven from the machine's busy CPU time (1 J per busy
# tick, mkrapl.py busy), so the true share of the package energy over a run
# is the experiment's CPU time over the machine's busy time over that run.
# Alone on the machine the share must be within 1 point of the truth (the
# tick rounding of /proc/stat once cost 1.5 to 6 points); beside an outside
# burner at 1:1 and 1:3, within 2 points.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"
python3 "$MK" make "$T/sys" amd
export AIPM_SYSFS_ROOT="$T/sys"
python3 "$MK" busy "$T/sys" intel-rapl:0 --uj-per-tick 1000000 --seconds 120 --step-ms 5 &
DRV=$!
OUT=""
cleanup() { for p in $DRV $OUT; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
HZ=$(getconf CLK_TCK)

# share DIR TOL: attributed CPU energy over package energy vs the tree's
# CPU time over the machine's busy time (package J = busy ticks).
share() {
python3 - "$1" "$HZ" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1] + "/power_metrics.json") if l.startswith("{")]
hz, tol = float(sys.argv[2]), float(sys.argv[3])
c = lines[-1]["metrics"]["cpu"]
e = c["per_zone_energy"]["package-0"]
got = c["attributed_energy"]["cpu"] / e
want = c["cpu_time"] / (e / hz)
print("share %.4f vs true %.4f (%d lines, %.2f s of tree CPU over %.2f s busy)" % (got, want, len(lines), c["cpu_time"], e / hz))
sys.exit(0 if abs(got - want) <= tol and got <= 1 else 1)
PY
}

sleep 0.3
"$AIPM" run -q -i 0.1 -o "$T/alone" -- "$AIPM_BURN" 3000
check "a burner alone: attributed share within 1 point of its true share" share "$T/alone" 0.01
check "and its CPU time is the burner's 3 s (within 5%)" near "$(python3 -c "
import json; ls = [json.loads(l) for l in open('$T/alone/power_metrics.json') if l.startswith('{')]
print(ls[-1]['metrics']['cpu']['cpu_time'])")" 3.0 0.05

"$AIPM_BURN" 600000 & OUT=$!
sleep 0.2
"$AIPM" run -q -i 0.1 -o "$T/one" -- "$AIPM_BURN" 2000
check "beside an outside burner (1:1): within 2 points" share "$T/one" 0.02
kill $OUT; OUT=""

for k in 1 2 3; do "$AIPM_BURN" 600000 & OUT="$OUT $!"; done
sleep 0.2
"$AIPM" run -q -i 0.1 -o "$T/three" -- "$AIPM_BURN" 1500
check "beside three outside burners (1:3): within 2 points" share "$T/three" 0.02
for p in $OUT; do kill "$p"; done; OUT=""
for d in alone one three; do check "invariants hold ($d)" python3 "$AIPM_SRC/tests/cli/check_invariants.py" "$T/$d"; done
finish
