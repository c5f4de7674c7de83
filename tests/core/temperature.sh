# temperature.sh: an unreadable sensor (real drivers answer EIO, e.g. a
# sleeping NVMe) is absent: not in the recording, no Prometheus series,
# never 0 degrees. The fake sensor is a link to /proc/self/mem, whose first
# page is unmapped: reading it is a real EIO.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
H="$T/sys/class/hwmon/hwmon0"
mkdir -p "$H"
echo coretemp >"$H/name"
echo 45000 >"$H/temp1_input"
echo "Package id 0" >"$H/temp1_label"
ln -s /proc/self/mem "$H/temp2_input"
echo "Asleep" >"$H/temp2_label"
check "the fake sensor reads EIO" sh -c "! cat '$H/temp2_input' 2>&1 >/dev/null | grep -qv 'Input/output error'"
export AIPM_SYSFS_ROOT="$T/sys"
"$AIPM" run -q -i 0.1 -o "$T/r" -- sleep 0.3
check "the readable sensor is recorded, the unreadable one is absent" python3 -c "
import json
for l in open('$T/r/power_metrics.json'):
    if l.startswith('{'):
        t = json.loads(l)['metrics']['temperature']
        assert t == {'coretemp/Package id 0': 45.0}, t"
check "aipm serve starts" serve_start "$T/serve.err" --interval 0.2
sleep 0.5
scrape "$SERVE_PORT" "$T/m"
grep_q "the readable sensor has a series" 'aipm_temperature_celsius{sensor="coretemp/Package id 0"} 45' "$T/m"
check "the unreadable one has none" sh -c "! grep -q 'Asleep' '$T/m'"
expect_rc 0 "serve stops" serve_stop
finish
