#include "outbox/outbox.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "consent/collection.h"
#include "consent/consent_snapshot.h"
#include "crypto/aead.h"
#include "store/statement.h"
#include "store/transaction.h"

namespace tacet::outbox {
namespace {

constexpr size_t kKeySize = 32;
constexpr size_t kNonceSize = 12;
constexpr char kAadLabel[] = "tacet outbox v1";

// Counter names in outbox_counters.
constexpr char kEvicted[] = "evicted";
constexpr char kPurged[] = "purged_by_consent";
constexpr char kReleased[] = "released";
constexpr char kErased[] = "erased";
constexpr char kRefused[] = "refused";
constexpr char kRefusedPrefix[] = "refused:";  // + reason: the per-reason part of kRefused
constexpr char kExpired[] = "expired";
constexpr char kQuarantined[] = "quarantined";
constexpr char kLocationCategory[] = "location";

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutText(Bytes& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// Reads what PutU32/PutText wrote; every length is checked against what is left.
class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  bool U32(uint32_t* v) {
    if (in_.size() - pos_ < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v = (*v << 8) | in_[pos_++];
    return true;
  }
  bool Text(std::string* s) {
    uint32_t n = 0;
    if (!U32(&n) || in_.size() - pos_ < n) return false;
    s->assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

// What the seal of a row is bound to besides its contents: a row's sealed fields cannot be moved
// to a row of another purpose, other categories or another time.
Bytes AssociatedData(std::string_view purpose, std::string_view categories, int64_t occurred_ms,
                     int64_t recorded_ms) {
  Bytes aad(kAadLabel, kAadLabel + sizeof(kAadLabel));  // with its NUL
  PutText(aad, purpose);
  PutText(aad, categories);
  PutU64(aad, static_cast<uint64_t>(occurred_ms));
  PutU64(aad, static_cast<uint64_t>(recorded_ms));
  return aad;
}

// ",usage,voice," : every category between commas, so LIKE '%,usage,%' finds it exactly.
std::string CategoryColumn(const std::vector<std::string>& categories) {
  std::string out = ",";
  for (const std::string& c : categories) out += c + ",";
  return out;
}

std::vector<std::string> SplitCategoryColumn(std::string_view column) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start < column.size()) {
    const size_t end = column.find(',', start);
    if (end == std::string_view::npos) break;
    out.emplace_back(column.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Status AddCounter(store::Database& db, const char* name, int64_t delta) {
  if (delta == 0) return OkStatus();
  TACET_ASSIGN_OR_RETURN(auto add, db.Prepare("INSERT INTO outbox_counters (name, value) VALUES "
                                              "(?1, ?2) ON CONFLICT(name) DO UPDATE SET value = "
                                              "value + excluded.value"));
  TACET_RETURN_IF_ERROR(add.Bind(1, std::string_view(name)));
  TACET_RETURN_IF_ERROR(add.Bind(2, delta));
  return add.Step().status();
}

// What a consent change means for a group of events of one purpose and one set of categories.
enum class Fate { kKeep, kRelease, kDelete };

bool IsNotAsked(consent::CollectionReason r) {
  return r == consent::CollectionReason::kPurposeNotAsked ||
         r == consent::CollectionReason::kCategoryNotAsked ||
         r == consent::CollectionReason::kRequiredPurposeNotAsked;
}

// A held event stays held only while every obstacle is a question not yet answered: a refused
// purpose or a declined category deletes it even while another question is still open
// (DecideCollection names only the first obstacle it meets).
Fate Decide(const consent::ConsentSnapshot& s, std::string_view purpose,
            const std::vector<std::string>& categories, EventState state) {
  const int p = s.PurposeIndex(purpose);
  if (p < 0) return Fate::kDelete;  // a purpose the policy no longer has
  bool all_allowed = true, only_not_asked = s.purpose(p) != consent::ConsentState::kDenied;
  for (const std::string& category : categories) {
    const int c = s.CategoryIndex(category);
    const consent::CollectionDecision d = consent::DecideCollection(s, p, c);
    if (category == kLocationCategory && s.location_precision() == platform::LocationPrecision::kNone) {
      // Location off: a location event leaves only once the user grants a precision again (the
      // minimiser then sends no more than the granted one). Off by default is a question not
      // asked; off by the user's choice is an answer.
      all_allowed = false;
      if (s.location_source() != consent::DecisionSource::kPolicyDefault) only_not_asked = false;
      continue;
    }
    if (d.allowed()) continue;
    all_allowed = false;
    if (!IsNotAsked(d.reason) || s.category(c) == consent::ConsentState::kDenied) {
      only_not_asked = false;
    }
  }
  if (all_allowed) return state == EventState::kHeld ? Fate::kRelease : Fate::kKeep;
  // A held event waits for its question; a queued one was allowed when recorded and is not now.
  if (state == EventState::kHeld && only_not_asked) return Fate::kKeep;
  return Fate::kDelete;
}

}  // namespace

std::vector<store::Migration> OutboxMigrations() {
  return {
      {1, "outbox: recorded events waiting to leave the device, and its counters",
       // Fields live only in `sealed` (AES-256-GCM under the outbox key); purpose, categories and
       // times are in clear so that consent changes and erasures can find their rows.
       "CREATE TABLE outbox_events ("
       "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  purpose TEXT NOT NULL,"
       "  categories TEXT NOT NULL CHECK (categories LIKE ',%,'),"
       "  state INTEGER NOT NULL CHECK (state IN (0, 1)),"
       "  occurred_unix_ms INTEGER NOT NULL,"
       "  recorded_unix_ms INTEGER NOT NULL,"
       "  nonce BLOB NOT NULL CHECK (length(nonce) = 12),"
       "  sealed BLOB NOT NULL"
       ") STRICT;"
       "CREATE INDEX outbox_events_by_group ON outbox_events(purpose, categories, state);"
       "CREATE INDEX outbox_events_by_state ON outbox_events(state, id);"
       "CREATE TABLE outbox_counters ("
       "  name TEXT PRIMARY KEY,"
       "  value INTEGER NOT NULL"
       ") STRICT;"
       // The number of rows, kept by the same transactions that change them: the cap is checked
       // without counting a table that may hold 100,000 rows on every insert.
       "INSERT INTO outbox_counters (name, value) VALUES ('size', 0);"
       "CREATE TRIGGER outbox_events_size_up AFTER INSERT ON outbox_events BEGIN"
       "  UPDATE outbox_counters SET value = value + 1 WHERE name = 'size'; END;"
       "CREATE TRIGGER outbox_events_size_down AFTER DELETE ON outbox_events BEGIN"
       "  UPDATE outbox_counters SET value = value - 1 WHERE name = 'size'; END;"},
      {2, "outbox: batches per recipient, their event links, deletion requests, the sharing log",
       // An event is `batched` once the uploader has put it in a batch for every recipient that
       // may get anything of it; it is deleted when no link to a batch is left.
       "ALTER TABLE outbox_events ADD COLUMN batched INTEGER NOT NULL DEFAULT 0;"
       "CREATE INDEX outbox_events_unbatched ON outbox_events(batched, state, id);"
       // A batch: the wire batch sealed under the outbox key (AAD binds batch id and recipient);
       // in clear only what consent changes, erasures and the sharing log need.
       "CREATE TABLE outbox_batches ("
       "  batch_id BLOB PRIMARY KEY CHECK (length(batch_id) = 16),"
       "  recipient TEXT NOT NULL,"
       "  kind INTEGER NOT NULL CHECK (kind IN (0, 1)),"  // 0 events, 1 deletion requests
       "  purpose TEXT NOT NULL,"
       "  categories TEXT NOT NULL,"
       "  forms TEXT NOT NULL,"
       "  events INTEGER NOT NULL,"
       "  deletions INTEGER NOT NULL,"
       "  state INTEGER NOT NULL CHECK (state IN (0, 2)),"  // 0 pending, 2 rejected
       "  created_unix_ms INTEGER NOT NULL,"
       "  first_sent_unix_ms INTEGER NOT NULL DEFAULT 0,"
       "  attempts INTEGER NOT NULL DEFAULT 0,"
       "  next_attempt_unix_ms INTEGER NOT NULL DEFAULT 0,"
       "  not_before_unix_ms INTEGER NOT NULL DEFAULT 0,"
       "  detail TEXT NOT NULL DEFAULT '',"
       "  nonce BLOB NOT NULL CHECK (length(nonce) = 12),"
       "  sealed BLOB NOT NULL"
       ") STRICT;"
       "CREATE INDEX outbox_batches_by_group ON outbox_batches(kind, purpose, categories);"
       "CREATE TABLE outbox_links ("
       "  batch_id BLOB NOT NULL,"
       "  event_id INTEGER NOT NULL,"
       "  PRIMARY KEY (batch_id, event_id)"
       ") STRICT, WITHOUT ROWID;"
       "CREATE INDEX outbox_links_by_event ON outbox_links(event_id);"
       "CREATE TABLE outbox_deletions ("
       "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  recipient TEXT NOT NULL,"
       "  category TEXT NOT NULL,"
       "  requested_unix_ms INTEGER NOT NULL,"
       "  batch_id BLOB"
       ") STRICT;"
       "CREATE TABLE sharing_log ("
       "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  batch_id BLOB NOT NULL,"
       "  recipient TEXT NOT NULL,"
       "  kind INTEGER NOT NULL,"
       "  purpose TEXT NOT NULL,"
       "  categories TEXT NOT NULL,"
       "  forms TEXT NOT NULL,"
       "  events INTEGER NOT NULL,"
       "  deletions INTEGER NOT NULL,"
       "  first_sent_unix_ms INTEGER NOT NULL,"
       "  answered_unix_ms INTEGER NOT NULL,"
       "  attempts INTEGER NOT NULL,"
       // 'withdrawn': sent at least once, then purged by a consent change or an erasure before
       // an answer came; the gateway may have stored it.
       "  outcome TEXT NOT NULL CHECK (outcome IN ('acknowledged', 'rejected', 'withdrawn')),"
       "  detail TEXT NOT NULL"
       ") STRICT;"},
      {3, "outbox: quarantine for rows whose seal does not open; retention by recorded time",
       // A quarantined row is kept (never deleted silently) and skipped by every read.
       "ALTER TABLE outbox_events ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0 "
       "CHECK (quarantined IN (0, 1));"
       "CREATE INDEX outbox_events_by_recorded ON outbox_events(recorded_unix_ms);"},
      {4, "outbox: the queue's size is added once per transaction, not by a trigger per row",
       // The insert trigger ran an UPDATE of outbox_counters for every recorded event, as much
       // as two of the table's indexes cost. Enqueue and EnqueueMany now add what they inserted
       // in the same transaction, once (Outbox::FinishInsertRun). Deletions, which come from many
       // paths, keep their trigger. The stored size is right at this step: the trigger kept it.
       "DROP TRIGGER outbox_events_size_up;"},
  };
}

namespace {

// kInvalidArgument naming the key unless it is "<category>.<field>" without a comma.
Status CheckFieldKey(const std::string& key) {
  const size_t dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) {
    return InvalidArgumentError("outbox: field key '" + key + "' is not '<category>.<field>'");
  }
  if (key.find(',', 0) != std::string::npos) {
    return InvalidArgumentError("outbox: field key '" + key + "' contains a comma");
  }
  return OkStatus();
}

// The category column of an event whose keys passed CheckFieldKey, built without a string per
// field (the recorder's per-event path).
std::string CategoryColumnOf(const Event& event) {
  std::string_view one[8];
  std::vector<std::string_view> many;
  std::string_view* ids = one;
  if (event.fields.size() > std::size(one)) {
    many.resize(event.fields.size());
    ids = many.data();
  }
  size_t n = 0;
  for (const EventField& f : event.fields) {
    ids[n++] = std::string_view(f.key).substr(0, f.key.find('.'));
  }
  std::sort(ids, ids + n);
  std::string out = ",";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && ids[i] == ids[i - 1]) continue;
    out.append(ids[i]).push_back(',');
  }
  return out;
}

}  // namespace

StatusOr<std::vector<std::string>> CategoriesOf(const Event& event) {
  std::vector<std::string> out;
  for (const EventField& f : event.fields) {
    TACET_RETURN_IF_ERROR(CheckFieldKey(f.key));
    out.push_back(f.key.substr(0, f.key.find('.')));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Outbox::Outbox(store::Database& db, crypto::Drbg& drbg, platform::Clock& clock,
               OutboxOptions options)
    : db_(db), drbg_(drbg), clock_(clock), options_(options) {}

Outbox::~Outbox() = default;

StatusOr<std::unique_ptr<Outbox>> Outbox::Open(store::Database& db, platform::KeyStore& keys,
                                               crypto::Drbg& drbg, platform::Clock& clock,
                                               OutboxOptions options) {
  if (options.max_events < 1) {
    return InvalidArgumentError("outbox: max_events must be at least 1, not " +
                                std::to_string(options.max_events));
  }
  TACET_ASSIGN_OR_RETURN(Bytes key, platform::GetOrCreateSecret(keys, kOutboxKeyName, [&drbg] {
                           return drbg.RandomBytes(kKeySize);
                         }));
  crypto::SecretBytes secret{ByteView(key)};
  crypto::SecureZero(key.data(), key.size());
  TACET_RETURN_IF_ERROR(platform::CheckKeyMaterial("outbox key", secret.view(), kKeySize));
  std::unique_ptr<Outbox> outbox(new Outbox(db, drbg, clock, options));
  outbox->key_ = std::move(secret);
  return outbox;
}

StatusOr<Outbox::InsertRun> Outbox::StartInsertRun() {
  if (!size_query_) {
    TACET_ASSIGN_OR_RETURN(size_query_,
                           db_.Prepare("SELECT value FROM outbox_counters WHERE name = 'size'"));
  }
  store::Statement& count = *size_query_;
  TACET_ASSIGN_OR_RETURN(bool row, count.Step());
  InsertRun run;
  run.size = row ? count.ColumnInt64(0) : 0;
  TACET_RETURN_IF_ERROR(count.Reset());
  return run;
}

Status Outbox::FinishInsertRun(const InsertRun& run) {
  if (!add_counter_) {
    TACET_ASSIGN_OR_RETURN(add_counter_,
                           db_.Prepare("INSERT INTO outbox_counters (name, value) VALUES (?1, ?2) "
                                       "ON CONFLICT(name) DO UPDATE SET value = value + "
                                       "excluded.value"));
  }
  for (const auto& [name, delta] : {std::pair<const char*, int64_t>{"size", run.inserted},
                                    std::pair<const char*, int64_t>{kEvicted, run.evicted}}) {
    if (delta == 0) continue;
    TACET_RETURN_IF_ERROR(add_counter_->Bind(1, std::string_view(name)));
    TACET_RETURN_IF_ERROR(add_counter_->Bind(2, delta));
    const Status stepped = add_counter_->Step().status();
    const Status reset = add_counter_->Reset();
    TACET_RETURN_IF_ERROR(stepped);
    TACET_RETURN_IF_ERROR(reset);
  }
  return OkStatus();
}

Status Outbox::EvictInTransaction(InsertRun& run) {
  if (run.size < options_.max_events) return OkStatus();
  int64_t excess = run.size - options_.max_events + 1;
  // Oldest first; queued events (already allowed to leave) before held ones (still waiting). One
  // state at a time, so that each walks outbox_events_unbatched (batched, state, id) in order: a
  // single ORDER BY state DESC, id sorted the whole table on every insert at the cap. An event in
  // a batch is never evicted: it leaves with its batch (acknowledgement or purge).
  if (!evict_) {
    TACET_ASSIGN_OR_RETURN(
        evict_, db_.Prepare("DELETE FROM outbox_events WHERE id IN (SELECT id FROM outbox_events "
                            "WHERE batched = 0 AND state = ?1 AND NOT EXISTS (SELECT 1 FROM "
                            "outbox_links WHERE event_id = outbox_events.id) ORDER BY id LIMIT ?2)"));
  }
  for (EventState state : {EventState::kQueued, EventState::kHeld}) {
    if (excess <= 0) break;
    TACET_RETURN_IF_ERROR(evict_->Bind(1, static_cast<int64_t>(state)));
    TACET_RETURN_IF_ERROR(evict_->Bind(2, excess));
    const Status stepped = evict_->Step().status();
    const int64_t changes = db_.Changes();
    const Status reset = evict_->Reset();
    TACET_RETURN_IF_ERROR(stepped);
    TACET_RETURN_IF_ERROR(reset);
    // The delete trigger has taken them off the stored size already.
    run.size -= changes;
    run.evicted += changes;
    excess -= changes;
  }
  return OkStatus();
}

Status CheckEventShape(const Event& event) {
  if (event.purpose.empty() || event.purpose.find(',') != std::string::npos) {
    return InvalidArgumentError("outbox: an event needs a purpose id");
  }
  if (event.fields.empty() || event.fields.size() > kMaxFieldsPerEvent) {
    return InvalidArgumentError("outbox: an event carries 1 to " +
                                std::to_string(kMaxFieldsPerEvent) + " fields, not " +
                                std::to_string(event.fields.size()));
  }
  for (const EventField& f : event.fields) {
    if (f.value.size() > kMaxValueBytes) {
      return InvalidArgumentError("outbox: the value of '" + f.key + "' is " +
                                  std::to_string(f.value.size()) + " bytes, over the " +
                                  std::to_string(kMaxValueBytes) + "-byte limit");
    }
    TACET_RETURN_IF_ERROR(CheckFieldKey(f.key));
  }
  return OkStatus();
}

namespace {

Status CheckState(EventState state) {
  if (state != EventState::kHeld && state != EventState::kQueued) {
    return InvalidArgumentError("outbox: invalid event state " +
                                std::to_string(static_cast<int>(state)));
  }
  return OkStatus();
}

}  // namespace

StatusOr<int64_t> Outbox::InsertInTransaction(const Event& event, EventState state,
                                               InsertRun& run) {
  const std::string category_column = CategoryColumnOf(event);
  const int64_t recorded_ms = clock_.NowUnixMillis();

  // Everything that can fail before the plaintext exists, so that no early return leaves it unwiped.
  uint8_t nonce[kNonceSize];
  TACET_RETURN_IF_ERROR(drbg_.Generate(nonce, sizeof nonce));
  if (!aead_) {
    TACET_ASSIGN_OR_RETURN(aead_, crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key_.view()));
  }
  Bytes plain;
  size_t plain_size = 4;
  for (const EventField& f : event.fields) plain_size += 8 + f.key.size() + f.value.size();
  plain.reserve(plain_size);
  PutU32(plain, static_cast<uint32_t>(event.fields.size()));
  for (const EventField& f : event.fields) {
    PutText(plain, f.key);
    PutText(plain, f.value);
  }
  Bytes sealed;
  const Status sealed_ok = aead_->Seal(
      ByteView(nonce, sizeof nonce),
      AssociatedData(event.purpose, category_column, event.occurred_unix_ms, recorded_ms), plain,
      &sealed);
  crypto::SecureZero(plain.data(), plain.size());
  TACET_RETURN_IF_ERROR(sealed_ok);

  TACET_RETURN_IF_ERROR(EvictInTransaction(run));
  if (!insert_) {
    TACET_ASSIGN_OR_RETURN(insert_,
                           db_.Prepare("INSERT INTO outbox_events (purpose, categories, state, "
                                       "occurred_unix_ms, recorded_unix_ms, nonce, sealed) VALUES "
                                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  }
  store::Statement& insert = *insert_;
  TACET_RETURN_IF_ERROR(insert.Bind(1, event.purpose));
  TACET_RETURN_IF_ERROR(insert.Bind(2, category_column));
  TACET_RETURN_IF_ERROR(insert.Bind(3, static_cast<int64_t>(state)));
  TACET_RETURN_IF_ERROR(insert.Bind(4, event.occurred_unix_ms));
  TACET_RETURN_IF_ERROR(insert.Bind(5, recorded_ms));
  TACET_RETURN_IF_ERROR(insert.BindBlob(6, ByteView(nonce, sizeof nonce)));
  TACET_RETURN_IF_ERROR(insert.BindBlob(7, sealed));
  const Status stepped = insert.Step().status();
  const Status reset = insert.Reset();
  TACET_RETURN_IF_ERROR(stepped);
  TACET_RETURN_IF_ERROR(reset);
  ++run.size;
  ++run.inserted;
  return db_.LastInsertRowId();
}

StatusOr<int64_t> Outbox::Enqueue(const Event& event, EventState state) {
  TACET_RETURN_IF_ERROR(CheckState(state));
  TACET_RETURN_IF_ERROR(CheckEventShape(event));
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(InsertRun run, StartInsertRun());
  TACET_ASSIGN_OR_RETURN(int64_t id, InsertInTransaction(event, state, run));
  TACET_RETURN_IF_ERROR(FinishInsertRun(run));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return id;
}

StatusOr<std::vector<int64_t>> Outbox::EnqueueMany(const std::vector<EnqueueItem>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = "outbox: event " + std::to_string(i) + " of the batch: ";
    if (items[i].event == nullptr) return InvalidArgumentError(where + "no event");
    Status shape = CheckState(items[i].state);
    if (shape.ok()) shape = CheckEventShape(*items[i].event);
    if (!shape.ok()) return Status(shape.code(), where + shape.message());
  }
  std::vector<int64_t> ids;
  if (items.empty()) return ids;
  ids.reserve(items.size());
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(InsertRun run, StartInsertRun());
  for (const EnqueueItem& item : items) {
    TACET_ASSIGN_OR_RETURN(int64_t id, InsertInTransaction(*item.event, item.state, run));
    ids.push_back(id);
  }
  TACET_RETURN_IF_ERROR(FinishInsertRun(run));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return ids;
}

Status Outbox::OnConsentCommitting(store::Database& db, const consent::ConsentSnapshot& next) {
  // The groups, found by a loose scan of outbox_events_by_group: one index seek per (purpose,
  // categories, state) group instead of a GROUP BY over every row, so that an open (which runs
  // this once) costs the number of groups, not the number of queued events. The group after
  // (p, c, s) is the first row of (p, c, state > s), else of (p, categories > c), else of
  // (purpose > p): each a seek with equalities on a prefix of the index and one range. A single
  // row-value seek, (purpose, categories, state) > (p, c, s), is not one: SQLite (3.40) steps
  // through every row of the group just found, which made an open with 100,000 queued events of
  // one group take 6 ms more than an empty one
  // (OutboxTest.TheConsentHookCostsTheGroupsNotTheQueuedEvents).
  constexpr char kColumns[] = "SELECT purpose, categories, state FROM outbox_events ";
  constexpr char kOrder[] = " ORDER BY purpose, categories, state LIMIT 1";
  TACET_ASSIGN_OR_RETURN(auto first, db.Prepare(std::string(kColumns) + kOrder));
  TACET_ASSIGN_OR_RETURN(auto next_state,
                         db.Prepare(std::string(kColumns) +
                                    "WHERE purpose = ?1 AND categories = ?2 AND state > ?3" +
                                    kOrder));
  TACET_ASSIGN_OR_RETURN(auto next_categories,
                         db.Prepare(std::string(kColumns) +
                                    "WHERE purpose = ?1 AND categories > ?2" + kOrder));
  TACET_ASSIGN_OR_RETURN(auto next_purpose,
                         db.Prepare(std::string(kColumns) + "WHERE purpose > ?1" + kOrder));
  struct Group {
    std::string purpose, categories;
    int64_t state;
  };
  std::vector<Group> all;
  // Steps `q` once; a row found is appended to `all`.
  const auto take = [&all](store::Statement& q) -> StatusOr<bool> {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) all.push_back({q.ColumnText(0), q.ColumnText(1), q.ColumnInt64(2)});
    TACET_RETURN_IF_ERROR(q.Reset());
    return row;
  };
  TACET_ASSIGN_OR_RETURN(bool found, take(first));
  while (found) {
    const Group last = all.back();
    TACET_RETURN_IF_ERROR(next_state.Bind(1, last.purpose));
    TACET_RETURN_IF_ERROR(next_state.Bind(2, last.categories));
    TACET_RETURN_IF_ERROR(next_state.Bind(3, last.state));
    TACET_ASSIGN_OR_RETURN(found, take(next_state));
    if (found) continue;
    TACET_RETURN_IF_ERROR(next_categories.Bind(1, last.purpose));
    TACET_RETURN_IF_ERROR(next_categories.Bind(2, last.categories));
    TACET_ASSIGN_OR_RETURN(found, take(next_categories));
    if (found) continue;
    TACET_RETURN_IF_ERROR(next_purpose.Bind(1, last.purpose));
    TACET_ASSIGN_OR_RETURN(found, take(next_purpose));
  }
  int64_t purged = 0, released = 0;
  for (const Group& g : all) {
    const Fate fate = Decide(next, g.purpose, SplitCategoryColumn(g.categories),
                             static_cast<EventState>(g.state));
    if (fate == Fate::kKeep) continue;
    TACET_ASSIGN_OR_RETURN(
        auto change,
        db.Prepare(fate == Fate::kDelete
                       ? "DELETE FROM outbox_events WHERE purpose = ?1 AND categories = ?2 AND state = ?3"
                       : "UPDATE outbox_events SET state = 1 WHERE purpose = ?1 AND categories = ?2 "
                         "AND state = ?3"));
    TACET_RETURN_IF_ERROR(change.Bind(1, g.purpose));
    TACET_RETURN_IF_ERROR(change.Bind(2, g.categories));
    TACET_RETURN_IF_ERROR(change.Bind(3, g.state));
    TACET_RETURN_IF_ERROR(change.Step().status());
    (fate == Fate::kDelete ? purged : released) += db.Changes();
    if (fate == Fate::kDelete && g.state == static_cast<int64_t>(EventState::kQueued)) {
      // The group's batches go with it: a retry after the revocation sends nothing of it.
      TACET_RETURN_IF_ERROR(PurgeBatchesInTransaction(
          db, "kind = 0 AND purpose = ?1 AND categories = ?2", g.purpose, g.categories,
          /*queue_deletions=*/false, 0));
    }
  }
  TACET_RETURN_IF_ERROR(AddCounter(db, kPurged, purged));
  TACET_RETURN_IF_ERROR(AddCounter(db, kReleased, released));
  return PurgeBatchesForChangeInTransaction(db, next);
}

StatusOr<int64_t> Outbox::EraseCategories(const std::vector<std::string>& categories,
                                          bool everything) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kCritical));
  int64_t erased = 0;
  const int64_t now_ms = clock_.NowUnixMillis();
  // Deletion requests for every recipient the sharing log says got an erased category.
  {
    TACET_ASSIGN_OR_RETURN(auto shared, db_.Prepare("SELECT DISTINCT recipient, categories FROM "
                                                    "sharing_log WHERE kind = 0 AND outcome IN "
                                                    "('acknowledged', 'withdrawn')"));
    std::vector<std::pair<std::string, std::string>> wanted;
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool row, shared.Step());
      if (!row) break;
      const std::string recipient = shared.ColumnText(0);
      for (const std::string& c : SplitCategoryColumn(shared.ColumnText(1))) {
        if (everything || std::find(categories.begin(), categories.end(), c) != categories.end()) {
          wanted.emplace_back(recipient, c);
        }
      }
    }
    for (const auto& [recipient, category] : wanted) {
      TACET_RETURN_IF_ERROR(QueueDeletionInTransaction(recipient, category, now_ms));
    }
  }
  if (everything) {
    TACET_RETURN_IF_ERROR(PurgeBatchesInTransaction(db_, "kind = 0", "", "", true, now_ms));
    TACET_RETURN_IF_ERROR(db_.Exec("DELETE FROM outbox_events"));
    erased = db_.Changes();
  } else {
    for (const std::string& category : categories) {
      TACET_RETURN_IF_ERROR(PurgeBatchesInTransaction(db_, "kind = 0 AND instr(categories, ?1) > 0",
                                                      "," + category + ",", "", true, now_ms));
    }
    TACET_ASSIGN_OR_RETURN(auto erase,
                           db_.Prepare("DELETE FROM outbox_events WHERE instr(categories, ?1) > 0"));
    for (const std::string& category : categories) {
      TACET_RETURN_IF_ERROR(erase.Bind(1, "," + category + ","));
      TACET_RETURN_IF_ERROR(erase.Step().status());
      erased += db_.Changes();
      TACET_RETURN_IF_ERROR(erase.Reset());
    }
  }
  TACET_RETURN_IF_ERROR(AddCounter(db_, kErased, erased));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return erased;
}

