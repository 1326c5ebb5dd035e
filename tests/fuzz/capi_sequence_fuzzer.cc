// libFuzzer target for the C API (tacet/tacet.h): the input is a program, a sequence of calls
// over a small table of live handles. Options (new, every setter with good and bad values, the
// platform tables well-formed, truncated, failing or lying), agents opened and closed on two
// device folders, consent for valid and invalid subjects, policy queries and signed updates,
// voice and location sessions with frames, fixes, mute, device errors and OS permissions, the
// vault with fuzzed strings and values, export and report to writers and files, the returned
// blocks freed in any order, callbacks that call back in, and stale handles, NULLs and enum
// values out of range everywhere.
//
// Every call must return a status, never crash, leak or trip ASan/UBSan; and the fuzzer checks
// what the contract promises (tacet.h): a status is a tacet_status; a failure leaves a non-empty
// tacet_last_error_message and a success an empty one; a NULL or freed handle is
// TACET_ERR_INVALID_ARGUMENT and a closed agent TACET_ERR_FAILED_PRECONDITION; a malformed
// argument is TACET_ERR_INVALID_ARGUMENT; out-parameters are written only on success; a denial
// is a declared tacet_denial_reason; no frame reaches a session after the user denied its
// purpose or declined voice data, after the mute switch, a device error, a permission loss, or
// after the session ended; on_ended comes at most once and never for the caller's own end;
// every free_user_data comes exactly once; inside a callback only the callback-safe functions
// work; the consent and audit chains and the vault always verify; a failed vault write changes
// nothing; an export stopped by its writer returns the writer's status.
//
// The device folders live in one temporary directory made once per process (in /dev/shm when
// writable, else /tmp, or under $TACET_CAPI_FUZZ_DIR) and wiped before every input. Without libFuzzer (gcc builds) fuzz_driver_main.cc replays the corpus and the
// crashers once as a unit test.
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "capi_sequence_enums.h"
#include "crypto/crypto_test_util.h"
#include "crypto/ecdsa.h"
#include "policy/policy_test_util.h"
#include "tacet/tacet.h"

namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "capi_sequence_fuzzer: invariant broken: %s %s\n", what, detail.c_str());
  std::abort();
}

void Check(bool condition, const char* what, const std::string& detail = "") {
  if (!condition) Fail(what, detail);
}

