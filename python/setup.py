# The aipm Python module: pure Python over libaipm through ctypes, so there
# is nothing to compile. A setup.py (no pyproject.toml build-system table)
# so that `pip install ./python` works offline with the setuptools Debian
# ships, without fetching a build backend. libaipm itself comes from
# `ninja install` or $AIPM_LIB (see aipm/__init__.py).
from setuptools import setup

setup(
    name="aipm",
    version="0.1.0",
    description="Energy meter for ML/HPC workloads: measure from inside a Python program",
    packages=["aipm", "aipm.compat"],
    python_requires=">=3.7",
    license="MIT",
)
