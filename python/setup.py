# The aipm Python module: pure Python over libaipm through ctypes, so there
# is nothing to compile. A setup.py (no pyproject.toml build-system table)
# so that `pip install ./python` works offline with the setuptools Debian
# ships, without fetching a build backend. libaipm itself comes from
# `ninja install` or $AIPM_LIB (see aipm/__init__.py).
#
# The version is the project's, read from ../meson.build (the one place
# that holds it); a source distribution built from here carries it in its
# PKG-INFO.
import os
import re

from setuptools import setup


def project_version():
    here = os.path.dirname(os.path.abspath(__file__))
    meson = os.path.join(here, "..", "meson.build")
    if os.path.exists(meson):
        with open(meson) as f:
            m = re.search(r"project\(\s*'aipm'[^)]*?\bversion\s*:\s*'([^']+)'", f.read())
        if m:
            return m.group(1)
        raise SystemExit("setup.py: %s has no version in its project() call" % meson)
    info = os.path.join(here, "PKG-INFO")
    if os.path.exists(info):
        with open(info) as f:
            for line in f:
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    raise SystemExit("setup.py: cannot tell aipm's version: %s is not beside python/. Install from the "
                     "source tree (pip install ./python), where meson.build holds it" % meson)


setup(
    name="aipm",
    version=project_version(),
    description="Energy meter for ML/HPC workloads: measure from inside a Python program",
    packages=["aipm", "aipm.compat"],
    python_requires=">=3.7",
    license="MIT",
)
