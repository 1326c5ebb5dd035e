// The default policy compiled into the library: sdk/policy/streaming-service.json, turned into a
// flatbuffer by flatc and into a byte array by embed_bytes.cmake at build time.
#ifndef TACET_POLICY_EMBEDDED_POLICY_H_
#define TACET_POLICY_EMBEDDED_POLICY_H_

#include "base/bytes.h"

namespace tacet::policy {

// The embedded policy's binary (file identifier "TPOL"). Static storage, 16-byte aligned; valid for
// the life of the program. Thread-safe. Use Policy::LoadEmbedded() to get a validated view.
ByteView EmbeddedPolicyBytes();

}  // namespace tacet::policy

#endif  // TACET_POLICY_EMBEDDED_POLICY_H_
