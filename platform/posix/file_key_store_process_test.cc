// FileKeyStore across processes: the states a crash leaves behind, a second process opening the
// store while a first one writes, concurrent first writes of the same names, and SIGKILL at random
// moments of a Put/Delete loop. Each test forks; children report through their exit status (and
// stderr), never through gtest assertions.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "posix/file_key_store.h"
#include "testing/test_util.h"

namespace tacet::platform {
namespace {

constexpr size_t kSecretSize = 32;

// Runs `body` in a forked child, which exits with body's return value. Returns the child's pid.
pid_t Spawn(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  return pid;
}

// The child's exit code, or 128 + the signal that ended it.
int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A pid that belongs to no live process: a child that has exited and been reaped.
pid_t DeadPid() {
  pid_t pid = Spawn([] { return 0; });
  Reap(pid);
  return pid;
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  return names;
}

std::vector<std::string> TempEntries(const std::string& dir) {
  std::vector<std::string> temps;
  for (const std::string& n : Entries(dir)) {
    if (!n.empty() && n[0] == '.') temps.push_back(n);
  }
  return temps;
}

nlink_t LinkCount(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 ? st.st_nlink : 0;
}

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t NameSeed(const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// A secret that proves its own integrity: u64be(generation >= 1) || 24 bytes derived from the
// name and the generation. Never all zeros; a partial or zeroed file does not verify.
Bytes SelfCheckingSecret(const std::string& name, uint64_t generation) {
  Bytes out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(generation >> (8 * i)));
  uint64_t state = NameSeed(name) ^ generation;
  while (out.size() < kSecretSize) {
    uint64_t v = SplitMix(state);
    for (int i = 0; i < 8 && out.size() < kSecretSize; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  return out;
}

bool IsSelfCheckingSecret(const std::string& name, const Bytes& got) {
  if (got.size() != kSecretSize) return false;
  uint64_t generation = 0;
  for (int i = 0; i < 8; ++i) generation = (generation << 8) | got[i];
  return generation != 0 && got == SelfCheckingSecret(name, generation);
}

std::string Hex(const Bytes& b) { return HexEncode(b); }

// (a) The crash state of the old Put (secret linked into place, temp name not yet unlinked): Open
// must drop the temp name and leave the live key's bytes alone. The old scrub zeroed the shared
// inode, so the key read back as 32 zero bytes.
TEST(FileKeyStoreCrashTest, OldSchemeTempLinkedToALiveKeyIsUnlinkedNotZeroed) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("keys");
  const Bytes secret = SelfCheckingSecret("k", 1);
  {
    ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
    ASSERT_OK(store->Put("k", secret));
  }
  ASSERT_EQ(link((dir + "/k").c_str(), (dir + "/.tmp-k").c_str()), 0);
  ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
  ASSERT_OK_AND_ASSIGN(Bytes got, store->Get("k"));
  EXPECT_EQ(got, secret);
  EXPECT_EQ(testing::ReadFileOrDie(dir + "/k"), secret);
  EXPECT_TRUE(TempEntries(dir).empty());
  EXPECT_EQ(LinkCount(dir + "/k"), 1u);
}

// The same state with the current temp naming (a crash inside the link fallback used where the
// file system has no RENAME_NOREPLACE): the name goes, the bytes stay.
TEST(FileKeyStoreCrashTest, CurrentSchemeTempLinkedToALiveKeyIsUnlinkedNotZeroed) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("keys");
  const Bytes secret = SelfCheckingSecret("k", 2);
  {
    ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
    ASSERT_OK(store->Put("k", secret));
  }
  const std::string temp = dir + "/.tmp." + std::to_string(DeadPid()) + ".0123456789abcdef.k";
  ASSERT_EQ(link((dir + "/k").c_str(), temp.c_str()), 0);
  ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
  ASSERT_OK_AND_ASSIGN(Bytes got, store->Get("k"));
  EXPECT_EQ(got, secret);
  EXPECT_TRUE(TempEntries(dir).empty());
}

// What a crash inside Delete leaves: the secret renamed to a ".del." name, not yet wiped. Open
// wipes it (the bytes are zero, seen through a descriptor kept open) and removes it; the key is
// gone under its own name.
TEST(FileKeyStoreCrashTest, InterruptedDeleteIsFinishedByOpen) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("keys");
  { ASSERT_OK(FileKeyStore::Open(dir).status()); }
  const std::string doomed = dir + "/.del." + std::to_string(DeadPid()) + ".00000000000000ff.k";
  testing::WriteFileOrDie(doomed, SelfCheckingSecret("k", 3));
  ASSERT_EQ(chmod(doomed.c_str(), 0600), 0);
  const int keep = open(doomed.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(keep, 0);
  ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
  EXPECT_TRUE(TempEntries(dir).empty());
  EXPECT_THAT(store->Get("k"), StatusIs(StatusCode::kNotFound));
  uint8_t buf[kSecretSize] = {};
  ASSERT_EQ(pread(keep, buf, sizeof buf, 0), static_cast<ssize_t>(sizeof buf));
  EXPECT_EQ(Bytes(buf, buf + sizeof buf), Bytes(kSecretSize, 0));
  close(keep);
}

// A pipe the parent uses to hold children until it says go, and children use to say "ready".
class Signal {
 public:
  Signal() { EXPECT_EQ(pipe(fds_), 0); }
  ~Signal() {
    CloseRead();
    CloseWrite();
  }
  void Notify() {
    char c = 1;
    EXPECT_EQ(write(fds_[1], &c, 1), 1);
  }
  bool Wait() {
    char c = 0;
    ssize_t n;
    do n = read(fds_[0], &c, 1);
    while (n < 0 && errno == EINTR);
    return n >= 0;  // one byte, or end of file once every writer has closed
  }
  void CloseRead() {
    if (fds_[0] >= 0) close(fds_[0]);
    fds_[0] = -1;
  }
  void CloseWrite() {
    if (fds_[1] >= 0) close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// A child that creates its temp file the way a writer does (O_EXCL, mode 0600), named by
// `path_for(its own pid)`, optionally holds LOCK_EX on it, writes part of a secret, says ready and
// exits only when the parent says go.
pid_t InFlightWriter(const std::function<std::string(pid_t)>& path_for, bool lock, Signal& ready,
                     Signal& go) {
  return Spawn([&]() -> int {
    int fd = open(path_for(getpid()).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return 10;
    if (lock && flock(fd, LOCK_EX) != 0) return 11;
    const uint8_t partial[3] = {7, 7, 7};
    if (write(fd, partial, sizeof partial) != 3) return 12;
    ready.Notify();
    go.Wait();
    close(fd);
    return 0;
  });
}

// (b) The temp file of a writer that is alive is never touched by another process's Open: neither
// one named after a live process (a writer between O_CREAT and flock), nor one locked by a live
// process (even if its name carries a dead pid, as a writer in another pid namespace would look).
// Once the writer is gone, Open removes it.
TEST(FileKeyStoreCrashTest, OpenLeavesTheTempFilesOfLiveWritersAlone) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("keys");
  { ASSERT_OK(FileKeyStore::Open(dir).status()); }

  struct Case {
    const char* what;
    bool lock;
    bool dead_pid_in_name;
  } cases[] = {{"locked, named after the writer", true, false},
               {"unlocked (between O_CREAT and flock), named after the writer", false, false},
               {"locked, named after a dead pid", true, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Signal ready, go;
    const pid_t dead = DeadPid();
    auto path_for = [&](pid_t writer) {
      return dir + "/.tmp." + std::to_string(c.dead_pid_in_name ? dead : writer) +
             ".2222222222222222.k";
    };
    const pid_t writer = InFlightWriter(path_for, c.lock, ready, go);
    const std::string path = path_for(writer);
    ASSERT_TRUE(ready.Wait());
    {
      ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
      EXPECT_EQ(testing::ReadFileOrDie(path), (Bytes{7, 7, 7}));
    }
    go.Notify();
    ASSERT_EQ(Reap(writer), 0);
    ASSERT_OK(FileKeyStore::Open(dir).status());
    EXPECT_TRUE(TempEntries(dir).empty());
  }
}

// (b) Real writers and real openers at once: one process stores 150 new secrets (reading each
// back) while three others open the store over and over, reading every secret present. No Put
// fails, no secret is ever seen damaged, and all of them are intact at the end. (The old store
// failed here: an opener's scrub zeroed a secret between link and unlink, or deleted a writer's
// temp file before it was linked.)
TEST(FileKeyStoreCrashTest, OpensDuringPutsNeverDamageAKey) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("keys");
  const std::string done = tmp.File("done");
  { ASSERT_OK(FileKeyStore::Open(dir).status()); }
  constexpr int kKeys = 150;
  auto name_of = [](int i) { return "k" + std::to_string(i); };

  const pid_t writer = Spawn([&]() -> int {
    auto store = FileKeyStore::Open(dir);
    if (!store.ok()) return 2;
    for (int i = 0; i < kKeys; ++i) {
      Status put = (*store)->Put(name_of(i), SelfCheckingSecret(name_of(i), 1));
      if (!put.ok()) {
        std::fprintf(stderr, "writer: %s\n", put.ToString().c_str());
        return 3;
      }
      auto got = (*store)->Get(name_of(i));
      if (!got.ok() || !IsSelfCheckingSecret(name_of(i), *got)) return 4;
    }
    return 0;
  });
  std::vector<pid_t> openers;
  for (int o = 0; o < 3; ++o) {
    openers.push_back(Spawn([&]() -> int {
      while (access(done.c_str(), F_OK) != 0) {
        auto store = FileKeyStore::Open(dir);
        if (!store.ok()) {
          std::fprintf(stderr, "opener: %s\n", store.status().ToString().c_str());
          return 2;
        }
        for (int i = 0; i < kKeys; ++i) {
          auto got = (*store)->Get(name_of(i));
          if (!got.ok()) {
            if (got.status().code() == StatusCode::kNotFound) continue;
            std::fprintf(stderr, "opener: %s\n", got.status().ToString().c_str());
            return 3;
          }
          if (!IsSelfCheckingSecret(name_of(i), *got)) {
            std::fprintf(stderr, "opener: %s is damaged: %s\n", name_of(i).c_str(), Hex(*got).c_str());
            return 4;
          }
        }
      }
      return 0;
    }));
  }
  EXPECT_EQ(Reap(writer), 0);
  testing::WriteFileOrDie(done, Bytes{1});
  for (pid_t p : openers) EXPECT_EQ(Reap(p), 0);

  ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_OK_AND_ASSIGN(Bytes got, store->Get(name_of(i)));
    EXPECT_TRUE(IsSelfCheckingSecret(name_of(i), got)) << name_of(i) << " " << Hex(got);
  }
  EXPECT_TRUE(TempEntries(dir).empty());
}

// A barrier shared by forked processes (in a MAP_SHARED page), so that every round starts at once.
class ProcessBarrier {
 public:
  explicit ProcessBarrier(unsigned count) {
    void* mem = mmap(nullptr, sizeof(pthread_barrier_t), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(mem, MAP_FAILED);
    barrier_ = static_cast<pthread_barrier_t*>(mem);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(barrier_, &attr, count);
    pthread_barrierattr_destroy(&attr);
  }
  ~ProcessBarrier() {
    pthread_barrier_destroy(barrier_);
    munmap(barrier_, sizeof(pthread_barrier_t));
  }
  void Wait() { pthread_barrier_wait(barrier_); }

 private:
  pthread_barrier_t* barrier_ = nullptr;
};

// (c) Item 7: six processes create the same secrets at the same moment, each with its own random
// candidate, round after round (each round re-opens the store, so scrubs run meanwhile). Every
// call succeeds and every process ends up with the one secret the store holds, never zeros. (The
// old store failed the losers with "cannot create '.tmp-vault_kek': File exists".)
TEST(FileKeyStoreCrashTest, ConcurrentGetOrCreateSecretAgreesAcrossProcesses) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("keys");
  { ASSERT_OK(FileKeyStore::Open(dir).status()); }
  constexpr int kProcesses = 6;
  constexpr int kRounds = 25;
  const std::vector<std::string> base = {"vault_kek", "vault_dek_voice", "vault_dek_location",
                                         "audit_head_mac"};
  std::vector<std::string> names;
  for (int r = 0; r < kRounds; ++r) {
    for (const std::string& b : base) names.push_back(r == 0 ? b : b + "-" + std::to_string(r));
  }
  ProcessBarrier barrier(kProcesses);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const std::string out = tmp.File("seen-" + std::to_string(p));
    children.push_back(Spawn([&, out]() -> int {
      // A process that failed keeps meeting the barrier (doing nothing) so the others finish.
      int rc = 0;
      std::ofstream seen(out);
      for (int r = 0; r < kRounds; ++r) {
        barrier.Wait();
        if (rc != 0) continue;
        auto store = FileKeyStore::Open(dir);
        if (!store.ok()) {
          std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
          rc = 2;
          continue;
        }
        for (size_t b = 0; b < base.size() && rc == 0; ++b) {
          const std::string& name = names[r * base.size() + b];
          auto secret = GetOrCreateSecret(**store, name, []() -> StatusOr<Bytes> {
            Bytes fresh(kSecretSize);
            if (getrandom(fresh.data(), fresh.size(), 0) != static_cast<ssize_t>(fresh.size())) {
              return UnavailableError("getrandom");
            }
            return fresh;
          });
          if (!secret.ok()) {
            std::fprintf(stderr, "%s: %s\n", name.c_str(), secret.status().ToString().c_str());
            rc = 3;
          } else if (Status check = CheckKeyMaterial(name, *secret, kSecretSize); !check.ok()) {
            std::fprintf(stderr, "%s\n", check.ToString().c_str());
            rc = 4;
          } else {
            seen << name << " " << Hex(*secret) << "\n";
          }
        }
      }
      seen.close();
      return rc != 0 ? rc : seen.good() ? 0 : 5;
    }));
  }
  for (pid_t c : children) EXPECT_EQ(Reap(c), 0);

  ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
  std::map<std::string, std::string> stored;
  for (const std::string& name : names) {
    ASSERT_OK_AND_ASSIGN(Bytes got, store->Get(name));
    ASSERT_OK(CheckKeyMaterial(name, got, kSecretSize));
    stored[name] = Hex(got);
  }
  for (int p = 0; p < kProcesses; ++p) {
    std::ifstream seen(tmp.File("seen-" + std::to_string(p)));
    std::string name, hex;
    size_t lines = 0;
    while (seen >> name >> hex) {
      ++lines;
      EXPECT_EQ(hex, stored[name]) << "process " << p << " used another secret for " << name;
    }
    EXPECT_EQ(lines, names.size()) << "process " << p;
  }
  EXPECT_TRUE(TempEntries(dir).empty());
}

// (d) A process killed with SIGKILL at random moments of a Put/Delete loop, 60 times: after each
// kill, Open succeeds, every key present holds a whole, correct secret (never zeros, never part of
// one) and no temporary file is left (the killed writer is dead, so nothing it left can be in use).
// (The old store left zeroed keys: killed between overwrite and unlink in Delete, or between link
// and unlink in Put, where the next Open's scrub zeroed the live key.)
TEST(FileKeyStoreCrashTest, SigkillDuringPutAndDeleteNeverLeavesADamagedKey) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("keys");
  { ASSERT_OK(FileKeyStore::Open(dir).status()); }
  constexpr int kKills = 60;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  uint64_t rng = 0x5eed;
  int killed_by_signal = 0;
  for (int k = 0; k < kKills && std::chrono::steady_clock::now() < deadline; ++k) {
    SCOPED_TRACE("kill " + std::to_string(k));
    Signal started;
    const pid_t child = Spawn([&]() -> int {
      auto store = FileKeyStore::Open(dir);
      if (!store.ok()) {
        std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
        return 2;
      }
      started.Notify();
      uint64_t generation = static_cast<uint64_t>(k + 1) << 32;
      uint64_t state = generation;
      for (;;) {
        const std::string name = "k" + std::to_string(SplitMix(state) % 6);
        auto got = (*store)->Get(name);
        if (got.ok()) {
          if (!IsSelfCheckingSecret(name, *got)) return 3;
          Status deleted = (*store)->Delete(name);
          if (!deleted.ok()) {
            std::fprintf(stderr, "delete: %s\n", deleted.ToString().c_str());
            return 4;
          }
        } else if (got.status().code() == StatusCode::kNotFound) {
          Status put = (*store)->Put(name, SelfCheckingSecret(name, ++generation));
          if (!put.ok()) {
            std::fprintf(stderr, "put: %s\n", put.ToString().c_str());
            return 5;
          }
        } else {
          std::fprintf(stderr, "get: %s\n", got.status().ToString().c_str());
          return 6;
        }
      }
    });
    ASSERT_TRUE(started.Wait());
    usleep(static_cast<useconds_t>(SplitMix(rng) % 8000));
    kill(child, SIGKILL);
    const int rc = Reap(child);
    ASSERT_TRUE(rc == 128 + SIGKILL) << "the child stopped by itself with " << rc;
    ++killed_by_signal;

    ASSERT_OK_AND_ASSIGN(auto store, FileKeyStore::Open(dir));
    for (const std::string& name : Entries(dir)) {
      if (name[0] == '.') continue;
      ASSERT_OK_AND_ASSIGN(Bytes got, store->Get(name));
      ASSERT_TRUE(IsSelfCheckingSecret(name, got)) << name << " holds " << Hex(got);
    }
    const std::vector<std::string> left = TempEntries(dir);
    ASSERT_TRUE(left.empty()) << left.size() << " temporary files left, first " << left[0];
  }
  EXPECT_GE(killed_by_signal, 50);
}

}  // namespace
}  // namespace tacet::platform
