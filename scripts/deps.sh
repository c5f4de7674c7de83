#!/bin/sh
# Install what aipm needs to build (and, with --test, to run its tests) from
# Debian's archive. As root it runs apt-get; otherwise it names the command
# to run and fails, so `make` never half-builds on a machine that lacks them.
set -eu
build="gcc meson ninja-build pkg-config libcjson-dev libmicrohttpd-dev libcairo2-dev"
test="libcmocka-dev python3 python3-pip python3-setuptools util-linux curl clang libclang-rt-14-dev"
want="$build"
[ "${1:-}" = "--test" ] && want="$build $test"
# chromium and python3-pil: tests/views renders the HTML report in a real
# browser and checks the screenshot is not blank.
[ "${1:-}" = "--integration" ] && want="$build $test prometheus wrk chromium python3-pil"
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "aipm: installing missing Debian packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# prometheus's package would start a daemon on 0.0.0.0:9090; forbid
	# service starts during this install (policy-rc.d exit 101).
	pol=/usr/sbin/policy-rc.d; made_pol=""
	if [ ! -e "$pol" ]; then printf '#!/bin/sh\nexit 101\n' >"$pol"; chmod +x "$pol"; made_pol=1; fi
	apt-get update -qq >/dev/null || true
	rc=0
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
	[ -n "$made_pol" ] && rm -f "$pol"
	if [ "$rc" != 0 ]; then
		echo "aipm: apt-get install failed for:$missing. Check the network or the apt sources, then run it again." >&2
		exit 1
	fi
	exit 0
fi
echo "aipm: missing Debian packages:$missing" >&2
echo "aipm: install them with: sudo apt-get install$missing" >&2
exit 1
