#!/usr/bin/env python3
"""Prints what tacet-collector stored (its --dump JSON) and checks it against the device's journal.

    gateway_check.py --dump FILE --journal FILE --step STEP [--seen FILE]
    gateway_check.py --export FILE --report FILE          (step "export": the user's copies)

Used by scripts/demo.sh after each step of the speaker demo (docs/demo.md). Prints the batches it
has not printed before (their ids are kept in --seen), then checks every rule below that applies
after STEP; exits 1 naming each rule that does not hold, 0 when all hold. Only the standard library.

Rules (after STEP, over every step up to it):
  - every value the device recorded and did not lose to a purge reaches the controller exactly
    once, in the form expected (as collected, or a precise position coarsened); in network-down,
    the values recorded in that step (the relay is down) are not stored at all;
  - no recipient gets any recorded value twice; no batch id is stored twice;
  - nothing purged or refused on the device is anywhere in the dump, nor the text of a precise
    position; no voice value other than those delivered before the revocation;
  - from granted on: every batch's subject is a 32-hex-digit pseudonym; every event time is a
    whole hour (seconds since 1970, or an ISO 8601 time at hh:00:00);
  - erase: a deletion request for category voice is stored.
With --export/--report: the export's "disclosures" lists something and names the controller; the
report's sharing section is not the "No record of sharing yet" placeholder.
"""
import argparse
import json
import re
import sys
from datetime import datetime

ORDER = ["consent-unknown", "granted", "approximate-location", "revoke", "network-down",
         "network-back", "export", "erase"]
CONTROLLER = "controller"
failures = []
who = "gateway"


def fail(rule):
    failures.append(rule)
    print(f"  {who}: CHECK FAILED: {rule}")


def load_journal(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    entries.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"gateway_check: {path}:{n}: not JSON: {e}")
    return entries


def field_items(event):
    fields = event.get("fields") or {}
    if isinstance(fields, dict):
        for key, field in fields.items():
            if isinstance(field, dict):
                yield key, str(field.get("form", "")), str(field.get("value", ""))
            else:
                yield key, "", str(field)
    else:  # a list of {"key", "form", "value"}
        for field in fields:
            yield str(field.get("key", "")), str(field.get("form", "")), str(field.get("value", ""))


def whole_hour(t):
    if isinstance(t, bool):
        return False
    if isinstance(t, int):
        # Seconds (until the year 5138) or milliseconds since 1970.
        return t % 3600 == 0 if t < 10**11 else t % 3_600_000 == 0
    if isinstance(t, str):
        try:
            d = datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            return False
        return d.minute == 0 and d.second == 0 and d.microsecond == 0
    return False


def show_time(t):
    if isinstance(t, int) and not isinstance(t, bool):
        s = t if t < 10**11 else t // 1000
        return datetime.utcfromtimestamp(s).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(t)


def print_new_batches(batches, seen_path):
    seen = set()
    if seen_path:
        try:
            with open(seen_path, encoding="utf-8") as f:
                seen = {line.strip() for line in f if line.strip()}
        except FileNotFoundError:
            pass
    new = [b for b in batches if str(b.get("batch_id")) not in seen]
    if not new:
        print("  gateway: no new batch")
    for b in new:
        events = b.get("events") or []
        deletions = b.get("deletions") or []
        print(f"  gateway: batch {b.get('batch_id')} for {b.get('recipient')} from {b.get('peer')}"
              f" (the relay): subject {b.get('subject')}, policy {b.get('policy_id')}"
              f" v{b.get('policy_version')}, {len(events)} event(s), {len(deletions)} deletion(s)")
        for e in events:
            for key, form, value in field_items(e):
                print(f"  gateway:     {e.get('purpose')} at {show_time(e.get('time'))}"
                      f"  {key} [{form}] = \"{value}\"")
        for d in deletions:
            print(f"  gateway:     deletion request: category {d.get('category')}"
                  f" (requested {show_time(d.get('requested_at'))})")
    if seen_path:
        with open(seen_path, "a", encoding="utf-8") as f:
            for b in new:
                f.write(f"{b.get('batch_id')}\n")


