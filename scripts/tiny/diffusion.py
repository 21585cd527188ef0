"""Stable Diffusion family (MODEL-FORMATS §1, §2): sd15, sd15-legacy, sd15-safety, sdxl, sdxl-lightning,
instruct-pix2pix, sd-x4-upscaler, in the optimum >= 1.24 diffusers layout."""

import json
import os

import onnx
import torch
from torch import nn
import torch.nn.functional as F

import common
import vocab as V
from layers import Block, ResBlock, SpatialCrossAttention, causal_mask, timestep_embedding

B, S = 2, 77  # trace batch and prompt length


# ------------------------------------------------------------------ modules

class ClipText(nn.Module):
    """CLIPTextModel / CLIPTextModelWithProjection: causal transformer, final LayerNorm,
    pooled = the eos position of the final hidden state."""

    def __init__(self, vocab_size, eos_id, dim, layers, heads, projection=None):
        super().__init__()
        self.eos_id = eos_id
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(77, dim)
        self.layers = nn.ModuleList([Block(dim, heads) for _ in range(layers)])
        self.final = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, projection, bias=False) if projection else None

    def run(self, input_ids):
        ids = input_ids.to(torch.int64)  # the legacy dialect feeds int32
        x = self.tok(ids) + self.pos(torch.arange(ids.shape[1]))
        mask = causal_mask(x, x.unsqueeze(1))
        hidden = [x]
        for layer in self.layers:
            x = layer(x, mask=mask)
            hidden.append(x)  # before final_layer_norm, as transformers returns them
        last = self.final(x)
        eos = (ids == self.eos_id).to(torch.int64).argmax(-1)
        pooled = last[torch.arange(ids.shape[0]), eos]
        return last, pooled, hidden


class TextEncoder(ClipText):
    """text_encoder: last_hidden_state, pooler_output (+ hidden_states.* for SDXL)."""

    def __init__(self, *args, hidden_states=False, **kw):
        super().__init__(*args, **kw)
        self.hidden_states = hidden_states

    def forward(self, input_ids):
        last, pooled, hidden = self.run(input_ids)
        return (last, pooled, *hidden) if self.hidden_states else (last, pooled)


class TextEncoderWithProjection(ClipText):
    """SDXL text_encoder_2: text_embeds first, then last_hidden_state, hidden_states.*."""

    def forward(self, input_ids):
        last, pooled, hidden = self.run(input_ids)
        return (self.proj(pooled), last, *hidden)


