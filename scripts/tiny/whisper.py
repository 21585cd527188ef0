"""Whisper (MODEL-FORMATS §4): optimum's automatic-speech-recognition-with-past export —
encoder_model, decoder_model, decoder_with_past_model and decoder_model_merged — with the real
special-token ids of whisper-tiny (80 mel bins) and whisper-large-v3 (128 mel bins)."""

import os

import torch
from torch import nn
import torch.nn.functional as F

import common
import seq2seq
import vocab as V
from layers import Block, sinusoids

D, HEADS, DH, LAYERS = 16, 2, 8, 2

LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th "
    "ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr "
    "pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt "
    "haw ln ha ba jw su").split()  # whisper-tiny's 99; large-v3 appends "yue"

SUPPRESS_TINY = [
    1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93, 359, 503,
    522, 542, 873, 893, 902, 918, 922, 931, 1350, 1853, 1982, 2460, 2627, 3246, 3253, 3268, 3536,
    3846, 3961, 4183, 4667, 6585, 6647, 7273, 9061, 9383, 10428, 10929, 11938, 12033, 12331, 12562,
    13793, 14157, 14635, 15265, 15618, 16553, 16604, 18362, 18956, 20075, 21675, 22520, 26130,
    26161, 26435, 28279, 29464, 31650, 32302, 32470, 36865, 42863, 47425, 49870, 50254, 50258]


class Encoder(nn.Module):
    def __init__(self, n_mels):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, D, 3, padding=1)
        self.conv2 = nn.Conv1d(D, D, 3, stride=2, padding=1)
        self.register_buffer("pos", sinusoids(1500, D))
        self.blocks = nn.ModuleList([Block(D, HEADS) for _ in range(LAYERS)])
        self.ln_post = nn.LayerNorm(D)

    def forward(self, input_features):
        x = F.gelu(self.conv2(F.gelu(self.conv1(input_features)))).permute(0, 2, 1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.ln_post(x)


def export_decoders(folder, dec, vocab_size, attentions=False):
    """attentions=True: the decoders also output cross_attentions.{i} [batch, heads, decoder
    tokens, encoder frames], as transformers.js's `*_timestamped` exports do (its
    scripts/extra/whisper.py: optimum with output_attentions and these extra decoder outputs)."""
    def ids(ctx):
        return torch.randint(0, vocab_size, (ctx["b"], ctx["s"]))
    ids_in = seq2seq.Input("input_ids", {0: "batch_size", 1: "decoder_sequence_length"}, ids)
    enc_in = seq2seq.Input("encoder_hidden_states", {0: "batch_size", 1: "encoder_sequence_length"},
                           lambda ctx: torch.randn(ctx["b"], ctx["enc"], D))
    extra = [(f"cross_attentions.{i}", {0: "batch_size", 2: "decoder_sequence_length",
                                        3: "encoder_sequence_length_out"})
             for i in range(LAYERS)] if attentions else []
    seq2seq.export_cached_decoder(folder, seq2seq.NoPast(dec, attentions),
                                  seq2seq.WithPast(dec, LAYERS, attentions=attentions),
                                  layers=LAYERS, heads=HEADS, dh=DH,
                                  inputs0=[ids_in, enc_in], inputs1=[ids_in], extra=extra)


def special_ids(v3):
    """(added tokens [(id, content, special)], named ids) in whisper's order."""
    langs = LANGUAGES + (["yue"] if v3 else [])
    names = ["<|endoftext|>", "<|startoftranscript|>"] + [f"<|{c}|>" for c in langs] + [
        "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
        "<|nospeech|>" if v3 else "<|nocaptions|>", "<|notimestamps|>"]
    tokens = [(50257 + i, n, True) for i, n in enumerate(names)]
    base = tokens[-1][0] + 1
    tokens += [(base + i, f"<|{i * 0.02:.2f}|>", False) for i in range(1501)]
    return tokens, {n: i for i, n, _ in tokens}


def write_tokenizer(folder, v3):
    vocab, merges = V.gpt2_bpe()
    # Real Whisper vocabularies hold an empty token at 50256 and <|endoftext|> at 50257.
    vocab[""] = 50256
    vocab["<|endoftext|>"] = 50257
    tokens, ids = special_ids(v3)
    added = [V.added_token(i, c, special=s, normalized=not s) for i, c, s in tokens]
    single, pair = V.template(["<|startoftranscript|>", "<|notimestamps|>"], ["<|endoftext|>"])
    post = {"type": "TemplateProcessing", "single": single, "pair": pair,
            "special_tokens": V.special_tokens(ids, "<|endoftext|>", "<|notimestamps|>",
                                               "<|startoftranscript|>")}
    common.write_json(os.path.join(folder, "tokenizer.json"),
                      V.byte_level_tokenizer_json(vocab, merges, added, post), compact=True)
    common.write_json(os.path.join(folder, "vocab.json"), vocab, compact=True)
    common.write_text(os.path.join(folder, "merges.txt"), "#version: 0.2\n" + "\n".join(merges) + "\n")
    common.write_json(os.path.join(folder, "added_tokens.json"),
                      {c: i for i, c, _ in tokens if c != "<|endoftext|>"}, compact=True)
    specials = [c for _, c, s in tokens if s]
    common.write_json(os.path.join(folder, "special_tokens_map.json"), {
        "additional_special_tokens": specials,
        "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>"})
    common.write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_bos_token": False, "add_prefix_space": False,
        "added_tokens_decoder": V.added_tokens_decoder(added),
        "additional_special_tokens": specials, "bos_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": True, "eos_token": "<|endoftext|>", "errors": "replace",
        "model_max_length": 1024, "pad_token": "<|endoftext|>", "processor_class": "WhisperProcessor",
        "return_attention_mask": False, "tokenizer_class": "WhisperTokenizer",
        "unk_token": "<|endoftext|>"}, compact=True)
    return ids


