#!/usr/bin/env python3
"""numpy baseline for `npm run bench profile-scale`: the same per-tensor absmax quantize-and-L1
work coquant profile does (uniform-symmetric, uniform-asymmetric, pot; bits 2..16) on the same
fp16 safetensors tensors, vectorised the ordinary numpy way (float32 math, float64 sums).
It stops after the first tensor that crosses the time budget and reports what it covered.

usage: profile_numpy_baseline.py CHECKPOINT BUDGET_SECONDS
prints one JSON document on stdout.
"""
import json
import struct
import sys
import time

import numpy as np

DT = {"F16": np.float16, "BF16": None, "F32": np.float32}


def tensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    mm = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    for name, h in items:
        if len(h["shape"]) < 2 or h["dtype"] not in ("F16", "F32"):
            continue
        a, b = h["data_offsets"]
        yield name, mm[a:b].view(DT[h["dtype"]])


def sym(x, c, bits):
    n = 2 ** (bits - 1) - 1
    s = np.float32(c / n)
    q = np.clip(np.rint(x / s), -n, n)
    return np.abs(x - q * s).mean(dtype=np.float64)


def asym(x, lo, hi, bits):
    n = 2**bits - 1
    s = np.float32((hi - lo) / n)
    z = np.float32(min(n, max(0, round(-lo / s))))
    q = np.clip(np.rint(x / s) + z, 0, n)
    return np.abs(x - (q - z) * s).mean(dtype=np.float64)


def pot(x, c, bits):
    m = 2 ** (bits - 1) - 1
    min_exp = 1 - m
    a = np.abs(x)
    r = a / np.float32(c)
    mant, e = np.frexp(r)  # r = mant * 2**e, mant in [0.5, 1)
    k = np.where(mant >= 0.75, e, e - 1)  # nearest power of two, ties up
    k = np.minimum(k, 0)
    lvl = np.ldexp(np.float32(1), k)
    smallest = np.float32(2.0**min_exp) if min_exp > -140 else np.float32(0)
    lvl = np.where(k < min_exp, np.where(r >= smallest / 2, smallest, 0), lvl)
    lvl = np.where(r == 0, 0, lvl)
    return np.abs(a - lvl * np.float32(c)).mean(dtype=np.float64)


def main():
    path, budget = sys.argv[1], float(sys.argv[2])
    t0 = time.perf_counter()
    done = []
    params = 0
    for name, raw in tensors(path):
        x = raw.astype(np.float32)
        lo = float(min(x.min(), 0))
        hi = float(max(x.max(), 0))
        c = max(-lo, hi)
        res = {}
        for bits in range(2, 17):
            res[f"uniform-symmetric/{bits}"] = sym(x, c, bits)
            res[f"uniform-asymmetric/{bits}"] = asym(x, lo, hi, bits)
            res[f"pot/{bits}"] = pot(x, c, bits)
        params += x.size
        done.append({"name": name, "params": int(x.size), "l1": res})
        if time.perf_counter() - t0 > budget:
            break
    secs = time.perf_counter() - t0
    print(json.dumps({"numpy": np.__version__, "seconds": secs, "params": params, "configs": 45, "tensors": done}))


if __name__ == "__main__":
    main()
