#include "ops/cpu/dnnl_matmul.h"

#include <cstring>
#include <tuple>

#include "core/cpu_info.h"
#include "core/half.h"
#include "r1/error.h"

#if defined(R1_HAVE_DNNL)
#include <omp.h>

#include <dnnl.hpp>
#endif

namespace r1::ops::cpu {

#if defined(R1_HAVE_DNNL)

struct DnnlMatmul::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // Primitives by (tokens, cols, rows, y_stride): creating one costs about a millisecond, and a
  // forward pass meets only a few shapes (the chunk sizes times the model's matrices).
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>, dnnl::matmul> cache;
};

bool DnnlMatmul::available() {
  const CpuFeatures& f = cpu_features();
  return f.amx_bf16 || f.avx512bf16;
}

DnnlMatmul::DnnlMatmul() : state_(std::make_unique<State>()) {}

DnnlMatmul::~DnnlMatmul() = default;

void DnnlMatmul::bf16_rows(const std::uint16_t* w, std::int64_t n_rows, std::int64_t cols,
                           const std::uint16_t* x, std::int64_t n_tokens, float* y,
                           std::int64_t y_stride) {
  using dnnl::memory;
  const memory::desc a({n_tokens, cols}, memory::data_type::bf16, memory::format_tag::ab);
  const memory::desc b({cols, n_rows}, memory::data_type::bf16, memory::format_tag::ba);
  const memory::desc c({n_tokens, n_rows}, memory::data_type::f32, memory::dims{y_stride, 1});
  const auto key = std::make_tuple(n_tokens, cols, n_rows, y_stride);
  auto it = state_->cache.find(key);
  if (it == state_->cache.end()) {
    if (state_->cache.size() > 256) state_->cache.clear();
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), state_->engine);
    it = state_->cache.emplace(key, dnnl::matmul(pd)).first;
  }
  memory am(a, state_->engine, const_cast<std::uint16_t*>(x));
  memory bm(b, state_->engine, const_cast<std::uint16_t*>(w));
  memory cm(c, state_->engine, y);
  // r1's own threads split the work; oneDNN must not start an OpenMP team that would spin next
  // to them.
  omp_set_num_threads(1);
  it->second.execute(state_->stream,
                     {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  state_->stream.wait();
}

#else  // built without oneDNN

struct DnnlMatmul::State {};
bool DnnlMatmul::available() {
  return false;
}
DnnlMatmul::DnnlMatmul() {}
DnnlMatmul::~DnnlMatmul() = default;
void DnnlMatmul::bf16_rows(const std::uint16_t*, std::int64_t, std::int64_t, const std::uint16_t*,
                           std::int64_t, float*, std::int64_t) {
  throw Error(ErrorCode::unsupported, "this build of r1 has no oneDNN");
}

#endif

}  // namespace r1::ops::cpu
