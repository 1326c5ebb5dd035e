// How the vault validates a value before it is encrypted and stored.
//
// The categories and fields come from the policy (sdk/policy/streaming-service.json); this file
// only says what KIND of value a policy field holds, keyed by the policy's field id. A field the
// policy adds later without an entry here is validated as free text (FieldKind::kText).
#ifndef TACET_VAULT_FIELD_RULES_H_
#define TACET_VAULT_FIELD_RULES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/enum_names.h"
#include "base/status.h"

namespace tacet::vault {

enum class FieldKind : uint8_t {
  kName,              // one line of text, 1..200 code points
  kText,              // free text, 1..4096 code points (tabs and line breaks allowed)
  kEmail,             // addr-spec of RFC 5322 §3.4.1 in its dot-atom form, ASCII, <= 254 bytes
  kPhoneE164,         // ITU-T E.164: '+', then 7 to 15 digits, the first not 0
  kPostalAddress,     // text, 1..500 code points, line breaks allowed
  kPaymentToken,      // a payment processor's token: 8..128 of [A-Za-z0-9_-]; never a card number
  kPaymentLastFour,   // the last four digits of a card, optionally after a brand: "Visa 4242"
  kAudio,             // raw audio bytes (1 byte .. 4 MiB); needs explicit consent to store
  kPreciseLocation,   // "lat,lon" in decimal degrees; needs precise location consent
  kApproximateLocation,  // a place name, or "lat,lon" with at most 2 decimals (~1 km)
};

inline constexpr EnumName<FieldKind> kFieldKindNames[] = {
    {FieldKind::kName, "name"},
    {FieldKind::kText, "text"},
    {FieldKind::kEmail, "email"},
    {FieldKind::kPhoneE164, "phone_e164"},
    {FieldKind::kPostalAddress, "postal_address"},
    {FieldKind::kPaymentToken, "payment_token"},
    {FieldKind::kPaymentLastFour, "payment_last_four"},
    {FieldKind::kAudio, "audio"},
    {FieldKind::kPreciseLocation, "precise_location"},
    {FieldKind::kApproximateLocation, "approximate_location"},
};
static_assert(EnumNamesAreUnique(kFieldKindNames));

// "name", "text", "email", ... ("unknown" out of range); the export's `kind`. Static storage.
const char* FieldKindName(FieldKind kind);
// The kind of a policy field id; kText for ids this table does not know.
FieldKind KindOfField(std::string_view field_id);
// Whether values of this kind are text (UTF-8) rather than bytes.
bool IsTextKind(FieldKind kind);

// Checks `value` against `kind`. OK, or kInvalidArgument whose message starts with
// "<category>.<field>: " and says what is wrong — it never repeats the value (messages reach logs).
// Pure; thread-safe.
Status ValidateValue(std::string_view category, std::string_view field, FieldKind kind,
                     std::string_view value);

// True when `text` contains 13 to 19 digits that pass the Luhn check (ISO/IEC 7812-1 Annex B),
// written as one run or as consecutive groups of digits with any separators between them (any
// characters that are neither digits nor ASCII letters: "4111 1111 1111 1111",
// "4111--1111--1111--1111", "4111_1111_1111_1111", "4111.1111.1111.1111"): what a full card
// number looks like. Groups are never split: a card number glued to more digits
// ("94111111111111111") is not found. About one in ten 13-to-19-digit numbers passes the Luhn
// check by chance, so text holding such a run of numbers (a long phone number, a date and time
// with seconds written with separators) can be refused too.
//
// ValidateValue refuses such a value in every text field (names, free text, addresses, search
// queries, e-mail addresses, place names, payment tokens and last-four fields) except two whose
// shape is checked exactly and whose digits are not a card number by construction: E.164 phone
// numbers ("+" then up to 15 digits) and precise "lat,lon" coordinates.
bool ContainsCardNumber(std::string_view text);

}  // namespace tacet::vault

#endif  // TACET_VAULT_FIELD_RULES_H_
