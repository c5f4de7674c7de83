#!/bin/sh
# run_edges.sh (issue 12, item 7): a command that fails at exec keeps the
# previous recording (`aipm run -o keep -- /tmp` replaced it); a killed run
# leaves no control socket directory behind; a log request of more than
# 256 pairs is refused, not answered "ok" with 256 written; bytes that are
# not UTF-8 never make metadata.json or power_metrics.json invalid JSON.
. "$AIPM_TESTLIB"
make_rapl_tree make "$T/sys" laptop
export AIPM_SYSFS_ROOT="$T/sys"
TO="timeout -s KILL 30"
state() { (cd "$1" && ls -A && cat ./*) | md5sum; }

# Exec failures keep the recording.
$TO "$AIPM" run -q -o "$T/keep" -- sh -c "\"$AIPM\" mark p && \"$AIPM\" mark --end p && \"$AIPM\" log a=1"
before=$(state "$T/keep")
expect_rc 127 "-- /tmp (a directory): exit 127" $TO "$AIPM" run -o "$T/keep" -- /tmp 2>"$T/err"
check "-- /tmp: the recording is left as it was" [ "$(state "$T/keep")" = "$before" ]
printf '#!/nonexistent/interpreter\n' >"$T/badinterp"
chmod +x "$T/badinterp"
for flag in "" -a; do
	expect_rc 127 "exec fails after the checks ${flag:-(replace)}: exit 127" \
		$TO "$AIPM" run $flag -o "$T/keep" -- "$T/badinterp" 2>"$T/err"
	grep_q "exec fails ${flag:-(replace)}: the error is said" "cannot run" "$T/err"
	grep_q "exec fails ${flag:-(replace)}: keeping the recording is said" "left as it was" "$T/err"
	check "exec fails ${flag:-(replace)}: the recording is left as it was" [ "$(state "$T/keep")" = "$before" ]
done

# A killed run leaves nothing in TMPDIR (nor XDG_RUNTIME_DIR).
mkdir "$T/tmp"
env -u XDG_RUNTIME_DIR TMPDIR="$T/tmp" "$AIPM" run -q -o "$T/k" -- \
	sh -c "echo \"\$AIPM_CONTROL\" >'$T/ctl'; echo \$\$ >'$T/cmd.pid'; exec sleep 29" &
apid=$!
for i in $(seq 100); do [ -s "$T/cmd.pid" ] && break; sleep 0.1; done
kill -KILL $apid
wait $apid 2>/dev/null
kill "$(cat "$T/cmd.pid")" 2>/dev/null
check "a killed run leaves no control directory ($(ls "$T/tmp" | tr '\n' ' '))" [ -z "$(ls -A "$T/tmp")" ]
check "the control socket is abstract ($(cat "$T/ctl"))" grep -q '^@aipm-' "$T/ctl"

# The abstract socket has no file permissions: each end checks the other's
# user. As root: nobody may not mark root's run, and root's aipm mark will
# not talk to a socket nobody serves under a name it made up.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	AS_USER="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 755 "$T"
	$TO "$AIPM" run -q -o "$T/p" -- sh -c "$AS_USER \"$AIPM\" mark intruder 2>'$T/intruder'; echo \$? >'$T/intruder.rc'"
	check "another user's mark is refused (exit $(cat "$T/intruder.rc"))" [ "$(cat "$T/intruder.rc")" = 1 ]
	grep_q "another user's mark: said" "may not mark" "$T/intruder"
	check "another user's mark: no phases.json" [ ! -e "$T/p/phases.json" ]
	mkdir "$T/pub" && chmod 777 "$T/pub"
	$AS_USER /usr/bin/python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind('\0aipm-fake-$$'); s.listen(4)
open('$T/pub/ready', 'w').close(); time.sleep(5)" &
	fake=$!
	for i in $(seq 50); do [ -e "$T/pub/ready" ] && break; sleep 0.1; done
	check "a fake server of another user is up" [ -e "$T/pub/ready" ]
	AIPM_CONTROL="@aipm-fake-$$" expect_rc 1 "a socket served by another user is refused" "$AIPM" mark x 2>"$T/err"
	grep_q "a socket served by another user: said" "served by a process of uid 65534" "$T/err"
	kill $fake 2>/dev/null
fi

# More than 256 pairs in one raw request: refused, nothing written.
$TO "$AIPM" run -q -o "$T/log" -- python3 - "$T/replies" <<'PY'
import os, socket, sys
name = os.environ["AIPM_CONTROL"]
addr = "\0" + name[1:] if name.startswith("@") else name
def req(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(addr)
    s.send(b"\0".join([b"log"] + [x for i in range(n) for x in (b"m%d" % i, b"1")]))
    r = s.recv(2000)
    s.close()
    return r.split(b"\0")[0].decode()
open(sys.argv[1], "w").write("%s %s\n" % (req(300), req(256)))
PY
check "300 pairs refused, 256 accepted ($(cat "$T/replies"))" [ "$(cat "$T/replies")" = "error ok" ]
check "one results_exp.json record, of 256 metrics" python3 -c "
import json; l=json.load(open('$T/log/results_exp.json'))
assert len(l)==1 and len(l[0])==257"

# Bytes that are not UTF-8: a zone name, the command, its arguments, the
# description. Both files must load as strict UTF-8 JSON, with U+FFFD.
bad=$(printf 'x\377\376y')
printf 'psys%s\n' "$bad" >"$T/sys/class/powercap/intel-rapl:1/name"
cp /bin/true "$T/true$bad"
$TO "$AIPM" run -q -d "run $bad" -o "$T/u8" -- "$T/true$bad" "arg$bad"
check "not UTF-8: metadata.json is valid JSON, with U+FFFD" python3 -c "
import json; d=json.load(open('$T/u8/metadata.json', encoding='utf-8', errors='strict'))
assert '\ufffd' in d['description'] and '\ufffd' in d['command'][0] and '\ufffd' in d['command'][1]"
check "not UTF-8: every power_metrics.json line is valid JSON, with U+FFFD" python3 -c "
import json; l=[json.loads(x) for x in open('$T/u8/power_metrics.json', encoding='utf-8', errors='strict')]
assert any(k.startswith('psys') and '\ufffd' in k for k in l[-2]['metrics']['cpu']['per_zone_energy'])"
expect_rc 2 "not UTF-8: a phase name is refused" "$AIPM" mark "p$bad" 2>"$T/err"
grep_q "not UTF-8: said" "not UTF-8" "$T/err"
finish
