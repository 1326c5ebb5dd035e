// TestGateway: an in-process Oblivious Gateway that answers as the sync contract's §1 says
// (tacet-collector's behaviour without the network), for the uploader's and the Agent's tests.
// Use Handle as a platform::ScriptedTransport receiver (or call it from any test transport).
//
//   TestGateway gateway(/*seed=*/7);
//   transport.SetReceiver([&](ByteView body) { return gateway.Handle(body); });
//   ... sync ...
//   EXPECT_EQ(gateway.stored().size(), 2u);
//
// Faults are queued (QueueFault) and consumed one per request, in order. Thread-safe.
#ifndef TACET_TESTING_TEST_GATEWAY_H_
#define TACET_TESTING_TEST_GATEWAY_H_

#include <condition_variable>
#include <cstdint>
#include <thread>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/drbg.h"
#include "emulator/emulator_entropy.h"
#include "sealer/ohttp.h"
#include "sync/batch.h"
#include "tacet/platform/transport.h"

namespace tacet::testing {

enum class GatewayFault {
  kNone,
  kBusy503,           // inner 503 with retry-after: 30 (nothing stored)
  kTruncated,         // stores the batch, answers with the encapsulated response cut in half
  kGarbled,           // stores the batch, answers with one byte of the response flipped
  kAnswerLost,        // stores the batch, the answer never arrives (kRetryLater "timeout")
  kWrongBatchId,      // stores the batch, acknowledges another batch id
  kBusyForYears503,   // inner 503 with retry-after: 99999999 (about three years)
  kNotFound404,       // inner 404 (nothing stored)
};

class TestGateway {
 public:
  // A fresh gateway key (id `key_id`) from a DRBG seeded with `seed`.
  explicit TestGateway(uint64_t seed, uint8_t key_id = 1);

  // The key configuration (RFC 9458 §3.1) the device pins.
  Bytes key_config() const;
  // Answers one message/ohttp-req body.
  platform::SendResult Handle(ByteView body);
  void QueueFault(GatewayFault fault, int times = 1);

  // Every batch stored, in order (each batch id once), and how often each id arrived.
  std::vector<sync::Batch> stored();
  std::map<Bytes, int> arrivals();
  int requests();

 private:
  platform::EmulatorEntropy entropy_;
  std::unique_ptr<crypto::Drbg> drbg_;
  std::unique_ptr<sealer::OhttpGateway> gateway_;
  Bytes key_config_;
  std::mutex mu_;
  std::deque<GatewayFault> faults_;
  std::vector<sync::Batch> stored_;
  std::map<Bytes, int> arrivals_;
  int requests_ = 0;
};

// A transport to a TestGateway that answers on a thread of its own (never inside Send), so that
// Agent::SyncNow can wait for it. Network faults are queued (QueueNetwork): the next request does
// not reach the gateway and is answered with the given result (a drop, a timeout, an HTTP 500 or
// 4xx, a peer authentication failure). The destructor answers nothing still queued.
class GatewayTransport final : public platform::Transport {
 public:
  explicit GatewayTransport(TestGateway& gateway);
  ~GatewayTransport() override;

  using platform::Transport::Send;
  void Send(const platform::SendRequest& request, platform::SendCallback on_done) override;
  void QueueNetwork(platform::SendResult result, int times = 1);
  int sends();
  // Blocks the worker until Release (to hold an answer in flight).
  void Hold();
  void Release();

 private:
  struct Job {
    Bytes body;
    platform::SendCallback on_done;
  };
  void Loop();

  TestGateway& gateway_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::deque<platform::SendResult> network_;
  bool held_ = false;
  bool stop_ = false;
  int sends_ = 0;
  std::thread worker_;
};

}  // namespace tacet::testing

#endif  // TACET_TESTING_TEST_GATEWAY_H_
