"""Shared helpers: deterministic file writing, ONNX export, decoder merging, signatures.

Every ONNX file goes through `export()` so that all fixtures share one opset, one set of
export flags and one checker pass.
"""

import hashlib
import io
import json
import os
from collections import OrderedDict

import onnx
from onnx import numpy_helper
import torch

OPSET = 17

# ORT's C# TensorElementType names for the ONNX element types the fixtures use.
ORT_TYPE_NAMES = {
    onnx.TensorProto.FLOAT: "Float",
    onnx.TensorProto.FLOAT16: "Float16",
    onnx.TensorProto.BFLOAT16: "BFloat16",
    onnx.TensorProto.INT64: "Int64",
    onnx.TensorProto.INT32: "Int32",
    onnx.TensorProto.BOOL: "Bool",
    onnx.TensorProto.UINT8: "UInt8",
}


def seed(n):
    torch.manual_seed(n)


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_json(path, obj, compact=False, sort_keys=False):
    """Pretty JSON the way transformers/diffusers save configs; compact for big vocabularies."""
    if compact:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    else:
        text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=sort_keys)
    write_text(path, text + "\n")


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def export(module, args, path, input_names, output_names, dynamic_axes,
           external_data=False, fold=True, cases=(), random_outputs=False):
    """torch.onnx.export at opset 17, then onnx.checker, then a deterministic save.

    fold=False keeps in-graph computed tables (see layers.HashedVocab) from being folded into
    large constant initializers. `cases` are extra argument tuples with other sizes on the
    dynamic axes: the module must run on them, and with TINY_VERIFY_DIR set they are recorded
    (see record_case) together with the trace arguments.
    """
    module.eval()
    traced_shapes = None
    for case in (args, *cases):
        with torch.no_grad():
            outs = module(*case)
        outs = outs if isinstance(outs, tuple) else (outs,)
        assert len(outs) == len(output_names), (len(outs), output_names)
        traced_shapes = traced_shapes or [tuple(o.shape) for o in outs]
        record_case(path, dict(zip(input_names, case)), dict(zip(output_names, outs)),
                    exact=not random_outputs)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            module, args, buf,
            input_names=input_names, output_names=output_names,
            dynamic_axes=dynamic_axes, opset_version=OPSET,
            do_constant_folding=fold)
    model = onnx.load_from_string(buf.getvalue())
    _fix_output_dims(model, traced_shapes, dynamic_axes)
    if path is None:  # only an input to merge_decoders
        onnx.checker.check_model(model)
    else:
        save(model, path, external_data)
    return model


def _fix_output_dims(model, shapes, dynamic_axes):
    """Every output axis not declared dynamic gets the traced size.

    torch's shape inference leaves names such as "Reshape_123_dim_1" where it cannot follow a
    reshape; real exports hold the config's number there (heads, head size, vocab)."""
    for out, shape in zip(model.graph.output, shapes):
        declared = dynamic_axes.get(out.name, {})
        dims = out.type.tensor_type.shape.dim
        assert len(dims) == len(shape), (out.name, len(dims), shape)
        for axis, d in enumerate(dims):
            if axis in declared:
                assert d.dim_param == declared[axis], (out.name, axis, d)
            else:
                d.Clear()
                d.dim_value = shape[axis]


def save(model, path, external_data=False):
    onnx.checker.check_model(model)
    _check_names(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if external_data:
        location = os.path.basename(path) + "_data"  # optimum's rule: model.onnx -> model.onnx_data
        data_path = os.path.join(os.path.dirname(path), location)
        if os.path.exists(data_path):
            os.remove(data_path)  # onnx appends to an existing data file
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=location, size_threshold=0, convert_attribute=False)
        onnx.checker.check_model(path)
    else:
        onnx.save_model(model, path)


