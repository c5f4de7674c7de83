"""aipm: measure the energy of a Python program from inside it.

A thin ctypes layer over libaipm (no compiled extension): the library
samples RAPL, GPUs and this process tree from a background thread and
writes the same recording `aipm run -o DIR` writes, so `aipm report DIR`
reads it.

    import aipm
    with aipm.measure("out", description="resnet, 3 epochs") as m:
        for epoch in range(3):
            with m.phase("train"):
                train()
            with m.phase("validation"):
                acc = validate()
            m.log(epoch=epoch, acc=acc)
    print(aipm.Recording("out").summary()["energy_j"])

With PyTorch, `aipm.measure("out", model=net, input_size=(1, 3, 224, 224))`
also stores model_summary.json (parameters, multiply-accumulates: the
numbers of `aipm model`). AIPowerMeter's scripts run with their import line
changed to `from aipm.compat import experiment, parsers` (aipm/compat).

libaipm is found through $AIPM_LIB (a path to libaipm.so), then a build
directory of the source tree this package sits in (build/, builddir/),
then the system's library path. Errors raise AipmError, an OSError whose
errno is the library's and whose text says what to do.
"""
import ctypes
import ctypes.util
import errno as _errno
import json
import os
import tempfile
import threading

__all__ = ["AipmError", "Meter", "Phase", "Recording", "measure", "model_to_onnx", "version", "library_path",
           "probe", "report", "model_summary"]


class AipmError(OSError):
    """A libaipm call failed; .errno and the message come from the library."""


# struct aipm_meter_options of aipm.h, version 1 (tests/boundary checks the
# offsets against the C compiler's). The library reads no environment: the
# AIPM_* roots and library paths are passed from os.environ here.
_OPTIONS_VERSION = 1
_OPTIONS_ENV = (("sysfs_root", "AIPM_SYSFS_ROOT"), ("proc_root", "AIPM_PROC_ROOT"),
                ("cgroup_root", "AIPM_CGROUP_ROOT"), ("nvml_lib", "AIPM_NVML_LIB"),
                ("amdsmi_lib", "AIPM_AMDSMI_LIB"))


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("description", ctypes.c_char_p), ("interval_s", ctypes.c_double),
                ("mem_interval_s", ctypes.c_double), ("append", ctypes.c_int)] + \
               [(name, ctypes.c_char_p) for name, _ in _OPTIONS_ENV]


# struct aipm_probe_options and struct aipm_report_options of aipm.h,
# version 1 (tests/api/check_ctypes_views.py checks them against the C
# compiler's layout).
_PROBE_OPTIONS_VERSION = 1
_REPORT_OPTIONS_VERSION = 1
_REPORT_VIEWS = {"summary": 0, "phases": 1, "metrics": 2}


class _ProbeOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint)] + [(name, ctypes.c_char_p) for name, _ in _OPTIONS_ENV]


class _ReportOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("view", ctypes.c_int),
                ("has_from", ctypes.c_int), ("from_relative", ctypes.c_int), ("from_s", ctypes.c_double),
                ("has_to", ctypes.c_int), ("to_relative", ctypes.c_int), ("to_s", ctypes.c_double),
                ("has_carbon", ctypes.c_int), ("carbon_g_per_kwh", ctypes.c_double),
                ("has_pue", ctypes.c_int), ("pue", ctypes.c_double), ("threads", ctypes.c_int)]


def _candidates():
    env = os.environ.get("AIPM_LIB")
    if env:
        yield env
        return  # asked for one: do not silently load another
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for build in ("build", "builddir"):
        yield os.path.join(root, build, "libaipm.so.0")
    yield "libaipm.so.0"
    found = ctypes.util.find_library("aipm")
    if found:
        yield found


_lib = None
_lib_path = None
_lib_lock = threading.Lock()


def _load():
    global _lib, _lib_path
    with _lib_lock:
        if _lib is not None:
            return _lib
        tried = []
        for path in _candidates():
            if os.sep in path and not os.path.exists(path):
                tried.append(path + " (absent)")
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                tried.append("%s (%s)" % (path, e))
                continue
            _declare(lib)
            _lib, _lib_path = lib, path
            return lib
        raise AipmError(_errno.ENOENT, "libaipm not found; tried: %s. Build it (meson setup build && "
                        "ninja -C build), install it, or set AIPM_LIB=/path/to/libaipm.so.0" % "; ".join(tried))


