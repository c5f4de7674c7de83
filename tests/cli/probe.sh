#!/bin/sh
# aipm probe lists every source with its state, reason and fix, in text
# and JSON.
. "$AIPM_TESTLIB"
MK="$AIPM_SRC/tests/fixtures/mkrapl.py"
python3 "$MK" make "$T/sys" server2
mkdir -p "$T/sys/class/hwmon/hwmon3"
echo coretemp >"$T/sys/class/hwmon/hwmon3/name"
echo 45000 >"$T/sys/class/hwmon/hwmon3/temp1_input"
echo "Package id 0" >"$T/sys/class/hwmon/hwmon3/temp1_label"
AIPM_SYSFS_ROOT="$T/sys" "$AIPM" probe >"$T/out"
check "probe exits 0" [ $? = 0 ]
grep_q "rapl available" "rapl *available" "$T/out"
grep_q "zones listed" "package-0, dram-0, package-1, dram-1" "$T/out"
grep_q "hwmon available" "hwmon *available" "$T/out"
AIPM_SYSFS_ROOT="$T/sys" "$AIPM" probe --json >"$T/j"
check "probe --json parses and lists 4 sources" python3 -c "
import json; d=json.load(open('$T/j')); assert [s['name'] for s in d['sources']]==['rapl','procfs','cpu_estimate','nvml','amdsmi','hwmon']
r=d['sources'][0]; assert r['available'] and len(r['details']['zones'])==4"
# Temperatures land under metrics.temperature.
AIPM_SYSFS_ROOT="$T/sys" "$AIPM" run -q -o "$T/r" -- sleep 0.1
check "temperature recorded under metrics.temperature" python3 -c "
import json; l=json.loads(open('$T/r/power_metrics.json').readline()); assert l['metrics']['temperature']['coretemp/Package id 0']==45.0"
# A PID namespace whose /proc is still the outer one: refused, with the fix.
if unshare --pid --fork true 2>/dev/null; then
	unshare --pid --fork "$AIPM" run -o "$T/ns" -- true 2>"$T/nserr"
	grep_q "pid namespace without its own /proc: said" "another PID namespace" "$T/nserr"
	grep_q "pid namespace without its own /proc: fix given" "mount-proc" "$T/nserr"
else
	echo "skip - unshare --pid not permitted here"
fi
finish
