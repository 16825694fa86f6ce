// Prefill-sized bf16 products on the 1.5B model's shapes: every bf16 kernel r1 can run them on,
// side by side in one run, as GFLOP/s (2 x rows x cols x tokens per call). The CPU backend picks
// one of them at start-up (CpuBackend: AMX when the processor has it, else oneDNN or the FMA
// kernel); this program shows why on the machine at hand.
//
//   build/bench/r1_bench_prefill_gemm [--threads 1,2] [--tokens 512] [--ms 600]
//
// Rows are split between the pool's threads as CpuBackend::linear_into splits them. The weights
// of each shape are one copy (4.5-55 MB: they come from L3 / memory once per call, as in a
// prefill, where each matrix is read once per chunk of tokens).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/half.h"
#include "core/thread_pool.h"
#include "ops/cpu/dnnl_matmul.h"
#include "ops/cpu/fma_gemm.h"
#include "ops/cpu/matmul_kernels.h"

namespace {

using Clock = std::chrono::steady_clock;
using r1::ops::cpu::CpuIsa;

struct Shape {
  const char* name;
  std::int64_t rows, cols;
};

constexpr Shape kShapes[] = {
    {"qkv", 2048, 1536}, {"o", 1536, 1536}, {"gate_up", 17920, 1536}, {"down", 1536, 8960}};
constexpr std::int64_t kRowGrain = 16;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// thread's rows [begin, end) of the product into y.
using RowsFn = std::function<void(int thread, std::int64_t begin, std::int64_t end)>;

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> threads = {"1", "2"};
  std::int64_t tokens = 512;
  double ms = 600;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") threads = split(argv[i + 1]);
    else if (flag == "--tokens") tokens = std::stoll(argv[i + 1]);
    else if (flag == "--ms") ms = std::stod(argv[i + 1]);
  }
  std::printf("%-8s %-22s %7s %10s %9s\n", "shape", "kernel", "threads", "ms/call", "GFLOP/s");
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const Shape& s : kShapes) {
    std::vector<std::uint16_t> w(static_cast<std::size_t>(s.rows * s.cols));
    for (auto& e : w) e = r1::f32_to_bf16(0.02f * normal(rng));
    std::vector<float> x(static_cast<std::size_t>(tokens * s.cols));
    for (auto& e : x) e = normal(rng);
    std::vector<std::uint16_t> x_bf16(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x_bf16[i] = r1::f32_to_bf16(x[i]);
    std::vector<float> y(static_cast<std::size_t>(tokens * s.rows));
    for (const std::string& th : threads) {
      const int n_threads = std::stoi(th);
      r1::ThreadPool pool(n_threads);
      std::vector<r1::ops::cpu::DnnlMatmul> dnnl;
      if (r1::ops::cpu::DnnlMatmul::available()) dnnl = std::vector<r1::ops::cpu::DnnlMatmul>(n_threads);
      struct Kernel {
        std::string name;
        RowsFn rows;
      };
      std::vector<Kernel> kernels;
      for (CpuIsa isa : {CpuIsa::avx512, CpuIsa::avx2}) {
        const std::string isa_name = r1::ops::cpu::isa_name(isa);
        if (!r1::ops::cpu::isa_supported(isa)) continue;
        const auto dot = r1::ops::cpu::dot_rows_kernel(isa, r1::DType::bf16);
        kernels.push_back({"dot_rows " + isa_name, [&, dot](int, std::int64_t b, std::int64_t e) {
                             dot(w.data() + b * s.cols, e - b, s.cols, x.data(), s.cols, tokens,
                                 y.data() + b, s.rows);
                           }});
        if (!r1::ops::cpu::fma_gemm_available(isa)) continue;
        kernels.push_back({"fma_gemm " + isa_name, [&, isa](int, std::int64_t b, std::int64_t e) {
                             r1::ops::cpu::fma_gemm(isa, r1::DType::bf16, w.data() + b * s.cols,
                                                    e - b, s.cols, x.data(), tokens, y.data() + b,
                                                    s.rows);
                           }});
      }
      if (!dnnl.empty()) {
        kernels.push_back({"onednn bf16", [&](int t, std::int64_t b, std::int64_t e) {
                             dnnl[static_cast<std::size_t>(t)].bf16_rows(
                                 w.data() + b * s.cols, e - b, s.cols, x_bf16.data(), tokens,
                                 y.data() + b, s.rows);
                           }});
      }
      for (const Kernel& k : kernels) {
        std::size_t calls = 0;
        const auto start = Clock::now();
        double elapsed = 0;
        while (elapsed < ms * 1e-3 || calls < 2) {
          pool.run([&](int thread, int n) {
            const r1::ItemRange mine = r1::split_items(s.rows, kRowGrain, thread, n);
            if (mine.begin < mine.end) k.rows(thread, mine.begin, mine.end);
          });
          ++calls;
          elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        }
        const double per_call = elapsed / static_cast<double>(calls);
        const double flop = 2.0 * static_cast<double>(s.rows * s.cols * tokens);
        std::printf("%-8s %-22s %7d %10.2f %9.1f\n", s.name, k.name.c_str(), n_threads,
                    per_call * 1e3, flop / per_call * 1e-9);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
