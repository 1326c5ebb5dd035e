#include "posix/injected_location.h"

namespace tacet::platform {

Status InjectedLocationProvider::Start(LocationPrecision requested, LocationSink* sink) {
  if (requested == LocationPrecision::kNone) {
    return InvalidArgumentError("location: Start needs approximate or precise, not none");
  }
  if (sink == nullptr) return InvalidArgumentError("location: Start needs a sink");
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sink_ != nullptr) return FailedPreconditionError("location: updates are already started");
  sink_ = sink;
  requested_ = requested;
  return OkStatus();
}

void InjectedLocationProvider::Stop() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  sink_ = nullptr;
  requested_ = LocationPrecision::kNone;
}

Status InjectedLocationProvider::Push(const LocationFix& fix) {
  TACET_RETURN_IF_ERROR(ValidateLocationFix(fix));
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (sink_ != nullptr) sink_->OnFix(fix);
  return OkStatus();
}

LocationPrecision InjectedLocationProvider::requested_precision() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return requested_;
}

}  // namespace tacet::platform
