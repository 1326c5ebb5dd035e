// FileKeyStore: secrets as files in a private directory, for Linux speaker firmware.
//
// Layout: one regular file per secret, named after it, mode 0600, in a directory of mode 0700
// owned by the process's user. Names of secrets never start with a dot; the store's own temporary
// files do: ".tmp.<pid>.<16 hex>.<name>" (a Put in progress) and ".del.<pid>.<16 hex>.<name>" (a
// Delete in progress), where <pid> is the writer's process id and the hex digits come from
// getrandom(2), so two writers never share a temporary name.
//
// Put: the secret is written to a fresh temporary file (O_CREAT|O_EXCL, flock(LOCK_EX) held until
// the file is gone or renamed), fsync'ed, renamed into place with RENAME_NOREPLACE (an existing
// secret is never replaced: kAlreadyExists), and the directory is fsync'ed. A live name therefore
// always refers to a complete, durable secret; a crash leaves either the whole secret or none of it
// (plus a temporary file that the next Open removes). Where the file system has no
// RENAME_NOREPLACE, link(2) + unlink(2) of the temporary name is used instead (link never replaces
// either); a crash in between leaves a second name on the live secret, which Open only unlinks.
//
// Delete: the secret's name is first renamed to a ".del." name and the directory fsync'ed, so Get
// answers kNotFound from then on, also after a crash; then the file is overwritten with zeros,
// fsync'ed and unlinked. A live name is never zeroed in place, so a crash never leaves a zeroed
// secret under its name.
//
// What Delete can promise: the bytes are overwritten with zeros and fsync'ed before the last name
// is removed (a crash before that leaves them in the ".del." file until the next Open wipes it).
// On a plain block device or an overwrite-in-place file system that destroys the secret; on flash
// behind a flash translation layer, or on a copy-on-write or journalling file system with data
// journalling, old blocks may survive until they are reclaimed. Firmware that needs more should
// wrap these secrets with a hardware-bound key (TPM, secure element, TEE).
//
// Clean-up at Open ("scrub"): every temporary file is examined, and
//   - one whose name carries the pid of a live process other than this one is left alone (its
//     writer may be between creating the file and locking it);
//   - one that another open file description holds locked (flock) is left alone (a writer at work,
//     whatever its pid namespace);
//   - one with more than one link is only unlinked, never overwritten: its other name is a live
//     secret (the crash state of the link fallback, and of the old ".tmp-<name>" scheme, which
//     linked the temp file into place before unlinking it);
//   - any other is overwritten with zeros, fsync'ed and unlinked, under the lock and after checking
//     that the name still refers to the file that was locked.
// Every change to a temporary name (rename into place, unlink, zeroing) happens under LOCK_EX on
// its file and after that check, so a scrub and a writer never act on the same file at once. What
// this relies on: flock(2) locks between open file descriptions (local file systems; not NFS
// before Linux 2.6.12), and, for the moment between O_CREAT and flock, either the writer's pid
// being visible as alive (same pid namespace) or the writer noticing that its temp file was
// removed (it checks after locking and starts over). Old-version processes (which neither lock nor
// name temp files after their pid) must not use the directory at the same time.
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
  // left by an interrupted Put or Delete are cleaned up as described above. The caller owns the
  // returned store.
  static StatusOr<std::unique_ptr<FileKeyStore>> Open(const std::string& dir);
  ~FileKeyStore() override;
  FileKeyStore(const FileKeyStore&) = delete;
  FileKeyStore& operator=(const FileKeyStore&) = delete;

  // Thread-safe (serialised by an internal mutex); they block on file I/O, fsync and, briefly,
  // on another process's flock of the same file. Several processes may use one directory at once:
  // concurrent Puts of one name leave exactly one secret (the others get kAlreadyExists, which
  // GetOrCreateSecret turns into reading the winner back).
  Status Put(std::string_view name, ByteView secret) override;
  StatusOr<Bytes> Get(std::string_view name) override;
  Status Delete(std::string_view name) override;

 private:
  FileKeyStore(std::string dir, int dir_fd) : dir_(std::move(dir)), dir_fd_(dir_fd) {}
  Status ScrubTemporaryFiles();
  // Cleans up one temporary file (see the scrub rules above).
  Status ScrubOne(const std::string& file);
  // A fresh temporary name: `kind` ("tmp" or "del"), our pid, 16 random hex digits, `name`.
  StatusOr<std::string> TemporaryName(const char* kind, const std::string& name) const;
  // Overwrites the locked file `fd` (named `file`) with zeros, fsyncs it, unlinks `file` and
  // fsyncs the directory.
  Status WipeAndUnlink(int fd, const std::string& file);

  const std::string dir_;
  const int dir_fd_;  // O_DIRECTORY descriptor: every access is relative to it, so a path swapped
                      // for a symlink after Open cannot redirect writes.
  std::mutex mu_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_FILE_KEY_STORE_H_
