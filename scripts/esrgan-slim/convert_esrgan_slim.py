#!/usr/bin/python3
"""Convert the tfjs layers-models of @upscalerjs/esrgan-slim into ONNX.

The package ships, per scale, a Keras functional graph (model.json) and its
weights as raw little-endian float32 (group1-shard1of1.bin). We rebuild that
graph as a torch module by walking the Keras layer list generically, load the
weights in manifest order, and export with torch.onnx.export.

Usage (see convert.sh, which downloads and checks the package first):
  convert_esrgan_slim.py --package-dir DIR --out models/esrgan-slim
  convert_esrgan_slim.py --package-dir DIR --verify FIXTURE.png SAMPLES_DIR

The ONNX graphs take `image` f32 [1,3,h,w] RGB 0..255 and give `upscaled`
f32 [1,3,s*h,s*w]; callers clamp to [0,255] and round.
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

SCALES = (2, 3, 4)
OPSET = 17


# ---------------------------------------------------------------- weights

def read_weights(model_dir, manifest):
    """Return {name: np.ndarray} read in manifest order; every byte must be used."""
    weights = {}
    for group in manifest:
        # A group's shards are one byte stream cut into files, so join them first.
        blob = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            if entry["dtype"] != "float32" or "quantization" in entry:
                sys.exit(f"unsupported weight encoding for {entry['name']}: {entry}")
            count = math.prod(entry["shape"])
            arr = np.frombuffer(blob, dtype="<f4", count=count, offset=offset)
            weights[entry["name"]] = arr.reshape(entry["shape"]).copy()
            offset += 4 * count
        assert offset == len(blob), f"{len(blob) - offset} trailing bytes in {group['paths']}"
    return weights


# ---------------------------------------------------------------- graph

def _source(inbound):
    """Keras node reference [layer, node_index, tensor_index, kwargs] -> layer name."""
    layer, node_index, tensor_index = inbound[0], inbound[1], inbound[2]
    # Every layer here is called once and has one output; anything else would
    # need per-node bookkeeping that this converter does not implement.
    assert node_index == 0 and tensor_index == 0, f"shared layer or multi-output: {inbound}"
    return layer


def _activation(name):
    if name == "linear":
        return None
    if name == "relu":
        return F.relu
    sys.exit(f"unsupported activation {name!r}")


class KerasGraph(torch.nn.Module):
    """A Keras functional graph re-expressed in NCHW torch ops."""

    def __init__(self, topology, weights):
        super().__init__()
        cfg = topology["model_config"]
        assert cfg["class_name"] in ("Functional", "Model"), cfg["class_name"]
        cfg = cfg["config"]
        assert len(cfg["input_layers"]) == 1 and len(cfg["output_layers"]) == 1
        self.input_name = _source(cfg["input_layers"][0])
        self.output_name = _source(cfg["output_layers"][0])

        self.convs = torch.nn.ModuleDict()
        self.steps = []  # (name, kind, inputs, param) in evaluation order
        unused = set(weights)
        for layer in cfg["layers"]:  # Keras serialises layers in topological order
            name, kind, c = layer["name"], layer["class_name"], layer["config"]
            nodes = layer["inbound_nodes"]
            assert len(nodes) <= 1, f"layer {name} is called more than once"
            inputs = [_source(i) for i in nodes[0]] if nodes else []
            if c.get("data_format", "channels_last") != "channels_last":
                sys.exit(f"{name}: only channels_last graphs are handled")

            if kind == "InputLayer":
                shape = c["batch_input_shape"]
                assert len(shape) == 4 and shape[3] == 3, f"expected NHWC RGB input, got {shape}"
                continue
            if kind == "Conv2D":
                self.convs[name] = self._conv(name, c, weights, unused)
                param = _activation(c["activation"])
            elif kind == "Activation":
                param = _activation(c["activation"])
            elif kind == "ReLU":
                assert not c.get("max_value") and not c.get("negative_slope") and not c.get("threshold")
                param = F.relu
            elif kind == "Concatenate":
                # NHWC channel axis (3 or -1) becomes NCHW axis 1.
                assert c["axis"] in (3, -1), f"{name}: concat on non-channel axis {c['axis']}"
                param = None
            elif kind == "Add":
                param = None
            elif kind == "UpSampling2D":
                assert c["interpolation"] == "nearest", f"{name}: {c['interpolation']}"
                sh, sw = c["size"]
                assert sh == sw, f"{name}: anisotropic upsampling {c['size']}"
                param = int(sh)
            else:
                sys.exit(f"unsupported Keras layer {kind} ({name}); extend KerasGraph")
            self.steps.append((name, kind, inputs, param))

        assert not unused, f"weights not used by any layer: {sorted(unused)}"

    @staticmethod
    def _conv(name, c, weights, unused):
        kh, kw = c["kernel_size"]
        assert tuple(c["strides"]) == (1, 1) and tuple(c["dilation_rate"]) == (1, 1), name
        assert c.get("groups", 1) == 1, name
        if c["padding"] == "same":
            # TF "same" pads asymmetrically for even kernels; torch's symmetric
            # padding only matches it for odd ones, which is all this model has.
            assert kh % 2 == 1 and kw % 2 == 1, f"{name}: even kernel with same padding"
            pad = (kh // 2, kw // 2)
        else:
            assert c["padding"] == "valid", f"{name}: padding {c['padding']}"
            pad = (0, 0)
        kernel = weights[f"{name}/kernel"]  # HWIO
        unused.discard(f"{name}/kernel")
        assert kernel.shape[:2] == (kh, kw) and kernel.shape[3] == c["filters"], name
        conv = torch.nn.Conv2d(kernel.shape[2], kernel.shape[3], (kh, kw),
                               padding=pad, bias=c["use_bias"])
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))  # OIHW
            if c["use_bias"]:
                conv.bias.copy_(torch.from_numpy(weights[f"{name}/bias"]))
                unused.discard(f"{name}/bias")
        return conv

    def forward(self, image):
        values = {self.input_name: image}
        for name, kind, inputs, param in self.steps:
            xs = [values[i] for i in inputs]
            if kind == "Conv2D":
                y = self.convs[name](xs[0])
                y = param(y) if param else y
            elif kind in ("Activation", "ReLU"):
                y = param(xs[0]) if param else xs[0]
            elif kind == "Concatenate":
                y = torch.cat(xs, dim=1)
            elif kind == "Add":
                y = xs[0]
                for x in xs[1:]:
                    y = y + x
            else:  # UpSampling2D: Keras nearest == each pixel repeated s x s
                y = F.interpolate(xs[0], scale_factor=param, mode="nearest")
            values[name] = y
        return values[self.output_name]


def load_model(package_dir, scale):
    model_dir = os.path.join(package_dir, "models", f"x{scale}")
    with open(os.path.join(model_dir, "model.json")) as f:
        spec = json.load(f)
    assert spec["format"] == "layers-model", spec.get("format")
    weights = read_weights(model_dir, spec["weightsManifest"])
    model = KerasGraph(spec["modelTopology"], weights).eval()
    n_params = sum(p.numel() for p in model.parameters())
    n_floats = sum(w.size for w in weights.values())
    assert n_params == n_floats, f"x{scale}: {n_params} parameters vs {n_floats} floats"
    return model, n_floats


# ---------------------------------------------------------------- export

def export(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Trace with an odd, non-square size so nothing shape-specific gets baked in.
    dummy = torch.rand(1, 3, 37, 53, generator=torch.Generator().manual_seed(0)) * 255
    torch.onnx.export(
        model, dummy, path,
        opset_version=OPSET,
        input_names=["image"],
        output_names=["upscaled"],
        # Batch stays fixed at 1 (the upstream models are used one image at a time).
        dynamic_axes={"image": {2: "h", 3: "w"}, "upscaled": {2: "H", 3: "W"}},
        do_constant_folding=True,
    )
    import onnx  # only needed here, so --verify runs without it
    onnx.checker.check_model(onnx.load(path))


# ---------------------------------------------------------------- verify

def read_rgb(path):
    from PIL import Image
    img = np.asarray(Image.open(path).convert("RGBA"))
    # The fixture and goldens are RGBA with alpha 255 everywhere; the model is RGB.
    assert (img[..., 3] == 255).all(), f"{path} has non-opaque pixels"
    return img[..., :3]


def verify(model, scale, fixture, samples_dir):
    rgb = read_rgb(fixture)
    x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None])
    with torch.no_grad():
        y = model(x)[0]
    got = y.clamp(0, 255).round().to(torch.uint8).numpy().transpose(1, 2, 0)
    want = read_rgb(os.path.join(samples_dir, f"{scale}x", "result.png"))
    assert got.shape == want.shape, f"x{scale}: {got.shape} vs golden {want.shape}"
    diff = np.abs(got.astype(np.int32) - want.astype(np.int32))
    mse = float((diff.astype(np.float64) ** 2).mean())
    psnr = float("inf") if mse == 0 else 10 * math.log10(255 ** 2 / mse)
    print(f"x{scale}: PSNR {psnr:.2f} dB, {int((diff > 0).sum())} of {diff.size} values differ, "
          f"max |diff| {int(diff.max())}")
    return psnr, int(diff.max())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package-dir", required=True, help="unpacked npm tarball (the 'package' folder)")
    ap.add_argument("--out", help="write OUT/x{s}/model.onnx for each scale")
    ap.add_argument("--verify", nargs=2, metavar=("FIXTURE_PNG", "SAMPLES_DIR"),
                    help="run the torch modules on the fixture and compare with SAMPLES_DIR/{s}x/result.png")
    ap.add_argument("--scales", type=int, nargs="+", default=list(SCALES))
    args = ap.parse_args()
    if not args.out and not args.verify:
        ap.error("nothing to do: give --out and/or --verify")

    # Single-threaded, fixed-seed runs keep the export reproducible.
    torch.manual_seed(0)
    torch.set_num_threads(1)

    failed = False
    for scale in args.scales:
        model, n_floats = load_model(args.package_dir, scale)
        print(f"x{scale}: {len(model.steps)} layers, {n_floats} floats, all used")
        if args.out:
            path = os.path.join(args.out, f"x{scale}", "model.onnx")
            export(model, path)
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            print(f"x{scale}: wrote {path} sha256 {digest}")
        if args.verify:
            psnr, max_diff = verify(model, scale, *args.verify)
            # Goldens were made by tfjs; float ordering differences give at most 1 after rounding.
            failed |= max_diff > 1
    if failed:
        sys.exit("verification failed: max |diff| above 1")


if __name__ == "__main__":
    main()
