#!/usr/bin/python3
"""Export torchvision's classification models to stripped ONNX fixtures and
record the truth `aipm model` is checked against (tests/model/cli_torchvision.sh).

Run with Debian 12's python3 (apt-get install python3-torch python3-torchvision
python3-onnx; they install for /usr/bin/python3):
    /usr/bin/python3 scripts/export_torchvision.py [--only NAME,NAME] [--opset N] [--fold] [OUTDIR]
OUTDIR defaults to tests/fixtures/onnx/torchvision. CI does not run this
script (no torch there); it reads the committed fixtures and truth.json.
--opset (default 14, torch 1.13's) and --fold (torch's default export:
eval-mode Conv+BatchNorm fusion and constant folding, so parameters come out
fewer, REFERENCE 5.5) are for trying the other forms users export; the
committed fixtures use neither. Then compare with
    python3 tests/model/torchvision_table.py build/aipm OUTDIR

Each model is built with weights=None (random weights: the counts do not
depend on values), put in eval mode and exported at 1x3x224x224 with
training=PRESERVE and no constant folding, so Conv+BatchNorm are not fused
and the ONNX initializers are torchvision's parameters (REFERENCE 5.5).
GoogLeNet and Inception v3 are built without their auxiliary classifiers:
eval mode never runs them, so they would be parameters no export contains
(torchvision's published num_params for GoogLeNet leaves them out too).

The truth, per model:
  params      sum of p.numel() over model.parameters()
  macs_hooks  forward hooks: Conv2d out.numel() * in/groups * prod(kernel),
              Linear out.numel() * in_features, and for the attention modules
              (nn.MultiheadAttention, torchvision's ShiftedWindowAttention),
              whose projections are F.linear calls a Linear hook never sees,
              the projections plus the two batched products Q.K^T and A.V
  macs_calls  an independent count of every conv2d/linear/matmul/bmm call
              (a TorchFunctionMode), a check on the hooks: both must agree
Weight bytes are stripped (dims and data types kept, small integer tensors
kept because shapes depend on them; aipm never reads weights) and
value_info is dropped, so aipm must propagate every shape itself.
"""
import io
import json
import math
import os
import sys

import onnx
import torch
import torchvision
from torch.overrides import TorchFunctionMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import strip  # noqa: E402  one stripping rule for every fixture

M = torchvision.models
MODELS = {
    "resnet18": lambda: M.resnet18(weights=None),
    "resnet50": lambda: M.resnet50(weights=None),
    "densenet121": lambda: M.densenet121(weights=None),
    "inception_v3": lambda: M.inception_v3(weights=None, aux_logits=False, init_weights=False),
    "googlenet": lambda: M.googlenet(weights=None, aux_logits=False, init_weights=False),
    "shufflenet_v2_x1_0": lambda: M.shufflenet_v2_x1_0(weights=None),
    "squeezenet1_0": lambda: M.squeezenet1_0(weights=None),
    "squeezenet1_1": lambda: M.squeezenet1_1(weights=None),
    "regnet_y_400mf": lambda: M.regnet_y_400mf(weights=None),
    "regnet_x_400mf": lambda: M.regnet_x_400mf(weights=None),
    "convnext_tiny": lambda: M.convnext_tiny(weights=None),
    "vit_b_16": lambda: M.vit_b_16(weights=None),
    "swin_t": lambda: M.swin_t(weights=None),
    "mobilenet_v2": lambda: M.mobilenet_v2(weights=None),
    "mobilenet_v3_small": lambda: M.mobilenet_v3_small(weights=None),
    "efficientnet_b0": lambda: M.efficientnet_b0(weights=None),
    "alexnet": lambda: M.alexnet(weights=None),
    "vgg11": lambda: M.vgg11(weights=None),
}
SHAPE = (1, 3, 224, 224)
OPSET = 14


def mha_macs(mod, query, key):
    """nn.MultiheadAttention: Q, K, V and output projections plus Q.K^T and A.V."""
    if not mod.batch_first:
        query, key = query.transpose(0, 1), key.transpose(0, 1)
    b, lq, e = query.shape
    lk = key.shape[1]
    return b * (lq * e * e + 2 * lk * e * e + 2 * lq * lk * e + lq * e * e)


def swin_macs(mod, x):
    """torchvision's ShiftedWindowAttention on [B, H, W, C], padded to whole windows."""
    b, h, w, c = x.shape
    wh, ww = mod.window_size
    ph, pw = math.ceil(h / wh) * wh, math.ceil(w / ww) * ww
    tokens, n = b * ph * pw, wh * ww
    windows = tokens // n
    return tokens * c * 3 * c + 2 * windows * n * n * c + tokens * c * c


