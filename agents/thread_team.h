// A fixed team of threads that run one function together, for splitting the
// few large operations of a small network's gradient step (a matrix product,
// an optimizer pass) across cores.
//
// Why not LibTorch's or OpenMP's pool: at batch 64 and width 256 each product
// takes tens of microseconds, and a gradient step has a handful of them.
// This team splits each operation into fixed, disjoint parts (the same parts
// every time, so results do not depend on timing), and its workers spin
// briefly between operations instead of sleeping.
//
// Contract: run(f) calls f(rank) once for each rank in [0, size()), rank 0 on
// the calling thread, and returns when every call has returned. The calls run
// concurrently: f must only write what its rank owns. During run(), every
// rank computes with one OpenMP/oneDNN thread (the team IS the parallelism).
// An exception thrown by any rank is rethrown by run() (the first one). A team
// is driven by one thread at a time; run() is not reentrant.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace arena {

// While it lives, the calling thread's OpenMP regions (LibTorch, oneDNN) use
// one thread; the previous count is restored after. Hold one around work that
// a ThreadTeam parallelises, so that OpenMP's spinning workers do not compete
// with the team's for the cores.
class OneOmpThread {
 public:
  OneOmpThread();
  ~OneOmpThread();
  OneOmpThread(const OneOmpThread&) = delete;
  OneOmpThread& operator=(const OneOmpThread&) = delete;

 private:
  int saved_;
};

class ThreadTeam {
 public:
  // size >= 1; size - 1 worker threads are started (none for size 1).
  explicit ThreadTeam(int size);
  ~ThreadTeam();
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  int size() const { return size_; }

  template <class F> void run(F&& f) {
    using Fn = std::remove_reference_t<F>;
    if (size_ == 1) {
      f(0);
      return;
    }
    run_impl([](void* ctx, int rank) { (*static_cast<Fn*>(ctx))(rank); },
             const_cast<void*>(static_cast<const void*>(&f)));
  }

  // The part [begin, end) of [0, n) that `rank` owns when n items are split
  // into size() contiguous parts, each a multiple of `align` items except the last.
  struct Range {
    std::int64_t begin, end;
  };
  Range part(int rank, std::int64_t n, std::int64_t align = 1) const;

 private:
  using Task = void (*)(void*, int);
  void run_impl(Task task, void* ctx);
  void worker(int rank);
  void record(std::exception_ptr e);

  int size_;
  std::vector<std::thread> threads_;
  std::atomic<std::uint32_t> generation_{0};  // bumped to start a run (a futex word)
  std::atomic<int> pending_{0};               // workers still running the current task
  std::atomic<bool> stop_{false};
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace arena
