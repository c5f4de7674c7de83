#!/bin/sh
# make_screenshots.sh [BUILD]: the README's pictures, made from a real
# `aipm run` on fake hardware: a two-socket RAPL tree (tests/fixtures/
# mkrapl.py, driven through phases of known power), two GPUs from the fake
# NVML the test suite builds, phases marked with `aipm mark`, epochs logged
# with `aipm log`, a ResNet-50 model summary. Writes docs/plot.png (aipm
# plot) and docs/report.png, docs/report-phone.png (aipm report --html,
# rendered by headless Chromium). Not a test: run it by hand after a
# change to the views, then look at the pictures.
set -eu
B=${1:-build-check}
A="$PWD/$B/aipm"
NVML="$PWD/$B/tests/nvml/libfake_nvml.so"
MK="$PWD/tests/fixtures/mkrapl.py"
[ -x "$A" ] && [ -f "$NVML" ] || { echo "build $B first (make check, or ninja -C $B)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/aipm-shots.XXXXXX")
trap 'rm -rf "$T"' EXIT
python3 "$MK" make "$T/sys" server2
cat >"$T/gpus.ini" <<EOS
count=2
gpu0.name=NVIDIA A100-SXM4-40GB
gpu0.uuid=GPU-5e1f0a7c-a100-0000
gpu0.energy=none
gpu0.power_mw=238000
gpu0.power_step_mw=150
gpu0.util=87
gpu0.mem_total=42949672960
gpu0.mem_used=31138512896
gpu0.proc=child 80 30000000000 1 0
gpu1.name=NVIDIA A100-SXM4-40GB
gpu1.uuid=GPU-5e1f0a7c-a100-0001
gpu1.energy=none
gpu1.power_mw=70000
gpu1.power_step_mw=1200
gpu1.util=35
gpu1.mem_total=42949672960
gpu1.mem_used=6442450944
EOS
# The job: counters advanced stage by stage (load, 3 x train + eval) in
# the background while the shell marks the same stages.
cat >"$T/job.sh" <<EOS
python3 - "$T/sys" <<'PY' &
import sys
sys.path.insert(0, "$PWD/tests/fixtures")
import mkrapl
root = sys.argv[1]
def stage(p0, d0, p1, d1, s):
    mkrapl.advance(root, "intel-rapl:0=%g,intel-rapl:0:0=%g,intel-rapl:1=%g,intel-rapl:1:0=%g" % (p0, d0, p1, d1), s, 10, None)
stage(38, 6, 24, 5, 3)
for e in range(3):
    stage(112, 15, 86, 12, 6)
    stage(62, 9, 41, 8, 2)
PY
"$A" mark load; sleep 3; "$A" mark --end load
for e in 1 2 3; do
	"$A" mark train; sleep 6; "$A" mark --end train
	"$A" mark eval; sleep 2; "$A" mark --end eval
	"$A" log epoch=\$e loss=\$(awk "BEGIN { printf \\"%.2f\\", 1.9 / \$e }") acc=0.\$((60 + 10 * e))
done
wait
EOS
# The fake NVML counts energy per call, not per second: a short interval
# (at a mark) would show a spike no GPU draws. Both GPUs report power,
# which aipm integrates, as a GPU without an energy counter does.
D="$PWD/docs" S="$PWD"
cd "$T"
AIPM_SYSFS_ROOT="$T/sys" AIPM_FAKE_NVML="$T/gpus.ini" AIPM_NVML_LIB="$NVML" \
	"$A" run -q -i 0.25 -o runs/resnet50-ft --model "$S/tests/fixtures/onnx/resnet50.onnx" \
	-d "ResNet-50 fine-tuning on 2 GPUs (fake RAPL and NVML)" -- sh "$T/job.sh"
"$A" report runs/resnet50-ft
"$A" plot runs/resnet50-ft -o "$D/plot.png"
"$A" report runs/resnet50-ft --html "$T/report.html"
shot() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --disable-extensions \
		--host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$T/profile-$1" --hide-scrollbars \
		--window-size="$2" --screenshot="$D/$1.png" "file://$T/report.html" >/dev/null 2>&1
}
shot report 1200,2300
shot report-phone 412,1500
cp "$T/report.html" "$D/report-example.html"
# Smaller files for the repository: a screenshot needs no more than 256
# colours (Debian's Pillow, when there).
for f in "$D/report.png" "$D/report-phone.png"; do
	/usr/bin/python3 -c "import sys; from PIL import Image; Image.open(sys.argv[1]).convert('RGB').quantize(256).save(sys.argv[1], optimize=True)" "$f" 2>/dev/null || true
done
echo "wrote docs/plot.png, docs/report.png, docs/report-phone.png, docs/report-example.html"
