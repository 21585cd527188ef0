"""Diffusion transformers (issue #20, docs/diffusion-transformers.md): flux-schnell, flux-dev, sd3, in the diffusers layout
optimum's ONNX exporter writes (model_configs.py: FluxTransformerOnnxConfig, SD3TransformerOnnxConfig,
CLIPText(WithProjection)OnnxConfig, T5EncoderOnnxConfig, VaeEncoder/VaeDecoderOnnxConfig).

The transformers keep the real interfaces and the gist of the maths, so that a wrong binding shows in the output:
the timestep (and Flux dev's guidance) go through sinusoidal embeddings and, with the pooled text, modulate every
block (AdaLN); text and image tokens attend jointly; Flux rotates queries and keys by the 3-axis positions of
txt_ids/img_ids (RoPE), SD3 patchifies (patch 2) and adds 2-D sin-cos positions.
"""

import os
import shutil

import onnx
import torch
from torch import nn
import torch.nn.functional as F

import common
import diffusion as D
import tts
import vocab as V
from layers import attend, merge_heads, split_heads, timestep_embedding

INNER, HEADS, FREQ = 32, 2, 16  # transformer width, heads (head 16), sinusoid width of timestep/guidance
AXES = (4, 6, 6)  # Flux axes_dims_rope (16, 56, 56 in FLUX.1): sums to the head size


# ------------------------------------------------------------------ text encoders

class T5Encoder(nn.Module):
    """T5EncoderModel in miniature: embeddings, pre-RMSNorm layers with a relative position bias (a learned slope per
    head times -|i - j|, standing in for T5's bucketed bias), a final RMSNorm. input_ids -> last_hidden_state."""

    def __init__(self, vocab_size, dim, layers=2, heads=2):
        super().__init__()
        self.heads = heads
        self.embed = nn.Embedding(vocab_size, dim)
        self.slopes = nn.Parameter(torch.rand(heads) * 0.5)
        self.qkv = nn.ModuleList([nn.Linear(dim, 3 * dim, bias=False) for _ in range(layers)])
        self.out = nn.ModuleList([nn.Linear(dim, dim, bias=False) for _ in range(layers)])
        self.ffn = nn.ModuleList([nn.Sequential(nn.Linear(dim, 2 * dim, bias=False), nn.GELU(),
                                                nn.Linear(2 * dim, dim, bias=False)) for _ in range(layers)])
        self.final = nn.Parameter(torch.ones(dim))

    @staticmethod
    def rms(x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-6)

    def forward(self, input_ids):
        x = self.embed(input_ids)
        pos = torch.arange(input_ids.shape[1])
        bias = -(pos.unsqueeze(0) - pos.unsqueeze(1)).abs().to(torch.float32)
        bias = self.slopes[:, None, None] * bias  # [heads, S, S]
        for i, (qkv, out, ffn) in enumerate(zip(self.qkv, self.out, self.ffn)):
            q, k, v = qkv(self.rms(x)).chunk(3, dim=-1)
            h = attend(split_heads(q, self.heads), split_heads(k, self.heads), split_heads(v, self.heads), bias)
            x = x + out(merge_heads(h))
            x = x + ffn(self.rms(x))
        return self.rms(x) * self.final


def t5_config(vocab_size, dim):
    return {"architectures": ["T5EncoderModel"], "d_ff": 2 * dim, "d_kv": dim // 2, "d_model": dim,
            "decoder_start_token_id": 0, "dense_act_fn": "gelu_new", "dropout_rate": 0.1, "eos_token_id": 1,
            "feed_forward_proj": "gated-gelu", "initializer_factor": 1.0, "is_encoder_decoder": True,
            "is_gated_act": True, "layer_norm_epsilon": 1e-06, "model_type": "t5", "num_decoder_layers": 2,
            "num_heads": 2, "num_layers": 2, "pad_token_id": 0, "relative_attention_max_distance": 128,
            "relative_attention_num_buckets": 32, "tie_word_embeddings": False, "torch_dtype": "float32",
            "vocab_size": vocab_size}


