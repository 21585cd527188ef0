#!/usr/bin/env bash
# Rebuild models/esrgan-slim/ from the npm package @upscalerjs/esrgan-slim@1.0.0 (MIT).
#
#   scripts/esrgan-slim/convert.sh [--verify FIXTURE.png SAMPLES_DIR]
#
# Needs npm, sha256sum and Debian's python3-torch + python3-onnx (+ python3-pil
# for --verify). Run from anywhere; paths are resolved from the repo root.
set -euo pipefail

PACKAGE="@upscalerjs/esrgan-slim@1.0.0"
# Pinned so a republished or tampered tarball cannot silently change the models.
TARBALL_SHA256="b53070ff01363e74d33138106dcc72b58d341c9fb7e8fd648554a4e7744142b5"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/models/esrgan-slim"
# Debian's torch, not whatever python3 is first on PATH (e.g. pyenv without torch).
PY=/usr/bin/python3

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null)
TGZ="$(ls "$WORK"/*.tgz)"
echo "$TARBALL_SHA256  $TGZ" | sha256sum --check --quiet
tar -xzf "$TGZ" -C "$WORK"

"$PY" "$ROOT/scripts/esrgan-slim/convert_esrgan_slim.py" --package-dir "$WORK/package" --out "$OUT" "$@"

# The package's own licence travels with the converted weights.
cp "$WORK/package/LICENSE" "$OUT/LICENSE"

(cd "$OUT" && sha256sum x2/model.onnx x3/model.onnx x4/model.onnx > SHA256SUMS)
cat "$OUT/SHA256SUMS"
