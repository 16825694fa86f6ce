// One-token (decode) quantized products on the 1.5B model's real shapes, as the CPU backend runs
// them: the rows split between threads, each thread one quant::gemm over its rows. Prints the
// weight bytes read per second (GB/s), the number to hold against the machine's read
// bandwidth, for every weight type, shape, SIMD level and thread count.
//
//   r1_bench_quant_decode [--types q8_0,q4_k,q6_k] [--threads 1,2] [--tokens 1] [--ms 400]
//                         [--working-set-mib 512]   (0: one copy, e.g. to time from cache)
//                         [--layouts file,packed] [--shapes qkv,o,gate_up,down,lm_head,in_l2]
//
// Run "avx2-relaxed" is quant::gemm_relaxed_at, the AVX2 row kernels the CPU backend calls (within
// float rounding of the reference); "avx2" and "avx512_vnni" the bit-exact gemm_at.
// Layout "packed" runs the load-time repacked matrices (quant/packed_q8_0.h, quant/packed_k.h)
// the CPU backend uses for q8_0, q4_0, q4_1, q4_k, q5_k and q6_k; "file" runs GGUF's row layout at
// each SIMD level.
//
// "cpu GB/s" divides by the calling thread's CPU time instead of the wall time: on a shared,
// loaded machine it still tells the kernels' cost apart from the time spent descheduled.
//
// Each matrix is copied until the copies pass 512 MiB (--working-set-mib), and the runs cycle
// through them, so the weights come from memory as in a real decode step and not from the last
// run's cache. Shape "in_l2" (256 x 1536, not one of the model's) fits in a core's L2 (512 KiB)
// with
// --working-set-mib 0: the kernels' arithmetic rate, with the memory bus out of the way.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "quant/gemm.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quantize.h"
#include "quant/vec_dot_fast.h"

namespace {

using r1::quant::QuantType;
using r1::quant::SimdLevel;

struct Shape {
  const char* name;
  std::int64_t rows, cols;
};

constexpr Shape kShapes[] = {{"qkv", 2048, 1536},       {"o", 1536, 1536},
                             {"gate_up", 17920, 1536},  {"down", 1536, 8960},
                             {"lm_head", 151936, 1536}, {"in_l2", 256, 1536}};
constexpr std::int64_t kRowGrain = 16;  // as the CPU backend splits rows

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

QuantType parse_type(const std::string& name) {
  for (QuantType t : {QuantType::q8_0, QuantType::q4_0, QuantType::q4_1, QuantType::q5_0,
                      QuantType::q5_1, QuantType::q4_k, QuantType::q5_k, QuantType::q6_k}) {
    if (name == r1::quant::quant_type_name(t)) return t;
  }
  std::fprintf(stderr, "unknown type %s\n", name.c_str());
  std::exit(2);
}

// Rows of real quantized data: 64 distinct rows quantized from normal values, repeated (the
// speed does not depend on the values, and quantizing 150k K-quant rows takes minutes).
std::vector<std::uint8_t> make_weights(QuantType type, const Shape& s, std::mt19937& rng) {
  const auto w_row = static_cast<std::size_t>(r1::quant::row_bytes(type, s.cols));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(s.cols));
  std::vector<std::uint8_t> seed(w_row * 64);
  for (int r = 0; r < 64; ++r) {
    for (float& e : v) e = normal(rng);
    r1::quant::quantize_row(type, v.data(), seed.data() + w_row * r, s.cols);
  }
  std::vector<std::uint8_t> w(w_row * static_cast<std::size_t>(s.rows));
  for (std::int64_t r = 0; r < s.rows; ++r) {
    std::memcpy(w.data() + w_row * r, seed.data() + w_row * (r % 64), w_row);
  }
  return w;
}

bool has_packed_layout(QuantType type) {
  if (type == QuantType::q8_0) return r1::quant::packed_q8_0_kernel_available();
  if (r1::quant::has_packed_q4_layout(type)) return r1::quant::packed_q4_kernel_available();
  return r1::quant::packed_k_kernel_available(type);
}

std::vector<std::uint8_t> pack(QuantType type, const std::vector<std::uint8_t>& rows,
                               const Shape& s) {
  const std::int64_t nb = r1::quant::row_blocks(type, s.cols);
  std::vector<std::uint8_t> out;
  if (type == QuantType::q8_0) {
    out.resize(r1::quant::packed_q8_0_bytes(s.rows, nb));
    r1::quant::pack_q8_0(reinterpret_cast<const r1::quant::BlockQ8_0*>(rows.data()), s.rows, nb,
                         out.data());
  } else if (r1::quant::has_packed_q4_layout(type)) {
    out.resize(r1::quant::packed_q4_bytes(type, s.rows, nb));
    r1::quant::pack_q4(type, rows.data(), s.rows, nb, out.data());
  } else {
    out.resize(r1::quant::packed_k_bytes(type, s.rows, nb));
    r1::quant::pack_k(type, rows.data(), s.rows, nb, out.data());
  }
  return out;
}

