#!/bin/sh
# Without RAPL, aipm says so plainly with the fix, records no made-up
# number, and still measures CPU time and memory. An unreadable energy_uj
# (root-only since Linux 5.10) is refused the same way, never half-read.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"

AIPM_SYSFS_ROOT="$T/empty" "$AIPM" run -o "$T/r" -- "$AIPM_BURN" 100 2>"$T/err"
check "no RAPL: the command still runs (exit 0)" [ $? = 0 ]
grep_q "no RAPL: says no CPU energy will be recorded" "no CPU energy will be recorded" "$T/err"
grep_q "no RAPL: says how to get it" "modprobe intel_rapl_msr" "$T/err"
check "no RAPL: no power or energy key in any line" sh -c "! grep -q -e intel_power -e per_zone_energy -e attributed_energy '$T/r/power_metrics.json'"
check "no RAPL: CPU time is still recorded" grep -q '"cpu_time"' "$T/r/power_metrics.json"
check "no RAPL: metadata says why" grep -q "no powercap tree" "$T/r/metadata.json"
"$AIPM" report --json "$T/r" >"$T/nr.json"
check "report --json says why CPU energy is missing, with the fix" python3 -c "
import json; d=json.load(open('$T/nr.json'))
assert d['energy_j'] == {} and 'powercap' in d['unmeasured']['cpu']['reason']
assert 'modprobe' in d['unmeasured']['cpu']['fix']"
AIPM_SYSFS_ROOT="$T/empty" "$AIPM" run -q -o "$T/rq" -- true 2>"$T/errq"
grep_q "no RAPL: said even with --quiet" "no CPU energy" "$T/errq"
AIPM_SYSFS_ROOT="$T/empty" "$AIPM" probe >"$T/probe"
grep_q "probe: rapl unavailable" "rapl *UNAVAILABLE" "$T/probe"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	python3 "$MK" make "$T/sys" unreadable
	find "$T" -type d -exec chmod 755 {} +
	mkdir -p "$T/out" && chmod 777 "$T/out"
	AIPM_SYSFS_ROOT="$T/sys" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$AIPM" run -o "$T/out/r" -- true 2>"$T/err2"
	check "unreadable energy_uj: the command still runs" [ $? = 0 ]
	grep_q "unreadable energy_uj: says root only" "readable by root only" "$T/err2"
	grep_q "unreadable energy_uj: gives the chmod fix" "chmod o+r" "$T/err2"
	check "unreadable energy_uj: no energy recorded" sh -c "! grep -q per_zone_energy '$T/out/r/power_metrics.json'"
	AIPM_SYSFS_ROOT="$T/sys" setpriv --reuid=65534 --regid=65534 --clear-groups "$AIPM" probe --json >"$T/pj"
	check "probe --json: rapl unavailable with a fix" python3 -c "
import json; d=json.load(open('$T/pj')); r=[s for s in d['sources'] if s['name']=='rapl'][0]
assert not r['available'] and 'chmod' in r['fix'], r"
else
	echo "skip - unreadable case needs root and setpriv"
fi
finish
