"""LoRA adapters for the tiny sd15 and sdxl fixtures (issue 21), and those fixtures exported again with the
adapter merged in torch, to check the runner's own merge into the ONNX initializers.

For each base (lora-sd15, lora-sdxl; lora-flux-schnell and lora-sd3 with the PEFT file only):
  peft/pytorch_lora_weights.safetensors   diffusers/PEFT names: unet.<module>.lora_A.weight / lora_B.weight,
                                          text_encoder(_2).<module>...; no alpha (scale 1)
  kohya/tiny_lora.safetensors             kohya names: lora_unet_<module_with_underscores>.lora_down.weight,
                                          lora_up.weight, alpha (= rank / 2, so up is stored doubled: same update)
  merged-w1/<component>/model.onnx        the base re-exported with W + 1.0 * up @ down merged in torch
  merged-w0.5/<component>/model.onnx      ... with 0.5 * up @ down
Only the graphs the adapter changes are kept (the unet and the text encoders); the tests assemble a complete
folder from the base fixture and these. The base fixtures' own builders run unchanged (same seeds, same calls),
the merge is applied to each module just before its export, and the adapter's tensors come from a generator of
their own, so the global random stream (and with it every other weight) is what the base fixture gets.
"""

import copy
import json
import os
import shutil
import struct
import tempfile

import torch

import common
import diffusion
import dit

RANK = 2

# Modules the adapter patches, per component: linear layers (exported as MatMul, or Gemm when they have a bias on a
# 2-D input), 3x3 and 1x1 convolutions. Names are the tiny modules' own paths (what the graph's node names keep).
UNET = ["time.2", "res0.t", "res1.c1", "res1.skip", "attn1.block.attn.q", "attn1.block.attn.k",
        "attn1.block.cross.v", "attn1.block.attn.o", "attn1.block.mlp.0"]
SD15 = {"unet": UNET, "text_encoder": ["layers.0.attn.q", "layers.1.mlp.2"]}
SDXL = {"unet": UNET + ["add.0"], "text_encoder": ["layers.0.attn.v"],
        "text_encoder_2": ["layers.1.attn.q", "proj"]}
# The diffusion transformers (issue 20): diffusers/PEFT names only (transformer.<module>, text_encoder.<module>). Linear
# layers of both block kinds and the text projection, and SD3's 2x2 patch convolution. (The last SD3 block's text MLP is
# not in the graph: its text output is unused, so the export drops it, as SD3's context_pre_only block has none.)
FLUX = {"transformer": ["joint.qkv_img", "joint.out_txt", "joint.mlp_img.0", "single.qkv", "single.out", "context_embedder"],
        "text_encoder": ["layers.0.attn.q"]}
SD3 = {"transformer": ["pos_embed", "blocks.0.qkv_img", "blocks.1.qkv_txt", "blocks.0.mlp_txt.2", "context_embedder"],
       "text_encoder": ["layers.0.attn.q"], "text_encoder_2": ["layers.1.attn.v"]}
KOHYA_PREFIX = {"sd15": {"unet": "lora_unet_", "text_encoder": "lora_te_"},
                "sdxl": {"unet": "lora_unet_", "text_encoder": "lora_te1_", "text_encoder_2": "lora_te2_"}}


def _module(root, path):
    for part in path.split("."):
        root = root[int(part)] if part.isdigit() else getattr(root, part)
    return root


def _factors(generator, weight):
    """(down, up) for a weight of shape [out, in] or [out, in, kh, kw]: down [r, in(, kh, kw)], up [out, r(, 1, 1)]."""
    out_features = weight.shape[0]
    down_shape = (RANK,) + tuple(weight.shape[1:])
    up_shape = (out_features, RANK) + (1, 1) * (weight.dim() == 4)
    down = torch.randn(down_shape, generator=generator) * 0.4
    up = torch.randn(up_shape, generator=generator) * 0.4
    return down, up


def _delta(down, up):
    return (up.flatten(1) @ down.flatten(1)).reshape(up.shape[0], *down.shape[1:])


class Adapter:
    """The adapter's tensors, made on first sight of each module and then reused for every weight."""

    def __init__(self, targets, seed):
        self.targets = targets
        self.generator = torch.Generator().manual_seed(seed)
        self.factors = {}  # (component, module) -> (down, up)

    def merge(self, component, module, strength):
        for path in self.targets.get(component, []):
            layer = _module(module, path)
            key = (component, path)
            if key not in self.factors:
                self.factors[key] = _factors(self.generator, layer.weight)
            down, up = self.factors[key]
            with torch.no_grad():
                layer.weight += strength * _delta(down, up)