def _declare(lib):
    P = ctypes.c_void_p
    sigs = {
        "aipm_error_last": ([], ctypes.c_char_p),
        "aipm_version": ([], ctypes.c_char_p),
        "aipm_meter_options_init": ([ctypes.POINTER(_Options), ctypes.c_uint], ctypes.c_int),
        "aipm_meter_start": ([ctypes.POINTER(P), ctypes.c_char_p, ctypes.POINTER(_Options)], ctypes.c_int),
        "aipm_meter_stop": ([P], ctypes.c_int),
        "aipm_meter_free": ([P], None),
        "aipm_meter_phase_begin": ([P, ctypes.c_char_p], ctypes.c_int),
        "aipm_meter_phase_end": ([P, ctypes.c_char_p], ctypes.c_int),
        "aipm_meter_log_many": ([P, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_double),
                                 ctypes.c_size_t], ctypes.c_int),
        "aipm_recording_summary_json": ([ctypes.c_char_p, ctypes.POINTER(P)], ctypes.c_int),
        "aipm_recording_phases_json": ([ctypes.c_char_p, ctypes.POINTER(P)], ctypes.c_int),
        "aipm_recording_metrics_json": ([ctypes.c_char_p, ctypes.POINTER(P)], ctypes.c_int),
        "aipm_recording_csv": ([ctypes.c_char_p, ctypes.POINTER(P)], ctypes.c_int),
        "aipm_meter_model": ([P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t], ctypes.c_int),
        "aipm_string_free": ([P], None),
        "aipm_probe_options_init": ([ctypes.POINTER(_ProbeOptions), ctypes.c_uint], ctypes.c_int),
        "aipm_probe_json": ([ctypes.POINTER(_ProbeOptions), ctypes.POINTER(P)], ctypes.c_int),
        "aipm_probe_text": ([ctypes.POINTER(_ProbeOptions), ctypes.POINTER(P)], ctypes.c_int),
        "aipm_report_options_init": ([ctypes.POINTER(_ReportOptions), ctypes.c_uint], ctypes.c_int),
        "aipm_report_time_parse": ([ctypes.c_char_p, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int)],
                                   ctypes.c_int),
        "aipm_report_text": ([ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.POINTER(_ReportOptions),
                              ctypes.POINTER(P)], ctypes.c_int),
        "aipm_report_json": ([ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.POINTER(_ReportOptions),
                              ctypes.POINTER(P)], ctypes.c_int),
        "aipm_report_html": ([ctypes.c_char_p, ctypes.POINTER(_ReportOptions), ctypes.c_char_p], ctypes.c_int),
        "aipm_model_json": ([ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.POINTER(P)],
                            ctypes.c_int),
    }
    for name, (args, res) in sigs.items():
        f = getattr(lib, name)
        f.argtypes, f.restype = args, res


def _check(rc):
    if rc < 0:
        # aipm_error_last is per thread: read it in the thread that failed.
        msg = _lib.aipm_error_last().decode("utf-8", "replace")
        raise AipmError(-rc, msg)
    return rc


def _b(s, what):
    if not isinstance(s, (str, bytes, os.PathLike)):
        raise TypeError("%s must be a string, not %s" % (what, type(s).__name__))
    s = os.fspath(s)
    return s.encode() if isinstance(s, str) else s


def version():
    """The version of the loaded libaipm."""
    return _load().aipm_version().decode()


def library_path():
    """Which libaipm this module loaded."""
    _load()
    return _lib_path


def _take_string(call):
    """Call fn(..., &out) and return out's text, freed with aipm_string_free."""
    out = ctypes.c_void_p()
    _check(call(ctypes.byref(out)))
    try:
        return ctypes.string_at(out).decode("utf-8", "replace")
    finally:
        _lib.aipm_string_free(out)


