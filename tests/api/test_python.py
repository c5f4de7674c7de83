"""test_python.py: the aipm Python module over the libaipm this build made
(AIPM_LIB), against a fake RAPL tree whose counters the test advances, so
the phase energies have a known truth. Run by meson with the system python3.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import aipm

SRC = os.environ["AIPM_SRC"]


def advance(root, watts, seconds):
    subprocess.run([sys.executable, SRC + "/tests/fixtures/mkrapl.py", "advance", root,
                    "intel-rapl:0=%g" % watts, "--seconds", str(seconds)], check=True)


class MeasureTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        subprocess.run([sys.executable, SRC + "/tests/fixtures/mkrapl.py", "make", self.root, "laptop"],
                       check=True)
        os.environ["AIPM_SYSFS_ROOT"] = self.root
        self.out = os.path.join(self.tmp.name, "out")

    def tearDown(self):
        self.tmp.cleanup()

    def test_library_is_the_one_asked_for(self):
        self.assertEqual(aipm.library_path(), os.environ["AIPM_LIB"])
        self.assertEqual(aipm.version(), os.environ["AIPM_VERSION"])  # meson's project version

    def test_phases_and_metrics_land_in_the_recording_with_their_energy(self):
        with aipm.measure(self.out, description="python test", interval=0.05) as m:
            with m.phase("train"):
                time.sleep(0.15)
                advance(self.root, 40, 0.5)
                time.sleep(0.15)
            m.log(epoch=1, acc=0.5)
            p = m.phase("validation")
            time.sleep(0.3)
            p.end()
            m.log({"top-1": 0.9})
        ph = aipm.Recording(self.out).phases()
        self.assertEqual([p["name"] for p in ph["phases"]], ["train", "validation"])
        train = ph["phases"][0]
        self.assertAlmostEqual(train["energy_j"], 20.0, delta=1.0)
        self.assertAlmostEqual(ph["phases"][1]["energy_j"], 0.0, delta=1e-6)
        pts = aipm.Recording(self.out).metrics()["points"]
        self.assertEqual([p["metrics"] for p in pts], [{"epoch": 1, "acc": 0.5}, {"top-1": 0.9}])
        self.assertAlmostEqual(pts[0]["energy_j"], 20.0, delta=1.0)
        s = aipm.Recording(self.out).summary()
        self.assertEqual(s["description"], "python test")
        self.assertIn("energy_j", s)

    def test_a_phase_ends_when_its_block_raises(self):
        with aipm.measure(self.out) as m:
            with self.assertRaises(ZeroDivisionError):
                with m.phase("train"):
                    1 / 0
            m.phase("train").end()  # it was ended: it may begin again
        self.assertEqual(len(aipm.Recording(self.out).phases()["phases"]), 2)

    def test_two_measurements_at_once_are_refused(self):
        with aipm.measure(self.out):
            with self.assertRaises(aipm.AipmError) as cm:
                aipm.measure(self.out + "2")
            self.assertEqual(cm.exception.errno, 16)  # EBUSY
            self.assertIn("already running", str(cm.exception))
        with aipm.measure(self.out):  # after the stop, allowed again
            pass

    def test_misuse_raises_clear_errors(self):
        m = aipm.measure(self.out)
        with self.assertRaises(aipm.AipmError) as cm:
            m.end_phase("never")
        self.assertIn("not open", str(cm.exception))
        m.begin_phase("x")
        with self.assertRaises(aipm.AipmError):
            m.begin_phase("x")
        with self.assertRaises(TypeError):
            m.log(acc="high")
        with self.assertRaises(ValueError):
            m.log()
        m.stop()
        with self.assertRaises(aipm.AipmError) as cm:
            m.stop()
        self.assertIn("already stopped", str(cm.exception))
        with self.assertRaises(aipm.AipmError):
            aipm.Recording(os.path.join(self.tmp.name, "nothing")).summary()

    def test_threads_share_one_meter(self):
        with aipm.measure(self.out) as m:
            def work(i):
                for k in range(20):
                    with m.phase("t%d" % i):
                        pass
                    m.log(k=k)
            ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        with open(os.path.join(self.out, "phases.json")) as f:
            lines = [json.loads(l) for l in f]
        self.assertEqual(len(lines), 160)


if __name__ == "__main__":
    unittest.main(verbosity=2)
