#!/bin/sh
# Bad flags fail with a clear message and exit 2, and start nothing: the
# command would create a marker file if it ran.
. "$AIPM_TESTLIB"
export AIPM_SYSFS_ROOT="$T/none"
M="$T/marker"
bad() {
	desc=$1 want=$2
	shift 2
	rm -f "$M"
	"$AIPM" "$@" 2>"$T/err"
	rc=$?
	check "$desc: exit 2 (got $rc)" [ $rc = 2 ]
	grep_q "$desc: message names '$want'" "$want" "$T/err"
	check "$desc: nothing started" [ ! -e "$M" ]
}
bad "zero interval" "-i" run -i 0 -o "$T/r" -- touch "$M"
bad "negative interval" "-i" run -i -1 -o "$T/r" -- touch "$M"
bad "non-numeric interval" "abc" run -i abc -o "$T/r" -- touch "$M"
bad "interval with junk" "0.1s" run --interval 0.1s -o "$T/r" -- touch "$M"
bad "bad mem interval" "--mem-interval" run --mem-interval 0 -o "$T/r" -- touch "$M"
bad "unknown flag" "--bogus" run --bogus -o "$T/r" -- touch "$M"
bad "missing value" "-o" run -o
bad "no command" "no command" run -o "$T/r"
echo file >"$T/afile"
bad "DIR is a file" "$T/afile" run -o "$T/afile" -- touch "$M"
bad "DIR under a file" "$T/afile/sub" run -o "$T/afile/sub" -- touch "$M"
bad "unknown subcommand" "frobnicate" frobnicate
bad "attach without pid" "-p" attach -o "$T/r"
bad "attach to a dead pid" "999999" attach -p 999999 -o "$T/r"
bad "attach with a bad pid list" "12x" attach -p 12x -o "$T/r"
bad "probe with junk" "--nope" probe --nope

# An unwritable DIR, as an unprivileged user (root writes anywhere).
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/ro" && chmod 755 "$T" "$T/ro"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$AIPM" run -o "$T/ro/rec" -- true 2>"$T/err"
	check "unwritable DIR: exit 2" [ $? = 2 ]
	grep_q "unwritable DIR: message names the directory" "$T/ro/rec" "$T/err"
fi
finish
