"""BLIP captioning (MODEL-FORMATS §5): vision encoder + merged text decoder in the project's
VisionEncoderDecoder-style convention, with bert-base-uncased's real vocabulary."""

import os

import torch
from torch import nn

import common
import seq2seq
import vocab as V
from layers import Block

DV, D, HEADS, LAYERS = 16, 16, 2, 2  # vision width, text width
IMAGE, PATCH = 384, 16
VOCAB = 30524  # bert-base-uncased 30522 + [DEC] + [ENC]


class VisionEncoder(nn.Module):
    """BlipVisionModel: 16x16 patches + class token (577 tokens), pre-norm layer, post LN."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, DV, PATCH, stride=PATCH)
        self.cls = nn.Parameter(torch.randn(DV))
        self.pos = nn.Parameter(torch.randn((IMAGE // PATCH) ** 2 + 1, DV) * 0.1)
        self.block = Block(DV, HEADS)
        self.post = nn.LayerNorm(DV)

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], dim=1) + self.pos
        return self.post(self.block(x))


def write_tokenizer(folder):
    lines = V.bert_uncased_vocab()
    common.write_text(os.path.join(folder, "vocab.txt"), "\n".join(lines) + "\n")
    vocab = {t: i for i, t in enumerate(lines)}
    specials = [(vocab[t], t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")]
    specials += [(30522, "[DEC]"), (30523, "[ENC]")]  # BLIP's bos and its encoder token
    added = [V.added_token(i, t) for i, t in specials]

    def st(tok, type_id):
        return {"SpecialToken": {"id": tok, "type_id": type_id}}

    def seq(name, type_id):
        return {"Sequence": {"id": name, "type_id": type_id}}
    common.write_json(os.path.join(folder, "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [st("[CLS]", 0), seq("A", 0), st("[SEP]", 0)],
            "pair": [st("[CLS]", 0), seq("A", 0), st("[SEP]", 0), seq("B", 1), st("[SEP]", 1)],
            "special_tokens": V.special_tokens(vocab, "[CLS]", "[SEP]")},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab}}, compact=True)
    common.write_json(os.path.join(folder, "special_tokens_map.json"), {
        "additional_special_tokens": ["[ENC]"], "bos_token": "[DEC]", "cls_token": "[CLS]",
        "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"})
    common.write_json(os.path.join(folder, "tokenizer_config.json"), {
        "added_tokens_decoder": V.added_tokens_decoder(added), "additional_special_tokens": ["[ENC]"],
        "bos_token": "[DEC]", "clean_up_tokenization_spaces": True, "cls_token": "[CLS]",
        "do_basic_tokenize": True, "do_lower_case": True, "mask_token": "[MASK]",
        "model_max_length": 512, "never_split": None, "pad_token": "[PAD]",
        "processor_class": "BlipProcessor", "sep_token": "[SEP]", "strip_accents": None,
        "tokenize_chinese_chars": True, "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]"})


def blip(root):
    common.seed(577)
    write_tokenizer(root)
    enc = VisionEncoder()
    common.export(enc, (torch.randn(2, 3, IMAGE, IMAGE),), os.path.join(root, "encoder_model.onnx"),
                  ["pixel_values"], ["last_hidden_state"],
                  {"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}},
                  cases=[(torch.randn(1, 3, IMAGE, IMAGE),)])

    dec = seq2seq.TextDecoder(VOCAB, D, HEADS, LAYERS, DV, 512)
    ids = seq2seq.Input("input_ids", {0: "batch_size", 1: "decoder_sequence_length"},
                        lambda ctx: torch.randint(0, VOCAB, (ctx["b"], ctx["s"])))
    image = seq2seq.Input("encoder_hidden_states", {0: "batch_size", 1: "encoder_sequence_length"},
                          lambda ctx: torch.randn(ctx["b"], ctx["enc"], DV))
    seq2seq.export_cached_decoder(root, seq2seq.NoPast(dec), seq2seq.WithPast(dec, LAYERS),
                                  layers=LAYERS, heads=HEADS, dh=D // HEADS,
                                  inputs0=[ids, image], inputs1=[ids], split=False)

    common.write_json(os.path.join(root, "config.json"), {
        "architectures": ["BlipForConditionalGeneration"], "model_type": "blip", "projection_dim": 32,
        "text_config": {
            "model_type": "blip_text_model", "vocab_size": VOCAB, "hidden_size": D,
            "encoder_hidden_size": DV, "intermediate_size": 2 * D, "num_hidden_layers": LAYERS,
            "num_attention_heads": HEADS, "max_position_embeddings": 512, "bos_token_id": 30522,
            "eos_token_id": 2, "pad_token_id": 0, "sep_token_id": 102},
        "vision_config": {
            "model_type": "blip_vision_model", "hidden_size": DV, "image_size": IMAGE,
            "patch_size": PATCH, "intermediate_size": 2 * DV, "num_hidden_layers": 1,
            "num_attention_heads": HEADS},
        "torch_dtype": "float32"})
    common.write_json(os.path.join(root, "generation_config.json"), {
        "bos_token_id": 30522, "eos_token_id": 102, "max_length": 20, "pad_token_id": 0,
        "sep_token_id": 102})
    common.write_json(os.path.join(root, "preprocessor_config.json"), {
        "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "BlipImageProcessor",
        "image_std": [0.26862954, 0.26130258, 0.27577711], "processor_class": "BlipProcessor",
        "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"height": IMAGE, "width": IMAGE}})


FIXTURES = {"blip": blip}