// Rows [begin, end) of the packed matrix times the tokens' activations, into y (rows from begin).
void gemm_packed(QuantType type, const std::uint8_t* packed, const Shape& s, std::int64_t begin,
                 std::int64_t end, const std::uint8_t* a, std::int64_t tokens, float* y) {
  const std::int64_t nb = r1::quant::row_blocks(type, s.cols);
  if (type == QuantType::q8_0) {
    r1::quant::gemm_packed_q8_0(packed, nb, begin, end,
                                reinterpret_cast<const r1::quant::BlockQ8_0*>(a), tokens, y, s.rows);
  } else if (r1::quant::has_packed_q4_layout(type)) {
    r1::quant::gemm_packed_q4(type, packed, nb, begin, end, a, tokens, y, s.rows);
  } else {
    r1::quant::gemm_packed_k(type, packed, nb, begin, end, a, tokens, y, s.rows);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> types = {"q8_0", "q4_k", "q5_k", "q6_k"};
  std::vector<std::string> threads = {"1", "2"};
  std::vector<std::string> layouts = {"file", "packed"};
  std::vector<std::string> shapes = {"qkv", "o", "gate_up", "down", "lm_head"};
  std::int64_t tokens = 1;
  double ms = 400;
  std::size_t working_set = std::size_t{512} << 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--types") types = split(argv[i + 1]);
    else if (flag == "--threads") threads = split(argv[i + 1]);
    else if (flag == "--tokens") tokens = std::stoll(argv[i + 1]);
    else if (flag == "--ms") ms = std::stod(argv[i + 1]);
    else if (flag == "--working-set-mib") working_set = std::stoull(argv[i + 1]) << 20;
    else if (flag == "--layouts") layouts = split(argv[i + 1]);
    else if (flag == "--shapes")
      shapes = split(argv[i + 1]);
  }
  const auto wants = [&](const char* layout) {
    return std::find(layouts.begin(), layouts.end(), layout) != layouts.end();
  };
  std::printf("%-6s %-8s %-12s %7s %10s %8s %8s\n", "type", "shape", "level", "threads",
              "us/call", "GB/s", "cpu GB/s");
  std::mt19937 rng(7);
  for (const std::string& type_name : types) {
    const QuantType type = parse_type(type_name);
    const QuantType act = r1::quant::vec_dot_activation_type(type);
    for (const Shape& s : kShapes) {
      if (std::find(shapes.begin(), shapes.end(), s.name) == shapes.end()) continue;
      const std::vector<std::uint8_t> one = make_weights(type, s, rng);
      const std::size_t copies = std::max<std::size_t>(1, working_set / one.size());
      std::vector<std::vector<std::uint8_t>> w(copies, one);
      const auto a_row = static_cast<std::size_t>(r1::quant::row_bytes(act, s.cols));
      std::vector<std::uint8_t> a(a_row * static_cast<std::size_t>(tokens));
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::vector<float> x(static_cast<std::size_t>(s.cols));
      for (std::int64_t t = 0; t < tokens; ++t) {
        for (float& e : x) e = normal(rng);
        r1::quant::quantize_row(act, x.data(), a.data() + a_row * t, s.cols);
      }
      std::vector<float> y(static_cast<std::size_t>(s.rows * tokens));
      const auto w_row = static_cast<std::size_t>(r1::quant::row_bytes(type, s.cols));
      struct Run {
        const char* name;
        SimdLevel level;
        bool packed;
        bool relaxed = false;
      };
      std::vector<Run> runs;
      for (SimdLevel level : {SimdLevel::avx2, SimdLevel::avx512_vnni}) {
        if (wants("file") && r1::quant::simd_level_available(level)) {
          runs.push_back({r1::quant::simd_level_name(level), level, false});
          if (level == SimdLevel::avx2) runs.push_back({"avx2-relaxed", level, false, true});
        }
      }
      std::vector<std::vector<std::uint8_t>> packed;
      if (wants("packed") && has_packed_layout(type)) {
        runs.push_back({"packed", SimdLevel::avx512_vnni, true});
        for (const auto& copy : w) packed.push_back(pack(type, copy, s));
      }
      for (const Run& run : runs) {
        for (const std::string& th : threads) {
          r1::ThreadPool pool(std::stoi(th));
          std::size_t calls = 0;
          const auto start = std::chrono::steady_clock::now();
          const double cpu_start = thread_cpu_seconds();
          double elapsed = 0;
          while (elapsed < ms * 1e-3 || calls < 3) {
            const std::uint8_t* wp = (run.packed ? packed : w)[calls % copies].data();
            pool.run([&](int thread, int n_threads) {
              const r1::ItemRange mine = r1::split_items(s.rows, kRowGrain, thread, n_threads);
              if (mine.begin >= mine.end) return;
              if (run.packed) {
                gemm_packed(type, wp, s, mine.begin, mine.end, a.data(), tokens,
                            y.data() + mine.begin);
              } else if (run.relaxed) {
                r1::quant::gemm_relaxed_at(run.level, type, wp + w_row * mine.begin,
                                           mine.end - mine.begin, s.cols, a.data(), tokens,
                                           y.data() + mine.begin, s.rows);
              } else {
                r1::quant::gemm_at(run.level, type, wp + w_row * mine.begin, mine.end - mine.begin,
                                   s.cols, a.data(), tokens, y.data() + mine.begin, s.rows);
              }
            });
            ++calls;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          }
          const double per_call = elapsed / static_cast<double>(calls);
          // Thread 0 reads its share of the rows: 1 / n_threads of the matrix.
          const double cpu_per_call = (thread_cpu_seconds() - cpu_start) / static_cast<double>(calls);
          const double bytes = static_cast<double>(one.size());
          std::printf("%-6s %-8s %-12s %7s %10.1f %8.2f %8.2f\n", type_name.c_str(), s.name,
                      run.name, th.c_str(), per_call * 1e6,
                      bytes / per_call * 1e-9, bytes / std::stod(th) / cpu_per_call * 1e-9);
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
