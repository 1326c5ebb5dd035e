// Files in a server's state folder (tacet-collector, tacet-relay): a private folder, files written
// whole or not at all, small files read with checked lengths, and the TLS credentials a server
// generates on its first start and reuses afterwards.
//
// Thread-safety: the functions are thread-safe for different files; callers serialise writes to
// the same file. Nothing here logs file contents.
#ifndef TACET_EXAMPLES_NET_STATE_DIR_H_
#define TACET_EXAMPLES_NET_STATE_DIR_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/secure.h"
#include "tls_credentials.h"

namespace tacet::net {

// Creates `dir` with mode 0700 when it is missing (its parent must exist). kInvalidArgument when
// it exists and is not a folder (a symbolic link is refused too); kUnavailable naming errno.
Status EnsurePrivateDir(const std::string& dir);

// Writes `contents` to dir/name through a temporary file in `dir` (created with `mode`, synced,
// then renamed over the name, and the folder synced): a reader sees the old file or the new one,
// never a part. kUnavailable naming the file and errno.
Status WriteFileAtomically(const std::string& dir, const std::string& name, ByteView contents, int mode);

// Reads dir/name, a regular file (not a link) of at most `max_bytes`. With `must_be_private`, a
// file that group or others may read or write is refused (kPermissionDenied naming its mode).
// kNotFound when missing; kInvalidArgument when larger than max_bytes or not a regular file.
// The result is a SecretBytes so that a key read this way is wiped when released.
StatusOr<crypto::SecretBytes> ReadSmallFile(const std::string& dir, const std::string& name, size_t max_bytes,
                                            bool must_be_private);

// True when dir/name exists (as anything).
bool FileExists(const std::string& dir, const std::string& name);

// The server's TLS credentials in `dir`: tls-cert.pem and tls-key.pem (0600) are read when both
// exist and generated (GenerateTestCredentials: self-signed P-256, for 127.0.0.1, "localhost"
// and `host_names`) when both are missing; tls-spki.sha256 (64 lower-case hex digits and "\n",
// the SHA-256 of the certificate's SubjectPublicKeyInfo) is written every time. One of the two
// files without the other is kFailedPrecondition (the folder is left as it is). The returned
// credentials hold the key (wiped on destruction) and the pin.
StatusOr<TestCredentials> LoadOrCreateTlsCredentials(const std::string& dir,
                                                     const std::vector<std::string>& host_names);

// Writes dir/port: the decimal port and "\n", atomically (a reader that sees the file sees all
// of it), mode 0644.
Status WritePortFile(const std::string& dir, uint16_t port);

}  // namespace tacet::net

#endif  // TACET_EXAMPLES_NET_STATE_DIR_H_
