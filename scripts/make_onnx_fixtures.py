#!/usr/bin/python3
"""Regenerate tests/fixtures/onnx/: ONNX models for `aipm model` tests.

Run with Debian's python3 (python3-torch, python3-torchvision, python3-onnx):
    /usr/bin/python3 scripts/make_onnx_fixtures.py [--no-torch] [OUTDIR]
(--no-torch: only the hand-built graphs, for machines without torch)

Real exports (ResNet-18/50 by torch.onnx.export, and a small CNN whose counts
are worked out by hand below) exercise the exporter's habits: Identity nodes
aliasing equal initializers, BatchNormalization kept by TrainingMode.PRESERVE.
Weight bytes are stripped (dims and data_type kept) so the files stay small
enough to commit; aipm never reads weight values. Small integer tensors
(shapes for Reshape, Slice bounds) are kept because shapes depend on them.

Hand-built graphs (onnx.helper) pin one operator each; their expected
numbers are written by hand in CASES and copied to expected.txt, which the
shell test reads. Bad inputs (a cycle, absurd dims, a symbolic input) are
built here too.
"""
import io
import os
import sys

import onnx
from onnx import TensorProto, helper

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
OUT = ARGS[0] if ARGS else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")
KEEP_INT_VALUES = 64  # same threshold as ONNX_SMALL_VALUES in src/lib/model/onnx.h


def strip(model):
    """Drop weight payloads, keep dims/data_type and small integer tensors."""
    def strip_tensor(t):
        n = 1
        for d in t.dims:
            n *= d
        if t.data_type in (TensorProto.INT64, TensorProto.INT32) and n <= KEEP_INT_VALUES:
            return
        t.ClearField("raw_data")
        for f in ("float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
            t.ClearField(f)
    for t in model.graph.initializer:
        strip_tensor(t)
    for node in model.graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                strip_tensor(a.t)
    return model


def save(model, name):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def export_torch(module, shape, name):
    import torch
    module.eval()
    buf = io.BytesIO()
    torch.onnx.export(module, torch.zeros(*shape), buf, input_names=["input"], output_names=["output"],
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    save(strip(onnx.load_from_string(buf.getvalue())), name)


def torch_models():
    import torch
    import torchvision
    torch.manual_seed(0)
    export_torch(torchvision.models.resnet18(weights=None), (1, 3, 224, 224), "resnet18.onnx")
    export_torch(torchvision.models.resnet50(weights=None), (1, 3, 224, 224), "resnet50.onnx")
    # small.onnx, by hand (input 1x3x8x8):
    #   Conv 3->4 k3 pad1: params 4*3*3*3+4 = 112, MACs 4*3*9*8*8 = 6912
    #   BatchNorm(4): params 8 (weight, bias); running mean/var are 8 buffer elements
    #   MaxPool 2 -> 1x4x4x4, Flatten -> 1x64
    #   Linear 64->10: params 640+10 = 650, MACs 640
    #   total params 770, MACs 7552
    small = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64, 10))
    export_torch(small, (1, 3, 8, 8), "small.onnx")


F = TensorProto.FLOAT


def init(name, dims, dtype=F, vals=None):
    if vals is not None:
        return helper.make_tensor(name, dtype, dims, vals)
    t = TensorProto(name=name, data_type=dtype)
    t.dims.extend(dims)
    return t


def graph_model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


# name -> (model, params_total, macs, output shape "AxB..." of the first graph output)
CASES = {}


def case(name, model, params, macs, out_shape):
    CASES[name] = (model, params, macs, out_shape)


