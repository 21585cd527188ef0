"""Stable Video Diffusion (MODEL-FORMATS §3): image_encoder, vae_encoder, spatio-temporal unet,
temporal vae_decoder, in the project's optimum-style convention (no canonical export exists)."""

import os

import torch
from torch import nn
import torch.nn.functional as F

import common
from diffusion import CLIP_IMAGE_PROCESSOR, VaeEncoder, scheduler
from layers import Attention, Block, ResBlock, SpatialCrossAttention, timestep_embedding

PATCH, IMAGE = 32, 224  # 7x7 patches + class token = 50 tokens (ViT-H/14 has 257)


class ImageEncoder(nn.Module):
    """CLIPVisionModelWithProjection: patch embedding, transformer, post-LN on CLS, projection."""

    def __init__(self, dim=16, proj=32):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, PATCH, stride=PATCH, bias=False)
        self.cls = nn.Parameter(torch.randn(dim))
        self.pos = nn.Parameter(torch.randn((IMAGE // PATCH) ** 2 + 1, dim) * 0.1)
        self.pre = nn.LayerNorm(dim)
        self.block = Block(dim, 2)
        self.post = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, proj, bias=False)

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls.expand(x.shape[0], 1, -1)
        x = self.block(self.pre(torch.cat([cls, x], dim=1) + self.pos))
        return self.proj(self.post(x[:, 0])), x


class SpatioTemporalUNet(nn.Module):
    """UNetSpatioTemporalConditionModel in miniature: frames folded into the batch for the
    spatial layers, then attention across frames at every pixel."""

    def __init__(self, cross_dim=32, ch=16, add_dim=8):
        super().__init__()
        temb = 4 * ch
        self.ch, self.add_dim = ch, add_dim
        self.time = nn.Sequential(nn.Linear(ch, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.add = nn.Sequential(nn.Linear(3 * add_dim, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(8, ch, 3, padding=1)
        self.res = ResBlock(ch, ch, temb)
        self.spatial = SpatialCrossAttention(ch, 2, cross_dim)
        self.frame_pos = nn.Linear(ch, ch)
        self.temporal = Attention(ch, 2)
        self.norm_out = nn.GroupNorm(4, ch)
        self.conv_out = nn.Conv2d(ch, 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, added_time_ids):
        b, f, h, w = sample.shape[0], sample.shape[1], sample.shape[3], sample.shape[4]
        x = sample.reshape(b * f, 8, h, w)
        t = timestep.to(torch.float32).reshape(-1).expand(b)
        temb = self.time(timestep_embedding(t, self.ch))
        add = timestep_embedding(added_time_ids.reshape(-1), self.add_dim).reshape(b, -1)
        temb = temb + self.add(add)
        temb = temb.unsqueeze(1).expand(b, f, temb.shape[-1]).reshape(b * f, -1)
        ctx = encoder_hidden_states.unsqueeze(1).expand(b, f, -1, -1)
        ctx = ctx.reshape(b * f, encoder_hidden_states.shape[1], -1)
        x = self.spatial(self.res(self.conv_in(x), temb), ctx)
        # temporal attention: one sequence of f frames per pixel
        c = x.shape[1]
        seq = x.reshape(b, f, c, h * w).permute(0, 3, 1, 2).reshape(b * h * w, f, c)
        pos = self.frame_pos(timestep_embedding(torch.arange(f), self.ch))
        seq = seq + self.temporal(seq + pos)
        x = seq.reshape(b, h * w, f, c).permute(0, 2, 3, 1).reshape(b * f, c, h, w)
        out = self.conv_out(F.silu(self.norm_out(x)))
        return out.reshape(b, f, 4, h, w)


class TemporalVaeDecoder(nn.Module):
    """AutoencoderKLTemporalDecoder's decoder: 2-D upsampling plus mixing across the frames of
    each video. `num_frames` regroups the flat [batch·frames] axis, as the real decoder does."""

    def __init__(self, levels=4, ch=8):
        super().__init__()
        self.conv_in = nn.Conv2d(4, ch, 3, padding=1)
        self.blocks = nn.ModuleList([ResBlock(ch, ch) for _ in range(levels)])
        self.ups = nn.ModuleList([nn.Conv2d(ch, ch, 3, padding=1) for _ in range(levels - 1)])
        self.time_mix = nn.Conv2d(ch, ch, 1)
        self.norm = nn.GroupNorm(4, ch)
        self.conv_out = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, latent_sample, num_frames):
        h = self.conv_in(latent_sample)
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i < len(self.ups):
                h = self.ups[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        video = torch.div(torch.arange(h.shape[0]), num_frames, rounding_mode="floor")
        same = (video.unsqueeze(1) == video.unsqueeze(0)).to(torch.float32)
        mean = torch.einsum("ij,jchw->ichw", same / same.sum(-1, keepdim=True), h)
        h = h + self.time_mix(mean)
        return self.conv_out(F.silu(self.norm(h)))


def svd(root):
    common.seed(25)
    enc = ImageEncoder()
    common.export(enc, (torch.randn(2, 3, IMAGE, IMAGE),), os.path.join(root, "image_encoder", "model.onnx"),
                  ["pixel_values"], ["image_embeds", "last_hidden_state"],
                  {"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"},
                   "last_hidden_state": {0: "batch_size"}},
                  cases=[(torch.randn(1, 3, IMAGE, IMAGE),)])
    common.write_json(os.path.join(root, "image_encoder", "config.json"), {
        "architectures": ["CLIPVisionModelWithProjection"], "hidden_act": "gelu", "hidden_size": 16,
        "image_size": IMAGE, "intermediate_size": 32, "layer_norm_eps": 1e-05,
        "model_type": "clip_vision_model", "num_attention_heads": 2, "num_channels": 3,
        "num_hidden_layers": 1, "patch_size": PATCH, "projection_dim": 32, "torch_dtype": "float32"})

    vae_enc = VaeEncoder(4)
    common.export(vae_enc, (torch.randn(2, 3, 64, 64),), os.path.join(root, "vae_encoder", "model.onnx"),
                  ["sample"], ["latent_parameters"],
                  {"sample": {0: "batch_size", 2: "sample_height", 3: "sample_width"},
                   "latent_parameters": {0: "batch_size", 2: "sample_height / 8", 3: "sample_width / 8"}},
                  cases=[(torch.randn(1, 3, 24, 40),)])

    def unet_inputs(b, f, h, w):
        return (torch.randn(b, f, 8, h, w), torch.tensor(1.25), torch.randn(b, 1, 32),
                torch.tensor([[6.0, 127.0, 0.02]] * b))
    unet = SpatioTemporalUNet()
    common.export(unet, unet_inputs(2, 3, 8, 8), os.path.join(root, "unet", "model.onnx"),
                  ["sample", "timestep", "encoder_hidden_states", "added_time_ids"], ["out_sample"],
                  {"sample": {0: "batch_size", 1: "num_frames", 3: "height", 4: "width"},
                   "timestep": {}, "encoder_hidden_states": {0: "batch_size"},
                   "added_time_ids": {0: "batch_size"},
                   "out_sample": {0: "batch_size", 1: "num_frames", 3: "height", 4: "width"}},
                  cases=[unet_inputs(1, 5, 6, 10)])

    dec = TemporalVaeDecoder()
    common.export(dec, (torch.randn(6, 4, 8, 8), torch.tensor(3)), os.path.join(root, "vae_decoder", "model.onnx"),
                  ["latent_sample", "num_frames"], ["sample"],
                  {"latent_sample": {0: "batch_frames", 2: "latent_height", 3: "latent_width"},
                   "num_frames": {},
                   "sample": {0: "batch_frames", 2: "latent_height * 8", 3: "latent_width * 8"}},
                  cases=[(torch.randn(4, 4, 3, 5), torch.tensor(2))])

    vae_cfg = {"_class_name": "AutoencoderKLTemporalDecoder", "_diffusers_version": "0.24.0.dev0",
               "block_out_channels": [8, 8, 8, 8], "down_block_types": ["DownEncoderBlock2D"] * 4,
               "force_upcast": True, "in_channels": 3, "latent_channels": 4, "layers_per_block": 1,
               "out_channels": 3, "sample_size": 256, "scaling_factor": 0.18215}
    for part in ("vae_encoder", "vae_decoder"):
        common.write_json(os.path.join(root, part, "config.json"), vae_cfg)
    common.write_json(os.path.join(root, "unet", "config.json"), {
        "_class_name": "UNetSpatioTemporalConditionModel", "_diffusers_version": "0.24.0.dev0",
        "addition_time_embed_dim": 8, "block_out_channels": [16],
        "cross_attention_dim": 32, "down_block_types": ["CrossAttnDownBlockSpatioTemporal"],
        "in_channels": 8, "layers_per_block": 1, "num_attention_heads": [2], "num_frames": 14,
        "out_channels": 4, "projection_class_embeddings_input_dim": 24, "sample_size": 32,
        "transformer_layers_per_block": 1, "up_block_types": ["CrossAttnUpBlockSpatioTemporal"]})
    common.write_json(os.path.join(root, "scheduler", "scheduler_config.json"), scheduler(
        "EulerDiscreteScheduler", _diffusers_version="0.24.0.dev0", prediction_type="v_prediction",
        sigma_max=700.0, sigma_min=0.002, timestep_type="continuous", use_karras_sigmas=True))
    common.write_json(os.path.join(root, "feature_extractor", "preprocessor_config.json"),
                      CLIP_IMAGE_PROCESSOR)
    common.write_json(os.path.join(root, "model_index.json"), {
        "_class_name": "StableVideoDiffusionPipeline", "_diffusers_version": "0.24.0.dev0",
        "feature_extractor": ["transformers", "CLIPImageProcessor"],
        "image_encoder": ["transformers", "CLIPVisionModelWithProjection"],
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "unet": ["diffusers", "UNetSpatioTemporalConditionModel"],
        "vae": ["diffusers", "AutoencoderKLTemporalDecoder"]})


FIXTURES = {"svd": svd}