def _export_merged(build, adapter, strength, root):
    """Runs the base fixture's builder into root with the adapter merged into each module before its export."""
    originals = diffusion.export_text_encoder, diffusion.export_unet

    def text_encoder(folder, module, *args, **kw):
        adapter.merge(os.path.basename(folder), module, strength)
        return originals[0](folder, module, *args, **kw)

    def unet(folder, module, *args, **kw):
        adapter.merge("unet", module, strength)
        return originals[1](folder, module, *args, **kw)

    diffusion.export_text_encoder, diffusion.export_unet = text_encoder, unet
    try:
        build(root)
    finally:
        diffusion.export_text_encoder, diffusion.export_unet = originals


def _export_merged_any(build, adapter, strength, root):
    """_export_merged for builders that create their modules inside their export helpers (scripts/tiny/dit.py): the
    merge happens in common.export, keyed by the graph's folder (transformer, text_encoder, ...)."""
    original = common.export

    def export(module, args, path, *rest, **kw):
        adapter.merge(os.path.basename(os.path.dirname(path)), module, strength)
        return original(module, args, path, *rest, **kw)

    common.export = export
    try:
        build(root)
    finally:
        common.export = original


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header (sorted names, padded with spaces to 8 bytes), F32 data."""
    header, data = {}, b""
    for name in sorted(tensors):
        t = tensors[name].contiguous().to(torch.float32)
        raw = struct.pack("<%df" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    common.write_bytes(path, struct.pack("<Q", len(text)) + text + data)


def _peft(adapter):
    tensors = {}
    for (component, path), (down, up) in adapter.factors.items():
        tensors[f"{component}.{path}.lora_A.weight"] = down
        tensors[f"{component}.{path}.lora_B.weight"] = up
    return tensors


def _kohya(adapter, prefixes):
    alpha = RANK / 2  # scale alpha / rank = 0.5, so up is stored doubled for the same update
    tensors = {}
    for (component, path), (down, up) in adapter.factors.items():
        name = prefixes[component] + path.replace(".", "_")
        tensors[f"{name}.lora_down.weight"] = down
        tensors[f"{name}.lora_up.weight"] = up * (RANK / alpha)
        tensors[f"{name}.alpha"] = torch.tensor(alpha)
    return tensors


def lora_fixture(root, base, build, targets, seed, kohya=True):
    adapter = Adapter(targets, seed)
    for strength, label in ((1.0, "w1"), (0.5, "w0.5")):
        scratch = tempfile.mkdtemp(prefix="tiny-lora-")
        try:
            (_export_merged if kohya else _export_merged_any)(build, adapter, strength, scratch)
            for component in targets:
                for name in sorted(os.listdir(os.path.join(scratch, component))):
                    if name.startswith("model.onnx"):
                        target = os.path.join(root, f"merged-{label}", component, name)
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        shutil.copyfile(os.path.join(scratch, component, name), target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    write_safetensors(os.path.join(root, "peft", "pytorch_lora_weights.safetensors"), _peft(adapter))
    if kohya:
        write_safetensors(os.path.join(root, "kohya", "tiny_lora.safetensors"), _kohya(adapter, KOHYA_PREFIX[base]))


# Kohya's names for Black Forest Labs' Flux modules (sd-scripts' Flux LoRAs), each with the diffusers modules it covers,
# as diffusers' _convert_kohya_flux_lora_to_diffusers maps them: a fused projection's update is split by rows over its
# modules (q, k, v; the single block's linear1 also proj_mlp), and the final layer's (shift, scale) rows are swapped
# into diffusers' (scale, shift) order.
KOHYA_FLUX = {
    "double_blocks_0_img_attn_qkv": ["transformer_blocks.0.attn.to_q", "transformer_blocks.0.attn.to_k", "transformer_blocks.0.attn.to_v"],
    "double_blocks_0_txt_attn_qkv": ["transformer_blocks.0.attn.add_q_proj", "transformer_blocks.0.attn.add_k_proj",
                                     "transformer_blocks.0.attn.add_v_proj"],
    "double_blocks_0_img_attn_proj": ["transformer_blocks.0.attn.to_out.0"],
    "double_blocks_0_txt_mlp_0": ["transformer_blocks.0.ff_context.net.0.proj"],
    "double_blocks_0_img_mod_lin": ["transformer_blocks.0.norm1.linear"],
    "single_blocks_0_linear1": ["single_transformer_blocks.0.attn.to_q", "single_transformer_blocks.0.attn.to_k",
                                "single_transformer_blocks.0.attn.to_v", "single_transformer_blocks.0.proj_mlp"],
    "single_blocks_0_linear2": ["single_transformer_blocks.0.proj_out"],
    "single_blocks_0_modulation_lin": ["single_transformer_blocks.0.norm.linear"],
    "final_layer_adaLN_modulation_1": ["norm_out.linear"],
    "txt_in": ["context_embedder"],
}


def lora_flux_kohya(root):
    """A Flux transformer with diffusers' module names (dit.NamedFluxTransformer, flux-schnell's text widths, so the
    flux-schnell folder takes it), a LoRA for it in kohya's BFL names, and the transformer with it merged at 1."""
    common.seed(2140)
    base = dit.NamedFluxTransformer(24, 16)
    generator = torch.Generator().manual_seed(2141)
    alpha = RANK / 2
    tensors, merged = {}, copy.deepcopy(base)
    for name, paths in KOHYA_FLUX.items():
        layers = [_module(merged, path) for path in paths]
        rows = sum(layer.weight.shape[0] for layer in layers)
        down = torch.randn((RANK, layers[0].weight.shape[1]), generator=generator) * 0.4
        up = torch.randn((rows, RANK), generator=generator) * 0.4
        tensors[f"lora_unet_{name}.lora_down.weight"] = down
        tensors[f"lora_unet_{name}.lora_up.weight"] = up
        tensors[f"lora_unet_{name}.alpha"] = torch.tensor(alpha)
        delta = (alpha / RANK) * (up @ down)
        if name == "final_layer_adaLN_modulation_1":  # BFL's rows are (shift, scale); diffusers' (scale, shift)
            shift, scale = delta.chunk(2, dim=0)
            delta = torch.cat([scale, shift], dim=0)
        with torch.no_grad():
            for layer, part in zip(layers, torch.split(delta, [layer.weight.shape[0] for layer in layers], dim=0)):
                layer.weight += part
    dit.export_flux_transformer(root, 24, 16, guidance=False, module=base)
    scratch = tempfile.mkdtemp(prefix="tiny-lora-")
    try:
        dit.export_flux_transformer(scratch, 24, 16, guidance=False, module=merged)
        target = os.path.join(root, "merged-w1", "transformer", "model.onnx")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(scratch, "transformer", "model.onnx"), target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_safetensors(os.path.join(root, "kohya", "flux_lora.safetensors"), tensors)


