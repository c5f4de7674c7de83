"""check_ctypes.py LAYOUT_EXE: the Python module's ctypes mirror of struct
aipm_meter_options (python/aipm/__init__.py) has the C struct's members,
offsets, sizes and version (options_layout.c prints them: "member offset
size", then "=sizeof N" and "=version N"), so a member added to aipm.h and not to the
mirror (or the other way round) fails here rather than corrupting memory
in a user's program. Every member of the C struct must be in options_layout.c:
a member it leaves out shows as a size that does not add up."""
import ctypes
import subprocess
import sys

import aipm

out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout.split("\n")
c = {}
for line in out:
    if line:
        name, *nums = line.split()
        c[name] = tuple(int(n) for n in nums)
py = {name: (getattr(aipm._Options, name).offset, ctypes.sizeof(t)) for name, t in aipm._Options._fields_}
bad = []
members = {k: v for k, v in c.items() if not k.startswith("=")}
if members != py:
    bad.append("members: C %s, Python %s" % (sorted(members.items()), sorted(py.items())))
if c["=sizeof"][0] != ctypes.sizeof(aipm._Options):
    bad.append("sizeof: C %d, Python %d" % (c["=sizeof"][0], ctypes.sizeof(aipm._Options)))
if c["=version"][0] != aipm._OPTIONS_VERSION:
    bad.append("version: C %d, Python %d" % (c["=version"][0], aipm._OPTIONS_VERSION))
# The C members, laid end to end with their padding, fill the struct: one
# missing from options_layout.c leaves a hole the mirror could hide in.
end = max(o + s for o, s in members.values())
if c["=sizeof"][0] - end >= 8:
    bad.append("options_layout.c leaves %d bytes of the struct unaccounted for" % (c["=sizeof"][0] - end))
for b in bad:
    print("not ok - " + b)
print("ok - the ctypes mirror matches struct aipm_meter_options (%d members, %d bytes, version %d)"
      % (len(members), c["=sizeof"][0], c["=version"][0]) if not bad else "")
sys.exit(1 if bad else 0)