class UNet(nn.Module):
    """UNet2DConditionModel in miniature: time embedding (+ SDXL text_time or class
    embedding), one down/up level with a skip, cross-attention at the lower level."""

    def __init__(self, in_ch, cross_dim, ch=(16, 32), add_text_dim=None, add_time_dim=8,
                 num_class_embeds=None):
        super().__init__()
        temb = ch[0] * 4
        self.ch0 = ch[0]
        self.time = nn.Sequential(nn.Linear(ch[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.add_time_dim = add_time_dim
        self.add = None
        if add_text_dim:  # projection_class_embeddings_input_dim = text + 6 * time
            self.add = nn.Sequential(nn.Linear(add_text_dim + 6 * add_time_dim, temb), nn.SiLU(),
                                     nn.Linear(temb, temb))
        self.cls = nn.Embedding(num_class_embeds, temb) if num_class_embeds else None
        self.conv_in = nn.Conv2d(in_ch, ch[0], 3, padding=1)
        self.res0 = ResBlock(ch[0], ch[0], temb)
        self.down = nn.Conv2d(ch[0], ch[0], 3, stride=2, padding=1)
        self.res1 = ResBlock(ch[0], ch[1], temb)
        self.attn1 = SpatialCrossAttention(ch[1], 2, cross_dim)
        self.up = nn.Conv2d(ch[1], ch[1], 3, padding=1)
        self.res2 = ResBlock(ch[1] + ch[0], ch[0], temb)
        self.norm_out = nn.GroupNorm(4, ch[0])
        self.conv_out = nn.Conv2d(ch[0], 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, *extra):
        t = timestep.to(torch.float32).reshape(-1).expand(sample.shape[0])
        temb = self.time(timestep_embedding(t, self.ch0))
        if self.add is not None:
            text_embeds, time_ids = extra
            tid = timestep_embedding(time_ids.reshape(-1), self.add_time_dim)
            tid = tid.reshape(time_ids.shape[0], -1)
            temb = temb + self.add(torch.cat([text_embeds, tid], dim=-1))
        if self.cls is not None:
            (class_labels,) = extra
            temb = temb + self.cls(class_labels)
        h0 = self.res0(self.conv_in(sample), temb)
        h = self.attn1(self.res1(self.down(h0), temb), encoder_hidden_states)
        h = self.up(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.res2(torch.cat([h, h0], dim=1), temb)
        return self.conv_out(F.silu(self.norm_out(h)))


class VaeEncoder(nn.Module):
    """AutoencoderKL encoder + quant_conv -> latent_parameters (mean ‖ logvar).
    legacy=True samples from it instead (optimum <= 1.22 'latent_sample'). Flux's and SD3's VAEs have 16 latent
    channels and no quant_conv (use_quant_conv false)."""

    def __init__(self, levels, ch=8, legacy=False, latent=4, quant=True):
        super().__init__()
        self.legacy = legacy
        self.latent = latent
        self.conv_in = nn.Conv2d(3, ch, 3, padding=1)
        self.blocks = nn.ModuleList([ResBlock(ch, ch) for _ in range(levels)])
        self.downs = nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1) for _ in range(levels - 1)])
        self.norm = nn.GroupNorm(4, ch)
        self.conv_out = nn.Conv2d(ch, 2 * latent, 3, padding=1)
        self.quant_conv = nn.Conv2d(2 * latent, 2 * latent, 1) if quant else nn.Identity()

    def forward(self, sample):
        h = self.conv_in(sample)
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i < len(self.downs):
                h = self.downs[i](h)
        params = self.quant_conv(self.conv_out(F.silu(self.norm(h))))
        if not self.legacy:
            return params
        mean, logvar = params[:, :self.latent], params[:, self.latent:].clamp(-30.0, 20.0)
        return mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)


class VaeDecoder(nn.Module):
    """post_quant_conv + AutoencoderKL decoder: latent_sample -> sample (x 2^(levels-1))."""

    def __init__(self, levels, ch=8, latent=4, quant=True):
        super().__init__()
        self.post_quant_conv = nn.Conv2d(latent, latent, 1) if quant else nn.Identity()
        self.conv_in = nn.Conv2d(latent, ch, 3, padding=1)
        self.blocks = nn.ModuleList([ResBlock(ch, ch) for _ in range(levels)])
        self.ups = nn.ModuleList([nn.Conv2d(ch, ch, 3, padding=1) for _ in range(levels - 1)])
        self.norm = nn.GroupNorm(4, ch)
        self.conv_out = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(self.post_quant_conv(latent_sample))
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i < len(self.ups):
                h = self.ups[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm(h)))


class SafetyChecker(nn.Module):
    """StableDiffusionSafetyChecker.forward_onnx in miniature (the legacy diffusers export, MODEL-FORMATS §1.2):
    pooled patches and a projection stand in for the CLIP vision tower, each concept gets a score, an image is flagged when
    any score is above 0, and flagged rows of `images` come back zeroed.

    So that tests can steer it, the score of concept c is (mean of clip_input) - SAFETY_THRESHOLDS[c] plus a
    learned term squashed to at most 1e-3: an image is flagged exactly when its mean CLIP-normalised value is
    above SAFETY_THRESHOLDS[0] (give or take 1e-3)."""

    def __init__(self, dim=8):
        super().__init__()
        self.pool = nn.AvgPool2d(32)
        self.patch = nn.Conv2d(3, dim, 1)
        self.proj = nn.Linear(dim, len(SAFETY_THRESHOLDS))
        self.register_buffer("thresholds", torch.tensor(SAFETY_THRESHOLDS))

    def forward(self, clip_input, images):
        pooled = self.patch(self.pool(clip_input)).mean(dim=(2, 3))
        brightness = clip_input.mean(dim=(1, 2, 3)).unsqueeze(1)
        scores = brightness - self.thresholds + 1e-3 * torch.tanh(self.proj(pooled))
        has_nsfw_concepts = scores.max(dim=1).values > 0
        keep = (~has_nsfw_concepts).to(images.dtype).reshape(-1, 1, 1, 1)
        return images * keep, has_nsfw_concepts


