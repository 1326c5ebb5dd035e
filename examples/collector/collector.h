// tacet::collector::Collector: the reference Oblivious Gateway (RFC 9458) of Tacet's sync
// (issue 10, docs/collector.md). It opens encapsulated requests sealed to its key, reads the
// Binary HTTP POST /v1/batches inside, decodes the wire batch (sync::DecodeBatch), stores it once
// per batch id in its own SQLite database and answers with an encapsulated acknowledgement: a
// Binary HTTP 200 whose content is batch_id (16 bytes) || disposition (0 stored now, 1 duplicate).
// The statuses it answers, outer and inner, are listed in docs/collector.md and in Handle below.
//
// State folder (created 0700 when missing; everything is reused on the next Open):
//   gateway-key.bin   the X25519 private key of OHTTP key id 1: exactly 32 bytes, mode 0600 (a
//                     file group or others may read is refused), read with checked lengths and
//                     kept in crypto::SecretBytes (wiped when the Collector is destroyed)
//   key-config.bin    its key configuration (RFC 9458 §3.1, EncodeKeyConfig): what devices pin
//   tls-cert.pem, tls-key.pem, tls-spki.sha256   see net::LoadOrCreateTlsCredentials
//   collector.db      the batches, their events and fields, and deletion requests
//
// Threads: Handle may be called from several threads at once (HttpsServer calls it from one
// thread per connection); storage is serialised by a mutex, and the batch id is UNIQUE in the
// database and checked inside the storing transaction, so two deliveries of one batch, even to two
// Collectors on the same folder, store it once. Logging never names field values.
#ifndef TACET_EXAMPLES_COLLECTOR_COLLECTOR_H_
#define TACET_EXAMPLES_COLLECTOR_COLLECTOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/drbg.h"
#include "https_server.h"
#include "posix/posix_entropy.h"
#include "sealer/ohttp.h"
#include "store/database.h"
#include "tls_credentials.h"

namespace tacet::collector {

// Media types and paths of the sync contract (docs/collector.md).
inline constexpr char kGatewayPath[] = "/gateway";
inline constexpr char kKeysPath[] = "/ohttp-keys";
inline constexpr char kBatchesPath[] = "/v1/batches";
inline constexpr char kBatchMediaType[] = "application/vnd.tacet.batch";
inline constexpr char kAckMediaType[] = "application/vnd.tacet.ack";
inline constexpr char kKeysMediaType[] = "application/ohttp-keys";
inline constexpr char kProblemMediaType[] = "application/problem+json";
inline constexpr char kKeyProblemType[] = "https://iana.org/assignments/http-problem-types#ohttp-key";
inline constexpr uint8_t kGatewayKeyId = 1;
inline constexpr size_t kAckSize = 17;  // batch id (16) || disposition (1)
inline constexpr uint8_t kDispositionStored = 0;
inline constexpr uint8_t kDispositionDuplicate = 1;
// Seconds a device is asked to wait (Retry-After) when the database cannot store now.
inline constexpr int kRetryAfterSeconds = 5;

struct CollectorOptions {
  // Largest encapsulated request accepted (413 above it); also the cap of the Binary HTTP message
  // and of the batch inside.
  size_t max_body_bytes = 1 << 20;
  // Extra name for the TLS certificate (besides 127.0.0.1 and localhost) when it is generated.
  std::string host_name;
  // Recipients served; empty: any non-empty recipient id. Another recipient is refused (422).
  std::vector<std::string> recipients;
  // How long storing waits for another connection's write lock before answering 503.
  int busy_timeout_ms = 2000;
  // One line per request (see Handle); nullptr: no log. Called from Handle's thread.
  std::function<void(std::string_view line)> log;
  // Unix seconds for received_at; nullptr: the system clock.
  std::function<int64_t()> now_unix_s;
};

class Collector {
 public:
  // Creates or reuses the state folder (see the file comment). Errors: kInvalidArgument /
  // kPermissionDenied naming a state file that is malformed (a key that is not 32 bytes, a key
  // configuration that does not parse or does not match the key) or not private;
  // kFailedPrecondition for key-config.bin without gateway-key.bin (the key is not regenerated:
  // devices pinned the old configuration); the database's errors. Nothing stored is changed.
  static StatusOr<std::unique_ptr<Collector>> Open(const std::string& state_dir, CollectorOptions options);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Answers one HTTP request (thread-safe):
  //   POST /gateway, message/ohttp-req   200 message/ohttp-res (an encapsulated inner response), or
  //                                      400 text/plain (does not open), 400 problem+json (key id
  //                                      unknown, or an algorithm not offered), 413, 415
  //   GET /ohttp-keys                    200 application/ohttp-keys
  //   other methods on those paths 405, other paths 404.
  // Inner responses: 200 ack; 400 not a Binary HTTP request or a batch that does not decode; 404 /
  // 405 a request other than POST /v1/batches; 415 content other than application/vnd.tacet.batch;
  // 422 a batch that decodes but is unacceptable; 503 (retry-after) when it cannot be stored now.
  // Logs one line: peer=<ip:port> status=<outer>/<inner or -> batch=<hex or -> events=<n>
  // deletions=<n> result=<word>.
  net::HttpResponse Handle(const net::HttpRequest& request);

  // Writes everything stored as JSON (docs/collector.md) to `path` (replaced).
  Status Dump(const std::string& path);

  // The key configuration devices pin (key-config.bin) and the published application/ohttp-keys.
  const Bytes& key_config() const { return key_config_; }
  const Bytes& key_config_list() const { return gateway_->key_configs(); }
  // The TLS certificate and key for the HTTPS server (the key is wiped with the Collector).
  const net::TestCredentials& tls() const { return tls_; }
  const CollectorOptions& options() const { return options_; }
  const std::string& state_dir() const { return state_dir_; }

 private:
  struct Outcome;
  Collector(std::string state_dir, CollectorOptions options) : state_dir_(std::move(state_dir)), options_(std::move(options)) {}
  net::HttpResponse HandleGateway(const net::HttpRequest& request, Outcome* outcome);
  // True when stored now, false when the batch id was already stored.
  struct StoreInput;
  StatusOr<bool> Store(const StoreInput& input);
  int64_t Now() const;

  const std::string state_dir_;
  const CollectorOptions options_;
  platform::PosixEntropy entropy_;
  std::unique_ptr<crypto::Drbg> drbg_;  // thread-safe
  std::unique_ptr<sealer::OhttpGateway> gateway_;  // immutable after Open: thread-safe
  Bytes key_config_;
  net::TestCredentials tls_;
  std::mutex db_mu_;
  std::unique_ptr<store::Database> db_;  // guarded by db_mu_
};

}  // namespace tacet::collector

#endif  // TACET_EXAMPLES_COLLECTOR_COLLECTOR_H_