def hook_macs(model, x):
    """MACs from forward hooks on Conv2d and Linear, and from the inputs of
    each attention module (torch 1.13's hooks do not see keyword arguments,
    which is how ViT calls its attention, so that one wraps forward)."""
    from torchvision.models.swin_transformer import ShiftedWindowAttention
    total = [0]

    def conv(mod, args, out):
        total[0] += out.numel() * (mod.in_channels // mod.groups) * math.prod(mod.kernel_size)

    def linear(mod, args, out):
        total[0] += out.numel() * mod.in_features

    def wrap(mod, count):
        forward = mod.forward

        def counted(*args, **kwargs):
            total[0] += count(mod, *args, **kwargs)
            return forward(*args, **kwargs)
        mod.forward = counted
        return mod, forward

    handles, wrapped = [], []
    for mod in model.modules():
        if isinstance(mod, torch.nn.Conv2d):
            handles.append(mod.register_forward_hook(conv))
        elif isinstance(mod, torch.nn.Linear):  # attention calls its own projections through F.linear, not these
            handles.append(mod.register_forward_hook(linear))
        if isinstance(mod, torch.nn.MultiheadAttention):
            wrapped.append(wrap(mod, lambda m, query, key, *a, **k: mha_macs(m, query, key)))
        elif isinstance(mod, ShiftedWindowAttention):
            wrapped.append(wrap(mod, lambda m, x, *a, **k: swin_macs(m, x)))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    for mod, forward in wrapped:
        mod.forward = forward
    return total[0]


class CallCounter(TorchFunctionMode):
    """MACs of every multiplying call, whoever makes it (the hooks' cross-check)."""

    def __init__(self):
        super().__init__()
        self.macs = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name == "conv2d":
            w = args[1]
            self.macs += out.numel() * w.shape[1] * w.shape[2] * w.shape[3]
        elif name == "linear":
            self.macs += out.numel() * args[1].shape[-1]
        elif name in ("matmul", "bmm", "__matmul__"):
            a = args[0]
            self.macs += out.numel() * a.shape[-1]
        elif name == "multi_head_attention_forward":  # one call: the mode does not see inside
            q, k = args[0], args[1]  # [L, B, E], sequence first
            (lq, b, e), lk = q.shape, k.shape[0]
            self.macs += b * (lq * e * e + 2 * lk * e * e + 2 * lq * lk * e + lq * e * e)
        return out


def call_macs(model, x):
    c = CallCounter()
    with torch.no_grad(), c:
        model(x)
    return c.macs


def shorten(g):
    """Name intermediate values t0, t1... and nodes by op type and index:
    the exporter's names ("/features/features.5/features.5.3/attn/Concat_32")
    are nine tenths of a stripped file. Initializer names (torchvision's
    parameter names) and the graph's input and output keep theirs."""
    keep = {t.name for t in g.initializer} | {v.name for v in g.input} | {v.name for v in g.output}
    names = {}
    for i, n in enumerate(g.node):
        n.name = "%s_%d" % (n.op_type, i)
        n.doc_string = ""
        for k, o in enumerate(n.output):
            if o and o not in keep:
                names[o] = "t%d" % len(names)
                n.output[k] = names[o]
    for n in g.node:
        for k, x in enumerate(n.input):
            n.input[k] = names.get(x, x)


def export(model, x, path, opset, fold):
    buf = io.BytesIO()
    torch.onnx.export(model, x, buf, input_names=["input"], output_names=["output"], opset_version=opset,
                      do_constant_folding=fold,
                      training=torch.onnx.TrainingMode.EVAL if fold else torch.onnx.TrainingMode.PRESERVE)
    m = strip(onnx.load_from_string(buf.getvalue()))
    del m.graph.value_info[:]
    shorten(m.graph)
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    return os.path.getsize(path)


def flag_value(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    values = {flag_value(f, None) for f in ("--only", "--opset")}
    args = [a for a in sys.argv[1:] if not a.startswith("--") and a not in values]
    only = flag_value("--only", None)
    only = only.split(",") if only else None
    opset, fold = int(flag_value("--opset", OPSET)), "--fold" in sys.argv
    out = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                                            "onnx", "torchvision")
    os.makedirs(out, exist_ok=True)
    truth_path = os.path.join(out, "truth.json")
    truth = json.load(open(truth_path)) if os.path.exists(truth_path) else {}
    torch.manual_seed(0)
    x = torch.zeros(*SHAPE)
    for name, make in MODELS.items():
        if only and name not in only:
            continue
        model = make().eval()
        params = sum(p.numel() for p in model.parameters())
        hooks, calls = hook_macs(model, x), call_macs(model, x)
        size = export(model, x, os.path.join(out, name + ".onnx"), opset, fold)
        truth[name] = {"params": params, "macs_hooks": hooks, "macs_calls": calls, "input": list(SHAPE),
                       "opset": opset, "folded": fold, "torch": torch.__version__, "torchvision": torchvision.__version__}
        print("%-20s params %12d  MACs hooks %14d  calls %14d  %s  %d bytes" %
              (name, params, hooks, calls, "ok" if hooks == calls else "HOOKS AND CALLS DIFFER", size))
        with open(truth_path, "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
