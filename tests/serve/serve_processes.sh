#!/bin/sh
# aipm serve --processes N over HTTP: the top N by attributed power, busiest
# first, at most N, power only where RAPL measured it, label values escaped,
# bad values refused. The shares come from real processes (the burn helper)
# on a shared machine, so ranking checks poll a few scrapes rather than
# trust one interval.
. "$AIPM_TESTLIB"
. "$AIPM_SRC/tests/serve/serve_lib.sh"
BURNS=""
trap 'serve_stop; for b in $BURNS; do kill "$b" 2>/dev/null; done; rm -rf "$T"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
: "${AIPM_BURN:?run through meson test}"

for v in 0 -3 abc 1.5 5x 1001 ''; do
	expect_rc 2 "--processes '$v' is a usage error" "$AIPM" serve --listen 127.0.0.1:0 --processes "$v"
done
expect_rc 2 "--processes without a value is a usage error" "$AIPM" serve --processes
"$AIPM" serve --processes abc 2>"$T/bad.err"
grep_q "the error says what a good value is" "whole number from 1 to 1000" "$T/bad.err"

# burn_bg MS [NAME]: a CPU burner in the background (NAME: run it through a
# symlink of that name, which becomes its comm); sets BURN_PID.
burn_bg() {
	exe=$AIPM_BURN
	if [ $# -gt 1 ]; then exe="$T/$2"; ln -sf "$AIPM_BURN" "$exe"; fi
	"$exe" "$1" &
	BURN_PID=$!
	BURNS="$BURNS $BURN_PID"
}
# series FILE FAMILY: "pid value" per line, in exposition order
series() { sed -n "s/^$2{pid=\"\([0-9]*\)\",comm=.*} \(.*\)$/\1 \2/p" "$1"; }
# descending FILE FAMILY: the family's values never go up
# descending FILE FAMILY: at least one series, and the values never go up
descending() { series "$1" "$2" | awk 'NR > 1 && $2 > prev + 1e-12 { bad = 1 } { prev = $2 } END { exit bad || NR == 0 }'; }
# poll_until DESC CMD...: scrape to $T/m every 0.3 s, up to 30 times, until
# CMD succeeds on it
poll_until() {
	d=$1; shift; i=0
	while [ $i -lt 30 ]; do
		scrape "$SERVE_PORT" "$T/m" 2>/dev/null && "$@" && { ok "$d"; return; }
		sleep 0.3; i=$((i + 1))
	done
	not_ok "$d"; sed 's/^/    | /' "$T/m" | grep process | head -20
}

# RAPL present: a fake package drawing a known 40 W.
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" advance "$T/sys" intel-rapl:0=40 --seconds 20 --step-ms 50 &
BURNS="$BURNS $!"
burn_bg 20000; busy=$BURN_PID
check "aipm serve --processes 3 starts" serve_start "$T/serve.err" --interval 0.3 --processes 3
# (and the fake counter has started to move: a 0 W package gives 0 W to all)
burn_first() {
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)" "$(sed -n 's/^intel_power //p' "$T/m")" 2>/dev/null &&
	[ "$(series "$T/m" aipm_process_cpu_ratio | head -1 | cut -d' ' -f1)" = "$busy" ] &&
		[ "$(series "$T/m" aipm_process_power_watts | head -1 | cut -d' ' -f1)" = "$busy" ]
}
poll_until "the busy process ranks first, by power and by CPU ratio" burn_first
n=$(series "$T/m" aipm_process_cpu_ratio | wc -l)
check "between 1 and 3 process series per family ($n)" [ "$n" -ge 1 -a "$n" -le 3 ]
check "power series are in descending order" descending "$T/m" aipm_process_power_watts
check "CPU ratio series are in descending order" descending "$T/m" aipm_process_cpu_ratio
grep_q "the family has its TYPE line" "^# TYPE aipm_process_power_watts gauge" "$T/m"
grep_q "the busy process is labelled with its comm" "^aipm_process_cpu_ratio{pid=\"$busy\",comm=\"burn\"} " "$T/m"
pkg=$(sed -n 's/^intel_power //p' "$T/m")
w=$(sed -n "s/^aipm_process_power_watts{pid=\"$busy\",comm=\"burn\"} //p" "$T/m")
r=$(sed -n "s/^aipm_process_cpu_ratio{pid=\"$busy\",comm=\"burn\"} //p" "$T/m")
check "its power is its CPU ratio x package power ($r x $pkg = $w)" \
	python3 -c "import sys; w,r,p=map(float,sys.argv[1:]); sys.exit(0 if abs(w-r*p)<=1e-9*max(1,p) else 1)" "${w:-0}" "${r:-1}" "${pkg:-0}"
check "no process is credited more than the package draws (${w:-?} W <= ${pkg:-?} W)" \
	python3 -c "import sys; w,p=map(float,sys.argv[1:]); sys.exit(0 if 0<w<=p*(1+1e-9) else 1)" "${w:-0}" "${pkg:-0}"
expect_rc 0 "it stops cleanly" serve_stop

# N bounds the count: three burners, N = 2. Any other busy process of this
# machine may take a slot; only the count is pinned.
burn_bg 20000; burn_bg 20000
check "aipm serve --processes 2 starts" serve_start "$T/serve2.err" --interval 0.3 --processes 2
exactly_two() { [ "$(series "$T/m" aipm_process_cpu_ratio | wc -l)" -eq 2 ] && [ "$(series "$T/m" aipm_process_power_watts | wc -l)" -eq 2 ]; }
poll_until "with three burners and --processes 2, exactly 2 series per family" exactly_two
check "and they are ranked" descending "$T/m" aipm_process_cpu_ratio
expect_rc 0 "it stops cleanly" serve_stop
for b in $BURNS; do kill "$b" 2>/dev/null; done; BURNS=""

# No RAPL: ranked by CPU share, the CPU ratio only, never a made-up watt.
# The burner's name needs escaping: a quote, a backslash, a byte that is
# not UTF-8.
mkdir -p "$T/empty"
odd=$(printf 'b"u\\rn\377')
burn_bg 20000 "$odd"; busy=$BURN_PID
AIPM_SYSFS_ROOT="$T/empty" serve_start "$T/norapl.err" --interval 0.3 --processes 3
check "serve --processes runs without RAPL" [ -n "$SERVE_PORT" ]
busy_ranked() { [ "$(series "$T/m" aipm_process_cpu_ratio | head -1 | cut -d' ' -f1)" = "$busy" ]; }
poll_until "without RAPL the busy process still ranks first by CPU ratio" busy_ranked
check "no aipm_process_power_watts at all without RAPL" sh -c "! grep -q 'aipm_process_power_watts' '$T/m'"
grep_q "its comm is escaped (quote, backslash, U+FFFD)" \
	"^aipm_process_cpu_ratio{pid=\"$busy\",comm=\"b\\\\\"u\\\\\\\\rn$(printf '\357\277\275')\"} " "$T/m"
check "no NaN in the exposition" sh -c "! grep -q NaN '$T/m'"
expect_rc 0 "it stops cleanly" serve_stop
finish