# Concept thresholds on the mean CLIP-normalised value of the image; the first decides. 0.18 lies between
# uniform grey 126 (mean 0.166) and 127 (0.193); white is about 2.0, black about -1.7. The tiny sd15 images are
# near grey 125 and fall on both sides, depending on the seed.
SAFETY_THRESHOLDS = [0.18, 0.5, 1.0]


# ------------------------------------------------------------------ configs

def scheduler(kind, **over):
    base = {"beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
            "num_train_timesteps": 1000, "steps_offset": 1, "trained_betas": None}
    if kind == "PNDMScheduler":  # stable-diffusion-v1-5
        base.update({"_diffusers_version": "0.6.0", "clip_sample": False,
                     "prediction_type": "epsilon", "set_alpha_to_one": False,
                     "skip_prk_steps": True, "timestep_spacing": "leading"})
    elif kind == "EulerDiscreteScheduler":  # stable-diffusion-xl-base-1.0
        base.update({"_diffusers_version": "0.19.0.dev0", "clip_sample": False,
                     "interpolation_type": "linear", "prediction_type": "epsilon",
                     "sample_max_value": 1.0, "set_alpha_to_one": False, "skip_prk_steps": True,
                     "timestep_spacing": "leading", "use_karras_sigmas": False})
    elif kind == "EulerAncestralDiscreteScheduler":  # instruct-pix2pix (no timestep_spacing key)
        base.update({"_diffusers_version": "0.13.0.dev0", "prediction_type": "epsilon"})
    base.update(over)
    return {"_class_name": kind, **dict(sorted(base.items()))}


def clip_config(vocab, dim, layers, heads, arch, projection=None):
    cfg = {
        "architectures": [arch], "attention_dropout": 0.0, "bos_token_id": vocab["<|startoftext|>"],
        "dropout": 0.0, "eos_token_id": vocab["<|endoftext|>"], "hidden_act": "gelu",
        "hidden_size": dim, "initializer_factor": 1.0, "initializer_range": 0.02,
        "intermediate_size": 2 * dim, "layer_norm_eps": 1e-05, "max_position_embeddings": 77,
        "model_type": "clip_text_model", "num_attention_heads": heads, "num_hidden_layers": layers,
        "pad_token_id": 1, "projection_dim": projection or dim, "torch_dtype": "float32",
        "vocab_size": len(vocab)}
    return cfg


def unet_config(in_ch, cross_dim, sample_size, **extra):
    cfg = {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0", "act_fn": "silu",
        "attention_head_dim": 8, "block_out_channels": [16, 32], "center_input_sample": False,
        "cross_attention_dim": cross_dim,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"], "downsample_padding": 1,
        "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": in_ch, "layers_per_block": 1,
        "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 4, "out_channels": 4,
        "sample_size": sample_size, "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"]}
    cfg.update(extra)
    return dict(sorted(cfg.items()))


def vae_config(levels, scaling_factor, sample_size, **extra):
    cfg = {
        "_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0", "act_fn": "silu",
        "block_out_channels": [8] * levels, "down_block_types": ["DownEncoderBlock2D"] * levels,
        "in_channels": 3, "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 4,
        "out_channels": 3, "sample_size": sample_size, "scaling_factor": scaling_factor,
        "up_block_types": ["UpDecoderBlock2D"] * levels}
    cfg.update(extra)
    return dict(sorted(cfg.items()))


CLIP_IMAGE_PROCESSOR = {
    "crop_size": {"height": 224, "width": 224}, "do_center_crop": True,
    "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
    "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3,
    "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}


# ------------------------------------------------------------------ export helpers

def export_text_encoder(folder, module, outputs, int32=False):
    ids = torch.randint(0, module.tok.num_embeddings, (B, S))
    case = torch.randint(0, module.tok.num_embeddings, (1, 5))
    case[0, 4] = module.eos_id
    ids, case = (ids.to(torch.int32), case.to(torch.int32)) if int32 else (ids, case)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}}
    for name in outputs:  # optimum declares axis 1 on text_embeds too (§1.3 quirk)
        axes[name] = {0: "batch_size"} if name == "pooler_output" else {0: "batch_size", 1: "sequence_length"}
    common.export(module, (ids,), os.path.join(folder, "model.onnx"), ["input_ids"], outputs, axes,
                  cases=[(case,)])


