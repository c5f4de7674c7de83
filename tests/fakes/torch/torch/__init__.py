"""A stand-in for torch in the test suite (CI has no torch): what the aipm
module calls and no more. torch.cuda (cuda.py) for m.phase(sync=True)
(tests/edges/test_sync.py); nn, zeros, no_grad, random.fork_rng and
onnx.export for aipm.model_to_onnx (tests/api/test_python.py): export runs
the model once (so a test can see the buffers it changes put back) and
writes the ONNX file named by $AIPM_FAKE_TORCH_ONNX, recording its
arguments in onnx.calls."""
import contextlib
import os
import shutil

from . import cuda  # noqa: F401


class Tensor:
    def __init__(self, shape, value=0.0, device="cpu"):
        self.shape, self.value, self.device = tuple(shape), value, device

    def detach(self):
        return self

    def clone(self):
        return Tensor(self.shape, self.value, self.device)

    def copy_(self, other):
        self.value = other.value
        return self


def zeros(*size, device=None):
    return Tensor(size, 0.0, device or "cpu")


@contextlib.contextmanager
def no_grad():
    yield


class _Random:
    state = 0

    @contextlib.contextmanager
    def fork_rng(self, devices=None):
        saved = _Random.state
        try:
            yield
        finally:
            _Random.state = saved


random = _Random()


class _NN:
    class Module:
        def parameters(self):
            return iter(getattr(self, "_params", []))

        def buffers(self):
            return iter(getattr(self, "_buffers", []))

        def __call__(self, *args):
            return self.forward(*args)


nn = _NN()


class _Onnx:
    class TrainingMode:
        EVAL, PRESERVE, TRAINING = "EVAL", "PRESERVE", "TRAINING"

    calls = []

    def export(self, model, args, f, **kw):
        model(args)
        _Random.state += 1  # dropout in training mode draws numbers
        self.calls.append(dict(kw, args=args))
        shutil.copyfile(os.environ["AIPM_FAKE_TORCH_ONNX"], f)


onnx = _Onnx()