def export_t5(root, folder, dim):
    """text_encoder_2 (Flux) / text_encoder_3 (SD3) with tokenizer_2 / tokenizer_3: Parler's T5 Unigram tokenizer."""
    tokenizer = folder.replace("text_encoder", "tokenizer")
    vocab_size = tts.write_t5_tokenizer(os.path.join(root, tokenizer))
    t5 = T5Encoder(vocab_size, dim)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}
    ids = torch.randint(3, vocab_size, (1, 12))
    ids[0, 8] = 1  # </s>, then <pad> (0) to the end, as the pipeline pads to max_sequence_length
    ids[0, 9:] = 0
    common.export(t5, (ids,), os.path.join(root, folder, "model.onnx"), ["input_ids"], ["last_hidden_state"], axes,
                  cases=[(torch.randint(0, vocab_size, (2, 5)),)])
    common.write_json(os.path.join(root, folder, "config.json"), t5_config(vocab_size, dim))


def export_clip(root, folder, dim, with_projection, pad_token):
    """CLIP-L (Flux: CLIPTextModel) or, for SD3, CLIPTextModelWithProjection with every hidden state."""
    tokenizer = folder.replace("text_encoder", "tokenizer")
    vocab = V.write_clip_tokenizer(os.path.join(root, tokenizer), pad_token)
    eos = vocab["<|endoftext|>"]
    hidden = ["hidden_states.0", "hidden_states.1", "hidden_states.2"]
    if with_projection:
        module = D.TextEncoderWithProjection(len(vocab), eos, dim, 2, 2, projection=dim)
        outputs = ["text_embeds", "last_hidden_state", *hidden]
    else:
        module = D.TextEncoder(len(vocab), eos, dim, 2, 2)
        outputs = ["last_hidden_state", "pooler_output"]
    D.export_text_encoder(os.path.join(root, folder), module, outputs)
    arch = "CLIPTextModelWithProjection" if with_projection else "CLIPTextModel"
    common.write_json(os.path.join(root, folder, "config.json"),
                      D.clip_config(vocab, dim, 2, 2, arch, projection=dim if with_projection else None))


# ------------------------------------------------------------------ transformer pieces

class Modulation(nn.Module):
    """AdaLN: (shift, scale, gate) triples from the conditioning vector temb [B, INNER]."""

    def __init__(self, triples):
        super().__init__()
        self.triples = triples
        self.lin = nn.Linear(INNER, 3 * triples * INNER)

    def forward(self, temb):
        return self.lin(F.silu(temb)).unsqueeze(1).chunk(3 * self.triples, dim=-1)


def modulate(x, shift, scale):
    """LayerNorm without affine terms (written out: torch 1.13 exports F.layer_norm without weight invalidly)."""
    centred = x - x.mean(-1, keepdim=True)
    normed = centred * torch.rsqrt((centred * centred).mean(-1, keepdim=True) + 1e-6)
    return normed * (1 + scale) + shift


def rotate(x, cos, sin):
    """RoPE on pairs of features (diffusers' apply_rotary_emb with use_real_unbind_dim=-1): x [B, H, S, D]."""
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(3)


class JointBlock(nn.Module):
    """A dual-stream block (FluxTransformerBlock / SD3's JointTransformerBlock): text and image tokens have their own
    modulation, projections and MLPs, and attend jointly over [text ‖ image]."""

    def __init__(self):
        super().__init__()
        self.mod_img, self.mod_txt = Modulation(2), Modulation(2)
        self.qkv_img, self.qkv_txt = nn.Linear(INNER, 3 * INNER), nn.Linear(INNER, 3 * INNER)
        self.out_img, self.out_txt = nn.Linear(INNER, INNER), nn.Linear(INNER, INNER)
        self.mlp_img = nn.Sequential(nn.Linear(INNER, 2 * INNER), nn.GELU(), nn.Linear(2 * INNER, INNER))
        self.mlp_txt = nn.Sequential(nn.Linear(INNER, 2 * INNER), nn.GELU(), nn.Linear(2 * INNER, INNER))

    def forward(self, img, txt, temb, rope=None):
        s1, c1, g1, s2, c2, g2 = self.mod_img(temb)
        t1, d1, h1, t2, d2, h2 = self.mod_txt(temb)
        qi, ki, vi = self.qkv_img(modulate(img, s1, c1)).chunk(3, dim=-1)
        qt, kt, vt = self.qkv_txt(modulate(txt, t1, d1)).chunk(3, dim=-1)
        q = split_heads(torch.cat([qt, qi], dim=1), HEADS)
        k = split_heads(torch.cat([kt, ki], dim=1), HEADS)
        v = split_heads(torch.cat([vt, vi], dim=1), HEADS)
        if rope is not None:
            q, k = rotate(q, *rope), rotate(k, *rope)
        a = merge_heads(attend(q, k, v))
        n = txt.shape[1]
        txt = txt + h1 * self.out_txt(a[:, :n])
        img = img + g1 * self.out_img(a[:, n:])
        img = img + g2 * self.mlp_img(modulate(img, s2, c2))
        txt = txt + h2 * self.mlp_txt(modulate(txt, t2, d2))
        return img, txt