StatusOr<std::vector<StoredEvent>> Outbox::List(EventState state, int64_t limit,
                                                 std::vector<int64_t>* quarantined_ids) {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT id, purpose, categories, occurred_unix_ms, "
                                             "recorded_unix_ms, nonce, sealed FROM outbox_events "
                                             "WHERE state = ?1 AND quarantined = 0 ORDER BY id "
                                             "LIMIT ?2"));
  TACET_RETURN_IF_ERROR(q.Bind(1, static_cast<int64_t>(state)));
  TACET_RETURN_IF_ERROR(q.Bind(2, limit));
  return ReadEvents(q, state, quarantined_ids);
}

StatusOr<std::vector<StoredEvent>> Outbox::ReadEvents(store::Statement& q, EventState state,
                                                      std::vector<int64_t>* quarantined_ids) {
  TACET_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key_.view()));
  std::vector<StoredEvent> out;
  std::vector<int64_t> bad;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    StoredEvent e;
    e.id = q.ColumnInt64(0);
    e.state = state;
    e.event.purpose = q.ColumnText(1);
    const std::string categories = q.ColumnText(2);
    e.event.occurred_unix_ms = q.ColumnInt64(3);
    e.recorded_unix_ms = q.ColumnInt64(4);
    const Bytes nonce = q.ColumnBlob(5), sealed = q.ColumnBlob(6);
    Bytes plain;
    if (!aead.Open(nonce,
                   AssociatedData(e.event.purpose, categories, e.event.occurred_unix_ms,
                                  e.recorded_unix_ms),
                   sealed, &plain)
             .ok()) {
      bad.push_back(e.id);  // does not open with the outbox key (altered or moved)
      continue;
    }
    Reader r(plain);
    uint32_t n = 0;
    bool ok = r.U32(&n) && n <= kMaxFieldsPerEvent;
    for (uint32_t i = 0; ok && i < n; ++i) {
      EventField f;
      ok = r.Text(&f.key) && r.Text(&f.value);
      e.event.fields.push_back(std::move(f));
    }
    crypto::SecureZero(plain.data(), plain.size());
    if (!ok || !r.done()) {
      bad.push_back(e.id);  // malformed inside its seal
      continue;
    }
    e.categories = SplitCategoryColumn(categories);
    out.push_back(std::move(e));
  }
  if (!bad.empty()) {
    // Quarantined: kept for inspection, skipped from now on, counted once per row.
    TACET_RETURN_IF_ERROR(QuarantineEventsInTransaction(bad));
    if (quarantined_ids != nullptr) {
      quarantined_ids->insert(quarantined_ids->end(), bad.begin(), bad.end());
    }
  }
  return out;
}

