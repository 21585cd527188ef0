"""KV-cached seq2seq decoders in optimum's three-file form (Whisper, BLIP, Parler-TTS).

decoder_model.onnx (no past: computes self and cross KV), decoder_with_past_model.onnx (past in,
self presents out) and decoder_model_merged.onnx (both behind `use_cache_branch`), with
optimum's names and dynamic axes (optimum/exporters/onnx/base.py OnnxSeq2SeqConfigWithPast).
"""

import os

import torch
from torch import nn

import common
from layers import CachedDecoderLayer, HashedVocab


class Input:
    """One graph input: name, dynamic axes, and how to make a value.

    make(ctx) gets ctx = {b, s, enc, past}; `later` gives the value fed to the merged graph on
    steps after the first, for inputs that only the no-past graph uses (default: make)."""

    def __init__(self, name, axes, make, later=None):
        self.name, self.axes, self.make, self.later = name, axes, make, later or make


def kv_names(prefix, layers, cross=True):
    parts = ("decoder.key", "decoder.value", "encoder.key", "encoder.value") if cross else \
        ("decoder.key", "decoder.value")
    return [f"{prefix}.{i}.{p}" for i in range(layers) for p in parts]


def _past(ctx, layers, heads, dh):
    out = []
    for _ in range(layers):
        out += [torch.randn(ctx["b"], heads, ctx["past"], dh), torch.randn(ctx["b"], heads, ctx["past"], dh),
                torch.randn(ctx["b"], heads, ctx["enc"], dh), torch.randn(ctx["b"], heads, ctx["enc"], dh)]
    return out


def export_cached_decoder(folder, no_past, with_past, *, layers, heads, dh, inputs0, inputs1,
                          split=True, extra=()):
    """no_past(*inputs0) -> logits, then per layer self k, v, cross k, v;
    with_past(*inputs1, *past) -> logits, then per layer self k, v.
    Both then return the `extra` outputs, (name, dynamic axes) pairs (Whisper's cross_attentions.{i}).
    split=False writes only the merged graph (the layout BLIP's convention uses)."""
    extra_names = [n for n, _ in extra]
    extra_axes = dict(extra)
    present_axes = {n: {0: "batch_size", 2: "encoder_sequence_length" if ".encoder." in n else
                        "past_decoder_sequence_length + decoder_sequence_length"}
                    for n in kv_names("present", layers)}
    past_axes = {n: {0: "batch_size", 2: "encoder_sequence_length" if ".encoder." in n else
                     "past_decoder_sequence_length"} for n in kv_names("past_key_values", layers)}
    logits0 = {"logits": {0: inputs0[0].axes[0], 1: "decoder_sequence_length"}}
    logits1 = {"logits": {0: inputs0[0].axes[0], 1: "1"}}  # optimum forces the literal "1"

    def args0(ctx):
        return tuple(i.make(ctx) for i in inputs0)

    def args1(ctx):
        return tuple(i.make(ctx) for i in inputs1) + tuple(_past(ctx, layers, heads, dh))

    path0 = os.path.join(folder, "decoder_model.onnx") if split else None
    m0 = common.export(
        no_past, args0({"b": 2, "s": 4, "enc": 10}), path0, [i.name for i in inputs0],
        ["logits"] + kv_names("present", layers) + extra_names,
        {**{i.name: i.axes for i in inputs0}, **logits0, **present_axes, **extra_axes},
        fold=False, cases=[args0({"b": 1, "s": 3, "enc": 7})])
    path1 = os.path.join(folder, "decoder_with_past_model.onnx") if split else None
    self_presents = {n: a for n, a in present_axes.items() if ".decoder." in n}
    m1 = common.export(
        with_past, args1({"b": 2, "s": 1, "enc": 10, "past": 4}), path1,
        [i.name for i in inputs1] + kv_names("past_key_values", layers),
        ["logits"] + kv_names("present", layers, cross=False) + extra_names,
        {**{i.name: i.axes for i in inputs1}, **past_axes, **logits1, **self_presents, **extra_axes},
        fold=False, cases=[args1({"b": 1, "s": 1, "enc": 7, "past": 7})])

    _check_cache(no_past, with_past, inputs0, inputs1, len(extra))
    merged = os.path.join(folder, "decoder_model_merged.onnx")
    common.merge_decoders(m0, m1, merged)

    # The merged graph's runtime contract: step 0 without cache (zero-length pasts), then one
    # cached step fed with step 0's presents; the cache branch returns empty cross presents.
    names = ["logits"] + kv_names("present", layers) + extra_names
    caches = slice(1, 1 + 4 * layers)
    ctx = {"b": 2, "s": 4, "enc": 12, "past": 0}
    feeds0 = {i.name: i.make(ctx) for i in inputs0}
    empty = [torch.zeros(2, heads, 0, dh)] * (4 * layers)
    with torch.no_grad():
        step0 = no_past(*feeds0.values())
    common.record_case(merged, {**feeds0, **dict(zip(kv_names("past_key_values", layers), empty)),
                                "use_cache_branch": torch.tensor([False])}, dict(zip(names, step0)))
    ctx1 = {**ctx, "s": 1, "past": 4}
    feeds1 = {i.name: i.make(ctx1) for i in inputs1}
    with torch.no_grad():
        step1 = with_past(*feeds1.values(), *step0[caches])
    expected = dict(zip(["logits"] + kv_names("present", layers, cross=False) + extra_names, step1))
    for n in names:
        expected.setdefault(n, torch.zeros(0, heads, 1, dh))
    feeds = {i.name: feeds1[i.name] if i.name in feeds1 else i.later(ctx1) for i in inputs0}
    feeds.update({n: v for n, v in feeds1.items() if n not in feeds})
    common.record_case(merged, {**feeds, **dict(zip(kv_names("past_key_values", layers), step0[caches])),
                                "use_cache_branch": torch.tensor([True])},
                       {n: expected[n] for n in names})


