// Opt-in extension of alloc_counter.h: also counts the C allocation functions
// (malloc, calloc, realloc) called on the current thread inside a counting
// scope. Use it where a library allocates with malloc rather than operator
// new (Box2D's b2Alloc does).
//
// Including this header includes alloc_counter.h (so it REPLACES the global
// operator new/delete too) and DEFINES malloc, calloc, realloc and free for
// the whole process, forwarding to glibc's __libc_* implementations. Include
// it from exactly one .cpp file of a test executable, instead of
// alloc_counter.h.
//
//   arena::test::MallocCounter mallocs;  // starts counting on this thread
//   env->step(action, obs);
//   mallocs.stop();
//   EXPECT_EQ(mallocs.allocations(), 0);
//
// The replaced operator new allocates with malloc, so a MallocCounter that is
// live at the same time as an AllocCounter sees operator new calls as well.
#pragma once

#include <cstddef>
#include <cstdint>

#include "envs/alloc_counter.h"

namespace arena::test {

namespace malloc_detail {
inline thread_local bool counting = false;
inline std::int64_t allocations = 0;  // only counted on threads that are counting
}  // namespace malloc_detail

// Counts this thread's malloc/calloc/realloc calls from construction until
// stop() (or destruction). Scopes do not nest.
class MallocCounter {
 public:
  MallocCounter() : start_(malloc_detail::allocations) { malloc_detail::counting = true; }
  ~MallocCounter() { stop(); }
  MallocCounter(const MallocCounter&) = delete;
  MallocCounter& operator=(const MallocCounter&) = delete;

  void stop() {
    if (!malloc_detail::counting) return;
    malloc_detail::counting = false;
    end_ = malloc_detail::allocations;
  }
  std::int64_t allocations() const { return end_ - start_; }

 private:
  std::int64_t start_;
  std::int64_t end_ = 0;
};

}  // namespace arena::test

// ----------------------------------------------------- the replacements
extern "C" {
void* __libc_malloc(std::size_t size);  // glibc's implementations, which these forward to
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void __libc_free(void* p);

void* malloc(std::size_t size) noexcept {
  if (arena::test::malloc_detail::counting) ++arena::test::malloc_detail::allocations;
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
  if (arena::test::malloc_detail::counting) ++arena::test::malloc_detail::allocations;
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  if (arena::test::malloc_detail::counting) ++arena::test::malloc_detail::allocations;
  return __libc_realloc(p, size);
}
void free(void* p) noexcept { __libc_free(p); }
}
