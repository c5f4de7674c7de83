#!/bin/sh
# The one argument grammar (src/cli/args.h), subcommand by subcommand:
# --opt=VALUE and -oVALUE mean what --opt VALUE means, `--` and the
# command's first word end run's options, and every usage error is one
# house-style line on stderr naming the subcommand and the flag, exit 2.
# Last, every --name a --help shows is one its parser takes.
. "$AIPM_TESTLIB"
export AIPM_SYSFS_ROOT="$T/none"
unset AIPM_CONTROL
REC="$AIPM_SRC/tests/fixtures/recordings/aipm-basic"
FX="$AIPM_SRC/tests/fixtures/onnx"
M="$T/marker"

# usage_err DESC LINE ARGS...: exit 2, stderr is exactly LINE, and the
# command (which would touch $M) never ran.
usage_err() {
	d=$1 want=$2
	shift 2
	rm -f "$M"
	"$AIPM" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	check "$d: exit 2 (got $rc)" [ "$rc" = 2 ]
	printf '%s\n' "$want" >"$T/want"
	if cmp -s "$T/want" "$T/err"; then ok "$d: the message"; else
		not_ok "$d: the message"
		echo "    want: $want"
		sed 's/^/    got:  /' "$T/err"
	fi
	check "$d: nothing ran" [ ! -e "$M" ]
}
# same DESC FILE FILE: identical outputs
same() { if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; diff "$2" "$3" | head -5 | sed 's/^/    | /'; fi; }
meta() { json_get "$1/metadata.json" "$2"; }

# --- aipm (top level) ---
check "aipm --version" sh -c '"$AIPM" --version | grep -q "^aipm "'
check "aipm -V" sh -c '"$AIPM" -V | grep -q "^aipm "'
check "aipm -- probe: -- ends aipm's own options" sh -c '"$AIPM" -- probe --json >/dev/null'
usage_err "aipm: unknown option" 'aipm: --bogus is not an option. See `aipm --help`' --bogus
usage_err "aipm: a prefix is refused" \
	'aipm: --vers is not an option (long options are written in full: did you mean --version?). See `aipm --help`' --vers
usage_err "aipm: value to a flag" "aipm: --version takes no value (got '1'). See \`aipm --help\`" --version=1

# --- run ---
"$AIPM" run --output="$T/r1" --interval=0.05 -q true 2>"$T/err"
check "run --output=DIR --interval=S: exit 0" [ $? = 0 ]
check "run --output=DIR: recorded there" [ -s "$T/r1/power_metrics.json" ]
check "run --interval=S: the interval" [ "$(meta "$T/r1" "d['interval_s']")" = 0.05 ]
"$AIPM" run -o"$T/r2" -i0.02 -ddesc -q true 2>"$T/err"
check "run -oDIR -iS -dTEXT: exit 0" [ $? = 0 ]
check "run -oDIR: recorded there" [ -s "$T/r2/power_metrics.json" ]
check "run -iS: the interval" [ "$(meta "$T/r2" "d['interval_s']")" = 0.02 ]
check "run -dTEXT: the description" [ "$(meta "$T/r2" "d['description']")" = desc ]
"$AIPM" run -qo "$T/r3" true 2>"$T/err"
check "run -qo DIR (a cluster ending in a valued flag): exit 0" [ $? = 0 ]
check "run -qo DIR: recorded there" [ -s "$T/r3/power_metrics.json" ]
"$AIPM" run -q -o "$T/r4" -i 0.05 sh -c 'echo "$@"' x -i 3 -o y >"$T/out" 2>"$T/err"
check "run: options end at the command's first word" [ "$(cat "$T/out")" = "-i 3 -o y" ]
check "run: the command's -i is not aipm's" [ "$(meta "$T/r4" "d['interval_s']")" = 0.05 ]
"$AIPM" run -q -o "$T/r5" -- sh -c 'echo "$@"' x --output=z -q >"$T/out" 2>"$T/err"
check "run -- CMD: what follows -- is the command's" [ "$(cat "$T/out")" = "--output=z -q" ]
usage_err "run: unknown option" 'aipm: run: --bogus is not an option. See `aipm run --help`' \
	run --bogus -o "$T/e" -- touch "$M"
usage_err "run: a prefix is refused" \
	'aipm: run: --out is not an option (long options are written in full: did you mean --output?). See `aipm run --help`' \
	run --out "$T/e" touch "$M"
usage_err "run: an ambiguous prefix names each" \
	'aipm: run: --gpu is not an option (long options are written in full: did you mean --gpu-all-processes?). See `aipm run --help`' \
	run --gpu touch "$M"
usage_err "run: missing value" 'aipm: run: -o needs a value (a directory). See `aipm run --help`' run -o
usage_err "run: missing value, long" 'aipm: run: --interval needs a value (seconds). See `aipm run --help`' \
	run --interval
usage_err "run: empty value" \
	'aipm: run: --output needs a value (a directory), not an empty one. See `aipm run --help`' \
	run --output= touch "$M"
