// Writing tacetctl's output files (exports, privacy reports, compiled policies, keys, signatures)
// without ever damaging a file that was there before.
//
// A destination is written as a new temporary file in the destination's folder (created with
// O_CREAT | O_EXCL | O_NOFOLLOW, a unique name, the requested mode), flushed to disk, and only
// then renamed over the destination; the folder is flushed after the rename. A write that fails
// at any point removes its own temporary file and leaves whatever was at the destination
// byte-for-byte as it was. A rename replaces the destination's directory entry and never writes
// into the old file, so another hard link to the old file keeps its contents.
//
// Refused before anything is written, with a message saying why:
//   - a destination that is a symbolic link (it is not followed), a directory or any other
//     non-regular file (a device, a FIFO, a socket);
//   - the database the command works on, its "-wal", "-shm" and "-journal" companions and its
//     device lock "<database>.lock", compared
//     by device and inode for the files that exist and by resolved path for those that do not
//     exist yet (both under the path given and under the path its symbolic links resolve to);
//   - anything inside the key store directory, at any depth, compared by resolved path and by
//     the device and inode of each enclosing folder.
#ifndef TACET_CLI_OUTPUT_FILE_H_
#define TACET_CLI_OUTPUT_FILE_H_

#include <cstdio>
#include <functional>
#include <string>

#include "base/status.h"

namespace tacet::cli {

// Paths an output file must never replace or land in. Either may be empty (nothing to protect).
struct ProtectedPaths {
  std::string database;       // the database file, as given to the command (--db)
  std::string key_store_dir;  // the key store directory, as given to the command (--keystore)
};

// OK when `destination` may be written; kInvalidArgument naming the destination and the reason
// otherwise (kNotFound when its folder does not exist). Reads the file system only.
Status CheckOutputPath(const std::string& destination, const ProtectedPaths& protect);

// Checks `destination` (CheckOutputPath), then runs `write` on a new temporary file beside it
// (mode `mode`, reduced by the umask) and, when `write` succeeds, flushes and renames it into
// place. `write` gets a stdio stream valid only during the call and must not close it. On any
// failure the temporary file is removed and the destination is untouched. Returns `write`'s
// error, or kUnavailable naming the step (create, write, sync, rename) that failed.
Status WriteOutputFile(const std::string& destination, const ProtectedPaths& protect,
                       unsigned mode, const std::function<Status(std::FILE*)>& write);

}  // namespace tacet::cli

#endif  // TACET_CLI_OUTPUT_FILE_H_
