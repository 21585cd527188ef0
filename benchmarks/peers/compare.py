#!/usr/bin/env python3
"""Our CPU stages against the Python stack on this machine, on the same inputs: ours, theirs and the ratio.

    /usr/bin/python3 benchmarks/peers/compare.py [--runs N] [--llama2c DIR]

Runs `dotnet run -c Release --project benchmarks -- peers N` (benchmarks/PeerFigures.cs: best and median of N
stopwatch runs after a warm-up, one JSON line per figure), then the peers in this process the same way:
Pillow's PNG encoder at compress_level 1 on the photo PeerFigures writes (png_peer.py), Whisper's torch log-mel
(logmel_peer.py, as many threads as cores), and, when --llama2c names a folder holding a `run` binary built by hand
from karpathy/llama2.c's run.c (gcc -O3; never committed here), its greedy generation of 256 tokens of stories260K
(the same weights as the ONNX model, from ../shared/assets/llm/stories260K/llama2c). Needs Debian's python3-pil,
python3-torch and python3-numpy. The ratio is the peer's time over ours (above 1: we are faster); for tokens per
second it is ours over theirs; best and median of both sides. Noisy on a busy machine: run it on an idle one.
"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


def ours(runs):
    out = subprocess.run(
        ["dotnet", "run", "-c", "Release", "--project", os.path.join(ROOT, "benchmarks"), "--", "peers", str(runs)],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {f["figure"]: f for f in (json.loads(line) for line in out.splitlines() if line.startswith("{"))}


def pillow(runs):
    from PIL import Image
    import png_peer
    image = Image.open(os.path.join(ROOT, "BenchmarkDotNet.Artifacts", "png-peer-1024.png")).convert("RGB")
    image.load()
    best, median, size = png_peer.best(image, 1, runs)
    return best, median, size


def torch_logmel(runs, bins):
    import torch
    import logmel_peer
    torch.set_num_threads(os.cpu_count() or 1)
    return logmel_peer.timed(bins, runs)


def llama2c(folder, runs):
    assets = os.path.join(ROOT, "..", "shared", "assets", "llm", "stories260K", "llama2c")
    rates = []
    for _ in range(runs + 1):
        out = subprocess.run(
            [os.path.join(folder, "run"), os.path.join(assets, "stories260K.bin"), "-z", os.path.join(assets, "tok512.bin"),
             "-t", "0", "-n", "256", "-i", "Once upon a time"], check=True, capture_output=True, text=True)
        rates.append(float(re.search(r"achieved tok/s: ([0-9.]+)", out.stderr + out.stdout).group(1)))
    rates = sorted(rates[1:])
    return rates[-1], rates[len(rates) // 2]


def main():
    args = sys.argv[1:]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 15
    llama = args[args.index("--llama2c") + 1] if "--llama2c" in args else None
    figures = ours(runs)
    rows = []  # (stage, ours best, ours median, peer best, peer median, higher is better, note)
    png = figures["png_level1_ms"]
    best, median, size = pillow(runs)
    rows.append(("PNG 1024² photo, level 1 (ms)", png["best"], png["median"], best, median, False,
                 f"{png['bytes']:,} B vs Pillow's {size:,} B"))
    for bins in (80, 128):
        mine = figures[f"logmel{bins}_ms"]
        best, median = torch_logmel(runs, bins)
        rows.append((f"log-mel 30 s, {bins} bins (ms)", mine["best"], mine["median"], best, median, False, "torch stft path"))
    decode = figures["llm_decode_tok_s"]
    if llama:
        best, median = llama2c(llama, runs)
        rows.append(("stories260K greedy decode (tok/s)", decode["best"], decode["median"], best, median, True, "llama2.c run.c"))
    else:
        rows.append(("stories260K greedy decode (tok/s)", decode["best"], decode["median"], None, None, True, "pass --llama2c DIR for the peer"))
    prefill = figures["llm_prefill_ms"]
    rows.append((f"stories260K prefill, {prefill['tokens']} tokens (ms)", prefill["best"], prefill["median"], None, None, False, "ours only"))

    def ratio(mine, theirs, higher_better):
        if theirs is None:
            return f"{'-':>6}"
        return f"{(mine / theirs if higher_better else theirs / mine):6.2f}"

    def figure(value):
        return f"{value:8.1f}" if value is not None else f"{'-':>8}"

    print(f"{'stage':38} {'ours best/median':>17} {'peer best/median':>17} {'ratio best/median':>17}  note")
    for stage, mine_best, mine_median, peer_best, peer_median, higher, note in rows:
        print(f"{stage:38} {figure(mine_best)} {figure(mine_median)} {figure(peer_best)} {figure(peer_median)} "
              f"{ratio(mine_best, peer_best, higher)} {ratio(mine_median, peer_median, higher)}      {note}")

if __name__ == "__main__":
    main()