def half_io(model, inputs, outputs, elem_type=onnx.TensorProto.FLOAT16):
    """Make the inputs and outputs whose names the predicates accept float16 (or elem_type: BFLOAT16) at the graph
    boundary, with Casts around the float32 body.

    Real fp16/bf16 exports are narrow end to end; ONNX Runtime's CPU kernels lack float16 and bfloat16 for most ops, so
    the body stays float32 here. What a fixture tests is the engine's narrow inputs and outputs, which are the same.
    """
    graph = model.graph
    head, tail = [], []
    for value in graph.input:
        if inputs(value.name):
            inner = value.name + "_f32"
            for node in graph.node:
                node.input[:] = [inner if name == value.name else name for name in node.input]
            head.append(onnx.helper.make_node("Cast", [value.name], [inner], to=onnx.TensorProto.FLOAT, name="cast_" + value.name))
            value.type.tensor_type.elem_type = elem_type
    for value in graph.output:
        if outputs(value.name):
            inner = value.name + "_f32"
            for node in graph.node:
                node.output[:] = [inner if name == value.name else name for name in node.output]
                node.input[:] = [inner if name == value.name else name for name in node.input]
            tail.append(onnx.helper.make_node("Cast", [inner], [value.name], to=elem_type, name="cast_" + value.name))
            value.type.tensor_type.elem_type = elem_type
    nodes = head + list(graph.node) + tail
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)


def _check_names(model):
    """The exporter must have kept exactly the names we asked for (it silently drops unused inputs)."""
    names = [i.name for i in model.graph.input] + [o.name for o in model.graph.output]
    assert len(names) == len(set(names)), names


def io_names(model):
    inits = {i.name for i in model.graph.initializer}
    return ([i.name for i in model.graph.input if i.name not in inits],
            [o.name for o in model.graph.output])


def expect_io(model, inputs, outputs):
    got_in, got_out = io_names(model)
    assert got_in == list(inputs), f"inputs {got_in} != {list(inputs)}"
    assert got_out == list(outputs), f"outputs {got_out} != {list(outputs)}"


