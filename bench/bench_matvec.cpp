// How close the 16-bit decode products come to the memory bus. One token's decode reads every
// weight once, so its speed is bounded by how fast the cores can stream bytes from DRAM. This
// program measures
//   (a) that bound: a plain sum over a 1 GiB buffer, 1 and 2 threads of our ThreadPool;
//   (b) the bf16 / f16 matrix-vector products (one token) on the 1.5B model's shapes, split over
//       the threads exactly as CpuBackend::linear_into splits them,
// and prints each as GB/s and as a share of (a). A plain timer program, not Google Benchmark:
// the point is the ratio between (b) and (a) measured in the same run on the same buffer.
//
//   build/bench/r1_bench_matvec [--threads 1,2] [--reps 5] [--isa avx512|avx2|scalar]
//                               [--arena anon|anon-huge|FILE|huge:FILE]
//
// The arena is anonymous memory (4 KiB pages, or transparent huge pages with anon-huge) or the
// first GiB of a model file mapped read-only as the loader maps it (huge:FILE: at a 2 MiB
// aligned address with MADV_HUGEPAGE, so the kernel may map large page-cache folios with one
// TLB entry per 2 MiB); the line after the header says how much of it is huge-page mapped.
//
// Every shape walks the same 1 GiB arena matrix after matrix (like a forward pass walks its
// layers), so no matrix is still in the cache when it is read again.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/cpu_info.h"
#include "core/thread_pool.h"
#include "ops/cpu/matmul_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using r1::ThreadPool;
using r1::ops::cpu::CpuIsa;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kArenaBytes = std::size_t{1} << 30;
constexpr std::int64_t kRowGrain = 16;  // as CpuBackend splits rows

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// How far ahead the prefetching read loop asks for lines (as the decode kernels do).
constexpr std::size_t kPrefetchBytes = 24576;

// The sum of n 64-byte lines; 512-bit loads when the CPU has them (a narrower loop reads as fast
// from DRAM, but this removes any doubt that the loop, not the bus, is the limit).
#if defined(__x86_64__)
template <bool kPrefetch>
__attribute__((target("avx512f"))) std::uint64_t sum_lines_avx512(const std::uint8_t* p,
                                                                  std::size_t bytes) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 256 <= bytes; i += 256) {
    if constexpr (kPrefetch) {
      for (int line = 0; line < 4; ++line)
        _mm_prefetch(reinterpret_cast<const char*>(p + i + 64 * line) + kPrefetchBytes,
                     _MM_HINT_T0);
    }
    a0 = _mm512_add_epi64(a0, _mm512_load_si512(p + i));
    a1 = _mm512_add_epi64(a1, _mm512_load_si512(p + i + 64));
    a2 = _mm512_add_epi64(a2, _mm512_load_si512(p + i + 128));
    a3 = _mm512_add_epi64(a3, _mm512_load_si512(p + i + 192));
  }
  alignas(64) std::uint64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
  std::uint64_t sum = 0;
  for (const std::uint64_t lane : lanes) sum += lane;  // not _mm512_reduce_*: GCC bug 105593
  return sum;
}
#endif

std::uint64_t sum_lines_plain(const std::uint8_t* p, std::size_t bytes) {
  const auto* q = reinterpret_cast<const std::uint64_t*>(p);
  std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::size_t i = 0; i + 4 <= bytes / 8; i += 4) {
    s0 += q[i];
    s1 += q[i + 1];
    s2 += q[i + 2];
    s3 += q[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

std::uint64_t sum_lines(const std::uint8_t* p, std::size_t bytes, bool prefetch) {
#if defined(__x86_64__)
  if (r1::cpu_features().avx512f)
    return prefetch ? sum_lines_avx512<true>(p, bytes) : sum_lines_avx512<false>(p, bytes);
#endif
  (void)prefetch;
  return sum_lines_plain(p, bytes);
}

// The best of `reps` timings of fn() (after one warm-up run), as GB/s for `bytes` read.
template <typename Fn>
double best_gbps(int reps, double bytes, Fn&& fn) {
  fn();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    fn();
    best = std::min(best, seconds_since(start));
  }
  return bytes / best / 1e9;
}

// (a) Each thread sums its contiguous share of the arena (with `prefetch`: asking for every line
// kPrefetchBytes ahead, which the hardware prefetcher alone does not do across 4 KiB pages).
double read_bandwidth(ThreadPool& pool, const std::uint8_t* arena, int reps, bool prefetch) {
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(pool.size()) * 8);
  const std::int64_t lines = static_cast<std::int64_t>(kArenaBytes / 4096);
  return best_gbps(reps, static_cast<double>(kArenaBytes), [&] {
    pool.run([&](int thread, int n_threads) {
      const r1::ItemRange mine = r1::split_items(lines, 1, thread, n_threads);
      sums[static_cast<std::size_t>(thread) * 8] =
          sum_lines(arena + mine.begin * 4096,
                    static_cast<std::size_t>(mine.end - mine.begin) * 4096, prefetch);
    });
  });
}

