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
    # Vault: sealed write/read of a value against a plain insert/select of the same bytes.
    ("BM_VaultWrite/{}", "BM_PlainSqliteInsert/{}"),
    ("BM_VaultRead/{}", "BM_PlainSqliteSelect/{}"),
    # Issue 10: record() against raw SQLite inserts of the same bytes (1,000 per transaction);
    # sealing a 64 KiB batch as an OHTTP request against raw AES-128-GCM over the same bytes;
    # opening a device with 100,000 queued events against one with an empty outbox; the device
    # open and close against a bare database open.
    ("BM_Record{}", "BM_RawSqliteInsert{}"),
    # Group commit: one BM_RecordBatch iteration records 1,000 events; compared per event.
    ("BM_RecordBatch{}", "BM_RawSqliteInsert{}", 1000),
    # Not an issue figure: the same, against plain inserts into the outbox's own table (its
    # indexes and constraints), i.e. what the recorder adds on top of its schema.
    ("BM_RecordBatch{}", "BM_RawSqliteInsertOutboxSchema{}", 1000),
    ("BM_SealerOhttpRequest64KiB{}", "BM_SealerRawAes128Gcm64KiB{}"),
    ("BM_AgentOpen_100kQueuedEvents{}", "BM_AgentOpen_EmptyOutbox{}"),
    ("BM_AgentOpenClose{}", "BM_BareDatabaseOpenClose{}"),
]


def medians(doc):
    out = {}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b.get("run_name", b["name"])
        out[name] = b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return out


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f}{unit}"
    return f"{ns:.2f}ns"


def main(path):
    times = medians(json.load(open(path)))
    rows = []
    for pair in PAIRS:
        measured, baseline = pair[0], pair[1]
        per = pair[2] if len(pair) > 2 else 1  # items per measured iteration
        rx = re.compile("^" + re.escape(measured).replace(r"\{\}", "(.*)") + "$")
        for name, t in sorted(times.items()):
            m = rx.match(name)
            if not m:
                continue
            base = baseline.replace("{}", m.group(1))
            if base in times:
                rows.append((name if per == 1 else f"{name} (per 1/{per})", t / per, base,
                             times[base]))
    if not rows:
        print("no benchmark pairs found")
        return 1
    width = max(len(r[0]) for r in rows)
    # time: measured time over the baseline's (lower is better); speed: the inverse, the
    # measured throughput as a fraction of the baseline's (the form the issues' targets take).
    print(f"\n{'benchmark':<{width}}  {'median':>12}  {'baseline median':>16}    time   speed  baseline")
    for name, t, base, bt in rows:
        print(f"{name:<{width}}  {fmt(t):>12}  {fmt(bt):>16}  {t/bt:6.2f}x {bt/t:6.3f}x  {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