def export_unet(folder, module, in_ch, cross_dim, extra_inputs=(), legacy=False, external=False):
    """extra_inputs: (name, make(batch)) for text_embeds/time_ids/class_labels."""
    def inputs(b, h, w, s):
        if legacy:  # optimum <= 1.23: int64 timestep of shape [steps]
            timestep = torch.full((b,), 981, dtype=torch.int64)
        else:  # optimum >= 1.24: float32 scalar
            timestep = torch.tensor(981.0)
        return (torch.randn(b, in_ch, h, w), timestep, torch.randn(b, s, cross_dim),
                *[make(b) for _, make in extra_inputs])
    names = ["sample", "timestep", "encoder_hidden_states"] + [n for n, _ in extra_inputs]
    axes = {"sample": {0: "batch_size", 2: "height", 3: "width"},
            "timestep": {0: "steps"} if legacy else {},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"}}
    axes.update({n: {0: "batch_size"} for n, _ in extra_inputs})
    common.export(module, inputs(B, 8, 8, S), os.path.join(folder, "model.onnx"), names,
                  ["out_sample"], axes, external_data=external, cases=[inputs(3, 6, 10, 5)])


def export_vae(root, levels, legacy=False, latent=4, quant=True):
    f = 2 ** (levels - 1)
    enc = VaeEncoder(levels, legacy=legacy, latent=latent, quant=quant)
    out = "latent_sample" if legacy else "latent_parameters"
    common.export(enc, (torch.randn(B, 3, 8 * f, 8 * f),), os.path.join(root, "vae_encoder", "model.onnx"),
                  ["sample"], [out],
                  {"sample": {0: "batch_size", 2: "sample_height", 3: "sample_width"},
                   out: {0: "batch_size", 2: f"sample_height / {f}", 3: f"sample_width / {f}"}},
                  cases=[(torch.randn(1, 3, 3 * f, 5 * f),)], random_outputs=legacy)
    dec = VaeDecoder(levels, latent=latent, quant=quant)
    common.export(dec, (torch.randn(B, latent, 8, 8),), os.path.join(root, "vae_decoder", "model.onnx"),
                  ["latent_sample"], ["sample"],
                  {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
                   "sample": {0: "batch_size", 2: f"latent_height * {f}", 3: f"latent_width * {f}"}},
                  cases=[(torch.randn(1, latent, 3, 5),)])


def write_vae_configs(root, cfg):
    for part in ("vae_encoder", "vae_decoder"):
        common.write_json(os.path.join(root, part, "config.json"), cfg)


# ------------------------------------------------------------------ fixtures

def sd15(root, legacy=False):
    """SD 1.5 (optimum >= 1.24), or with legacy=True the optimum <= 1.22 dialect."""
    common.seed(15)
    vocab = V.write_clip_tokenizer(os.path.join(root, "tokenizer"), "<|endoftext|>")
    te = TextEncoder(len(vocab), vocab["<|endoftext|>"], 32, 2, 2)
    export_text_encoder(os.path.join(root, "text_encoder"), te,
                        ["last_hidden_state", "pooler_output"], int32=legacy)
    common.write_json(os.path.join(root, "text_encoder", "config.json"),
                      clip_config(vocab, 32, 2, 2, "CLIPTextModel"))
    unet = UNet(4, 32)
    export_unet(os.path.join(root, "unet"), unet, 4, 32, legacy=legacy)
    common.write_json(os.path.join(root, "unet", "config.json"), unet_config(4, 32, 32))
    export_vae(root, 4, legacy=legacy)
    write_vae_configs(root, vae_config(4, 0.18215, 256))
    common.write_json(os.path.join(root, "scheduler", "scheduler_config.json"), scheduler("PNDMScheduler"))
    common.write_json(os.path.join(root, "feature_extractor", "preprocessor_config.json"), CLIP_IMAGE_PROCESSOR)
    common.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.6.0",
        "feature_extractor": ["transformers", "CLIPImageProcessor"],
        "requires_safety_checker": False, "safety_checker": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"]})


def sd15_safety(root):
    """sd15 plus safety_checker/model.onnx as the legacy diffusers script exports it (MODEL-FORMATS §1.2)."""
    sd15(root)
    common.seed(16)
    checker = SafetyChecker()
    common.export(checker, (torch.randn(1, 3, 224, 224), torch.rand(1, 64, 64, 3)),
                  os.path.join(root, "safety_checker", "model.onnx"), ["clip_input", "images"],
                  ["out_images", "has_nsfw_concepts"],
                  {"clip_input": {0: "batch", 1: "channels", 2: "height", 3: "width"},
                   "images": {0: "batch", 1: "height", 2: "width", 3: "channels"},
                   "out_images": {0: "batch", 1: "height", 2: "width", 3: "channels"},
                   "has_nsfw_concepts": {0: "batch"}},
                  cases=[(torch.full((2, 3, 224, 224), 1.5), torch.rand(2, 48, 40, 3))])
    common.write_json(os.path.join(root, "safety_checker", "config.json"), {
        "_name_or_path": "CompVis/stable-diffusion-safety-checker",
        "architectures": ["StableDiffusionSafetyChecker"], "model_type": "clip",
        "projection_dim": len(SAFETY_THRESHOLDS), "thresholds": SAFETY_THRESHOLDS})
    index = os.path.join(root, "model_index.json")
    with open(index, encoding="utf-8") as f:
        config = json.load(f)
    config["requires_safety_checker"] = True
    config["safety_checker"] = ["stable_diffusion", "StableDiffusionSafetyChecker"]
    common.write_json(index, config)


def sd15_fp16(root):
    """sd15 as an fp16 export (optimum --dtype fp16): every float input and output float16, timestep included."""
    sd15(root)
    for part in ("text_encoder", "unet", "vae_encoder", "vae_decoder"):
        path = os.path.join(root, part, "model.onnx")
        model = onnx.load(path)
        floats = {v.name for v in list(model.graph.input) + list(model.graph.output)
                  if v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT}
        common.half_io(model, floats.__contains__, floats.__contains__)
        common.save(model, path)


def sdxl(root, lightning=False):
    """SDXL base (Euler, leading) or the Lightning variant (same graphs, trailing spacing)."""
    common.seed(20)
    d1, d2 = 16, 32  # text_encoder (768 in SDXL) and text_encoder_2 (1280) widths
    vocab = V.write_clip_tokenizer(os.path.join(root, "tokenizer"), "<|endoftext|>")
    V.write_clip_tokenizer(os.path.join(root, "tokenizer_2"), "!")
    eos = vocab["<|endoftext|>"]
    te1 = TextEncoder(len(vocab), eos, d1, 2, 2, hidden_states=True)
    export_text_encoder(os.path.join(root, "text_encoder"), te1,
                        ["last_hidden_state", "pooler_output", "hidden_states.0", "hidden_states.1",
                         "hidden_states.2"])
    common.write_json(os.path.join(root, "text_encoder", "config.json"),
                      clip_config(vocab, d1, 2, 2, "CLIPTextModel"))
    te2 = TextEncoderWithProjection(len(vocab), eos, d2, 2, 2, projection=d2)
    export_text_encoder(os.path.join(root, "text_encoder_2"), te2,
                        ["text_embeds", "last_hidden_state", "hidden_states.0", "hidden_states.1",
                         "hidden_states.2"])
    common.write_json(os.path.join(root, "text_encoder_2", "config.json"),
                      clip_config(vocab, d2, 2, 2, "CLIPTextModelWithProjection", projection=d2))
    cross = d1 + d2  # encoder_hidden_states = hidden_states[-2] of both, concatenated
    unet = UNet(4, cross, add_text_dim=d2, add_time_dim=8)
    export_unet(os.path.join(root, "unet"), unet, 4, cross,
                [("text_embeds", lambda b: torch.randn(b, d2)),
                 ("time_ids", lambda b: torch.tensor([[256.0, 256.0, 0.0, 0.0, 256.0, 256.0]] * b))],
                external=True)  # real SDXL UNets keep their weights in model.onnx_data
    common.write_json(os.path.join(root, "unet", "config.json"), unet_config(
        4, cross, 32, addition_embed_type="text_time", addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=d2 + 6 * 8, use_linear_projection=True))
    export_vae(root, 4)
    write_vae_configs(root, vae_config(4, 0.13025, 256, force_upcast=True))
    over = {"timestep_spacing": "trailing"} if lightning else {}
    common.write_json(os.path.join(root, "scheduler", "scheduler_config.json"),
                      scheduler("EulerDiscreteScheduler", **over))
    common.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "StableDiffusionXLPipeline", "_diffusers_version": "0.19.0.dev0",
        "force_zeros_for_empty_prompt": True, "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]})


def instruct_pix2pix(root):
    common.seed(22)
    vocab = V.write_clip_tokenizer(os.path.join(root, "tokenizer"), "<|endoftext|>")
    te = TextEncoder(len(vocab), vocab["<|endoftext|>"], 32, 2, 2)
    export_text_encoder(os.path.join(root, "text_encoder"), te, ["last_hidden_state", "pooler_output"])
    common.write_json(os.path.join(root, "text_encoder", "config.json"),
                      clip_config(vocab, 32, 2, 2, "CLIPTextModel"))
    unet = UNet(8, 32)  # 4 noisy latents + 4 image latents
    export_unet(os.path.join(root, "unet"), unet, 8, 32)
    common.write_json(os.path.join(root, "unet", "config.json"), unet_config(8, 32, 32))
    export_vae(root, 4)
    write_vae_configs(root, vae_config(4, 0.18215, 256))
    common.write_json(os.path.join(root, "scheduler", "scheduler_config.json"),
                      scheduler("EulerAncestralDiscreteScheduler"))
    common.write_json(os.path.join(root, "feature_extractor", "preprocessor_config.json"), CLIP_IMAGE_PROCESSOR)
    common.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "StableDiffusionInstructPix2PixPipeline", "_diffusers_version": "0.13.0.dev0",
        "feature_extractor": ["transformers", "CLIPImageProcessor"], "requires_safety_checker": False,
        "safety_checker": [None, None], "scheduler": ["diffusers", "EulerAncestralDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]})


def sd_x4_upscaler(root):
    common.seed(4)
    vocab = V.write_clip_tokenizer(os.path.join(root, "tokenizer"), "!")  # OpenCLIP-H pads with "!"
    te = TextEncoder(len(vocab), vocab["<|endoftext|>"], 32, 2, 2)
    export_text_encoder(os.path.join(root, "text_encoder"), te, ["last_hidden_state", "pooler_output"])
    common.write_json(os.path.join(root, "text_encoder", "config.json"),
                      clip_config(vocab, 32, 2, 2, "CLIPTextModel"))
    unet = UNet(7, 32, num_class_embeds=1000)  # 4 latents + 3 noised low-res RGB channels
    export_unet(os.path.join(root, "unet"), unet, 7, 32,
                [("class_labels", lambda b: torch.full((b,), 20, dtype=torch.int64))])
    common.write_json(os.path.join(root, "unet", "config.json"),
                      unet_config(7, 32, 32, class_embed_type=None, num_class_embeds=1000))
    export_vae(root, 3)  # three blocks: x4
    write_vae_configs(root, vae_config(3, 0.08333, 256))
    common.write_json(os.path.join(root, "scheduler", "scheduler_config.json"), {
        "_class_name": "DDIMScheduler", "_diffusers_version": "0.10.0.dev0", "beta_end": 0.02,
        "beta_schedule": "scaled_linear", "beta_start": 0.0001, "clip_sample": False,
        "num_train_timesteps": 1000, "prediction_type": "v_prediction", "set_alpha_to_one": False,
        "steps_offset": 1, "trained_betas": None})
    common.write_json(os.path.join(root, "low_res_scheduler", "scheduler_config.json"), {
        "_class_name": "DDPMScheduler", "_diffusers_version": "0.10.0.dev0", "beta_end": 0.02,
        "beta_schedule": "scaled_linear", "beta_start": 0.0001, "clip_sample": True,
        "num_train_timesteps": 1000, "prediction_type": "epsilon", "trained_betas": None,
        "variance_type": "fixed_small"})
    common.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "StableDiffusionUpscalePipeline", "_diffusers_version": "0.10.0.dev0",
        "low_res_scheduler": ["diffusers", "DDPMScheduler"], "max_noise_level": 350,
        "num_latent_channels": 4, "num_unet_input_channels": 7,
        "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"]})


FIXTURES = {
    "sd15": sd15,
    "sd15-legacy": lambda root: sd15(root, legacy=True),
    "sd15-safety": sd15_safety,
    "sd15-fp16": sd15_fp16,
    "sdxl": sdxl,
    "sdxl-lightning": lambda root: sdxl(root, lightning=True),
    "instruct-pix2pix": instruct_pix2pix,
    "sd-x4-upscaler": sd_x4_upscaler,
}
