// The C API: sync configuration (tacet_options_set_sync) and one round (tacet_sync_now) over
// Agent::SyncNow (sync contract §4).
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "capi/capi_agent.h"
#include "capi/capi_internal.h"
#include "sync/uploader.h"

using tacet::Status;
using tacet::capi::CheckAgent;
using tacet::capi::CheckHandle;
using tacet::capi::HandleKind;
using tacet::capi::Run;

tacet_status tacet_options_set_sync(tacet_options_t* options, const tacet_sync_config* config) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckHandle(options, HandleKind::kOptions, "options"));
    if (config == nullptr) return tacet::InvalidArgumentError("config is NULL");
    if (config->struct_size < sizeof(tacet_sync_config)) {
      return tacet::InvalidArgumentError("config->struct_size is " +
                                         std::to_string(config->struct_size) + ", not sizeof(" +
                                         "tacet_sync_config) = " +
                                         std::to_string(sizeof(tacet_sync_config)));
    }
    if (config->key_config == nullptr || config->key_config_len == 0) {
      return tacet::InvalidArgumentError(
          "config->key_config is empty: the gateway's key configuration (RFC 9458 section 3.1) "
          "is required");
    }
    if (config->url == nullptr || config->url[0] == '\0') {
      return tacet::InvalidArgumentError("config->url is empty");
    }
    if (config->spki_sha256 == nullptr && config->ca_pem == nullptr) {
      return tacet::InvalidArgumentError(
          "config has neither spki_sha256 nor ca_pem: the server could not be authenticated");
    }
    if (config->interval_ms < 0 || config->timeout_ms < 0) {
      return tacet::InvalidArgumentError("config->interval_ms and config->timeout_ms must not be "
                                         "negative");
    }
    tacet::agent::SyncOptions s;
    s.key_config.assign(config->key_config, config->key_config + config->key_config_len);
    s.url = config->url;
    if (config->spki_sha256 != nullptr) {
      std::array<uint8_t, 32> pin{};
      std::memcpy(pin.data(), config->spki_sha256, pin.size());
      s.spki_sha256_pins.push_back(pin);
    }
    if (config->ca_pem != nullptr) s.ca_pem = config->ca_pem;
    if (config->gateway_authority != nullptr) s.gateway_authority = config->gateway_authority;
    if (config->max_events_per_batch != 0) s.max_events_per_batch = config->max_events_per_batch;
    s.interval_ms = config->interval_ms;
    if (config->timeout_ms != 0) s.timeout_ms = config->timeout_ms;
    options->sync = std::move(s);
    return tacet::OkStatus();
  });
}

tacet_status tacet_sync_now(tacet_agent_t* agent, tacet_sync_result* out_result) {
  return Run(__func__, [&]() -> Status {
    TACET_RETURN_IF_ERROR(CheckAgent(agent));
    if (out_result != nullptr && out_result->struct_size < sizeof(tacet_sync_result)) {
      return tacet::InvalidArgumentError("out_result->struct_size is " +
                                         std::to_string(out_result->struct_size) +
                                         ", not sizeof(tacet_sync_result) = " +
                                         std::to_string(sizeof(tacet_sync_result)));
    }
    TACET_ASSIGN_OR_RETURN(tacet::sync::RoundResult r, agent->core->SyncNow());
    if (out_result != nullptr) {
      out_result->batches_sent = r.batches_sent;
      out_result->batches_acknowledged = r.batches_acknowledged;
      out_result->events_delivered = r.events_delivered;
      out_result->deletions_delivered = r.deletions_delivered;
      out_result->batches_rejected = r.batches_rejected;
      out_result->batches_pending = r.batches_pending;
      out_result->peer_authentication_failures = r.peer_authentication_failures;
      out_result->next_attempt_unix_ms = r.next_attempt_unix_ms;
    }
    return tacet::OkStatus();
  });
}