def op_cases():
    N = helper.make_node
    # Conv, group 2, stride 2, pad 1, dilation 2: X 1x4x9x9, W 6x2x3x3 (+bias 6).
    # out = floor((9+2-5)/2)+1 = 4 -> MACs = 6*2*9*16 = 1728; params 108+6 = 114
    case("conv_group", graph_model(
        [N("Conv", ["x", "w", "b"], ["y"], group=2, strides=[2, 2], pads=[1, 1, 1, 1], dilations=[2, 2])],
        [vi("x", [1, 4, 9, 9])], [vi("y", None)], [init("w", [6, 2, 3, 3]), init("b", [6])]),
        114, 1728, "1x6x4x4")
    # Conv SAME_UPPER stride 2: X 1x3x7x7, W 8x3x3x3 -> out ceil(7/2)=4 -> MACs 8*3*9*16 = 3456
    case("conv_same", graph_model(
        [N("Conv", ["x", "w"], ["y"], strides=[2, 2], auto_pad="SAME_UPPER")],
        [vi("x", [1, 3, 7, 7])], [vi("y", None)], [init("w", [8, 3, 3, 3])]),
        216, 3456, "1x8x4x4")
    # Conv VALID, 1-D: X 2x3x10, W 5x3x4 -> out 7 -> MACs 2*5*3*4*7 = 840
    case("conv1d_valid", graph_model(
        [N("Conv", ["x", "w"], ["y"], auto_pad="VALID")],
        [vi("x", [2, 3, 10])], [vi("y", None)], [init("w", [5, 3, 4])]),
        60, 840, "2x5x7")
    # ConvTranspose: X 1x4x5x5, W 4x3x3x3 (C x M/group), stride 2 -> out (5-1)*2+3 = 11
    # MACs = N*C*(M/group)*k*H_in = 4*3*9*25 = 2700
    case("convtranspose", graph_model(
        [N("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2])],
        [vi("x", [1, 4, 5, 5])], [vi("y", None)], [init("w", [4, 3, 3, 3])]),
        108, 2700, "1x3x11x11")
    # Gemm transA transB: A 7x3 (A' 3x7), B 5x7 (B' 7x5) -> 3x5, MACs 3*5*7 = 105
    case("gemm_trans", graph_model(
        [N("Gemm", ["a", "b", "c"], ["y"], transA=1, transB=1)],
        [vi("a", [7, 3])], [vi("y", None)], [init("b", [5, 7]), init("c", [5])]),
        40, 105, "3x5")
    # MatMul batched + broadcast: [2,1,4,3] x [5,3,6] -> [2,5,4,6], MACs 10*4*6*3 = 720
    case("matmul_bcast", graph_model(
        [N("MatMul", ["a", "b"], ["y"])], [vi("a", [2, 1, 4, 3]), vi("b", [5, 3, 6])], [vi("y", None)]),
        0, 720, "2x5x4x6")
    # MatMul 1-D x 2-D: [3] x [3,4] -> [4], MACs 12; weight 12 params
    case("matmul_1d", graph_model(
        [N("MatMul", ["a", "w"], ["y"])], [vi("a", [3])], [vi("y", None)], [init("w", [3, 4])]),
        12, 12, "4")
    # Reshape with 0 and -1 from an int64 initializer: [2,3,4,5] -> [2,-1,0? no: 0 copies dim1]
    # shape [0, -1, 5] -> [2, 12, 5]; then MatMul with W [5,7]: MACs 2*12*7*5 = 840
    case("reshape_matmul", graph_model(
        [N("Reshape", ["x", "s"], ["r"]), N("MatMul", ["r", "w"], ["y"])],
        [vi("x", [2, 3, 4, 5])], [vi("y", None)],
        [init("s", [3], TensorProto.INT64, [0, -1, 5]), init("w", [5, 7])]),
        35, 840, "2x12x7")  # the int64 shape tensor is a constant, not a parameter
    # Transpose + Concat + Split + Gemm: x [4,6] -T-> [6,4]; concat with itself axis 1 -> [6,8];
    # split axis 1 [3,5] -> [6,3],[6,5]; Gemm [6,5]x[5,2] -> 60 MACs
    case("transpose_concat_split", graph_model(
        [N("Transpose", ["x"], ["t"], perm=[1, 0]), N("Concat", ["t", "t"], ["c"], axis=1),
         N("Split", ["c", "sp"], ["s1", "s2"], axis=1), N("Gemm", ["s2", "w"], ["y"])],
        [vi("x", [4, 6])], [vi("y", None)],
        [init("sp", [2], TensorProto.INT64, [3, 5]), init("w", [5, 2])]),
        10, 60, "6x2")
    # Gather (embedding) + Unsqueeze + Squeeze + Slice + MatMul:
    # E [100,16] gathered by ids [1,7] -> [1,7,16]; Unsqueeze axes [0] -> [1,1,7,16];
    # Squeeze axes [0] -> [1,7,16]; Slice axis 1 [1:6] -> [1,5,16]; MatMul W [16,8] -> MACs 5*8*16 = 640
    i64 = TensorProto.INT64
    case("gather_slice", graph_model(
        [N("Gather", ["emb", "ids"], ["g"]), N("Unsqueeze", ["g", "ax"], ["u"]), N("Squeeze", ["u", "ax"], ["q"]),
         N("Slice", ["q", "st", "en", "sax"], ["s"]), N("MatMul", ["s", "w"], ["y"])],
        [vi("ids", [1, 7], i64)], [vi("y", None)],
        [init("emb", [100, 16]), init("ax", [1], i64, [0]), init("st", [1], i64, [1]), init("en", [1], i64, [6]),
         init("sax", [1], i64, [1]), init("w", [16, 8])]),
        1600 + 128, 640, "1x5x8")
    # Pools, GlobalAveragePool, Flatten, Softmax, Add broadcast, LayerNorm:
    # X 1x2x12x12 -MaxPool k3 s2 ceil_mode-> 1x2x6x6 (floor would give 5) -AveragePool k2 s2 pad 0-> 1x2x3x3
    # -Add bias [3]-> -GAP-> 1x2x1x1 -Flatten-> 1x2 -Gemm W [2,3]-> 1x3 (6 MACs)
    case("pools", graph_model(
        [N("MaxPool", ["x"], ["p"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
         N("AveragePool", ["p"], ["a"], kernel_shape=[2, 2], strides=[2, 2]),
         N("Add", ["a", "bias"], ["ab"]), N("GlobalAveragePool", ["ab"], ["g"]), N("Flatten", ["g"], ["f"]),
         N("Gemm", ["f", "w"], ["z"]), N("Softmax", ["z"], ["y"], axis=-1)],
        [vi("x", [1, 2, 12, 12])], [vi("y", None)], [init("bias", [3]), init("w", [2, 3])]),
        3 + 6, 6, "1x3")
    # Identity aliasing a deduplicated initializer counts as the parameters it stands for;
    # BN running mean/var (inputs 3, 4) are buffers. Conv W [4,4,1,1] (16) and its alias (16);
    # BN scale/bias 4+4 params, mean/var 4+4 buffers. MACs 2 convs * 4*4*2*2 = 128
    case("identity_alias_bn", graph_model(
        [N("Identity", ["w"], ["w2"]), N("Conv", ["x", "w"], ["c1"]), N("Conv", ["c1", "w2"], ["c2"]),
         N("BatchNormalization", ["c2", "s", "b", "m", "v"], ["y"])],
        [vi("x", [1, 4, 2, 2])], [vi("y", None)],
        [init("w", [4, 4, 1, 1]), init("s", [4]), init("b", [4]), init("m", [4]), init("v", [4])]),
        40, 128, "1x4x2x2")
    # A Constant node holding a weight (3x2 floats) counts as 6 parameters; MatMul [1,3]x[3,2] = 6 MACs
    case("constant_weight", graph_model(
        [N("Constant", [], ["w"], value=init("cw", [3, 2])), N("MatMul", ["x", "w"], ["y"])],
        [vi("x", [1, 3])], [vi("y", None)]),
        6, 6, "1x2")
    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape (the dynamic-reshape idiom of exporters):
    # x [2,3,4] -> shape [2, 12]; MatMul with W [12,5] -> MACs 2*5*12 = 120
    case("shape_chain", graph_model(
        [N("Shape", ["x"], ["sh"]), N("Gather", ["sh", "zero"], ["d0"], axis=0),
         N("Unsqueeze", ["d0", "ax"], ["d0u"]), N("Concat", ["d0u", "m1"], ["ns"], axis=0),
         N("Reshape", ["x", "ns"], ["r"]), N("MatMul", ["r", "w"], ["y"])],
        [vi("x", [2, 3, 4])], [vi("y", None)],
        [init("zero", [], i64, [0]), init("ax", [1], i64, [0]), init("m1", [1], i64, [-1]), init("w", [12, 5])]),
        60, 120, "2x5")
    # External data: the initializer's dims alone size it (the data file need not exist).
    ext = init("w", [64, 32])
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key="location", value="weights.bin")
    case("external_data", graph_model(
        [N("MatMul", ["x", "w"], ["y"])], [vi("x", [1, 64])], [vi("y", None)], [ext]),
        2048, 2048, "1x32")
    pad_cases()
    # An operator aipm cannot size (LSTM) is listed in unsized_ops, never counted as zero.
    case("unsized_lstm", graph_model(
        [N("LSTM", ["x", "w", "r"], ["y"], hidden_size=4)],
        [vi("x", [5, 1, 3])], [vi("y", None)], [init("w", [1, 16, 3]), init("r", [1, 16, 4])]),
        112, 0, "")


def pad_cases():
    """Pad and the shape arithmetic exporters wrap around it (torchvision's
    DenseNet, Inception, Swin), and the other idioms of its models."""
    N = helper.make_node
    i64 = TensorProto.INT64
    # Pad, pads as an int64 input (opset 11+): x 1x2x5x5, begins [0,0,1,2], ends [0,0,3,0] -> 1x2x9x7;
    # Conv W 3x2x3x3 -> 1x3x7x5, MACs 3*2*9*35 = 1890; params 54 (the pads are a constant)
    case("pad_input", graph_model(
        [N("Pad", ["x", "p"], ["xp"], mode="constant"), N("Conv", ["xp", "w"], ["y"])],
        [vi("x", [1, 2, 5, 5])], [vi("y", None)],
        [init("p", [8], i64, [0, 0, 1, 2, 0, 0, 3, 0]), init("w", [3, 2, 3, 3])]),
        54, 1890, "1x3x7x5")
    # Pad, pads as an attribute (opset 10): x 1x1x4x4 -> 1x1x6x6; Conv W 2x1x3x3 -> 4x4, MACs 2*9*16 = 288
    case("pad_attr", graph_model(
        [N("Pad", ["x"], ["xp"], pads=[0, 0, 1, 1, 0, 0, 1, 1]), N("Conv", ["xp", "w"], ["y"])],
        [vi("x", [1, 1, 4, 4])], [vi("y", None)], [init("w", [2, 1, 3, 3])], opset=10),
        18, 288, "1x2x4x4")
    # Pad with axes (opset 18) and a negative pad that crops: axes [2,3], pads [-1,0,0,2]:
    # x 1x1x6x6 -> 1x1x5x8, Flatten 1x40, Gemm W 40x2: 80 MACs
    case("pad_axes_crop", graph_model(
        [N("Pad", ["x", "p", "", "ax"], ["xp"]), N("Flatten", ["xp"], ["f"]), N("Gemm", ["f", "w"], ["y"])],
        [vi("x", [1, 1, 6, 6])], [vi("y", None)],
        [init("p", [4], i64, [-1, 0, 0, 2]), init("ax", [2], i64, [2, 3]), init("w", [40, 2])], opset=18),
        80, 80, "1x2")
    # Swin's padding to whole windows, as torch exports (7 - W % 7) % 7 for an NHWC x 1x10x10x4:
    # Shape, Gather, Mod, Sub, Mod give pad 4 for H and W; Concat builds the pads [0,0,0,0, 0,4,4,0]
    # -> 1x14x14x4; MatMul W 4x6: 14*14*6*4 = 4704 MACs
    seven, zero = init("seven", [], i64, [7]), init("zero4", [5], i64, [0, 0, 0, 0, 0])
    nodes = [N("Shape", ["x"], ["s"])]
    for axis, name in ((1, "dh"), (2, "dw")):
        nodes += [N("Gather", ["s", "i%d" % axis], [name], axis=0), N("Mod", [name, "seven"], [name + "m"]),
                  N("Sub", ["seven", name + "m"], [name + "s"]), N("Mod", [name + "s", "seven"], [name + "p"]),
                  N("Unsqueeze", [name + "p", "ax0"], [name + "u"])]
    nodes += [N("Concat", ["zero4", "dhu", "dwu", "z1"], ["pads"], axis=0), N("Pad", ["x", "pads"], ["xp"]),
              N("MatMul", ["xp", "w"], ["y"])]
    case("pad_window_arith", graph_model(
        nodes, [vi("x", [1, 10, 10, 4])], [vi("y", None)],
        [seven, zero, init("i1", [], i64, [1]), init("i2", [], i64, [2]), init("ax0", [1], i64, [0]),
         init("z1", [1], i64, [0]), init("w", [4, 6])]),
        24, 4704, "1x14x14x6")
    # F.pad's pads as torch exports them: (1, 2) on the last dim of x 1x3x5, padded with zeros
    # to [1,2,0,0,0,0], Reshape [-1,2], Slice reversed (step -1), Transpose, Reshape [-1]
    # -> [0,0,1,0,0,2]: x becomes 1x3x8; MatMul W 8x4: 3*4*8 = 96 MACs
    case("pad_torch_order", graph_model(
        [N("Concat", ["tp", "zeros"], ["c"], axis=0), N("Reshape", ["c", "m12"], ["r"]),
         N("Slice", ["r", "st", "en", "ax", "stp"], ["rev"]), N("Transpose", ["rev"], ["t"], perm=[1, 0]),
         N("Reshape", ["t", "m1"], ["flat"]), N("Cast", ["flat"], ["pads"], to=i64),
         N("Pad", ["x", "pads"], ["xp"]), N("MatMul", ["xp", "w"], ["y"])],
        [vi("x", [1, 3, 5])], [vi("y", None)],
        [init("tp", [2], i64, [1, 2]), init("zeros", [4], i64, [0, 0, 0, 0]), init("m12", [2], i64, [-1, 2]),
         init("st", [1], i64, [-1]), init("en", [1], i64, [-(1 << 63) + 1]), init("ax", [1], i64, [0]),
         init("stp", [1], i64, [-1]), init("m1", [1], i64, [-1]), init("w", [8, 4])]),
        32, 96, "1x3x4")
    # ViT's class token: expand(batch, -1, -1) becomes Where(Equal(shape, -1), ones, shape);
    # x 3x4x8 -> token 1x1x8 expanded to 3x1x8, Concat -> 3x5x8, MatMul W 8x2: 3*5*2*8 = 240 MACs
    case("expand_where", graph_model(
        [N("Shape", ["x"], ["s"]), N("Gather", ["s", "i0"], ["b"], axis=0), N("Unsqueeze", ["b", "ax0"], ["bu"]),
         N("Concat", ["bu", "mm"], ["want"], axis=0), N("Shape", ["want"], ["ws"]),
         N("ConstantOfShape", ["ws"], ["ones"], value=helper.make_tensor("one", i64, [1], [1])),
         N("Equal", ["want", "m1"], ["eq"]), N("Where", ["eq", "ones", "want"], ["shape"]),
         N("Expand", ["tok", "shape"], ["te"]), N("Concat", ["te", "x"], ["c"], axis=1),
         N("MatMul", ["c", "w"], ["y"])],
        [vi("x", [3, 4, 8])], [vi("y", None)],
        [init("i0", [], i64, [0]), init("ax0", [1], i64, [0]), init("mm", [2], i64, [-1, -1]),
         init("m1", [], i64, [-1]), init("tok", [1, 1, 8]), init("w", [8, 2])]),
        24, 240, "3x5x2")
    # Integer Div truncates and Mod (fmod=0) takes the divisor's sign, as ONNX says:
    # shape [Neg(Div(-7, 2)), Mod(-3, 7)] = [3, 4] (floor division would give 4, C's % -3);
    # x 2x6 -> Reshape 3x4, MatMul W 4x2: 3*2*4 = 24 MACs
    case("int_arith", graph_model(
        [N("Div", ["m7", "two"], ["q"]), N("Neg", ["q"], ["nq"]), N("Mod", ["m3", "seven"], ["r"]),
         N("Concat", ["nq", "r"], ["s"], axis=0), N("Reshape", ["x", "s"], ["xr"]), N("MatMul", ["xr", "w"], ["y"])],
        [vi("x", [2, 6])], [vi("y", None)],
        [init("m7", [1], i64, [-7]), init("two", [1], i64, [2]), init("m3", [1], i64, [-3]),
         init("seven", [1], i64, [7]), init("w", [4, 2])]),
        8, 24, "3x2")
    # Range sizes a Gather; ScatterND keeps its data's shape:
    # x 6x6, rows Range(0, 5, 2) = [0,2,4] (ceil(5/2) = 3 of them) -> 3x6, ScatterND -> 3x6,
    # Gemm W 6x3: 3*3*6 = 54 MACs
    case("range_scatter", graph_model(
        [N("Range", ["r0", "r5", "r2"], ["idx"]), N("Gather", ["x", "idx"], ["g"], axis=0),
         N("ScatterND", ["g", "si", "su"], ["sc"]), N("Gemm", ["sc", "w"], ["y"])],
        [vi("x", [6, 6])], [vi("y", None)],
        [init("r0", [], i64, [0]), init("r5", [], i64, [5]), init("r2", [], i64, [2]),
         init("si", [1, 1], i64, [1]), init("su", [1, 6]), init("w", [6, 3])]),
        6 + 18, 54, "3x3")


def bad_cases():
    N = helper.make_node
    # a cycle: a -> b -> a
    save(graph_model([N("Relu", ["b"], ["a"]), N("Relu", ["a"], ["b"])], [vi("x", [1])], [vi("a", None)]),
         "bad_cycle.onnx")
    # absurd dims: an initializer of 2^40 x 2^40 elements
    save(graph_model([N("MatMul", ["x", "w"], ["y"])], [vi("x", [1, 1 << 40])], [vi("y", None)],
                     [init("w", [1 << 40, 1 << 40])]), "bad_dims.onnx")
    # symbolic batch and sequence dims: needs --input-shape
    save(graph_model([N("MatMul", ["x", "w"], ["y"])], [vi("x", ["batch", "seq", 8])], [vi("y", None)],
                     [init("w", [8, 4])]), "symbolic.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    op_cases()
    bad_cases()
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("# name params_total macs output_shape (written by scripts/make_onnx_fixtures.py)\n")
        for name, (model, params, macs, shape) in CASES.items():
            save(model, "op_" + name + ".onnx")
            f.write("%s %d %d %s\n" % (name, params, macs, shape or "-"))
    if "--no-torch" not in sys.argv:
        torch_models()


if __name__ == "__main__":
    main()
