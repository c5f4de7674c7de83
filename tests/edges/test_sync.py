"""test_sync.py (issue 11): m.phase(name, sync=True) waits for the GPU
work queued so far (torch.cuda.synchronize()) before each edge sample, so
that work's energy is in the phase it was launched in.

torch is the stand-in of tests/edges/fake_torch (CI has neither torch nor a
GPU): its synchronize() finishes "kernels" queued with torch.cuda.queue(),
each of which draws a known energy on the fake RAPL counter, as a GPU
finishing work would. Without sync the work finishes after the phase's end
sample, so the phase does not hold it; with sync it does.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ["AIPM_SRC"]
sys.path.insert(0, os.path.join(HERE, "fake_torch"))
sys.path.insert(0, os.path.join(SRC, "tests", "fixtures"))
import aipm  # noqa: E402
import mkrapl  # noqa: E402
import torch  # noqa: E402  the stand-in


class SyncTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        mkrapl.make(self.root, "laptop")
        os.environ["AIPM_SYSFS_ROOT"] = self.root
        self.out = os.path.join(self.tmp.name, "out")
        self.pkg = os.path.join(self.root, "class", "powercap", "intel-rapl:0", "energy_uj")
        torch.cuda.available = True
        torch.cuda.calls.clear()
        torch.cuda.probe = self.lines

    def tearDown(self):
        torch.cuda.drain()
        torch.cuda.probe = None
        self.tmp.cleanup()

    def lines(self):
        try:
            with open(os.path.join(self.out, "phases.json")) as f:
                return [json.loads(l)["event"] for l in f]
        except FileNotFoundError:
            return []

    def kernel(self, joules):
        """Queue work that draws joules on the package when it finishes."""
        torch.cuda.queue(lambda: mkrapl.put_uj(self.pkg, mkrapl.read_uj(self.pkg) + int(joules * 1e6)))

    def phase_energy(self, sync):
        with aipm.measure(self.out, interval=0.1) as m:
            with m.phase("train", sync=sync):
                self.kernel(7.0)
                # A phase of some length: its two edges are two samples
                # (marks within AIPM_EDGE_SHARE_US would share one).
                time.sleep(0.01)
            torch.cuda.drain()  # finishes now if the phase did not wait for it
        return aipm.Recording(self.out).phases()["phases"][0]["energy_j"]

    def test_sync_waits_before_each_edge_sample(self):
        with aipm.measure(self.out, interval=0.1) as m:
            with m.phase("train", sync=True):
                pass
        # Called before the begin line existed, and before the end line.
        self.assertEqual(torch.cuda.calls, [[], ["begin"]])
        self.assertEqual(self.lines(), ["begin", "end"])

    def test_work_queued_in_a_phase_counts_in_it_with_sync(self):
        self.assertAlmostEqual(self.phase_energy(sync=True), 7.0, delta=1e-3)

    def test_without_sync_the_work_finishes_after_the_phase(self):
        self.assertAlmostEqual(self.phase_energy(sync=False), 0.0, delta=1e-3)
        self.assertEqual(torch.cuda.calls, [])

    def test_no_cuda_no_call_no_error(self):
        torch.cuda.available = False
        with aipm.measure(self.out, interval=0.1) as m:
            with m.phase("train", sync=True):
                pass
        self.assertEqual(torch.cuda.calls, [])
        self.assertEqual(self.lines(), ["begin", "end"])

    def test_no_torch_no_error(self):
        # A fresh interpreter where torch cannot be imported (None in
        # sys.modules makes `import torch` raise ImportError, whatever
        # this machine has installed).
        code = ("import sys; sys.modules['torch'] = None\n"
                "import aipm; m = aipm.measure(sys.argv[1], interval=0.1)\n"
                "with m.phase('train', sync=True): pass\n"
                "m.stop()")
        env = dict(os.environ, PYTHONPATH=os.path.join(SRC, "python"))
        subprocess.run([sys.executable, "-c", code, self.out], env=env, check=True)
        self.assertEqual(self.lines(), ["begin", "end"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