usage_err "run: value to a flag" "aipm: run: --quiet takes no value (got '1'). See \`aipm run --help\`" \
	run --quiet=1 -o "$T/e" touch "$M"
usage_err "run: unknown short flag in a cluster" 'aipm: run: -z is not an option. See `aipm run --help`' \
	run -qz -o "$T/e" touch "$M"

# --- attach ---
sleep 30 &
SLEEPER=$!
"$AIPM" attach --pid="$SLEEPER" --duration=0.3 --output="$T/a1" -q 2>"$T/err"
check "attach --pid=PID --duration=S --output=DIR: exit 0" [ $? = 0 ]
check "attach --output=DIR: recorded there" [ -s "$T/a1/power_metrics.json" ]
"$AIPM" attach -p"$SLEEPER" -i0.05 -o"$T/a2" --duration 0.3 -q 2>"$T/err"
check "attach -pPID -iS -oDIR: exit 0" [ $? = 0 ]
check "attach -iS: the interval" [ "$(meta "$T/a2" "d['interval_s']")" = 0.05 ]
kill "$SLEEPER"
wait "$SLEEPER" 2>/dev/null
usage_err "attach: missing value" 'aipm: attach: --duration needs a value (seconds). See `aipm attach --help`' \
	attach -p 1 --duration
usage_err "attach: unexpected argument" "aipm: attach: 'extra' is not expected here. See \`aipm attach --help\`" \
	attach -p 1 extra
usage_err "attach: run's --model is not attach's" 'aipm: attach: --model is not an option. See `aipm attach --help`' \
	attach -p 1 --model x.onnx

# --- report ---
"$AIPM" report --json --from 1 --to 12 "$REC" >"$T/w0.json" 2>"$T/err"
"$AIPM" report "$REC" --json --from=1 --to=12 >"$T/w1.json" 2>"$T/err"
check "report DIR --from=T --to=T (options after DIR): exit 0" [ $? = 0 ]
same "report --from=T --to=T is --from T --to T" "$T/w0.json" "$T/w1.json"
"$AIPM" report -f1 -t12 --json -- "$REC" >"$T/w2.json" 2>"$T/err"
same "report -fT -tT -- DIR is --from T --to T DIR" "$T/w0.json" "$T/w2.json"
usage_err "report: value to a flag" "aipm: report: --json takes no value (got '1'). See \`aipm report --help\`" \
	report --json=1 "$REC"
usage_err "report: unknown option" 'aipm: report: --jsn is not an option. See `aipm report --help`' \
	report --jsn "$REC"
usage_err "report: missing value" 'aipm: report: --pue needs a value (a number >= 1). See `aipm report --help`' \
	report "$REC" --pue
usage_err "report: a window with --by-phase is refused, not dropped" \
	"aipm: report: --from, --to, --carbon-intensity and --pue apply to the summary, not to --by-phase (each phase and logged point is its own window). Drop them, or ask for the summary in a second \`aipm report\`" \
	report --by-phase --from 1 "$REC"

# --- probe ---
check "probe --json: exit 0" sh -c '"$AIPM" probe --json >"$1"' _ "$T/p.json"
n=$(json_get "$T/p.json" "len(d['sources'])")
check "probe --json: JSON with its sources" [ "${n:-0}" -gt 0 ]
usage_err "probe: value to a flag" "aipm: probe: --json takes no value (got 'yes'). See \`aipm probe --help\`" \
	probe --json=yes
usage_err "probe: unexpected argument" "aipm: probe: 'extra' is not expected here. See \`aipm probe --help\`" \
	probe extra

# --- export ---
"$AIPM" export --csv "$REC" -o "$T/x0.csv" 2>"$T/err"
"$AIPM" export --csv --output="$T/x1.csv" "$REC" 2>"$T/err"
check "export --output=FILE: exit 0" [ $? = 0 ]
same "export --output=FILE is -o FILE" "$T/x0.csv" "$T/x1.csv"
"$AIPM" export --csv -o"$T/x2.csv" "$REC" 2>"$T/err"
same "export -oFILE is -o FILE" "$T/x0.csv" "$T/x2.csv"
usage_err "export: value to a flag" "aipm: export: --csv takes no value (got '1'). See \`aipm export --help\`" \
	export --csv=1 "$REC"
usage_err "export: missing value" \
	'aipm: export: -o needs a value (a file name, or - for standard output). See `aipm export --help`' \
	export --csv "$REC" -o

# --- plot ---
"$AIPM" plot "$REC" --metric=intel_power --output="$T/p1.svg" 2>"$T/err"
check "plot --metric=M --output=FILE: exit 0" [ $? = 0 ]
"$AIPM" plot "$REC" -mintel_power -o"$T/p2.svg" 2>"$T/err"
check "plot -mM -oFILE: exit 0" [ $? = 0 ]
same "plot -mM -oFILE is --metric=M --output=FILE" "$T/p1.svg" "$T/p2.svg"
usage_err "plot: missing value" 'aipm: plot: -m needs a value (a list of metrics). See `aipm plot --help`' \
	plot "$REC" -o "$T/p3.svg" -m