StatusOr<int64_t> Outbox::ExpireEvents(const std::map<std::string, int64_t>& retention_ms,
                                       int64_t now_unix_ms) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kNormal));
  // Only rows recorded before the cutoff are visited (outbox_events_by_recorded; the unary + keeps
  // the planner off outbox_events_unbatched, which would visit every unbatched row).
  TACET_ASSIGN_OR_RETURN(auto expire,
                         db_.Prepare("DELETE FROM outbox_events WHERE recorded_unix_ms <= ?1 AND "
                                     "+batched = 0 AND instr(categories, ?2) > 0"));
  int64_t expired = 0;
  for (const auto& [category, ms] : retention_ms) {
    if (ms <= 0) continue;
    // Saturating: a platform clock may say anything (the capi_sequence_fuzzer's lying clock said
    // INT64_MIN); a cutoff before every representable time expires nothing.
    int64_t cutoff = 0;
    if (__builtin_sub_overflow(now_unix_ms, ms, &cutoff)) cutoff = std::numeric_limits<int64_t>::min();
    TACET_RETURN_IF_ERROR(expire.Bind(1, cutoff));
    TACET_RETURN_IF_ERROR(expire.Bind(2, "," + category + ","));
    TACET_RETURN_IF_ERROR(expire.Step().status());
    expired += db_.Changes();
    TACET_RETURN_IF_ERROR(expire.Reset());
  }
  TACET_RETURN_IF_ERROR(AddCounter(db_, kExpired, expired));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return expired;
}

