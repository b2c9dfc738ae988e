#include "agents/thread_team.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <immintrin.h>

#include <algorithm>
#include <stdexcept>

namespace arena {
namespace {

// OpenMP's thread count for the calling thread, looked up at run time (the
// runtime comes with LibTorch; this library does not link it itself).
using SetThreads = void (*)(int);
using GetThreads = int (*)();
const auto kOmpSet = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
const auto kOmpGet = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));

// A waiting thread first spins (the next operation usually comes within
// microseconds), then yields its core between checks (so that on a busy
// machine the thread it waits for can run), and a worker finally sleeps
// (between trains, while the envs step): ~0.1-0.2 ms of checks in all.
constexpr int kSpins = 4000;
constexpr int kPureSpins = 256;

// One check of a wait loop: a pause, or a yield after the first kPureSpins.
inline void relax(int i) {
  if (i < kPureSpins) _mm_pause();
  else std::this_thread::yield();
}

}  // namespace

OneOmpThread::OneOmpThread() : saved_(kOmpGet != nullptr ? kOmpGet() : 1) {
  if (kOmpSet != nullptr && saved_ != 1) kOmpSet(1);
}

OneOmpThread::~OneOmpThread() {
  if (kOmpSet != nullptr && saved_ != 1) kOmpSet(saved_);
}

ThreadTeam::ThreadTeam(int size) : size_(size) {
  if (size < 1) throw std::invalid_argument("ThreadTeam: need at least one thread");
  threads_.reserve(static_cast<std::size_t>(size - 1));
  for (int r = 1; r < size; ++r) threads_.emplace_back([this, r] { worker(r); });
}

ThreadTeam::~ThreadTeam() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (auto& t : threads_) t.join();
}

ThreadTeam::Range ThreadTeam::part(int rank, std::int64_t n, std::int64_t align) const {
  const std::int64_t units = (n + align - 1) / align;
  const std::int64_t per = units / size_, extra = units % size_;
  const std::int64_t first = rank * per + std::min<std::int64_t>(rank, extra);
  const std::int64_t count = per + (rank < extra ? 1 : 0);
  return {std::min(n, first * align), std::min(n, (first + count) * align)};
}

void ThreadTeam::record(std::exception_ptr e) {
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (!error_) error_ = std::move(e);
}

void ThreadTeam::run_impl(Task task, void* ctx) {
  task_ = task;
  ctx_ = ctx;
  error_ = nullptr;
  pending_.store(size_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);  // publishes task_ and ctx_
  generation_.notify_all();
  {
    OneOmpThread one;
    try {
      task(ctx, 0);
    } catch (...) {
      record(std::current_exception());
    }
  }
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) relax(i);
  if (error_) std::rethrow_exception(error_);
}

void ThreadTeam::worker(int rank) {
  // LibTorch initialises a thread's OpenMP count on its first parallel
  // operation; do it now, then keep this thread at one.
  at::internal::lazy_init_num_threads();
  if (kOmpSet != nullptr) kOmpSet(1);
  std::uint32_t seen = 0;  // the generation before the first run
  for (;;) {
    std::uint32_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < kSpins; ++spin) {
      relax(spin);
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = g;
    if (stop_.load(std::memory_order_acquire)) return;
    try {
      task_(ctx_, rank);
    } catch (...) {
      record(std::current_exception());
    }
    pending_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace arena
