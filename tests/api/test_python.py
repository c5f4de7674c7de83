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


FAKE_TORCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes", "torch")
FIXTURE = os.path.join(SRC, "tests/fixtures/onnx/op_conv_same.onnx")


def aipm_model_json(path):
    return json.loads(subprocess.run([os.environ["AIPM"], "model", "--json", path], check=True,
                                     capture_output=True).stdout)


class ModelTest(unittest.TestCase):
    """measure(model=net, input_size=...) through a stand-in torch (CI has
    none): the export's settings, the model left as it was, and the summary
    the same as `aipm model` on the exported file."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.tmp.name, "out")
        sys.path.insert(0, FAKE_TORCH)
        os.environ["AIPM_FAKE_TORCH_ONNX"] = FIXTURE
        for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
            del sys.modules[name]
        import torch
        self.torch = torch

        class Net(torch.nn.Module):
            def __init__(self):
                self._params = [torch.zeros(8, 3, 3, 3)]
                self.running_mean = torch.zeros(8)
                self._buffers = [self.running_mean]

            def forward(self, x):
                self.running_mean.value += 1  # what BatchNorm does in training mode

        self.net = Net()

    def tearDown(self):
        sys.path.remove(FAKE_TORCH)
        del sys.modules["torch"]
        self.tmp.cleanup()

    def test_a_torch_model_is_exported_and_summarised_by_aipm(self):
        with aipm.measure(self.out, model=self.net, input_size=(1, 3, 4, 4)):
            pass
        call = self.torch.onnx.calls[-1]
        self.assertEqual(call["training"], "PRESERVE")
        self.assertIs(call["do_constant_folding"], False)
        self.assertEqual(call["args"].shape, (1, 3, 4, 4))
        self.assertEqual(self.net.running_mean.value, 0.0)  # the export's forward pass undone
        self.assertEqual(self.torch.random.state, 0)
        got = json.load(open(os.path.join(self.out, "model_summary.json")))
        want = aipm_model_json(FIXTURE)
        for k in ("params_total", "macs", "nodes", "by_op"):
            self.assertEqual(got[k], want[k], k)
        self.assertEqual(got["params_total"], 216)
        self.assertEqual(aipm.Recording(self.out).summary()["model"]["params_total"], 216)

    def test_an_onnx_path_needs_no_torch(self):
        with aipm.measure(self.out, model=FIXTURE):
            pass
        self.assertEqual(json.load(open(os.path.join(self.out, "model_summary.json")))["macs"], 3456)

    def test_a_model_without_input_size_is_refused_before_measuring(self):
        with self.assertRaises(ValueError):
            aipm.measure(self.out, model=self.net)
        with self.assertRaises(TypeError):
            aipm.measure(self.out, model=object(), input_size=(1, 3))
        self.assertFalse(os.path.exists(self.out))


AIPOWERMETER_SCRIPT = """
from aipm.compat import experiment, parsers
import os, subprocess, sys, time
driver = parsers.JsonParser(sys.argv[1], meta_data="compat script")
exp = experiment.Experiment(driver)
p, q = exp.measure_yourself(period=0.1)
time.sleep(0.3)  # the power starts and stops between samples, not at the edges
subprocess.run([sys.executable, sys.argv[2], "advance", sys.argv[3], "intel-rapl:0=40", "--seconds", "0.6"])
time.sleep(0.3)
q.put(experiment.STOP_MESSAGE)
p.join()
r = experiment.ExpResults(parsers.JsonParser(sys.argv[1]))
r.print()
print("TOTAL", r.total_("intel_power"), r.get_exp_duration()[0], "rel_intel_power" in r.list_metrics()["CPU"])
"""


class ViewsTest(unittest.TestCase):
    """probe, report and model_summary: the module's answers are the
    command's, byte for byte where the command prints text."""
    REC = SRC + "/tests/fixtures/recordings"

    def cli(self, *args, env=None):
        return subprocess.run([os.environ["AIPM"]] + list(args), check=True, capture_output=True, text=True,
                              env=env).stdout

    def test_probe_passes_the_environments_roots_and_matches_the_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "sys")
            subprocess.run([sys.executable, SRC + "/tests/fixtures/mkrapl.py", "make", root, "server2"], check=True)
            saved = dict(os.environ)
            os.environ.update(AIPM_SYSFS_ROOT=root, AIPM_CGROUP_ROOT=os.path.join(tmp, "no-cgroup"))
            try:
                d = aipm.probe()
                text = aipm.probe(text=True)
                cli = self.cli("probe")
            finally:
                os.environ.clear()
                os.environ.update(saved)
        self.assertEqual(d["sysfs_root"], root)
        rapl = d["sources"][0]
        self.assertEqual((rapl["name"], rapl["available"], len(rapl["details"]["zones"])), ("rapl", True, 4))
        self.assertEqual(d["scope"]["kind"], "proc-tree")
        # procfs's fd budget is the calling process's: compare the rest.
        strip = lambda t: [l for l in t.splitlines() if "fd" not in l]
        self.assertEqual(strip(text), strip(cli))

    def test_report_is_the_commands_in_json_text_windows_and_views(self):
        views, basic = self.REC + "/aipm-views", self.REC + "/aipm-basic"
        self.assertEqual(aipm.report(views), json.loads(self.cli("report", "--json", views)))
        self.assertEqual(aipm.report(views, text=True), self.cli("report", views))
        self.assertEqual(aipm.report([views, basic], text=True), self.cli("report", views, basic))
        self.assertEqual(aipm.report(views, text=True, start=1, end="2026-11-25 19:20:05", pue=1.5,
                                     carbon_intensity=50),
                         self.cli("report", views, "--from", "1", "--to", "2026-11-25 19:20:05", "--pue", "1.5",
                                  "--carbon-intensity", "50"))
        self.assertEqual(aipm.report(views, view="phases"), aipm.Recording(views).phases())
        self.assertEqual(aipm.Recording(views).report(text=True, view="metrics"),
                         self.cli("report", "--metrics", views))
        with self.assertRaises(aipm.AipmError) as e:
            aipm.report(views, start=5, end=2)
        self.assertIn("Swap them", str(e.exception))
        with self.assertRaises(aipm.AipmError):
            aipm.report(views, start="yesterday")
        with tempfile.TemporaryDirectory() as tmp:
            page = os.path.join(tmp, "r.html")
            aipm.Recording(views).html(page, pue=1.2)
            with open(page) as f:
                self.assertIn("<svg", f.read())

    def test_model_summary_is_the_commands_json(self):
        onnx = SRC + "/tests/fixtures/onnx/resnet18.onnx"
        self.assertEqual(aipm.model_summary(onnx), json.loads(self.cli("model", "--json", onnx)))
        with self.assertRaises(aipm.AipmError) as e:
            aipm.model_summary(SRC + "/tests/fixtures/onnx/bad_cycle.onnx")
        self.assertIn(e.exception.errno, (74, 40, 75))  # EBADMSG, ELOOP, EOVERFLOW


class CompatTest(unittest.TestCase):
    """An AIPowerMeter script with only its import line changed."""

    setUp = MeasureTest.setUp
    tearDown = MeasureTest.tearDown

    def test_an_aipowermeter_script_runs_with_its_import_line_changed(self):
        script = os.path.join(self.tmp.name, "script.py")
        open(script, "w").write(AIPOWERMETER_SCRIPT)
        r = subprocess.run([sys.executable, script, self.out, SRC + "/tests/fixtures/mkrapl.py", self.root],
                           capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
        self.assertEqual(r.returncode, 0, r.stderr)
        total, duration, rel = r.stdout.split("TOTAL")[1].split()
        rep = aipm.Recording(self.out).summary()
        self.assertEqual(rep["description"], "compat script")
        self.assertAlmostEqual(float(total), rep["energy_j"]["cpu_total"], delta=0.05 * rep["energy_j"]["cpu_total"])
        self.assertAlmostEqual(float(duration), rep["duration_s"], delta=1e-3)
        self.assertEqual(rel, "True")
        self.assertIn("energy cpu_total", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
