"""Text to speech (MODEL-FORMATS §7): the project's Parler-TTS layout (§7.1, after optimum's
Musicgen split) and the onnx-community Kokoro single graph (§7.2)."""

import os

import torch
from torch import nn
import torch.nn.functional as F

import common
import seq2seq
import vocab as V
from layers import Block, CachedDecoderLayer, timestep_embedding

# ------------------------------------------------------------------ Parler-TTS

K, CODES, PVOCAB = 9, 1024, 1088  # codebooks, DAC codebook size, decoder vocab (1024 + 64)
H, HEADS, LAYERS, D_ENC, HOP = 16, 2, 2, 8, 512

T5_WORDS = ("a the female male speaker voice speaks with slightly fast slow pace high low pitch "
            "very clear audio quality noisy close sounding recording expressive monotone hello "
            "world how are you today").split()


def t5_vocab():
    """A small SentencePiece-Unigram vocabulary in T5's order: <pad>, </s>, <unk>, pieces."""
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [("▁" + w, -4.0 - i * 0.01) for i, w in enumerate(T5_WORDS)]
    chars = [chr(c) for c in range(33, 127)]
    pieces += [(c, -8.0 - i * 0.01) for i, c in enumerate(chars)]
    pieces += [("▁" + c, -9.0 - i * 0.01) for i, c in enumerate(chars)]
    return pieces


