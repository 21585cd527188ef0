"""Generate the tiny random-weight fixtures under models/tiny.

Run from anywhere with Debian's torch 1.13 and onnx:
    /usr/bin/python3 scripts/tiny/generate.py            # every fixture
    /usr/bin/python3 scripts/tiny/generate.py whisper-tiny llm-qwen   # only these

Each named fixture folder is deleted and rebuilt, then models/tiny/signatures.json (inputs and
outputs of every graph, read back with onnx) and models/tiny/SHA256SUMS are rewritten from what is
on disk. With TINY_VERIFY_DIR=<dir>, inputs and torch outputs of every export are also written to
<dir> for a cross-check in ONNX Runtime (common.record_case); the fixtures do not change.
"""

import json
import os
import shutil
import sys
import time
import warnings

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts

import common  # noqa: E402
import blip  # noqa: E402
import diffusion  # noqa: E402
import dit  # noqa: E402
import llm  # noqa: E402
import lora  # noqa: E402
import sam2  # noqa: E402
import svd  # noqa: E402
import tts  # noqa: E402
import whisper  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "models", "tiny"))

FIXTURES = {}
for family in (diffusion, dit, lora, svd, whisper, blip, sam2, tts, llm):
    FIXTURES.update(family.FIXTURES)


def main(names):
    torch.set_num_threads(1)  # also keeps float reductions in a fixed order
    warnings.filterwarnings("ignore")  # torch.onnx's tracer warnings are expected here
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        sys.exit(f"unknown fixture(s) {unknown}; known: {sorted(FIXTURES)}")
    for name in names or FIXTURES:
        start = time.time()
        folder = os.path.join(ROOT, name)
        shutil.rmtree(folder, ignore_errors=True)
        FIXTURES[name](folder)
        print(f"{name:24s} {time.time() - start:5.1f} s")
    common.write_text(os.path.join(ROOT, "signatures.json"),
                      json.dumps(common.signatures(ROOT), indent=1) + "\n")
    common.write_text(os.path.join(ROOT, "SHA256SUMS"), common.sha256sums(ROOT))


if __name__ == "__main__":
    main(sys.argv[1:])