struct Shape {
  const char* name;
  std::int64_t rows;
  std::int64_t cols;
};

// The 1.5B model's per-token products (DeepSeek-R1-Distill-Qwen-1.5B: hidden 1536, 12 heads and
// 2 KV heads of 128, MLP 8960, vocabulary 151936).
constexpr Shape kShapes[] = {
    {"qkv", 2048, 1536},  {"o", 1536, 1536},         {"gate_up", 17920, 1536},
    {"down", 1536, 8960}, {"lm_head", 151936, 1536},
};

// (b) One token through as many matrices of `shape` as fit in the arena, one pool.run each.
double matvec_bandwidth(ThreadPool& pool, CpuIsa isa, r1::DType type, const Shape& shape,
                        const std::uint8_t* arena, const float* x, float* y, int reps) {
  const r1::ops::cpu::DotRowsFn kernel = r1::ops::cpu::dot_rows_kernel(isa, type);
  const auto matrix_bytes = static_cast<std::size_t>(shape.rows * shape.cols * 2);
  const std::size_t n_matrices = std::max<std::size_t>(1, kArenaBytes / matrix_bytes);
  return best_gbps(reps, static_cast<double>(matrix_bytes * n_matrices), [&] {
    for (std::size_t m = 0; m < n_matrices; ++m) {
      const std::uint8_t* w = arena + m * matrix_bytes;
      pool.run([&](int thread, int n_threads) {
        const r1::ItemRange mine = r1::split_items(shape.rows, kRowGrain, thread, n_threads);
        if (mine.begin < mine.end)
          kernel(w + static_cast<std::size_t>(mine.begin * shape.cols * 2), mine.end - mine.begin,
                 shape.cols, x, shape.cols, 1, y + mine.begin, shape.rows);
      });
    }
  });
}

// Microseconds per empty pool.run (the barrier every op of a forward pass pays).
double empty_run_us(ThreadPool& pool) {
  constexpr int kRuns = 20000;
  pool.run([](int, int) {});
  const auto start = Clock::now();
  for (int i = 0; i < kRuns; ++i) pool.run([](int, int) {});
  return seconds_since(start) / kRuns * 1e6;
}