usage_err "plot: unknown option" 'aipm: plot: --metrics is not an option. See `aipm plot --help`' \
	plot "$REC" --metrics intel_power

# --- model ---
"$AIPM" model "$FX/symbolic.onnx" --input-shape x=2x5x8 --json >"$T/m0.json" 2>"$T/err"
"$AIPM" model --input-shape=x=2x5x8 --json "$FX/symbolic.onnx" >"$T/m1.json" 2>"$T/err"
check "model --input-shape=NAME=DIMS: exit 0" [ $? = 0 ]
same "model --input-shape=NAME=DIMS is --input-shape NAME=DIMS" "$T/m0.json" "$T/m1.json"
usage_err "model: value to a flag" "aipm: model: --json takes no value (got '1'). See \`aipm model --help\`" \
	model --json=1 "$FX/small.onnx"
usage_err "model: missing value" \
	'aipm: model: --input-shape needs a value (NAME=DIMS, e.g. --input-shape input=1x3x224x224). See `aipm model --help`' \
	model "$FX/small.onnx" --input-shape

# --- serve (its value errors come before anything is opened) ---
if "$AIPM" serve --help >/dev/null 2>&1; then
	usage_err "serve: --interval=S is parsed" \
		"aipm: --interval: '0s' is not a positive number of seconds. Give e.g. --interval 0.5" serve --interval=0s
	usage_err "serve: -iS is parsed" "aipm: -i: 'x' is not a positive number of seconds. Give e.g. -i 0.5" \
		serve -ix
	usage_err "serve: -lADDR is parsed" \
		"aipm: serve: --listen 'nowhere' is not ADDR:PORT. Give a numeric address and a port, e.g. 127.0.0.1:9464 or [::1]:9464" \
		serve -lnowhere
	usage_err "serve: --processes=N is parsed" \
		"aipm: serve: --processes '0' is not a number of processes. Give a whole number from 1 to 1000, e.g. --processes 10" \
		serve --processes=0
	usage_err "serve: value to a flag" "aipm: serve: --slurm takes no value (got '1'). See \`aipm serve --help\`" \
		serve --slurm=1
	usage_err "serve: missing value" 'aipm: serve: -l needs a value (ADDR:PORT). See `aipm serve --help`' serve -l
	usage_err "serve: unexpected argument" "aipm: serve: '9464' is not expected here. See \`aipm serve --help\`" \
		serve 9464
fi

# --- mark and log (inside a run: AIPM_CONTROL is set for the command) ---
"$AIPM" run -q -o "$T/ml" -- sh -c '"$AIPM" mark -- train && "$AIPM" mark -e train &&
	"$AIPM" mark --end=x 2>"$1/mark.err"; [ $? = 2 ] && "$AIPM" log epoch=1 -- acc=0.5' _ "$T" 2>"$T/err"
check "mark -- NAME, mark -e NAME, log K=V -- K=V: exit 0" [ $? = 0 ]
grep_q "mark --end=x: --end takes no value" "aipm: mark: --end takes no value (got 'x')" "$T/mark.err"
check "mark: phases.json holds train" grep -q '"train"' "$T/ml/phases.json"
check "log: results_exp.json holds both metrics" sh -c 'grep -q epoch "$1" && grep -q acc "$1"' _ "$T/ml/results_exp.json"
usage_err "mark: unknown option" 'aipm: mark: --begin is not an option. See `aipm mark --help`' mark --begin x
usage_err "log: unknown option" 'aipm: log: --epoch is not an option. See `aipm log --help`' log --epoch=1

# --- every --name a --help shows is parsed: none is "not an option" ---
for cmd in "" run attach report probe export plot serve model mark log; do
	# shellcheck disable=SC2086 # $cmd is one word or none
	"$AIPM" $cmd --help >"$T/help.all" 2>&1 || continue
	# aipm's own list of commands cites theirs: its options follow "options:"
	if [ -z "$cmd" ]; then sed -n '/^options:/,$p' "$T/help.all"; else cat "$T/help.all"; fi >"$T/help"
	# backquoted spans cite other commands (`aipm report --by-phase DIR`)
	names=$(sed 's/`[^`]*`//g' "$T/help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
	check "${cmd:-aipm} --help lists options" [ -n "$names" ]
	bad=""
	for n in $names; do
		case $n in --help | --version) continue ;; esac # they answer at once
		# a valued option takes --zz-a as its value, then --zz-b stops the parse
		# shellcheck disable=SC2086
		"$AIPM" $cmd "$n" --zz-a --zz-b >/dev/null 2>"$T/err"
		rc=$?
		if [ $rc != 2 ] || grep -q -- "$n is not an option\|$n takes no value" "$T/err"; then bad="$bad $n"; fi
	done
	check "${cmd:-aipm}: every option --help shows is parsed (refused:$bad)" [ -z "$bad" ]
done
finish