class SingleBlock(nn.Module):
    """FluxSingleTransformerBlock: one stream over [text ‖ image], attention and MLP in parallel, one output proj."""

    def __init__(self):
        super().__init__()
        self.mod = Modulation(1)
        self.qkv = nn.Linear(INNER, 3 * INNER)
        self.mlp = nn.Linear(INNER, 2 * INNER)
        self.out = nn.Linear(3 * INNER, INNER)

    def forward(self, x, temb, rope):
        shift, scale, gate = self.mod(temb)
        h = modulate(x, shift, scale)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        q, k = rotate(split_heads(q, HEADS), *rope), rotate(split_heads(k, HEADS), *rope)
        a = merge_heads(attend(q, k, split_heads(v, HEADS)))
        return x + gate * self.out(torch.cat([a, F.gelu(self.mlp(h))], dim=-1))


class OutNorm(nn.Module):
    """AdaLayerNormContinuous + proj_out."""

    def __init__(self, out):
        super().__init__()
        self.lin = nn.Linear(INNER, 2 * INNER)
        self.proj = nn.Linear(INNER, out)

    def forward(self, x, temb):
        scale, shift = self.lin(F.silu(temb)).unsqueeze(1).chunk(2, dim=-1)
        return self.proj(modulate(x, shift, scale))


def sharpen(module, factor=3.0):
    """Scales the attention and context projections: with default init the attention is so flat that text and ids
    barely move the output (1e-2); ×3 makes every input change it by a sizeable fraction of its magnitude."""
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if "qkv" in name or "context_embedder" in name:
                parameter.mul_(factor)
    return module


def embedder(width):
    """TimestepEmbedding / PixArtAlphaTextProjection: linear, SiLU, linear to INNER."""
    return nn.Sequential(nn.Linear(width, INNER), nn.SiLU(), nn.Linear(INNER, INNER))


# ------------------------------------------------------------------ Flux

class FluxTransformer(nn.Module):
    """FluxTransformer2DModel: packed latents [B, N, 64], T5 states, CLIP pooled, timestep ÷ 1000 (the model multiplies
    by 1000 again, as diffusers does), int64 ids [S, 3] / [N, 3] (float in the model), dev's guidance (× 1000)."""

    def __init__(self, d_t5, d_pooled, guidance):
        super().__init__()
        self.guidance = guidance
        self.x_embedder = nn.Linear(64, INNER)
        self.context_embedder = nn.Linear(d_t5, INNER)
        self.time = embedder(FREQ)
        self.guide = embedder(FREQ) if guidance else None
        self.text = embedder(d_pooled)
        self.joint = JointBlock()
        self.single = SingleBlock()
        self.norm_out = OutNorm(64)

    @staticmethod
    def rope(ids):
        """FluxPosEmbed: per axis i, angles ids[:, i] · θ^(-2j/d_i), θ = 10000; cos and sin [S, 8]."""
        pos = ids.to(torch.float32)
        cos, sin = [], []
        for axis, dim in enumerate(AXES):
            omega = 1.0 / (10000.0 ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
            angles = pos[:, axis:axis + 1] * omega
            cos.append(torch.cos(angles))
            sin.append(torch.sin(angles))
        return torch.cat(cos, dim=-1), torch.cat(sin, dim=-1)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids, *guidance):
        temb = self.time(timestep_embedding(timestep * 1000.0, FREQ))
        if self.guidance:
            temb = temb + self.guide(timestep_embedding(guidance[0] * 1000.0, FREQ))
        temb = temb + self.text(pooled_projections)
        img = self.x_embedder(hidden_states)
        txt = self.context_embedder(encoder_hidden_states)
        rope = self.rope(torch.cat([txt_ids, img_ids], dim=0))
        img, txt = self.joint(img, txt, temb, rope)
        x = self.single(torch.cat([txt, img], dim=1), temb, rope)
        return self.norm_out(x[:, txt.shape[1]:], temb)


