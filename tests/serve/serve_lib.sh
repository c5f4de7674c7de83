# serve_lib.sh: start and stop `aipm serve` for the serve tests (sourced
# after tests/cli/lib.sh). The server listens on 127.0.0.1:0 and the port
# is read from its startup line, so parallel tests never race for a port.

# serve_start LOG [ARGS...]: start aipm serve in the background; sets
# SERVE_PID and SERVE_PORT. Returns 1 if it did not start within 10 s.
serve_start() {
	log=$1; shift
	"$AIPM" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
	SERVE_PID=$!
	SERVE_PORT=""
	i=0
	while [ $i -lt 100 ]; do
		SERVE_PORT=$(sed -n 's|^aipm: serving http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$log")
		[ -n "$SERVE_PORT" ] && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# serve_stop: SIGTERM, wait; returns aipm's exit status (124 if it hung).
serve_stop() {
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	i=0
	while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$SERVE_PID" 2>/dev/null; then kill -KILL "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=""; return 124; fi
	wait "$SERVE_PID"; rc=$?; SERVE_PID=""
	return $rc
}

# rss_kb PID: resident set size in KiB
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# scrape PORT OUT: GET /metrics into OUT (python3: curl may be absent)
scrape() {
	python3 -c "import urllib.request,sys; sys.stdout.buffer.write(urllib.request.urlopen('http://127.0.0.1:%s/metrics' % sys.argv[1], timeout=5).read())" "$1" >"$2"
}
