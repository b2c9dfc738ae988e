// Counts heap allocations made on the current thread inside a counting scope.
//
// Including this header REPLACES the global operator new and delete (every
// usual overload: plain, array, sized, aligned, nothrow) for the whole
// program, so include it from exactly one .cpp file of a test executable.
//
//   arena::test::AllocCounter counter;   // starts counting on this thread
//   env->step(action, obs);
//   counter.stop();
//   EXPECT_EQ(counter.allocations(), 0);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace arena::test {

namespace alloc_detail {
inline thread_local bool counting = false;
inline std::atomic<std::int64_t> allocations{0};
inline std::atomic<std::int64_t> deallocations{0};

inline void* allocate(std::size_t size, std::size_t align) noexcept {
  if (counting) allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(size);
  void* p = nullptr;
  return posix_memalign(&p, align, size) == 0 ? p : nullptr;
}
inline void release(void* p) noexcept {
  if (p == nullptr) return;
  if (counting) deallocations.fetch_add(1, std::memory_order_relaxed);
  std::free(p);
}
inline void* allocate_or_throw(std::size_t size, std::size_t align) {
  void* p = allocate(size, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace alloc_detail

// Counts this thread's allocations and deallocations from construction until
// stop() (or destruction). Scopes do not nest.
class AllocCounter {
 public:
  AllocCounter() : start_alloc_(alloc_detail::allocations.load()), start_free_(alloc_detail::deallocations.load()) {
    alloc_detail::counting = true;
  }
  ~AllocCounter() { stop(); }
  AllocCounter(const AllocCounter&) = delete;
  AllocCounter& operator=(const AllocCounter&) = delete;

  void stop() {
    if (!alloc_detail::counting) return;
    alloc_detail::counting = false;
    end_alloc_ = alloc_detail::allocations.load();
    end_free_ = alloc_detail::deallocations.load();
  }
  std::int64_t allocations() const { return end_alloc_ - start_alloc_; }
  std::int64_t deallocations() const { return end_free_ - start_free_; }

 private:
  std::int64_t start_alloc_, start_free_;
  std::int64_t end_alloc_ = 0, end_free_ = 0;
};

}  // namespace arena::test

// ----------------------------------------------------- the replacements
// (not inline: replacement allocation functions must not be declared inline)

void* operator new(std::size_t size) { return arena::test::alloc_detail::allocate_or_throw(size, 0); }
void* operator new[](std::size_t size) { return arena::test::alloc_detail::allocate_or_throw(size, 0); }
void* operator new(std::size_t size, std::align_val_t align) {
  return arena::test::alloc_detail::allocate_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return arena::test::alloc_detail::allocate_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return arena::test::alloc_detail::allocate(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return arena::test::alloc_detail::allocate(size, 0);
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return arena::test::alloc_detail::allocate(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return arena::test::alloc_detail::allocate(size, static_cast<std::size_t>(align));
}

void operator delete(void* p) noexcept { arena::test::alloc_detail::release(p); }
void operator delete[](void* p) noexcept { arena::test::alloc_detail::release(p); }
void operator delete(void* p, std::size_t) noexcept { arena::test::alloc_detail::release(p); }
void operator delete[](void* p, std::size_t) noexcept { arena::test::alloc_detail::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { arena::test::alloc_detail::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { arena::test::alloc_detail::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { arena::test::alloc_detail::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { arena::test::alloc_detail::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { arena::test::alloc_detail::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { arena::test::alloc_detail::release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  arena::test::alloc_detail::release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  arena::test::alloc_detail::release(p);
}
