// Small helpers shared by Tacet's tests.
#ifndef TACET_TESTING_TEST_UTIL_H_
#define TACET_TESTING_TEST_UTIL_H_

#include <string>

#include "base/bytes.h"
#include "testing/status_matchers.h"

namespace tacet::testing {

// A fresh directory under $TMPDIR (or /tmp), or under `base`, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  explicit TempDir(const std::string& base);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Reads a whole file; fails the calling test (and returns empty) when it cannot.
Bytes ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, ByteView bytes);

// The repository's source directory (for fixtures), from the build.
std::string SourceDir();

}  // namespace tacet::testing

#endif  // TACET_TESTING_TEST_UTIL_H_