def probe(text=False):
    """What this machine can measure: the dict of `aipm probe --json`
    (each source, available or not, why, the fix; the scope `aipm run`
    would use), or with text=True the text of `aipm probe`. The AIPM_*
    roots of os.environ are passed on, as the command does."""
    lib = _load()
    opts = _ProbeOptions()
    _check(lib.aipm_probe_options_init(ctypes.byref(opts), _PROBE_OPTIONS_VERSION))
    for name, var in _OPTIONS_ENV:
        if os.environ.get(var):
            setattr(opts, name, os.fsencode(os.environ[var]))
    if text:
        return _take_string(lambda out: lib.aipm_probe_text(ctypes.byref(opts), out))
    return json.loads(_take_string(lambda out: lib.aipm_probe_json(ctypes.byref(opts), out)))


def _time(lib, value, what):
    """A window bound: seconds from the start (a number), or a local date
    string as `aipm report --from` takes it ("2026-11-25 19:20:01")."""
    v, rel = ctypes.c_double(), ctypes.c_int()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(float(value)).encode()
    elif isinstance(value, str):
        text = value.encode()
    else:
        raise TypeError("%s must be seconds from the start or a date string, not %s" % (what, type(value).__name__))
    _check(lib.aipm_report_time_parse(text, ctypes.byref(v), ctypes.byref(rel)))
    return v.value, rel.value


def _report_options(lib, view="summary", start=None, end=None, carbon_intensity=None, pue=None, threads=None):
    if view not in _REPORT_VIEWS:
        raise ValueError("view must be one of %s, not %r" % (", ".join(_REPORT_VIEWS), view))
    opts = _ReportOptions()
    _check(lib.aipm_report_options_init(ctypes.byref(opts), _REPORT_OPTIONS_VERSION))
    opts.view = _REPORT_VIEWS[view]
    if start is not None:
        opts.has_from = 1
        opts.from_s, opts.from_relative = _time(lib, start, "start")
    if end is not None:
        opts.has_to = 1
        opts.to_s, opts.to_relative = _time(lib, end, "end")
    if carbon_intensity is not None:
        opts.has_carbon, opts.carbon_g_per_kwh = 1, float(carbon_intensity)
    if pue is not None:
        opts.has_pue, opts.pue = 1, float(pue)
    # The environment is read here, in the caller's thread (the library never
    # reads it), as the command reads AIPM_THREADS.
    env = os.environ.get("AIPM_THREADS", "")
    opts.threads = int(threads) if threads else (int(env) if env.isdigit() else 0)
    return opts


def report(dirs, text=False, view="summary", start=None, end=None, carbon_intensity=None, pue=None, threads=None):
    """The report of `aipm report DIR...`: one recording (a path) or several
    (a list: one block each and their total). A dict (the JSON), or with
    text=True the text a person reads. view: "summary", "phases" (by
    phase) or "metrics" (the energy at each logged point). start and end:
    a window, seconds from the start or a local date string; with
    carbon_intensity (gCO2e/kWh) and pue they apply to the summary."""
    lib = _load()
    paths = [dirs] if isinstance(dirs, (str, bytes, os.PathLike)) else list(dirs)
    arr = (ctypes.c_char_p * len(paths))(*[_b(d, "dir") for d in paths])
    opts = _report_options(lib, view, start, end, carbon_intensity, pue, threads)
    fn = lib.aipm_report_text if text else lib.aipm_report_json
    out = _take_string(lambda o: fn(arr, len(paths), ctypes.byref(opts), o))
    return out if text else json.loads(out)


def model_summary(onnx_path, input_shapes=None):
    """The dict of `aipm model FILE.onnx --json` (parameters, multiply-
    accumulates per operator type). input_shapes: {"input": (1, 3, 224,
    224)} for inputs whose shape the file leaves symbolic."""
    lib = _load()
    shapes = ["%s=%s" % (k, "x".join(str(int(d)) for d in v)) for k, v in (input_shapes or {}).items()]
    arr = (ctypes.c_char_p * len(shapes))(*[x.encode() for x in shapes]) if shapes else None
    return json.loads(_take_string(lambda o: lib.aipm_model_json(_b(onnx_path, "onnx_path"), arr, len(shapes), o)))


def _cuda_sync():
    """torch.cuda.synchronize() when torch with CUDA is importable: the GPU
    work queued so far finishes before the edge sample is taken. Without
    torch or CUDA nothing can be queued, so there is nothing to wait for."""
    try:
        import torch
    except ImportError:
        return
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_available():
        cuda.synchronize()