// A 2 MiB aligned address with `bytes` of address space free after it.
void* aligned_hint(std::size_t bytes) {
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  void* probe = mmap(nullptr, bytes + kHuge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (probe == MAP_FAILED) return nullptr;
  munmap(probe, bytes + kHuge);
  return reinterpret_cast<void*>((reinterpret_cast<std::uintptr_t>(probe) + kHuge - 1) &
                                 ~(kHuge - 1));
}

// kB of the mapping at `address` that /proc/self/smaps reports under `field`.
long smaps_kb(const void* address, const std::string& field) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  char start_text[32];
  std::snprintf(start_text, sizeof start_text, "%lx-", reinterpret_cast<unsigned long>(address));
  while (std::getline(smaps, line)) {
    if (line.find('-') != std::string::npos && line.find(' ') > line.find('-') &&
        std::isxdigit(static_cast<unsigned char>(line[0])) && line.find(':') > line.find(' '))
      inside = line.rfind(start_text, 0) == 0;
    else if (inside && line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// The 1 GiB arena every measurement reads (see the header); nullptr with a message on failure.
std::uint8_t* make_arena(const std::string& kind) {
  const bool huge = kind == "anon-huge" || kind.rfind("huge:", 0) == 0;
  if (kind == "anon" || kind == "anon-huge") {
    void* hint = huge ? aligned_hint(kArenaBytes) : nullptr;
    auto* arena = static_cast<std::uint8_t*>(
        mmap(hint, kArenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (arena == MAP_FAILED) return nullptr;
    if (huge) madvise(arena, kArenaBytes, MADV_HUGEPAGE);
    // Small finite 16-bit values (bf16 and f16 bit patterns of numbers near 0.01), so no kernel
    // meets NaNs or subnormals.
    std::vector<std::uint16_t> pattern(4096);
    for (std::size_t i = 0; i < pattern.size(); ++i)
      pattern[i] = static_cast<std::uint16_t>(0x2000 + (i * 2654435761u >> 20) % 0x0fff);
    for (std::size_t off = 0; off < kArenaBytes; off += 8192)
      std::memcpy(arena + off, pattern.data(), 8192);
    return arena;
  }
  const std::string path = huge ? kind.substr(5) : kind;
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return nullptr;
  void* hint = huge ? aligned_hint(kArenaBytes) : nullptr;
  auto* arena = static_cast<std::uint8_t*>(
      mmap(hint, kArenaBytes, PROT_READ, MAP_PRIVATE | (hint ? MAP_FIXED_NOREPLACE : 0), fd, 0));
  close(fd);
  if (arena == MAP_FAILED) return nullptr;
  if (huge) madvise(arena, kArenaBytes, MADV_HUGEPAGE);
  return arena;
}

std::vector<int> parse_ints(const std::string& text) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t comma = text.find(',', pos);
    out.push_back(std::stoi(text.substr(pos, comma - pos)));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts = {1, 2};
  int reps = 5;
  CpuIsa isa = r1::ops::cpu::best_isa();
  std::string arena_kind = "anon";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads") {
      thread_counts = parse_ints(value);
    } else if (flag == "--reps") {
      reps = std::stoi(value);
    } else if (flag == "--arena") {
      arena_kind = value;
    } else if (flag == "--isa") {
      isa = value == "avx512" ? CpuIsa::avx512 : value == "avx2" ? CpuIsa::avx2 : CpuIsa::scalar;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads 1,2] [--reps 5] [--isa avx512|avx2|scalar] [--arena "
                   "anon|anon-huge|FILE|huge:FILE]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!r1::ops::cpu::isa_supported(isa)) {
    std::fprintf(stderr, "this CPU cannot run %s\n", r1::ops::cpu::isa_name(isa));
    return 1;
  }

  std::uint8_t* arena = make_arena(arena_kind);
  if (arena == nullptr) {
    std::fprintf(stderr, "cannot make the %s arena: %s\n", arena_kind.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::vector<float> x(8960, 0.5f), y(151936);

  std::printf("isa %s; arena 1 GiB %s; best of %d; GB/s = 1e9 bytes of weights per second\n",
              r1::ops::cpu::isa_name(isa), arena_kind.c_str(), reps);
  bool first = true;
  for (const int n_threads : thread_counts) {
    ThreadPool pool(n_threads);
    const double plain = read_bandwidth(pool, arena, reps, false);
    const double prefetched = read_bandwidth(pool, arena, reps, true);
    const double bound = std::max(plain, prefetched);
    if (first) {
      std::printf("huge-page mapped after the first read: %ld MiB anonymous, %ld MiB file\n",
                  smaps_kb(arena, "AnonHugePages") / 1024, smaps_kb(arena, "FilePmdMapped") / 1024);
      first = false;
    }
    std::printf(
        "\nthreads %d: read %.2f GB/s plain, %.2f GB/s prefetching (%%read: of the faster); "
        "empty pool.run %.2f us\n",
        n_threads, plain, prefetched, empty_run_us(pool));
    std::printf("  %-8s %6s x %-5s  %9s %6s  %9s %6s\n", "shape", "rows", "cols", "bf16 GB/s",
                "%read", "f16 GB/s", "%read");
    for (const Shape& shape : kShapes) {
      const double bf16 =
          matvec_bandwidth(pool, isa, r1::DType::bf16, shape, arena, x.data(), y.data(), reps);
      const double f16 =
          matvec_bandwidth(pool, isa, r1::DType::f16, shape, arena, x.data(), y.data(), reps);
      std::printf("  %-8s %6lld x %-5lld  %9.2f %5.1f%%  %9.2f %5.1f%%\n", shape.name,
                  static_cast<long long>(shape.rows), static_cast<long long>(shape.cols), bf16,
                  100 * bf16 / bound, f16, 100 * f16 / bound);
    }
  }
  munmap(arena, kArenaBytes);
  return 0;
}