def write_t5_tokenizer(folder):
    pieces = t5_vocab()
    ids = {p: i for i, (p, _) in enumerate(pieces)}
    single = [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]
    pair = single + [{"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]
    metaspace = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    common.write_json(os.path.join(folder, "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [V.added_token(i, t) for i, t in enumerate(("<pad>", "</s>", "<unk>"))],
        "normalizer": {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, metaspace]},
        "post_processor": {"type": "TemplateProcessing", "single": single, "pair": pair,
                           "special_tokens": V.special_tokens(ids, "</s>")},
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": 2, "vocab": [list(p) for p in pieces],
                  "byte_fallback": False}})
    common.write_json(os.path.join(folder, "special_tokens_map.json"),
                      {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"})
    common.write_json(os.path.join(folder, "tokenizer_config.json"), {
        "added_tokens_decoder": V.added_tokens_decoder(
            [V.added_token(i, t) for i, t in enumerate(("<pad>", "</s>", "<unk>"))]),
        "clean_up_tokenization_spaces": True, "eos_token": "</s>", "extra_ids": 0,
        "model_max_length": 512, "pad_token": "<pad>", "tokenizer_class": "T5Tokenizer",
        "unk_token": "<unk>"})
    return len(pieces)


class DescriptionEncoder(nn.Module):
    """T5 encoder stand-in with enc_to_dec_proj folded in (d_model 8 -> decoder width 16)."""

    def __init__(self, vocab_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, D_ENC)
        self.block = Block(D_ENC, 2)
        self.ln = nn.LayerNorm(D_ENC)
        self.enc_to_dec_proj = nn.Linear(D_ENC, H)

    def forward(self, input_ids, attention_mask):
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -1e9
        return self.enc_to_dec_proj(self.ln(self.block(self.embed(input_ids), mask=mask)))


class PromptEmbed(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.embed_prompts = nn.Embedding(vocab_size, H)

    def forward(self, prompt_input_ids):
        return self.embed_prompts(prompt_input_ids)


class ParlerDecoder(nn.Module):
    """ParlerTTSForCausalLM: summed codebook embeddings, prompt prepended at step 0, sinusoidal
    positions, cross-attention to the description, one LM head per codebook.
    Logits cover the prompt positions too at step 0 (the runtime takes the last position)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.ModuleList([nn.Embedding(PVOCAB, H) for _ in range(K)])
        self.layers = nn.ModuleList([CachedDecoderLayer(H, HEADS, H, 2 * H) for _ in range(LAYERS)])
        self.ln = nn.LayerNorm(H)

    def run(self, input_ids, *args, past=None):
        if past is None:
            enc, enc_mask, prompt = args
        else:
            (enc_mask,) = args
        b = input_ids.shape[0] // K
        codes = input_ids.reshape(b, K, -1)
        x = sum(self.embed[k](codes[:, k]) for k in range(K))
        if past is None:
            x = torch.cat([prompt, x], dim=1)
        offset = past[0][0].shape[2] if past else 0
        x = x + timestep_embedding(torch.arange(x.shape[1]) + offset, H)
        cross_mask = (1.0 - enc_mask[:, None, None, :].to(torch.float32)) * -1e9
        presents = []
        for i, layer in enumerate(self.layers):
            if past:
                x, k, v, ck, cv = layer(x, past=past[i][:2], cross_kv=past[i][2:], enc_mask=cross_mask)
            else:
                x, k, v, ck, cv = layer(x, enc=enc, enc_mask=cross_mask)
            presents.append((k, v, ck, cv))
        h = self.ln(x)
        # One head per codebook, tied to that codebook's embedding to keep the file small.
        logits = torch.stack([torch.matmul(h, e.weight.t()) for e in self.embed], dim=1)  # [b, K, seq, V]
        return logits.reshape(b * K, h.shape[1], PVOCAB), presents


class DacDecode(nn.Module):
    """DAC decoder stand-in: codebook lookups summed, then x512 transposed convolutions."""

    def __init__(self):
        super().__init__()
        self.codebooks = nn.ModuleList([nn.Embedding(CODES, 4) for _ in range(K)])
        self.ups = nn.ModuleList([nn.ConvTranspose1d(4, 4, 8, stride=8) for _ in range(3)])
        self.out = nn.Conv1d(4, 1, 1)

    def forward(self, audio_codes):
        x = sum(self.codebooks[k](audio_codes[:, k]) for k in range(K)).transpose(1, 2)
        for up in self.ups:
            x = F.silu(up(x))
        return torch.tanh(self.out(x))


def parler_tts(root):
    common.seed(44)
    vt = write_t5_tokenizer(root)

    def text(b, n):
        ids = torch.randint(3, vt, (b, n))
        mask = torch.ones(b, n, dtype=torch.int64)
        mask[0, n - 1:] = 0  # right padding in the first row
        return ids, mask
    common.export(DescriptionEncoder(vt), text(2, 6), os.path.join(root, "text_encoder.onnx"),
                  ["input_ids", "attention_mask"], ["last_hidden_state"],
                  {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"},
                   "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
                   "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}},
                  cases=[text(1, 3)])
    common.export(PromptEmbed(vt), (torch.randint(3, vt, (2, 5)),), os.path.join(root, "prompt_embed.onnx"),
                  ["prompt_input_ids"], ["prompt_hidden_states"],
                  {"prompt_input_ids": {0: "batch_size", 1: "prompt_length"},
                   "prompt_hidden_states": {0: "batch_size", 1: "prompt_length"}},
                  cases=[(torch.randint(3, vt, (1, 2)),)])

    dec = ParlerDecoder()
    ids = seq2seq.Input("input_ids", {0: "batch_size_x_num_codebooks", 1: "decoder_sequence_length"},
                        lambda c: torch.randint(0, PVOCAB, (c["b"] * K, c["s"])))
    enc = seq2seq.Input("encoder_hidden_states", {0: "batch_size", 1: "encoder_sequence_length"},
                        lambda c: torch.randn(c["b"], c["enc"], H))
    mask = seq2seq.Input("encoder_attention_mask", {0: "batch_size", 1: "encoder_sequence_length"},
                         lambda c: torch.ones(c["b"], c["enc"], dtype=torch.int64))
    prompt = seq2seq.Input("prompt_hidden_states", {0: "batch_size", 1: "prompt_length"},
                           lambda c: torch.randn(c["b"], 3, H),
                           later=lambda c: torch.zeros(c["b"], 0, H))  # step 0 only
    seq2seq.export_cached_decoder(root, seq2seq.NoPast(dec), seq2seq.WithPast(dec, LAYERS, n_inputs=2),
                                  layers=LAYERS, heads=HEADS, dh=H // HEADS,
                                  inputs0=[ids, enc, mask, prompt], inputs1=[ids, mask], split=False)
    common.export(DacDecode(), (torch.randint(0, CODES, (2, K, 4)),), os.path.join(root, "dac_decode.onnx"),
                  ["audio_codes"], ["audio_values"],
                  {"audio_codes": {0: "batch_size", 2: "frames"},
                   "audio_values": {0: "batch_size", 2: "audio_length"}},
                  cases=[(torch.randint(0, CODES, (1, K, 7)),)])

    common.write_json(os.path.join(root, "config.json"), {
        "architectures": ["ParlerTTSForConditionalGeneration"], "model_type": "parler_tts",
        "is_encoder_decoder": True, "decoder_start_token_id": 1025, "pad_token_id": 1024,
        "prompt_cross_attention": False, "vocab_size": vt,
        "audio_encoder": {"model_type": "dac_on_the_hub", "num_codebooks": K, "codebook_size": CODES,
                          "frame_rate": 86, "sampling_rate": 44100, "model_bitrate": 8,
                          "hop_length": HOP},
        "decoder": {"model_type": "parler_tts_decoder", "vocab_size": PVOCAB, "num_codebooks": K,
                    "hidden_size": H, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
                    "num_key_value_heads": HEADS, "ffn_dim": 2 * H, "max_position_embeddings": 4096,
                    "pad_token_id": 1024, "bos_token_id": 1025, "eos_token_id": 1024},
        "text_encoder": {"model_type": "t5", "d_model": D_ENC, "num_layers": 1, "num_heads": 2,
                         "vocab_size": vt}})
    common.write_json(os.path.join(root, "generation_config.json"), {
        "bos_token_id": 1025, "decoder_start_token_id": 1025, "do_sample": True, "eos_token_id": 1024,
        "guidance_scale": 1, "max_length": 2580, "min_new_tokens": 10, "pad_token_id": 1024})


# ------------------------------------------------------------------ Kokoro

# Pad "$" = 0 and the punctuation ids follow Kokoro's vocabulary; the rest is a small subset.
KOKORO_VOCAB = {"$": 0, ";": 1, ":": 2, ",": 3, ".": 4, "!": 5, "?": 6, " ": 16,
                **{chr(ord("a") + i): 43 + i for i in range(26)},
                "ɜ": 87, "ə": 83, "ɪ": 102, "ʊ": 135, "ˈ": 156, "ˌ": 157, "ː": 158}
N_TOKEN, STYLE, SR_HOP = 178, 256, 300


class Kokoro(nn.Module):
    """StyleTTS2-like: token features + style, predicted durations (scaled by 1/speed) expand
    tokens to frames, each frame becomes SR_HOP samples. Output is one flat waveform."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(N_TOKEN, 16)
        self.style_dec = nn.Linear(STYLE // 2, 16)
        self.style_pred = nn.Linear(STYLE // 2, 16)
        self.duration = nn.Linear(16, 1)
        self.to_audio = nn.Linear(16, SR_HOP)

    def forward(self, input_ids, style, speed):
        h = self.embed(input_ids)[0]  # [n, 16]; batch is 1
        dur = F.softplus(self.duration(h + self.style_pred(style[:, STYLE // 2:]))[:, 0]) + 1.0
        frames = torch.clamp(torch.round(dur * 2.0 / speed), min=1.0).to(torch.int64)
        ends = torch.cumsum(frames, 0)
        t = torch.arange(ends[-1])
        token = (t.unsqueeze(1) >= ends.unsqueeze(0)).to(torch.int64).sum(1)  # frame -> token
        feats = h[token] + self.style_dec(style[:, :STYLE // 2])
        return torch.tanh(self.to_audio(feats)).reshape(-1)


def kokoro(root):
    common.seed(24)

    def inputs(n, speed):
        ids = torch.tensor([[0] + [43 + (i * 7) % 26 for i in range(n)] + [0]])
        return ids, torch.randn(1, STYLE), torch.tensor([speed])
    common.export(Kokoro(), inputs(5, 1.0), os.path.join(root, "onnx", "model.onnx"),
                  ["input_ids", "style", "speed"], ["waveform"],
                  {"input_ids": {1: "sequence_length"}, "waveform": {0: "num_samples"}},
                  cases=[inputs(9, 1.5), inputs(1, 0.8)])
    voice = torch.randn(510, 1, STYLE) * 0.1  # voices/<name>.bin: raw little-endian f32 [510, 1, 256]
    common.write_bytes(os.path.join(root, "voices", "af_heart.bin"), voice.numpy().tobytes())
    single, pair = V.template(["$"], ["$"])
    common.write_json(os.path.join(root, "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [V.added_token(0, "$")],
        "normalizer": None,
        "pre_tokenizer": {"type": "Split", "pattern": {"Regex": ""}, "behavior": "Isolated",
                          "invert": False},
        "post_processor": {"type": "TemplateProcessing", "single": single, "pair": pair,
                           "special_tokens": V.special_tokens(KOKORO_VOCAB, "$")},
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": KOKORO_VOCAB, "unk_token": "$"}})
    common.write_json(os.path.join(root, "tokenizer_config.json"), {
        "added_tokens_decoder": V.added_tokens_decoder([V.added_token(0, "$")]),
        "clean_up_tokenization_spaces": False, "model_max_length": 512, "pad_token": "$",
        "tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "$"})
    common.write_json(os.path.join(root, "config.json"), {
        "architectures": ["StyleTextToSpeech2Model"], "model_type": "style_text_to_speech_2",
        "n_token": N_TOKEN, "style_dim": STYLE})


FIXTURES = {"parler-tts": parler_tts, "kokoro": kokoro}
