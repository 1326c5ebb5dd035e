// Test helpers shared by collector_test and relay_test: the device's side of one upload (a wire
// batch in a Binary HTTP POST, sealed with Oblivious HTTP to the collector's key configuration)
// and the opening of the acknowledgement. Header-only; tests only.
#ifndef TACET_EXAMPLES_COLLECTOR_COLLECTOR_TEST_UTIL_H_
#define TACET_EXAMPLES_COLLECTOR_COLLECTOR_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "base/status.h"
#include "collector.h"
#include "crypto/drbg.h"
#include "posix/posix_entropy.h"
#include "sealer/bhttp.h"
#include "sealer/ohttp.h"
#include "store/database.h"
#include "sync/batch.h"

namespace tacet::collector::testing {

// Distinctive values: they must reach the database and the dump, and never the log.
inline constexpr char kCanaryPseudonym[] = "c0ffee00c0ffee00c0ffee00c0ffee00";
inline constexpr char kCanaryTrack[] = "track-canary-7731";

// A batch of two events (one with a pseudonymised and an as-collected field) for
// "music_industry_partners"; `id_seed` makes its batch id.
inline sync::Batch SampleBatch(uint8_t id_seed) {
  sync::Batch b;
  b.batch_id = Bytes(sync::kBatchIdSize, id_seed);
  b.recipient = "music_industry_partners";
  b.policy_id = "speaker-policy";
  b.policy_version = 3;
  b.subject = Bytes(16, 0x5a);
  minimise::MinimisedEvent play;
  play.purpose = "royalty_reporting";
  play.time_s = 1'700'000'000 - 1'700'000'000 % 3600;
  play.fields = {{"usage.track_id", kCanaryTrack, policy::Transform::kNone},
                 {"contact.email", kCanaryPseudonym, policy::Transform::kPseudonymise}};
  minimise::MinimisedEvent second = play;
  second.time_s += 3600;
  second.fields = {{"usage.track_id", "track-2", policy::Transform::kNone}};
  b.events = {play, second};
  return b;
}

class DeviceSide {
 public:
  DeviceSide() {
    auto drbg = crypto::Drbg::Create(entropy_, "collector test device");
    EXPECT_TRUE(drbg.ok()) << drbg.status().ToString();
    if (drbg.ok()) drbg_ = std::move(*drbg);
  }

  // A BHTTP request carrying `content`.
  static Bytes Request(const Bytes& content, const std::string& method = "POST",
                       const std::string& path = kBatchesPath, const std::string& content_type = kBatchMediaType) {
    sealer::BhttpRequest r;
    r.method = method;
    r.scheme = "https";
    r.authority = "collector.tacet.invalid";
    r.path = path;
    r.headers = {{"content-type", content_type}};
    r.content = content;
    auto encoded = sealer::EncodeBhttpRequest(r);
    EXPECT_TRUE(encoded.ok()) << encoded.status().ToString();
    return encoded.ok() ? *encoded : Bytes{};
  }

  static Bytes Wire(const sync::Batch& batch) {
    auto wire = sync::EncodeBatch(batch);
    EXPECT_TRUE(wire.ok()) << wire.status().ToString();
    return wire.ok() ? *wire : Bytes{};
  }

  // Seals `plaintext` (normally a BHTTP request) to the configuration `key_config` (its bytes).
  std::unique_ptr<sealer::OhttpClientRequest> Seal(ByteView key_config, const Bytes& plaintext,
                                                   crypto::HpkeAead aead = crypto::HpkeAead::kAes128Gcm) {
    auto config = sealer::ParseKeyConfig(key_config);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    if (!config.ok()) return nullptr;
    return SealTo(*config, plaintext, aead);
  }
  std::unique_ptr<sealer::OhttpClientRequest> SealTo(const sealer::OhttpKeyConfig& config, const Bytes& plaintext,
                                                     crypto::HpkeAead aead = crypto::HpkeAead::kAes128Gcm) {
    auto sealed = sealer::EncapsulateRequest(config, aead, plaintext, *drbg_);
    EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
    if (!sealed.ok()) return nullptr;
    return std::make_unique<sealer::OhttpClientRequest>(std::move(*sealed));
  }
  std::unique_ptr<sealer::OhttpClientRequest> SealBatch(ByteView key_config, const sync::Batch& batch) {
    return Seal(key_config, Request(Wire(batch)));
  }

  crypto::Drbg& drbg() { return *drbg_; }

 private:
  platform::PosixEntropy entropy_;
  std::unique_ptr<crypto::Drbg> drbg_;
};

// Opens an encapsulated response into its BHTTP response.
inline StatusOr<sealer::BhttpResponse> OpenInner(const sealer::OhttpClientRequest& sent, ByteView body) {
  TACET_ASSIGN_OR_RETURN(Bytes plain, sent.context.OpenResponse(body));
  return sealer::DecodeBhttpResponse(plain, 1 << 20);
}

inline std::string InnerHeader(const sealer::BhttpResponse& r, const std::string& name) {
  for (const auto& f : r.headers) {
    if (f.name == name) return f.value;
  }
  return "";
}

// Rows in `table` of DIR/collector.db, through a connection of the test's own.
inline int64_t CountRows(const std::string& state_dir, const std::string& table) {
  store::OpenOptions o;
  o.create_if_missing = false;
  auto db = store::Database::Open(state_dir + "/collector.db", o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return -1;
  auto count = (*db)->Prepare("SELECT count(*) FROM " + table);
  EXPECT_TRUE(count.ok()) << count.status().ToString();
  if (!count.ok()) return -1;
  auto row = count->Step();
  EXPECT_TRUE(row.ok() && *row);
  return count->ColumnInt64(0);
}

}  // namespace tacet::collector::testing

#endif  // TACET_EXAMPLES_COLLECTOR_COLLECTOR_TEST_UTIL_H_
