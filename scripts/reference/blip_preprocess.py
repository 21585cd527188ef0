"""Reference values for BlipImageProcessor on an 8-bit RGB PNG, in plain Python (no PIL, no numpy).

Written independently of the C# code from the published algorithms:
- PNG decoding per the PNG specification (IHDR, IDAT inflate, the five row filters);
- Pillow's src/libImaging/Resample.c for Image.resize(..., BICUBIC) on 8-bit images: a = -0.5, support 2
  widened by the down-scale, bounds int(center -/+ support + 0.5), weights normalised per output pixel and
  stored as 22-bit fixed point (round half away from zero), each pass starting from 1 << 21 and clipped
  (>> 22, then 0..255); the horizontal pass first;
- transformers' BlipImageProcessor: rescale in float64 then float32, normalize (x - mean) / std in float32.

Usage: python3 blip_preprocess.py IMAGE.png [size]  -> prints 'c y x resized_byte value' for a few pixels.
"""

import math
import struct
import sys
import zlib

PRECISION_BITS = 32 - 8 - 2
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
RESCALE = 0.00392156862745098


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def cubic(x):
    a = -0.5
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def coeffs(in_size, out_size):
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 2.0 * filterscale
    out = []
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        ss = 1.0 / filterscale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        k = [cubic((x + xmin - center + 0.5) * ss) for x in range(xmax)]
        ww = sum(k)
        k = [w / ww if ww != 0.0 else w for w in k]
        fixed = [int(-0.5 + w * (1 << PRECISION_BITS)) if w < 0 else int(0.5 + w * (1 << PRECISION_BITS)) for w in k]
        out.append((xmin, fixed))
    return out


def clip8(v):
    return min(max(v >> PRECISION_BITS, 0), 255)


def resize(width, height, rows, out_w, out_h):
    if out_w != width:
        cs = coeffs(width, out_w)
        rows = [[tuple(clip8((1 << (PRECISION_BITS - 1)) + sum(row[xmin + i][c] * w for i, w in enumerate(k)))
                       for c in range(3)) for xmin, k in cs] for row in rows]
    if out_h != height:
        cs = coeffs(height, out_h)
        rows = [[tuple(clip8((1 << (PRECISION_BITS - 1)) + sum(rows[ymin + i][x][c] * w for i, w in enumerate(k)))
                       for c in range(3)) for x in range(out_w)] for ymin, k in cs]
    return rows


def normalise(byte, c):
    x = f32(byte * RESCALE)
    return f32(f32(x - f32(MEAN[c])) / f32(STD[c]))


if __name__ == "__main__":
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 384
    w, h, rows = read_png(sys.argv[1])
    out = resize(w, h, rows, size, size)
    for c, y, x in [(0, 0, 0), (1, 0, 383), (2, 383, 0), (0, 383, 383), (0, 100, 200), (1, 191, 57), (2, 250, 300), (1, 37, 141)]:
        b = out[y][x][c]
        print(c, y, x, b, repr(normalise(b, c)))
    flat = [out[y][x][c] for y in range(size) for x in range(size) for c in range(3)]
    print("byte sum", sum(flat), "position-weighted sum mod 2^31", sum((i + 1) * v for i, v in enumerate(flat)) % (1 << 31))
