#!/bin/sh
# install.sh: what `meson install` puts on a machine, used as an embedder
# and a packager would: into a temporary DESTDIR, a C program built with
# `pkg-config --cflags --libs aipm` and nothing else (the options' _init
# call, a meter on a fake RAPL tree, a reader), run against the installed
# library; the version the header, the library, the soname, the man pages,
# the Python package and `aipm --version` give is meson's; the Python
# module and the service files are where the build said.
. "$AIPM_TESTLIB"
: "${AIPM_MESON:?}" "${AIPM_BUILD:?}" "${AIPM_VERSION:?}" "${AIPM_PREFIX:?}" "${AIPM_LIBDIR:?}"
dest="$T/dest"
p="$dest$AIPM_PREFIX"
expect_rc 0 "meson install into a DESTDIR" "$AIPM_MESON" install -C "$AIPM_BUILD" --no-rebuild --quiet \
	--destdir "$dest"

# --- a C program, pkg-config only ----------------------------------------------
export PKG_CONFIG_PATH="$p/$AIPM_LIBDIR/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest" # the .pc names the prefix; the files are under DESTDIR
check "pkg-config finds the installed aipm.pc" pkg-config --exists aipm
check "pkg-config's version is meson's" [ "$(pkg-config --modversion aipm)" = "$AIPM_VERSION" ]
cat >"$T/prog.c" <<'C'
#include <aipm.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct aipm_meter_options o;
	aipm_meter *m;
	char *json;
	if (argc != 3 || aipm_meter_options_init(&o, AIPM_METER_OPTIONS_VERSION) < 0)
		return 2;
	o.description = "built with pkg-config";
	o.interval_s = 0.02;
	o.sysfs_root = argv[2];
	if (aipm_meter_start(&m, argv[1], &o) < 0 || aipm_meter_phase_begin(m, "work") < 0) {
		fprintf(stderr, "%s\n", aipm_error_last());
		return 1;
	}
	volatile double x = 0;
	for (long i = 0; i < 20000000; i++)
		x += (double)i;
	if (aipm_meter_phase_end(m, "work") < 0 || aipm_meter_stop(m) < 0) {
		fprintf(stderr, "%s\n", aipm_error_last());
		return 1;
	}
	aipm_meter_free(m);
	if (aipm_recording_summary_json(argv[1], &json) < 0) {
		fprintf(stderr, "%s\n", aipm_error_last());
		return 1;
	}
	printf("header %s library %s\n%s\n", AIPM_VERSION_STRING, aipm_version(), json);
	aipm_string_free(json);
	return strcmp(AIPM_VERSION_STRING, aipm_version()) != 0;
}
C
flags=$(pkg-config --cflags --libs aipm)
echo "# cc prog.c $flags"
expect_rc 0 "a program builds with pkg-config --cflags --libs aipm only" \
	sh -c "${CC:-cc} -std=c11 -Wall -Wextra -Werror '$T/prog.c' $flags -o '$T/prog'"
make_rapl_tree make "$T/sys" laptop
libpath=$(pkg-config --libs-only-L aipm | sed 's/^ *-L//; s/ .*//')
# A sanitised build's library needs its runtime first in the process.
LD_LIBRARY_PATH="$libpath" LD_PRELOAD="${AIPM_ASAN_PRELOAD:-}" "$T/prog" "$T/rec" "$T/sys" >"$T/prog.out" 2>&1
check "it runs against the installed library" [ $? = 0 ]
sed 's/^/    | /' "$T/prog.out" | head -3
grep_q "header and library are the same version" "^header $AIPM_VERSION library $AIPM_VERSION\$" "$T/prog.out"
check "its recording has RAPL energy and its description" python3 -c "
import json, sys
d = json.loads(open(sys.argv[1]).read().split('\n', 1)[1])
sys.exit(0 if d['description'] == 'built with pkg-config' and d['energy_j'].get('package-0') is not None else 1)" \
	"$T/prog.out"

# --- one version everywhere ----------------------------------------------------
for h in aipm.h aipm_version.h; do
	check "$h is installed" [ -f "$p/$AIPM_INCLUDEDIR/$h" ]
done
grep_q "aipm_version.h holds meson's version" "#define AIPM_VERSION_STRING \"$AIPM_VERSION\"" \
	"$p/$AIPM_INCLUDEDIR/aipm_version.h"
major=${AIPM_VERSION%%.*}
soname=$(readelf -d "$libpath/libaipm.so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "the soname follows the major version ($soname)" [ "$soname" = "libaipm.so.$major" ]
check "the library file is libaipm.so.$AIPM_VERSION" [ -f "$libpath/libaipm.so.$AIPM_VERSION" ]
for page in man1/aipm.1 man3/libaipm.3; do
	check "$page is installed with the version in its .TH" grep -q "^\\.TH .* \"aipm $AIPM_VERSION\"" \
		"$p/$AIPM_MANDIR/$page"
done
check "aipm --version says meson's version" [ "$("$p/$AIPM_BINDIR/aipm" --version)" = "aipm $AIPM_VERSION" ]
check "python/setup.py takes meson's version" \
	[ "$(cd "$AIPM_SRC/python" && python3 setup.py --version 2>/dev/null | tail -1)" = "$AIPM_VERSION" ]

# --- the Python module and the service files -----------------------------------
if [ -n "${AIPM_PYTHON_DIR:-}" ]; then
	check "the Python module is installed" [ -f "$dest$AIPM_PYTHON_DIR/__init__.py" ]
	check "and imports, loading the installed library" env PYTHONPATH="$dest${AIPM_PYTHON_DIR%/aipm}" \
		AIPM_LIB="$libpath/libaipm.so.$major" LD_PRELOAD="${AIPM_ASAN_PRELOAD:-}" ASAN_OPTIONS=detect_leaks=0 \
		python3 -c "import aipm, sys; sys.exit(0 if aipm.version() == '$AIPM_VERSION' and
			aipm.__file__.startswith('$dest') else 1)"
else
	echo "skip - the Python module: this build installs none (-Dpython=disabled or no python3)"
fi
for f in "${AIPM_UNIT_DIR:-no}/aipm-serve.service" "${AIPM_SYSUSERS_DIR:-no}/aipm.conf" \
	"${AIPM_UDEV_DIR:-no}/60-aipm-rapl.rules"; do
	case $f in
	no/*) echo "skip - $(basename "$f"): not installed by this build" ;;
	*) check "$(basename "$f") is installed in $(dirname "$f")" [ -f "$dest$f" ] ;;
	esac
done
if [ "${AIPM_UNIT_DIR:-no}" != no ]; then
	grep_q "the installed unit runs the installed aipm" "^ExecStart=$AIPM_PREFIX/$AIPM_BINDIR/aipm serve" \
		"$dest$AIPM_UNIT_DIR/aipm-serve.service"
fi
finish
