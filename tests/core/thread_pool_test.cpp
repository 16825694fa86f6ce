#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/cpu_info.h"

namespace r1 {
namespace {

TEST(SplitItems, RangesCoverEveryItemOnceInGrainMultiples) {
  for (std::int64_t n : {0, 1, 5, 16, 17, 100, 151936}) {
    for (std::int64_t grain : {1, 4, 16}) {
      for (int threads : {1, 2, 3, 8}) {
        std::int64_t expected_begin = 0;
        for (int t = 0; t < threads; ++t) {
          const ItemRange r = split_items(n, grain, t, threads);
          EXPECT_EQ(r.begin, expected_begin) << n << " " << grain << " " << threads;
          EXPECT_LE(r.begin, r.end);
          if (r.begin < n) {
            EXPECT_EQ(r.begin % grain, 0);
          }
          expected_begin = r.end;
        }
        EXPECT_EQ(expected_begin, n);
      }
    }
  }
  // Balanced: 100 items, grain 1, 3 threads -> 34, 33, 33.
  EXPECT_EQ(split_items(100, 1, 0, 3).end, 34);
  EXPECT_EQ(split_items(100, 1, 2, 3).begin, 67);
}

TEST(ThreadPool, EveryThreadRunsEachJobOnce) {
  for (int size : {1, 2, 4}) {
    ThreadPool pool(size);
    EXPECT_EQ(pool.size(), size);
    for (int round = 0; round < 2000; ++round) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(size));
      pool.run([&](int thread, int n) {
        EXPECT_EQ(n, size);
        hits[static_cast<std::size_t>(thread)].fetch_add(1);
      });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPool, WorkersSleepingAfterALongPauseWakeUp) {
  ThreadPool pool(3);
  std::atomic<int> total{0};
  pool.run([&](int, int) { total.fetch_add(1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past the spin, into the futex
  pool.run([&](int, int) { total.fetch_add(1); });
  EXPECT_EQ(total.load(), 6);
}

TEST(CpuInfo, AtLeastOnePhysicalCore) {
  EXPECT_GE(physical_core_count(), 1);
  EXPECT_LE(physical_core_count(),
            static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  EXPECT_FALSE(cpu_features().describe().empty());
}

}  // namespace
}  // namespace r1
