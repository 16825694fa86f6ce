// Rotary position embeddings in transformers' rotate-half (NeoX) layout, with the frequency
// scalings transformers implements for Qwen2 and Llama (none, linear, llama3).
#pragma once

#include <cstdint>
#include <vector>

namespace r1::ops {

struct RopeScaling {
  enum class Kind { none, linear, llama3 } kind = Kind::none;
  double factor = 1.0;
  double low_freq_factor = 1.0;                    // llama3
  double high_freq_factor = 4.0;                   // llama3
  double original_max_position_embeddings = 8192;  // llama3
};

/// inv_freq[i] = theta^(-2i/d) for i < d/2, computed in fp32 as transformers does
/// (1 / base ** (arange(0, d, 2).float() / d)), then scaled.
std::vector<float> rope_inv_freq(std::int64_t head_dim, double theta, const RopeScaling& scaling);

/// Rotates x [n_tokens, n_heads, head_dim] in place: for i < d/2 with angle a = pos * inv_freq[i]
/// (fp32 product, like transformers), x[i] <- x[i] cos a - x[i + d/2] sin a and
/// x[i + d/2] <- x[i + d/2] cos a + x[i] sin a.
/// With RopeLayout::interleaved the pair rotated by angle i is (x[2i], x[2i + 1]) instead: the
/// order of llama.cpp's llama GGUF files, whose converter permutes the q/k rows of every head so
/// that this equals transformers' rotate-half on the original rows.
enum class RopeLayout { rotate_half, interleaved };
void rope_reference(float* x, const std::int32_t* positions, std::int64_t n_tokens,
                    std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq,
                    RopeLayout layout = RopeLayout::rotate_half);

}  // namespace r1::ops
