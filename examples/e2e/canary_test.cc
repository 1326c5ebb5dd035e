// The canary test of issue 10 ("Faults and bad input"): a device (an Agent on the posix platform,
// in this process) records distinctive personal values under the shipped policy and syncs through
// a real tacet-relay to a real tacet-collector. Two recording TCP proxies sit on the loopback
// hops (device -> relay, relay -> collector) and keep every byte both ways. Checked: no canary is
// in any captured byte; the collector's dump holds each canary only in the form each recipient may
// get (the value, its HMAC pseudonym, a coarsened position) and nothing for the others; values of a
// purpose the user did not grant (refused at record time, or revoked before the upload) are
// nowhere; the device folder's files (tacet.db, its -wal, the key store) hold no canary.
#include <signal.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "child_process.h"
#include "e2e_util.h"
#include "posix/posix_services.h"
#include "tcp_recorder.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::e2e {
namespace {

using consent::ConsentState;
using consent::DecisionSource;

constexpr char kEmail[] = "ada.canary.lovelace@example.org";
constexpr char kQuery[] = "canary query: lullabies for zebra unicorns";
constexpr char kPrecise[] = "48.858370,2.294481";
constexpr char kVoice[] = "play the canary-marmalade symphony";
// A purpose the user never granted (refused at record time) and one granted, recorded, then revoked.
constexpr char kNotGranted[] = "never.granted.canary@example.net";
constexpr char kRevoked[] = "revoked.canary@example.net";

outbox::Event Event(std::string purpose, std::string key, std::string value) {
  outbox::Event e;
  e.purpose = std::move(purpose);
  e.fields = {{std::move(key), std::move(value)}};
  e.occurred_unix_ms = 1'700'000'000'000;
  return e;
}

// What the collector stored for one field of one event.
struct Stored {
  std::string recipient, purpose, key, form, value;
};

std::vector<Stored> Flatten(const nlohmann::json& dump) {
  std::vector<Stored> out;
  for (const auto& b : dump["batches"]) {
    for (const auto& e : b["events"]) {
      for (const auto& [key, f] : e["fields"].items()) {
        out.push_back({b["recipient"].get<std::string>(), e["purpose"].get<std::string>(), key,
                       f["form"].get<std::string>(), f["value"].get<std::string>()});
      }
    }
  }
  return out;
}

bool IsLowerHex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(CanaryTest, PersonalValuesLeaveOnlyInTheirRecipientsFormAndNeverInPlaintext) {
  tacet::testing::TempDir dir;
  const std::string collector_dir = dir.File("collector"), relay_dir = dir.File("relay");

  // collector <- recorder (relay -> collector hop) <- relay <- recorder (device -> relay hop) <- device
  ASSERT_OK_AND_ASSIGN(net::ChildProcess collector,
                       net::ChildProcess::Start({TACET_COLLECTOR_PATH, "--state-dir", collector_dir},
                                                dir.File("collector.log")));
  ASSERT_OK_AND_ASSIGN(uint16_t collector_port, net::WaitForPortFile(collector_dir, 10000));
  ASSERT_OK_AND_ASSIGN(auto relay_hop, TcpRecorder::Start(collector_port));
  const std::string collector_pin = net::ReadTextFile(collector_dir + "/tls-spki.sha256").substr(0, 64);
  ASSERT_OK_AND_ASSIGN(
      net::ChildProcess relay,
      net::ChildProcess::Start({TACET_RELAY_PATH, "--state-dir", relay_dir, "--gateway",
                                "https://127.0.0.1:" + std::to_string(relay_hop->port()) + "/gateway",
                                "--gateway-spki", collector_pin},
                               dir.File("relay.log")));
  ASSERT_OK_AND_ASSIGN(uint16_t relay_port, net::WaitForPortFile(relay_dir, 10000));
  ASSERT_OK_AND_ASSIGN(auto device_hop, TcpRecorder::Start(relay_port));

  platform::PosixServices services;
  agent::AgentOptions options;
  options.data_dir = dir.File("device");
  options.sync.key_config = tacet::testing::ReadFileOrDie(collector_dir + "/key-config.bin");
  options.sync.url = "https://127.0.0.1:" + std::to_string(device_hop->port()) + "/relay";
  options.sync.spki_sha256_pins = {PinOf(relay_dir)};
  options.sync.timeout_ms = 5000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<agent::Agent> device, agent::Agent::Open(options, services.platform()));

