// Two processes writing one consent ledger's database (issue 8, item 6): every change commits,
// the sequence stays contiguous and the chain and its keyed head verify.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "agent/device_schema.h"
#include "consent/consent_ledger.h"
#include "consent/consent_test_util.h"
#include "crypto/crypto_test_util.h"
#include "posix/file_key_store.h"
#include "posix/posix_clock.h"
#include "store/database.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::consent {
namespace {

constexpr int kChangesPerProcess = 200;  // 100 grants and 100 denies, alternating

struct Device {
  std::unique_ptr<platform::FileKeyStore> keys;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<ConsentLedger> ledger;
};

// Opens the device folder as a process of its own would: its own connection, key store handle
// and ledger.
StatusOr<Device> OpenDevice(const std::string& dir, platform::Clock& clock) {
  Device d;
  TACET_ASSIGN_OR_RETURN(d.keys, platform::FileKeyStore::Open(dir + "/keys"));
  store::OpenOptions options;
  options.schema = &agent::DeviceSchema();
  TACET_ASSIGN_OR_RETURN(d.db, store::Database::Open(dir + "/device.db", options));
  auto policy = policy::Policy::LoadEmbedded();
  if (!policy.ok()) return policy.status();
  TACET_ASSIGN_OR_RETURN(d.ledger, ConsentLedger::Open(*d.db, *policy, clock, *d.keys,
                                                       crypto::testing::TestDrbg()));
  return d;
}

ConsentState NthState(int i) { return i % 2 == 0 ? ConsentState::kGranted : ConsentState::kDenied; }

// The child's whole life: waits for the start signal, makes its changes, checks its last one is
// visible, and reports the number of failures as its exit status. No gtest macros in here.
[[noreturn]] void RunWriter(const std::string& dir, int start_fd, bool purpose) {
  char go;
  if (::read(start_fd, &go, 1) != 1) ::_exit(100);
  platform::PosixClock clock;
  StatusOr<Device> device = OpenDevice(dir, clock);
  if (!device.ok()) {
    std::fprintf(stderr, "child open: %s\n", device.status().ToString().c_str());
    ::_exit(101);
  }
  ConsentLedger& ledger = *device->ledger;
  int failures = 0;
  for (int i = 0; i < kChangesPerProcess; ++i) {
    const Status s = purpose ? ledger.SetPurpose("advertising", NthState(i), DecisionSource::kUser)
                             : ledger.SetChannel("email", NthState(i), DecisionSource::kUser);
    if (!s.ok()) {
      std::fprintf(stderr, "child change %d: %s\n", i, s.ToString().c_str());
      ++failures;
    }
  }
  const ConsentSnapshot& s = ledger.snapshot();
  const ConsentState last = purpose ? s.purpose(s.PurposeIndex("advertising"))
                                    : s.channel(s.ChannelIndex("email"));
  if (last != NthState(kChangesPerProcess - 1)) ++failures;
  ::_exit(failures > 99 ? 99 : failures);
}

TEST(ConsentMultiprocessTest, TwoProcessesLoseNoChange) {
  tacet::testing::TempDir dir;
  {
    // The device folder exists before the writers start (the store's own first-open race is not
    // what this test is about).
    platform::PosixClock clock;
    ASSERT_OK_AND_ASSIGN(Device setup, OpenDevice(dir.path(), clock));
  }
  int start[2];
  ASSERT_EQ(::pipe(start), 0);
  pid_t children[2];
  for (int c = 0; c < 2; ++c) {
    children[c] = ::fork();
    ASSERT_GE(children[c], 0);
    if (children[c] == 0) {
      ::close(start[1]);
      RunWriter(dir.path(), start[0], /*purpose=*/c == 0);
    }
  }
  ::close(start[0]);
  ASSERT_EQ(::write(start[1], "gg", 2), 2);  // both start at once
  ::close(start[1]);
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "failed or lost changes in process " << child;
  }

  platform::PosixClock clock;
  ASSERT_OK_AND_ASSIGN(Device d, OpenDevice(dir.path(), clock));
  ASSERT_OK_AND_ASSIGN(auto history, d.ledger->History());
  ASSERT_EQ(history.size(), 2u * kChangesPerProcess);
  std::map<std::string, int> per_subject;
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].seq, static_cast<int64_t>(i + 1));
    ++per_subject[history[i].subject];
  }
  EXPECT_EQ(per_subject["purpose:advertising"], kChangesPerProcess);
  EXPECT_EQ(per_subject["channel:email"], kChangesPerProcess);
  EXPECT_OK(d.ledger->Verify());
  const ConsentSnapshot& s = d.ledger->snapshot();
  EXPECT_EQ(s.purpose(s.PurposeIndex("advertising")), NthState(kChangesPerProcess - 1));
  EXPECT_EQ(s.channel(s.ChannelIndex("email")), NthState(kChangesPerProcess - 1));
}

}  // namespace
}  // namespace tacet::consent