# ------------------------------------------------------------------ Flux with diffusers' module names

NAMED_INNER, NAMED_AXES = 8, (2, 2, 4)  # one head of 8


def _linear_list(*layers):
    """A ModuleList whose children sit at diffusers' indices (to_out.0, net.0 / net.2: a weightless Identity between)."""
    return nn.ModuleList(layers)


# Every module below is called through its own forward, as diffusers calls them, so the exported node names keep
# the full module scopes (/transformer_blocks.0/attn/to_q/MatMul) an optimum export of the real model has.

class _Gelu(nn.Module):
    """diffusers' GELU activation module: its projection is `proj`."""

    def __init__(self, d_in, d_out):
        super().__init__()
        self.proj = nn.Linear(d_in, d_out)

    def forward(self, x):
        return F.gelu(self.proj(x), approximate="tanh")


class _FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = _linear_list(_Gelu(NAMED_INNER, 4 * NAMED_INNER), nn.Identity(), nn.Linear(4 * NAMED_INNER, NAMED_INNER))

    def forward(self, x):
        return self.net[2](self.net[0](x))


class _Embedding(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(d_in, d_out), nn.Linear(d_out, d_out)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class _TimeTextEmbedding(nn.Module):
    def __init__(self, d_pooled):
        super().__init__()
        self.timestep_embedder = _Embedding(FREQ, NAMED_INNER)
        self.text_embedder = _Embedding(d_pooled, NAMED_INNER)

    def forward(self, timestep, pooled):
        return self.timestep_embedder(timestep_embedding(timestep * 1000.0, FREQ)) + self.text_embedder(pooled)


class _AdaNorm(nn.Module):
    """AdaLayerNormZero / AdaLayerNormContinuous's `linear`: the modulation chunks from temb."""

    def __init__(self, chunks):
        super().__init__()
        self.chunks = chunks
        self.linear = nn.Linear(NAMED_INNER, chunks * NAMED_INNER)

    def forward(self, temb):
        return self.linear(F.silu(temb)).unsqueeze(1).chunk(self.chunks, dim=-1)


class _Attention(nn.Module):
    """Flux's Attention: to_q/k/v (and add_*_proj, to_out.0, to_add_out for the joint blocks), RoPE on q and k."""

    def __init__(self, joint):
        super().__init__()
        w = NAMED_INNER
        self.to_q, self.to_k, self.to_v = nn.Linear(w, w), nn.Linear(w, w), nn.Linear(w, w)
        if joint:
            self.add_q_proj, self.add_k_proj, self.add_v_proj = nn.Linear(w, w), nn.Linear(w, w), nn.Linear(w, w)
            self.to_out = _linear_list(nn.Linear(w, w))
            self.to_add_out = nn.Linear(w, w)

    def forward(self, x, rope, context=None):
        heads = NAMED_INNER // 8
        q, k, v = self.to_q(x), self.to_k(x), self.to_v(x)
        if context is not None:
            q = torch.cat([self.add_q_proj(context), q], dim=1)
            k = torch.cat([self.add_k_proj(context), k], dim=1)
            v = torch.cat([self.add_v_proj(context), v], dim=1)
        q, k, v = split_heads(q, heads), split_heads(k, heads), split_heads(v, heads)
        a = merge_heads(attend(rotate(q, *rope), rotate(k, *rope), v))
        if context is None:
            return a
        n = context.shape[1]
        return self.to_out[0](a[:, n:]), self.to_add_out(a[:, :n])


class _NamedJointBlock(nn.Module):
    """FluxTransformerBlock's parameters under diffusers' names: norm1(_context).linear, attn, ff, ff_context."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm1_context = _AdaNorm(6), _AdaNorm(6)
        self.attn = _Attention(joint=True)
        self.ff, self.ff_context = _FeedForward(), _FeedForward()

    def forward(self, img, txt, temb, rope):
        s1, c1, g1, s2, c2, g2 = self.norm1(temb)
        t1, d1, h1, t2, d2, h2 = self.norm1_context(temb)
        img_attn, txt_attn = self.attn(modulate(img, s1, c1), rope, context=modulate(txt, t1, d1))
        img = img + g1 * img_attn
        txt = txt + h1 * txt_attn
        img = img + g2 * self.ff(modulate(img, s2, c2))
        txt = txt + h2 * self.ff_context(modulate(txt, t2, d2))
        return img, txt


class _NamedSingleBlock(nn.Module):
    """FluxSingleTransformerBlock under diffusers' names: norm.linear, attn.to_q/k/v, proj_mlp, proj_out."""

    def __init__(self):
        super().__init__()
        self.norm = _AdaNorm(3)
        self.attn = _Attention(joint=False)
        self.proj_mlp = nn.Linear(NAMED_INNER, 4 * NAMED_INNER)
        self.proj_out = nn.Linear(5 * NAMED_INNER, NAMED_INNER)

    def forward(self, x, temb, rope):
        shift, scale, gate = self.norm(temb)
        h = modulate(x, shift, scale)
        return x + gate * self.proj_out(torch.cat([self.attn(h, rope), F.gelu(self.proj_mlp(h), approximate="tanh")], dim=-1))


class _NormOut(nn.Module):
    """AdaLayerNormContinuous: `linear` gives (scale, shift), diffusers' order (Black Forest Labs' is shift, scale)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(NAMED_INNER, 2 * NAMED_INNER)

    def forward(self, x, temb):
        scale, shift = self.linear(F.silu(temb)).unsqueeze(1).chunk(2, dim=-1)
        return modulate(x, shift, scale)


class NamedFluxTransformer(nn.Module):
    """FluxTransformer2DModel's interface and parameter names (x_embedder, context_embedder, time_text_embed,
    transformer_blocks, single_transformer_blocks, norm_out, proj_out), one block of each kind: what a LoRA in
    kohya's names for Black Forest Labs' modules (lora_unet_double_blocks_0_img_attn_qkv …) maps onto."""

    def __init__(self, d_t5, d_pooled):
        super().__init__()
        self.x_embedder, self.context_embedder = nn.Linear(64, NAMED_INNER), nn.Linear(d_t5, NAMED_INNER)
        self.time_text_embed = _TimeTextEmbedding(d_pooled)
        self.transformer_blocks = nn.ModuleList([_NamedJointBlock()])
        self.single_transformer_blocks = nn.ModuleList([_NamedSingleBlock()])
        self.norm_out = _NormOut()
        self.proj_out = nn.Linear(NAMED_INNER, 64)

    @staticmethod
    def rope(ids):
        pos = ids.to(torch.float32)
        cos, sin = [], []
        for axis, dim in enumerate(NAMED_AXES):
            angles = pos[:, axis:axis + 1] * (1.0 / (10000.0 ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)))
            cos.append(torch.cos(angles))
            sin.append(torch.sin(angles))
        return torch.cat(cos, dim=-1), torch.cat(sin, dim=-1)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids):
        temb = self.time_text_embed(timestep, pooled_projections)
        img, txt = self.x_embedder(hidden_states), self.context_embedder(encoder_hidden_states)
        rope = self.rope(torch.cat([txt_ids, img_ids], dim=0))
        img, txt = self.transformer_blocks[0](img, txt, temb, rope)
        x = self.single_transformer_blocks[0](torch.cat([txt, img], dim=1), temb, rope)
        return self.proj_out(self.norm_out(x[:, txt.shape[1]:], temb))


def flux_ids(rows, columns, text):
    """img_ids rows (0, y, x) on the packed grid and all-zero txt_ids, int64 as optimum's dummy generator makes them."""
    y = torch.arange(rows).repeat_interleave(columns)
    x = torch.arange(columns).repeat(rows)
    img = torch.stack([torch.zeros_like(y), y, x], dim=1)
    return img, torch.zeros(text, 3, dtype=torch.int64)