  ASSERT_OK(device->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(device->SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(device->SetLocationPrecision(platform::LocationPrecision::kPrecise, DecisionSource::kUser));
  for (const char* p : {"advertising", "location_features", "location_advertising", "voice_features",
                        "marketing_communications"}) {
    ASSERT_OK(device->SetPurpose(p, ConsentState::kGranted, DecisionSource::kUser));
  }

  // provide_service (contract): the e-mail address goes as it is to the controller, the service
  // providers and the group companies (their grants have no transform), to nobody else.
  ASSERT_OK(device->Record(Event("provide_service", "contact.email_address", kEmail)).status());
  // advertising: the query as it is to the controller, pseudonymised to the advertising partners.
  // Recorded twice: a pseudonym is a function of the value (the same both times).
  ASSERT_OK(device->Record(Event("advertising", "usage.search_queries", kQuery)).status());
  ASSERT_OK(device->Record(Event("advertising", "usage.search_queries", kQuery)).status());
  // location_advertising: precise to the controller, coarsened to the advertising partners.
  ASSERT_OK(device->Record(Event("location_advertising", "location.precise_location", kPrecise)).status());
  // voice_features: the on-device intent, to the controller only.
  ASSERT_OK(device->Record(Event("voice_features", "voice.voice_commands", kVoice)).status());
  // Granted, recorded, then revoked before any upload: purged with the revocation.
  ASSERT_OK(device->Record(Event("marketing_communications", "contact.email_address", kRevoked)).status());
  ASSERT_OK(device->SetPurpose("marketing_communications", ConsentState::kDenied, DecisionSource::kUser));
  // Never granted (a denied consent purpose): refused, nothing stored.
  EXPECT_EQ(device->Record(Event("marketing_communications", "contact.email_address", kNotGranted)).status().code(),
            StatusCode::kPermissionDenied);

  ASSERT_OK_AND_ASSIGN(sync::RoundResult round, device->SyncNow());
  EXPECT_GT(round.batches_sent, 0);
  EXPECT_EQ(round.batches_acknowledged, round.batches_sent);
  EXPECT_EQ(round.batches_rejected, 0);
  EXPECT_EQ(round.batches_pending, 0);
  ASSERT_OK_AND_ASSIGN(outbox::OutboxCounts counts, device->RecordCounts());
  EXPECT_EQ(counts.queued, 0);
  EXPECT_EQ(counts.purged_by_consent, 1);
  EXPECT_EQ(counts.refused, 1);

  const std::vector<std::string> canaries = {kEmail, kQuery, kPrecise, kVoice, kNotGranted, kRevoked};

  // The device's files, while the agent is open (the -wal is there) and after it closed.
  auto check_device_files = [&](const char* when) {
    std::vector<std::pair<std::string, Bytes>> files;
    ReadTree(options.data_dir, &files);
    bool saw_db = false;
    for (const auto& [path, bytes] : files) {
      saw_db |= path == options.data_dir + "/tacet.db";
      for (const std::string& c : canaries) EXPECT_FALSE(Contains(bytes, c)) << when << ": " << c << " in " << path;
    }
    EXPECT_TRUE(saw_db) << when;
  };
  check_device_files("agent open");
  ASSERT_OK(device->Close());
  device.reset();
  check_device_files("agent closed");

  ASSERT_TRUE(relay.Signal(SIGTERM));
  ASSERT_TRUE(collector.Signal(SIGTERM));
  for (net::ChildProcess* p : {&relay, &collector}) {
    const std::optional<int> status = p->Wait(10000);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  }
  device_hop->Stop();
  relay_hop->Stop();

  // The wire: traffic went both ways on both hops (TLS records: content type 0x16/0x17, version
  // 3.3), and no canary is in any byte of it.
  const std::vector<std::pair<const char*, Bytes>> wire = {
      {"device -> relay", device_hop->client_to_upstream()}, {"relay -> device", device_hop->upstream_to_client()},
      {"relay -> collector", relay_hop->client_to_upstream()}, {"collector -> relay", relay_hop->upstream_to_client()}};
  EXPECT_GE(device_hop->connections(), 1);
  EXPECT_GE(relay_hop->connections(), 1);
  for (const auto& [hop, bytes] : wire) {
    ASSERT_GT(bytes.size(), 100u) << hop;
    EXPECT_EQ(bytes[0], 0x16) << hop << ": not a TLS handshake record";
    for (const std::string& c : canaries) EXPECT_FALSE(Contains(bytes, c)) << hop << " carries " << c;
  }

  // The collector's dump.
  const nlohmann::json dump = DumpCollector(TACET_COLLECTOR_PATH, collector_dir, dir.File("dump.json"));
  ASSERT_TRUE(dump.contains("batches"));
  const std::vector<Stored> stored = Flatten(dump);
  std::map<std::string, std::vector<Stored>> by_value;  // canary or pseudonym -> where it is
  std::set<std::string> recipients;
  for (const Stored& s : stored) {
    recipients.insert(s.recipient);
    by_value[s.value].push_back(s);
    // Granted-then-revoked and never-granted values: nowhere, in any form the test can see.
    EXPECT_EQ(s.value.find("canary@example.net"), std::string::npos) << s.recipient;
    EXPECT_NE(s.purpose, "marketing_communications") << s.recipient;
  }
  const std::string text = dump.dump();
  EXPECT_EQ(text.find(kNotGranted), std::string::npos);
  EXPECT_EQ(text.find(kRevoked), std::string::npos);

  auto recipients_of = [&](const std::string& value) {
    std::multiset<std::string> r;
    for (const Stored& s : by_value[value]) r.insert(s.recipient);
    return r;
  };
  // E-mail: as it is, once each, to exactly the three recipients whose grants name it.
  EXPECT_EQ(recipients_of(kEmail),
            (std::multiset<std::string>{"controller", "group_companies", "service_providers"}));
  for (const Stored& s : by_value[kEmail]) EXPECT_EQ(s.form, "as_collected") << s.recipient;
  // Query: as it is (twice, one per event) to the controller only.
  EXPECT_EQ(recipients_of(kQuery), (std::multiset<std::string>{"controller", "controller"}));
  // Location: precise to the controller only.
  EXPECT_EQ(recipients_of(kPrecise), (std::multiset<std::string>{"controller"}));
  // Voice intent: the controller only.
  EXPECT_EQ(recipients_of(kVoice), (std::multiset<std::string>{"controller"}));

  // The advertising partners: the query as 32 hex digits (16 bytes of HMAC), the same pseudonym
  // for both events; the position coarsened: not the precise one, but within a ~2 km cell of it.
  std::vector<Stored> partner;
  for (const Stored& s : stored) {
    if (s.recipient == "advertising_partners") partner.push_back(s);
  }
  std::set<std::string> pseudonyms;
  int positions = 0;
  for (const Stored& s : partner) {
    if (s.key == "usage.search_queries") {
      EXPECT_EQ(s.form, "pseudonymised");
      EXPECT_EQ(s.value.size(), 32u) << s.value;
      EXPECT_TRUE(IsLowerHex(s.value)) << s.value;
      pseudonyms.insert(s.value);
    } else if (s.key == "location.precise_location") {
      ++positions;
      EXPECT_EQ(s.form, "coarsened");
      EXPECT_NE(s.value, kPrecise);
      const size_t comma = s.value.find(',');
      ASSERT_NE(comma, std::string::npos) << s.value;
      const double lat = std::atof(s.value.substr(0, comma).c_str());
      const double lon = std::atof(s.value.substr(comma + 1).c_str());
      EXPECT_LT(std::fabs(lat - 48.858370), 0.05) << s.value;
      EXPECT_LT(std::fabs(lon - 2.294481), 0.05) << s.value;
      EXPECT_TRUE(std::fabs(lat - 48.858370) > 1e-6 || std::fabs(lon - 2.294481) > 1e-6) << s.value;
    } else {
      ADD_FAILURE() << "advertising_partners got " << s.key;
    }
  }
  EXPECT_EQ(partner.size(), 3u);
  EXPECT_EQ(positions, 1);
  ASSERT_EQ(pseudonyms.size(), 1u);
  const std::string pseudonym = *pseudonyms.begin();
  EXPECT_EQ(recipients_of(pseudonym), (std::multiset<std::string>{"advertising_partners", "advertising_partners"}));
  // Nobody the shipped policy gives none of these to received anything.
  EXPECT_EQ(recipients, (std::set<std::string>{"advertising_partners", "controller", "group_companies",
                                               "service_providers"}));
  // The pseudonym is not on the wire either (it travels sealed).
  for (const auto& [hop, bytes] : wire) EXPECT_FALSE(Contains(bytes, pseudonym)) << hop;
}

}  // namespace
}  // namespace tacet::e2e
