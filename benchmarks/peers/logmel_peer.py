#!/usr/bin/env python3
"""Whisper's own log-mel (openai/whisper audio.py's torch path) on a 30 s window, the peer figure for the log-mel lines of benchmarks/PeerFigures.cs and WhisperBenchmarks.

    /usr/bin/python3 benchmarks/peers/logmel_peer.py [--runs N] [--threads T]

Same numerics as whisper.audio.log_mel_spectrogram: torch.stft(n_fft 400, hop 160, periodic Hann, centred,
reflect), power, the Slaney mel bank (librosa-equivalent, built here with numpy), log10 clamp, (x + 4) / 4.
The audio is the same synthetic signal PeerFigures makes (a sine plus seeded noise; content does not change
the cost). Prints best and median of N runs for 80 and 128 mel bins.
"""
import math
import sys
import time

import numpy as np
import torch


def slaney_mel(n_mels, n_fft=400, sr=16000):
    def hz_to_mel(hz):
        hz = np.asanyarray(hz, dtype=np.float64)
        mel = hz / (200.0 / 3)
        log_region = hz >= 1000
        mel = np.where(log_region, 15.0 + np.log(np.maximum(hz, 1e-12) / 1000) / (math.log(6.4) / 27), mel)
        return mel

    def mel_to_hz(mel):
        mel = np.asanyarray(mel, dtype=np.float64)
        hz = mel * (200.0 / 3)
        return np.where(mel >= 15.0, 1000 * np.exp((math.log(6.4) / 27) * (mel - 15.0)), hz)

    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return torch.from_numpy(weights.astype(np.float32))


def log_mel(audio, filters, window):
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


def signal():
    """The synthetic 30 s window PeerFigures also makes: sin(0.01 i) 0.3 plus seeded uniform noise in [0, 0.1)."""
    rng = np.random.default_rng(1)
    i = np.arange(480000)
    return torch.from_numpy((np.sin(i * 0.01) * 0.3 + rng.random(480000) * 0.1).astype(np.float32))


def timed(bins, runs, audio=None):
    """Best and median milliseconds of `runs` log-mels of the window at `bins` mel bins, after one warm-up."""
    audio = signal() if audio is None else audio
    window = torch.hann_window(400)
    filters = slaney_mel(bins)
    log_mel(audio, filters, window)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        log_mel(audio, filters, window)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[0], times[len(times) // 2]


def main():
    args = sys.argv[1:]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 40
    if "--threads" in args:
        torch.set_num_threads(int(args[args.index("--threads") + 1]))
    audio = signal()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, 30 s window, best/median of {runs}")
    for bins in (80, 128):
        best, median = timed(bins, runs, audio)
        print(f"  {bins:3} bins  {best:7.1f} ms best  {median:7.1f} ms median")

if __name__ == "__main__":
    main()