def export_flux_transformer(root, d_t5, d_pooled, guidance, module=None):
    """The Flux transformer graph and config.json; `module` replaces the fixture's own (NamedFluxTransformer)."""
    named = module is not None
    module = module or sharpen(FluxTransformer(d_t5, d_pooled, guidance))

    def inputs(b, rows, columns, s):
        img_ids, txt_ids = flux_ids(rows, columns, s)
        args = (torch.randn(b, rows * columns, 64), torch.randn(b, s, d_t5), torch.randn(b, d_pooled),
                torch.full((b,), 0.75), img_ids, txt_ids)
        return args + ((torch.full((b,), 3.5),) if guidance else ())
    names = ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "img_ids", "txt_ids"]
    axes = {"hidden_states": {0: "batch_size", 1: "packed_height_width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "pooled_projections": {0: "batch_size"}, "timestep": {0: "step"},
            "img_ids": {0: "packed_height_width"}, "txt_ids": {0: "sequence_length"},
            "out_hidden_states": {0: "batch_size", 1: "packed_height_width"}}
    if guidance:
        names.append("guidance")
        axes["guidance"] = {0: "batch_size"}
    common.export(module, inputs(1, 4, 4, 6), os.path.join(root, "transformer", "model.onnx"), names,
                  ["out_hidden_states"], axes, cases=[inputs(2, 3, 4, 9)])
    common.write_json(os.path.join(root, "transformer", "config.json"), {
        "_class_name": "FluxTransformer2DModel", "_diffusers_version": "0.30.0.dev0",
        "attention_head_dim": 8 if named else INNER // HEADS, "axes_dims_rope": list(NAMED_AXES if named else AXES),
        "guidance_embeds": guidance, "in_channels": 64, "joint_attention_dim": d_t5,
        "num_attention_heads": NAMED_INNER // 8 if named else HEADS, "num_layers": 1,
        "num_single_layers": 1, "patch_size": 1, "pooled_projection_dim": d_pooled})


def flow_scheduler(**keys):
    return {"_class_name": "FlowMatchEulerDiscreteScheduler", **dict(sorted(keys.items()))}


def write_dit_vae(root, scaling_factor, shift_factor):
    """The 16-channel VAE (×8: four blocks, so DiffusionVae's 2^(blocks-1)); no quant convs, like FLUX.1's and SD3's."""
    D.export_vae(root, 4, latent=16, quant=False)
    D.write_vae_configs(root, D.vae_config(4, scaling_factor, 256, force_upcast=True, latent_channels=16,
                                           latents_mean=None, latents_std=None, mid_block_add_attention=True,
                                           shift_factor=shift_factor, use_post_quant_conv=False,
                                           use_quant_conv=False))


def flux(root, dev):
    """FLUX.1 schnell (guidance_embeds false, shift 1.0) or dev (guidance input, dynamic shifting)."""
    common.seed(31 if dev else 30)
    d_clip, d_t5 = 16, 24  # CLIP-L 768 (pooled_projection_dim), T5-XXL 4096 (joint_attention_dim)
    export_clip(root, "text_encoder", d_clip, with_projection=False, pad_token="<|endoftext|>")
    export_t5(root, "text_encoder_2", d_t5)
    export_flux_transformer(root, d_t5, d_clip, guidance=dev)
    write_dit_vae(root, 0.3611, 0.1159)
    shifting = {"base_image_seq_len": 256, "base_shift": 0.5, "max_image_seq_len": 4096, "max_shift": 1.15,
                "num_train_timesteps": 1000}
    common.write_json(os.path.join(root, "scheduler", "scheduler_config.json"), flow_scheduler(
        _diffusers_version="0.30.0.dev0", shift=3.0 if dev else 1.0, use_dynamic_shifting=dev, **shifting))
    common.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "FluxPipeline", "_diffusers_version": "0.30.0.dev0",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"], "text_encoder_2": ["transformers", "T5EncoderModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "T5TokenizerFast"],
        "transformer": ["diffusers", "FluxTransformer2DModel"], "vae": ["diffusers", "AutoencoderKL"]})


