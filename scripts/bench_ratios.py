#!/usr/bin/env python3
"""Reads Google Benchmark JSON and prints every benchmark that has a baseline as a ratio of it.

Pairs are (measured, baseline) name patterns; '{}' stands for the argument part that both share
(sizes, row counts). Medians of the repetitions are compared, so both sides come from one run.
"""
import json
import re
import sys

PAIRS = [
    # HPKE single-shot seal/open against the raw AEAD over the same bytes.
    ("BM_HpkeSeal/aes128gcm/{}", "BM_RawAeadSeal/aes128gcm/{}"),
    ("BM_HpkeOpen/aes128gcm/{}", "BM_RawAeadSeal/aes128gcm/{}"),
    ("BM_HpkeSeal/chacha20poly1305/{}", "BM_RawAeadSeal/chacha20poly1305/{}"),
    ("BM_HpkeOpen/chacha20poly1305/{}", "BM_RawAeadSeal/chacha20poly1305/{}"),
    # SQLite: one transaction per row against one transaction for all rows.
    ("BM_StoreInsert/txn_per_row/{}", "BM_StoreInsert/one_txn/{}"),
    # Consent: a gate decision (snapshot() + Allows) against one acquire load of a pointer.
    ("BM_GateDecision{}", "BM_AtomicLoadBaseline{}"),
]


def medians(doc):
    out = {}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b.get("run_name", b["name"])
        out[name] = b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return out


def main(path):
    times = medians(json.load(open(path)))
    rows = []
    for measured, baseline in PAIRS:
        rx = re.compile("^" + re.escape(measured).replace(r"\{\}", "(.+)") + "$")
        for name, t in sorted(times.items()):
            m = rx.match(name)
            if not m:
                continue
            base = baseline.replace("{}", m.group(1))
            if base in times:
                rows.append((name, t, base, times[base]))
    if not rows:
        print("no benchmark pairs found")
        return 1
    width = max(len(r[0]) for r in rows)
    print(f"\n{'benchmark':<{width}}  {'median':>12}  {'baseline median':>16}  ratio  baseline")
    for name, t, base, bt in rows:
        print(f"{name:<{width}}  {t/1e3:>10.1f}us  {bt/1e3:>14.1f}us  {t/bt:5.2f}x  {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