def whisper(root, v3=False, timestamped=False):
    """timestamped=True: whisper-tiny's weights in the layout of onnx-community's
    `whisper-*_timestamped` exports: graphs under onnx/, decoders with cross_attentions.{i}."""
    n_mels = 128 if v3 else 80
    vocab_size = 51866 if v3 else 51865
    common.seed(128 if v3 else 80)
    ids = write_tokenizer(root, v3)
    assert max(ids.values()) == vocab_size - 1

    graphs = os.path.join(root, "onnx") if timestamped else root
    enc = Encoder(n_mels)
    common.export(enc, (torch.randn(2, n_mels, 3000),), os.path.join(graphs, "encoder_model.onnx"),
                  ["input_features"], ["last_hidden_state"],
                  {"input_features": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}},
                  cases=[(torch.randn(1, n_mels, 3000),)])
    export_decoders(graphs, seq2seq.TextDecoder(vocab_size, D, HEADS, LAYERS, D, 448), vocab_size,
                    attentions=timestamped)

    lang_ids = {c: ids[c] for c in ids if c[2:-2] in LANGUAGES + ["yue"]}
    task = {"translate": ids["<|translate|>"], "transcribe": ids["<|transcribe|>"]}
    no_ts = ids["<|notimestamps|>"]
    suppress = SUPPRESS_TINY + ([50359, 50360, 50361, 50362, 50363] if v3 else
                                [50358, 50359, 50360, 50361, 50362])
    forced = [[1, None], [2, task["transcribe"]]] if v3 else \
        [[1, ids["<|en|>"]], [2, task["transcribe"]], [3, no_ts]]
    common.write_json(os.path.join(root, "generation_config.json"), {
        "alignment_heads": [[1, 0], [1, 1]],  # [layer, head] pairs that exist in this tiny model
        "begin_suppress_tokens": [220, 50257], "bos_token_id": 50257, "decoder_start_token_id": 50258,
        "eos_token_id": 50257, "forced_decoder_ids": forced, "is_multilingual": True,
        "lang_to_id": lang_ids, "max_initial_timestamp_index": 50, "max_length": 448,
        "no_timestamps_token_id": no_ts, "pad_token_id": 50257,
        "prev_sot_token_id": ids["<|startofprev|>"], "return_timestamps": False,
        "suppress_tokens": suppress, "task_to_id": task, "transformers_version": "4.40.0"})
    common.write_json(os.path.join(root, "config.json"), {
        "activation_function": "gelu", "architectures": ["WhisperForConditionalGeneration"],
        "begin_suppress_tokens": [220, 50257], "bos_token_id": 50257, "d_model": D,
        "decoder_attention_heads": HEADS, "decoder_ffn_dim": 2 * D, "decoder_layers": LAYERS,
        "decoder_start_token_id": 50258, "encoder_attention_heads": HEADS, "encoder_ffn_dim": 2 * D,
        "encoder_layers": LAYERS, "eos_token_id": 50257, "is_encoder_decoder": True,
        "max_source_positions": 1500, "max_target_positions": 448, "model_type": "whisper",
        "num_hidden_layers": LAYERS, "num_mel_bins": n_mels, "pad_token_id": 50257,
        "scale_embedding": False, "torch_dtype": "float32", "use_cache": True,
        "vocab_size": vocab_size, **({"median_filter_width": 7} if timestamped else {})})
    common.write_json(os.path.join(root, "preprocessor_config.json"), {
        "chunk_length": 30, "feature_extractor_type": "WhisperFeatureExtractor",
        "feature_size": n_mels, "hop_length": 160, "n_fft": 400, "n_samples": 480000,
        "nb_max_frames": 3000, "padding_side": "right", "padding_value": 0.0,
        "processor_class": "WhisperProcessor", "return_attention_mask": False,
        "sampling_rate": 16000})


FIXTURES = {
    "whisper-tiny": whisper,
    "whisper-large-v3": lambda root: whisper(root, v3=True),
    "whisper-tiny-timestamped": lambda root: whisper(root, timestamped=True),
}
