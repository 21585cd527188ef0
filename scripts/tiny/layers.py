"""Small torch building blocks shared by the families.

Shapes are always taken from tensors (x.shape[...]) and never turned into Python ints, so
that torch.onnx tracing keeps every axis the fixtures declare dynamic really dynamic.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F


class HashedVocab(nn.Module):
    """A vocabulary-sized embedding computed in the graph from 2·dim parameters.

    Real ids matter (Whisper 51865, BLIP 30524, GPT-2 50257…), but a stored [vocab, dim]
    table would cost megabytes per graph. Row v is sin(v·freq + phase); it is used both to embed
    ids and, transposed, as the tied output projection, like Whisper's proj_out.
    Export these graphs with fold=False, or constant folding stores the table after all.
    """

    def __init__(self, vocab_size, dim):
        super().__init__()
        self.vocab_size = vocab_size
        self.freq = nn.Parameter(torch.rand(dim) * 0.5 + 0.01)
        self.phase = nn.Parameter(torch.rand(dim) * 6.28)

    def embed(self, ids):
        return torch.sin(ids.to(torch.float32).unsqueeze(-1) * self.freq + self.phase)

    def logits(self, h):
        # 0..vocab-1 built from a parameter: a plain arange would be traced as a stored constant.
        ones = (self.freq[:1] * 0.0 + 1.0).expand(self.vocab_size)
        ids = torch.cumsum(ones, 0) - 1.0
        table = torch.sin(ids.unsqueeze(-1) * self.freq + self.phase)
        return torch.matmul(h, table.t())


def timestep_embedding(t, dim, max_period=10000.0):
    """diffusers get_timestep_embedding with flip_sin_to_cos=True, downscale_freq_shift=0."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.to(torch.float32).unsqueeze(-1) * freqs
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def sinusoids(length, channels):
    """Whisper's fixed encoder positions."""
    inc = math.log(10000) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


def split_heads(x, heads):
    # [B, S, H*Dh] -> [B, H, S, Dh]
    b, s = x.shape[0], x.shape[1]
    return x.reshape(b, s, heads, -1).transpose(1, 2)


def merge_heads(x):
    # [B, H, S, Dh] -> [B, S, H*Dh]
    b, s = x.shape[0], x.shape[2]
    return x.transpose(1, 2).reshape(b, s, -1)


def attend(q, k, v, mask=None):
    """q [B,H,Sq,D], k/v [B,H,Sk,D]; mask is additive and broadcastable to [B,H,Sq,Sk]."""
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def causal_mask(q_len_like, k_len_like):
    """Additive mask for queries at the end of a key sequence that holds the past.

    q_len_like [.., Sq, ..] and k_len_like give the lengths through their shapes; query i may see
    key j when j <= past + i, past = Sk - Sq.
    """
    sq, sk = q_len_like.shape[1], k_len_like.shape[2]
    qi = torch.arange(sq).unsqueeze(1) + (sk - sq)
    kj = torch.arange(sk).unsqueeze(0)
    return torch.where(kj <= qi, torch.tensor(0.0), torch.tensor(-1e9))


class Attention(nn.Module):
    """Multi-head attention; kv_dim lets it cross-attend to another width."""

    def __init__(self, dim, heads, kv_dim=None):
        super().__init__()
        kv_dim = kv_dim or dim
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(kv_dim, dim, bias=False)
        self.v = nn.Linear(kv_dim, dim)
        self.o = nn.Linear(dim, dim)

    def kv(self, ctx):
        return split_heads(self.k(ctx), self.heads), split_heads(self.v(ctx), self.heads)

    def forward(self, x, ctx=None, mask=None):
        k, v = self.kv(x if ctx is None else ctx)
        return self.o(merge_heads(attend(split_heads(self.q(x), self.heads), k, v, mask)))


class Block(nn.Module):
    """Pre-norm transformer layer: self-attention, optional cross-attention, MLP."""

    def __init__(self, dim, heads, cross_dim=None, ffn=None):
        super().__init__()
        self.n1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.cross = None
        if cross_dim is not None:
            self.n2 = nn.LayerNorm(dim)
            self.cross = Attention(dim, heads, cross_dim)
        self.n3 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, ffn or 2 * dim), nn.GELU(), nn.Linear(ffn or 2 * dim, dim))

    def forward(self, x, ctx=None, mask=None):
        x = x + self.attn(self.n1(x), mask=mask)
        if self.cross is not None:
            x = x + self.cross(self.n2(x), ctx)
        return x + self.mlp(self.n3(x))


class CachedDecoderLayer(nn.Module):
    """Seq2seq decoder layer with optimum's KV-cache contract (Whisper, BLIP, Parler).

    Without past: computes self KV for the given tokens and cross KV from encoder_hidden_states.
    With past: appends to the self KV and reuses the cross KV from step 0.
    Returns (x, self_k, self_v, cross_k, cross_v); all KV are [B, H, S, Dh].
    """

    def __init__(self, dim, heads, cross_dim, ffn):
        super().__init__()
        self.heads = heads
        self.n1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.n2 = nn.LayerNorm(dim)
        self.cross = Attention(dim, heads, cross_dim)
        self.n3 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Linear(ffn, dim))

    def forward(self, x, past=None, enc=None, cross_kv=None, enc_mask=None, attentions=False):
        """attentions=True also returns the cross-attention probabilities [B, H, Sq, S_enc]
        (what output_attentions exports as cross_attentions.{i})."""
        h = self.n1(x)
        q = split_heads(self.attn.q(h), self.heads)
        k, v = self.attn.kv(h)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        x = x + self.attn.o(merge_heads(attend(q, k, v, causal_mask(h, k))))
        h = self.n2(x)
        ck, cv = self.cross.kv(enc) if cross_kv is None else cross_kv
        q = split_heads(self.cross.q(h), self.heads)
        if attentions:
            probs = torch.softmax(torch.matmul(q, ck.transpose(-1, -2)) / math.sqrt(q.shape[-1]), dim=-1)
            x = x + self.cross.o(merge_heads(torch.matmul(probs, cv)))
            x = x + self.mlp(self.n3(x))
            return x, k, v, ck, cv, probs
        x = x + self.cross.o(merge_heads(attend(q, ck, cv, enc_mask)))
        x = x + self.mlp(self.n3(x))
        return x, k, v, ck, cv


class ResBlock(nn.Module):
    """Diffusers-style ResnetBlock2D: GroupNorm-SiLU-conv, time embedding added, skip."""

    def __init__(self, cin, cout, temb_dim=None, groups=4):
        super().__init__()
        self.n1 = nn.GroupNorm(groups, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(temb_dim, cout) if temb_dim else None
        self.n2 = nn.GroupNorm(groups, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb=None):
        h = self.c1(F.silu(self.n1(x)))
        if self.t is not None:
            h = h + self.t(F.silu(temb))[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class SpatialCrossAttention(nn.Module):
    """Transformer2DModel in miniature: tokens = pixels, self- then cross-attention."""

    def __init__(self, ch, heads, cross_dim, groups=4):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.block = Block(ch, heads, cross_dim)

    def forward(self, x, ctx):
        b, c, h, w = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
        t = self.norm(x).reshape(b, c, -1).transpose(1, 2)
        t = self.block(t, ctx)
        return x + t.transpose(1, 2).reshape(b, c, h, w)
