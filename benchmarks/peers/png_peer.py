#!/usr/bin/env python3
"""Pillow's PNG encode on the benchmark's 1024² photo, the peer figure for PngEncoderBenchmarks.

    /usr/bin/python3 benchmarks/peers/png_peer.py [image.png] [--runs N]

The image defaults to BenchmarkDotNet.Artifacts/png-peer-1024.png, which PngEncoderBenchmarks' setup writes
(coffee.png resized bicubically to 1024² by the runner), so both sides encode the same pixels. Prints the best
of N runs (time and size) at compress_level 1 and at Pillow's default (6), and the ratio of the two.
"""
import io
import sys
import time

import PIL
from PIL import Image


def best(image, level, runs):
    times, size = [], 0
    for _ in range(runs):
        buffer = io.BytesIO()
        start = time.perf_counter()
        image.save(buffer, format="PNG", compress_level=level)
        times.append(time.perf_counter() - start)
        size = buffer.tell()
    return min(times) * 1000, sorted(times)[len(times) // 2] * 1000, size


def main():
    args = sys.argv[1:]
    runs = 15
    if "--runs" in args:
        at = args.index("--runs")
        runs = int(args[at + 1])
        del args[at:at + 2]
    path = args[0] if args else "BenchmarkDotNet.Artifacts/png-peer-1024.png"
    image = Image.open(path).convert("RGB")
    image.load()
    print(f"Pillow {Image.__version__ if hasattr(Image, '__version__') else ''} on {path} ({image.width}x{image.height}), best/median of {runs}")
    results = {}
    for label, level in (("level 1", 1), ("default (6)", 6)):
        fastest, median, size = best(image, level, runs)
        results[level] = fastest
        print(f"  {label:12} {fastest:7.1f} ms best  {median:7.1f} ms median  {size:>10,} B")
    print(f"  default / level 1 time ratio: {results[6] / results[1]:.2f}")


if __name__ == "__main__":
    main()
