#include "quant/random_blocks.h"

#include <cstring>

#include "core/half.h"
#include "quant/blocks.h"

namespace r1::quant::test {

std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

std::vector<std::uint8_t> random_row(QuantType type, std::int64_t n, std::mt19937_64& rng) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(row_bytes(type, n)));
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
  const std::int64_t nb = row_blocks(type, n);
  for (std::int64_t i = 0; i < nb; ++i) {
    std::uint8_t* block = bytes.data() + i * block_bytes(type);
    const auto put_f16 = [&](std::size_t offset) {
      const std::uint16_t h = f32_to_f16(scale(rng));
      std::memcpy(block + offset, &h, 2);
    };
    switch (type) {
      case QuantType::q8_0:
      case QuantType::q4_0:
      case QuantType::q5_0:
        put_f16(0);
        break;
      case QuantType::q4_1:
      case QuantType::q5_1:
      case QuantType::q8_1:
      case QuantType::q4_k:
      case QuantType::q5_k:
        put_f16(0);
        put_f16(2);
        break;
      case QuantType::q6_k:
        put_f16(offsetof(BlockQ6K, d));
        break;
      case QuantType::q8_k: {
        auto* b = reinterpret_cast<BlockQ8K*>(block);
        b->d = scale(rng);
        for (int g = 0; g < 16; ++g) {
          int sum = 0;
          for (int l = 0; l < 16; ++l) sum += b->qs[16 * g + l];
          b->bsums[g] = static_cast<std::int16_t>(sum);
        }
        break;
      }
    }
  }
  return bytes;
}

}  // namespace r1::quant::test
