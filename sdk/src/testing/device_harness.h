// The one device harness for tests: a tacet::agent::Agent, the composition root every client
// uses, on an emulated device (virtual clock and scheduler, in-memory key store, scripted
// microphone, location and OS permissions: emulator/emulated_device.h) in a temporary folder.
// Tests that need "a device" (a database with the consent ledger, audit log, vault and gates)
// get it here rather than wiring modules by hand; only a module's own unit tests build that
// module themselves.
//
//   tacet::testing::DeviceHarness h;
//   ASSERT_NE(h.agent(), nullptr);                        // opened on first use
//   h.GrantEverything(*h.agent());
//   ASSERT_OK(h.agent()->SetValue("name", "full_name", "Ada", vault::ChangeSource::kUser));
//   h.device().AdvanceBy(60'000);                         // virtual time; runs scheduled work
//
// Tests of the Agent itself open their own agents with Open / MustOpen and the options they need.
// Threads: like the tests that use it, one thread drives the harness.
// Link tacet_device_harness.
#ifndef TACET_TESTING_DEVICE_HARNESS_H_
#define TACET_TESTING_DEVICE_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "base/status.h"
#include "emulator/emulated_device.h"
#include "gate/access_log.h"
#include "store/database.h"
#include "testing/test_util.h"

namespace tacet::testing {

class DeviceHarness {
 public:
  DeviceHarness() = default;
  // Closes the harness's own agent, then the device (the agent must go first: it uses the
  // device's services).
  ~DeviceHarness();
  DeviceHarness(const DeviceHarness&) = delete;
  DeviceHarness& operator=(const DeviceHarness&) = delete;

  // The folder "<temp>/device" (created by the first open), a 100 ms lock timeout; everything
  // else as AgentOptions' defaults.
  agent::AgentOptions Options() const;
  // Agent::Open on this device's platform, as is.
  StatusOr<std::unique_ptr<agent::Agent>> Open(const agent::AgentOptions& options);
  // The agent, or null after failing the calling test.
  std::unique_ptr<agent::Agent> MustOpen(const agent::AgentOptions& options);
  std::unique_ptr<agent::Agent> MustOpen() { return MustOpen(Options()); }

  // The harness's own agent on Options(), opened on first use; null (the test has failed) when
  // it cannot be opened. Valid until Reopen, CloseAgent or the harness's destruction.
  agent::Agent* agent();
  // A process restart: the agent is closed and opened again on the same folder and device.
  void Reopen();
  // Closes and destroys the harness's own agent (if open).
  void CloseAgent();

  // Consent for voice capture: category voice provided, voice_features granted, and the OS
  // microphone permission.
  void AllowVoice(agent::Agent& agent);
  // Consent to everything the vault can hold: the optional categories provided, the consent
  // purposes granted, precise location.
  void GrantEverything(agent::Agent& agent);

  // A read-only connection of its own to the device database, for tests that look at rows the
  // API does not show. The agent may stay open.
  std::unique_ptr<store::Database> Inspect();
  // The capture access log as stored (through Inspect).
  std::vector<gate::AccessLogEntry> AccessLogRows();

  platform::EmulatedDevice& device() { return device_; }
  // A path in the harness's temporary directory (beside the device folder, not in it).
  std::string File(const std::string& name) const { return dir_.File(name); }
  std::string DataDir() const { return dir_.File("device"); }
  std::string DatabasePath() const { return dir_.File("device/tacet.db"); }

 private:
  TempDir dir_;
  platform::EmulatedDevice device_;
  std::unique_ptr<agent::Agent> agent_;  // declared last: destroyed before the device
};

}  // namespace tacet::testing

#endif  // TACET_TESTING_DEVICE_HARNESS_H_
