#!/usr/bin/env python3
"""Writes the seed corpus of capi_sequence_fuzzer (tests/fuzz/corpus/capi/): a few programs in the
fuzzer's encoding that walk the firmware's main paths, so that fuzzing starts from deep states
(a granted voice session, a stored value, an applied policy update) instead of having to find
them. Each helper below emits the bytes the matching Op* function in capi_sequence_fuzzer.cc
reads, in the order it reads them; change both together.

    python3 tests/fuzz/make_capi_seeds.py tests/fuzz/corpus/capi
"""
import os
import struct
import sys

NO, YES = 255, 0  # Program::Chance(k): a byte below k is "yes"


def enum(v):  # Program::Enum for -1 .. 6
    return v + 1


def options_new(slot=0, device=0):
    return [0, slot, NO, device]


def options_free(slot=0):
    return [1, slot]


def set_key_store_dir(opt=0, which=0):  # keys0, keys1, dev0/keys
    return [2, opt, 1, which]


def set_policy_key(opt=0):
    return [2, opt, 7, 0]


def set_permissions_table(opt=0):
    return [2, opt, 9, 0]


def set_audio_format(opt=0, rate=0, channels=0, frame_ms=0):
    return [2, opt, 6, rate, channels, frame_ms]


def set_read_only(opt=0):
    return [2, opt, 4, YES]


def set_key_store_table(opt=0, fail=None, lie=False):
    if fail is None:
        return [2, opt, 8, 0, YES if lie else NO]
    return [2, opt, 8, 4, enum(fail), YES if lie else NO]


def set_clock_table(opt=0, now_index=0):
    return [2, opt, 10, YES, 0, now_index]


def set_entropy_table(opt=0, fail=None):
    return [2, opt, 10, NO, 0] if fail is None else [2, opt, 10, NO, 2, enum(fail)]


def agent_open(opt=0, slot=0):
    return [4, opt, slot, NO]


def agent_close(slot=0, free=False):
    return [5, YES if free else NO, slot]


PURPOSES = ["voice_features", "location_features", "legal_obligation", "safety_and_legal_claims",
            "provide_service", "advertising", "marketing_communications", "location_advertising",
            "analytics"]
CATEGORIES = ["voice", "location", "contact", "name", "billing", "usage", "public_profile"]
USER = enum(1)


def set_purpose(agent, purpose, state):
    return [6, agent, USER, 0, PURPOSES.index(purpose), enum(state)]


def set_channel(agent, index, state):
    return [6, agent, USER, 1, index, enum(state)]


def set_category(agent, category, provided):
    return [6, agent, USER, 2, CATEGORIES.index(category), provided]


def set_location_precision(agent, precision):
    return [6, agent, USER, 3, enum(precision)]


def consent_items(agent, kind=0):
    return [8, agent, 2, enum(kind)]


def history(agent, stop_after=0, subject=0):
    return [8, agent, 3, stop_after + 1, subject, NO, NO]


def receipt(agent, seq_index=0):
    return [8, agent, 4, NO, seq_index]


def features(agent):
    return [8, agent, 5]


def add_listener(agent):
    return [9, agent, YES, NO]


def apply_update(agent, index):
    return [10, agent, 4, index, NO, YES]


def policy_reads(agent):
    return [10, agent, 0] + [10, agent, 1] + [10, agent, 2] + [10, agent, 3]


def os_permission(agent, permission, state, precision):
    return [11, agent, NO, enum(permission), enum(state), enum(precision)]


def permission_table_changes(agent, state, precision, permission):
    return [11, agent, YES, enum(state), enum(precision), enum(permission)]


def voice_open(agent, slot, purpose="voice_features", frame_mode=0, ended_mode=0):
    return [12, agent, slot, PURPOSES.index(purpose), frame_mode, ended_mode, 4, NO]


def location_open(agent, slot, requested, purpose="location_features"):
    return [13, agent, slot, PURPOSES.index(purpose), 0, 1, 4, NO, enum(requested)]


def voice_check(agent, purpose="voice_features"):
    return [14, YES, agent, PURPOSES.index(purpose)]


def session(voice, what, slot):  # what: 0 end, 1 state, 2 free
    return [15, YES if voice else NO, what, slot]


def push_frames(agent, n):
    return [16, agent, 5, n - 1]


def mute(agent, muted):
    return [17, agent, 1 if muted else 0]


def device_error(agent):
    return [17, agent, 2]


def push_fix(agent, lat=1, lon=2, accuracy=0):
    return [18, agent, YES, lat, YES, lon, YES, accuracy] + list(struct.pack("<Q", 1700000000000)) + [NO]


FIELDS = [("contact", "email_address"), ("contact", "phone_number"), ("name", "full_name"),
          ("voice", "voice_commands"), ("usage", "search_queries"), ("billing", "billing_address"),
          ("location", "precise_location"), ("public_profile", "profile_picture")]


def vault_set(agent, field, value, add=False):
    data = value.encode()
    return ([19, agent, FIELDS.index(field), YES, YES, 0] + list(struct.pack("<H", len(data))) +
            list(data) + [NO, enum(0), YES if add else NO])


def vault_get(agent, record_index=0):
    return [19, agent, 0, YES, YES, 2, NO, record_index, YES]


def vault_list(agent, field, history_too=False):
    return [19, agent, FIELDS.index(field), YES, YES, 3, NO if history_too else YES]


def vault_erase_all(agent):
    return [19, agent, 0, YES, YES, 4, NO, YES]


def verify(agent):
    return [19, agent, 0, YES, YES, 6]


def export_writer(agent, report=False, fail_after=0, fail_with=0):
    return [21, agent, YES if report else NO, YES, fail_after + 1, YES, fail_with, NO]