// The bytes of an enum value, read as an int (the library may have written any value).
template <typename E>
int Raw(const E& e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// ---- the program ----------------------------------------------------------------------------

class Program {
 public:
  Program(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ == end_; }
  uint8_t Byte() { return p_ == end_ ? 0 : *p_++; }
  // Little-endian; each read is sequenced (the operands of | are not).
  uint16_t U16() {
    const uint16_t lo = Byte();
    return static_cast<uint16_t>(lo | (Byte() << 8));
  }
  uint32_t U32() {
    const uint32_t lo = U16();
    return lo | (static_cast<uint32_t>(U16()) << 16);
  }
  uint64_t U64() {
    const uint64_t lo = U32();
    return lo | (static_cast<uint64_t>(U32()) << 32);
  }
  // 0 .. n-1.
  size_t Below(size_t n) { return n <= 1 ? 0 : (n <= 256 ? Byte() % n : U16() % n); }
  bool Chance(int in_256) { return Byte() < in_256; }
  std::vector<uint8_t> Bytes(size_t max) {
    size_t n = Below(max + 1);
    std::vector<uint8_t> out;
    while (n-- > 0 && !done()) out.push_back(Byte());
    return out;
  }
  // An enum argument: mostly near the enum, sometimes far outside it.
  int Enum() {
    static const int kFar[] = {-1, -2, 7, 13, 100, 1000, 65536, INT32_MIN, INT32_MAX};
    const uint8_t b = Byte();
    if (b < 224) return static_cast<int>(b % 8) - 1;
    return kFar[b % (sizeof kFar / sizeof kFar[0])];
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// ---- the environment: made once per process ---------------------------------------------------

struct SignedPolicy {
  tacet::Bytes policy;
  tacet::Bytes signature;
};

struct Environment {
  std::string root;
  tacet::crypto::EcdsaP256KeyPair key;
  std::vector<SignedPolicy> updates;
};

void RemoveRoot();

// Removes purpose `id` and every reference to it (required purposes, recipients' grants).
void RemovePurpose(tacet::fb::PolicyT& policy, const std::string& id) {
  auto& purposes = policy.purposes;
  for (size_t i = 0; i < purposes.size(); ++i) {
    if (purposes[i]->id == id) {
      purposes.erase(purposes.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  const auto drop = [&](std::vector<std::string>& ids) {
    for (size_t i = ids.size(); i-- > 0;) {
      if (ids[i] == id) ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
    }
  };
  for (auto& p : purposes) drop(p->required_purposes);
  for (auto& recipient : policy.recipients) {
    auto& grants = recipient->grants;
    for (size_t i = grants.size(); i-- > 0;) {
      drop(grants[i]->purposes);
      if (grants[i]->purposes.empty()) grants.erase(grants.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
}

Environment& Env() {
  static Environment* env = [] {
    auto* e = new Environment();
    // In memory where there is a tmpfs: every consent change and vault write is fsync'ed, and on
    // a disk that, not the library, would bound the executions per second.
    const char* base = std::getenv("TACET_CAPI_FUZZ_DIR");
    if (base == nullptr) base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string pattern = std::string(base) + "/tacet-capi-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) Fail("mkdtemp in", base);
    e->root = pattern;
    auto key = tacet::crypto::EcdsaP256Generate(tacet::crypto::testing::TestDrbg());
    if (!key.ok()) Fail("cannot make the policy key");
    e->key = std::move(*key);
    // Signed policy updates the program may apply in any order: a widened purpose, a removed
    // purpose, a purpose whose legal basis becomes a legal obligation, a new controller.
    namespace pt = tacet::policy::testing;
    auto add = [&](const tacet::fb::PolicyT& tree) {
      SignedPolicy update;
      update.policy = pt::Pack(tree);
      auto sig = tacet::crypto::EcdsaP256Sign(e->key.private_key.view(), update.policy,
                                              tacet::crypto::testing::TestDrbg());
      if (!sig.ok()) Fail("cannot sign a policy");
      update.signature = std::move(*sig);
      e->updates.push_back(std::move(update));
    };
    {
      auto tree = pt::ShippedPolicyT();
      tree->version += 1;
      pt::PurposeIn(*tree, "voice_features").categories.push_back("usage");
      add(*tree);
    }
    {
      auto tree = pt::ShippedPolicyT();
      tree->version += 2;
      RemovePurpose(*tree, "location_features");
      add(*tree);
    }
    {
      auto tree = pt::ShippedPolicyT();
      tree->version += 3;
      auto& voice = pt::PurposeIn(*tree, "voice_features");
      voice.legal_basis = tacet::fb::LegalBasis::LegalObligation;
      voice.refusable = false;
      add(*tree);
    }
    {
      auto tree = pt::ShippedPolicyT();
      tree->version += 4;
      tree->controller->name = "Another Controller Ltd.";
      add(*tree);
    }
    std::atexit(RemoveRoot);
    return e;
  }();
  return *env;
}

void RemoveRoot() {
  std::error_code ec;
  fs::remove_all(Env().root, ec);
}

void WipeRoot() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(Env().root, ec)) fs::remove_all(entry.path(), ec);
  fs::create_directory(Env().root + "/out", ec);
  std::FILE* f = std::fopen((Env().root + "/plain-file").c_str(), "w");
  if (f != nullptr) std::fclose(f);
}

// ---- vocabulary -------------------------------------------------------------------------------

const char* const kPurposes[] = {"voice_features", "location_features", "legal_obligation",
                                 "safety_and_legal_claims", "provide_service", "advertising",
                                 "marketing_communications", "location_advertising", "analytics"};
const char* const kChannels[] = {"email", "push", "in_app_other"};
const char* const kCategories[] = {"voice", "location", "contact", "name", "billing", "usage",
                                   "public_profile"};
const std::pair<const char*, const char*> kFields[] = {
    {"contact", "email_address"}, {"contact", "phone_number"}, {"name", "full_name"},
    {"voice", "voice_commands"},  {"usage", "search_queries"}, {"billing", "billing_address"},
    {"location", "precise_location"}, {"public_profile", "profile_picture"}};
const char* const kSubjects[] = {"purpose:voice_features", "location", "category:voice",
                                 "channel:email", "purpose:nope"};

template <typename T, size_t N>
constexpr size_t Count(const T (&)[N]) {
  return N;
}

// A string argument and what the library must make of it.
struct Text {
  std::vector<char> bytes;  // exactly the bytes passed (ASan sees a read past them)
  bool null = false;
  bool malformed = false;  // NULL, empty, unterminated, too long or not UTF-8
  const char* get() const { return null ? nullptr : bytes.data(); }
};

Text Terminated(const std::string& s) {
  Text t;
  t.bytes.assign(s.begin(), s.end());
  t.bytes.push_back('\0');
  return t;
}

// An identifier: one of `dict`, or something the library must refuse, or fuzzed bytes.
Text IdArg(Program& in, const char* const* dict, size_t dict_size) {
  const uint8_t b = in.Byte();
  Text t;
  if (b < 200 && dict_size > 0) return Terminated(dict[b % dict_size]);
  switch (b % 7) {
    case 0: t.null = true; t.malformed = true; return t;
    case 1: t = Terminated(""); t.malformed = true; return t;
    case 2:  // unterminated: exactly TACET_MAX_ID_LENGTH + 1 bytes, no NUL
      t.bytes.assign(TACET_MAX_ID_LENGTH + 1, 'a');
      t.malformed = true;
      return t;
    case 3: t = Terminated(std::string(TACET_MAX_ID_LENGTH + 1, 'b')); t.malformed = true; return t;
    case 4: t = Terminated("\xc3\x28"); t.malformed = true; return t;
    case 5: return Terminated("no_such_thing");
    default: {
      std::vector<uint8_t> raw = in.Bytes(40);
      std::string s;
      for (uint8_t c : raw) {
        if (c != 0) s.push_back(static_cast<char>(c));
      }
      t = Terminated(s);
      // Whether it is valid UTF-8 is the library's call: only the shape is known here.
      t.malformed = s.empty();
      t.bytes.shrink_to_fit();
      return t;
    }
  }
}

// A path under the fuzzer's root (never elsewhere: the library creates folders), or a bad one.
Text PathArg(Program& in, const std::vector<std::string>& good) {
  const uint8_t b = in.Byte();
  Text t;
  if (b < 200 && !good.empty()) return Terminated(good[b % good.size()]);
  switch (b % 6) {
    case 0: t.null = true; t.malformed = true; return t;
    case 1: t = Terminated(""); t.malformed = true; return t;
    case 2:
      t.bytes.assign(TACET_MAX_PATH_LENGTH + 1, '/');
      t.malformed = true;
      return t;
    case 3: t = Terminated(Env().root + "/\xff\xfe"); t.malformed = true; return t;
    case 4: return Terminated(Env().root + "/missing/deeper");
    default: return Terminated(Env().root + "/plain-file");
  }
}

// ---- per-input state --------------------------------------------------------------------------

// What the program told a device's consent. In every policy the fuzzer applies, the purposes
// that may capture are consent purposes, so capture needs one the user granted.
struct DeviceModel {
  std::set<std::string> granted_purposes;  // granted by a successful tacet_consent_set_purpose,
                                           // not re-opened by a policy update since
  std::set<std::string> denied_purposes;  // denied by a successful tacet_consent_set_purpose
  bool voice_declined = false;
  bool location_declined = false;
  bool location_off = false;  // the user's location precision is NONE
};

struct Run;

struct AgentSlot {
  tacet_agent_t* h = nullptr;
  std::string device;
  bool closed = false;
  bool read_only = false;
  bool muted = false;
  bool permissions_table = false;
  int mic_state = TACET_PERMISSION_NOT_DETERMINED;
  int location_state = TACET_PERMISSION_NOT_DETERMINED;
  size_t samples_per_frame = 320;
  std::vector<uint64_t> listeners;
};

// What a session's callbacks saw. Owned by the run (freed at its end), so that a callback the
// library wrongly makes after free_user_data is still caught rather than a use-after-free here.
struct SessionUser {
  Run* run = nullptr;
  bool voice = true;
  int agent_slot = -1;
  std::string purpose;
  int requested = 0;  // location
  void* self = nullptr;  // the handle, once open returned it
  uint8_t frame_mode = 0;
  uint8_t ended_mode = 0;
  bool on_ended_set = true;
  bool granted = false;
  bool caller_ended = false;  // tacet_*_session_end returned OK, or the handle was freed
  int deliveries = 0;
  int ended_calls = 0;
  int ended_reason = TACET_END_NONE;
  int freed = 0;
};

struct ListenerUser {
  Run* run = nullptr;
  tacet_agent_t* agent = nullptr;
  int calls = 0;
  int freed = 0;
};

constexpr int kOptionSlots = 2;
constexpr int kAgentSlots = 2;
constexpr int kSessionSlots = 6;

struct OptionsSlot {
  tacet_options_t* h = nullptr;
  std::string data_dir;
  size_t samples_per_frame = 320;
  bool permissions_table = false;
  bool read_only = false;
};

// Platform tables handed to the library: they must outlive every agent, so they are static; the
// key store's secrets are wiped with the folders.
struct FakeKeyStore {
  std::map<std::string, std::vector<uint8_t>> secrets;
  int fail = 0;        // a status put/get/del return instead of working (0: work)
  bool lie = false;    // get claims more bytes than the buffer holds
};
FakeKeyStore g_keys;
int g_entropy_status = 0;
int64_t g_now_ms = 1700000000000;
int64_t g_monotonic = 0;

struct Run {
  Program* in = nullptr;
  OptionsSlot options[kOptionSlots];
  AgentSlot agents[kAgentSlots];
  tacet_voice_session_t* voice[kSessionSlots] = {};
  tacet_location_session_t* location[kSessionSlots] = {};
  SessionUser* voice_user[kSessionSlots] = {};
  SessionUser* location_user[kSessionSlots] = {};
  std::vector<std::unique_ptr<SessionUser>> users;
  std::vector<std::unique_ptr<ListenerUser>> listener_users;
  std::map<std::string, DeviceModel> devices;
  std::vector<void*> blocks;  // handed out, not yet freed
  std::vector<const void*> stale;  // freed handles
  std::vector<int64_t> record_ids;
};

// ---- checking statuses ------------------------------------------------------------------------

// What the library must answer for the handle argument of a call.
enum class Handle { kLive, kClosed, kNull, kStale };

bool IsLive(const Run& r, const void* p) {
  for (const auto& o : r.options) {
    if (o.h == p) return true;
  }
  for (const auto& a : r.agents) {
    if (a.h == p) return true;
  }
  for (int i = 0; i < kSessionSlots; ++i) {
    if (r.voice[i] == p || r.location[i] == p) return true;
  }
  return false;
}

// TACET_CAPI_FUZZ_TRACE=1 prints every checked call and its outcome (to read a crasher).
bool Tracing() {
  static const bool tracing = std::getenv("TACET_CAPI_FUZZ_TRACE") != nullptr;
  return tracing;
}

// The status every call returns: a tacet_status; a message exactly when it failed.
int Status(int s, const char* call) {
  if (Tracing()) std::fprintf(stderr, "%-28s %2d %s\n", call, s, tacet_last_error_message());
  Check(s >= TACET_OK && s <= TACET_ERR_UNIMPLEMENTED, "status out of range from", call);
  const char* message = tacet_last_error_message();
  Check(message != nullptr, "tacet_last_error_message is NULL after", call);
  const size_t len = std::strlen(message);
  Check(len < 1024, "error message too long after", call);
  if (s != TACET_OK) {
    Check(len > 0, "a failure without a message from", call);
  } else {
    Check(len == 0, "a success left a message from", call);
  }
  return s;
}

// The status, checked against what the handle argument alone decides.
int Expect(int s, Handle h, const char* call) {
  Status(s, call);
  switch (h) {
    case Handle::kNull:
    case Handle::kStale:
      Check(s == TACET_ERR_INVALID_ARGUMENT, "a NULL or freed handle was not refused by", call);
      break;
    case Handle::kClosed:
      Check(s == TACET_ERR_FAILED_PRECONDITION, "a closed agent was not refused by", call);
      break;
    case Handle::kLive: break;
  }
  return s;
}

// Live handle and a malformed argument: refused as such.
void ExpectMalformed(int s, Handle h, bool malformed, const char* call) {
  if (h == Handle::kLive && malformed) {
    Check(s == TACET_ERR_INVALID_ARGUMENT, "a malformed argument was not refused by", call);
  }
}

bool InRange(int v, int lo, int hi) { return v >= lo && v <= hi; }

// A freed handle of any kind that is not (by address reuse) a live one now.
const void* StaleHandle(Run& r) {
  if (r.stale.empty()) return nullptr;
  const void* p = r.stale[r.in->Below(r.stale.size())];
  return IsLive(r, p) ? nullptr : p;
}

struct AgentArg {
  tacet_agent_t* h = nullptr;
  Handle kind = Handle::kNull;
  int slot = -1;
};

AgentArg PickAgent(Run& r) {
  AgentArg a;
  const uint8_t b = r.in->Byte();
  if (b < 232) {
    a.slot = b % kAgentSlots;
    a.h = r.agents[a.slot].h;
    if (a.h == nullptr) {
      a.slot = -1;
      return a;
    }
    a.kind = r.agents[a.slot].closed ? Handle::kClosed : Handle::kLive;
    return a;
  }
  if (b < 244) return a;  // NULL
  const void* stale = StaleHandle(r);
  if (stale != nullptr) {
    // Any freed handle: an options or session address is no agent either.
    a.h = static_cast<tacet_agent_t*>(const_cast<void*>(stale));
    a.kind = Handle::kStale;
  }
  return a;
}

void KeepBlock(Run& r, void* block) {
  if (block != nullptr) r.blocks.push_back(block);
}

void CheckText(const char* s, const char* what) {
  Check(s != nullptr, "a NULL string in a block:", what);
  Check(std::strlen(s) < (1u << 20), "an unterminated string in a block:", what);
}

// ---- the invariants of delivery ---------------------------------------------------------------

void CheckMayDeliver(Run& r, SessionUser& u, const char* what) {
  Check(u.granted && u.self != nullptr, "a delivery to a session that was never granted:", what);
  Check(u.freed == 0, "a delivery after free_user_data:", what);
  Check(!u.caller_ended, "a delivery after the session was ended by the caller:", what);
  Check(u.ended_calls == 0, "a delivery after on_ended:", what);
  const AgentSlot& a = r.agents[u.agent_slot];
  Check(a.h != nullptr && !a.closed, "a delivery through a closed agent:", what);
  const DeviceModel& d = r.devices[a.device];
  Check(d.denied_purposes.count(u.purpose) == 0, "a delivery for a denied purpose:", u.purpose);
  Check(d.granted_purposes.count(u.purpose) != 0,
        "a delivery for a purpose the user has not granted:", u.purpose);
  if (u.voice) {
    Check(!d.voice_declined, "a voice frame after voice data was declined:", u.purpose);
    Check(!a.muted, "a voice frame while muted:", u.purpose);
    const int mic = a.permissions_table ? fz_permission_state : a.mic_state;
    Check(mic == TACET_PERMISSION_GRANTED, "a voice frame without the microphone permission:",
          u.purpose);
  } else {
    Check(!d.location_declined, "a fix after location data was declined:", u.purpose);
    Check(!d.location_off, "a fix with the user's location precision off:", u.purpose);
    const int loc = a.permissions_table ? fz_permission_state : a.location_state;
    Check(loc == TACET_PERMISSION_GRANTED, "a fix without the location permission:", u.purpose);
  }
}

// Inside a callback: a call that is not callback-safe must be refused, doing nothing.
void ExpectRefusedInCallback(int s, const char* call) {
  Status(s, call);
  Check(s == TACET_ERR_FAILED_PRECONDITION, "a call inside a callback was not refused:", call);
}

void OnFrame(const int16_t* samples, size_t count, int64_t, void* user_data) {
  auto* u = static_cast<SessionUser*>(user_data);
  Run& r = *u->run;
  Check(u->voice, "on_frame for a location session");
  CheckMayDeliver(r, *u, "frame");
  Check(samples != nullptr, "a frame without samples");
  Check(count == r.agents[u->agent_slot].samples_per_frame, "a frame of the wrong size");
  volatile int16_t last = samples[count - 1];  // ASan: the whole frame is readable
  (void)last;
  ++u->deliveries;
  tacet_agent_t* agent = r.agents[u->agent_slot].h;
  auto* self = static_cast<tacet_voice_session_t*>(u->self);
  switch (u->frame_mode % 8) {
    case 1:
      Check(Status(tacet_voice_session_end(self), "end inside on_frame") == TACET_OK,
            "a session could not end itself from on_frame");
      u->caller_ended = true;
      break;
    case 2: {
      int16_t frame[1] = {0};
      ExpectRefusedInCallback(tacet_voice_push_frame(agent, frame, 1, 0), "push inside on_frame");
      break;
    }
    case 3:
      tacet_voice_session_free(self);  // refused: the handle stays
      Check(std::strlen(tacet_last_error_message()) > 0, "free inside on_frame said nothing");
      Check(Status(tacet_voice_session_state(self, nullptr, nullptr), "state") == TACET_OK,
            "free inside on_frame released the session");
      break;
    case 4:
      tacet_agent_free(agent);  // refused
      Check(std::strlen(tacet_last_error_message()) > 0, "agent free inside on_frame said nothing");
      break;
    case 5:
      ExpectRefusedInCallback(fz_set_purpose(agent, "voice_features", TACET_CONSENT_DENIED,
                                             TACET_SOURCE_USER),
                              "consent set inside on_frame");
      break;
    case 6: {
      tacet_denial_reason denial = TACET_DENIAL_NONE;
      Check(Status(tacet_voice_check(agent, u->purpose.c_str(), &denial), "check") == TACET_OK,
            "tacet_voice_check (callback-safe) failed inside on_frame");
      break;
    }
    default: break;
  }
}

void OnFix(const tacet_location_fix* fix, tacet_location_precision precision, void* user_data) {
  auto* u = static_cast<SessionUser*>(user_data);
  Run& r = *u->run;
  Check(!u->voice, "on_fix for a voice session");
  CheckMayDeliver(r, *u, "fix");
  Check(fix != nullptr, "a NULL fix");
  const int p = Raw(precision);
  Check(p == TACET_PRECISION_APPROXIMATE || p == TACET_PRECISION_PRECISE,
        "a fix at an undeclared precision");
  Check(p <= u->requested, "a fix more precise than requested");
  Check(std::isfinite(fix->latitude_deg) && std::fabs(fix->latitude_deg) <= 90.0 &&
            std::isfinite(fix->longitude_deg) && std::fabs(fix->longitude_deg) <= 180.0 &&
            fix->accuracy_m >= 0,
        "a fix out of range");
  ++u->deliveries;
  if (u->frame_mode % 4 == 1) {
    auto* self = static_cast<tacet_location_session_t*>(u->self);
    Check(Status(tacet_location_session_end(self), "end inside on_fix") == TACET_OK,
          "a session could not end itself from on_fix");
    u->caller_ended = true;
  } else if (u->frame_mode % 4 == 2) {
    tacet_location_fix again = *fix;
    ExpectRefusedInCallback(tacet_location_push_fix(r.agents[u->agent_slot].h, &again),
                            "push inside on_fix");
  }
}

void OnEnded(tacet_end_reason reason, void* user_data) {
  auto* u = static_cast<SessionUser*>(user_data);
  const int v = Raw(reason);
  Check(u->granted, "on_ended for a session that was never granted");
  Check(u->freed == 0, "on_ended after free_user_data");
  Check(u->ended_calls == 0, "on_ended twice");
  Check(v == TACET_END_CONSENT_WITHDRAWN || v == TACET_END_OS_PERMISSION_LOST ||
            v == TACET_END_HARDWARE_MUTED || v == TACET_END_DEVICE_ERROR ||
            v == TACET_END_AGENT_CLOSED,
        "on_ended with an undeclared or caller's reason:", std::to_string(v));
  Check(!u->caller_ended, "on_ended after the caller ended the session");
  ++u->ended_calls;
  u->ended_reason = v;
  if (u->self == nullptr) return;
  if (u->ended_mode % 3 == 1) {
    tacet_end_reason state = TACET_END_NONE;
    const int s = u->voice ? tacet_voice_session_state(
                                 static_cast<tacet_voice_session_t*>(u->self), &state, nullptr)
                           : tacet_location_session_state(
                                 static_cast<tacet_location_session_t*>(u->self), &state, nullptr);
    Check(Status(s, "state inside on_ended") == TACET_OK, "state failed inside on_ended");
    Check(Raw(state) == v, "the state inside on_ended is not the reason told");
  } else if (u->ended_mode % 3 == 2) {
    const int s = u->voice ? tacet_voice_session_end(static_cast<tacet_voice_session_t*>(u->self))
                           : tacet_location_session_end(
                                 static_cast<tacet_location_session_t*>(u->self));
    Check(Status(s, "end inside on_ended") == TACET_OK, "end failed inside on_ended");
  }
}

void FreeSessionUser(void* user_data) { ++static_cast<SessionUser*>(user_data)->freed; }

void OnConsentChanged(uint64_t, void* user_data) {
  auto* l = static_cast<ListenerUser*>(user_data);
  Check(l->freed == 0, "a listener called after its free_user_data");
  ++l->calls;
  int state = 0;
  Check(Status(fz_consent_get(l->agent, TACET_SUBJECT_PURPOSE, "voice_features", &state),
               "consent get in a listener") == TACET_OK,
        "tacet_consent_get (callback-safe) failed inside a listener");
  ExpectRefusedInCallback(tacet_vault_verify(l->agent), "vault verify in a listener");
}

void FreeListenerUser(void* user_data) { ++static_cast<ListenerUser*>(user_data)->freed; }

// ---- platform tables --------------------------------------------------------------------------

tacet_status KeyPut(void*, const char* name, const uint8_t* secret, size_t len) {
  Check(name != nullptr && secret != nullptr && len >= 1 && len <= 4096, "a bad put");
  if (g_keys.fail != 0) return fz_status(g_keys.fail);
  if (g_keys.secrets.count(name) != 0) return TACET_ERR_ALREADY_EXISTS;
  g_keys.secrets[name].assign(secret, secret + len);
  return TACET_OK;
}

tacet_status KeyGet(void*, const char* name, uint8_t* buffer, size_t buffer_len,
                    size_t* out_len) {
  Check(name != nullptr && buffer != nullptr && out_len != nullptr, "a bad get");
  if (g_keys.fail != 0) return fz_status(g_keys.fail);
  auto it = g_keys.secrets.find(name);
  if (it == g_keys.secrets.end()) return TACET_ERR_NOT_FOUND;
  const size_t n = it->second.size() < buffer_len ? it->second.size() : buffer_len;
  std::memcpy(buffer, it->second.data(), n);
  *out_len = g_keys.lie ? buffer_len + 1000 : n;
  return TACET_OK;
}

tacet_status KeyDel(void*, const char* name) {
  Check(name != nullptr, "a bad del");
  if (g_keys.fail != 0) return fz_status(g_keys.fail);
  return g_keys.secrets.erase(name) != 0 ? TACET_OK : TACET_ERR_NOT_FOUND;
}

int64_t NowMs(void*) { return g_now_ms; }
int64_t MonotonicNs(void*) { return g_monotonic += 1000; }

tacet_status Fill(void*, uint8_t* out, size_t len) {
  if (g_entropy_status != 0) return fz_status(g_entropy_status);
  static uint64_t counter = 0;
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>((++counter * 0x9E3779B97F4A7C15ull) >> 56);
  return TACET_OK;
}

void Log(void*, tacet_log_level, const char* message, size_t len) {
  Check(message != nullptr && message[len] == '\0', "a log message not NUL-terminated at len");
}

// Copies `table` into a block of exactly `size` bytes with struct_size `declared`, so that a
// library reading past what the caller declared (or allocated) trips ASan.
template <typename Table>
std::unique_ptr<uint8_t[]> Shaped(const Table& table, size_t size, uint32_t declared) {
  std::unique_ptr<uint8_t[]> block(new uint8_t[size]);
  std::memset(block.get(), 0, size);
  std::memcpy(block.get(), &table, size < sizeof table ? size : sizeof table);
  std::memcpy(block.get(), &declared, sizeof declared);
  return block;
}

// ---- the operations ---------------------------------------------------------------------------

void OpOptionsNew(Run& r) {
  const int slot = static_cast<int>(r.in->Below(kOptionSlots));
  OptionsSlot& o = r.options[slot];
  if (o.h != nullptr) {
    tacet_options_free(o.h);
    r.stale.push_back(o.h);
    o = OptionsSlot();
  }
  if (r.in->Chance(8)) {
    Check(Status(tacet_options_new(nullptr), "options_new") == TACET_ERR_INVALID_ARGUMENT,
          "tacet_options_new(NULL) was not refused");
    return;
  }
  Check(Status(tacet_options_new(&o.h), "options_new") == TACET_OK && o.h != nullptr,
        "tacet_options_new failed");
  // Quiet and quick: a logger that checks its messages, and no waiting for a lock.
  tacet_logger logger{sizeof(tacet_logger), Log, nullptr};
  Check(tacet_options_set_logger(o.h, &logger) == TACET_OK, "the logger table was refused");
  Check(tacet_options_set_lock_timeout_ms(o.h, 0) == TACET_OK, "lock timeout 0 was refused");
  o.data_dir = Env().root + "/dev" + std::to_string(r.in->Below(2));
  Check(tacet_options_set_data_dir(o.h, o.data_dir.c_str()) == TACET_OK, "data dir refused");
}

struct OptionsArg {
  tacet_options_t* h = nullptr;
  Handle kind = Handle::kNull;
  OptionsSlot* slot = nullptr;
};

OptionsArg PickOptions(Run& r) {
  OptionsArg a;
  const uint8_t b = r.in->Byte();
  if (b < 240) {
    a.slot = &r.options[b % kOptionSlots];
    a.h = a.slot->h;
    a.kind = a.h == nullptr ? Handle::kNull : Handle::kLive;
    if (a.h == nullptr) a.slot = nullptr;
    return a;
  }
  if (b < 248) return a;
  const void* stale = StaleHandle(r);
  if (stale != nullptr) {
    a.h = static_cast<tacet_options_t*>(const_cast<void*>(stale));
    a.kind = Handle::kStale;
  }
  return a;
}

void OpOptionsFree(Run& r) {
  OptionsArg o = PickOptions(r);
  tacet_options_free(o.h);  // NULL and stale: ignored or refused, never a crash
  if (o.kind == Handle::kStale) {
    Check(std::strlen(tacet_last_error_message()) > 0, "freeing a stale options said nothing");
  }
  if (o.slot != nullptr) {
    r.stale.push_back(o.h);
    *o.slot = OptionsSlot();
  }
}

void OpOptionsSet(Run& r) {
  OptionsArg o = PickOptions(r);
  const std::vector<std::string> dirs = {Env().root + "/dev0", Env().root + "/dev1"};
  int s = 0;
  bool malformed = false;
  const char* call = "options setter";
  switch (r.in->Below(12)) {
    case 0: {
      call = "set_data_dir";
      Text path = PathArg(*r.in, dirs);
      malformed = path.malformed;
      s = tacet_options_set_data_dir(o.h, path.get());
      if (s == TACET_OK && o.slot != nullptr) o.slot->data_dir.assign(path.get());
      break;
    }
    case 1: {
      call = "set_key_store_dir";
      const std::vector<std::string> keys = {Env().root + "/keys0", Env().root + "/keys1",
                                             Env().root + "/dev0/keys"};
      Text path = PathArg(*r.in, keys);
      // NULL restores the default: not malformed here.
      malformed = path.malformed && !path.null;
      s = tacet_options_set_key_store_dir(o.h, path.get());
      break;
    }
    case 2: {
      call = "set_log_level";
      const int level = r.in->Enum();
      malformed = !InRange(level, TACET_LOG_DEBUG, TACET_LOG_NONE);
      s = fz_set_log_level(o.h, level);
      break;
    }
    case 3:
      call = "set_create";
      s = tacet_options_set_create(o.h, r.in->Byte() % 3);
      break;
    case 4: {
      call = "set_read_only";
      const int ro = r.in->Chance(64) ? 1 : 0;
      s = tacet_options_set_read_only(o.h, ro);
      if (s == TACET_OK && o.slot != nullptr) o.slot->read_only = ro != 0;
      break;
    }
    case 5: {
      call = "set_lock_timeout_ms";
      static const int32_t kTimeouts[] = {0, 1, -1, 600001, INT32_MIN, INT32_MAX};
      const int32_t t = kTimeouts[r.in->Below(Count(kTimeouts))];
      malformed = t < 0 || t > 600000;
      s = tacet_options_set_lock_timeout_ms(o.h, t);
      break;
    }
    case 6: {
      call = "set_audio_format";
      static const int32_t kRates[] = {16000, 8000, 48000, 44100, 7999, 0, -16000, INT32_MAX};
      static const int32_t kChannelCounts[] = {1, 2, 0, 3, -1};
      static const int32_t kFrameMs[] = {20, 10, 100, 9, 101, 0, 7};
      const int32_t rate = kRates[r.in->Below(Count(kRates))];
      const int32_t ch = kChannelCounts[r.in->Below(Count(kChannelCounts))];
      const int32_t ms = kFrameMs[r.in->Below(Count(kFrameMs))];
      s = tacet_options_set_audio_format(o.h, rate, ch, ms);
      if (s == TACET_OK && o.slot != nullptr) {
        o.slot->samples_per_frame = static_cast<size_t>(rate) * ch * ms / 1000;
      }
      break;
    }
    case 7: {
      call = "set_policy_update_key";
      const uint8_t which = r.in->Byte() % 4;
      std::vector<uint8_t> key;
      if (which == 0) {
        key = Env().key.public_key;
      } else if (which == 1) {
        key.assign(65, 0);
        key[0] = 0x04;  // the right shape, not a point on the curve
      } else if (which == 2) {
        key = r.in->Bytes(70);
      }
      malformed = key.size() != 65 || key[0] != 0x04;
      std::unique_ptr<uint8_t[]> exact(new uint8_t[key.size() + 1]);
      if (!key.empty()) std::memcpy(exact.get(), key.data(), key.size());
      s = tacet_options_set_policy_update_key(o.h, which == 3 ? nullptr : exact.get(),
                                              which == 3 ? 65 : key.size());
      break;
    }
    case 8: {
      call = "set_key_store";
      tacet_key_store t{sizeof(tacet_key_store), KeyPut, KeyGet, KeyDel, &g_keys};
      const uint8_t shape = r.in->Byte() % 6;
      if (shape == 5) {
        s = tacet_options_set_key_store(o.h, nullptr);
        break;
      }
      if (shape == 3) t.get = nullptr;
      const uint32_t declared = shape == 1 ? 4 : shape == 2 ? sizeof t + 64 : sizeof t;
      malformed = shape == 1 || shape == 3;
      auto block = Shaped(t, sizeof t, declared);
      s = tacet_options_set_key_store(o.h, reinterpret_cast<tacet_key_store*>(block.get()));
      g_keys.fail = shape == 4 ? r.in->Enum() : 0;
      g_keys.lie = r.in->Chance(16);
      break;
    }
    case 9: {
      call = "set_permissions";
      tacet_permissions t{};
      t.struct_size = sizeof t;
      fz_fill_permissions(&t);
      const uint8_t shape = r.in->Byte() % 5;
      if (shape == 4) {
        s = tacet_options_set_permissions(o.h, nullptr);
        if (s == TACET_OK && o.slot != nullptr) o.slot->permissions_table = false;
        break;
      }
      if (shape == 3) t.query = nullptr;
      const uint32_t declared = shape == 1 ? 0 : shape == 2 ? sizeof t + 8 : sizeof t;
      malformed = shape == 1 || shape == 3;
      auto block = Shaped(t, sizeof t, declared);
      s = tacet_options_set_permissions(o.h, reinterpret_cast<tacet_permissions*>(block.get()));
      if (s == TACET_OK && o.slot != nullptr) o.slot->permissions_table = true;
      break;
    }
    case 10: {
      call = "set_clock_or_entropy";
      if (r.in->Chance(128)) {
        tacet_clock t{sizeof(tacet_clock), NowMs, MonotonicNs, nullptr};
        const uint8_t shape = r.in->Byte() % 4;
        if (shape == 1) t.monotonic_ns = nullptr;
        malformed = shape == 1 || shape == 2;
        auto block = Shaped(t, sizeof t, shape == 2 ? 3 : sizeof t);
        s = shape == 3 ? tacet_options_set_clock(o.h, nullptr)
                       : tacet_options_set_clock(o.h, reinterpret_cast<tacet_clock*>(block.get()));
        static const int64_t kNow[] = {1700000000000, 0, -1, 253402300799999, INT64_MAX,
                                       INT64_MIN};
        g_now_ms = kNow[r.in->Below(Count(kNow))];
      } else {
        tacet_entropy t{sizeof(tacet_entropy), Fill, nullptr};
        const uint8_t shape = r.in->Byte() % 4;
        if (shape == 1) t.fill = nullptr;
        malformed = shape == 1;
        auto block = Shaped(t, sizeof t, sizeof t);
        s = shape == 3 ? tacet_options_set_entropy(o.h, nullptr)
                       : tacet_options_set_entropy(o.h,
                                                   reinterpret_cast<tacet_entropy*>(block.get()));
        g_entropy_status = shape == 2 ? r.in->Enum() : 0;
      }
      break;
    }
    default: {
      call = "set_logger";
      tacet_logger t{sizeof(tacet_logger), Log, nullptr};
      const uint8_t shape = r.in->Byte() % 3;
      if (shape == 1) t.log = nullptr;
      malformed = shape != 0;
      auto block = Shaped(t, sizeof t, shape == 2 ? 2 : sizeof t);
      s = tacet_options_set_logger(o.h, reinterpret_cast<tacet_logger*>(block.get()));
      break;
    }
  }
  Expect(s, o.kind, call);
  ExpectMalformed(s, o.kind, malformed, call);
}

void OpAgentOpen(Run& r) {
  OptionsArg o = PickOptions(r);
  const int slot = static_cast<int>(r.in->Below(kAgentSlots));
  AgentSlot& a = r.agents[slot];
  if (a.h != nullptr) return;  // keep the table simple: open into an empty slot only
  const bool null_out = r.in->Chance(8);
  tacet_agent_t* sentinel = reinterpret_cast<tacet_agent_t*>(static_cast<uintptr_t>(0x1));
  tacet_agent_t* out = sentinel;
  const int s = Expect(tacet_agent_open(o.h, null_out ? nullptr : &out), o.kind, "agent_open");
  if (null_out) {
    ExpectMalformed(s, o.kind, true, "agent_open");
    return;
  }
  if (s != TACET_OK) {
    Check(out == sentinel, "a failed open wrote *out_agent");
    return;
  }
  Check(out != nullptr && out != sentinel, "an open without an agent");
  a = AgentSlot();
  a.h = out;
  a.device = o.slot->data_dir;
  a.read_only = o.slot->read_only;
  a.permissions_table = o.slot->permissions_table;
  a.samples_per_frame = o.slot->samples_per_frame;
  r.devices[a.device];  // a model for the device (kept across reopens)
}

// Every session of agent slot `slot` has ended (close or free of the agent ends them).
void CheckSessionsEnded(Run& r, int slot) {
  for (auto& u : r.users) {
    if (!u->granted || u->agent_slot != slot || u->freed != 0) continue;
    Check(u->ended_calls == 1 || u->caller_ended || !u->on_ended_set,
          "a session outlived its agent's close without on_ended");
  }
}

void ForgetAgent(Run& r, int slot) {
  // Sessions keep their handles (they must still be freed) but no longer belong to a live slot.
  for (auto& u : r.users) {
    if (u->agent_slot == slot && u->freed == 0) u->caller_ended = true;
  }
  for (auto& l : r.listener_users) {
    if (l->agent == r.agents[slot].h) {
      Check(l->freed == 1, "a listener's free_user_data was not called once at close");
    }
  }
}

void OpAgentClose(Run& r, bool free) {
  AgentArg a = PickAgent(r);
  if (free) {
    tacet_agent_free(a.h);
    if (a.kind == Handle::kStale) {
      Check(std::strlen(tacet_last_error_message()) > 0, "freeing a stale agent said nothing");
    }
  } else {
    const int s = Status(tacet_agent_close(a.h), "agent_close");
    if (a.kind == Handle::kStale) Check(s == TACET_ERR_INVALID_ARGUMENT, "a stale close");
    if (a.kind == Handle::kNull) Check(s == TACET_OK, "tacet_agent_close(NULL) is not OK");
  }
  if (a.slot < 0) return;
  CheckSessionsEnded(r, a.slot);
  r.agents[a.slot].closed = true;
  ForgetAgent(r, a.slot);
  if (free) {
    r.stale.push_back(a.h);
    r.agents[a.slot] = AgentSlot();
  }
}

void OpConsentSet(Run& r) {
  AgentArg a = PickAgent(r);
  const int source = r.in->Enum();
  const bool bad_source = !InRange(source, TACET_SOURCE_USER, TACET_SOURCE_POLICY_DEFAULT);
  int s = 0;
  bool malformed = bad_source;
  const char* call = "consent_set";
  switch (r.in->Below(4)) {
    case 0: {
      call = "consent_set_purpose";
      Text id = IdArg(*r.in, kPurposes, Count(kPurposes));
      const int state = r.in->Enum();
      malformed |= id.malformed || !InRange(state, 0, 2);
      s = fz_set_purpose(a.h, id.get(), state, source);
      if (s == TACET_OK && a.slot >= 0) {
        DeviceModel& d = r.devices[r.agents[a.slot].device];
        d.denied_purposes.erase(id.get());
        d.granted_purposes.erase(id.get());
        if (state == TACET_CONSENT_DENIED) d.denied_purposes.insert(id.get());
        if (state == TACET_CONSENT_GRANTED) d.granted_purposes.insert(id.get());
      }
      break;
    }
    case 1: {
      call = "consent_set_channel";
      Text id = IdArg(*r.in, kChannels, Count(kChannels));
      const int state = r.in->Enum();
      malformed |= id.malformed || !InRange(state, 0, 2);
      s = fz_set_channel(a.h, id.get(), state, source);
      break;
    }
    case 2: {
      call = "consent_set_category_provided";
      Text id = IdArg(*r.in, kCategories, Count(kCategories));
      const int provided = r.in->Byte() % 3;
      malformed |= id.malformed;
      s = fz_set_category_provided(a.h, id.get(), provided, source);
      if (s == TACET_OK && a.slot >= 0) {
        DeviceModel& d = r.devices[r.agents[a.slot].device];
        if (std::strcmp(id.get(), "voice") == 0) d.voice_declined = provided == 0;
        if (std::strcmp(id.get(), "location") == 0) d.location_declined = provided == 0;
      }
      break;
    }
    default: {
      call = "consent_set_location_precision";
      const int precision = r.in->Enum();
      malformed |= !InRange(precision, 0, 2);
      s = fz_set_location_precision(a.h, precision, source);
      if (s == TACET_OK && a.slot >= 0) {
        r.devices[r.agents[a.slot].device].location_off = precision == TACET_PRECISION_NONE;
      }
      break;
    }
  }
  Expect(s, a.kind, call);
  ExpectMalformed(s, a.kind, malformed, call);
}

struct HistoryWalk {
  tacet_agent_t* agent = nullptr;
  int stop_after = -1;
  int seen = 0;
  int64_t last_seq = 0;
};

int OnHistoryEntry(const tacet_consent_entry* e, void* user_data) {
  auto* w = static_cast<HistoryWalk*>(user_data);
  Check(e != nullptr && e->seq > w->last_seq, "history out of order");
  w->last_seq = e->seq;
  CheckText(e->subject, "subject");
  CheckText(e->policy_id, "policy_id");
  Check(InRange(Raw(e->state), 0, 2) && InRange(Raw(e->source), 1, 5) &&
            InRange(Raw(e->precision), 0, 2),
        "a history entry with undeclared values");
  ExpectRefusedInCallback(tacet_consent_verify(w->agent), "verify inside history");
  return ++w->seen == w->stop_after ? 1 : 0;
}

void OpConsentRead(Run& r) {
  AgentArg a = PickAgent(r);
  switch (r.in->Below(6)) {
    case 0: {
      const int kind = r.in->Enum();
      Text id = kind == TACET_SUBJECT_CHANNEL    ? IdArg(*r.in, kChannels, Count(kChannels))
                : kind == TACET_SUBJECT_CATEGORY ? IdArg(*r.in, kCategories, Count(kCategories))
                                                 : IdArg(*r.in, kPurposes, Count(kPurposes));
      int state = -7;
      const int s = Expect(fz_consent_get(a.h, kind, id.get(), &state), a.kind, "consent_get");
      ExpectMalformed(s, a.kind,
                      !InRange(kind, 0, 3) || (kind != TACET_SUBJECT_LOCATION && id.malformed),
                      "consent_get");
      if (s == TACET_OK) Check(InRange(state, 0, 2), "consent_get: an undeclared state");
      break;
    }
    case 1: {
      tacet_location_precision p = TACET_PRECISION_NONE;
      const int s = Expect(tacet_consent_location_precision(a.h, &p), a.kind, "precision");
      if (s == TACET_OK) Check(InRange(Raw(p), 0, 2), "an undeclared precision");
      break;
    }
    case 2: {
      const int kind = r.in->Enum();
      tacet_consent_list* list = nullptr;
      const int s = Expect(fz_consent_items(a.h, kind, &list), a.kind, "consent_items");
      ExpectMalformed(s, a.kind, !InRange(kind, 0, 2), "consent_items");
      if (s != TACET_OK) {
        Check(list == nullptr, "a failed consent_items wrote its list");
        break;
      }
      for (size_t i = 0; i < list->count; ++i) {
        const tacet_consent_item& it = list->items[i];
        CheckText(it.id, "id");
        CheckText(it.display_name, "display_name");
        CheckText(it.description, "description");
        CheckText(it.legal_basis, "legal_basis");
        Check(InRange(Raw(it.state), 0, 2) && InRange(Raw(it.source), 1, 5),
              "an item with undeclared values");
      }
      KeepBlock(r, list);
      break;
    }
    case 3: {
      HistoryWalk walk;
      walk.agent = a.h;
      walk.stop_after = static_cast<int>(r.in->Below(8)) - 1;
      Text subject = IdArg(*r.in, kSubjects, Count(kSubjects));
      if (r.in->Chance(64)) subject.null = true;
      const bool no_fn = r.in->Chance(8);
      const int s = Expect(
          tacet_consent_history(a.h, subject.get(), no_fn ? nullptr : OnHistoryEntry, &walk),
          a.kind, "consent_history");
      ExpectMalformed(s, a.kind, no_fn || (!subject.null && subject.malformed), "history");
      if (s == TACET_OK && walk.stop_after > 0) {
        Check(walk.seen <= walk.stop_after, "history went on after the callback stopped it");
      }
      break;
    }
    case 4: {
      static const int64_t kSeqs[] = {1, 2, 3, 0, -1, INT64_MAX, INT64_MIN};
      char* json = nullptr;
      const bool null_out = r.in->Chance(16);
      const int s = Expect(tacet_consent_receipt(a.h, kSeqs[r.in->Below(Count(kSeqs))],
                                                 null_out ? nullptr : &json),
                           a.kind, "consent_receipt");
      if (null_out) ExpectMalformed(s, a.kind, true, "receipt");
      if (s == TACET_OK) {
        CheckText(json, "receipt");
        Check(json[0] == '{', "a receipt that is no JSON object");
        KeepBlock(r, json);
      }
      break;
    }
    default: {
      tacet_feature_list* list = nullptr;
      const int s = Expect(tacet_features(a.h, &list), a.kind, "features");
      if (s != TACET_OK) break;
      for (size_t i = 0; i < list->count; ++i) {
        const tacet_feature& f = list->items[i];
        CheckText(f.feature, "feature");
        CheckText(f.reason, "reason");
        CheckText(f.purpose_not_allowed, "purpose_not_allowed");
        Check(InRange(Raw(f.availability), 0, 2), "an undeclared availability");
        for (size_t j = 0; j < f.missing_categories.count; ++j) {
          CheckText(f.missing_categories.items[j], "missing category");
        }
      }
      KeepBlock(r, list);
      break;
    }
  }
}

void OpListener(Run& r) {
  AgentArg a = PickAgent(r);
  if (r.in->Chance(160)) {
    auto user = std::make_unique<ListenerUser>();
    user->run = &r;
    user->agent = a.h;
    uint64_t id = 0;
    const bool no_fn = r.in->Chance(8);
    const int s = Expect(tacet_consent_add_listener(a.h, no_fn ? nullptr : OnConsentChanged,
                                                    user.get(), FreeListenerUser, &id),
                         a.kind, "add_listener");
    ExpectMalformed(s, a.kind, no_fn, "add_listener");
    Check(user->freed == 0, "a refused listener's user data was freed");
    if (s == TACET_OK) {
      r.agents[a.slot].listeners.push_back(id);
      r.listener_users.push_back(std::move(user));
    }
    return;
  }
  uint64_t id = r.in->U64();
  if (a.slot >= 0 && !r.agents[a.slot].listeners.empty() && r.in->Chance(200)) {
    auto& ids = r.agents[a.slot].listeners;
    const size_t i = r.in->Below(ids.size());
    id = ids[i];
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
    const int s = Expect(tacet_consent_remove_listener(a.h, id), a.kind, "remove_listener");
    if (a.kind == Handle::kLive) Check(s == TACET_OK, "removing a registered listener failed");
    return;
  }
  Expect(tacet_consent_remove_listener(a.h, id), a.kind, "remove_listener");
}

void OpPolicy(Run& r) {
  AgentArg a = PickAgent(r);
  switch (r.in->Below(6)) {
    case 0: {
      char* id = nullptr;
      if (Expect(tacet_policy_id(a.h, &id), a.kind, "policy_id") == TACET_OK) {
        CheckText(id, "policy id");
        KeepBlock(r, id);
      }
      break;
    }
    case 1: {
      uint64_t v = 0;
      uint8_t hash[32];
      Expect(tacet_policy_version(a.h, &v), a.kind, "policy_version");
      Expect(tacet_policy_hash(a.h, hash), a.kind, "policy_hash");
      break;
    }
    case 2: {
      int pending = 0;
      Expect(tacet_policy_controller_notice_pending(a.h, &pending), a.kind, "notice_pending");
      break;
    }
    case 3:
      Expect(tacet_policy_acknowledge_controller_notice(a.h), a.kind, "acknowledge");
      break;
    default: {
      const Environment& env = Env();
      tacet::Bytes policy, signature;
      const uint8_t which = r.in->Byte();
      if (which < 160) {
        const SignedPolicy& u = env.updates[which % env.updates.size()];
        policy = u.policy;
        signature = u.signature;
        if (r.in->Chance(16)) signature[signature.size() / 2] ^= 0x01;
      } else if (which < 220) {
        // Fuzzed bytes, properly signed: they reach the policy loader through the agent.
        std::vector<uint8_t> raw = r.in->Bytes(512);
        policy.assign(raw.begin(), raw.end());
        auto sig = tacet::crypto::EcdsaP256Sign(env.key.private_key.view(), policy,
                                                tacet::crypto::testing::TestDrbg());
        if (sig.ok()) signature = std::move(*sig);
      } else {
        std::vector<uint8_t> raw = r.in->Bytes(64);
        policy.assign(raw.begin(), raw.end());
        raw = r.in->Bytes(80);
        signature.assign(raw.begin(), raw.end());
      }
      std::unique_ptr<uint8_t[]> p(new uint8_t[policy.size() + 1]);
      std::unique_ptr<uint8_t[]> sg(new uint8_t[signature.size() + 1]);
      if (!policy.empty()) std::memcpy(p.get(), policy.data(), policy.size());
      if (!signature.empty()) std::memcpy(sg.get(), signature.data(), signature.size());
      tacet_policy_update_result* result = nullptr;
      const bool want_result = r.in->Chance(200);
      const int s = Expect(
          tacet_policy_apply_update(a.h, policy.empty() ? nullptr : p.get(), policy.size(),
                                    signature.empty() ? nullptr : sg.get(), signature.size(),
                                    want_result ? &result : nullptr),
          a.kind, "apply_update");
      if (s == TACET_OK && a.slot >= 0) {
        // An update re-opens the purposes it widened (or whose basis became consent): forget
        // the grants the agent no longer holds. Never adds one: a grant comes from the user.
        auto& granted = r.devices[r.agents[a.slot].device].granted_purposes;
        for (auto it = granted.begin(); it != granted.end();) {
          int state = -7;
          const int g = fz_consent_get(a.h, TACET_SUBJECT_PURPOSE, it->c_str(), &state);
          it = g == TACET_OK && state == TACET_CONSENT_GRANTED ? std::next(it) : granted.erase(it);
        }
      }
      if (s == TACET_OK && want_result) {
        Check(result != nullptr && result->new_version > result->old_version,
              "an update that did not raise the version");
        for (size_t i = 0; i < result->purposes_to_ask.count; ++i) {
          CheckText(result->purposes_to_ask.items[i], "purpose to ask");
        }
        KeepBlock(r, result);
      } else {
        Check(result == nullptr, "a failed update wrote its result");
      }
      break;
    }
  }
}

void OpPermission(Run& r) {
  AgentArg a = PickAgent(r);
  if (r.in->Chance(64)) {
    // The permissions table's answer changes (any int), and the agent is told.
    fz_permission_state = r.in->Enum();
    fz_permission_precision = r.in->Enum();
    const int permission = r.in->Enum();
    const int s = Expect(fz_os_permission_changed(a.h, permission), a.kind, "permission_changed");
    ExpectMalformed(s, a.kind, !InRange(permission, 0, 1), "permission_changed");
    return;
  }
  const int permission = r.in->Enum();
  const int state = r.in->Enum();
  const int precision = r.in->Enum();
  const int s = Expect(fz_set_os_permission(a.h, permission, state, precision), a.kind,
                       "set_os_permission");
  ExpectMalformed(s, a.kind,
                  !InRange(permission, 0, 1) || !InRange(state, 0, 2) ||
                      !InRange(precision, 0, 2),
                  "set_os_permission");
  if (s == TACET_OK && a.slot >= 0) {
    AgentSlot& slot = r.agents[a.slot];
    (permission == TACET_OS_PERMISSION_MICROPHONE ? slot.mic_state : slot.location_state) = state;
  }
}

SessionUser* NewUser(Run& r, bool voice, int agent_slot, const std::string& purpose) {
  r.users.push_back(std::make_unique<SessionUser>());
  SessionUser* u = r.users.back().get();
  u->run = &r;
  u->voice = voice;
  u->agent_slot = agent_slot;
  u->purpose = purpose;
  u->frame_mode = r.in->Byte();
  u->ended_mode = r.in->Byte();
  return u;
}

bool DeclaredDenial(int d) {
  return InRange(d, TACET_DENIAL_PURPOSE_NOT_ALLOWED_BY_POLICY,
                 TACET_DENIAL_NOT_A_COLLECTION_BASIS);
}

void OpSessionOpen(Run& r, bool voice) {
  AgentArg a = PickAgent(r);
  const int slot = static_cast<int>(r.in->Below(kSessionSlots));
  if ((voice ? static_cast<void*>(r.voice[slot]) : static_cast<void*>(r.location[slot])) !=
      nullptr) {
    return;
  }
  Text purpose = IdArg(*r.in, kPurposes, Count(kPurposes));
  SessionUser* u = NewUser(r, voice, a.slot, purpose.malformed ? "" : purpose.get());
  const uint8_t shape = r.in->Byte() % 8;  // 0: NULL, 1: short struct_size, 2: no sink, else good
  u->on_ended_set = shape != 3;
  int s;
  int denial = -7;
  void* out = reinterpret_cast<void*>(static_cast<uintptr_t>(0x1));
  const bool null_out = r.in->Chance(8);
  const char* call = voice ? "voice_session_open" : "location_session_open";
  bool malformed = purpose.malformed || shape <= 2 || null_out;
  if (voice) {
    tacet_voice_callbacks cb{sizeof(tacet_voice_callbacks), OnFrame,
                             shape == 3 ? nullptr : OnEnded, u, FreeSessionUser};
    if (shape == 1) cb.struct_size = sizeof(uint32_t);
    if (shape == 2) cb.on_frame = nullptr;
    tacet_denial_reason d = TACET_DENIAL_NONE;
    auto* out_session = reinterpret_cast<tacet_voice_session_t*>(out);
    s = tacet_voice_session_open(a.h, purpose.get(), shape == 0 ? nullptr : &cb,
                                 null_out ? nullptr : &out_session, &d);
    denial = Raw(d);
    out = out_session;
  } else {
    u->requested = r.in->Enum();
    malformed |= !InRange(u->requested, TACET_PRECISION_APPROXIMATE, TACET_PRECISION_PRECISE);
    tacet_location_callbacks cb{sizeof(tacet_location_callbacks), OnFix,
                                shape == 3 ? nullptr : OnEnded, u, FreeSessionUser};
    if (shape == 1) cb.struct_size = 0;
    if (shape == 2) cb.on_fix = nullptr;
    auto* out_session = reinterpret_cast<tacet_location_session_t*>(out);
    s = fz_location_open(a.h, purpose.get(), u->requested, shape == 0 ? nullptr : &cb,
                         null_out ? nullptr : &out_session, &denial);
    out = out_session;
  }
  Expect(s, a.kind, call);
  ExpectMalformed(s, a.kind, malformed, call);
  Check(u->freed == 0, "a refused open freed the caller's user data");
  if (s == TACET_ERR_PERMISSION_DENIED) {
    Check(out == nullptr, "a denial left *out_session set");
    Check(DeclaredDenial(denial), "a denial reason tacet.h does not declare:",
          std::to_string(denial));
    return;
  }
  if (s != TACET_OK) {
    Check(out == reinterpret_cast<void*>(static_cast<uintptr_t>(0x1)),
          "a failed open wrote *out_session");
    return;
  }
  Check(out != nullptr && denial == TACET_DENIAL_NONE, "a grant without a session");
  u->granted = true;
  u->self = out;
  if (voice) {
    r.voice[slot] = static_cast<tacet_voice_session_t*>(out);
    r.voice_user[slot] = u;
  } else {
    r.location[slot] = static_cast<tacet_location_session_t*>(out);
    r.location_user[slot] = u;
  }
}

void OpCheck(Run& r, bool voice) {
  AgentArg a = PickAgent(r);
  Text purpose = IdArg(*r.in, kPurposes, Count(kPurposes));
  int denial = -7;
  int s;
  bool malformed = purpose.malformed;
  if (voice) {
    tacet_denial_reason d = TACET_DENIAL_NONE;
    s = tacet_voice_check(a.h, purpose.get(), &d);
    denial = Raw(d);
  } else {
    const int requested = r.in->Enum();
    malformed |= !InRange(requested, 1, 2);
    int effective = -7;
    s = fz_location_check(a.h, purpose.get(), requested, &denial, &effective);
    if (s == TACET_OK) Check(InRange(effective, 0, 2), "an undeclared effective precision");
  }
  Expect(s, a.kind, voice ? "voice_check" : "location_check");
  ExpectMalformed(s, a.kind, malformed, "check");
  if (s == TACET_OK) {
    Check(denial == TACET_DENIAL_NONE || DeclaredDenial(denial),
          "a check answered a denial reason tacet.h does not declare:", std::to_string(denial));
  }
}

// A session argument: one of the table, NULL or a freed handle.
template <typename H>
std::pair<H*, Handle> PickSession(Run& r, H* const* table, int* slot) {
  const uint8_t b = r.in->Byte();
  *slot = -1;
  if (b < 232) {
    const int i = b % kSessionSlots;
    if (table[i] == nullptr) return {nullptr, Handle::kNull};
    *slot = i;
    return {table[i], Handle::kLive};
  }
  const void* stale = b < 244 ? nullptr : StaleHandle(r);
  if (stale == nullptr) return {nullptr, Handle::kNull};
  return {static_cast<H*>(const_cast<void*>(stale)), Handle::kStale};
}

void OpSession(Run& r, bool voice) {
  int slot;
  const uint8_t what = r.in->Byte() % 3;
  SessionUser* u = nullptr;
  void* h;
  Handle kind;
  if (voice) {
    auto picked = PickSession(r, r.voice, &slot);
    h = picked.first;
    kind = picked.second;
    if (slot >= 0) u = r.voice_user[slot];
  } else {
    auto picked = PickSession(r, r.location, &slot);
    h = picked.first;
    kind = picked.second;
    if (slot >= 0) u = r.location_user[slot];
  }
  if (what == 0) {
    const int s = voice ? tacet_voice_session_end(static_cast<tacet_voice_session_t*>(h))
                        : tacet_location_session_end(static_cast<tacet_location_session_t*>(h));
    Expect(s, kind, "session_end");
    if (u != nullptr) {
      Check(s == TACET_OK, "ending a live session failed");
      u->caller_ended = true;
    }
  } else if (what == 1) {
    tacet_end_reason reason = TACET_END_NONE;
    uint64_t delivered = 0;
    const int s =
        voice ? tacet_voice_session_state(static_cast<tacet_voice_session_t*>(h), &reason,
                                          &delivered)
              : tacet_location_session_state(static_cast<tacet_location_session_t*>(h), &reason,
                                             &delivered);
    Expect(s, kind, "session_state");
    if (u != nullptr && s == TACET_OK) {
      const int v = Raw(reason);
      Check(InRange(v, TACET_END_NONE, TACET_END_AGENT_CLOSED), "an undeclared end reason");
      Check(delivered == static_cast<uint64_t>(u->deliveries), "a wrong delivery count");
      if (u->ended_calls > 0) Check(v == u->ended_reason, "state and on_ended disagree");
      if (v == TACET_END_NONE) {
        Check(!u->caller_ended && u->ended_calls == 0, "an ended session says it is open");
      }
    }
  } else {
    if (voice) {
      tacet_voice_session_free(static_cast<tacet_voice_session_t*>(h));
    } else {
      tacet_location_session_free(static_cast<tacet_location_session_t*>(h));
    }
    if (kind == Handle::kStale) {
      Check(std::strlen(tacet_last_error_message()) > 0, "freeing a stale session said nothing");
    }
    if (u != nullptr) {
      Check(u->freed == 1, "free_user_data was not called once when the session was freed");
      u->caller_ended = true;
      r.stale.push_back(h);
      if (voice) {
        r.voice[slot] = nullptr;
        r.voice_user[slot] = nullptr;
      } else {
        r.location[slot] = nullptr;
        r.location_user[slot] = nullptr;
      }
    }
  }
}

void OpPushFrames(Run& r) {
  AgentArg a = PickAgent(r);
  const size_t spf = a.slot >= 0 ? r.agents[a.slot].samples_per_frame : 320;
  const uint8_t shape = r.in->Byte() % 8;
  size_t count = spf;
  if (shape == 1) count = spf + 1;
  if (shape == 2) count = spf > 0 ? spf - 1 : 0;
  if (shape == 3) count = 0;
  const int frames = 1 + static_cast<int>(r.in->Below(6));
  std::unique_ptr<int16_t[]> samples(new int16_t[count == 0 ? 1 : count]);
  for (size_t i = 0; i < count; ++i) samples[i] = static_cast<int16_t>(i * 31);
  for (int f = 0; f < frames; ++f) {
    const int s = Expect(tacet_voice_push_frame(a.h, shape == 4 ? nullptr : samples.get(), count,
                                                static_cast<int64_t>(f) * 20000000),
                         a.kind, "push_frame");
    ExpectMalformed(s, a.kind, shape >= 1 && shape <= 4, "push_frame");
    if (a.kind == Handle::kLive && shape >= 5) {
      Check(s == TACET_OK, "a well-formed frame was refused");
    }
  }
}

void OpMuteOrDeviceError(Run& r) {
  AgentArg a = PickAgent(r);
  const uint8_t what = r.in->Byte() % 3;
  int s;
  if (what == 2) {
    s = Expect(tacet_voice_report_device_error(a.h), a.kind, "report_device_error");
    if (s == TACET_OK) {
      for (auto& u : r.users) {
        if (u->voice && u->granted && u->agent_slot == a.slot && u->freed == 0 &&
            !u->caller_ended && u->ended_calls == 0 && u->on_ended_set) {
          Fail("a voice session outlived a device error");
        }
      }
    }
    return;
  }
  s = Expect(tacet_voice_set_hardware_muted(a.h, what), a.kind, "set_hardware_muted");
  if (s == TACET_OK && a.slot >= 0) r.agents[a.slot].muted = what != 0;
}

double Coordinate(Program& in) {
  static const double kValues[] = {0.0, 45.123456, -33.9, 90.0, -90.0, 180.0, -180.0, 90.0001,
                                   -180.5, NAN, INFINITY, -INFINITY, 1e308, -0.0};
  if (in.Chance(200)) return kValues[in.Below(Count(kValues))];
  const uint64_t bits = in.U64();
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

void OpPushFix(Run& r) {
  AgentArg a = PickAgent(r);
  tacet_location_fix fix{Coordinate(*r.in), Coordinate(*r.in), Coordinate(*r.in),
                         static_cast<int64_t>(r.in->U64())};
  const bool null_fix = r.in->Chance(8);
  const int s = Expect(tacet_location_push_fix(a.h, null_fix ? nullptr : &fix), a.kind, "push_fix");
  // Out of range for certain (whether an infinite accuracy is acceptable is the library's call).
  const bool out_of_range = !(std::fabs(fix.latitude_deg) <= 90) ||
                            !(std::fabs(fix.longitude_deg) <= 180) || !(fix.accuracy_m >= 0);
  ExpectMalformed(s, a.kind, null_fix || out_of_range, "push_fix");
}

// The current records of category.field, or -1 when they cannot be listed.
long ListCount(tacet_agent_t* agent, const char* category, const char* field) {
  tacet_vault_record_list* list = nullptr;
  if (tacet_vault_list(agent, category, field, &list) != TACET_OK) return -1;
  const long n = static_cast<long>(list->count);
  tacet_free(list);
  return n;
}

void CheckRecord(const tacet_vault_record& rec) {
  CheckText(rec.category, "category");
  CheckText(rec.field, "field");
  Check(rec.value != nullptr && rec.value[rec.value_len] == '\0', "a value not NUL-terminated");
  Check(rec.version >= 1 && InRange(Raw(rec.source), 0, 3), "a record with undeclared values");
}

void OpVault(Run& r) {
  AgentArg a = PickAgent(r);
  const auto& pair = kFields[r.in->Below(Count(kFields))];
  Text category = r.in->Chance(220) ? Terminated(pair.first) : IdArg(*r.in, kCategories, Count(kCategories));
  Text field = r.in->Chance(220) ? Terminated(pair.second) : IdArg(*r.in, nullptr, 0);
  switch (r.in->Below(7)) {
    case 0:
    case 1: {
      std::vector<uint8_t> raw = r.in->Bytes(300);
      const bool null_value = r.in->Chance(8);
      const size_t len = null_value ? (r.in->Chance(128) ? 0 : 5) : raw.size();
      std::unique_ptr<char[]> value(new char[raw.size() + 1]);
      if (!raw.empty()) std::memcpy(value.get(), raw.data(), raw.size());
      const int source = r.in->Enum();
      const int add = r.in->Chance(64) ? 1 : 0;
      const bool listable = a.kind == Handle::kLive && !category.malformed && !field.malformed;
      const long before = listable ? ListCount(a.h, category.get(), field.get()) : -1;
      int64_t id = -7;
      const int s = Expect(fz_vault_set(a.h, add, category.get(), field.get(),
                                        null_value ? nullptr : value.get(), len, source, &id),
                           a.kind, "vault_set");
      ExpectMalformed(s, a.kind,
                      category.malformed || field.malformed || (null_value && len != 0) ||
                          !InRange(source, 0, 3),
                      "vault_set");
      if (s == TACET_OK) {
        Check(id > 0, "a stored value without a record id");
        r.record_ids.push_back(id);
      } else {
        Check(id == -7, "a failed vault_set wrote its record id");
        if (before >= 0) {
          Check(ListCount(a.h, category.get(), field.get()) == before,
                "a refused vault write changed what is stored");
        }
      }
      break;
    }
    case 2: {
      int64_t id = r.record_ids.empty() || r.in->Chance(32)
                       ? static_cast<int64_t>(r.in->U64())
                       : r.record_ids[r.in->Below(r.record_ids.size())];
      if (r.in->Chance(128)) {
        tacet_vault_record* rec = nullptr;
        if (Expect(tacet_vault_get(a.h, id, &rec), a.kind, "vault_get") == TACET_OK) {
          CheckRecord(*rec);
          Check(rec->id == id, "vault_get answered another record");
          KeepBlock(r, rec);
        }
      } else {
        std::vector<uint8_t> raw = r.in->Bytes(64);
        std::unique_ptr<char[]> value(new char[raw.size() + 1]);
        if (!raw.empty()) std::memcpy(value.get(), raw.data(), raw.size());
        Expect(fz_vault_correct(a.h, id, value.get(), raw.size(), r.in->Enum()), a.kind,
               "vault_correct");
      }
      break;
    }
    case 3: {
      if (r.in->Chance(128)) {
        tacet_vault_record_list* list = nullptr;
        const int s =
            Expect(tacet_vault_list(a.h, category.get(), field.get(), &list), a.kind, "list");
        ExpectMalformed(s, a.kind, category.malformed || field.malformed, "list");
        if (s == TACET_OK) {
          for (size_t i = 0; i < list->count; ++i) CheckRecord(list->items[i]);
          KeepBlock(r, list);
        }
      } else {
        tacet_vault_version_list* list = nullptr;
        const int s =
            Expect(tacet_vault_history(a.h, category.get(), field.get(), &list), a.kind, "history");
        ExpectMalformed(s, a.kind, category.malformed || field.malformed, "history");
        if (s == TACET_OK) {
          for (size_t i = 0; i < list->count; ++i) {
            const tacet_vault_version& v = list->items[i];
            Check(v.value != nullptr && v.value[v.value_len] == '\0', "a version unterminated");
          }
          KeepBlock(r, list);
        }
      }
      break;
    }
    case 4: {
      tacet_erasure_result result{};
      if (r.in->Chance(200)) {
        const int s = Expect(tacet_vault_erase(a.h, category.get(), &result), a.kind, "erase");
        ExpectMalformed(s, a.kind, category.malformed, "erase");
      } else {
        Expect(tacet_vault_erase_all(a.h, r.in->Chance(128) ? &result : nullptr), a.kind,
               "erase_all");
      }
      break;
    }
    case 5:
      Expect(tacet_vault_sweep(a.h, nullptr), a.kind, "sweep");
      break;
    default: {
      // Nothing the API does can break the chains: they always verify.
      const bool writable = a.kind == Handle::kLive;
      const int s1 = Expect(tacet_consent_verify(a.h), a.kind, "consent_verify");
      const int s2 = Expect(tacet_audit_verify(a.h), a.kind, "audit_verify");
      const int s3 = Expect(tacet_vault_verify(a.h), a.kind, "vault_verify");
      int64_t entries = -1;
      Expect(tacet_audit_entry_count(a.h, &entries), a.kind, "audit_entry_count");
      if (writable) {
        Check(s1 == TACET_OK, "the consent chain does not verify:", tacet_last_error_message());
        Check(s2 == TACET_OK && s3 == TACET_OK, "the audit log or the vault does not verify");
      }
      break;
    }
  }
}

// A write function that collects, fails after some calls with any int, or calls back in.
struct Writer {
  tacet_agent_t* agent = nullptr;
  int fail_after = -1;
  int fail_with = 0;
  int calls = 0;
  int returned = TACET_OK;
  size_t bytes = 0;
};

tacet_status Write(const uint8_t* bytes, size_t len, void* user_data) {
  auto* w = static_cast<Writer*>(user_data);
  Check(bytes != nullptr || len == 0, "a write without bytes");
  if (len > 0) {
    volatile uint8_t last = bytes[len - 1];
    (void)last;
  }
  w->bytes += len;
  if (w->calls++ == 0) {
    ExpectRefusedInCallback(tacet_vault_erase_all(w->agent, nullptr), "erase inside a writer");
  }
  if (w->calls == w->fail_after) {
    w->returned = w->fail_with;
    return fz_status(w->fail_with);
  }
  return TACET_OK;
}

void OpExport(Run& r) {
  AgentArg a = PickAgent(r);
  const bool report = r.in->Chance(100);
  if (r.in->Chance(160)) {
    Writer w;
    w.agent = a.h;
    w.fail_after = static_cast<int>(r.in->Below(12)) - 1;
    w.fail_with = r.in->Chance(200) ? static_cast<int>(r.in->Below(12)) : r.in->Enum();
    const bool no_fn = r.in->Chance(8);
    int s;
    if (report) {
      tacet_report_summary summary{};
      s = tacet_report_to_writer(a.h, no_fn ? nullptr : Write, &w, &summary);
    } else {
      tacet_export_summary summary{};
      s = tacet_export_to_writer(a.h, no_fn ? nullptr : Write, &w, &summary);
    }
    Expect(s, a.kind, report ? "report_to_writer" : "export_to_writer");
    ExpectMalformed(s, a.kind, no_fn, "to_writer");
    if (a.kind == Handle::kLive && w.returned != TACET_OK) {
      const int expected =
          InRange(w.returned, 1, TACET_ERR_UNIMPLEMENTED) ? w.returned : TACET_ERR_INTERNAL;
      Check(s == expected, "an export stopped by its writer returned another status");
    }
    return;
  }
  const std::string out = Env().root + "/out/doc" + std::to_string(r.in->Below(3));
  const std::vector<std::string> paths = {out, Env().root + "/dev0/x.json",
                                          Env().root + "/keys0/x.json", Env().root + "/out/",
                                          Env().root + "/out/.."};
  Text path = PathArg(*r.in, paths);
  const int s = report ? tacet_report_to_file(a.h, path.get(), nullptr)
                       : tacet_export_to_file(a.h, path.get(), nullptr);
  Expect(s, a.kind, "to_file");
  ExpectMalformed(s, a.kind, path.malformed, "to_file");
}

void OpFreeBlock(Run& r) {
  if (r.blocks.empty() || r.in->Chance(16)) {
    tacet_free(nullptr);
    return;
  }
  const size_t i = r.in->Below(r.blocks.size());
  tacet_free(r.blocks[i]);
  r.blocks.erase(r.blocks.begin() + static_cast<std::ptrdiff_t>(i));
}

void OpNames(Run& r) {
  Check(fz_names_are_set(r.in->Enum()) == 1, "a name function answered NULL or \"\"");
  Check(tacet_abi_version() == TACET_ABI_VERSION, "the ABI version differs from the header's");
}

// Frees everything the run still holds, checking the last invariants.
void Finish(Run& r) {
  for (int i = 0; i < kSessionSlots; ++i) {
    if (r.voice[i] != nullptr) tacet_voice_session_free(r.voice[i]);
    if (r.location[i] != nullptr) tacet_location_session_free(r.location[i]);
  }
  for (int i = 0; i < kAgentSlots; ++i) {
    if (r.agents[i].h == nullptr) continue;
    tacet_agent_free(r.agents[i].h);
    ForgetAgent(r, i);
  }
  for (auto& o : r.options) tacet_options_free(o.h);
  for (void* b : r.blocks) tacet_free(b);
  for (auto& u : r.users) {
    Check(u->freed == (u->granted ? 1 : 0),
          "free_user_data not called exactly once for a granted session (never for a denied one)");
  }
  for (auto& l : r.listener_users) Check(l->freed == 1, "a listener's free_user_data not once");
  g_keys = FakeKeyStore();
  g_entropy_status = 0;
  g_now_ms = 1700000000000;
  fz_permission_state = TACET_PERMISSION_NOT_DETERMINED;
  fz_permission_precision = TACET_PRECISION_NONE;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Env();
  WipeRoot();
  Program in(data, size);
  Run r;
  r.in = &in;
  for (int op = 0; op < 200 && !in.done(); ++op) {
    switch (in.Byte() % 24) {
      case 0: OpOptionsNew(r); break;
      case 1: OpOptionsFree(r); break;
      case 2:
      case 3: OpOptionsSet(r); break;
      case 4: OpAgentOpen(r); break;
      case 5: OpAgentClose(r, /*free=*/in.Chance(128)); break;
      case 6:
      case 7: OpConsentSet(r); break;
      case 8: OpConsentRead(r); break;
      case 9: OpListener(r); break;
      case 10: OpPolicy(r); break;
      case 11: OpPermission(r); break;
      case 12: OpSessionOpen(r, /*voice=*/true); break;
      case 13: OpSessionOpen(r, /*voice=*/false); break;
      case 14: OpCheck(r, /*voice=*/in.Chance(128)); break;
      case 15: OpSession(r, /*voice=*/in.Chance(160)); break;
      case 16: OpPushFrames(r); break;
      case 17: OpMuteOrDeviceError(r); break;
      case 18: OpPushFix(r); break;
      case 19:
      case 20: OpVault(r); break;
      case 21: OpExport(r); break;
      case 22: OpFreeBlock(r); break;
      default: OpNames(r); break;
    }
  }
  Finish(r);
  return 0;
}