def lora_fp16(root):
    """A float16 graph as optimum's --dtype fp16 writes them (fp16 weights; here two MatMuls, x·W1·W2, in a `unet/`
    folder: the CPU provider has float16 MatMul kernels), a PEFT LoRA for both, and the graph with it merged at 1 (in float32, then rounded to float16): the
    branches computed in float16."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    generator = torch.Generator().manual_seed(2150)
    d_in, d_hidden = 16, 24
    weights = {"w1": torch.randn((d_hidden, d_in), generator=generator) * 0.3,  # torch's [out, in]
               "w2": torch.randn((d_in, d_hidden), generator=generator) * 0.3}
    factors = {name: (torch.randn((RANK, w.shape[1]), generator=generator) * 0.4,
                      torch.randn((w.shape[0], RANK), generator=generator) * 0.4) for name, w in weights.items()}
    modules = {"w1": "lin1", "w2": "lin2"}

    def graph(merge):
        initializers = []
        for name, w in weights.items():
            down, up = factors[name]
            merged = w + (up @ down if merge else 0)
            initializers.append(numpy_helper.from_array(merged.T.numpy().astype(np.float16), name))  # MatMul's [in, out]
        nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="/lin1/MatMul"),
                 helper.make_node("MatMul", ["h", "w2"], ["y"], name="/lin2/MatMul")]
        return helper.make_model(
            helper.make_graph(nodes, "tiny_fp16", [helper.make_tensor_value_info("x", TensorProto.FLOAT16, ["batch", "tokens", d_in])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT16, ["batch", "tokens", d_in])], initializers),
            opset_imports=[helper.make_opsetid("", common.OPSET)])

    common.save(graph(False), os.path.join(root, "unet", "model.onnx"))
    common.save(graph(True), os.path.join(root, "merged-w1", "unet", "model.onnx"))
    write_safetensors(os.path.join(root, "peft", "pytorch_lora_weights.safetensors"), {
        **{f"unet.{modules[n]}.lora_A.weight": f[0] for n, f in factors.items()},
        **{f"unet.{modules[n]}.lora_B.weight": f[1] for n, f in factors.items()}})


FIXTURES = {
    "lora-sd15": lambda root: lora_fixture(root, "sd15", diffusion.sd15, SD15, 2115),
    "lora-sdxl": lambda root: lora_fixture(root, "sdxl", diffusion.sdxl, SDXL, 2120),
    "lora-flux-schnell": lambda root: lora_fixture(root, "flux", lambda r: dit.flux(r, dev=False), FLUX, 2130, kohya=False),
    "lora-sd3": lambda root: lora_fixture(root, "sd3", dit.sd3, SD3, 2135, kohya=False),
    "lora-flux-kohya": lora_flux_kohya,
    "lora-fp16": lora_fp16,
}
