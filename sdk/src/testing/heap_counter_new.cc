// Global operator new/delete that keep a running total (see heap_counter.h). Each block carries
// its size in a 16-byte header (keeping max_align_t alignment) so delete can subtract it.
#include <atomic>
#include <cstdlib>
#include <new>

#include "testing/heap_counter.h"

namespace {

constexpr std::size_t kHeader = 16;
std::atomic<std::size_t> g_current{0};
std::atomic<std::size_t> g_peak{0};
std::atomic<std::size_t> g_allocations{0};

void* Allocate(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n + kHeader);
  if (p == nullptr) return nullptr;
  *static_cast<std::size_t*>(p) = n;
  std::size_t now = g_current.fetch_add(n, std::memory_order_relaxed) + n;
  std::size_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return static_cast<char*>(p) + kHeader;
}

void Release(void* p) {
  if (p == nullptr) return;
  void* block = static_cast<char*>(p) - kHeader;
  g_current.fetch_sub(*static_cast<std::size_t*>(block), std::memory_order_relaxed);
  std::free(block);
}

}  // namespace

namespace tacet::testing::heap_counter {
size_t Current() { return g_current.load(std::memory_order_relaxed); }
size_t Peak() { return g_peak.load(std::memory_order_relaxed); }
void ResetPeak() { g_peak.store(g_current.load(std::memory_order_relaxed), std::memory_order_relaxed); }
size_t Allocations() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace tacet::testing::heap_counter

void* operator new(std::size_t n) {
  void* p = Allocate(n);
  if (p == nullptr) std::abort();  // the library is built without exceptions
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
