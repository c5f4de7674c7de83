#!/bin/sh
# The CPU estimate through the real aipm binary (issue 16): without RAPL a
# recording has the estimate, its bounds and method, labelled, and no
# measured CPU energy key; the CLI says both facts plainly; --no-estimate
# turns it off; a readable (fake) RAPL tree means no estimate at all.
# AIPM_SYSFS_ROOT points at an empty tree so "no RAPL" holds on any
# machine, this one's cpuinfo gives the identity.
. "$AIPM_TESTLIB"
CHECK="$AIPM_SRC/tests/estimate/check_estimate.py"
mkdir -p "$T/empty"

AIPM_SYSFS_ROOT="$T/empty" "$AIPM" run -o "$T/r" -- "$AIPM_BURN" 300 2>"$T/err"
check "no RAPL: the command runs (exit 0)" [ $? = 0 ]
grep_q "no RAPL: still says CPU energy is not measured" "no CPU energy will be recorded" "$T/err"
grep_q "no RAPL: says an estimate is recorded instead" "estimating it instead (a model, not a measurement)" "$T/err"
grep_q "no RAPL: says where and how it is labelled" "Recorded apart as cpu_estimate, with low and high bounds" "$T/err"
check "no RAPL: every line has the estimate with its bounds and method, none of the measured keys" \
	python3 "$CHECK" "$T/r" --expect estimate
invariants "$T/r" >"$T/inv" 2>&1
check "no RAPL: the recording's invariants hold" [ $? = 0 ]
check "metadata.json names the method, the row, the identity and the tables' versions" python3 -c "
import json; m=json.load(open('$T/r/metadata.json'))
s=[x for x in m['sources'] if x['name']=='cpu_estimate'][0]
assert s['available'] and 'cpu_energy_estimate' in s['provides'], s
d=s['details']
assert d['method'] in ('tdp_table','microarch_table','provider_average','generic_average'), d
assert d['table'] and 'row' in d and d['text'] and d['formula'], d
assert d['identity']['ncpus'] >= 1 and 'hypervisor' in d['identity'], d['identity']
assert len(d['tables']) == 6 and all(t['version'] and t['licence'] for t in d['tables']), d['tables']
h=[x for x in m['segments'][-1]['sources'] if x['name']=='cpu_estimate'][0]
assert h['samples'] > 0 and h['failed'] == 0, h"
check "the burner's share of the estimate is visible (attributed > 0)" python3 -c "
import json
rows=[json.loads(l) for l in open('$T/r/power_metrics.json') if l.startswith('{')]
e=rows[-1]['metrics']['cpu_estimate']; assert e['attributed_j'] > 0 and e['energy_j'] > 0, e"

grep_q "the run's summary has the estimate's own section" "^estimate     CPU energy NOT measured" "$T/err"

# aipm report: its own section marked estimate, with the interval and the
# method; --json under its own object, the measured energy_j still empty.
"$AIPM" report "$T/r" >"$T/rep" 2>&1
grep_q "report: a section marked estimate" "^estimate     CPU energy NOT measured (no RAPL)" "$T/rep"
grep_q "report: the estimate with its interval" "^  cpu  *[0-9.]* J  \[[0-9.]*, [0-9.]*\] J$" "$T/rep"
grep_q "report: the experiment's share with its interval" "^  attributed  *[0-9.]* J  \[[0-9.]*, [0-9.]*\] J$" "$T/rep"
grep_q "report: the method" "^  method         [a-z_]* from [a-z_]*" "$T/rep"
grep_q "report: still says CPU energy was not measured" "no energy was measured" "$T/rep"
"$AIPM" report --json "$T/r" >"$T/rep.json"
check "report --json: an estimate object, labelled, equal to the recording's counters" python3 -c "
import json
d=json.load(open('$T/rep.json')); m=json.load(open('$T/r/metadata.json'))
rows=[json.loads(l) for l in open('$T/r/power_metrics.json') if l.startswith('{')]
last=rows[-1]['metrics']['cpu_estimate']
e=d['estimate']; src=[x for x in m['sources'] if x['name']=='cpu_estimate'][0]['details']
assert d['energy_j'] == {} and d['attributed_j'] == {}, (d['energy_j'], d['attributed_j'])
assert e['measured'] is False and e['method'] == src['method'] and e['table'] == src['table'], e
for k in ('energy_j','energy_low_j','energy_high_j','attributed_j','attributed_low_j','attributed_high_j'):
    assert abs(e[k] - last[k]) <= 1e-9 * max(1, last[k]), (k, e[k], last[k])