def record_case(path, feeds, expected, exact=True):
    """With TINY_VERIFY_DIR set, save inputs and torch's outputs for an ONNX Runtime cross-check.

    Nothing is written into models/tiny; the files go to TINY_VERIFY_DIR/<n>/.
    """
    root = os.environ.get("TINY_VERIFY_DIR")
    if not root or path is None:
        return
    n = len(os.listdir(root)) if os.path.isdir(root) else 0
    case_dir = os.path.join(root, f"{n:04d}")
    os.makedirs(case_dir)

    def dump(kind, name, t):
        t = t.detach().contiguous()
        fname = f"{kind}_{len(os.listdir(case_dir))}.bin"
        with open(os.path.join(case_dir, fname), "wb") as f:
            f.write(t.numpy().tobytes())
        return {"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                "file": fname}
    meta = {"model": os.path.abspath(path), "exact": exact,
            "inputs": [dump("in", k, v) for k, v in feeds.items()],
            "outputs": [dump("out", k, v) for k, v in expected.items()]}
    with open(os.path.join(case_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


# --------------------------------------------------------------------------------------------
# Merged decoder, built the way optimum's merge_decoders does it (optimum/onnx/graph_transformations.py):
# one If node on `use_cache_branch`; else = decoder without past, then = decoder with past;
# large initializers deduplicated into the outer graph; outputs the with-past graph lacks
# (cross-attention presents) become empty constants whose first dynamic axis is 0 and the
# other dynamic axes 1. Unlike optimum, shared names are chosen in a fixed order (optimum pops
# from a set), so the merged file is reproducible.
# --------------------------------------------------------------------------------------------

def _dims(value_info):
    return [d.dim_param if d.dim_param else d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def merge_decoders(decoder, with_past, path, external_data=False):
    decoder = onnx.ModelProto.FromString(decoder.SerializeToString())
    with_past = onnx.ModelProto.FromString(with_past.SerializeToString())
    models = [decoder, with_past]

    # Outputs of the with-past graph, in the decoder's order, padded with empty constants.
    past_outputs = {o.name: o for o in with_past.graph.output}
    new_outputs = []
    for out in decoder.graph.output:
        if out.name in past_outputs:
            new_outputs.append(past_outputs[out.name])
            continue
        dims, first = [], True
        for d in _dims(out):
            if isinstance(d, str):
                dims.append(0 if first else 1)
                first = False
            else:
                dims.append(d)
        value = onnx.helper.make_tensor("const_tensor", out.type.tensor_type.elem_type, dims, vals=[])
        with_past.graph.node.append(onnx.helper.make_node(
            "Constant", [], [out.name], name=f"Constant_{out.name}", value=value))
        new_outputs.append(out)
    del with_past.graph.output[:]
    with_past.graph.output.extend(new_outputs)

    # Deduplicate initializers across both graphs by content; keep scalars and 1-d ints in the
    # branches, as optimum does.
    def movable(t):
        return len(t.dims) > 1 or (len(t.dims) == 1 and t.data_type not in (6, 7))

    shared, rename, by_digest = [], [{}, {}], {}
    for mi, m in enumerate(models):
        for t in m.graph.initializer:
            if not movable(t):
                continue
            digest = (t.data_type, tuple(t.dims),
                      hashlib.sha256(numpy_helper.to_array(t).tobytes()).hexdigest())
            if digest not in by_digest:
                new_name = f"{t.name}_merged_{len(shared)}"
                by_digest[digest] = new_name
                moved = onnx.TensorProto()
                moved.CopyFrom(t)
                moved.name = new_name
                shared.append(moved)
            rename[mi][t.name] = by_digest[digest]

    branches = []
    for mi, (m, gname) in enumerate(((decoder, "no_past"), (with_past, "with_past"))):
        for node in m.graph.node:
            for j, name in enumerate(node.input):
                if name in rename[mi]:
                    node.input[j] = rename[mi][name]
        kept = [t for t in m.graph.initializer if not movable(t)]
        branches.append(onnx.helper.make_graph(
            nodes=m.graph.node, name=gname, inputs=[], outputs=m.graph.output, initializer=kept))

    inputs, seen = [], set()
    for m in models:
        for i in m.graph.input:
            if i.name not in seen:
                seen.add(i.name)
                inputs.append(i)
    use_cache = onnx.helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    if_node = onnx.helper.make_node(
        "If", inputs=["use_cache_branch"], outputs=[o.name for o in decoder.graph.output],
        name="optimum::if", then_branch=branches[1], else_branch=branches[0])
    graph = onnx.helper.make_graph(
        nodes=[if_node], name="merged", inputs=[*inputs, use_cache],
        outputs=decoder.graph.output, initializer=shared)
    merged = onnx.helper.make_model(graph, producer_name="scripts/tiny merge_decoders",
                                    opset_imports=list(decoder.opset_import))
    merged.ir_version = decoder.ir_version
    save(merged, path, external_data)
    return merged


# --------------------------------------------------------------------------------------------
# Signatures and checksums
# --------------------------------------------------------------------------------------------

def _sig(values):
    out = []
    for v in values:
        tt = v.type.tensor_type
        out.append(OrderedDict([
            ("name", v.name),
            ("type", ORT_TYPE_NAMES[tt.elem_type]),
            ("rank", len(tt.shape.dim)),
            ("shape", _dims(v)),
        ]))
    return out


def signatures(root):
    """{relative .onnx path: {inputs, outputs}} for every graph under root, sorted by path."""
    result = OrderedDict()
    for rel in sorted(_files(root)):
        if not rel.endswith(".onnx"):
            continue
        model = onnx.load(os.path.join(root, rel), load_external_data=False)
        inits = {i.name for i in model.graph.initializer}
        result[rel] = OrderedDict([
            ("inputs", _sig([i for i in model.graph.input if i.name not in inits])),
            ("outputs", _sig(model.graph.output)),
        ])
    return result


def _files(root):
    for dirpath, _, names in os.walk(root):
        for n in names:
            yield os.path.relpath(os.path.join(dirpath, n), root).replace(os.sep, "/")


def sha256sums(root, skip=("SHA256SUMS", "README.md")):
    lines = []
    for rel in sorted(_files(root)):
        if rel in skip:
            continue
        with open(os.path.join(root, rel), "rb") as f:
            lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {rel}\n")
    return "".join(lines)
