"""tap.py: the one-line reports of the compat scripts ("ok - ...",
"not ok - ..."), and their exit status."""
failures = []


def check(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures.append(what)


def finish():
    print("%d failed" % len(failures))
    return 1 if failures else 0