class Phase:
    """A phase that began; ends at the end of a with block, or by end()."""

    def __init__(self, meter, name, sync=False):
        self._meter, self.name, self._ended, self._sync = meter, name, False, sync

    def end(self):
        if not self._ended:
            self._ended = True
            if self._sync:
                _cuda_sync()
            self._meter.end_phase(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # An exception inside the block ends the phase too: its energy up
        # to the failure is still real.
        self.end()
        return False


def _input_shapes(input_size):
    """(1, 3, 224, 224), or a list of such tuples for a model of several inputs."""
    if input_size is None:
        raise ValueError("model given without input_size: give the shape of one batch, e.g. "
                         "input_size=(1, 3, 224, 224)")
    sizes = list(input_size)
    if sizes and all(isinstance(d, int) for d in sizes):
        sizes = [tuple(sizes)]
    for sz in sizes:
        if not isinstance(sz, (tuple, list)) or not sz or not all(isinstance(d, int) and d > 0 for d in sz):
            raise ValueError("input_size: %r is not a shape such as (1, 3, 224, 224)" % (sz,))
    return [tuple(sz) for sz in sizes]


def model_to_onnx(model, input_size, path):
    """Export a PyTorch model to ONNX at path, in the settings under which
    aipm's counts are exact (README, Model complexity): the model's own
    mode kept (training=PRESERVE: no Conv+BatchNorm fusion) and no constant
    folding. The model is left as it was: its buffers (BatchNorm running
    statistics, which a forward pass in training mode updates) and the
    random number generator's state are put back."""
    try:
        import torch
    except ImportError:
        raise TypeError("model: %s is no PyTorch model (torch cannot be imported here). Pass an "
                        "ONNX file's path instead" % type(model).__name__) from None
    if not isinstance(model, torch.nn.Module):
        raise TypeError("model: %s is not a torch.nn.Module. Pass the network, or an ONNX file's path"
                        % type(model).__name__)
    shapes = _input_shapes(input_size)
    params = list(model.parameters())
    device = params[0].device if params else None
    args = tuple(torch.zeros(*sz, device=device) for sz in shapes)
    saved = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.onnx.export(model, args if len(args) > 1 else args[0], path,
                              training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    finally:
        with torch.no_grad():
            for b, v in saved:
                b.copy_(v)


class Meter:
    """Measures this process and its children into a recording directory.

    Started on construction; stop() or the end of a with block stops it.
    One meter per process at a time (a second raises AipmError EBUSY).
    model: a PyTorch network (with input_size, the shape of one batch) or
    the path of an ONNX file: its parameters and multiply-accumulates are
    stored as model_summary.json, counted by aipm's own ONNX reader. The
    network is exported before the meter starts, so the export's CPU time
    is not the experiment's.
    """

    def __init__(self, dir, description=None, interval=None, mem_interval=None, append=False, model=None,
                 input_size=None):
        lib = _load()
        self.dir = os.fspath(dir)
        opts = _Options()
        _check(lib.aipm_meter_options_init(ctypes.byref(opts), _OPTIONS_VERSION))
        opts.description = _b(description, "description") if description is not None else None
        opts.interval_s, opts.mem_interval_s = float(interval or 0), float(mem_interval or 0)
        opts.append = 1 if append else 0
        for name, var in _OPTIONS_ENV:
            if os.environ.get(var):
                setattr(opts, name, os.fsencode(os.environ[var]))
        with tempfile.TemporaryDirectory(prefix="aipm-model.") as tmp:
            onnx = None
            if isinstance(model, (str, bytes, os.PathLike)):
                onnx = model
            elif model is not None:
                onnx = os.path.join(tmp, "model.onnx")
                model_to_onnx(model, input_size, onnx)
            handle = ctypes.c_void_p()
            _check(lib.aipm_meter_start(ctypes.byref(handle), _b(dir, "dir"), ctypes.byref(opts)))
            self._h = handle
            if onnx is not None:
                try:
                    _check(lib.aipm_meter_model(handle, _b(onnx, "model"), None, 0))
                except BaseException:
                    self.stop()
                    raise

    def _handle(self, what):
        if self._h is None:
            raise AipmError(_errno.EINVAL, "%s: the measurement into %s is already stopped. Start a new one "
                            "(append=True to add a segment)" % (what, self.dir))
        return self._h

    def begin_phase(self, name):
        _check(_lib.aipm_meter_phase_begin(self._handle("phase"), _b(name, "phase name")))

    def end_phase(self, name):
        _check(_lib.aipm_meter_phase_end(self._handle("end_phase"), _b(name, "phase name")))

    def phase(self, name, sync=False):
        """Begin phase NAME now; returns a Phase, usable as a context manager.

        Each edge is a sample taken at that instant. With sync=True, both
        edges first wait for the GPU work queued so far
        (torch.cuda.synchronize(), when torch with CUDA is importable), so
        kernels launched before an edge count in the phase they belong to."""
        if sync:
            _cuda_sync()
        self.begin_phase(name)
        return Phase(self, name, sync)

    def log(self, metrics=None, **kw):
        """Log numbers, m.log(acc=0.93, loss=0.2) or m.log({"top-1": 0.93}), as one line."""
        items = dict(metrics or {}, **kw)
        if not items:
            raise ValueError("log: give at least one metric, e.g. m.log(acc=0.93)")
        names = (ctypes.c_char_p * len(items))()
        values = (ctypes.c_double * len(items))()
        for i, (k, v) in enumerate(items.items()):
            if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
                raise TypeError("log: metric %r must be a number, not %s" % (k, type(v).__name__))
            names[i], values[i] = _b(k, "metric name"), float(v)
        _check(_lib.aipm_meter_log_many(self._handle("log"), names, values, len(items)))

    def stop(self):
        """Take the last sample and close the recording's segment."""
        h = self._handle("stop")
        self._h = None
        try:
            _check(_lib.aipm_meter_stop(h))
        finally:
            _lib.aipm_meter_free(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._h is not None:
            self.stop()
        return False

    def __del__(self):
        h = getattr(self, "_h", None)
        if h is not None and _lib is not None:
            self._h = None
            _lib.aipm_meter_free(h)


def measure(dir, description=None, interval=None, mem_interval=None, append=False, model=None, input_size=None):
    """Start measuring into dir; use as `with aipm.measure("out") as m:`.
    model=net, input_size=(1, 3, 224, 224) stores model_summary.json."""
    return Meter(dir, description=description, interval=interval, mem_interval=mem_interval, append=append,
                 model=model, input_size=input_size)


class Recording:
    """A recording on disk (from aipm run, aipm attach or a Meter)."""

    def __init__(self, dir):
        self.dir = os.fspath(dir)

    def _json(self, fn):
        lib = _load()
        out = ctypes.c_void_p()
        _check(getattr(lib, fn)(_b(self.dir, "dir"), ctypes.byref(out)))
        try:
            return json.loads(ctypes.string_at(out).decode("utf-8", "replace"))
        finally:
            lib.aipm_string_free(out)

    def summary(self):
        """The dict of `aipm report DIR --json`."""
        return self._json("aipm_recording_summary_json")

    def phases(self):
        """The dict of `aipm report --by-phase --json`: "phases" one by one, "by_name" summed."""
        return self._json("aipm_recording_phases_json")

    def metrics(self):
        """The dict of `aipm report --metrics --json`: "points", the energy at each logged point."""
        return self._json("aipm_recording_metrics_json")

    def report(self, text=False, view="summary", start=None, end=None, carbon_intensity=None, pue=None):
        """aipm.report() of this recording: the dict (or text) of `aipm report`."""
        return report(self.dir, text=text, view=view, start=start, end=end, carbon_intensity=carbon_intensity,
                      pue=pue)

    def html(self, path, carbon_intensity=None, pue=None):
        """Write the self-contained HTML page of `aipm report --html` to path."""
        lib = _load()
        opts = _report_options(lib, carbon_intensity=carbon_intensity, pue=pue)
        _check(lib.aipm_report_html(_b(self.dir, "dir"), ctypes.byref(opts), _b(path, "path")))

    def csv(self):
        """The text of `aipm export --csv`: one row per sample, one column per metric."""
        lib = _load()
        out = ctypes.c_void_p()
        _check(lib.aipm_recording_csv(_b(self.dir, "dir"), ctypes.byref(out)))
        try:
            return ctypes.string_at(out).decode("utf-8", "replace")
        finally:
            lib.aipm_string_free(out)
