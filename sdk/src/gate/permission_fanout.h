// PermissionFanout: one PermissionProvider listener slot shared by several gates.
//
// platform::PermissionProvider takes a single listener; the voice and location gates both want
// to hear about permission changes. Register a fanout holding both:
//   PermissionFanout fanout({&voice_gate, &location_gate});
//   permissions.SetListener(&fanout);
//   ...
//   permissions.SetListener(nullptr);   // before the gates go
#ifndef TACET_GATE_PERMISSION_FANOUT_H_
#define TACET_GATE_PERMISSION_FANOUT_H_

#include <array>
#include <cstddef>
#include <initializer_list>

#include "tacet/platform/permissions.h"

namespace tacet::gate {

// Forwards every change, in construction order, on the provider's notification thread. The
// listeners are fixed at construction (up to kMaxListeners; extra ones are ignored), not owned,
// and must outlive the fanout's registration. Thread-safe (immutable after construction).
class PermissionFanout final : public platform::PermissionListener {
 public:
  static constexpr size_t kMaxListeners = 4;

  PermissionFanout(std::initializer_list<platform::PermissionListener*> listeners) {
    for (platform::PermissionListener* l : listeners) {
      if (l != nullptr && count_ < kMaxListeners) listeners_[count_++] = l;
    }
  }

  void OnPermissionChanged(platform::Permission permission, platform::PermissionState state) override {
    for (size_t i = 0; i < count_; ++i) listeners_[i]->OnPermissionChanged(permission, state);
  }

 private:
  std::array<platform::PermissionListener*, kMaxListeners> listeners_{};
  size_t count_ = 0;
};

}  // namespace tacet::gate

#endif  // TACET_GATE_PERMISSION_FANOUT_H_
