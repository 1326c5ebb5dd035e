// An emulated device with the real consent ledger, access log and both gates, on a database file
// that survives Reopen() (a process restart). For the gate tests only.
#ifndef TACET_GATE_GATE_TEST_UTIL_H_
#define TACET_GATE_GATE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consent/consent_ledger.h"
#include "crypto/drbg.h"
#include "emulator/emulated_device.h"
#include "gate/access_log.h"
#include "gate/location_gate.h"
#include "gate/permission_fanout.h"
#include "gate/voice_gate.h"
#include "policy/policy.h"
#include "store/database.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::gate::testing {

using consent::ConsentState;
using consent::DecisionSource;
using platform::LocationPrecision;
using platform::Permission;
using platform::PermissionState;

// The consent module's steps followed by the gate module's, renumbered into one device schema,
// as the coordinator assembles it.
inline const store::Schema& DeviceSchema() {
  static const store::Schema* schema = [] {
    auto* s = new store::Schema{"device", {}};
    for (const auto& group : {consent::ConsentMigrations(), GateMigrations()}) {
      for (store::Migration m : group) {
        m.to_version = static_cast<int>(s->migrations.size()) + 1;
        s->migrations.push_back(m);
      }
    }
    return s;
  }();
  return *schema;
}

class GateHarness {
 public:
  GateHarness() {
    auto policy = policy::Policy::LoadEmbedded();
    EXPECT_OK(policy.status());
    policy_ = *policy;
    auto drbg = crypto::Drbg::Create(device_.entropy(), "gate test");
    EXPECT_OK(drbg.status());
    drbg_ = *std::move(drbg);
    Open();
  }
  ~GateHarness() { Close(); }

  // Like a process restart: everything but the device (the hardware) and the file goes away.
  void Reopen() {
    Close();
    Open();
  }

  void Open() {
    store::OpenOptions options;
    options.schema = &DeviceSchema();
    auto ledger_db = store::Database::Open(path(), options);
    ASSERT_OK(ledger_db.status());
    ledger_db_ = *std::move(ledger_db);
    // The access log gets a connection of its own (store::Database needs serialised use).
    auto log_db = store::Database::Open(path(), options);
    ASSERT_OK(log_db.status());
    log_db_ = *std::move(log_db);
    auto ledger = consent::ConsentLedger::Open(*ledger_db_, policy_, device_.clock(),
                                               device_.key_store(), *drbg_);
    ASSERT_OK(ledger.status());
    ledger_ = *std::move(ledger);
    auto log = AccessLog::Open(*log_db_);
    ASSERT_OK(log.status());
    log_ = *std::move(log);
    voice_ = std::make_unique<VoiceGate>(*ledger_, device_.microphone(), device_.permissions(),
                                         device_.clock(), *log_);
    location_ = std::make_unique<LocationGate>(*ledger_, device_.location(), device_.permissions(),
                                               device_.clock(), *log_);
    fanout_ = std::make_unique<PermissionFanout>(
        std::initializer_list<platform::PermissionListener*>{voice_.get(), location_.get()});
    if (register_permission_listener_) device_.permissions().SetListener(fanout_.get());
  }
  void Close() {
    device_.permissions().SetListener(nullptr);
    fanout_.reset();
    location_.reset();
    voice_.reset();
    log_.reset();
    ledger_.reset();
    log_db_.reset();
    ledger_db_.reset();
  }

  // For the test that proves the per-frame check alone keeps the bound.
  void UnregisterPermissionListener() {
    register_permission_listener_ = false;
    device_.permissions().SetListener(nullptr);
  }

