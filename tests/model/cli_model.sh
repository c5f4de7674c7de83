#!/bin/sh
# cli_model.sh: `aipm model` on committed ONNX fixtures (tests/fixtures/onnx,
# made by scripts/make_onnx_fixtures.py; no torch needed here). Pins the
# reference counts of REFERENCE §5.5, every hand-built operator case in
# expected.txt, and a clear error for each kind of bad input.
. "$AIPM_TESTLIB"
FX="$AIPM_SRC/tests/fixtures/onnx"

# model FIXTURE JSONKEY-EXPR: print one value of `aipm model --json`
jv() { json_get "$T/$1.json" "$2"; }
run_json() { "$AIPM" model "$FX/$1.onnx" --json >"$T/$1.json" 2>"$T/$1.err"; }

# ResNet-18 and ResNet-50 as exported by torch (BN kept, Identity aliases)
check "resnet18 exports parse" run_json resnet18
check "resnet18 params == torchvision's 11,689,512" [ "$(jv resnet18 "d['params_total']")" = 11689512 ]
check "resnet18 trainable == total (no integer tensors)" [ "$(jv resnet18 "d['params_trainable']")" = 11689512 ]
check "resnet18 MACs within 1% of 1.814 G" near "$(jv resnet18 "d['macs']")" 1.814e9 0.01
check "resnet18 has no unsized ops" [ "$(jv resnet18 "len(d['unsized_ops'])")" = 0 ]
check "resnet18 by_op Conv has 20 nodes" [ "$(jv resnet18 "d['by_op']['Conv']['nodes']")" = 20 ]
check "resnet18 by_op MACs add up to the total" \
	[ "$(jv resnet18 "sum(o['macs'] for o in d['by_op'].values()) == d['macs']")" = True ]
check "resnet18 BN running stats are buffers (9,600 elements)" [ "$(jv resnet18 "d['params_buffers']")" = 9600 ]
check "resnet18 input shape reported" [ "$(jv resnet18 "d['inputs'][0]['shape']")" = "[1, 3, 224, 224]" ]
check "resnet18 output shape propagated" [ "$(jv resnet18 "d['outputs'][0]['shape']")" = "[1, 1000]" ]
check "resnet50 exports parse" run_json resnet50
check "resnet50 params == torchvision's 25,557,032" [ "$(jv resnet50 "d['params_total']")" = 25557032 ]
check "resnet50 MACs within 1% of 4.089 G" near "$(jv resnet50 "d['macs']")" 4.089e9 0.01

# small.onnx, counted by hand in scripts/make_onnx_fixtures.py: 770 params, 7552 MACs
check "small model parses" run_json small
check "small model params == 770 by hand" [ "$(jv small "d['params_total']")" = 770 ]
check "small model MACs == 7552 by hand" [ "$(jv small "d['macs']")" = 7552 ]
check "small model Gemm MACs == 640" [ "$(jv small "d['by_op']['Gemm']['macs']")" = 640 ]

# a larger batch scales MACs but not parameters
check "resnet18 --input-shape batch 2" sh -c '"$AIPM" model "$1" --input-shape input=2x3x224x224 --json >"$2"' _ "$FX/resnet18.onnx" "$T/r18b2.json"
check "batch 2 doubles MACs" [ "$(json_get "$T/r18b2.json" "d['macs']")" = "$(( $(jv resnet18 "d['macs']") * 2 ))" ]