StatusOr<OutboxCounts> Outbox::Counts() {
  OutboxCounts c;
  TACET_ASSIGN_OR_RETURN(auto states,
                         db_.Prepare("SELECT state, count(*) FROM outbox_events GROUP BY state"));
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, states.Step());
    if (!row) break;
    (states.ColumnInt64(0) == 0 ? c.held : c.queued) = states.ColumnInt64(1);
  }
  TACET_ASSIGN_OR_RETURN(auto counters, db_.Prepare("SELECT name, value FROM outbox_counters"));
  TACET_ASSIGN_OR_RETURN(auto batches,
                         db_.Prepare("SELECT state, count(*) FROM outbox_batches GROUP BY state"));
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, batches.Step());
    if (!row) break;
    (batches.ColumnInt64(0) == 0 ? c.batches_pending : c.batches_rejected) = batches.ColumnInt64(1);
  }
  TACET_ASSIGN_OR_RETURN(auto deletions, db_.Prepare("SELECT count(*) FROM outbox_deletions"));
  TACET_ASSIGN_OR_RETURN(bool has, deletions.Step());
  if (has) c.deletions_pending = deletions.ColumnInt64(0);
  const std::map<std::string, int64_t*> slots = {{"batches_acknowledged", &c.batches_acknowledged},
                                                 {"batches_purged", &c.batches_purged},
                                                 {"batches_revised", &c.batches_revised},
                                                 {"batches_split", &c.batches_split},
                                                 {"not_shared", &c.not_shared},
                                                 {"peer_authentication_failures",
                                                  &c.peer_authentication_failures},
                                                 {kEvicted, &c.evicted},
                                                 {kPurged, &c.purged_by_consent},
                                                 {kReleased, &c.released},
                                                 {kErased, &c.erased},
                                                 {kRefused, &c.refused},
                                                 {kExpired, &c.expired},
                                                 {kQuarantined, &c.quarantined}};
  const std::string_view prefix = kRefusedPrefix;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, counters.Step());
    if (!row) break;
    const std::string name = counters.ColumnText(0);
    auto it = slots.find(name);
    if (it != slots.end()) {
      *it->second = counters.ColumnInt64(1);
    } else if (name.compare(0, prefix.size(), prefix) == 0) {
      c.refused_by_reason[name.substr(prefix.size())] = counters.ColumnInt64(1);
    }
  }
  return c;
}

