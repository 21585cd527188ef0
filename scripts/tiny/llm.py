"""Decoder-only LLMs (MODEL-FORMATS §8.1, §8.3): optimum's single model.onnx that always takes
past inputs, with GQA (4 attention heads, 2 KV heads).

- llm-llama: Llama-3.1-style. GPT-2's real byte-level BPE (ids 0..50255) followed by Llama-3's
  special tokens, bos added by the post-processor, stop ids as a list, chat_template.jinja.
- llm-qwen:  Qwen2.5-style. A small byte-level BPE (GPT-2's first 1000 merges, same ids) followed
  by <|endoftext|>, <|im_start|>, <|im_end|>; no bos; the chat template inside
  tokenizer_config.json; weights in model.onnx_data.
"""

import os

import onnx
import torch
from torch import nn
import torch.nn.functional as F

import common
import vocab as V
from layers import HashedVocab, attend

DIM, HEADS, KV_HEADS, HEAD_DIM, LAYERS, FFN = 32, 4, 2, 8, 2, 64

LLAMA_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# Meta-Llama-3-Instruct's template (the 3.1 one adds tool calling around the same structure).
LLAMA_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")

# Qwen2-Instruct's ChatML template (Qwen2.5's adds tool calling around the same structure).
QWEN_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def rms_norm(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = nn.Parameter(torch.ones(DIM))
        self.q = nn.Linear(DIM, HEADS * HEAD_DIM, bias=False)
        self.k = nn.Linear(DIM, KV_HEADS * HEAD_DIM, bias=False)
        self.v = nn.Linear(DIM, KV_HEADS * HEAD_DIM, bias=False)
        self.o = nn.Linear(HEADS * HEAD_DIM, DIM, bias=False)
        self.mlp_norm = nn.Parameter(torch.ones(DIM))
        self.gate = nn.Linear(DIM, FFN, bias=False)
        self.up = nn.Linear(DIM, FFN, bias=False)
        self.down = nn.Linear(FFN, DIM, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        b, s = x.shape[0], x.shape[1]
        h = rms_norm(x, self.attn_norm)
        q = self.q(h).reshape(b, s, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k(h).reshape(b, s, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v(h).reshape(b, s, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin  # cached after RoPE
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        rep = HEADS // KV_HEADS  # GQA: query head i reads KV head i // rep

        def expand(t):
            n = t.shape[2]
            return t.unsqueeze(2).expand(b, KV_HEADS, rep, n, HEAD_DIM).reshape(b, HEADS, n, HEAD_DIM)
        out = attend(q, expand(k), expand(v), mask).transpose(1, 2).reshape(b, s, HEADS * HEAD_DIM)
        x = x + self.o(out)
        h = rms_norm(x, self.mlp_norm)
        return x + self.down(F.silu(self.gate(h)) * self.up(h)), k, v


class CausalLM(nn.Module):
    def __init__(self, vocab_size, rope_theta, hashed):
        super().__init__()
        # Large vocabularies use the in-graph table (see layers.HashedVocab); small ones a real
        # tied embedding, so that model.onnx_data holds it.
        self.vocab = HashedVocab(vocab_size, DIM) if hashed else nn.Embedding(vocab_size, DIM)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.norm = nn.Parameter(torch.ones(DIM))
        self.inv_freq = 1.0 / (rope_theta ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.float32) / HEAD_DIM))

    def forward(self, input_ids, attention_mask, position_ids, *past):
        if isinstance(self.vocab, HashedVocab):
            x = self.vocab.embed(input_ids)
        else:
            x = self.vocab(input_ids)
        angles = position_ids.to(torch.float32).unsqueeze(-1) * self.inv_freq
        angles = torch.cat([angles, angles], dim=-1).unsqueeze(1)  # [b, 1, s, head_dim]
        cos, sin = torch.cos(angles), torch.sin(angles)
        s, total = input_ids.shape[1], attention_mask.shape[1]
        qi = torch.arange(s).unsqueeze(1) + (total - s)
        kj = torch.arange(total).unsqueeze(0)
        allowed = (kj <= qi).unsqueeze(0) & (attention_mask.unsqueeze(1) > 0)
        mask = torch.where(allowed, torch.tensor(0.0), torch.tensor(torch.finfo(torch.float32).min))
        mask = mask.unsqueeze(1)
        presents = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, cos, sin, mask, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        h = rms_norm(x, self.norm)
        if isinstance(self.vocab, HashedVocab):
            logits = self.vocab.logits(h)
        else:
            logits = torch.matmul(h, self.vocab.weight.t())
        return (logits, *presents)


def past_names(prefix):
    return [f"{prefix}.{i}.{kv}" for i in range(LAYERS) for kv in ("key", "value")]


def export_model(folder, model, vocab_size, external):
    def inputs(b, s, past, left_pad=0):
        mask = torch.ones(b, past + s, dtype=torch.int64)
        mask[-1, :left_pad] = 0  # the last row is left-padded
        pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)[:, past:]
        kv = [torch.randn(b, KV_HEADS, past, HEAD_DIM) for _ in range(2 * LAYERS)]
        return (torch.randint(0, vocab_size, (b, s)), mask, pos, *kv)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    axes.update({n: {0: "batch_size", 2: "past_sequence_length"} for n in past_names("past_key_values")})
    axes.update({n: {0: "batch_size", 2: "past_sequence_length + sequence_length"} for n in past_names("present")})
    # The cache must be exact: a 3-token prefill then 2 cached tokens == 5 tokens at once.
    ids, mask, pos, *empty = inputs(2, 5, 0, left_pad=1)
    with torch.no_grad():
        want = model(ids, mask, pos, *empty)[0]
        step0 = model(ids[:, :3], mask[:, :3], pos[:, :3], *empty)
        got = model(ids[:, 3:], mask, pos[:, 3:], *step0[1:])[0]
    assert torch.allclose(got, want[:, 3:], atol=1e-5), (got - want[:, 3:]).abs().max()
    common.export(model, inputs(2, 3, 4), os.path.join(folder, "model.onnx"),
                  ["input_ids", "attention_mask", "position_ids"] + past_names("past_key_values"),
                  ["logits"] + past_names("present"), axes, external_data=external, fold=False,
                  cases=[inputs(1, 5, 0), inputs(3, 1, 6, left_pad=2), inputs(2, 4, 0, left_pad=3)])


def config(arch, model_type, vocab_size, bos, eos, rope_theta, **extra):
    cfg = {"architectures": [arch], "attention_bias": False, "bos_token_id": bos, "eos_token_id": eos,
           "head_dim": HEAD_DIM, "hidden_act": "silu", "hidden_size": DIM, "intermediate_size": FFN,
           "max_position_embeddings": 2048, "model_type": model_type, "num_attention_heads": HEADS,
           "num_hidden_layers": LAYERS, "num_key_value_heads": KV_HEADS, "rms_norm_eps": 1e-05,
           "rope_theta": rope_theta, "tie_word_embeddings": True, "torch_dtype": "float32",
           "use_cache": True, "vocab_size": vocab_size}
    cfg.update(extra)
    return dict(sorted(cfg.items()))


def llm_llama(root):
    common.seed(31)
    vocab, merges = V.gpt2_bpe()
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
             "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
    base = len(vocab)  # Llama 3: 128000 BPE ids, then the specials
    ids = {n: base + i for i, n in enumerate(names)}
    added = [V.added_token(i, n) for n, i in ids.items()]
    single, pair = V.template(["<|begin_of_text|>"])
    pair = single + [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}]
    post = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {"type": "TemplateProcessing", "single": single, "pair": pair,
         "special_tokens": V.special_tokens(ids, "<|begin_of_text|>")}]}
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": LLAMA_SPLIT}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    tok = V.byte_level_tokenizer_json(vocab, merges, added, post, pre)
    tok["model"]["ignore_merges"] = True
    common.write_json(os.path.join(root, "tokenizer.json"), tok, compact=True)
    common.write_text(os.path.join(root, "chat_template.jinja"), LLAMA_TEMPLATE)

    def st(content):
        return {"content": content, "lstrip": False, "normalized": False, "rstrip": False,
                "single_word": False}
    common.write_json(os.path.join(root, "special_tokens_map.json"),
                      {"bos_token": st("<|begin_of_text|>"), "eos_token": st("<|eot_id|>")})
    common.write_json(os.path.join(root, "tokenizer_config.json"), {
        "added_tokens_decoder": V.added_tokens_decoder(added), "bos_token": "<|begin_of_text|>",
        "clean_up_tokenization_spaces": True, "eos_token": "<|eot_id|>",
        "model_input_names": ["input_ids", "attention_mask"], "model_max_length": 131072,
        "tokenizer_class": "PreTrainedTokenizerFast"})
    vocab_size = base + len(names)
    eos = [ids["<|end_of_text|>"], ids["<|eom_id|>"], ids["<|eot_id|>"]]
    common.write_json(os.path.join(root, "generation_config.json"), {
        "bos_token_id": ids["<|begin_of_text|>"], "do_sample": True, "eos_token_id": eos,
        "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0"})
    common.write_json(os.path.join(root, "config.json"), config(
        "LlamaForCausalLM", "llama", vocab_size, ids["<|begin_of_text|>"], eos, 500000.0,
        mlp_bias=False, pretraining_tp=1))
    export_model(root, CausalLM(vocab_size, 500000.0, hashed=True), vocab_size, external=False)


