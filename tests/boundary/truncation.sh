#!/bin/sh
# truncation.sh: a path a user gives is used whole or refused, never cut.
#
# snprintf into a fixed buffer cuts a long path silently; the cut path names
# another file or none (read as "no RAPL here", or a recording called by a
# name that is not its directory). Each root and the recording directory is
# given longer than the buffer that holds it: aipm must use it whole or say
# it is too long and stop, naming the variable.
. "$AIPM_TESTLIB"

# A directory path of about 1.2 kB (each component under NAME_MAX).
seg=$(printf '%0200d' 0)
long="$T"
for i in 1 2 3 4 5 6; do long="$long/$seg"; done
mkdir -p "$long"

# -o DIR past the report's old 1024-byte name: the report names the whole
# directory, in its text and in its JSON "dir".
"$AIPM" run -q -o "$long/rec" -- true 2>"$T/run.err"
check "aipm run records into a 1.2 kB directory" test -s "$long/rec/power_metrics.json"
"$AIPM" report --json "$long/rec" >"$T/report.json"
check "report --json names the whole directory, not a cut one" \
	[ "$(json_get "$T/report.json" "d['dir']")" = "$long/rec" ]
"$AIPM" report "$long/rec" >"$T/report.txt"
check "the text report names the whole directory" grep -qF "recording    $long/rec (" "$T/report.txt"

# AIPM_SYSFS_ROOT past the RAPL root's 512 bytes, with a real tree there:
# refused, not read as "no powercap tree" at a cut path.
make_rapl_tree make "$long/sys" laptop
AIPM_SYSFS_ROOT="$long/sys" "$AIPM" run -q -o "$T/sysfs" -- true 2>"$T/sysfs.err"
check "a too long AIPM_SYSFS_ROOT stops aipm run" [ $? != 0 ]
grep_q "the error names AIPM_SYSFS_ROOT" "AIPM_SYSFS_ROOT" "$T/sysfs.err"
grep_q "the error says the path is too long and the limit" "path too long: .* longer than the 511 bytes" "$T/sysfs.err"
check "nothing is recorded from a cut root" [ ! -e "$T/sysfs/power_metrics.json" ]

# AIPM_PROC_ROOT past the process source's 256 bytes.
AIPM_PROC_ROOT="$long" "$AIPM" run -q -o "$T/proc" -- true 2>"$T/proc.err"
check "a too long AIPM_PROC_ROOT stops aipm run" [ $? != 0 ]
grep_q "the error names AIPM_PROC_ROOT and the limit" "AIPM_PROC_ROOT.*path too long: .* 255 bytes" "$T/proc.err"

# AIPM_CGROUP_ROOT past the cgroup mount's 1024 bytes (refused before the
# tree is looked at, so it need not be a cgroup2 mount).
AIPM_CGROUP_ROOT="$long" "$AIPM" run -q --scope cgroup -o "$T/cg" -- true 2>"$T/cg.err"
check "a too long AIPM_CGROUP_ROOT stops aipm run --scope cgroup" [ $? != 0 ]
grep_q "the error names AIPM_CGROUP_ROOT and the limit" "AIPM_CGROUP_ROOT.*path too long: .* 1023 bytes" "$T/cg.err"

# AIPM_NVML_LIB past 256 bytes: never dlopen a cut path; the GPU source is
# off, saying why.
AIPM_NVML_LIB="$long/libnvidia-ml.so.1" "$AIPM" run -o "$T/nvml" -- true 2>"$T/nvml.err"
grep_q "a too long AIPM_NVML_LIB is refused, not loaded cut" "AIPM_NVML_LIB: path too long" "$T/nvml.err"
finish
