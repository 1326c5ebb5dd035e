#include "testing/device_harness.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "testing/status_matchers.h"

namespace tacet::testing {

using consent::ConsentState;
using consent::DecisionSource;

DeviceHarness::~DeviceHarness() { CloseAgent(); }

agent::AgentOptions DeviceHarness::Options() const {
  agent::AgentOptions options;
  options.data_dir = DataDir();
  options.lock_timeout_ms = 100;
  return options;
}

StatusOr<std::unique_ptr<agent::Agent>> DeviceHarness::Open(const agent::AgentOptions& options) {
  return agent::Agent::Open(options, device_.platform());
}

std::unique_ptr<agent::Agent> DeviceHarness::MustOpen(const agent::AgentOptions& options) {
  auto agent = Open(options);
  EXPECT_OK(agent.status());
  return agent.ok() ? *std::move(agent) : nullptr;
}

agent::Agent* DeviceHarness::agent() {
  if (agent_ == nullptr) agent_ = MustOpen();
  return agent_.get();
}

void DeviceHarness::Reopen() {
  CloseAgent();
  agent_ = MustOpen();
}

void DeviceHarness::CloseAgent() {
  if (agent_ == nullptr) return;
  EXPECT_OK(agent_->Close());
  agent_.reset();
}

void DeviceHarness::AllowVoice(agent::Agent& agent) {
  ASSERT_OK(agent.SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(agent.SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(device_.permissions().Set(platform::Permission::kMicrophone,
                                      platform::PermissionState::kGranted));
}

void DeviceHarness::GrantEverything(agent::Agent& agent) {
  for (const char* c : {"billing", "payment", "voice", "location", "contest_answers"}) {
    ASSERT_OK(agent.SetCategoryProvided(c, true, DecisionSource::kUser));
  }
  for (const char* p : {"voice_features", "location_features", "marketing_communications"}) {
    ASSERT_OK(agent.SetPurpose(p, ConsentState::kGranted, DecisionSource::kUser));
  }
  ASSERT_OK(agent.SetLocationPrecision(platform::LocationPrecision::kPrecise,
                                       DecisionSource::kUser));
}

std::unique_ptr<store::Database> DeviceHarness::Inspect() {
  store::OpenOptions options;
  options.read_only = true;
  auto db = store::Database::Open(DatabasePath(), options);
  EXPECT_OK(db.status());
  return db.ok() ? *std::move(db) : nullptr;
}

std::vector<gate::AccessLogEntry> DeviceHarness::AccessLogRows() {
  std::unique_ptr<store::Database> db = Inspect();
  if (db == nullptr) return {};
  auto rows = gate::ReadAccessLog(*db, 0, INT64_MAX);
  EXPECT_OK(rows.status());
  return rows.ok() ? *std::move(rows) : std::vector<gate::AccessLogEntry>{};
}

}  // namespace tacet::testing