Status Outbox::CountRefusal(std::string_view reason) {
  return CountRefusals({std::string(reason)});
}

Status Outbox::CountRefusals(const std::vector<std::string>& reasons) {
  if (reasons.empty()) return OkStatus();
  std::map<std::string, int64_t> by_reason;
  for (const std::string& r : reasons) {
    if (!r.empty()) ++by_reason[kRefusedPrefix + r];
  }
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kNormal));
  TACET_RETURN_IF_ERROR(AddCounter(db_, kRefused, static_cast<int64_t>(reasons.size())));
  for (const auto& [name, n] : by_reason) TACET_RETURN_IF_ERROR(AddCounter(db_, name.c_str(), n));
  return txn.Commit();
}

// ---- the uploader's side ------------------------------------------------------------------------

namespace {

constexpr char kBatchAadLabel[] = "tacet outbox batch v1";
constexpr char kBatchesPurged[] = "batches_purged";
constexpr char kBatchesAcknowledged[] = "batches_acknowledged";
constexpr char kNotShared[] = "not_shared";
constexpr char kBatchesRevised[] = "batches_revised";

std::string JoinList(const std::vector<std::string>& items) {
  std::string out = ",";
  for (const std::string& i : items) out += i + ",";
  return items.empty() ? std::string() : out;
}

constexpr char kBatchColumns[] =
    "batch_id, recipient, kind, purpose, categories, forms, events, deletions, state, "
    "created_unix_ms, first_sent_unix_ms, attempts, next_attempt_unix_ms, not_before_unix_ms, "
    "detail";

BatchInfo ReadBatchInfo(store::Statement& q) {
  BatchInfo b;
  b.batch_id = q.ColumnBlob(0);
  b.recipient = q.ColumnText(1);
  b.kind = static_cast<BatchKind>(q.ColumnInt64(2));
  b.purpose = q.ColumnText(3);
  b.categories = SplitCategoryColumn(q.ColumnText(4));
  b.forms = SplitCategoryColumn(q.ColumnText(5));
  b.events = q.ColumnInt64(6);
  b.deletions = q.ColumnInt64(7);
  b.state = static_cast<BatchState>(q.ColumnInt64(8));
  b.created_unix_ms = q.ColumnInt64(9);
  b.first_sent_unix_ms = q.ColumnInt64(10);
  b.attempts = q.ColumnInt64(11);
  b.next_attempt_unix_ms = q.ColumnInt64(12);
  b.not_before_unix_ms = q.ColumnInt64(13);
  b.detail = q.ColumnText(14);
  return b;
}

Status AppendSharing(store::Database& db, const BatchInfo& b, int64_t now_ms,
                     std::string_view outcome, std::string_view detail) {
  TACET_ASSIGN_OR_RETURN(
      auto q, db.Prepare("INSERT INTO sharing_log (batch_id, recipient, kind, purpose, categories, "
                         "forms, events, deletions, first_sent_unix_ms, answered_unix_ms, "
                         "attempts, outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                         "?10, ?11, ?12, ?13)"));
  TACET_RETURN_IF_ERROR(q.BindBlob(1, b.batch_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, b.recipient));
  TACET_RETURN_IF_ERROR(q.Bind(3, static_cast<int64_t>(b.kind)));
  TACET_RETURN_IF_ERROR(q.Bind(4, b.purpose));
  TACET_RETURN_IF_ERROR(q.Bind(5, CategoryColumn(b.categories)));
  TACET_RETURN_IF_ERROR(q.Bind(6, JoinList(b.forms)));
  TACET_RETURN_IF_ERROR(q.Bind(7, b.events));
  TACET_RETURN_IF_ERROR(q.Bind(8, b.deletions));
  TACET_RETURN_IF_ERROR(q.Bind(9, b.first_sent_unix_ms));
  TACET_RETURN_IF_ERROR(q.Bind(10, now_ms));
  TACET_RETURN_IF_ERROR(q.Bind(11, b.attempts));
  TACET_RETURN_IF_ERROR(q.Bind(12, outcome));
  TACET_RETURN_IF_ERROR(q.Bind(13, detail.substr(0, 512)));
  return q.Step().status();
}


// Deletes each of `event_ids` that is batched and that no batch links any more; returns how many.
// A quarantined row stays (kept for inspection, counted once as quarantined).
StatusOr<int64_t> DropUnlinkedEvents(store::Database& db, const std::vector<int64_t>& event_ids) {
  TACET_ASSIGN_OR_RETURN(auto drop, db.Prepare("DELETE FROM outbox_events WHERE id = ?1 AND "
                                               "batched = 1 AND quarantined = 0 AND NOT EXISTS "
                                               "(SELECT 1 FROM outbox_links WHERE event_id = ?1)"));
  int64_t dropped = 0;
  for (int64_t id : event_ids) {
    TACET_RETURN_IF_ERROR(drop.Bind(1, id));
    TACET_RETURN_IF_ERROR(drop.Step().status());
    dropped += db.Changes();
    TACET_RETURN_IF_ERROR(drop.Reset());
  }
  return dropped;
}

// Deletes a batch's row and its links (not its events: the caller decides about those).
Status DeleteBatchAndLinks(store::Database& db, ByteView batch_id) {
  for (const char* sql : {"DELETE FROM outbox_links WHERE batch_id = ?1",
                          "DELETE FROM outbox_batches WHERE batch_id = ?1"}) {
    TACET_ASSIGN_OR_RETURN(auto del, db.Prepare(sql));
    TACET_RETURN_IF_ERROR(del.BindBlob(1, batch_id));
    TACET_RETURN_IF_ERROR(del.Step().status());
  }
  return OkStatus();
}

StatusOr<std::vector<int64_t>> LinkedEventIds(store::Database& db, ByteView batch_id) {
  TACET_ASSIGN_OR_RETURN(auto ids, db.Prepare("SELECT event_id FROM outbox_links WHERE batch_id = "
                                              "?1 ORDER BY event_id"));
  TACET_RETURN_IF_ERROR(ids.BindBlob(1, batch_id));
  std::vector<int64_t> out;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, ids.Step());
    if (!row) break;
    out.push_back(ids.ColumnInt64(0));
  }
  return out;
}


}  // namespace

