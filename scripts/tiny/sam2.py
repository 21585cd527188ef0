"""SAM2 (MODEL-FORMATS §6): dialect A ("high_res_feats + orig_im_size"), an image encoder and a
prompt decoder whose masks come back at the original image size; dialect B (samexporter: no
orig_im_size, three 256x256 masks); dialect D (transformers.js / onnx-community: vision_encoder +
prompt_encoder_mask_decoder, boxes as their own input, three 256x256 masks)."""

import math
import os

import torch
from torch import nn
import torch.nn.functional as F

import common
from layers import Attention

D = 16  # the decoder's transformer width (256 in SAM2)


class ImageEncoder(nn.Module):
    """Three feature levels at strides 4/8/16 with SAM2's channel counts (32/64/256); conv_s0,
    conv_s1 and no_mem_embed are applied inside, as in the real exports."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 4, stride=4)
        self.down1 = nn.Conv2d(8, 8, 2, stride=2)
        self.down2 = nn.Conv2d(8, 16, 2, stride=2)
        self.conv_s0 = nn.Conv2d(8, 32, 1)
        self.conv_s1 = nn.Conv2d(8, 64, 1)
        self.neck = nn.Conv2d(16, 256, 1)
        self.no_mem_embed = nn.Parameter(torch.randn(1, 256, 1, 1) * 0.1)

    def forward(self, image):
        s4 = F.gelu(self.stem(image))
        s8 = F.gelu(self.down1(s4))
        s16 = F.gelu(self.down2(s8))
        return self.conv_s0(s4), self.conv_s1(s8), self.neck(s16) + self.no_mem_embed


class PromptDecoder(nn.Module):
    """Prompt encoder + two-token mask decoder in miniature (single-mask output)."""

    def __init__(self):
        super().__init__()
        self.pe = nn.Parameter(torch.randn(2, D // 2))  # random Fourier features of coordinates
        self.label_embed = nn.Embedding(5, D)  # labels -1 (padding), 0, 1, 2, 3
        self.mask_down = nn.Conv2d(1, D, 4, stride=4)  # 256x256 mask -> 64x64
        self.no_mask_embed = nn.Parameter(torch.randn(D))
        self.embed_proj = nn.Conv2d(256, D, 1)
        self.tokens = nn.Parameter(torch.randn(2, D))  # iou token, mask token
        self.attn = Attention(D, 2)
        self.up1 = nn.ConvTranspose2d(D, D, 2, stride=2)
        self.feat1 = nn.Conv2d(64, D, 1)
        self.up0 = nn.ConvTranspose2d(D, D, 2, stride=2)
        self.feat0 = nn.Conv2d(32, D, 1)
        self.hyper = nn.Linear(D, D)
        self.iou_head = nn.Linear(D, 1)

    def forward(self, image_embed, high_res_feats_0, high_res_feats_1, point_coords, point_labels,
                mask_input, has_mask_input, orig_im_size):
        n = point_coords.shape[0]
        # Without a box the exported decoder appends a (0, 0) point labelled -1 itself.
        coords = torch.cat([point_coords, torch.zeros_like(point_coords[:, :1])], dim=1)
        labels = torch.cat([point_labels, -torch.ones_like(point_labels[:, :1])], dim=1)
        xy = ((coords + 0.5) / 1024.0) * 2.0 - 1.0
        angles = 2 * math.pi * torch.matmul(xy, self.pe)
        points = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
        points = points * (labels != -1).unsqueeze(-1).to(torch.float32)
        points = points + self.label_embed((labels + 1).to(torch.int64))

        has = has_mask_input.reshape(-1, 1, 1, 1)
        dense = self.mask_down(mask_input) * has + (1 - has) * self.no_mask_embed.reshape(1, D, 1, 1)
        src = self.embed_proj(image_embed) + dense  # [n, D, 64, 64]
        tokens = torch.cat([self.tokens.expand(n, 2, D), points], dim=1)
        tokens = tokens + self.attn(tokens, src.flatten(2).transpose(1, 2))

        up = F.gelu(self.up1(src) + self.feat1(high_res_feats_1))
        up = F.gelu(self.up0(up) + self.feat0(high_res_feats_0))  # [n, D, 256, 256]
        low_res = torch.einsum("nd,ndhw->nhw", self.hyper(tokens[:, 1]), up).unsqueeze(1)
        iou = self.iou_head(tokens[:, 0])
        size = orig_im_size.to(torch.int64)
        masks = F.interpolate(low_res, size=(size[0], size[1]), mode="bilinear", align_corners=False)
        return masks, iou


def sam2(root):
    common.seed(2)
    enc = ImageEncoder()
    common.export(enc, (torch.randn(1, 3, 1024, 1024),), os.path.join(root, "encoder.onnx"),
                  ["image"], ["high_res_feats_0", "high_res_feats_1", "image_embed"], {})

    def dec_inputs(n, p, h, w):
        return (torch.randn(1, 256, 64, 64), torch.randn(1, 32, 256, 256), torch.randn(1, 64, 128, 128),
                torch.rand(n, p, 2) * 1024, torch.ones(n, p), torch.randn(n, 1, 256, 256),
                torch.ones(n), torch.tensor([h, w], dtype=torch.int32))
    common.export(PromptDecoder(), dec_inputs(1, 2, 480, 640), os.path.join(root, "decoder.onnx"),
                  ["image_embed", "high_res_feats_0", "high_res_feats_1", "point_coords", "point_labels",
                   "mask_input", "has_mask_input", "orig_im_size"], ["masks", "iou_predictions"],
                  {"point_coords": {0: "num_labels", 1: "num_points"},
                   "point_labels": {0: "num_labels", 1: "num_points"},
                   "mask_input": {0: "num_labels"}, "has_mask_input": {0: "num_labels"},
                   "masks": {0: "num_labels", 2: "orig_height", 3: "orig_width"},
                   "iou_predictions": {0: "num_labels"}},
                  cases=[dec_inputs(3, 1, 300, 500)])


class MultimaskDecoder(nn.Module):
    """The same miniature with SAM2's three multimask tokens and 256x256 outputs (dialects B and D)."""

    def __init__(self, mask_prompt):
        super().__init__()
        self.pe = nn.Parameter(torch.randn(2, D // 2))
        self.label_embed = nn.Embedding(5, D)  # labels -1 (padding; HF's -10 clamps here too), 0, 1, 2, 3
        self.mask_down = nn.Conv2d(1, D, 4, stride=4) if mask_prompt else None
        self.no_mask_embed = nn.Parameter(torch.randn(D))
        self.embed_proj = nn.Conv2d(256, D, 1)
        self.tokens = nn.Parameter(torch.randn(4, D))  # iou token, three mask tokens
        self.attn = Attention(D, 2)
        self.up1 = nn.ConvTranspose2d(D, D, 2, stride=2)
        self.feat1 = nn.Conv2d(64, D, 1)
        self.up0 = nn.ConvTranspose2d(D, D, 2, stride=2)
        self.feat0 = nn.Conv2d(32, D, 1)
        self.hyper = nn.Linear(D, D)
        self.iou_head = nn.Linear(D, 3)
        self.object_head = nn.Linear(D, 1)

    def decode(self, image_embed, f0, f1, coords, labels, dense):
        """coords [n, p, 2] in the 1024 frame, labels [n, p] float; a (0, 0)/-1 point is appended."""
        n = coords.shape[0]
        coords = torch.cat([coords, torch.zeros_like(coords[:, :1])], dim=1)
        labels = torch.cat([labels, -torch.ones_like(labels[:, :1])], dim=1)
        xy = ((coords + 0.5) / 1024.0) * 2.0 - 1.0
        angles = 2 * math.pi * torch.matmul(xy, self.pe)
        points = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
        points = points * (labels >= 0).unsqueeze(-1).to(torch.float32)
        points = points + self.label_embed(torch.clamp(labels + 1, 0, 4).to(torch.int64))
        src = self.embed_proj(image_embed) + dense
        tokens = torch.cat([self.tokens.expand(n, 4, D), points], dim=1)
        tokens = tokens + self.attn(tokens, src.flatten(2).transpose(1, 2))
        up = F.gelu(self.up1(src) + self.feat1(f1))
        up = F.gelu(self.up0(up) + self.feat0(f0))  # [n, D, 256, 256]
        masks = torch.einsum("nkd,ndhw->nkhw", self.hyper(tokens[:, 1:4]), up)
        return masks, self.iou_head(tokens[:, 0]), self.object_head(tokens[:, 0])

    def dense(self, n, mask_input=None, has_mask_input=None):
        no_mask = self.no_mask_embed.reshape(1, D, 1, 1).expand(n, D, 64, 64)
        if mask_input is None:
            return no_mask
        has = has_mask_input.reshape(-1, 1, 1, 1)
        return self.mask_down(mask_input) * has + (1 - has) * no_mask


class SamexporterDecoder(MultimaskDecoder):
    """Dialect B: dialect A's first seven inputs, masks [n, 3, 256, 256] clamped to +-32."""

    def __init__(self):
        super().__init__(mask_prompt=True)

    def forward(self, image_embed, high_res_feats_0, high_res_feats_1, point_coords, point_labels,
                mask_input, has_mask_input):
        dense = self.dense(point_coords.shape[0], mask_input, has_mask_input)
        masks, iou, _ = self.decode(image_embed, high_res_feats_0, high_res_feats_1, point_coords,
                                    point_labels, dense)
        return torch.clamp(masks, -32.0, 32.0), iou


class TransformersJsDecoder(MultimaskDecoder):
    """Dialect D: points [b, point_batch, n, 2], i64 labels, boxes [b, nb, 4] put first as corners 2/3."""

    def __init__(self):
        super().__init__(mask_prompt=False)

    def forward(self, input_points, input_labels, input_boxes, e0, e1, e2):
        # Batch 1 (as the engine sends it). No Reshape on the prompt axes: ONNX reads a 0 in a Reshape target
        # as "keep this axis", so zero points or boxes (which transformers.js sends) would be refused.
        coords = input_points[0]  # [point_batch, n, 2]
        labels = input_labels[0].to(torch.float32)
        pb = coords.shape[0]
        top_left, bottom_right = input_boxes[:, :, 0:2], input_boxes[:, :, 2:4]  # [1, nb, 2] each
        corners = torch.cat([top_left, bottom_right], dim=1).expand(pb, -1, -1)
        corner_labels = torch.cat([top_left[..., 0] * 0 + 2, bottom_right[..., 0] * 0 + 3], dim=1).expand(pb, -1)
        coords = torch.cat([corners, coords], dim=1)
        labels = torch.cat([corner_labels, labels], dim=1)
        masks, iou, obj = self.decode(e2.expand(pb, -1, -1, -1), e0.expand(pb, -1, -1, -1),
                                      e1.expand(pb, -1, -1, -1), coords, labels, self.dense(pb))
        return iou.unsqueeze(0), masks.unsqueeze(0), obj.unsqueeze(0)


def encoder_inputs():
    return (torch.randn(1, 3, 1024, 1024),)


def sam2_samexporter(root):
    common.seed(3)
    common.export(ImageEncoder(), encoder_inputs(), os.path.join(root, "encoder.onnx"),
                  ["image"], ["high_res_feats_0", "high_res_feats_1", "image_embed"], {})

    def dec_inputs(n, p):
        return (torch.randn(1, 256, 64, 64), torch.randn(1, 32, 256, 256), torch.randn(1, 64, 128, 128),
                torch.rand(n, p, 2) * 1024, torch.ones(n, p), torch.randn(n, 1, 256, 256), torch.ones(n))
    common.export(SamexporterDecoder(), dec_inputs(1, 2), os.path.join(root, "decoder.onnx"),
                  ["image_embed", "high_res_feats_0", "high_res_feats_1", "point_coords", "point_labels",
                   "mask_input", "has_mask_input"], ["masks", "iou_predictions"],
                  {"point_coords": {0: "num_labels", 1: "num_points"},
                   "point_labels": {0: "num_labels", 1: "num_points"},
                   "mask_input": {0: "num_labels"}, "has_mask_input": {0: "num_labels"},
                   "masks": {0: "num_labels"}, "iou_predictions": {0: "num_labels"}},
                  cases=[dec_inputs(2, 1), dec_inputs(1, 0)])


def sam2_transformersjs(root):
    common.seed(4)
    embeddings = ["image_embeddings.0", "image_embeddings.1", "image_embeddings.2"]
    batch = {0: "batch_size"}
    common.export(ImageEncoder(), encoder_inputs(), os.path.join(root, "onnx", "vision_encoder.onnx"),
                  ["pixel_values"], embeddings, {name: batch for name in ["pixel_values", *embeddings]})

    def dec_inputs(pb, n, nb):
        return (torch.rand(1, pb, n, 2) * 1024, torch.ones(1, pb, n, dtype=torch.int64),
                torch.tensor([[[100.0, 200.0, 600.0, 900.0]] * nb]).reshape(1, nb, 4),
                torch.randn(1, 32, 256, 256), torch.randn(1, 64, 128, 128), torch.randn(1, 256, 64, 64))
    common.export(TransformersJsDecoder(), dec_inputs(1, 2, 1),
                  os.path.join(root, "onnx", "prompt_encoder_mask_decoder.onnx"),
                  ["input_points", "input_labels", "input_boxes", *embeddings],
                  ["iou_scores", "pred_masks", "object_score_logits"],
                  {"input_points": {0: "batch_size", 1: "point_batch_size", 2: "num_points"},
                   "input_labels": {0: "batch_size", 1: "point_batch_size", 2: "num_points"},
                   "input_boxes": {0: "batch_size", 1: "num_boxes"},
                   **{name: batch for name in embeddings},
                   "iou_scores": {0: "batch_size", 1: "point_batch_size"},
                   "pred_masks": {0: "batch_size", 1: "point_batch_size"},
                   "object_score_logits": {0: "batch_size", 1: "point_batch_size"}},
                  cases=[dec_inputs(1, 1, 0), dec_inputs(1, 0, 1), dec_inputs(2, 3, 1)])


FIXTURES = {"sam2": sam2, "sam2-samexporter": sam2_samexporter, "sam2-transformersjs": sam2_transformersjs}