def llm_qwen(root):
    common.seed(25)
    vocab, merges = V.gpt2_bpe(num_merges=1000)
    names = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    base = len(vocab)  # Qwen2: 151643 BPE ids, then the specials
    ids = {n: base + i for i, n in enumerate(names)}
    added = [V.added_token(i, n) for n, i in ids.items()]
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN_SPLIT}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
    post = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    tok = V.byte_level_tokenizer_json(vocab, merges, added, post, pre)
    tok["normalizer"] = {"type": "NFC"}
    common.write_json(os.path.join(root, "tokenizer.json"), tok)
    common.write_json(os.path.join(root, "vocab.json"), vocab)
    common.write_text(os.path.join(root, "merges.txt"), "#version: 0.2\n" + "\n".join(merges) + "\n")
    common.write_json(os.path.join(root, "tokenizer_config.json"), {
        "add_prefix_space": False, "added_tokens_decoder": V.added_tokens_decoder(added),
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"], "bos_token": None,
        "chat_template": QWEN_TEMPLATE, "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>", "errors": "replace", "model_max_length": 131072,
        "pad_token": "<|endoftext|>", "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer", "unk_token": None})
    common.write_json(os.path.join(root, "special_tokens_map.json"), {
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "eos_token": {"content": "<|im_end|>", "lstrip": False, "normalized": False, "rstrip": False,
                      "single_word": False},
        "pad_token": {"content": "<|endoftext|>", "lstrip": False, "normalized": False,
                      "rstrip": False, "single_word": False}})
    vocab_size = base + len(names)
    eot, im_end = ids["<|endoftext|>"], ids["<|im_end|>"]
    common.write_json(os.path.join(root, "generation_config.json"), {
        "bos_token_id": eot, "do_sample": True, "eos_token_id": [im_end, eot], "pad_token_id": eot,
        "repetition_penalty": 1.05, "temperature": 0.7, "top_k": 20, "top_p": 0.8,
        "transformers_version": "4.45.0"})
    common.write_json(os.path.join(root, "config.json"), config(
        "Qwen2ForCausalLM", "qwen2", vocab_size, eot, im_end, 1000000.0,
        max_window_layers=LAYERS, sliding_window=None, use_sliding_window=False))
    export_model(root, CausalLM(vocab_size, 1000000.0, hashed=False), vocab_size, external=True)


FIXTURES = {"llm-llama": llm_llama, "llm-qwen": llm_qwen}


def llm_llama_fp16(root):
    """llm-llama with a float16 KV cache and float16 logits, as float16 exports of real models have."""
    llm_llama(root)
    path = os.path.join(root, "model.onnx")
    model = onnx.load(path)
    common.half_io(model, lambda name: name.startswith("past_key_values."),
                   lambda name: name == "logits" or name.startswith("present."))
    onnx.save(model, path)


FIXTURES["llm-llama-fp16"] = llm_llama_fp16
