# cli_no_library.sh: no libnvidia-ml at all. The NVML source says why and
# what to do, `aipm run` still records the rest, and no line has "gpu".
. "$AIPM_TESTLIB"
export AIPM_NVML_LIB=/nonexistent/libnvidia-ml.so.1
"$AIPM" probe > "$T/probe.out" 2>&1
grep_q "probe names the missing library" "cannot load /nonexistent/libnvidia-ml.so.1" "$T/probe.out"
grep_q "probe says how to fix it" "install the NVIDIA driver" "$T/probe.out"
expect_rc 0 "aipm run without NVML" "$AIPM" run -o "$T/r" -- true
check "lines are written" test -s "$T/r/power_metrics.json"
check "no gpu object in any line" sh -c "! grep -q '\"gpu\"' '$T/r/power_metrics.json'"
check "metadata says nvml is unavailable, and why" python3 -c "
import json; m = json.load(open('$T/r/metadata.json'))
nv = [s for s in m['sources'] if s['name'] == 'nvml']
assert nv and not nv[0]['available'] and 'cannot load' in nv[0]['reason'], nv"
finish