assert e['energy_low_j'] <= e['energy_j'] <= e['energy_high_j'], e
assert e['attributed_high_j'] <= e['energy_high_j'] and e['attributed_low_j'] <= e['energy_low_j'], e
assert d['unknown_fields'] == 0, d['unknown_fields']"

AIPM_SYSFS_ROOT="$T/empty" "$AIPM" run -q -o "$T/rq" -- true 2>"$T/errq"
grep_q "--quiet: the estimate is still said" "estimating it instead" "$T/errq"

AIPM_SYSFS_ROOT="$T/empty" "$AIPM" run --no-estimate -o "$T/off" -- "$AIPM_BURN" 100 2>"$T/erroff"
check "--no-estimate: the command runs" [ $? = 0 ]
check "--no-estimate: nothing said about an estimate" sh -c "! grep -q 'estimating' '$T/erroff'"
grep_q "--no-estimate: CPU energy still said missing" "no CPU energy will be recorded" "$T/erroff"
check "--no-estimate: no line has an estimate, none a measured key" python3 "$CHECK" "$T/off" --expect off
check "--no-estimate: metadata.json records why" python3 -c "
import json; m=json.load(open('$T/off/metadata.json'))
s=[x for x in m['sources'] if x['name']=='cpu_estimate'][0]
assert not s['available'] and '--no-estimate' in s['reason'], s"

python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" make "$T/rapl" server2
AIPM_SYSFS_ROOT="$T/rapl" "$AIPM" run -o "$T/m" -- "$AIPM_BURN" 100 2>"$T/errm"
check "fake RAPL: nothing said about an estimate" sh -c "! grep -q 'estimat' '$T/errm'"
check "fake RAPL: no line has an estimate" python3 "$CHECK" "$T/m" --expect measured
check "fake RAPL: metadata.json records the decision" python3 -c "
import json; m=json.load(open('$T/m/metadata.json'))
s=[x for x in m['sources'] if x['name']=='cpu_estimate'][0]
assert not s['available'] and 'CPU energy is measured here' in s['reason'], s"

AIPM_SYSFS_ROOT="$T/empty" "$AIPM" probe >"$T/probe"
grep_q "probe: the estimate is listed, available" "cpu_estimate *available" "$T/probe"
AIPM_SYSFS_ROOT="$T/rapl" "$AIPM" probe >"$T/probe2"
grep_q "probe with RAPL: the estimate unavailable" "cpu_estimate *UNAVAILABLE" "$T/probe2"

# aipm serve, when built: its own families, said on start, off with --no-estimate.
if "$AIPM" serve --help >/dev/null 2>&1; then
	. "$AIPM_SRC/tests/serve/serve_lib.sh"
	if AIPM_SYSFS_ROOT="$T/empty" serve_start "$T/serr" --interval 0.2; then
		sleep 1
		scrape "$SERVE_PORT" "$T/metrics"
		serve_stop
		grep_q "serve: says the estimate is served apart" "Served apart as aipm_cpu_estimated_" "$T/serr"
		grep_q "serve: estimated energy counter" "^aipm_cpu_estimated_energy_joules_total{method=" "$T/metrics"
		grep_q "serve: its low bound" "^aipm_cpu_estimated_energy_low_joules_total{method=" "$T/metrics"
		grep_q "serve: its high bound" "^aipm_cpu_estimated_power_high_watts{method=" "$T/metrics"
		grep_q "serve: the method and row" "^aipm_cpu_estimate_info{method=" "$T/metrics"
		check "serve: no RAPL family, no intel_power" sh -c "! grep -q -e '^aipm_rapl_' -e '^intel_power' '$T/metrics'"
	else
		not_ok "serve did not start"; cat "$T/serr"
	fi
	if AIPM_SYSFS_ROOT="$T/empty" serve_start "$T/serr2" --interval 0.2 --no-estimate; then
		sleep 0.5
		scrape "$SERVE_PORT" "$T/metrics2"
		serve_stop
		check "serve --no-estimate: no estimated family" sh -c "! grep -q 'aipm_cpu_estimat' '$T/metrics2'"
	else
		not_ok "serve --no-estimate did not start"; cat "$T/serr2"
	fi
else
	echo "skip - aipm serve not built"
fi
finish
