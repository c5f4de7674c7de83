# attach_zombie.sh: a zombie has ended (its times are final, it will never
# run again): `aipm attach -p <zombie>` records it and ends, instead of
# waiting for a process that is not alive.
. "$AIPM_TESTLIB"
mkdir -p "$T/sys"
export AIPM_SYSFS_ROOT="$T/sys"
# A parent that never waits for its child: the child stays a zombie.
python3 -c "
import os, sys, time
c = os.fork()
if c == 0:
    os._exit(0)
open(sys.argv[1], 'w').write(str(c))
time.sleep(60)" "$T/zpid" &
PARENT=$!
n=0
while [ ! -s "$T/zpid" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
Z=$(cat "$T/zpid")
sleep 0.2
check "the child is a zombie" sh -c "grep -q '^State:.*Z' /proc/$Z/status"
timeout 20 "$AIPM" attach -q -i 0.1 -p "$Z" -o "$T/r"
rc=$?
check "aipm attach -p <zombie> ends by itself (status $rc)" [ $rc = 0 ]
check "it recorded the zombie" python3 -c "
import json; ls = [json.loads(l) for l in open('$T/r/power_metrics.json') if l.startswith('{')]
assert ls and '$Z' in ls[0]['metrics']['cpu']['absolute_cpu_time_per_pid']"
kill $PARENT
finish
