#!/usr/bin/env bash
# Every request example of README.md, exactly as the README writes it (ReadmeExampleTests checks that the two lists
# match and sends each one to the default configuration). Run it from anywhere against a runner started with
#   MODELS_CONFIG=$PWD/models/aiModels.json dotnet run -c Release --project src/Livepeer.Runner
# It needs curl, jq and base64, and writes hello.wav, kokoro.wav and flux.png in the checkout's root.
set -euo pipefail
cd "$(dirname "$0")/.."

curl -s localhost:8000/health                       # {"status":"OK"}
curl -s -F image=@examples/chelsea.png -F prompt=sharpen localhost:8000/upscale | head -c 120
curl -s -F image=@examples/chelsea.png -F prompt=x -F model_id=upscalerjs/esrgan-slim-x2 localhost:8000/upscale | head -c 120
curl -s localhost:8000/llm -d '{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":20}'   # karpathy/stories260K
curl -s localhost:8000/text-to-speech -d '{"text":"Hello from Livepeer."}' | jq -r .audio.url | cut -d, -f2 | base64 -d > hello.wav
curl -s localhost:8000/text-to-image -d '{"prompt":"a lighthouse at dusk | oil painting","model_id":"test/tiny-flux-schnell","width":256,"height":256,"num_inference_steps":4,"seed":1}' \
  | jq -r '.images[0].url' | cut -d, -f2 | base64 -d > flux.png      # 256×256 PNG (noise: the test model's weights are random)
curl -s -F image=@examples/chelsea.png -F prompt="a picture of" localhost:8000/image-to-text   # {"text":"a picture of …"}
curl -s -F image=@examples/chelsea.png -F width=256 -F height=144 -F num_inference_steps=4 -F seed=42 \
  localhost:8000/image-to-video | jq '.frames[0] | length'      # 14 frames of test/tiny-svd (SVD-XT: 25)
curl -s -F image=@examples/chelsea.png -F point_coords="[[220, 150]]" -F point_labels="[1]" -F multimask_output=false \
  localhost:8000/segment-anything-2 | head -c 200
curl -s localhost:8000/text-to-speech -d '{"text":"Hello from Livepeer."}' \
  | jq -r .audio.url | cut -d, -f2 | base64 -d > hello.wav      # RIFF WAV, mono PCM16, 22,050 Hz
curl -s localhost:8000/text-to-speech -d '{"text":"Hello from Livepeer.","model_id":"test/tiny-kokoro","description":"af_heart"}' \
  | jq -r .audio.url | cut -d, -f2 | base64 -d > kokoro.wav     # RIFF WAV, mono PCM16, 24,000 Hz
curl -s localhost:8000/v1/chat/completions -d '{"model":"karpathy/stories260K","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":50,"temperature":0}'
curl -s localhost:8000/health                           # {"status":"OK"} once the warm models are loaded
curl -s localhost:8000/hardware/info                    # execution_provider CUDAExecutionProvider, gpu_info, engines
curl -s localhost:8000/hardware/stats                   # used/reserved bytes, models resident, queue
echo
echo "docs: http://localhost:8000/docs"
