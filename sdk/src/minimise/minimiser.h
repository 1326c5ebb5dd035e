// tacet::minimise::Minimiser: what one recipient may get of one recorded event, in the least
// identifying form its grant allows (docs/sync.md, "Minimiser").
//
//   Minimiser m(policy, device_secret);
//   StatusOr<MinimisedEvent> out = m.ForRecipient(ledger.snapshot(), "music_industry_partners",
//                                                 event, now_ms);
//   if (out.ok() && !out->fields.empty()) batch.Add(*out);
//
// Per field "<category>.<field>" of the event, at send time:
//   1. the snapshot's policy's Disclosure(category, purpose, recipient) must allow it (a recipient
//      that needs notice or legal process never gets anything from the device: no context vouches
//      for it);
//   2. the snapshot must still allow the purpose to use the category (ConsentSnapshot::Allows: may
//      data already held be used or handed over) — a revocation after recording is honoured; and
//      location
//      leaves only while a precision is granted, a precise position coarsened to approximate
//      unless precise is granted, whatever the recipient's grant;
//   3. no disclosure while a controller-change notice is unacknowledged (the caller says so);
//   4. raw voice audio (voice.voice_recordings) never leaves: voice leaves as on-device intents;
//   5. then the grant's transform: none (as is), coarsen (location to the approximate grid, a
//      number to its power-of-two bucket, other text to nothing but its presence), pseudonymise
//      (identifying fields replaced by HMAC-SHA256 under the recipient's period key; other values
//      as they are), aggregate (not sent per event).
// The event time is rounded down to the time bucket. The subject is a 16-byte pseudonym of the
// device under the recipient's period key: two recipients, or two periods, cannot link records.
//
// Keys: k(r, p) = HKDF-SHA256(salt = "tacet pseudonym v1", IKM = device secret,
// info = recipient id || 0x00 || period as 8 bytes big-endian), 32 bytes (RFC 5869 §2). Pure and
// thread-safe once constructed; the device secret is wiped on destruction.
#ifndef TACET_MINIMISE_MINIMISER_H_
#define TACET_MINIMISE_MINIMISER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consent/consent_snapshot.h"
#include "crypto/secure.h"
#include "outbox/outbox.h"
#include "policy/policy.h"

namespace tacet::minimise {

inline constexpr size_t kPseudonymSize = 16;

struct MinimiserOptions {
  int64_t time_bucket_s = 3600;        // event times are rounded down to this
  int64_t pseudonym_period_s = 2592000;  // 30 days: a recipient's key changes every period
};

struct MinimisedField {
  std::string key;    // "<category>.<field>"
  std::string value;  // after the transform; for a pseudonym, 32 lower-case hex digits
  policy::Transform form = policy::Transform::kNone;
};

struct MinimisedEvent {
  std::string purpose;
  int64_t time_s = 0;  // bucketed
  std::vector<MinimisedField> fields;  // empty: nothing of the event may go to the recipient
  int dropped = 0;                     // fields the recipient may not get
};

// Fields whose values identify a person, and are pseudonymised under a pseudonymise grant: every
// field of name, contact and payment, billing.billing_address, public_profile.name_or_username,
// and free text the user typed (usage.search_queries, every field of contest_answers).
bool IsIdentifyingField(std::string_view key);

class Minimiser {
 public:
  // `device_secret` (at least 32 bytes; copied and wiped on destruction) comes from the key
  // store. kInvalidArgument for a short secret, a null policy or non-positive options.
  static StatusOr<std::unique_ptr<Minimiser>> Create(std::shared_ptr<const policy::Policy> policy,
                                                     ByteView device_secret,
                                                     MinimiserOptions options = {});

  // What `recipient` gets of `event` (see the file comment). An event whose purpose or recipient
  // the policy does not know yields no fields (not an error: the policy may have changed since
  // the event was recorded). `controller_notice_pending` refuses everything.
  StatusOr<MinimisedEvent> ForRecipient(const consent::ConsentSnapshot& snapshot,
                                        std::string_view recipient, const outbox::Event& event,
                                        int64_t now_unix_ms, bool controller_notice_pending) const;

  // The device as `recipient` knows it during the period containing `unix_ms`.
  StatusOr<Bytes> Subject(std::string_view recipient, int64_t unix_ms) const;

  // The recipient's key for the period containing `unix_ms` (exposed for known-answer tests).
  StatusOr<crypto::SecretBytes> PeriodKey(std::string_view recipient, int64_t unix_ms) const;

  const policy::Policy& policy() const { return *policy_; }

 private:
  Minimiser(std::shared_ptr<const policy::Policy> policy, ByteView device_secret,
            MinimiserOptions options);

  std::shared_ptr<const policy::Policy> policy_;
  crypto::SecretBytes secret_;
  MinimiserOptions options_;
};

}  // namespace tacet::minimise

#endif  // TACET_MINIMISE_MINIMISER_H_
