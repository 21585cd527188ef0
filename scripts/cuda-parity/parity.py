#!/usr/bin/env python3
"""Sends the same requests to two running runners (say one on CUDA, one on CPU) and compares the answers.

Standard library only, so it runs on a bare GPU node. Writes report.json (and the first image of each case from both
runners) into the output folder and exits non-zero when a check fails.

  parity.py --a http://127.0.0.1:8000 --b http://127.0.0.1:8001 --assets DIR --out DIR [--cases NAME,...]

DIR for --assets holds astronaut.png, chelsea.png, jfk.wav and stories260K/expected.txt (../shared/assets has them).
"""
import argparse
import base64
import json
import math
import os
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib


def request(base, path, body=None, form=None, timeout=600):
    """POSTs JSON (body) or multipart (form: name -> str | (filename, bytes)); GET without either. Returns (status, bytes, seconds)."""
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in form.items():
            if isinstance(value, tuple):
                filename, content = value
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                             f'Content-Type: application/octet-stream\r\n\r\n'.encode() + content + b"\r\n")
            else:
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, data=data, headers=headers), timeout=timeout) as reply:
            return reply.status, reply.read(), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.perf_counter() - started


def wait_healthy(base, seconds=180):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            status, body, _ = request(base, "/health", timeout=5)
            if status == 200 and json.loads(body).get("status") == "OK":
                return True
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(1)
    return False


def png_pixels(data):
    """Decodes an 8-bit non-interlaced RGB/RGBA PNG (what the runner writes) to (width, height, channels, bytes)."""
    try:
        import io
        from PIL import Image  # fast where installed; the decoder below gives the same pixels
        image = Image.open(io.BytesIO(data))
        return image.width, image.height, len(image.getbands()), image.tobytes()
    except ImportError:
        pass
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, width = 8, b"", 0
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and color in (2, 6), "unsupported PNG"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    pixels = bytearray(height * stride)
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        pixels[y * stride:(y + 1) * stride] = line
        previous = line
    return width, height, channels, bytes(pixels)


def gradient_png(width, height):
    """A small RGB test picture, for models whose memory grows fast with the input's size (the SD x4 upscaler)."""
    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, (x + y) % 256)) for y in range(height))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def psnr(first, second):
    if first[:3] != second[:3]:
        return None
    try:
        import numpy  # much faster where it is installed (GPU nodes have it); the plain loop gives the same figure
        difference = numpy.frombuffer(first[3], numpy.uint8).astype(numpy.float64) - numpy.frombuffer(second[3], numpy.uint8)
        squared = float(numpy.mean(difference * difference))
    except ImportError:
        squared = sum((x - y) * (x - y) for x, y in zip(first[3], second[3])) / len(first[3])
    return float("inf") if squared == 0 else 10 * math.log10(255 * 255 / squared)


def image_urls(body):
    return [image["url"] for image in json.loads(body)["images"]]


def png_of(url):
    return base64.b64decode(url.split(",", 1)[1])