def _check_cache(no_past, with_past, inputs0, inputs1, n_extra=0):
    """The cache must be exact: 3 tokens then 1 cached step == 4 tokens at once (last position)."""
    ctx = {"b": 2, "s": 4, "enc": 5, "past": 0}
    full = {i.name: i.make(ctx) for i in inputs0}
    ids = full[inputs0[0].name]
    with torch.no_grad():
        want = no_past(*full.values())[0][:, -1]
        step0 = no_past(ids[:, :3], *list(full.values())[1:])
        rest = [full[i.name] if i.name != inputs0[0].name else ids[:, 3:] for i in inputs1]
        got = with_past(*rest, *step0[1:len(step0) - n_extra])[0][:, -1]
    assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()


class NoPast(nn.Module):
    """Adapts decoder.run(...) to the flat no-past signature; attentions=True appends the
    per-layer cross-attention probabilities."""

    def __init__(self, dec, attentions=False):
        super().__init__()
        self.dec, self.attentions = dec, attentions

    def forward(self, input_ids, *rest):
        if self.attentions:
            logits, presents, attns = self.dec.run(input_ids, *rest, attentions=True)
            return (logits, *[t for p in presents for t in p], *attns)
        logits, presents = self.dec.run(input_ids, *rest)
        return (logits, *[t for p in presents for t in p])


class WithPast(nn.Module):
    """Adapts decoder.run(..., past=...) to the flat with-past signature (no cross presents)."""

    def __init__(self, dec, layers, n_inputs=1, attentions=False):
        super().__init__()
        self.dec, self.layers, self.n_inputs, self.attentions = dec, layers, n_inputs, attentions

    def forward(self, *flat):
        inputs, flat_past = flat[:self.n_inputs], flat[self.n_inputs:]
        past = [flat_past[4 * i:4 * i + 4] for i in range(self.layers)]
        if self.attentions:
            logits, presents, attns = self.dec.run(*inputs, past=past, attentions=True)
            return (logits, *[t for p in presents for t in p[:2]], *attns)
        logits, presents = self.dec.run(*inputs, past=past)
        return (logits, *[t for p in presents for t in p[:2]])


class TextDecoder(nn.Module):
    """Token embedding tied to the output projection (HashedVocab), learned positions,
    KV-cached layers with cross-attention (Whisper's decoder; BLIP's text decoder)."""

    def __init__(self, vocab_size, dim, heads, layers, cross_dim, max_positions):
        super().__init__()
        self.vocab = HashedVocab(vocab_size, dim)
        self.pos = nn.Embedding(max_positions, dim)
        self.layers = nn.ModuleList([CachedDecoderLayer(dim, heads, cross_dim, 2 * dim)
                                     for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)

    def run(self, input_ids, encoder_hidden_states=None, past=None, attentions=False):
        """past: per layer (self_k, self_v, cross_k, cross_v). Returns logits, presents, and with
        attentions=True the per-layer cross-attention probabilities."""
        offset = past[0][0].shape[2] if past else 0
        x = self.vocab.embed(input_ids) + self.pos(torch.arange(input_ids.shape[1]) + offset)
        presents, attns = [], []
        for i, layer in enumerate(self.layers):
            if past:
                out = layer(x, past=past[i][:2], cross_kv=past[i][2:], attentions=attentions)
            else:
                out = layer(x, enc=encoder_hidden_states, attentions=attentions)
            x, k, v, ck, cv = out[:5]
            presents.append((k, v, ck, cv))
            attns += list(out[5:])
        if attentions:
            return self.vocab.logits(self.ln(x)), presents, attns
        return self.vocab.logits(self.ln(x)), presents
