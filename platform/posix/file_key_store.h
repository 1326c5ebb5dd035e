// FileKeyStore: secrets as files in a private directory, for Linux speaker firmware.
//
// Layout: one regular file per secret, named after it, mode 0600, in a directory of mode 0700
// owned by the process's user. Writes go to a temporary file that is fsync'ed and then linked
// into place, so a crash leaves either the whole secret or none of it.
//
// What Delete can promise: the file's bytes are overwritten with zeros and fsync'ed before it
// is unlinked. On a plain block device or an overwrite-in-place file system that destroys the
// secret; on flash behind a flash translation layer, or on a copy-on-write or journalling file
// system with data journalling, old blocks may survive until they are reclaimed. Firmware that
// needs more should wrap these secrets with a hardware-bound key (TPM, secure element, TEE).
#ifndef TACET_PLATFORM_POSIX_FILE_KEY_STORE_H_
#define TACET_PLATFORM_POSIX_FILE_KEY_STORE_H_

#include <memory>
#include <mutex>
#include <string>

#include "tacet/platform/key_store.h"

namespace tacet::platform {

class FileKeyStore final : public KeyStore {
 public:
  // Opens the store in `dir`, creating it (mode 0700) if it does not exist; its parent must
  // exist. An existing `dir` must be a real directory (not a symlink) owned by this process's
  // user with no group or other access bits, or the result is kPermissionDenied. Temporary files
  // left by an interrupted Put are wiped. The caller owns the returned store.
  static StatusOr<std::unique_ptr<FileKeyStore>> Open(const std::string& dir);
  ~FileKeyStore() override;
  FileKeyStore(const FileKeyStore&) = delete;
  FileKeyStore& operator=(const FileKeyStore&) = delete;

  // Thread-safe (serialised by an internal mutex); they block on file I/O and fsync. Only one
  // process may use a directory at a time.
  Status Put(std::string_view name, ByteView secret) override;
  StatusOr<Bytes> Get(std::string_view name) override;
  Status Delete(std::string_view name) override;

 private:
  FileKeyStore(std::string dir, int dir_fd) : dir_(std::move(dir)), dir_fd_(dir_fd) {}
  // Overwrites the file `file` (relative to the directory) with zeros, fsyncs and unlinks it.
  Status WipeAndUnlink(const std::string& file);
  Status ScrubTemporaryFiles();

  const std::string dir_;
  const int dir_fd_;  // O_DIRECTORY descriptor: every access is relative to it, so a path swapped
                      // for a symlink after Open cannot redirect writes.
  std::mutex mu_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_FILE_KEY_STORE_H_