class Parity:
    def __init__(self, a, b, assets, out):
        self.a, self.b, self.assets, self.out = a, b, assets, out
        self.report = {"a": a, "b": b, "cases": {}}
        self.failed = []

    def asset(self, *parts):
        with open(os.path.join(self.assets, *parts), "rb") as file:
            return file.read()

    def both(self, path, body=None, form=None):
        return [request(base, path, body=body, form=form) for base in (self.a, self.b)]

    def check(self, name, ok, **facts):
        self.report["cases"][name] = {"ok": ok, **facts}
        if not ok:
            self.failed.append(name)
        print(f"{'PASS' if ok else 'FAIL'} {name} {json.dumps(facts)[:400]}", flush=True)

    def images(self, name, path, min_psnr, body=None, form=None, expect_images=1):
        (status_a, body_a, seconds_a), (status_b, body_b, seconds_b) = self.both(path, body=body, form=form)
        if status_a != 200 or status_b != 200:
            self.check(name, False, status=[status_a, status_b], error=[body_a[:300].decode(errors="replace"), body_b[:300].decode(errors="replace")])
            return
        urls_a, urls_b = image_urls(body_a), image_urls(body_b)
        seeds = [image["seed"] for image in json.loads(body_a)["images"]]
        scores = []
        for index, (url_a, url_b) in enumerate(zip(urls_a, urls_b)):
            if index == 0:
                for label, url in (("a", url_a), ("b", url_b)):
                    with open(os.path.join(self.out, f"{name}-{label}.png"), "wb") as file:
                        file.write(png_of(url))
            scores.append(psnr(png_pixels(png_of(url_a)), png_pixels(png_of(url_b))))
        size = png_pixels(png_of(urls_a[0]))[:2]
        ok = len(urls_a) == len(urls_b) == expect_images and all(s is not None and s >= min_psnr for s in scores)
        self.check(name, ok, psnr_db=[round(s, 2) if s not in (None, float("inf")) else str(s) for s in scores], size=size, seeds=seeds,
                   seconds=[round(seconds_a, 3), round(seconds_b, 3)])

    def timed(self, name, path, repeats, body=None, form=None):
        """Median seconds of `repeats` warm requests on each runner (the first, which may load the model, not counted)."""
        medians = []
        for base in (self.a, self.b):
            request(base, path, body=body, form=form)
            times = sorted(request(base, path, body=body, form=form)[2] for _ in range(repeats))
            medians.append(round(times[len(times) // 2], 4))
        self.report["cases"][name] = {"ok": True, "median_seconds": medians, "repeats": repeats}
        print(f"TIME {name} a={medians[0]}s b={medians[1]}s", flush=True)

    def run(self, cases):
        astronaut, chelsea = ("astronaut.png", self.asset("astronaut.png")), ("chelsea.png", self.asset("chelsea.png"))
        for route in ("/hardware/info", "/hardware/stats", "/version"):
            status, body, _ = request(self.a, route)
            self.report[route] = json.loads(body) if status == 200 else {"status": status}
        t2i = {"prompt": "a photo of a red fox in the snow", "width": 512, "height": 512, "seed": 42,
               "num_inference_steps": 20, "guidance_scale": 7.5, "safety_check": False}
        all_cases = {
            "t2i-sd15": lambda: self.images("t2i-sd15", "/text-to-image", 25, body={**t2i, "model_id": "test/tiny-sd15"}),
            "t2i-sdxl-batch": lambda: self.images("t2i-sdxl-batch", "/text-to-image", 25, expect_images=2,
                                                  body={**t2i, "model_id": "test/tiny-sdxl", "num_images_per_prompt": 2, "num_inference_steps": 8}),
            "t2i-sdxl-lightning": lambda: self.images("t2i-sdxl-lightning", "/text-to-image", 25,
                                                      body={**t2i, "model_id": "ByteDance/SDXL-Lightning-4step", "num_inference_steps": 4}),
            "i2i-pix2pix": lambda: self.images("i2i-pix2pix", "/image-to-image", 25, form={
                "image": astronaut, "prompt": "make it snow", "model_id": "test/tiny-instruct-pix2pix", "seed": "7",
                "num_inference_steps": "10", "guidance_scale": "7.5", "image_guidance_scale": "1.5"}),
            "upscale-esrgan-x4": lambda: self.images("upscale-esrgan-x4", "/upscale", 35, form={
                "image": chelsea, "prompt": "x", "model_id": "upscalerjs/esrgan-slim-x4"}),
            "upscale-sd-x4": lambda: self.images("upscale-sd-x4", "/upscale", 25, form={
                "image": ("gradient.png", gradient_png(96, 64)), "prompt": "a cat", "model_id": "stabilityai/stable-diffusion-x4-upscaler", "seed": "3",
                "num_inference_steps": "10"}),
            "llm-stories260K-golden": self.llm_golden,
            "llm-tiny-llama-fp16": self.llm_fp16,
            "audio-to-text-whisper": self.audio,
            "time-t2i-sd15-512-20steps": lambda: self.timed("time-t2i-sd15-512-20steps", "/text-to-image", 5, body={**t2i, "model_id": "test/tiny-sd15"}),
            "time-llm-stories260K-196": lambda: self.timed("time-llm-stories260K-196", "/llm", 5, body=self.llm_body()),
        }
        for name in cases or all_cases:
            try:
                all_cases[name]()
            except Exception as error:  # one broken case must not hide the others
                self.check(name, False, exception=repr(error))
        self.report["failed"] = self.failed
        with open(os.path.join(self.out, "report.json"), "w") as file:
            json.dump(self.report, file, indent=1)
        return not self.failed

    @staticmethod
    def llm_body(stream=False):
        return {"messages": [{"role": "user", "content": "Once upon a time"}], "model": "karpathy/stories260K",
                "max_tokens": 196, "temperature": 0, "stream": stream}

    def llm_golden(self):
        expected = self.asset("stories260K", "expected.txt").decode()
        texts = []
        for base in (self.a, self.b):
            status, body, _ = request(base, "/llm", body=self.llm_body())
            texts.append("Once upon a time" + json.loads(body)["choices"][0]["message"]["content"] if status == 200 else f"HTTP {status}: {body[:200]!r}")
            status, body, _ = request(base, "/llm", body=self.llm_body(stream=True))
            deltas = [json.loads(line[6:])["choices"][0]["delta"]["content"] for line in body.decode().split("\n\n") if line.startswith("data: {")]
            texts.append("Once upon a time" + "".join(deltas))
        self.check("llm-stories260K-golden", all(text == expected for text in texts), matches=[text == expected for text in texts])

    def llm_fp16(self):
        body = {"messages": [{"role": "user", "content": "Hello there"}], "model": "test/tiny-llama-fp16", "max_tokens": 48, "temperature": 0}
        replies = [(status, json.loads(content) if status == 200 else content[:200].decode(errors="replace")) for status, content, _ in self.both("/llm", body=body)]
        ok = all(status == 200 for status, _ in replies)
        texts = [reply["choices"][0]["message"]["content"] if status == 200 else reply for status, reply in replies]
        tokens = [reply["usage"]["completion_tokens"] if status == 200 else None for status, reply in replies]
        # Random weights: near-ties may flip between providers, so equality is reported, not required.
        self.check("llm-tiny-llama-fp16", ok, same_text=texts[0] == texts[1], completion_tokens=tokens)

    def audio(self):
        form = {"audio": ("jfk.wav", self.asset("jfk.wav")), "model_id": "test/tiny-whisper", "return_timestamps": "true"}
        replies = self.both("/audio-to-text", form=form)
        ok = all(status == 200 for status, _, _ in replies)
        texts = [json.loads(body)["text"] if status == 200 else body[:200].decode(errors="replace") for status, body, _ in replies]
        self.check("audio-to-text-whisper", ok, status=[r[0] for r in replies], same_text=texts[0] == texts[1], text_a=texts[0][:120])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--assets", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--cases", default="")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for base in (args.a, args.b):
        if not wait_healthy(base):
            print(f"{base} did not become healthy", file=sys.stderr)
            return 2
    parity = Parity(args.a, args.b, args.assets, args.out)
    return 0 if parity.run([c for c in args.cases.split(",") if c]) else 1


if __name__ == "__main__":
    sys.exit(main())
