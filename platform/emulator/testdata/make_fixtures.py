#!/usr/bin/env python3
"""Writes the emulator's WAV fixtures. Deterministic: rerunning reproduces the same bytes.

  tone_440hz_16k_mono.wav    1 s of a 440 Hz sine at half scale, 16 kHz mono (the default
                             microphone format), 32 044 bytes.
  chirp_8k_stereo_list.wav   0.25 s, 8 kHz stereo: left a 300 Hz sine, right silent, with a
                             LIST/INFO chunk (with an odd-sized, padded
                             sub-chunk) before 'data', as many editors write; 8 088 bytes.
"""
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def chunk(cid, body):
    pad = b"\0" if len(body) % 2 else b""
    return cid + struct.pack("<I", len(body)) + body + pad


def wav(rate, channels, frames, extra_chunks=b""):
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    data = b"".join(struct.pack("<" + "h" * channels, *f) for f in frames)
    body = b"WAVE" + chunk(b"fmt ", fmt) + extra_chunks + chunk(b"data", data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def sine(hz, rate, n, scale):
    return [int(round(scale * 32767 * math.sin(2 * math.pi * hz * i / rate))) for i in range(n)]


def main():
    tone = sine(440, 16000, 16000, 0.5)
    with open(os.path.join(HERE, "tone_440hz_16k_mono.wav"), "wb") as f:
        f.write(wav(16000, 1, [(s,) for s in tone]))

    left = sine(300, 8000, 2000, 0.25)
    info = chunk(b"LIST", b"INFO" + chunk(b"ISFT", b"tacet make_fixtures.py\0"))
    with open(os.path.join(HERE, "chirp_8k_stereo_list.wav"), "wb") as f:
        f.write(wav(8000, 2, [(s, 0) for s in left], info))


if __name__ == "__main__":
    main()
