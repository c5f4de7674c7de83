#!/bin/sh
# `aipm report --html` opened by a real browser: headless Chromium (Debian's
# chromium package; `scripts/deps.sh --integration` installs it) renders
# the page of tests/fixtures/recordings/aipm-views at a desktop's and a
# phone's width and prints it; the screenshots must not be blank (counted
# with Pillow, python3-pil), the PDF must be one. Chromium runs with
# networking features off and a fresh profile, under a timeout; without it
# the test is skipped, saying why.
. "$AIPM_TESTLIB"
export LSAN_OPTIONS="suppressions=$AIPM_SRC/tests/analysis/lsan.supp:print_suppressions=0"
export TZ=UTC
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || skip "no chromium: install Debian's chromium (scripts/deps.sh --integration) to render the page"
# Debian's Pillow is its python3's; a python3 first on PATH may be another.
py=python3
$py -c "import PIL" 2>/dev/null || py=/usr/bin/python3
$py -c "import PIL" 2>/dev/null || skip "no Pillow: install python3-pil (scripts/deps.sh --integration)"
"$AIPM" report "$AIPM_SRC/tests/fixtures/recordings/aipm-views" --html "$T/r.html" 2>/dev/null
check "the page is written" test -s "$T/r.html"

# render NAME WIDTHxHEIGHT [flags]: a fresh profile each time; root needs
# --no-sandbox; nothing that reaches out (no sync, updates, QUIC, DNS).
render() {
	name=$1 size=$2
	shift 2
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --disable-extensions \
		--host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$T/profile-$name" --hide-scrollbars \
		--window-size="$size" "$@" "file://$T/r.html" >"$T/$name.log" 2>&1
}
render desktop 1280,2400 --screenshot="$T/desktop.png"
check "Chromium renders the page at a desktop's width" test -s "$T/desktop.png"
render phone 412,2000 --screenshot="$T/phone.png"
check "and at a phone's width" test -s "$T/phone.png"
render print 1280,1000 --print-to-pdf="$T/r.pdf" --no-pdf-header-footer
check "and prints it as a PDF" sh -c "head -c 5 '$T/r.pdf' | grep -q '%PDF-'"

# Not blank: most of a rendered page is its white background; the page's
# text, tables and plots make the rest, in more than a few colours.
not_blank() {
	$py - "$1" "$2" "$3" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
w, h = im.size
px = im.getdata()
ink = sum(1 for p in px if p != (255, 255, 255))
colours = len(set(px))
share = ink / (w * h)
# the power plot drawn: the experiment's share, a green area under the
# machine's power (far more of it than the share's number in its card)
greens = sum(1 for r, g, b in px if g > r + 15 and g > b + 10)
print("%s: %dx%d, %.1f %% not background, %d colours, %d pixels of the share's green" %
      (sys.argv[1], w, h, 100 * share, colours, greens))
sys.exit(0 if share > float(sys.argv[2]) and colours > 50 and greens > float(sys.argv[3]) else 1)
PY
}
check "the desktop screenshot is not blank: text, tables and the power plot" not_blank "$T/desktop.png" 0.04 8000
check "nor the phone's" not_blank "$T/phone.png" 0.04 3000
finish
