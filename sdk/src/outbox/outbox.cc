#include "outbox/outbox.h"

#include <algorithm>
#include <map>
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
  };
}

StatusOr<std::vector<std::string>> CategoriesOf(const Event& event) {
  std::vector<std::string> out;
  for (const EventField& f : event.fields) {
    const size_t dot = f.key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == f.key.size()) {
      return InvalidArgumentError("outbox: field key '" + f.key +
                                  "' is not '<category>.<field>'");
    }
    if (f.key.find(',') != std::string::npos) {
      return InvalidArgumentError("outbox: field key '" + f.key + "' contains a comma");
    }
    out.push_back(f.key.substr(0, dot));
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

Status Outbox::EvictInTransaction() {
  TACET_ASSIGN_OR_RETURN(auto count,
                         db_.Prepare("SELECT value FROM outbox_counters WHERE name = 'size'"));
  TACET_ASSIGN_OR_RETURN(bool row, count.Step());
  const int64_t n = row ? count.ColumnInt64(0) : 0;
  if (n < options_.max_events) return OkStatus();
  const int64_t excess = n - options_.max_events + 1;
  // Oldest first; queued events (already allowed to leave) before held ones (still waiting).
  TACET_ASSIGN_OR_RETURN(auto evict,
                         db_.Prepare("DELETE FROM outbox_events WHERE id IN (SELECT id FROM "
                                     "outbox_events ORDER BY state DESC, id LIMIT ?1)"));
  TACET_RETURN_IF_ERROR(evict.Bind(1, excess));
  TACET_RETURN_IF_ERROR(evict.Step().status());
  return AddCounter(db_, kEvicted, db_.Changes());
}

StatusOr<int64_t> Outbox::Enqueue(const Event& event, EventState state) {
  if (state != EventState::kHeld && state != EventState::kQueued) {
    return InvalidArgumentError("outbox: invalid event state " +
                                std::to_string(static_cast<int>(state)));
  }
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
  }
  TACET_ASSIGN_OR_RETURN(std::vector<std::string> categories, CategoriesOf(event));
  const std::string category_column = CategoryColumn(categories);
  const int64_t recorded_ms = clock_.NowUnixMillis();

  // Everything that can fail before the plaintext exists, so that no early return leaves it unwiped.
  TACET_ASSIGN_OR_RETURN(Bytes nonce, drbg_.RandomBytes(kNonceSize));
  TACET_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key_.view()));
  Bytes plain;
  PutU32(plain, static_cast<uint32_t>(event.fields.size()));
  for (const EventField& f : event.fields) {
    PutText(plain, f.key);
    PutText(plain, f.value);
  }
  Bytes sealed;
  const Status sealed_ok =
      aead.Seal(nonce, AssociatedData(event.purpose, category_column, event.occurred_unix_ms, recorded_ms),
                plain, &sealed);
  crypto::SecureZero(plain.data(), plain.size());
  TACET_RETURN_IF_ERROR(sealed_ok);

  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kNormal));
  TACET_RETURN_IF_ERROR(EvictInTransaction());
  TACET_ASSIGN_OR_RETURN(auto insert,
                         db_.Prepare("INSERT INTO outbox_events (purpose, categories, state, "
                                     "occurred_unix_ms, recorded_unix_ms, nonce, sealed) VALUES "
                                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  TACET_RETURN_IF_ERROR(insert.Bind(1, event.purpose));
  TACET_RETURN_IF_ERROR(insert.Bind(2, category_column));
  TACET_RETURN_IF_ERROR(insert.Bind(3, static_cast<int64_t>(state)));
  TACET_RETURN_IF_ERROR(insert.Bind(4, event.occurred_unix_ms));
  TACET_RETURN_IF_ERROR(insert.Bind(5, recorded_ms));
  TACET_RETURN_IF_ERROR(insert.BindBlob(6, nonce));
  TACET_RETURN_IF_ERROR(insert.BindBlob(7, sealed));
  TACET_RETURN_IF_ERROR(insert.Step().status());
  const int64_t id = db_.LastInsertRowId();
  TACET_RETURN_IF_ERROR(txn.Commit());
  return id;
}

Status Outbox::OnConsentCommitting(store::Database& db, const consent::ConsentSnapshot& next) {
  TACET_ASSIGN_OR_RETURN(auto groups, db.Prepare("SELECT purpose, categories, state, count(*) FROM "
                                                 "outbox_events GROUP BY purpose, categories, state"));
  struct Group {
    std::string purpose, categories;
    int64_t state, count;
  };
  std::vector<Group> all;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, groups.Step());
    if (!row) break;
    all.push_back({groups.ColumnText(0), groups.ColumnText(1), groups.ColumnInt64(2),
                   groups.ColumnInt64(3)});
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
  }
  TACET_RETURN_IF_ERROR(AddCounter(db, kPurged, purged));
  return AddCounter(db, kReleased, released);
}

StatusOr<int64_t> Outbox::EraseCategories(const std::vector<std::string>& categories,
                                          bool everything) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kCritical));
  int64_t erased = 0;
  if (everything) {
    TACET_RETURN_IF_ERROR(db_.Exec("DELETE FROM outbox_events"));
    erased = db_.Changes();
  } else {
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

StatusOr<std::vector<StoredEvent>> Outbox::List(EventState state, int64_t limit) {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT id, purpose, categories, occurred_unix_ms, "
                                             "recorded_unix_ms, nonce, sealed FROM outbox_events "
                                             "WHERE state = ?1 ORDER BY id LIMIT ?2"));
  TACET_RETURN_IF_ERROR(q.Bind(1, static_cast<int64_t>(state)));
  TACET_RETURN_IF_ERROR(q.Bind(2, limit));
  TACET_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(crypto::AeadAlgorithm::kAes256Gcm, key_.view()));
  std::vector<StoredEvent> out;
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
    const std::string where = "outbox: event " + std::to_string(e.id);
    if (!aead.Open(nonce,
                   AssociatedData(e.event.purpose, categories, e.event.occurred_unix_ms,
                                  e.recorded_unix_ms),
                   sealed, &plain)
             .ok()) {
      return DataLossError(where + " does not open with the outbox key (altered or moved)");
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
    if (!ok || !r.done()) return DataLossError(where + " is malformed inside its seal");
    e.categories = SplitCategoryColumn(categories);
    out.push_back(std::move(e));
  }
  return out;
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
  const std::map<std::string, int64_t*> slots = {{kEvicted, &c.evicted},
                                                 {kPurged, &c.purged_by_consent},
                                                 {kReleased, &c.released},
                                                 {kErased, &c.erased},
                                                 {kRefused, &c.refused}};
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, counters.Step());
    if (!row) break;
    auto it = slots.find(counters.ColumnText(0));
    if (it != slots.end()) *it->second = counters.ColumnInt64(1);
  }
  return c;
}

Status Outbox::CountRefusal() { return AddCounter(db_, kRefused, 1); }

}  // namespace tacet::outbox
