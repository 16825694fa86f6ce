#include "core/thread_pool.h"

#include <algorithm>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace r1 {
namespace {

// About 5-10 µs of polling before a thread sleeps on the futex: enough to catch the next op of a
// forward pass on an idle machine, short enough not to starve a descheduled peer on a busy one.
constexpr int kSpinIterations = 2000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  workers_.reserve(static_cast<std::size_t>(n_threads_ - 1));
  for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::run_erased(void* job, Invoker invoke) {
  if (n_threads_ == 1) {
    invoke(job, 0, 1);
    return;
  }
  job_ = job;
  invoke_ = invoke;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  invoke(job, 0, n_threads_);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations) {
      cpu_relax();
    } else {
      const int left = pending_.load(std::memory_order_acquire);
      if (left != 0) pending_.wait(left, std::memory_order_acquire);
    }
  }
}

void ThreadPool::worker_loop(int thread) {
  std::uint32_t seen = 0;
  while (true) {
    std::uint32_t now = generation_.load(std::memory_order_acquire);
    for (int spin = 0; now == seen; ++spin) {
      if (spin < kSpinIterations) {
        cpu_relax();
      } else {
        generation_.wait(seen, std::memory_order_acquire);
      }
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stopping_.load(std::memory_order_acquire)) return;
    invoke_(job_, thread, n_threads_);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

ItemRange split_items(std::int64_t n, std::int64_t grain, int thread, int n_threads) {
  grain = std::max<std::int64_t>(1, grain);
  const std::int64_t n_grains = (n + grain - 1) / grain;
  const std::int64_t per = n_grains / n_threads;
  const std::int64_t extra = n_grains % n_threads;
  const std::int64_t first = thread * per + std::min<std::int64_t>(thread, extra);
  const std::int64_t count = per + (thread < extra ? 1 : 0);
  return {std::min(n, first * grain), std::min(n, (first + count) * grain)};
}

}  // namespace r1
