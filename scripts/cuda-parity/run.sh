#!/usr/bin/env bash
# CUDA/CPU parity check for a CUDA build of the runner on a GPU node: starts the same published runner twice on the
# same models, once on the CUDA execution provider (port 8000) and once on the CPU one (port 8001), sends both the same
# requests (parity.py) and compares images (PSNR), texts and timings. Exits non-zero if a check fails.
#
#   scripts/cuda-parity/run.sh APP_DIR ASSETS_DIR OUT_DIR
#
# APP_DIR: `dotnet publish src/Livepeer.Runner -c Release -r linux-x64 --self-contained -p:OnnxRuntimeFlavor=Cuda -o APP_DIR`.
# ASSETS_DIR: astronaut.png, chelsea.png, jfk.wav and stories260K/ (from ../shared/assets). CUDA 13 and cuDNN 9
# libraries must be findable: on the loader path already, or in a Python environment's nvidia/ packages (found below).
set -uo pipefail
app=$(realpath "$1") assets=$(realpath "$2") out=$(realpath -m "$3")
repo=$(realpath "$(dirname "$0")/../..")
mkdir -p "$out"

# ONNX Runtime 1.31's CUDA provider links CUDA 13 (cublas, cublasLt, cudart, curand) and loads cuDNN 9 and cuFFT.
for lib in libcudart.so.13 libcublasLt.so.13 libcublas.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9; do
  if ! ldconfig -p | grep -q "$lib"; then
    found=$(find /opt /usr/local /usr/lib -name "$lib" -print -quit 2>/dev/null)
    [ -n "$found" ] && export LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
done
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}" | tee "$out/environment.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >>"$out/environment.txt" 2>&1

config="$out/models.json"
cat >"$config" <<JSON
[
  { "pipeline": "upscale", "model_id": "upscalerjs/esrgan-slim-x4", "warm": true, "path": "$repo/models/esrgan-slim/x4" },
  { "pipeline": "upscale", "model_id": "stabilityai/stable-diffusion-x4-upscaler", "path": "$repo/models/tiny/sd-x4-upscaler" },
  { "pipeline": "text-to-image", "model_id": "test/tiny-sd15", "warm": true, "path": "$repo/models/tiny/sd15" },
  { "pipeline": "text-to-image", "model_id": "test/tiny-sdxl", "path": "$repo/models/tiny/sdxl" },
  { "pipeline": "text-to-image", "model_id": "ByteDance/SDXL-Lightning-4step", "path": "$repo/models/tiny/sdxl-lightning" },
  { "pipeline": "image-to-image", "model_id": "test/tiny-instruct-pix2pix", "path": "$repo/models/tiny/instruct-pix2pix" },
  { "pipeline": "audio-to-text", "model_id": "test/tiny-whisper", "path": "$repo/models/tiny/whisper-tiny" },
  { "pipeline": "llm", "model_id": "karpathy/stories260K", "warm": true, "path": "$assets/stories260K" },
  { "pipeline": "llm", "model_id": "test/tiny-llama-fp16", "path": "$repo/models/tiny/llm-llama-fp16" }
]
JSON

start() { # provider port
  MODELS_CONFIG="$config" PORT="$2" RUNNER_EXECUTION_PROVIDER="$1" "$app/Livepeer.Runner" >"$out/runner-$2.log" 2>&1 &
  echo $!
}
# PROVIDER_A=cpu rehearses the check on a machine without a GPU (both runners then on the CPU).
cuda=$(start "${PROVIDER_A:-cuda}" 8000)
cpu=$(start cpu 8001)
python3 "$repo/scripts/cuda-parity/parity.py" --a http://127.0.0.1:8000 --b http://127.0.0.1:8001 --assets "$assets" --out "$out" ${CASES:+--cases "$CASES"}
status=$?
curl -s http://127.0.0.1:8000/metrics >"$out/metrics-8000.txt" 2>/dev/null
kill "$cuda" "$cpu" 2>/dev/null
wait
exit $status