# ------------------------------------------------------------------ SD3

class SD3Transformer(nn.Module):
    """SD3Transformer2DModel: latents [B, 16, H, W] patchified (2×2 conv) with 2-D sin-cos positions, the joint text
    sequence projected by context_embedder, timestep (0…1000) and pooled text modulating; unpatchified output."""

    def __init__(self, d_joint, d_pooled):
        super().__init__()
        self.pos_embed = nn.Conv2d(16, INNER, 2, stride=2)
        self.context_embedder = nn.Linear(d_joint, INNER)
        self.time = embedder(FREQ)
        self.text = embedder(d_pooled)
        self.blocks = nn.ModuleList([JointBlock(), JointBlock()])
        self.norm_out = OutNorm(2 * 2 * 16)

    @staticmethod
    def positions(rows, columns):
        """get_2d_sincos_pos_embed on the patch grid: half the width for the row, half for the column."""
        quarter = INNER // 4
        omega = 1.0 / (10000.0 ** (torch.arange(quarter, dtype=torch.float32) / quarter))
        row = torch.arange(rows).to(torch.float32).unsqueeze(1)
        column = torch.arange(columns).to(torch.float32).unsqueeze(0)
        y = (row + 0 * column).reshape(-1, 1) * omega  # token r·columns + c holds row r, column c
        x = (0 * row + column).reshape(-1, 1) * omega
        return torch.cat([torch.sin(y), torch.cos(y), torch.sin(x), torch.cos(x)], dim=-1)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep):
        b, h, w = hidden_states.shape[0], hidden_states.shape[2], hidden_states.shape[3]
        rows, columns = h // 2, w // 2
        img = self.pos_embed(hidden_states).flatten(2).transpose(1, 2) + self.positions(rows, columns)
        txt = self.context_embedder(encoder_hidden_states)
        temb = self.time(timestep_embedding(timestep, FREQ)) + self.text(pooled_projections)
        for block in self.blocks:
            img, txt = block(img, txt, temb)
        out = self.norm_out(img, temb)  # [B, rows·columns, 2·2·16], features (p, q, c)
        out = out.reshape(b, rows, columns, 2, 2, 16).permute(0, 5, 1, 3, 2, 4)
        return out.reshape(b, 16, h, w)


