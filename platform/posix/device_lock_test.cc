// DeviceLock between real processes: a forked child holds the lock, the parent tries to take it.
#include "posix/device_lock.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "testing/test_util.h"

namespace tacet::platform {
namespace {

using tacet::testing::TempDir;

// Forks a child that takes the lock in `mode`, signals through a pipe, and holds it until
// killed. Returns its pid once it holds the lock (or -1).
pid_t HoldInChild(const std::string& path, LockMode mode) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    auto lock = DeviceLock::Acquire(path, mode, 5000);
    const char ok = lock.ok() ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1) _exit(3);
    for (;;) pause();
  }
  close(ready[1]);
  char c = 0;
  const bool held = read(ready[0], &c, 1) == 1 && c == 'y';
  close(ready[0]);
  if (!held) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
  }
  return pid;
}

void Reap(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(DeviceLockTest, ASecondWriterWaitsThenFailsNamingTheHolder) {
  TempDir dir;
  const std::string path = DeviceLock::LockPathFor(dir.File("device.db"));
  char* real_dir = realpath(dir.path().c_str(), nullptr);
  ASSERT_NE(real_dir, nullptr);
  EXPECT_EQ(path, std::string(real_dir) + "/device.db.lock");
  std::free(real_dir);
  const pid_t holder = HoldInChild(path, LockMode::kExclusive);
  ASSERT_GT(holder, 0);
  const auto start = std::chrono::steady_clock::now();
  auto second = DeviceLock::Acquire(path, LockMode::kExclusive, 200);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("in use by process " + std::to_string(holder)),
            std::string::npos)
      << second.status().message();
  EXPECT_GE(waited, std::chrono::milliseconds(200)) << "must wait up to the timeout first";
  // A reader is kept out by a writer too.
  EXPECT_EQ(DeviceLock::Acquire(path, LockMode::kShared, 50).status().code(),
            StatusCode::kUnavailable);
  Reap(holder);
  // The kernel dropped the dead holder's lock: no stale-lock clean-up needed.
  auto after = DeviceLock::Acquire(path, LockMode::kExclusive, 1000);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE((*after)->held());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(DeviceLockTest, AWaitingWriterGetsTheLockWhenTheHolderLeaves) {
  TempDir dir;
  const std::string path = dir.File("device.db.lock");
  const pid_t holder = HoldInChild(path, LockMode::kExclusive);
  ASSERT_GT(holder, 0);
  const pid_t killer = fork();
  if (killer == 0) {
    usleep(150 * 1000);
    kill(holder, SIGKILL);
    _exit(0);
  }
  auto lock = DeviceLock::Acquire(path, LockMode::kExclusive, 5000);
  EXPECT_TRUE(lock.ok()) << lock.status().ToString();
  waitpid(killer, nullptr, 0);
  waitpid(holder, nullptr, 0);
}

TEST(DeviceLockTest, ReadersShareButKeepWritersOut) {
  TempDir dir;
  const std::string path = dir.File("device.db.lock");
  const pid_t reader = HoldInChild(path, LockMode::kShared);
  ASSERT_GT(reader, 0);
  auto second_reader = DeviceLock::Acquire(path, LockMode::kShared, 100);
  EXPECT_TRUE(second_reader.ok()) << second_reader.status().ToString();
  second_reader->reset();
  EXPECT_EQ(DeviceLock::Acquire(path, LockMode::kExclusive, 100).status().code(),
            StatusCode::kUnavailable);
  Reap(reader);
}

// Two spellings of one database (a symbolic link to its folder, a "..") name one lock (found by
// review: two exclusive owners through two paths).
TEST(DeviceLockTest, EverySpellingOfADatabaseNamesOneLock) {
  TempDir dir;
  ASSERT_EQ(mkdir(dir.File("real").c_str(), 0700), 0);
  ASSERT_EQ(symlink(dir.File("real").c_str(), dir.File("alias").c_str()), 0);
  const std::string a = DeviceLock::LockPathFor(dir.File("real/device.db"));
  EXPECT_EQ(DeviceLock::LockPathFor(dir.File("alias/device.db")), a);
  EXPECT_EQ(DeviceLock::LockPathFor(dir.File("real/../alias/device.db")), a);
  auto first = DeviceLock::Acquire(a, LockMode::kExclusive, 100);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(DeviceLock::Acquire(DeviceLock::LockPathFor(dir.File("alias/device.db")),
                                LockMode::kExclusive, 50).status().code(),
            StatusCode::kUnavailable);
}

TEST(DeviceLockTest, OneProcessCannotOpenTheSameFolderTwice) {
  TempDir dir;
  const std::string path = dir.File("device.db.lock");
  auto first = DeviceLock::Acquire(path, LockMode::kExclusive, 100);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(DeviceLock::Acquire(path, LockMode::kExclusive, 50).status().code(),
            StatusCode::kUnavailable);
}

TEST(DeviceLockTest, RefusesASymlinkAndANonRegularFile) {
  TempDir dir;
  ASSERT_EQ(symlink(dir.File("elsewhere").c_str(), dir.File("a.lock").c_str()), 0);
  EXPECT_EQ(DeviceLock::Acquire(dir.File("a.lock"), LockMode::kExclusive, 10).status().code(),
            StatusCode::kPermissionDenied);
  struct stat st {};
  EXPECT_NE(lstat(dir.File("elsewhere").c_str(), &st), 0) << "nothing created through the link";
  ASSERT_EQ(mkdir(dir.File("b.lock").c_str(), 0700), 0);
  EXPECT_FALSE(DeviceLock::Acquire(dir.File("b.lock"), LockMode::kExclusive, 10).ok());
}

TEST(DeviceLockTest, AReaderOfAFolderItCannotWriteNeedsNoFile) {
  if (geteuid() == 0) {
    // root ignores directory permissions; use a real read-only location instead.
    auto lock = DeviceLock::Acquire("/sys/tacet-device.db.lock", LockMode::kShared, 10);
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    EXPECT_FALSE((*lock)->held());
    EXPECT_FALSE(
        DeviceLock::Acquire("/sys/tacet-device.db.lock", LockMode::kExclusive, 10).ok());
    return;
  }
  TempDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0500), 0);
  auto lock = DeviceLock::Acquire(dir.File("device.db.lock"), LockMode::kShared, 10);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_FALSE((*lock)->held());
  EXPECT_FALSE(DeviceLock::Acquire(dir.File("device.db.lock"), LockMode::kExclusive, 10).ok());
  chmod(dir.path().c_str(), 0700);
}

}  // namespace
}  // namespace tacet::platform