Bytes Outbox::BatchAad(ByteView batch_id, std::string_view recipient) const {
  Bytes aad(kBatchAadLabel, kBatchAadLabel + sizeof(kBatchAadLabel));  // with its NUL
  PutU32(aad, static_cast<uint32_t>(batch_id.size()));
  aad.insert(aad.end(), batch_id.begin(), batch_id.end());
  PutText(aad, recipient);
  return aad;
}

Status Outbox::QueueDeletionInTransaction(std::string_view recipient, std::string_view category,
                                          int64_t now_ms) {
  // One request per (recipient, category) waiting for a batch is enough.
  TACET_ASSIGN_OR_RETURN(
      auto add, db_.Prepare("INSERT INTO outbox_deletions (recipient, category, requested_unix_ms) "
                            "SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM outbox_deletions "
                            "WHERE recipient = ?1 AND category = ?2 AND batch_id IS NULL)"));
  TACET_RETURN_IF_ERROR(add.Bind(1, recipient));
  TACET_RETURN_IF_ERROR(add.Bind(2, category));
  TACET_RETURN_IF_ERROR(add.Bind(3, now_ms));
  return add.Step().status();
}

Status Outbox::PurgeBatchesInTransaction(store::Database& db, const char* where,
                                         std::string_view a, std::string_view b,
                                         bool queue_deletions, int64_t now_ms) {
  TACET_ASSIGN_OR_RETURN(auto q, db.Prepare(std::string("SELECT ") + kBatchColumns +
                                            " FROM outbox_batches WHERE " + where));
  if (!a.empty()) TACET_RETURN_IF_ERROR(q.Bind(1, a));
  if (!b.empty()) TACET_RETURN_IF_ERROR(q.Bind(2, b));
  std::vector<BatchInfo> victims;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    victims.push_back(ReadBatchInfo(q));
  }
  if (victims.empty()) return OkStatus();
  const int64_t at_ms = now_ms != 0 ? now_ms : clock_.NowUnixMillis();
  for (const BatchInfo& v : victims) {
    TACET_RETURN_IF_ERROR(DeleteBatchAndLinks(db, v.batch_id));
    if (v.attempts > 0 && v.state == BatchState::kPending) {
      // Sent at least once, never answered: the gateway may have stored it. The sharing log says
      // so (and keeps the recipient in reach of a later erasure's deletion requests).
      TACET_RETURN_IF_ERROR(AppendSharing(db, v, at_ms, "withdrawn",
                                          "withdrawn: sent before a consent change or an "
                                          "erasure, answer not awaited"));
    }
    if (queue_deletions && v.attempts > 0) {
      for (const std::string& c : v.categories) {
        TACET_RETURN_IF_ERROR(QueueDeletionInTransaction(v.recipient, c, now_ms));
      }
    }
  }
  return AddCounter(db, kBatchesPurged, static_cast<int64_t>(victims.size()));
}

Status Outbox::PurgeBatchesForChangeInTransaction(store::Database& db,
                                                  const consent::ConsentSnapshot& next) {
  // Straight from outbox_batches (not through the event groups: an event of a batch may be gone).
  TACET_ASSIGN_OR_RETURN(auto groups, db.Prepare("SELECT DISTINCT purpose, categories FROM "
                                                 "outbox_batches WHERE kind = 0"));
  std::vector<std::pair<std::string, std::string>> doomed;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, groups.Step());
    if (!row) break;
    std::string purpose = groups.ColumnText(0), categories = groups.ColumnText(1);
    if (Decide(next, purpose, SplitCategoryColumn(categories), EventState::kQueued) ==
        Fate::kDelete) {
      doomed.emplace_back(std::move(purpose), std::move(categories));
    }
  }
  for (const auto& [purpose, categories] : doomed) {
    // Their events too (eviction keeps linked events, so normally the group loop took them).
    TACET_ASSIGN_OR_RETURN(auto events,
                           db.Prepare("DELETE FROM outbox_events WHERE id IN (SELECT l.event_id "
                                      "FROM outbox_links l JOIN outbox_batches b ON b.batch_id = "
                                      "l.batch_id WHERE b.kind = 0 AND b.purpose = ?1 AND "
                                      "b.categories = ?2)"));
    TACET_RETURN_IF_ERROR(events.Bind(1, purpose));
    TACET_RETURN_IF_ERROR(events.Bind(2, categories));
    TACET_RETURN_IF_ERROR(events.Step().status());
    TACET_RETURN_IF_ERROR(AddCounter(db, kPurged, db.Changes()));
    TACET_RETURN_IF_ERROR(PurgeBatchesInTransaction(
        db, "kind = 0 AND purpose = ?1 AND categories = ?2", purpose, categories,
        /*queue_deletions=*/false, 0));
  }
  return OkStatus();
}

StatusOr<std::vector<StoredEvent>> Outbox::ListUnbatched(int64_t limit) {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT id, purpose, categories, occurred_unix_ms, "
                                             "recorded_unix_ms, nonce, sealed FROM outbox_events "
                                             "WHERE batched = 0 AND state = 1 AND quarantined = 0 "
                                             "ORDER BY id LIMIT ?1"));
  TACET_RETURN_IF_ERROR(q.Bind(1, limit));
  return ReadEvents(q, EventState::kQueued, nullptr);
}

StatusOr<std::vector<PendingDeletion>> Outbox::ListUnbatchedDeletions() {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT id, recipient, category, requested_unix_ms "
                                             "FROM outbox_deletions WHERE batch_id IS NULL "
                                             "ORDER BY id"));
  std::vector<PendingDeletion> out;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.ColumnInt64(0), q.ColumnText(1), q.ColumnText(2), q.ColumnInt64(3)});
  }
  return out;
}

Status Outbox::StoreBatchInTransaction(const NewBatch& batch) {
  if (batch.batch_id.size() != 16) {
    return InvalidArgumentError("outbox: a batch id is 16 bytes, not " +
                                std::to_string(batch.batch_id.size()));
  }
  if (batch.recipient.empty()) return InvalidArgumentError("outbox: a batch needs a recipient");
  if (batch.event_ids.empty() && batch.deletion_ids.empty()) {
    return InvalidArgumentError("outbox: a batch carries no event and no deletion request");
  }
  TACET_ASSIGN_OR_RETURN(Bytes nonce, drbg_.RandomBytes(kNonceSize));
  TACET_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key_.view()));
  Bytes sealed;
  TACET_RETURN_IF_ERROR(aead.Seal(nonce, BatchAad(batch.batch_id, batch.recipient), batch.wire, &sealed));
  TACET_ASSIGN_OR_RETURN(
      auto insert,
      db_.Prepare("INSERT INTO outbox_batches (batch_id, recipient, kind, purpose, categories, "
                  "forms, events, deletions, state, created_unix_ms, nonce, sealed) VALUES (?1, "
                  "?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11)"));
  TACET_RETURN_IF_ERROR(insert.BindBlob(1, batch.batch_id));
  TACET_RETURN_IF_ERROR(insert.Bind(2, batch.recipient));
  TACET_RETURN_IF_ERROR(insert.Bind(3, static_cast<int64_t>(batch.kind)));
  TACET_RETURN_IF_ERROR(insert.Bind(4, batch.purpose));
  TACET_RETURN_IF_ERROR(insert.Bind(5, CategoryColumn(batch.categories)));
  TACET_RETURN_IF_ERROR(insert.Bind(6, JoinList(batch.forms)));
  TACET_RETURN_IF_ERROR(insert.Bind(7, static_cast<int64_t>(batch.event_ids.size())));
  TACET_RETURN_IF_ERROR(insert.Bind(8, static_cast<int64_t>(batch.deletion_ids.size())));
  TACET_RETURN_IF_ERROR(
      insert.Bind(9, batch.created_unix_ms != 0 ? batch.created_unix_ms : clock_.NowUnixMillis()));
  TACET_RETURN_IF_ERROR(insert.BindBlob(10, nonce));
  TACET_RETURN_IF_ERROR(insert.BindBlob(11, sealed));
  TACET_RETURN_IF_ERROR(insert.Step().status());
  TACET_ASSIGN_OR_RETURN(auto link, db_.Prepare("INSERT INTO outbox_links (batch_id, event_id) "
                                                "VALUES (?1, ?2)"));
  for (int64_t id : batch.event_ids) {
    TACET_RETURN_IF_ERROR(link.BindBlob(1, batch.batch_id));
    TACET_RETURN_IF_ERROR(link.Bind(2, id));
    TACET_RETURN_IF_ERROR(link.Step().status());
    TACET_RETURN_IF_ERROR(link.Reset());
  }
  TACET_ASSIGN_OR_RETURN(auto take, db_.Prepare("UPDATE outbox_deletions SET batch_id = ?1 WHERE "
                                                "id = ?2 AND batch_id IS NULL"));
  for (int64_t id : batch.deletion_ids) {
    TACET_RETURN_IF_ERROR(take.BindBlob(1, batch.batch_id));
    TACET_RETURN_IF_ERROR(take.Bind(2, id));
    TACET_RETURN_IF_ERROR(take.Step().status());
    TACET_RETURN_IF_ERROR(take.Reset());
  }
  return OkStatus();
}

