#!/bin/sh
# dist.sh: the files aipm ships for a machine (dist/): the systemd unit of
# aipm serve, the sysusers.d file of its user, the udev rule for RAPL.
# Each is parsed by the tool that will read it when the tool is here (else
# skipped with the reason), checked against the others (the user the unit
# drops to is the one sysusers makes, whose group the rule names), made to
# do what it says on a fake powercap tree, and found quoted as it is in the
# README.
. "$AIPM_TESTLIB"
: "${AIPM_DIST_UNIT:?}" "${AIPM_SRC:?}"
dist="$AIPM_SRC/dist"
rule="$dist/60-aipm-rapl.rules"
users="$dist/aipm.sysusers.conf"
# The privilege drop makes serve non-dumpable: LeakSanitizer cannot run.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

# --- the unit ---------------------------------------------------------------
# verify checks that ExecStart's program exists: point it at the build's.
sed "s|^ExecStart=[^ ]*/aipm |ExecStart=$AIPM |" "$AIPM_DIST_UNIT" >"$T/aipm-serve.service"
grep_q "the unit runs aipm serve --user aipm" "^ExecStart=$AIPM serve --user aipm" "$T/aipm-serve.service"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify --man=no "$T/aipm-serve.service" >"$T/verify.out" 2>&1
	rc=$?
	check "systemd-analyze verify accepts the unit (exit $rc)" [ "$rc" = 0 ]
	# verify only warns about an unknown key or a bad value: none allowed
	check "and says nothing about it" sh -c "! grep -q 'aipm-serve' '$T/verify.out'"
	sed 's/^/    | /' "$T/verify.out" | head -20
	if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
		score=$(systemd-analyze security --offline=yes "$T/aipm-serve.service" 2>/dev/null |
			sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
		echo "# systemd-analyze security: exposure ${score:-?} (0 safest, 10 unsafe)"
	fi
else
	echo "skip - systemd-analyze verify: systemd-analyze is not installed (apt-get install systemd)"
fi
bound=$(sed -n 's/^CapabilityBoundingSet=//p' "$T/aipm-serve.service")
check "root keeps only the capabilities of the drop ($bound)" [ "$bound" = "CAP_SETUID CAP_SETGID" ]
for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes; do
	grep_q "sandboxed: $k" "^$k\$" "$T/aipm-serve.service"
done
check "no User= (serve starts as root and drops itself)" sh -c "! grep -q '^User=\\|^DynamicUser=' '$T/aipm-serve.service'"

# --- the user, and the three files agree -------------------------------------
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$T/sysroot/etc"
	systemd-sysusers --dry-run --root="$T/sysroot" "$users" >"$T/sysusers.out" 2>&1
	check "systemd-sysusers accepts aipm.sysusers.conf (exit $?)" [ $? = 0 ]
	grep_q "and would create the user aipm" "Creating user 'aipm'" "$T/sysusers.out"
else
	echo "skip - systemd-sysusers: not installed (apt-get install systemd)"
fi
check "sysusers makes the user the unit drops to" grep -q '^u aipm ' "$users"
check "the rule gives the counters to that user's group" grep -q 'RUN+="/bin/chgrp aipm /sys%p/energy_uj"' "$rule"

# --- the udev rule ------------------------------------------------------------
if udevadm verify --help >/dev/null 2>&1; then
	expect_rc 0 "udevadm verify accepts the rule" udevadm verify "$rule"
else
	echo "skip - udevadm verify: this udevadm has none (systemd 254 added it); the syntax is checked below"
fi
check "the rule parses as udev rules do" python3 - "$rule" <<'PY'
import os, re, sys
match = {"ACTION", "SUBSYSTEM", "KERNEL", "TEST", "ATTR", "DRIVER", "DEVPATH"}
assign = {"RUN", "MODE", "GROUP", "OWNER"}
rules = 0
for no, line in enumerate(open(sys.argv[1]), 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    rules += 1
    for item in re.split(r',\s*(?=[A-Z])', line):
        m = re.fullmatch(r'([A-Z]+)(\{[^}]*\})?(==|!=|\+=|:=|=)"([^"]*)"', item)
        if not m:
            sys.exit("line %d: cannot parse %r" % (no, item))
        key, op, value = m.group(1), m.group(3), m.group(4)
        if key in match and op not in ("==", "!="):
            sys.exit("line %d: %s is a match key: %s is not a comparison" % (no, key, op))
        if key in assign and op in ("==", "!="):
            sys.exit("line %d: %s is an assignment key, not a match" % (no, key))
        if key not in match | assign:
            sys.exit("line %d: unknown key %s" % (no, key))
        if key == "RUN" and not os.access(value.split()[0], os.X_OK):
            sys.exit("line %d: %s is not an executable on this machine" % (no, value.split()[0]))
sys.exit(0 if rules else "no rule")
PY
# What it does, on a fake tree whose counters are as Linux 5.10 leaves them
# (0400, root's): each RUN of the rule, for each zone with a counter, /sys
# standing for the tree. The group aipm does not exist on a test machine;
# nogroup stands for it.
if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	make_rapl_tree make "$T/sys" laptop
	find "$T/sys" -name energy_uj -exec chmod 0400 {} +
	runs=$(sed -n 's/.*SUBSYSTEM=="powercap".*TEST=="energy_uj", *//p' "$rule" | tr ',' '\n' |
		sed -n 's/^ *RUN+="\(.*\)"$/\1/p' | sed 's/ aipm / nogroup /')
	for z in "$T"/sys/class/powercap/*; do
		[ -e "$z/energy_uj" ] || continue
		p=${z#"$T/sys"}
		echo "$runs" | while read -r cmd; do
			eval "$(echo "$cmd" | sed "s|/sys%p|$T/sys$p|g")"
		done
	done
	check "the zones' counters are the group's to read" sh -c \
		"stat -c '%A %G' '$T'/sys/class/powercap/intel-rapl:0/energy_uj | grep -q '^-r--r----- nogroup$'"
	AIPM_SYSFS_ROOT="$T/sys" setpriv --reuid=nobody --regid=nogroup --clear-groups "$AIPM" probe --json >"$T/in.json"
	check "a member of the group reads RAPL" json_get "$T/in.json" \
		"[s for s in d['sources'] if s['name'] == 'rapl'][0]['available'] or exit(1)"
	AIPM_SYSFS_ROOT="$T/sys" setpriv --reuid=nobody --regid=daemon --clear-groups "$AIPM" probe --json >"$T/out.json"
	check "anyone else still cannot" json_get "$T/out.json" \
		"not [s for s in d['sources'] if s['name'] == 'rapl'][0]['available'] or exit(1)"

	# And the unit's way, without the rule: as root holding only the
	# unit's capabilities, serve reads counters that only root may read
	# (0400), then drops to the user and keeps reading them.
	make_rapl_tree make "$T/sys2" laptop
	find "$T/sys2" -name energy_uj -exec chmod 0400 {} +
	caps=$(echo "$bound" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
	AIPM_SYSFS_ROOT="$T/sys2" setpriv --bounding-set=-all,"$caps" --inh-caps=-all --no-new-privs \
		"$AIPM" serve --user nobody --listen 127.0.0.1:0 --interval 0.1 2>"$T/serve.err" &
	spid=$!
	port=""
	i=0
	while [ -z "$port" ] && [ $i -lt 100 ] && kill -0 $spid 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
		port=$(sed -n 's|^aipm: serving http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$T/serve.err")
	done
	check "serve starts with the unit's capabilities only" [ -n "$port" ]
	check "and runs as the user it dropped to" sh -c \
		"awk '/^Uid:/ {print \$2}' /proc/$spid/status | grep -qx \"\$(id -u nobody)\""
	python3 "$AIPM_SRC/tests/fixtures/mkrapl.py" advance "$T/sys2" intel-rapl:0=40 --seconds 0.5 --step-ms 20
	sleep 0.4
	python3 -c "import urllib.request,sys; sys.stdout.buffer.write(urllib.request.urlopen('http://127.0.0.1:%s/metrics' % sys.argv[1], timeout=5).read())" "${port:-1}" >"$T/m" 2>/dev/null
	grep_q "root-only counters are read after the drop" 'aipm_source_up{source="rapl"} 1' "$T/m"
	e=$(sed -n 's/^aipm_rapl_energy_joules_total{zone="package-0",kind="package",socket="0"} //p' "$T/m")
	check "and count (package ${e:-none} J of 20)" near "${e:-0}" 20 0.05
	kill -TERM $spid 2>/dev/null
	wait $spid
else
	echo "skip - the rule and the unit on a fake tree: needs root, the group nogroup and setpriv"
fi

# --- the README quotes them as they are ----------------------------------------
check "the README quotes the rule as it ships" python3 - "$AIPM_SRC/README.md" "$rule" "$AIPM_DIST_UNIT" <<'PY'
import re, sys
readme, rule, unit = (open(p).read() for p in sys.argv[1:])
quoted = [l[4:] for l in readme.split("\n") if l.startswith("    ")]
rules = [l for l in rule.split("\n") if l and not l.startswith("#")]
want = [q for q in quoted if "SUBSYSTEM==" in q]
if not want or any(q not in rules for q in want):
    sys.exit("README: %s\nrule: %s" % (want, rules))
# The unit's lines the README shows (KEY=VALUE under a [Service] it quotes)
lines = set(re.sub(r"^ExecStart=\S*/aipm ", "ExecStart=BINDIR/aipm ", l) for l in unit.split("\n"))
start = [i for i, q in enumerate(quoted) if q == "[Service]"]
if not start:
    sys.exit("the README quotes no [Service] section")
shown = []
for q in quoted[start[0] + 1:]:
    if not re.match(r"^[A-Z][A-Za-z]+=", q):
        break
    shown.append(re.sub(r"^ExecStart=\S*/aipm ", "ExecStart=BINDIR/aipm ", q))
bad = [s for s in shown if s not in lines]
if len(shown) < 3 or bad:
    sys.exit("README lines not in the unit: %s (of %s)" % (bad, shown))
PY
finish