def sd3(root):
    """SD3 medium: CLIP-L and CLIP-G with projection (all hidden states), T5, the 16-channel VAE, shift 3.0."""
    common.seed(32)
    d_l, d_g, d_t5 = 16, 24, 48  # 768, 1280 (together 2048, zero-padded to T5's 4096); here 40 padded to 48
    export_clip(root, "text_encoder", d_l, with_projection=True, pad_token="<|endoftext|>")
    export_clip(root, "text_encoder_2", d_g, with_projection=True, pad_token="!")
    export_t5(root, "text_encoder_3", d_t5)
    module = sharpen(SD3Transformer(d_t5, d_l + d_g))

    def inputs(b, h, w, s):
        return (torch.randn(b, 16, h, w), torch.randn(b, s, d_t5), torch.randn(b, d_l + d_g),
                torch.full((b,), 750.0))
    axes = {"hidden_states": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "pooled_projections": {0: "batch_size"}, "timestep": {0: "step"},
            "out_hidden_states": {0: "batch_size", 2: "height", 3: "width"}}
    common.export(module, inputs(2, 8, 8, 10), os.path.join(root, "transformer", "model.onnx"),
                  ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep"],
                  ["out_hidden_states"], axes, cases=[inputs(1, 6, 10, 7)])
    common.write_json(os.path.join(root, "transformer", "config.json"), {
        "_class_name": "SD3Transformer2DModel", "_diffusers_version": "0.29.0.dev0",
        "attention_head_dim": INNER // HEADS, "caption_projection_dim": INNER, "in_channels": 16,
        "joint_attention_dim": d_t5, "num_attention_heads": HEADS, "num_layers": 2, "out_channels": 16,
        "patch_size": 2, "pooled_projection_dim": d_l + d_g, "pos_embed_max_size": 192, "sample_size": 32})
    write_dit_vae(root, 1.5305, 0.0609)
    common.write_json(os.path.join(root, "scheduler", "scheduler_config.json"), flow_scheduler(
        _diffusers_version="0.29.0.dev0", num_train_timesteps=1000, shift=3.0))
    common.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "StableDiffusion3Pipeline", "_diffusers_version": "0.29.0.dev0",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModelWithProjection"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "text_encoder_3": ["transformers", "T5EncoderModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "tokenizer_3": ["transformers", "T5TokenizerFast"],
        "transformer": ["diffusers", "SD3Transformer2DModel"], "vae": ["diffusers", "AutoencoderKL"]})


def _retype_input(model, name, elem_type, fixed=None):
    """Declares graph input `name` as elem_type (a Cast to its old type feeds the body), with fixed dims where given."""
    value = next(v for v in model.graph.input if v.name == name)
    old = value.type.tensor_type.elem_type
    inner = name + "_orig"
    for node in model.graph.node:
        node.input[:] = [inner if i == name else i for i in node.input]
    model.graph.node.insert(0, onnx.helper.make_node("Cast", [name], [inner], to=old, name="cast_" + name))
    value.type.tensor_type.elem_type = elem_type
    for axis, size in (fixed or {}).items():
        value.type.tensor_type.shape.dim[axis].Clear()
        value.type.tensor_type.shape.dim[axis].dim_value = size


