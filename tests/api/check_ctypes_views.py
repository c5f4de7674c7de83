"""check_ctypes_views.py LAYOUT_EXE: the Python module's ctypes mirrors of
struct aipm_probe_options and struct aipm_report_options have the C
structs' members, offsets, sizes and versions (views_layout.c prints
them), so a member added to aipm.h and not to a mirror fails here rather
than corrupting memory in a user's program."""
import ctypes
import subprocess
import sys

import aipm

MIRRORS = {"aipm_probe_options": (aipm._ProbeOptions, aipm._PROBE_OPTIONS_VERSION),
           "aipm_report_options": (aipm._ReportOptions, aipm._REPORT_OPTIONS_VERSION)}
c = {}
for line in subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout.splitlines():
    struct, name, *nums = line.split()
    c.setdefault(struct, {})[name] = tuple(int(n) for n in nums)
bad = []
for struct, (mirror, version) in MIRRORS.items():
    got = c.pop(struct, {})
    members = {k: v for k, v in got.items() if not k.startswith("=")}
    py = {name: (getattr(mirror, name).offset, ctypes.sizeof(t)) for name, t in mirror._fields_}
    if members != py:
        bad.append("%s members: C %s, Python %s" % (struct, sorted(members.items()), sorted(py.items())))
    size = got.get("=sizeof", (0,))[0]
    if size != ctypes.sizeof(mirror):
        bad.append("%s sizeof: C %d, Python %d" % (struct, size, ctypes.sizeof(mirror)))
    if got.get("=version", (0,))[0] != version:
        bad.append("%s version: C %s, Python %d" % (struct, got.get("=version"), version))
    if members and size - max(o + s for o, s in members.values()) >= 8:
        bad.append("%s: views_layout.c leaves bytes of the struct unaccounted for" % struct)
bad += ["%s: printed by views_layout.c but not mirrored" % s for s in c]
for b in bad:
    print("not ok - " + b)
if not bad:
    print("ok - the ctypes mirrors match %s" % ", ".join(MIRRORS))
sys.exit(1 if bad else 0)
