#include "testing/test_gateway.h"

#include <cstdlib>
#include <utility>

#include "sealer/bhttp.h"

namespace tacet::testing {
namespace {

constexpr size_t kMaxBody = 1 << 20;

platform::SendResult Outer400(std::string detail) {
  return platform::SendResult(platform::SendOutcome::kRejected, 0, "HTTP 400: " + std::move(detail));
}

}  // namespace

TestGateway::TestGateway(uint64_t seed, uint8_t key_id) : entropy_(seed) {
  auto drbg = crypto::Drbg::Create(entropy_, "test gateway");
  if (!drbg.ok()) std::abort();
  drbg_ = *std::move(drbg);
  auto key = sealer::GenerateGatewayKey(key_id, *drbg_);
  if (!key.ok()) std::abort();
  auto config = sealer::EncodeKeyConfig(key->config);
  if (!config.ok()) std::abort();
  key_config_ = *config;
  std::vector<sealer::OhttpGatewayKey> keys;
  keys.push_back(*std::move(key));
  auto gateway = sealer::OhttpGateway::Create(std::move(keys), kMaxBody);
  if (!gateway.ok()) std::abort();
  gateway_ = std::make_unique<sealer::OhttpGateway>(*std::move(gateway));
}

Bytes TestGateway::key_config() const { return key_config_; }

void TestGateway::QueueFault(GatewayFault fault, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) faults_.push_back(fault);
}

std::vector<sync::Batch> TestGateway::stored() {
  std::lock_guard<std::mutex> lock(mu_);
  return stored_;
}

std::map<Bytes, int> TestGateway::arrivals() {
  std::lock_guard<std::mutex> lock(mu_);
  return arrivals_;
}

int TestGateway::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

platform::SendResult TestGateway::Handle(ByteView body) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_;
  GatewayFault fault = GatewayFault::kNone;
  if (!faults_.empty()) {
    fault = faults_.front();
    faults_.pop_front();
  }
  auto request = gateway_->DecapsulateRequest(body);
  if (!request.ok()) {
    // RFC 9458 §5.3: an unknown key id or suite is a problem+json 400; anything else a 400.
    return Outer400(request.status().message());
  }
  auto answer = [&](uint16_t status, std::string content_type, Bytes content,
                    std::vector<sealer::BhttpField> extra = {}) -> platform::SendResult {
    sealer::BhttpResponse response;
    response.status = status;
    response.headers.push_back({"content-type", std::move(content_type)});
    for (auto& f : extra) response.headers.push_back(std::move(f));
    response.content = std::move(content);
    auto encoded = sealer::EncodeBhttpResponse(response);
    if (!encoded.ok()) std::abort();
    auto sealed = request->EncapsulateResponse(*encoded, *drbg_);
    if (!sealed.ok()) std::abort();
    return platform::SendResult::Delivered(*std::move(sealed), "message/ohttp-res", "HTTP 200");
  };
  auto text = [&](uint16_t status, const std::string& reason) {
    return answer(status, "text/plain; charset=utf-8", Bytes(reason.begin(), reason.end()));
  };
  auto inner = sealer::DecodeBhttpRequest(request->request(), kMaxBody);
  if (!inner.ok()) return text(400, "not a binary HTTP request");
  if (inner->method != "POST" || inner->path != "/v1/batches") return text(404, "no such resource");
  auto batch = sync::DecodeBatch(inner->content, kMaxBody);
  if (!batch.ok()) return text(400, batch.status().message());
  if (batch->recipient.empty() || (batch->events.empty() && batch->deletions.empty())) {
    return text(422, "a batch needs a recipient and events or deletions");
  }
  if (fault == GatewayFault::kBusy503) {
    return answer(503, "text/plain; charset=utf-8", Bytes{'b', 'u', 's', 'y'},
                  {{"retry-after", "30"}});
  }
  if (fault == GatewayFault::kBusyForYears503) {
    return answer(503, "text/plain; charset=utf-8", Bytes{'b', 'u', 's', 'y'},
                  {{"retry-after", "99999999"}});
  }
  if (fault == GatewayFault::kNotFound404) return text(404, "no such resource");
  const bool seen = arrivals_.count(batch->batch_id) > 0;
  ++arrivals_[batch->batch_id];
  if (!seen) stored_.push_back(*batch);
  Bytes ack = batch->batch_id;
  ack.push_back(static_cast<uint8_t>(seen ? 1 : 0));
  if (fault == GatewayFault::kWrongBatchId) ack[0] = static_cast<uint8_t>(ack[0] ^ 0xffu);
  platform::SendResult result = answer(200, "application/vnd.tacet.ack", ack);
  switch (fault) {
    case GatewayFault::kTruncated:
      result.body.resize(result.body.size() / 2);
      break;
    case GatewayFault::kGarbled:
      result.body.back() = static_cast<uint8_t>(result.body.back() ^ 0x01u);
      break;
    case GatewayFault::kAnswerLost:
      return platform::SendResult(platform::SendOutcome::kRetryLater, 0, "read timeout");
    default:
      break;
  }
  return result;
}

GatewayTransport::GatewayTransport(TestGateway& gateway)
    : gateway_(gateway), worker_([this] { Loop(); }) {}

GatewayTransport::~GatewayTransport() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void GatewayTransport::Send(const platform::SendRequest& request, platform::SendCallback on_done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++sends_;
    jobs_.push_back({request.body.ToBytes(), std::move(on_done)});
  }
  cv_.notify_all();
}

void GatewayTransport::QueueNetwork(platform::SendResult result, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) network_.push_back(result);
}

int GatewayTransport::sends() {
  std::lock_guard<std::mutex> lock(mu_);
  return sends_;
}

void GatewayTransport::Hold() {
  std::lock_guard<std::mutex> lock(mu_);
  held_ = true;
}

void GatewayTransport::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
  }
  cv_.notify_all();
}

void GatewayTransport::Loop() {
  while (true) {
    Job job;
    bool scripted = false;
    platform::SendResult result;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || (!jobs_.empty() && !held_); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (!network_.empty()) {
        scripted = true;
        result = std::move(network_.front());
        network_.pop_front();
      }
    }
    if (!scripted) result = gateway_.Handle(job.body);
    if (job.on_done) job.on_done(result);
  }
}

}  // namespace tacet::testing
