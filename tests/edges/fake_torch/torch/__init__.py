"""A stand-in for torch, for tests/edges/test_sync.py: only torch.cuda."""
from . import cuda  # noqa: F401