  // The user says yes to voice: provides voice data, grants voice_features; the OS allows the mic.
  void AllowVoice() {
    ASSERT_OK(ledger_->SetCategoryProvided("voice", true, DecisionSource::kUser));
    ASSERT_OK(ledger_->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
    ASSERT_OK(device_.permissions().Set(Permission::kMicrophone, PermissionState::kGranted));
  }
  void AllowLocation(LocationPrecision user, LocationPrecision os) {
    ASSERT_OK(ledger_->SetCategoryProvided("location", true, DecisionSource::kUser));
    ASSERT_OK(ledger_->SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
    ASSERT_OK(ledger_->SetLocationPrecision(user, DecisionSource::kUser));
    ASSERT_OK(device_.permissions().Set(Permission::kLocation, PermissionState::kGranted, os));
  }

  // Runs `action` on the emulator thread at virtual time `at_ms`.
  void At(int64_t at_ms, std::function<void()> action) {
    device_.scheduler().ScheduleAtNanos(at_ms * 1000000, std::move(action));
  }

  std::vector<AccessLogEntry> Log() {
    auto entries = log_->Entries(0, INT64_MAX);
    EXPECT_OK(entries.status());
    return entries.ok() ? *entries : std::vector<AccessLogEntry>{};
  }

  std::string path() const { return dir_.File("device.db"); }
  platform::EmulatedDevice& device() { return device_; }
  consent::ConsentLedger& ledger() { return *ledger_; }
  AccessLog& log() { return *log_; }
  VoiceGate& voice() { return *voice_; }
  LocationGate& location() { return *location_; }
  int64_t start_unix_ms() const { return platform::kEmulatorEpochUnixMillis; }

 private:
  tacet::testing::TempDir dir_;
  platform::EmulatedDevice device_;
  std::unique_ptr<crypto::Drbg> drbg_;
  std::shared_ptr<const policy::Policy> policy_;
  bool register_permission_listener_ = true;
  std::unique_ptr<store::Database> ledger_db_, log_db_;
  std::unique_ptr<consent::ConsentLedger> ledger_;
  std::unique_ptr<AccessLog> log_;
  std::unique_ptr<VoiceGate> voice_;
  std::unique_ptr<LocationGate> location_;
  std::unique_ptr<PermissionFanout> fanout_;
};

// Records what a voice session's sink receives; checks the sink contract as it goes.
class RecordingVoiceSink : public VoiceFrameSink {
 public:
  void OnVoiceFrame(const platform::AudioFrame& frame) override {
    if (ended_calls_.load() != 0) frame_after_end_ = true;
    if (in_call_.exchange(true)) overlapping_calls_ = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      capture_ns_.push_back(frame.capture_monotonic_ns);
    }
    frames_.fetch_add(1);
    if (on_frame) on_frame(frames_.load());
    in_call_.store(false);
  }
  void OnSessionEnded(EndReason reason) override {
    if (in_call_.exchange(true)) overlapping_calls_ = true;
    reason_.store(reason);
    ended_calls_.fetch_add(1);
    in_call_.store(false);
  }

  int frames() const { return frames_.load(); }
  int ended_calls() const { return ended_calls_.load(); }
  EndReason reason() const { return reason_.load(); }
  bool contract_kept() const { return !frame_after_end_.load() && !overlapping_calls_.load(); }
  std::vector<int64_t> capture_ns() {
    std::lock_guard<std::mutex> lock(mu_);
    return capture_ns_;
  }

  std::function<void(int frames)> on_frame;  // runs on the audio thread, inside OnVoiceFrame

 private:
  std::atomic<int> frames_{0};
  std::atomic<int> ended_calls_{0};
  std::atomic<EndReason> reason_{EndReason::kNone};
  std::atomic<bool> in_call_{false}, frame_after_end_{false}, overlapping_calls_{false};
  std::mutex mu_;
  std::vector<int64_t> capture_ns_;
};

// Records what a location session's sink receives. Single-threaded use (the emulator thread),
// except `on_fix`, which a test may use to act from inside a delivery.
class RecordingLocationSink : public LocationFixSink {
 public:
  void OnLocationFix(const platform::LocationFix& fix, LocationPrecision precision) override {
    if (ended_calls > 0) fix_after_end = true;
    fixes.push_back(fix);
    precisions.push_back(precision);
    if (on_fix) on_fix(static_cast<int>(fixes.size()));
  }
  void OnSessionEnded(EndReason r) override {
    ++ended_calls;
    reason = r;
  }
  std::vector<platform::LocationFix> fixes;
  std::vector<LocationPrecision> precisions;
  int ended_calls = 0;
  EndReason reason = EndReason::kNone;
  bool fix_after_end = false;
  std::function<void(int fixes)> on_fix;  // runs on the provider thread, inside OnLocationFix
};

}  // namespace tacet::gate::testing

#endif  // TACET_GATE_GATE_TEST_UTIL_H_