def export_file(agent, report=False, path=0):
    return [21, agent, YES if report else NO, NO, 0, path]


def free_block(index=0):
    return [22, NO, index]


def names(value):
    return [23, enum(value)]


def granted_voice(agent=0):
    return (set_category(agent, "voice", 1) + set_purpose(agent, "voice_features", 1) +
            os_permission(agent, 0, 2, 0))


SEEDS = {
    "voice_revocation": options_new() + agent_open() + granted_voice() + voice_open(0, 0) +
    push_frames(0, 3) + set_purpose(0, "voice_features", 2) + push_frames(0, 3) +
    session(True, 1, 0) + session(True, 2, 0) + export_writer(0) + agent_close(0, free=True),
    "voice_mute_device_error": options_new() + agent_open() + granted_voice() + voice_open(0, 0) +
    voice_open(0, 1, frame_mode=1) + push_frames(0, 2) + device_error(0) + push_frames(0, 1) +
    voice_open(0, 2) + mute(0, True) + session(True, 1, 2) + mute(0, False) + voice_open(0, 3) +
    os_permission(0, 0, 1, 0) + session(True, 1, 3) + voice_open(0, 4, purpose="legal_obligation") +
    voice_check(0, "legal_obligation") + agent_close(0),
    "voice_reentry": options_new() + agent_open() + add_listener(0) + granted_voice() +
    voice_open(0, 0, frame_mode=2) + voice_open(0, 1, frame_mode=3) + voice_open(0, 2, frame_mode=5) +
    voice_open(0, 3, frame_mode=6, ended_mode=1) + push_frames(0, 2) +
    set_category(0, "voice", 0) + push_frames(0, 1) + history(0) + agent_close(0, free=True),
    "location": options_new() + agent_open() + set_category(0, "location", 1) +
    set_location_precision(0, 2) + set_purpose(0, "location_features", 1) +
    os_permission(0, 1, 2, 2) + location_open(0, 0, 1) + location_open(0, 1, 2) + push_fix(0) +
    set_location_precision(0, 1) + push_fix(0) + set_location_precision(0, 0) + push_fix(0) +
    session(False, 1, 0) + session(False, 2, 1),
    "vault": options_new() + agent_open() + set_category(0, "contact", 1) +
    vault_set(0, ("contact", "email_address"), "ada@example.org") +
    vault_set(0, ("contact", "email_address"), "ada@example.com") +
    vault_set(0, ("usage", "search_queries"), "jazz", add=True) + vault_get(0) +
    vault_list(0, ("contact", "email_address")) + vault_list(0, ("contact", "email_address"), True) +
    verify(0) + export_file(0) + export_file(0, report=True) + export_writer(0, report=True) +
    export_writer(0, fail_after=2, fail_with=9) + vault_erase_all(0) + free_block(0) + free_block(0) +
    verify(0),
    "consent_reads": options_new() + agent_open() + consent_items(0, 0) + consent_items(0, 1) +
    consent_items(0, 2) + features(0) + set_channel(0, 0, 1) + set_purpose(0, "advertising", 2) +
    history(0, stop_after=1) + receipt(0, 0) + receipt(0, 4) + names(1) + names(6),
    "policy_update": options_new() + set_policy_key() + agent_open() + granted_voice() +
    voice_open(0, 0) + apply_update(0, 0) + push_frames(0, 1) + apply_update(0, 2) +
    push_frames(0, 1) + apply_update(0, 3) + policy_reads(0) + apply_update(0, 1) + verify(0),
    "options_and_devices": options_new(0, 0) + set_key_store_dir(0, 0) + agent_open(0, 0) +
    options_new(1, 0) + agent_open(1, 1) + set_permissions_table(1) + options_new(1, 1) +
    set_permissions_table(1) + set_audio_format(1, 2, 1, 1) + agent_open(1, 1) +
    permission_table_changes(1, 2, 0, 0) + set_category(1, "voice", 1) +
    set_purpose(1, "voice_features", 1) + voice_open(1, 0) + push_frames(1, 2) +
    agent_close(0) + agent_close(0, free=True) + agent_open(0, 0) + options_free(0) +
    session(True, 0, 0) + session(True, 2, 0) + agent_close(1, free=True),
    "platform_tables": options_new() + set_key_store_table() + set_clock_table() +
    set_entropy_table() + set_permissions_table() + agent_open() +
    permission_table_changes(0, 2, 0, 0) + set_category(0, "voice", 1) +
    set_purpose(0, "voice_features", 1) + voice_open(0, 0) + push_frames(0, 2) +
    set_category(0, "contact", 1) + vault_set(0, ("contact", "email_address"), "ada@example.org") +
    vault_erase_all(0) + permission_table_changes(0, 1, 0, 0) + push_frames(0, 1) +
    agent_close(0, free=True) + set_clock_table(0, 4) + agent_open() + verify(0),
    "failing_tables": options_new() + set_key_store_table(lie=True) + agent_open() +
    agent_close(0, free=True) + agent_open() + agent_close(0, free=True) +
    set_key_store_table(fail=4) + agent_open() + set_key_store_table() + set_entropy_table(fail=2) +
    agent_open() + set_entropy_table() + set_clock_table(0, 2) + agent_open() + verify(0),
    "read_only": options_new() + agent_open() + set_category(0, "contact", 1) +
    vault_set(0, ("contact", "email_address"), "ada@example.org") + agent_close(0, free=True) +
    set_read_only() + agent_open() + voice_open(0, 0) + voice_check(0) + consent_items(0) +
    vault_list(0, ("contact", "email_address")) + set_purpose(0, "advertising", 2) +
    export_writer(0) + verify(0),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "capi")
    os.makedirs(out, exist_ok=True)
    for name, program in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(program))


if __name__ == "__main__":
    main()