Status Outbox::MarkBatchedInTransaction(const std::vector<int64_t>& event_ids) {
  TACET_ASSIGN_OR_RETURN(auto mark, db_.Prepare("UPDATE outbox_events SET batched = 1 WHERE id = ?1"));
  TACET_ASSIGN_OR_RETURN(auto drop, db_.Prepare("DELETE FROM outbox_events WHERE id = ?1 AND NOT "
                                                "EXISTS (SELECT 1 FROM outbox_links WHERE "
                                                "event_id = ?1)"));
  int64_t dropped = 0;
  for (int64_t id : event_ids) {
    TACET_RETURN_IF_ERROR(mark.Bind(1, id));
    TACET_RETURN_IF_ERROR(mark.Step().status());
    TACET_RETURN_IF_ERROR(mark.Reset());
    TACET_RETURN_IF_ERROR(drop.Bind(1, id));
    TACET_RETURN_IF_ERROR(drop.Step().status());
    dropped += db_.Changes();
    TACET_RETURN_IF_ERROR(drop.Reset());
  }
  return AddCounter(db_, kNotShared, dropped);
}

StatusOr<std::vector<BatchInfo>> Outbox::ListBatches() {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare(std::string("SELECT ") + kBatchColumns +
                                             " FROM outbox_batches ORDER BY created_unix_ms, "
                                             "rowid"));
  std::vector<BatchInfo> out;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(ReadBatchInfo(q));
  }
  return out;
}

StatusOr<BatchInfo> Outbox::FindBatchInTransaction(ByteView batch_id) {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare(std::string("SELECT ") + kBatchColumns +
                                             " FROM outbox_batches WHERE batch_id = ?1"));
  TACET_RETURN_IF_ERROR(q.BindBlob(1, batch_id));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError("outbox: no such batch (acknowledged, purged or never stored)");
  return ReadBatchInfo(q);
}

StatusOr<Bytes> Outbox::OpenBatch(ByteView batch_id) {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT recipient, nonce, sealed FROM outbox_batches "
                                             "WHERE batch_id = ?1"));
  TACET_RETURN_IF_ERROR(q.BindBlob(1, batch_id));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError("outbox: no such batch (acknowledged, purged or never stored)");
  TACET_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key_.view()));
  Bytes wire;
  if (!aead.Open(q.ColumnBlob(1), BatchAad(batch_id, q.ColumnText(0)), q.ColumnBlob(2), &wire).ok()) {
    return DataLossError("outbox: a stored batch does not open with the outbox key (altered or "
                         "moved to another id or recipient)");
  }
  return wire;
}

StatusOr<std::vector<StoredEvent>> Outbox::LinkedEventsInTransaction(ByteView batch_id) {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT e.id, e.purpose, e.categories, "
                                             "e.occurred_unix_ms, e.recorded_unix_ms, e.nonce, "
                                             "e.sealed FROM outbox_links l JOIN outbox_events e "
                                             "ON e.id = l.event_id WHERE l.batch_id = ?1 AND "
                                             "e.quarantined = 0 ORDER BY e.id"));
  TACET_RETURN_IF_ERROR(q.BindBlob(1, batch_id));
  return ReadEvents(q, EventState::kQueued, nullptr);
}

Status Outbox::ReviseBatchInTransaction(ByteView batch_id, const Bytes& wire,
                                        const std::vector<std::string>& forms,
                                        const std::vector<int64_t>& keep_event_ids,
                                        std::string_view why) {
  if (keep_event_ids.empty()) {
    return InvalidArgumentError("outbox: a revised batch keeps no event (withdraw it instead)");
  }
  TACET_ASSIGN_OR_RETURN(BatchInfo b, FindBatchInTransaction(batch_id));
  if (b.state != BatchState::kPending) {
    return FailedPreconditionError("outbox: only a pending batch is revised");
  }
  const int64_t now_ms = clock_.NowUnixMillis();
  if (b.attempts > 0) {
    TACET_RETURN_IF_ERROR(AppendSharing(db_, b, now_ms, "withdrawn", why));
  }
  TACET_ASSIGN_OR_RETURN(std::vector<int64_t> linked, LinkedEventIds(db_, batch_id));
  std::vector<int64_t> keep = keep_event_ids;
  std::sort(keep.begin(), keep.end());
  std::vector<int64_t> gone;
  TACET_ASSIGN_OR_RETURN(auto unlink, db_.Prepare("DELETE FROM outbox_links WHERE batch_id = ?1 "
                                                  "AND event_id = ?2"));
  for (int64_t id : linked) {
    if (std::binary_search(keep.begin(), keep.end(), id)) continue;
    TACET_RETURN_IF_ERROR(unlink.BindBlob(1, batch_id));
    TACET_RETURN_IF_ERROR(unlink.Bind(2, id));
    TACET_RETURN_IF_ERROR(unlink.Step().status());
    TACET_RETURN_IF_ERROR(unlink.Reset());
    gone.push_back(id);
  }
  TACET_ASSIGN_OR_RETURN(Bytes nonce, drbg_.RandomBytes(kNonceSize));
  TACET_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key_.view()));
  Bytes sealed;
  TACET_RETURN_IF_ERROR(aead.Seal(nonce, BatchAad(batch_id, b.recipient), wire, &sealed));
  TACET_ASSIGN_OR_RETURN(auto update,
                         db_.Prepare("UPDATE outbox_batches SET forms = ?2, events = ?3, nonce = ?4, "
                                     "sealed = ?5 WHERE batch_id = ?1"));
  TACET_RETURN_IF_ERROR(update.BindBlob(1, batch_id));
  TACET_RETURN_IF_ERROR(update.Bind(2, JoinList(forms)));
  TACET_RETURN_IF_ERROR(update.Bind(3, static_cast<int64_t>(linked.size() - gone.size())));
  TACET_RETURN_IF_ERROR(update.BindBlob(4, nonce));
  TACET_RETURN_IF_ERROR(update.BindBlob(5, sealed));
  TACET_RETURN_IF_ERROR(update.Step().status());
  TACET_ASSIGN_OR_RETURN(int64_t dropped, DropUnlinkedEvents(db_, gone));
  TACET_RETURN_IF_ERROR(AddCounter(db_, kNotShared, dropped));
  return AddCounter(db_, kBatchesRevised, 1);
}

Status Outbox::WithdrawBatchInTransaction(ByteView batch_id, std::string_view why,
                                          bool may_have_arrived) {
  TACET_ASSIGN_OR_RETURN(BatchInfo b, FindBatchInTransaction(batch_id));
  if (may_have_arrived) {
    TACET_RETURN_IF_ERROR(AppendSharing(db_, b, clock_.NowUnixMillis(), "withdrawn", why));
  }
  TACET_ASSIGN_OR_RETURN(std::vector<int64_t> linked, LinkedEventIds(db_, batch_id));
  TACET_RETURN_IF_ERROR(DeleteBatchAndLinks(db_, batch_id));
  TACET_ASSIGN_OR_RETURN(int64_t dropped, DropUnlinkedEvents(db_, linked));
  return AddCounter(db_, kNotShared, dropped);
}

