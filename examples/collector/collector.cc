#include "collector.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <utility>

#include "base/byte_sink.h"
#include "base/json_writer.h"
#include "crypto/x25519.h"
#include "sealer/bhttp.h"
#include "state_dir.h"
#include "store/transaction.h"
#include "sync/batch.h"

namespace tacet::collector {
namespace {

constexpr char kKeyFile[] = "gateway-key.bin";
constexpr char kConfigFile[] = "key-config.bin";
constexpr char kDatabaseFile[] = "collector.db";
constexpr size_t kMaxKeyConfigBytes = 4096;

const store::Schema& CollectorSchema() {
  static const store::Schema schema{
      "collector",
      {{1, "batches, their events and fields, deletion requests",
        "CREATE TABLE batches ("
        "  id INTEGER PRIMARY KEY,"
        "  batch_id BLOB NOT NULL UNIQUE,"
        "  recipient TEXT NOT NULL,"
        "  subject BLOB NOT NULL,"
        "  policy_id TEXT NOT NULL,"
        "  policy_version INTEGER NOT NULL,"
        "  received_at INTEGER NOT NULL,"
        "  peer TEXT NOT NULL);"
        "CREATE TABLE events ("
        "  id INTEGER PRIMARY KEY,"
        "  batch INTEGER NOT NULL REFERENCES batches(id),"
        "  seq INTEGER NOT NULL,"
        "  purpose TEXT NOT NULL,"
        "  time_s INTEGER NOT NULL);"
        "CREATE INDEX events_by_batch ON events(batch, seq);"
        "CREATE TABLE fields ("
        "  event INTEGER NOT NULL REFERENCES events(id),"
        "  seq INTEGER NOT NULL,"
        "  key TEXT NOT NULL,"
        "  form INTEGER NOT NULL,"
        "  value TEXT NOT NULL);"
        "CREATE INDEX fields_by_event ON fields(event, seq);"
        "CREATE TABLE deletions ("
        "  batch INTEGER NOT NULL REFERENCES batches(id),"
        "  seq INTEGER NOT NULL,"
        "  category TEXT NOT NULL,"
        "  requested_at INTEGER NOT NULL);"
        "CREATE INDEX deletions_by_batch ON deletions(batch, seq);"}}};
  return schema;
}

// A Status message on one line, for a text/plain reason.
std::string OneLine(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

net::HttpResponse Text(int status, const std::string& reason) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  const std::string line = OneLine(reason) + "\n";
  r.body.assign(line.begin(), line.end());
  return r;
}

const char* FormName(policy::Transform form) {
  switch (form) {
    case policy::Transform::kNone: return "as_collected";
    case policy::Transform::kCoarsen: return "coarsened";
    case policy::Transform::kPseudonymise: return "pseudonymised";
    case policy::Transform::kAggregate: return "aggregated";
    case policy::Transform::kDrop: return "dropped";
  }
  return "unknown";
}

// Generates key id 1 (or rebuilds its configuration from an existing private key) and writes
// what is missing: the private key first, so a crash never leaves a configuration without its key.
StatusOr<sealer::OhttpGatewayKey> LoadOrCreateGatewayKey(const std::string& dir, crypto::Drbg& drbg) {
  const bool have_key = net::FileExists(dir, kKeyFile);
  const bool have_config = net::FileExists(dir, kConfigFile);
  if (!have_key && have_config) {
    return FailedPreconditionError("state folder " + dir + " has " + kConfigFile + " but no " + kKeyFile +
                                   ": the gateway key is lost; devices pinned its configuration, so a new key "
                                   "is not made silently (remove " + kConfigFile + " to start afresh)");
  }
  sealer::OhttpGatewayKey key;
  if (!have_key) {
    TACET_ASSIGN_OR_RETURN(key, sealer::GenerateGatewayKey(kGatewayKeyId, drbg));
    TACET_RETURN_IF_ERROR(net::WriteFileAtomically(dir, kKeyFile, key.private_key.view(), 0600));
  } else {
    TACET_ASSIGN_OR_RETURN(key.private_key, net::ReadSmallFile(dir, kKeyFile, crypto::kX25519KeySize, true));
    if (key.private_key.size() != crypto::kX25519KeySize) {
      return InvalidArgumentError(dir + "/" + kKeyFile + " is " + std::to_string(key.private_key.size()) +
                                  " bytes; an X25519 private key is " + std::to_string(crypto::kX25519KeySize));
    }
  }
  if (have_config) {
    TACET_ASSIGN_OR_RETURN(crypto::SecretBytes bytes, net::ReadSmallFile(dir, kConfigFile, kMaxKeyConfigBytes, false));
    StatusOr<sealer::OhttpKeyConfig> config = sealer::ParseKeyConfig(bytes.view());
    if (!config.ok()) {
      return InvalidArgumentError(dir + "/" + kConfigFile + " is not a key configuration: " + config.status().message());
    }
    key.config = std::move(*config);
  } else if (have_key) {
    // A crash after the key was written and before its configuration: rebuild the configuration.
    TACET_ASSIGN_OR_RETURN(auto public_key, crypto::X25519PublicFromPrivate(key.private_key.view()));
    key.config.key_id = kGatewayKeyId;
    key.config.kem_id = sealer::kOhttpKemX25519HkdfSha256;
    key.config.public_key.assign(public_key.begin(), public_key.end());
    key.config.algorithms = {{sealer::kOhttpKdfHkdfSha256, sealer::kOhttpAeadAes128Gcm},
                             {sealer::kOhttpKdfHkdfSha256, sealer::kOhttpAeadChaCha20Poly1305}};
  }
  if (!have_config) {
    TACET_ASSIGN_OR_RETURN(Bytes encoded, sealer::EncodeKeyConfig(key.config));
    TACET_RETURN_IF_ERROR(net::WriteFileAtomically(dir, kConfigFile, encoded, 0644));
  }
  return key;
}

}  // namespace

struct Collector::Outcome {
  int inner = 0;  // 0: no inner response
  std::string batch = "-";
  size_t events = 0;
  size_t deletions = 0;
  std::string result = "-";
};

struct Collector::StoreInput {
  const sync::Batch* batch;
  const std::string* peer;
};

Collector::~Collector() = default;

StatusOr<std::unique_ptr<Collector>> Collector::Open(const std::string& state_dir, CollectorOptions options) {
  if (options.max_body_bytes < 64) return InvalidArgumentError("collector: max_body_bytes must be at least 64");
  TACET_RETURN_IF_ERROR(net::EnsurePrivateDir(state_dir));
  std::unique_ptr<Collector> c(new Collector(state_dir, std::move(options)));
  TACET_ASSIGN_OR_RETURN(c->drbg_, crypto::Drbg::Create(c->entropy_, "tacet collector"));
  TACET_ASSIGN_OR_RETURN(sealer::OhttpGatewayKey key, LoadOrCreateGatewayKey(state_dir, *c->drbg_));
  TACET_ASSIGN_OR_RETURN(c->key_config_, sealer::EncodeKeyConfig(key.config));
  std::vector<sealer::OhttpGatewayKey> keys;
  keys.push_back(std::move(key));
  StatusOr<sealer::OhttpGateway> gateway = sealer::OhttpGateway::Create(std::move(keys), c->options_.max_body_bytes);
  if (!gateway.ok()) {
    return InvalidArgumentError(state_dir + "/" + kConfigFile + " does not match " + kKeyFile + ": " +
                                gateway.status().message());
  }
  c->gateway_ = std::make_unique<sealer::OhttpGateway>(std::move(*gateway));
  std::vector<std::string> names;
  if (!c->options_.host_name.empty()) names.push_back(c->options_.host_name);
  TACET_ASSIGN_OR_RETURN(c->tls_, net::LoadOrCreateTlsCredentials(state_dir, names));
  store::OpenOptions db_options;
  db_options.schema = &CollectorSchema();
  db_options.busy_timeout_ms = c->options_.busy_timeout_ms;
  TACET_ASSIGN_OR_RETURN(c->db_, store::Database::Open(state_dir + "/" + kDatabaseFile, db_options));
  return c;
}

int64_t Collector::Now() const {
  return options_.now_unix_s ? options_.now_unix_s() : static_cast<int64_t>(std::time(nullptr));
}

net::HttpResponse Collector::Handle(const net::HttpRequest& request) {
  Outcome outcome;
  const std::string path = request.target.substr(0, request.target.find('?'));
  net::HttpResponse response;
  if (path == kGatewayPath) {
    if (request.method != "POST") {
      response = Text(405, "only POST is served at /gateway");
      response.headers.emplace_back("Allow", "POST");
      outcome.result = "method";
    } else {
      response = HandleGateway(request, &outcome);
    }
  } else if (path == kKeysPath) {
    if (request.method != "GET") {
      response = Text(405, "only GET is served at /ohttp-keys");
      response.headers.emplace_back("Allow", "GET");
      outcome.result = "method";
    } else {
      response.status = 200;
      response.content_type = kKeysMediaType;
      response.body = gateway_->key_configs();
      outcome.result = "keys";
    }
  } else {
    response = Text(404, "not found: the gateway serves POST /gateway and GET /ohttp-keys");
    outcome.result = "not-found";
  }
  if (options_.log) {
    options_.log("peer=" + request.peer + " status=" + std::to_string(response.status) + "/" +
                 (outcome.inner == 0 ? std::string("-") : std::to_string(outcome.inner)) + " batch=" + outcome.batch +
                 " events=" + std::to_string(outcome.events) + " deletions=" + std::to_string(outcome.deletions) +
                 " result=" + outcome.result);
  }
  return response;
}

net::HttpResponse Collector::HandleGateway(const net::HttpRequest& request, Outcome* outcome) {
  if (net::MediaTypeOf(request.Header("content-type")) != "message/ohttp-req") {
    outcome->result = "media-type";
    return Text(415, "the body must be an encapsulated request (Content-Type: message/ohttp-req)");
  }
  if (request.body.size() > options_.max_body_bytes) {
    outcome->result = "too-large";
    return Text(413, "the body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  StatusOr<sealer::OhttpGatewayRequest> opened = gateway_->DecapsulateRequest(request.body);
  if (!opened.ok()) {
    const StatusCode code = opened.status().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kUnimplemented) {
      // RFC 9458 §5.3: the key configuration the client used is not (or no longer) ours.
      outcome->result = "key";
      net::HttpResponse r;
      r.status = 400;
      r.content_type = kProblemMediaType;
      const std::string title = code == StatusCode::kNotFound ? "unknown key identifier"
                                                              : "KEM, KDF or AEAD not offered by this key";
      const std::string json = std::string("{\"type\":\"") + kKeyProblemType + "\",\"title\":\"" + title + "\"}";
      r.body.assign(json.begin(), json.end());
      return r;
    }
    if (code == StatusCode::kResourceExhausted) {
      outcome->result = "too-large";
      return Text(413, "the body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
    }
    // RFC 9458 §5.2: malformed, too short, tampered or sealed to another key: nothing more is said.
    outcome->result = "does-not-open";
    return Text(400, code == StatusCode::kDataLoss ? "the encapsulated request does not authenticate"
                                                   : "not an encapsulated request");
  }

  // From here on the answer is an encapsulated Binary HTTP response.
  sealer::BhttpResponse inner;
  inner.status = 200;
  const auto reason = [&](uint16_t status, const std::string& text, const char* result) {
    inner.status = status;
    inner.headers = {{"content-type", "text/plain; charset=utf-8"}};
    const std::string line = OneLine(text) + "\n";
    inner.content.assign(line.begin(), line.end());
    outcome->result = result;
  };
  [&] {
    StatusOr<sealer::BhttpRequest> message = sealer::DecodeBhttpRequest(opened->request(), options_.max_body_bytes);
    if (!message.ok()) return reason(400, "not a Binary HTTP request: " + message.status().message(), "not-bhttp");
    if (message->path.substr(0, message->path.find('?')) != kBatchesPath) {
      return reason(404, "not found: batches are posted to /v1/batches", "inner-not-found");
    }
    if (message->method != "POST") return reason(405, "only POST is served at /v1/batches", "inner-method");
    const std::string* type = nullptr;
    for (const sealer::BhttpField& field : message->headers) {
      if (field.name == "content-type") {
        type = &field.value;
        break;
      }
    }
    if (net::MediaTypeOf(type) != kBatchMediaType) {
      return reason(415, std::string("the content must be ") + kBatchMediaType, "inner-media-type");
    }
    StatusOr<sync::Batch> batch = sync::DecodeBatch(message->content, options_.max_body_bytes);
    if (!batch.ok()) return reason(400, "the batch does not decode: " + batch.status().message(), "bad-batch");
    outcome->batch = HexEncode(batch->batch_id);
    outcome->events = batch->events.size();
    outcome->deletions = batch->deletions.size();
    if (batch->recipient.empty()) return reason(422, "the batch names no recipient", "unacceptable");
    if (!options_.recipients.empty() &&
        std::find(options_.recipients.begin(), options_.recipients.end(), batch->recipient) ==
            options_.recipients.end()) {
      return reason(422, "recipient " + batch->recipient + " is not served by this gateway", "unacceptable");
    }
    if (batch->events.empty() && batch->deletions.empty()) {
      return reason(422, "the batch carries no events and no deletions", "unacceptable");
    }
    for (const sync::DeletionRequest& d : batch->deletions) {
      if (d.category.empty()) return reason(422, "a deletion request names no category", "unacceptable");
    }
    StatusOr<bool> stored = Store(StoreInput{&*batch, &request.peer});
    if (!stored.ok()) {
      reason(503, "the gateway cannot store the batch now; retry later", "cannot-store");
      inner.headers.push_back({"retry-after", std::to_string(kRetryAfterSeconds)});
      return;
    }
    inner.status = 200;
    inner.headers = {{"content-type", kAckMediaType}};
    inner.content = batch->batch_id;
    inner.content.push_back(*stored ? kDispositionStored : kDispositionDuplicate);
    outcome->result = *stored ? "stored" : "duplicate";
  }();
  outcome->inner = inner.status;

  StatusOr<Bytes> encoded = sealer::EncodeBhttpResponse(inner);
  StatusOr<Bytes> sealed = encoded.status();
  if (encoded.ok()) sealed = opened->EncapsulateResponse(*encoded, *drbg_);
  if (!sealed.ok()) {
    // The batch may be stored; the device did not hear so, resends, and gets a duplicate ack.
    outcome->result += "+seal-failed";
    return Text(500, "the gateway could not seal its response");
  }
  net::HttpResponse r;
  r.status = 200;
  r.content_type = "message/ohttp-res";
  r.body = std::move(*sealed);
  return r;
}

StatusOr<bool> Collector::Store(const StoreInput& input) {
  const sync::Batch& b = *input.batch;
  std::lock_guard<std::mutex> lock(db_mu_);
  store::Database& db = *db_;
  // kCritical: an acknowledged batch must survive a power cut, since the device deletes it.
  TACET_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db, store::Durability::kCritical));
  {
    TACET_ASSIGN_OR_RETURN(store::Statement seen, db.Prepare("SELECT 1 FROM batches WHERE batch_id = ?1"));
    TACET_RETURN_IF_ERROR(seen.BindBlob(1, b.batch_id));
    TACET_ASSIGN_OR_RETURN(bool found, seen.Step());
    if (found) return false;  // rolled back by tx's destructor: nothing was written
  }
  TACET_ASSIGN_OR_RETURN(store::Statement insert_batch,
                         db.Prepare("INSERT INTO batches (batch_id, recipient, subject, policy_id, policy_version,"
                                    " received_at, peer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  TACET_RETURN_IF_ERROR(insert_batch.BindBlob(1, b.batch_id));
  TACET_RETURN_IF_ERROR(insert_batch.Bind(2, std::string_view(b.recipient)));
  TACET_RETURN_IF_ERROR(insert_batch.BindBlob(3, b.subject));
  TACET_RETURN_IF_ERROR(insert_batch.Bind(4, std::string_view(b.policy_id)));
  TACET_RETURN_IF_ERROR(insert_batch.Bind(5, static_cast<int64_t>(b.policy_version)));
  TACET_RETURN_IF_ERROR(insert_batch.Bind(6, Now()));
  TACET_RETURN_IF_ERROR(insert_batch.Bind(7, std::string_view(*input.peer)));
  StatusOr<bool> inserted = insert_batch.Step();
  // The UNIQUE constraint is the last word: another connection that stored this id first.
  if (inserted.status().code() == StatusCode::kAlreadyExists) return false;
  TACET_RETURN_IF_ERROR(inserted.status());
  const int64_t batch_row = db.LastInsertRowId();

  TACET_ASSIGN_OR_RETURN(store::Statement insert_event,
                         db.Prepare("INSERT INTO events (batch, seq, purpose, time_s) VALUES (?1, ?2, ?3, ?4)"));
  TACET_ASSIGN_OR_RETURN(store::Statement insert_field,
                         db.Prepare("INSERT INTO fields (event, seq, key, form, value) VALUES (?1, ?2, ?3, ?4, ?5)"));
  for (size_t i = 0; i < b.events.size(); ++i) {
    const minimise::MinimisedEvent& e = b.events[i];
    TACET_RETURN_IF_ERROR(insert_event.Reset());
    TACET_RETURN_IF_ERROR(insert_event.Bind(1, batch_row));
    TACET_RETURN_IF_ERROR(insert_event.Bind(2, static_cast<int64_t>(i)));
    TACET_RETURN_IF_ERROR(insert_event.Bind(3, std::string_view(e.purpose)));
    TACET_RETURN_IF_ERROR(insert_event.Bind(4, e.time_s));
    TACET_RETURN_IF_ERROR(insert_event.Step().status());
    const int64_t event_row = db.LastInsertRowId();
    for (size_t j = 0; j < e.fields.size(); ++j) {
      const minimise::MinimisedField& f = e.fields[j];
      TACET_RETURN_IF_ERROR(insert_field.Reset());
      TACET_RETURN_IF_ERROR(insert_field.Bind(1, event_row));
      TACET_RETURN_IF_ERROR(insert_field.Bind(2, static_cast<int64_t>(j)));
      TACET_RETURN_IF_ERROR(insert_field.Bind(3, std::string_view(f.key)));
      TACET_RETURN_IF_ERROR(insert_field.Bind(4, static_cast<int64_t>(f.form)));
      TACET_RETURN_IF_ERROR(insert_field.Bind(5, std::string_view(f.value)));
      TACET_RETURN_IF_ERROR(insert_field.Step().status());
    }
  }
  TACET_ASSIGN_OR_RETURN(store::Statement insert_deletion,
                         db.Prepare("INSERT INTO deletions (batch, seq, category, requested_at) VALUES (?1, ?2, ?3, ?4)"));
  for (size_t i = 0; i < b.deletions.size(); ++i) {
    TACET_RETURN_IF_ERROR(insert_deletion.Reset());
    TACET_RETURN_IF_ERROR(insert_deletion.Bind(1, batch_row));
    TACET_RETURN_IF_ERROR(insert_deletion.Bind(2, static_cast<int64_t>(i)));
    TACET_RETURN_IF_ERROR(insert_deletion.Bind(3, std::string_view(b.deletions[i].category)));
    TACET_RETURN_IF_ERROR(insert_deletion.Bind(4, b.deletions[i].requested_at_s));
    TACET_RETURN_IF_ERROR(insert_deletion.Step().status());
  }
  TACET_RETURN_IF_ERROR(tx.Commit());
  return true;
}

Status Collector::Dump(const std::string& path) {
  StringSink sink;
  JsonWriter w(sink);
  {
    std::lock_guard<std::mutex> lock(db_mu_);
    store::Database& db = *db_;
    TACET_ASSIGN_OR_RETURN(store::Statement batches,
                           db.Prepare("SELECT id, batch_id, recipient, subject, policy_id, policy_version, received_at,"
                                      " peer FROM batches ORDER BY id"));
    TACET_ASSIGN_OR_RETURN(store::Statement events,
                           db.Prepare("SELECT id, purpose, time_s FROM events WHERE batch = ?1 ORDER BY seq"));
    TACET_ASSIGN_OR_RETURN(store::Statement fields,
                           db.Prepare("SELECT key, form, value FROM fields WHERE event = ?1 ORDER BY seq"));
    TACET_ASSIGN_OR_RETURN(store::Statement deletions,
                           db.Prepare("SELECT category, requested_at FROM deletions WHERE batch = ?1 ORDER BY seq"));
    TACET_RETURN_IF_ERROR(w.BeginObject());
    TACET_RETURN_IF_ERROR(w.Key("batches"));
    TACET_RETURN_IF_ERROR(w.BeginArray());
    for (;;) {
      TACET_ASSIGN_OR_RETURN(bool row, batches.Step());
      if (!row) break;
      const int64_t id = batches.ColumnInt64(0);
      TACET_RETURN_IF_ERROR(w.BeginObject());
      TACET_RETURN_IF_ERROR(w.Member("batch_id", HexEncode(batches.ColumnBlob(1))));
      TACET_RETURN_IF_ERROR(w.Member("recipient", batches.ColumnText(2)));
      TACET_RETURN_IF_ERROR(w.Member("subject", HexEncode(batches.ColumnBlob(3))));
      TACET_RETURN_IF_ERROR(w.Member("policy_id", batches.ColumnText(4)));
      TACET_RETURN_IF_ERROR(w.Member("policy_version", batches.ColumnInt64(5)));
      TACET_RETURN_IF_ERROR(w.Member("received_at", batches.ColumnInt64(6)));
      TACET_RETURN_IF_ERROR(w.Member("peer", batches.ColumnText(7)));
      TACET_RETURN_IF_ERROR(w.Key("events"));
      TACET_RETURN_IF_ERROR(w.BeginArray());
      TACET_RETURN_IF_ERROR(events.Reset());
      TACET_RETURN_IF_ERROR(events.Bind(1, id));
      for (;;) {
        TACET_ASSIGN_OR_RETURN(bool event_row, events.Step());
        if (!event_row) break;
        TACET_RETURN_IF_ERROR(w.BeginObject());
        TACET_RETURN_IF_ERROR(w.Member("purpose", events.ColumnText(1)));
        TACET_RETURN_IF_ERROR(w.Member("time", events.ColumnInt64(2)));
        TACET_RETURN_IF_ERROR(w.Key("fields"));
        TACET_RETURN_IF_ERROR(w.BeginObject());
        TACET_RETURN_IF_ERROR(fields.Reset());
        TACET_RETURN_IF_ERROR(fields.Bind(1, events.ColumnInt64(0)));
        for (;;) {
          TACET_ASSIGN_OR_RETURN(bool field_row, fields.Step());
          if (!field_row) break;
          TACET_RETURN_IF_ERROR(w.Key(fields.ColumnText(0)));
          TACET_RETURN_IF_ERROR(w.BeginObject());
          TACET_RETURN_IF_ERROR(w.Member("form", FormName(static_cast<policy::Transform>(fields.ColumnInt64(1)))));
          TACET_RETURN_IF_ERROR(w.Member("value", fields.ColumnText(2)));
          TACET_RETURN_IF_ERROR(w.EndObject());
        }
        TACET_RETURN_IF_ERROR(w.EndObject());
        TACET_RETURN_IF_ERROR(w.EndObject());
      }
      TACET_RETURN_IF_ERROR(w.EndArray());
      TACET_RETURN_IF_ERROR(w.Key("deletions"));
      TACET_RETURN_IF_ERROR(w.BeginArray());
      TACET_RETURN_IF_ERROR(deletions.Reset());
      TACET_RETURN_IF_ERROR(deletions.Bind(1, id));
      for (;;) {
        TACET_ASSIGN_OR_RETURN(bool deletion_row, deletions.Step());
        if (!deletion_row) break;
        TACET_RETURN_IF_ERROR(w.BeginObject());
        TACET_RETURN_IF_ERROR(w.Member("category", deletions.ColumnText(0)));
        TACET_RETURN_IF_ERROR(w.Member("requested_at", deletions.ColumnInt64(1)));
        TACET_RETURN_IF_ERROR(w.EndObject());
      }
      TACET_RETURN_IF_ERROR(w.EndArray());
      TACET_RETURN_IF_ERROR(w.EndObject());
    }
    TACET_RETURN_IF_ERROR(w.EndArray());
    TACET_RETURN_IF_ERROR(w.EndObject());
    TACET_RETURN_IF_ERROR(w.Finish());
  }
  sink.out.push_back('\n');
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return UnavailableError("collector: cannot write the dump to " + path);
  const bool written = std::fwrite(sink.out.data(), 1, sink.out.size(), file) == sink.out.size();
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) return UnavailableError("collector: cannot write the dump to " + path);
  return OkStatus();
}

}  // namespace tacet::collector