# one hand-built graph per operator: params, MACs and output shape
while read -r name params macs shape; do
	case $name in '#'*|'') continue ;; esac
	if ! run_json "op_$name"; then not_ok "op_$name parses"; sed 's/^/    | /' "$T/op_$name.err"; continue; fi
	# one python per fixture: params, MACs, output shape, unsized count
	set -- $(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
o = d["outputs"][0]["shape"] if d["outputs"] else None
print(d["params_total"], d["macs"], "x".join(map(str, o)) if o else "-", len(d["unsized_ops"]))' "$T/op_$name.json")
	check "op_$name params == $params" [ "$1" = "$params" ]
	check "op_$name MACs == $macs" [ "$2" = "$macs" ]
	if [ "$shape" != - ]; then
		check "op_$name output shape $shape" [ "$3" = "$shape" ]
		check "op_$name: every node sized" [ "$4" = 0 ]
	fi
done <"$FX/expected.txt"
check "LSTM listed as unsized, not zero" [ "$(jv op_unsized_lstm "d['unsized_ops'][0]['op_type']")" = LSTM ]
check "reshape's int64 shape tensor is a constant, not a parameter" [ "$(jv op_reshape_matmul "d['int_constants']")" = 3 ]
check "trainable == total" [ "$(jv op_reshape_matmul "d['params_trainable']")" = 35 ]
check "no overflow flagged on a sane model" [ "$(jv op_reshape_matmul "d['macs_overflow']")" = False ]
check "BN mean/var counted as buffers" [ "$(jv op_identity_alias_bn "d['params_buffers']")" = 8 ]

# the text table
"$AIPM" model "$FX/resnet18.onnx" >"$T/r18.txt" 2>&1
grep_q "text shows grouped params" "11,689,512" "$T/r18.txt"
grep_q "text has a Conv row" "^Conv " "$T/r18.txt"
"$AIPM" model "$FX/op_unsized_lstm.onnx" >"$T/lstm.txt" 2>&1
grep_q "text lists unsized nodes" "unsized: 1 node" "$T/lstm.txt"

# bad input: clear one-line errors, nonzero exit, never a crash
bad() { # bad RC DESCRIPTION PATTERN ARGS...
	rc=$1 d=$2 pat=$3; shift 3
	timeout 20 "$AIPM" model "$@" >"$T/out" 2>"$T/err" # a hang (a FIFO opened for reading) exits 124
	got=$?
	if [ "$got" = "$rc" ]; then ok "$d: exit $rc"; else not_ok "$d: exit $got, want $rc"; sed 's/^/    | /' "$T/err"; fi
	grep_q "$d: message" "$pat" "$T/err"
}
printf 'hello, this is not a model\n' >"$T/garbage.onnx"
bad 1 "garbage file" "garbage.onnx.*not .*\(ONNX\|protobuf\)" "$T/garbage.onnx"
head -c 10000 "$FX/resnet18.onnx" >"$T/trunc.onnx"
bad 1 "truncated file" "trunc.onnx.*truncated" "$T/trunc.onnx"
bad 1 "missing file" "nope.onnx: cannot open" "$T/nope.onnx"
: >"$T/empty.onnx"
bad 1 "empty file" "empty" "$T/empty.onnx"
bad 1 "cycle" "cycle" "$FX/bad_cycle.onnx"
bad 1 "absurd dims" "absurd" "$FX/bad_dims.onnx"
bad 2 "symbolic dim without --input-shape" "input 'x' has a symbolic dimension 'batch'.*--input-shape x=" "$FX/symbolic.onnx"
bad 2 "malformed --input-shape" "--input-shape 'x=1xabc'" "$FX/symbolic.onnx" --input-shape x=1xabc
bad 2 "--input-shape without =" "NAME=DIMS" "$FX/symbolic.onnx" --input-shape 1x3
bad 2 "--input-shape of an unknown input" "'y', which is not an input" "$FX/symbolic.onnx" --input-shape y=1x2x8
bad 2 "--input-shape of the wrong rank" "has 2 dimensions but input 'x' has 3" "$FX/symbolic.onnx" --input-shape x=1x8
bad 2 "no file" "no ONNX file" 
bad 2 "unknown flag" "--bogus is not an option" "$FX/small.onnx" --bogus
# a FIFO (or any non-regular file) is refused at once, never opened for a read that waits for a writer
mkfifo "$T/fifo.onnx"
bad 2 "FIFO" "fifo.onnx: not a regular file (a FIFO)" "$T/fifo.onnx"
bad 2 "directory" "not a regular file (a directory)" "$T"
check "symbolic dims resolved by --input-shape" sh -c '"$AIPM" model "$1" --input-shape x=2x5x8 --json >"$2"' _ "$FX/symbolic.onnx" "$T/sym.json"
check "symbolic MACs == 2*5*4*8" [ "$(json_get "$T/sym.json" "d['macs']")" = 320 ]

# A saturated count (macs_overflow) is a bound: the report gives no MACs for it.
cp -r "$AIPM_SRC/tests/fixtures/recordings/aipm-basic" "$T/sat"
printf '{"params_total": 10, "macs": 18446744073709551615, "macs_overflow": true}\n' >"$T/sat/model_summary.json"
"$AIPM" report --json "$T/sat" >"$T/sat.json" 2>/dev/null
check "a saturated MAC count is not reported as the model's MACs" \
	[ "$(json_get "$T/sat.json" "(d['model']['params_total'], d['model'].get('macs'))")" = "(10, None)" ]
finish
