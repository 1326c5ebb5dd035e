// The policy manager's persisted state: the last signed update it applied and whether a
// controller-change notice is pending. One file, replaced atomically.
//
// Format (all integers big-endian):
//   "TPST" | u8 format (1) | u8 flags (bit 0: notice required) | u16 signature length |
//   u32 policy length | signature | policy
// The policy and its signature are verified again on every load, so tampering with them is caught;
// the flag is not authenticated (an attacker who can write the app's files can also delete them).
#ifndef TACET_POLICY_POLICY_STATE_H_
#define TACET_POLICY_POLICY_STATE_H_

#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::policy {

struct PolicyState {
  Bytes policy;     // the signed policy binary
  Bytes signature;  // DER ECDSA P-256 signature over `policy`
  bool notice_required = false;
};

Bytes EncodePolicyState(const PolicyState& state);
// kDataLoss naming the defect when `bytes` is not a well-formed state (bad magic, unknown format or
// flags, lengths that do not add up). Lengths are checked before any copy.
StatusOr<PolicyState> DecodePolicyState(ByteView bytes);

// Replaces `path` with `bytes` so that a crash leaves either the old or the new file: writes
// `path`.tmp (mode 0600), fsyncs it, renames it over `path`, fsyncs the directory.
// Not safe against concurrent writers of the same path; callers serialise.
Status WriteFileAtomically(const std::string& path, ByteView bytes);

}  // namespace tacet::policy

#endif  // TACET_POLICY_POLICY_STATE_H_