def _rename(model, renames):
    """Renames graph inputs and outputs (and every node's use of them)."""
    for value in list(model.graph.input) + list(model.graph.output):
        value.name = renames.get(value.name, value.name)
    for node in model.graph.node:
        node.input[:] = [renames.get(i, i) for i in node.input]
        node.output[:] = [renames.get(o, o) for o in node.output]


def flux_schnell_bfl(root):
    """flux-schnell (the same weights) in Black Forest Labs' TensorRT ONNX layout (docs/diffusion-transformers.md):
    clip.opt, t5.opt, transformer.opt/bf16, vae.opt, vae_encoder.opt with BFL's tensor names, int32 input_ids, float
    ids, a fixed text length of 256, bf16 at the bf16 transformer's boundary except the ids; beside them the diffusers
    repository's side files (tokenizers, scheduler, vae/config.json, transformer/config.json, model_index.json), which
    BFL's repositories lack. The VAE encoder gives the posterior mean as `latent` (BFL's samples inside the graph)."""
    import tempfile
    source = tempfile.mkdtemp(prefix="tiny-bfl-")
    try:
        flux(source, dev=False)
        text = 256
        graphs = {
            "text_encoder": ("clip.opt", {"last_hidden_state": "text_embeddings", "pooler_output": "pooled_embeddings"}),
            "text_encoder_2": ("t5.opt", {"last_hidden_state": "text_embeddings"}),
            "transformer": ("transformer.opt/bf16", {"out_hidden_states": "latent"}),
            "vae_decoder": ("vae.opt", {"latent_sample": "latent", "sample": "images"}),
            "vae_encoder": ("vae_encoder.opt", {"sample": "images"}),
        }
        for part, (folder, renames) in graphs.items():
            model = onnx.load(os.path.join(source, part, "model.onnx"))
            if part in ("text_encoder", "text_encoder_2"):
                _retype_input(model, "input_ids", onnx.TensorProto.INT32, fixed={1: 77 if part == "text_encoder" else text})
            if part == "transformer":
                _retype_input(model, "img_ids", onnx.TensorProto.FLOAT)
                _retype_input(model, "txt_ids", onnx.TensorProto.FLOAT, fixed={0: text})
                floats = {"hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "out_hidden_states"}
                common.half_io(model, floats.__contains__, floats.__contains__, elem_type=onnx.TensorProto.BFLOAT16)
            if part == "vae_encoder":  # the mean: the first 16 of latent_parameters' 32 channels
                out = model.graph.output[0]
                inner = out.name + "_both"
                for node in model.graph.node:
                    node.output[:] = [inner if o == out.name else o for o in node.output]
                starts = onnx.helper.make_tensor("slice_starts", onnx.TensorProto.INT64, [1], [0])
                ends = onnx.helper.make_tensor("slice_ends", onnx.TensorProto.INT64, [1], [16])
                axes = onnx.helper.make_tensor("slice_axes", onnx.TensorProto.INT64, [1], [1])
                model.graph.initializer.extend([starts, ends, axes])
                model.graph.node.append(onnx.helper.make_node("Slice", [inner, "slice_starts", "slice_ends", "slice_axes"], ["latent"], name="mean"))
                out.name = "latent"
                out.type.tensor_type.shape.dim[1].Clear()
                out.type.tensor_type.shape.dim[1].dim_value = 16
            _rename(model, renames)
            common.save(model, os.path.join(root, folder, "model.onnx"))
        for side in ("tokenizer", "tokenizer_2", "scheduler"):
            shutil.copytree(os.path.join(source, side), os.path.join(root, side))
        os.makedirs(os.path.join(root, "vae"))
        shutil.copyfile(os.path.join(source, "vae_decoder", "config.json"), os.path.join(root, "vae", "config.json"))
        os.makedirs(os.path.join(root, "transformer"))
        shutil.copyfile(os.path.join(source, "transformer", "config.json"), os.path.join(root, "transformer", "config.json"))
        shutil.copyfile(os.path.join(source, "model_index.json"), os.path.join(root, "model_index.json"))
    finally:
        shutil.rmtree(source, ignore_errors=True)


FIXTURES = {
    "flux-schnell": lambda root: flux(root, dev=False),
    "flux-schnell-bfl": flux_schnell_bfl,
    "flux-dev": lambda root: flux(root, dev=True),
    "sd3": sd3,
}
