"""A stand-in for torch.cuda: synchronize() finishes the work queued with
queue(), calling each finisher (the test's: it draws that work's energy on
the fake counters), and records what probe() says at each call."""
available = True
probe = None
calls = []
_queued = []


def is_available():
    return available


def queue(finish):
    _queued.append(finish)


def synchronize():
    calls.append(probe() if probe else None)
    while _queued:
        _queued.pop(0)()


def drain():
    """What a later synchronize (or the GPU on its own) would finish."""
    while _queued:
        _queued.pop(0)()