Status Outbox::QuarantineEventsInTransaction(const std::vector<int64_t>& event_ids) {
  TACET_ASSIGN_OR_RETURN(auto mark, db_.Prepare("UPDATE outbox_events SET quarantined = 1 "
                                                "WHERE id = ?1 AND quarantined = 0"));
  int64_t marked = 0;
  for (int64_t id : event_ids) {
    TACET_RETURN_IF_ERROR(mark.Bind(1, id));
    TACET_RETURN_IF_ERROR(mark.Step().status());
    marked += db_.Changes();
    TACET_RETURN_IF_ERROR(mark.Reset());
  }
  return AddCounter(db_, kQuarantined, marked);
}

Status Outbox::RecordAttemptInTransaction(ByteView batch_id, int64_t now_unix_ms,
                                          int64_t next_attempt_unix_ms) {
  TACET_ASSIGN_OR_RETURN(
      auto q, db_.Prepare("UPDATE outbox_batches SET attempts = attempts + 1, first_sent_unix_ms "
                          "= CASE first_sent_unix_ms WHEN 0 THEN ?2 ELSE first_sent_unix_ms END, "
                          "next_attempt_unix_ms = ?3 WHERE batch_id = ?1"));
  TACET_RETURN_IF_ERROR(q.BindBlob(1, batch_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, now_unix_ms));
  TACET_RETURN_IF_ERROR(q.Bind(3, next_attempt_unix_ms));
  return q.Step().status();
}

Status Outbox::RecordRetry(ByteView batch_id, int64_t next_attempt_unix_ms,
                           int64_t not_before_unix_ms, std::string_view detail) {
  TACET_ASSIGN_OR_RETURN(
      auto q, db_.Prepare("UPDATE outbox_batches SET next_attempt_unix_ms = ?2, "
                          "not_before_unix_ms = ?3, detail = ?4 WHERE batch_id = ?1 AND state = 0"));
  TACET_RETURN_IF_ERROR(q.BindBlob(1, batch_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, next_attempt_unix_ms));
  TACET_RETURN_IF_ERROR(q.Bind(3, not_before_unix_ms));
  TACET_RETURN_IF_ERROR(q.Bind(4, detail.substr(0, 512)));
  return q.Step().status();
}


StatusOr<BatchInfo> Outbox::AcknowledgeInTransaction(ByteView batch_id, int64_t now_unix_ms,
                                                     std::string_view detail, bool duplicate) {
  TACET_ASSIGN_OR_RETURN(BatchInfo b, FindBatchInTransaction(batch_id));
  std::string logged_detail(detail);
  BatchInfo logged = b;
  if (duplicate) {
    // The gateway already had this id: it holds what an earlier attempt carried. If the batch was
    // revised after attempts (each revision logged a `withdrawn` row with the attempts made so
    // far and the forms it had), those attempts may have carried other forms than its current.
    TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT forms, attempts FROM sharing_log WHERE "
                                               "batch_id = ?1 AND outcome = 'withdrawn' ORDER BY "
                                               "id"));
    TACET_RETURN_IF_ERROR(q.BindBlob(1, batch_id));
    std::set<std::string> earlier;
    int64_t last_revision_at = -1;
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      for (std::string& f : SplitCategoryColumn(q.ColumnText(0))) earlier.insert(std::move(f));
      last_revision_at = q.ColumnInt64(1);
    }
    if (last_revision_at >= 0) {
      // No attempt since the last revision before this one: only earlier contents can be what
      // the gateway holds. Otherwise either.
      if (b.attempts > last_revision_at + 1) earlier.insert(b.forms.begin(), b.forms.end());
      logged.forms.assign(earlier.begin(), earlier.end());
      logged_detail += ": the gateway holds an earlier attempt's contents, sent before the batch "
                       "was revised";
    }
  }
  TACET_RETURN_IF_ERROR(AppendSharing(db_, logged, now_unix_ms, "acknowledged", logged_detail));
  // The events it carried, then its links; an event goes once no batch links it any more.
  TACET_ASSIGN_OR_RETURN(std::vector<int64_t> events, LinkedEventIds(db_, batch_id));
  for (const char* sql : {"DELETE FROM outbox_links WHERE batch_id = ?1",
                          "DELETE FROM outbox_deletions WHERE batch_id = ?1",
                          "DELETE FROM outbox_batches WHERE batch_id = ?1"}) {
    TACET_ASSIGN_OR_RETURN(auto del, db_.Prepare(sql));
    TACET_RETURN_IF_ERROR(del.BindBlob(1, batch_id));
    TACET_RETURN_IF_ERROR(del.Step().status());
  }
  TACET_RETURN_IF_ERROR(DropUnlinkedEvents(db_, events).status());
  TACET_RETURN_IF_ERROR(AddCounter(db_, kBatchesAcknowledged, 1));
  return b;
}

StatusOr<BatchInfo> Outbox::RejectInTransaction(ByteView batch_id, int64_t now_unix_ms,
                                                std::string_view detail) {
  TACET_ASSIGN_OR_RETURN(BatchInfo b, FindBatchInTransaction(batch_id));
  if (b.state == BatchState::kRejected) return b;
  TACET_RETURN_IF_ERROR(AppendSharing(db_, b, now_unix_ms, "rejected", detail));
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("UPDATE outbox_batches SET state = 2, detail = ?2 "
                                             "WHERE batch_id = ?1"));
  TACET_RETURN_IF_ERROR(q.BindBlob(1, batch_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, detail.substr(0, 512)));
  TACET_RETURN_IF_ERROR(q.Step().status());
  b.state = BatchState::kRejected;
  return b;
}

Status Outbox::ForEachSharingEntry(const std::function<Status(const SharingEntry&)>& fn) {
  TACET_ASSIGN_OR_RETURN(
      auto q, db_.Prepare("SELECT id, batch_id, recipient, kind, purpose, categories, forms, "
                          "events, deletions, first_sent_unix_ms, answered_unix_ms, attempts, "
                          "outcome, detail FROM sharing_log ORDER BY id"));
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    SharingEntry e;
    e.id = q.ColumnInt64(0);
    e.batch_id = q.ColumnBlob(1);
    e.recipient = q.ColumnText(2);
    e.kind = static_cast<BatchKind>(q.ColumnInt64(3));
    e.purpose = q.ColumnText(4);
    e.categories = SplitCategoryColumn(q.ColumnText(5));
    e.forms = SplitCategoryColumn(q.ColumnText(6));
    e.events = q.ColumnInt64(7);
    e.deletions = q.ColumnInt64(8);
    e.first_sent_unix_ms = q.ColumnInt64(9);
    e.answered_unix_ms = q.ColumnInt64(10);
    e.attempts = q.ColumnInt64(11);
    e.outcome = q.ColumnText(12);
    e.acknowledged = e.outcome == "acknowledged";
    e.detail = q.ColumnText(13);
    TACET_RETURN_IF_ERROR(fn(e));
  }
  return OkStatus();
}

Status Outbox::AddToCounter(std::string_view name, int64_t delta) {
  return AddCounter(db_, std::string(name).c_str(), delta);
}

Status Outbox::SetStateInTransaction(std::string_view name, int64_t value) {
  TACET_ASSIGN_OR_RETURN(auto set, db_.Prepare("INSERT INTO outbox_counters (name, value) VALUES "
                                               "(?1, ?2) ON CONFLICT(name) DO UPDATE SET value = "
                                               "excluded.value"));
  TACET_RETURN_IF_ERROR(set.Bind(1, "state:" + std::string(name)));
  TACET_RETURN_IF_ERROR(set.Bind(2, value));
  return set.Step().status();
}

StatusOr<std::optional<int64_t>> Outbox::ReadState(std::string_view name) {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT value FROM outbox_counters WHERE name = ?1"));
  TACET_RETURN_IF_ERROR(q.Bind(1, "state:" + std::string(name)));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(q.ColumnInt64(0));
}

}  // namespace tacet::outbox
