#!/bin/sh
# The views on tests/fixtures/recordings/aipm-views (numbers computed by
# hand, README.md there): the plot's SVG read back (names, steps over their
# intervals, the share as an area, axes from zero, phase colours), the HTML
# page held to naming nothing outside itself, and the text report of a real
# `aipm run` on fake hardware (a laptop's RAPL tree: psys holds the package,
# no DRAM zone; no GPU library).
. "$AIPM_TESTLIB"
export LSAN_OPTIONS="suppressions=$AIPM_SRC/tests/analysis/lsan.supp:print_suppressions=0"
export TZ=UTC
F="$AIPM_SRC/tests/fixtures/recordings"
V="$AIPM_SRC/tests/views"

# --- plots, read back from their SVG
expect_rc 0 "plot the default picture as SVG" "$AIPM" plot "$F/aipm-views" -o "$T/p.svg" 2>"$T/err"
grep_q "it says what it drew" "9 series in 1 panel" "$T/err"
check "the SVG holds the recording's numbers" python3 "$V/check_svg.py" power "$T/p.svg"
expect_rc 0 "plot a memory metric" "$AIPM" plot "$F/aipm-views" -m experiment_mem_pss -o "$T/m.svg" 2>/dev/null
check "the memory panel reads from zero" python3 "$V/check_svg.py" memory "$T/m.svg"
expect_rc 0 "plot a recording without RAPL: its CPU estimate" "$AIPM" plot "$F/aipm-estimate" -o "$T/e.svg" 2>/dev/null
check "the estimate is dashed, with its band" python3 "$V/check_svg.py" estimate "$T/e.svg"
"$AIPM" plot "$F/aipm-views" -m per_zone_power,per_gpu_use_rate,per_process_cpu_uses -o "$T/n.svg" 2>/dev/null
check "named metrics are named for people" python3 - "$T/n.svg" <<'PY'
import re, sys
names = re.findall(r'<g class="series" data-series="([^"]*)"', open(sys.argv[1]).read())
assert "package 0" in names and "GPU 0 (NVIDIA A100-SXM4-40GB) use" in names, names
assert not [n for n in names if not n or n.startswith("per_")], names
PY
if "$AIPM" plot "$F/aipm-views" -o "$T/p.png" 2>"$T/err"; then
	check "PNG magic" sh -c "head -c 8 '$T/p.png' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
else
	grep_q "a PNG without cairo says so" "without cairo" "$T/err"
fi

# --- the HTML page
expect_rc 0 "report --html" "$AIPM" report "$F/aipm-views" --html "$T/r.html" 2>"$T/err"
grep_q "it says where it wrote" "wrote $T/r.html" "$T/err"
check "the page is whole and says what the report says" python3 "$V/check_html.py" "$T/r.html"
"$AIPM" report "$F/aipm-views" --html - >"$T/stdout.html" 2>/dev/null
check "--html - writes the same page to standard output" cmp -s "$T/r.html" "$T/stdout.html"
expect_rc 2 "--html with two DIRs is refused" "$AIPM" report "$F/aipm-views" "$F/aipm-basic" --html "$T/x.html" 2>"$T/err"
grep_q "and says why" "one recording's page" "$T/err"
expect_rc 2 "--html with --from is refused" "$AIPM" report "$F/aipm-views" --from 1 --html "$T/x.html" 2>/dev/null
expect_rc 1 "--html into a missing directory fails" "$AIPM" report "$F/aipm-views" --html /nonexistent/r.html 2>"$T/err"
grep_q "and names the path" "/nonexistent/r.html" "$T/err"
check "and leaves nothing behind" test ! -e /nonexistent
cp "$T/r.html" "$T/keep.html"
mkdir "$T/ro" && cp "$T/r.html" "$T/ro/r.html" && chmod 0555 "$T/ro"
if ! touch "$T/ro/probe" 2>/dev/null; then
	expect_rc 1 "--html over a page it cannot replace fails" "$AIPM" report "$F/aipm-basic" --html "$T/ro/r.html" 2>/dev/null
	check "and the page that was there is whole" cmp -s "$T/ro/r.html" "$T/keep.html"
fi
chmod 0755 "$T/ro"
"$AIPM" report "$F/aipm-norapl" --html "$T/n.html" 2>/dev/null
check "a recording without energy still makes a whole page" python3 - "$T/n.html" <<'PY'
import sys
t = open(sys.argv[1]).read()
assert "not measured" in t and "no powercap tree" in t and "Nothing to draw" in t, t[:400]
assert "http" not in t
PY

# --- the text report of a real run on a laptop's RAPL tree, no GPU
make_rapl_tree make "$T/sys" laptop
python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" advance "$T/sys" "intel-rapl:0=20,intel-rapl:0:0=12,intel-rapl:0:1=2,intel-rapl:1=30" \
	--seconds 1.2 --step-ms 10 &
adv=$!
AIPM_SYSFS_ROOT="$T/sys" AIPM_NVML_LIB=/nonexistent/libnvidia-ml.so AIPM_AMDSMI_LIB=/nonexistent/libamd_smi.so \
	"$AIPM" run -q -i 0.1 -o "$T/lap" -- sleep 1 2>/dev/null
wait "$adv"
"$AIPM" report "$T/lap" >"$T/lap.txt"
grep_q "headline: the run's energy, share, mean power, duration" "^run  *[0-9.]* J ([0-9.]* Wh) in [0-9.]* s, mean [0-9.]* W; the experiment's share" "$T/lap.txt"
grep_q "psys holds the package" "^  psys .*(holds the packages)" "$T/lap.txt"
grep_q "the package sits inside psys" "^    package 0 " "$T/lap.txt"
grep_q "core inside the package" "^      core 0 " "$T/lap.txt"
grep_q "no DRAM zone: said, with why" "^  DRAM energy  *not measured: the recording has no DRAM zone" "$T/lap.txt"
grep_q "no GPU: said, with the library's words" "^  GPU energy  *not measured: .*nonexistent/libnvidia-ml.so" "$T/lap.txt"
check "no cpu_total or kind totals repeat the package" sh -c "! grep -q 'cpu_total\|^  package ' '$T/lap.txt'"
finish
