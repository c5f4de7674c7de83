# examples.sh: the C and Python train/validation/test examples run and leave
# a recording with the phases and metrics they promise.
. "$AIPM_TESTLIB"
: "${AIPM_EXAMPLE_C:?}" "${AIPM_LIB:?}"
make_rapl_tree make "$T/root" laptop
export AIPM_SYSFS_ROOT="$T/root"

expect_rc 0 "the C example runs" "$AIPM_EXAMPLE_C" "$T/c" 2 >"$T/c.out"
"$AIPM" report --by-phase --json "$T/c" >"$T/c.json"
check "C: train x2, validation x2, test x1" test \
	"$(json_get "$T/c.json" "[(p['name'], p['count']) for p in d['by_name']]")" = \
	"[('train', 2), ('validation', 2), ('test', 1)]"
check "C: every phase was sampled (CPU time measured)" test \
	"$(json_get "$T/c.json" "all(p['cpu_time_s'] is not None and p['energy_j'] is not None for p in d['phases'])")" = True
check "C: three logged points" test "$(python3 -c "import json; print(len(json.load(open('$T/c/results_exp.json'))))")" = 3
grep_q "C: the example prints its phases" '"by_name"' "$T/c.out"

if [ -n "${AIPM_SKIP_PYTHON:-}" ]; then
	ok "python example skipped: $AIPM_SKIP_PYTHON"
else
	# `pip install ./python` as the README says, with Debian's pip (no
	# network: the setup.py needs only the setuptools Debian ships), into a
	# folder of the test's, from a copy so the source tree stays clean.
	pypath="$AIPM_SRC/python"
	if /usr/bin/python3 -m pip --version >/dev/null 2>&1; then
		cp -r "$AIPM_SRC/python" "$T/pysrc"
		rm -rf "$T/pysrc/build" "$T/pysrc"/*.egg-info
		expect_rc 0 "pip install ./python works offline" /usr/bin/python3 -m pip install -q \
			--disable-pip-version-check --no-index --target "$T/site" "$T/pysrc"
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
	check "Python: every phase was sampled" test \
		"$(json_get "$T/py.json" "all(p['cpu_time_s'] is not None and p['energy_j'] is not None for p in d['phases'])")" = True
	check "Python: three logged points" test "$(python3 -c "import json; print(len(json.load(open('$T/py/results_exp.json'))))")" = 3
fi
finish