def check_dump(dump, journal, step):
    batches = dump.get("batches")
    if not isinstance(batches, list):
        fail("the dump has no 'batches' list")
        return
    done = ORDER[: ORDER.index(step) + 1]
    entries = [j for j in journal if j.get("step") in done]
    recorded = [j for j in entries if j.get("kind") == "recorded"]
    purged = {(j["key"], j["value"]) for j in entries if j.get("kind") == "purged"}
    refused = {(j["key"], j["value"]) for j in entries if j.get("kind") == "refused"}
    expected = [j for j in recorded if (j["key"], j["value"]) not in purged]

    ids = [str(b.get("batch_id")) for b in batches]
    if len(ids) != len(set(ids)):
        fail("a batch id is stored twice")
    occurrences = {}  # (recipient, key, value) -> count
    forms = {}
    everything = []
    for b in batches:
        if "granted" in done:
            subject = str(b.get("subject", ""))
            if not re.fullmatch(r"[0-9a-f]{32}", subject):
                fail(f"batch {b.get('batch_id')}: the subject '{subject}' is not a 32-hex-digit "
                     "pseudonym")
        for e in b.get("events") or []:
            if not whole_hour(e.get("time")):
                fail(f"batch {b.get('batch_id')}: event time {e.get('time')} is not a whole hour")
            for key, form, value in field_items(e):
                k = (b.get("recipient"), key, value)
                occurrences[k] = occurrences.get(k, 0) + 1
                forms[k] = form
                everything.append((key, value))

    for j in expected:
        k = (CONTROLLER, j["key"], j["expect"])
        n = occurrences.get(k, 0)
        if step == "network-down" and j["step"] == step:
            if n != 0:
                fail(f"'{j['key']}' = \"{j['expect']}\" reached the gateway with the relay down")
            continue
        if n != 1:
            fail(f"'{j['key']}' = \"{j['expect']}\" (recorded in step {j['step']}) reached the "
                 f"controller {n} times, not once")
        if j["expect"] != j["value"] and n == 1 and not forms.get(k, "").lower().startswith("coarse"):
            fail(f"'{j['key']}' reached the controller as form '{forms.get(k)}', not coarsened")
    for (recipient, key, value), n in occurrences.items():
        if n > 1:
            fail(f"{recipient} got '{key}' = \"{value}\" {n} times")
    dump_text = json.dumps(dump)
    for key, value in sorted(purged | refused):
        if json.dumps(value)[1:-1] in dump_text:
            fail(f"\"{value}\" ({key}), purged or refused on the device, is in the dump")
    for j in recorded:
        if j["expect"] != j["value"] and json.dumps(j["value"])[1:-1] in dump_text:
            fail(f"the precise value \"{j['value']}\" ({j['key']}) is in the dump")
    allowed_voice = {j["expect"] for j in expected if j["key"].startswith("voice.")}
    for key, value in everything:
        if key.startswith("voice.") and value not in allowed_voice:
            fail(f"a voice value the device did not send before the revocation: \"{value}\"")

    if "erase" in done:
        deletions = [d for b in batches for d in (b.get("deletions") or [])]
        if not any(d.get("category") == "voice" for d in deletions):
            fail("no deletion request for category 'voice' was stored")


def find_disclosures(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "disclosures":
                return value
            found = find_disclosures(value)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = find_disclosures(value)
            if found is not None:
                return found
    return None


def check_export(export_path, report_path):
    global who
    who = "export"
    with open(export_path, encoding="utf-8") as f:
        export = json.load(f)
    disclosures = find_disclosures(export)
    if isinstance(disclosures, dict):  # e.g. {"available": true, "entries": [...]}
        lists = [v for v in disclosures.values() if isinstance(v, list)]
        disclosures = lists[0] if lists else None
    if not isinstance(disclosures, list) or not disclosures:
        fail("the export's 'disclosures' section lists nothing")
    else:
        print(f"  export:  'disclosures' lists {len(disclosures)} entr"
              f"{'y' if len(disclosures) == 1 else 'ies'}; the first ones:")
        for d in disclosures[:4]:
            print("  export:    " + json.dumps(d, ensure_ascii=False)[:160])
        if CONTROLLER not in json.dumps(disclosures):
            fail("the export's disclosures do not name the controller, which was sent data")
    with open(report_path, encoding="utf-8") as f:
        report = f.read()
    if "<html" not in report.lower():
        fail("the privacy report is not an HTML page")
    # The sharing section must no longer be the placeholder the report shows without a sharing
    # log; otherwise its text is shown, not checked (its markup is the report's own).
    if "No record of sharing yet" in report:
        fail("the privacy report's sharing section says there is no record of sharing")
    texts = [" ".join(t.split()) for t in re.split(r"<[^>]+>", report)]
    shared = [t for t in texts if t and re.search(r"(?i)\bshar|disclos|recipient", t)]
    print(f"  report:  {len(report)} bytes of HTML; some of its text about sharing:")
    for text in shared[:4]:
        print("  report:    " + text[:160])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump")
    parser.add_argument("--journal")
    parser.add_argument("--step", choices=ORDER)
    parser.add_argument("--seen")
    parser.add_argument("--export")
    parser.add_argument("--report")
    args = parser.parse_args()
    if args.export or args.report:
        if not (args.export and args.report):
            parser.error("--export and --report go together")
        check_export(args.export, args.report)
    else:
        if not (args.dump and args.journal and args.step):
            parser.error("--dump, --journal and --step are required")
        with open(args.dump, encoding="utf-8") as f:
            try:
                dump = json.load(f)
            except json.JSONDecodeError as e:
                sys.exit(f"gateway_check: {args.dump} is not JSON: {e}")
        print_new_batches(dump.get("batches") or [], args.seen)
        check_dump(dump, load_journal(args.journal), args.step)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
