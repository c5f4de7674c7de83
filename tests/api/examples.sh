# examples.sh: the C and Python train/validation/test examples run and leave
# a recording with the phases and metrics they promise.
. "$AIPM_TESTLIB"
: "${AIPM_EXAMPLE_C:?}" "${AIPM_LIB:?}"
make_rapl_tree make "$T/root" laptop
export AIPM_SYSFS_ROOT="$T/root"

# The examples' phases follow each other with nothing between them but a
# log line, so their CPU times add up to the recording's: what a phase
# holds is measured, whatever the interval (a validation phase lasts about
# 11 ms on a fast machine, shorter than the examples' 20 ms interval: its
# edges are then interpolated between samples, and the sum still holds).
# phases_cover DIR: each phase has a CPU time and an energy, and together
# they hold 80 to 100 % of the recording's CPU time.
phases_cover() {
	"$AIPM" report --by-phase --json "$1" >"$1.phases.json" && "$AIPM" report --json "$1" >"$1.sum.json" &&
		python3 - "$1.phases.json" "$1.sum.json" <<'PY'
import json, sys
ph = json.load(open(sys.argv[1]))["phases"]
total = json.load(open(sys.argv[2]))["cpu_time_s"]
if any(p["cpu_time_s"] is None or p["energy_j"] is None for p in ph):
    sys.exit("a phase without its CPU time or energy: %s" % ph)
got = sum(p["cpu_time_s"] for p in ph)
print("    phases: %.4f s of CPU, recording: %.4f s" % (got, total))
sys.exit(0 if 0.8 * total <= got <= total * 1.001 + 1e-6 else 1)
PY
}

expect_rc 0 "the C example runs" "$AIPM_EXAMPLE_C" "$T/c" 2 >"$T/c.out"
"$AIPM" report --by-phase --json "$T/c" >"$T/c.json"
check "C: train x2, validation x2, test x1" test \
	"$(json_get "$T/c.json" "[(p['name'], p['count']) for p in d['by_name']]")" = \
	"[('train', 2), ('validation', 2), ('test', 1)]"
check "C: the phases hold the example's CPU time" phases_cover "$T/c"
check "C: three logged points" test "$(python3 -c "import json; print(len(json.load(open('$T/c/results_exp.json'))))")" = 3
grep_q "C: the example prints its phases" '"by_name"' "$T/c.out"

if [ -n "${AIPM_SKIP_PYTHON:-}" ]; then
	ok "python example skipped: $AIPM_SKIP_PYTHON"
else
	# `pip install ./python` as the README says, with Debian's pip (no
	# network: the setup.py needs only the setuptools Debian ships), into a
	# folder of the test's, from a copy so the source tree stays clean
	# (with meson.build beside it: setup.py takes the version from there).
	pypath="$AIPM_SRC/python"
	if /usr/bin/python3 -m pip --version >/dev/null 2>&1; then
		mkdir "$T/src"
		cp -r "$AIPM_SRC/python" "$T/src/python"
		cp "$AIPM_SRC/meson.build" "$T/src/"
		rm -rf "$T/src/python/build" "$T/src/python"/*.egg-info
		expect_rc 0 "pip install ./python works offline" /usr/bin/python3 -m pip install -q \
			--disable-pip-version-check --no-index --target "$T/site" "$T/src/python"
		check "the installed package has meson's version" test \
			"$(ls -d "$T/site"/aipm-*.*-info 2>/dev/null | sed 's/.*aipm-\(.*\)\.[a-z]*-info$/\1/')" = \
			"${AIPM_VERSION:?}"
		pypath="$T/site"
		check "the installed module is the one imported" env PYTHONPATH="$pypath" /usr/bin/python3 -c \
			"import aipm, sys; sys.exit(0 if aipm.__file__.startswith('$T/site') else 1)"
	else
		echo "skip - pip install: /usr/bin/python3 has no pip (apt-get install python3-pip)"
	fi
	expect_rc 0 "the Python example runs" env PYTHONPATH="$pypath" /usr/bin/python3 \
		"$AIPM_SRC/examples/train_val_test.py" "$T/py" 2 >"$T/py.out"
	"$AIPM" report --by-phase --json "$T/py" >"$T/py.json"
	check "Python: train x2, validation x2, test x1" test \
		"$(json_get "$T/py.json" "[(p['name'], p['count']) for p in d['by_name']]")" = \
		"[('train', 2), ('validation', 2), ('test', 1)]"
	check "Python: the phases hold the example's CPU time" phases_cover "$T/py"
	check "Python: three logged points" test "$(python3 -c "import json; print(len(json.load(open('$T/py/results_exp.json'))))")" = 3
fi
finish
