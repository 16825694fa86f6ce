#include "ops/weights.h"

#include <string>

#include <cstring>
#include <vector>

#include "core/half.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quantize.h"
#include "r1/error.h"

namespace r1::ops {
namespace {

// Row `row`'s columns [col, col + n) of a packed matrix (whole blocks) in the file's format.
std::vector<std::uint8_t> unpacked_blocks(const WeightMatrix& w, std::int64_t row,
                                          std::int64_t col, std::int64_t n) {
  const std::int64_t block = dtype_block_elements(w.type);
  const auto type = *quant::quant_type_of(w.type);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n / block * dtype_block_bytes(w.type)));
  const auto* packed = static_cast<const std::uint8_t*>(w.data);
  if (w.type == DType::q8_0) {
    quant::unpack_q8_0_row(packed, w.cols / block, row, col / block, n / block,
                           reinterpret_cast<quant::BlockQ8_0*>(bytes.data()));
  } else if (quant::has_packed_q4_layout(type)) {
    quant::unpack_q4_row(type, packed, w.cols / block, row, col / block, n / block, bytes.data());
  } else {
    quant::unpack_k_row(type, packed, w.cols / block, row, col / block, n / block, bytes.data());
  }
  return bytes;
}

}  // namespace

void dequantize_row(const WeightMatrix& w, std::int64_t row, float* out) {
  if (w.layout == WeightLayout::packed) {
    const std::vector<std::uint8_t> blocks = unpacked_blocks(w, row, 0, w.cols);
    quant::dequantize_row(*quant::quant_type_of(w.type), blocks.data(), out, w.cols);
    return;
  }
  const auto* bytes = static_cast<const std::uint8_t*>(w.data) + row_bytes(w) * row;
  switch (w.type) {
    case DType::f32:
      std::memcpy(out, bytes, static_cast<std::size_t>(w.cols) * 4);
      return;
    case DType::f16:
    case DType::bf16:
      for (std::int64_t i = 0; i < w.cols; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, bytes + 2 * i, 2);
        out[i] = w.type == DType::f16 ? f16_to_f32(bits) : bf16_to_f32(bits);
      }
      return;
    default:
      quant::dequantize_row(*quant::quant_type_of(w.type), bytes, out, w.cols);
  }
}

float weight_at(const WeightMatrix& w, std::int64_t row, std::int64_t col) {
  if (w.layout == WeightLayout::packed) {
    const std::int64_t block = dtype_block_elements(w.type);
    const std::vector<std::uint8_t> bytes = unpacked_blocks(w, row, col / block * block, block);
    std::vector<float> values(static_cast<std::size_t>(block));
    quant::dequantize_row(*quant::quant_type_of(w.type), bytes.data(), values.data(), block);
    return values[static_cast<std::size_t>(col % block)];
  }
  const std::int64_t index = row * w.cols + col;
  switch (w.type) {
    case DType::f32:
      return static_cast<const float*>(w.data)[index];
    case DType::f16:
      return f16_to_f32(static_cast<const std::uint16_t*>(w.data)[index]);
    case DType::bf16:
      return bf16_to_f32(static_cast<const std::uint16_t*>(w.data)[index]);
    default:
      break;
  }
  // Decode the block that holds the element.
  const std::int64_t block = dtype_block_elements(w.type);
  std::vector<float> values(static_cast<std::size_t>(block));
  const auto* blocks = static_cast<const std::uint8_t*>(w.data) + row_bytes(w) * row +
                       col / block * dtype_block_bytes(w.type);
  quant::dequantize_row(*quant::quant_type_of(w.type), blocks, values.data(), block);
  return values[static_cast<std::size_t>(col % block)];
}

Linear Linear::single(const WeightMatrix& w, std::vector<float> bias) {
  return stacked({w}, {std::move(bias)});
}

Linear Linear::stacked(std::vector<WeightMatrix> parts,
                       const std::vector<std::vector<float>>& biases) {
  Linear linear;
  if (parts.empty()) throw Error(ErrorCode::invalid_argument, "a linear layer needs a weight");
  linear.cols = parts.front().cols;
  linear.type = parts.front().type;
  bool any_bias = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].cols != linear.cols) {
      throw Error(ErrorCode::invalid_file, "cannot fuse weights of " +
                                               std::to_string(parts[i].cols) + " and " +
                                               std::to_string(linear.cols) + " input features");
    }
    linear.rows += parts[i].rows;
    if (i < biases.size() && !biases[i].empty()) any_bias = true;
  }
  if (any_bias) {
    linear.bias.assign(static_cast<std::size_t>(linear.rows), 0.0f);
    std::int64_t row = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i < biases.size() && !biases[i].empty()) {
        if (static_cast<std::int64_t>(biases[i].size()) != parts[i].rows) {
          throw Error(ErrorCode::invalid_file, "a bias has " + std::to_string(biases[i].size()) +
                                                   " values for " + std::to_string(parts[i].rows) +
                                                   " output rows");
        }
        std::copy(biases[i].begin(), biases[i].end(), linear.bias.begin() + row);
      }
      row += parts[i].rows;
    }
  }
  linear.parts = std::move(parts);
  return linear;
}

bool Linear::mixed_types() const {
  for (const WeightMatrix& part : parts) {
    if (part.type != type) return true;
  }
  return false;
}

std::size_t Linear::weight_bytes() const {
  std::size_t bytes = 0;
  for (const WeightMatrix& part : parts)
    bytes += row_bytes(part) * static_cast<std::size_t>(part.rows);
  return bytes;
}

}  // namespace r1::ops
