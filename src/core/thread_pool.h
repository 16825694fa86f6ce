// A persistent pool of worker threads for the compute ops. One call runs a job on every thread
// (the caller is thread 0) and returns when all are done. Between calls the workers spin briefly
// (the next op of a forward pass usually follows within microseconds) and then sleep on a futex,
// so an idle server does not burn cores.
//
// The spin is kept short on purpose: on a shared machine a spinning worker takes the core a
// descheduled peer needs, and every op then waits for a scheduler tick (measured with OpenMP's
// spinning team while another process ran: 2-thread decode 0.7 tok/s against 3.4 with passive
// waiting). oneDNN is called from these threads with one OpenMP thread each, so no second team
// spins beside this one.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace r1 {

class ThreadPool {
 public:
  /// `n_threads` threads in all, the calling thread included (at least 1).
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  /// Calls job(thread_index, n_threads) once on each thread and waits for all of them. Not
  /// reentrant: one run at a time, from one owning thread.
  template <typename Job>
  void run(Job&& job) {
    run_erased(&job,
               [](void* erased, int thread, int n) { (*static_cast<Job*>(erased))(thread, n); });
  }

 private:
  using Invoker = void (*)(void* job, int thread, int n_threads);
  void run_erased(void* job, Invoker invoke);
  void worker_loop(int thread);

  int n_threads_;
  std::vector<std::thread> workers_;
  void* job_ = nullptr;
  Invoker invoke_ = nullptr;
  std::atomic<std::uint32_t> generation_{0};  // bumped to start a job
  std::atomic<int> pending_{0};               // workers still running the current job
  std::atomic<bool> stopping_{false};
};

/// The range [begin, end) of `n` items that thread `thread` of `n_threads` handles: contiguous,
/// balanced, and starting on a multiple of `grain` (the last range takes the remainder).
struct ItemRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
};
ItemRange split_items(std::int64_t n, std::int64_t grain, int thread, int n_threads);

}  // namespace r1
