// Adapters that turn the C platform tables of tacet/tacet_platform.h into the C++ platform
// interfaces the agent takes (tacet/platform/*.h), and the table checks the options setters run.
// Every call into a table runs inside a CallbackScope: a table that calls back into Tacet is
// refused there.
#ifndef TACET_CAPI_CAPI_PLATFORM_H_
#define TACET_CAPI_CAPI_PLATFORM_H_

#include <atomic>
#include <memory>
#include <mutex>

#include "base/status.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/entropy.h"
#include "tacet/platform/key_store.h"
#include "tacet/platform/logger.h"
#include "tacet/platform/permissions.h"
#include "tacet/tacet.h"

namespace tacet::capi {

// Copies a caller's table into `*out` (zero-filled first, then min(struct_size, sizeof) bytes),
// after checking struct_size and the required function pointers. kInvalidArgument naming the
// table and the field.
Status CopyTable(const tacet_key_store* in, tacet_key_store* out);
Status CopyTable(const tacet_permissions* in, tacet_permissions* out);
Status CopyTable(const tacet_clock* in, tacet_clock* out);
Status CopyTable(const tacet_entropy* in, tacet_entropy* out);
Status CopyTable(const tacet_logger* in, tacet_logger* out);

class TableKeyStore final : public platform::KeyStore {
 public:
  explicit TableKeyStore(const tacet_key_store& table) : table_(table) {}
  Status Put(std::string_view name, ByteView secret) override;
  StatusOr<Bytes> Get(std::string_view name) override;
  Status Delete(std::string_view name) override;

 private:
  const tacet_key_store table_;
};

// Reads the table on every call (the capture path); a change is announced by Changed().
class TablePermissions final : public platform::PermissionProvider {
 public:
  explicit TablePermissions(const tacet_permissions& table) : table_(table) {}
  platform::PermissionState Query(platform::Permission permission) override;
  platform::LocationPrecision LocationPermissionPrecision() override;
  void SetListener(platform::PermissionListener* listener) override;
  // Tells the listener the table's current answer for `permission`, on this thread.
  void Changed(platform::Permission permission);

 private:
  const tacet_permissions table_;
  std::mutex mu_;  // serialises notifications and guards listener_
  platform::PermissionListener* listener_ = nullptr;
};

class TableClock final : public platform::Clock {
 public:
  explicit TableClock(const tacet_clock& table) : table_(table) {}
  int64_t NowUnixMillis() override;
  int64_t MonotonicNanos() override;

 private:
  const tacet_clock table_;
};

class TableEntropy final : public platform::EntropySource {
 public:
  explicit TableEntropy(const tacet_entropy& table) : table_(table) {}
  Status Fill(uint8_t* out, size_t len) override;

 private:
  const tacet_entropy table_;
};

// Drops messages below a level (TACET_LOG_NONE: all), then passes them to the table, or to a
// StderrLogger when there is none.
class FilteredLogger final : public platform::Logger {
 public:
  FilteredLogger(int min_level, const tacet_logger* table);
  void Log(platform::LogLevel level, std::string_view message) override;

 private:
  const int min_level_;
  const bool has_table_;
  tacet_logger table_{};
  std::unique_ptr<platform::Logger> stderr_;
};

}  // namespace tacet::capi

#endif  // TACET_CAPI_CAPI_PLATFORM_H_
