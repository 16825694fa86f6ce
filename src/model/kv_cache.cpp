#include "model/kv_cache.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "r1/error.h"

namespace r1::model {

KvCache::KvCache(const io::ModelConfig& config, std::int32_t n_slots, std::int32_t ctx_size,
                 DType type, std::int64_t n_blocks, ops::Memory& memory)
    : n_layers_(config.num_hidden_layers),
      kv_dim_(config.num_key_value_heads * config.head_dim),
      n_slots_(n_slots),
      ctx_size_(ctx_size),
      type_(type),
      memory_(&memory) {
  if (ctx_size <= 0 || ctx_size > config.max_position_embeddings) {
    throw Error(ErrorCode::invalid_argument,
                "context size " + std::to_string(ctx_size) + " must be between 1 and the model's " +
                    "max_position_embeddings " + std::to_string(config.max_position_embeddings));
  }
  if (n_slots <= 0) throw Error(ErrorCode::invalid_argument, "a KV cache needs at least one slot");
  if (is_quantized(type)) {
    throw Error(ErrorCode::invalid_argument,
                std::string("the KV cache holds f32, bf16 or f16, not ") + dtype_cli_name(type));
  }
  max_blocks_per_slot_ = blocks_for(ctx_size);
  n_blocks_ = n_blocks > 0 ? n_blocks : n_slots * max_blocks_per_slot_;
  if (n_blocks_ < max_blocks_per_slot_) {
    throw Error(ErrorCode::invalid_argument,
                "a KV cache of " + std::to_string(n_blocks_ * kBlockTokens) +
                    " positions cannot hold one sequence's context of " + std::to_string(ctx_size) +
                    "; give it at least that many");
  }
  page_bytes_ = static_cast<std::size_t>(kBlockTokens * kv_dim_) * dtype_size(type);
  block_bytes_ = page_bytes_ * 2 * static_cast<std::size_t>(n_layers_);
  storage_ = memory.allocate(static_cast<std::size_t>(n_blocks_) * block_bytes_);
  refs_.assign(static_cast<std::size_t>(n_blocks_), 0);
  free_.reserve(static_cast<std::size_t>(n_blocks_));
  for (std::int64_t b = n_blocks_ - 1; b >= 0; --b) free_.push_back(static_cast<std::int32_t>(b));
  tables_.resize(static_cast<std::size_t>(n_slots));
  pages_.assign(static_cast<std::size_t>(n_slots),
                std::vector<const void*>(
                    static_cast<std::size_t>(n_layers_ * 2 * max_blocks_per_slot_), nullptr));
}

void KvCache::check_slot(std::int32_t slot) const {
  if (slot < 0 || slot >= n_slots_) {
    throw std::logic_error("KV cache slot " + std::to_string(slot) + " outside [0, " +
                           std::to_string(n_slots_) + ")");
  }
}

std::span<const std::int32_t> KvCache::blocks(std::int32_t slot) const {
  check_slot(slot);
  return tables_[static_cast<std::size_t>(slot)];
}

std::uint8_t* KvCache::page(std::int32_t block, std::int64_t layer, int which) const {
  return storage_.get() + static_cast<std::size_t>(block) * block_bytes_ +
         static_cast<std::size_t>(layer * 2 + which) * page_bytes_;
}

std::int32_t KvCache::take_free_block() {
  const std::int32_t block = free_.back();
  free_.pop_back();
  refs_[static_cast<std::size_t>(block)] = 1;
  return block;
}

void KvCache::drop(std::int32_t block) {
  if (--refs_[static_cast<std::size_t>(block)] == 0) free_.push_back(block);
}

void KvCache::set_block(std::int32_t slot, std::size_t index, std::int32_t block) {
  auto& table = tables_[static_cast<std::size_t>(slot)];
  if (index == table.size()) {
    table.push_back(block);
  } else {
    table[index] = block;
  }
  auto& pages = pages_[static_cast<std::size_t>(slot)];
  for (std::int64_t layer = 0; layer < n_layers_; ++layer) {
    for (int which = 0; which < 2; ++which) {
      pages[static_cast<std::size_t>((layer * 2 + which) * max_blocks_per_slot_) + index] =
          page(block, layer, which);
    }
  }
}

std::int64_t KvCache::blocks_to_reserve(std::int32_t slot, std::int32_t begin,
                                        std::int32_t end) const {
  check_slot(slot);
  const auto& table = tables_[static_cast<std::size_t>(slot)];
  const auto held = static_cast<std::int64_t>(table.size());
  std::int64_t needed = std::max<std::int64_t>(0, blocks_for(end) - held);
  for (std::int64_t b = begin / kBlockTokens; b < std::min(blocks_for(end), held); ++b)
    needed += refs_[static_cast<std::size_t>(table[static_cast<std::size_t>(b)])] > 1;
  return needed;
}

bool KvCache::reserve(std::int32_t slot, std::int32_t begin, std::int32_t end) {
  check_slot(slot);
  if (begin < 0 || end > ctx_size_ || begin > end) {
    throw Error(ErrorCode::invalid_argument,
                "KV positions [" + std::to_string(begin) + ", " + std::to_string(end) +
                    ") are outside the context of " + std::to_string(ctx_size_) +
                    " tokens; raise --ctx-size");
  }
  auto& table = tables_[static_cast<std::size_t>(slot)];
  if (static_cast<std::size_t>(begin / kBlockTokens) > table.size()) {
    throw std::logic_error("KV reserve from position " + std::to_string(begin) + " of slot " +
                           std::to_string(slot) + ", which holds only " +
                           std::to_string(table.size() * kBlockTokens) + " positions");
  }
  if (blocks_to_reserve(slot, begin, end) > free_blocks()) return false;
  for (std::int64_t b = begin / kBlockTokens; b < blocks_for(end); ++b) {
    const auto index = static_cast<std::size_t>(b);
    if (index >= table.size()) {
      set_block(slot, index, take_free_block());
    } else if (refs_[static_cast<std::size_t>(table[index])] > 1) {
      const std::int32_t shared = table[index];
      const std::int32_t copy = take_free_block();
      memory_->copy(page(copy, 0, 0), page(shared, 0, 0), block_bytes_);
      drop(shared);
      set_block(slot, index, copy);
    }
  }
  return true;
}

void KvCache::truncate(std::int32_t slot, std::int32_t positions) {
  check_slot(slot);
  auto& table = tables_[static_cast<std::size_t>(slot)];
  const auto keep = static_cast<std::size_t>(blocks_for(std::max(positions, 0)));
  while (table.size() > keep) {
    drop(table.back());
    table.pop_back();
  }
}

void KvCache::share(std::int32_t from, std::int32_t to, std::int32_t positions) {
  check_slot(from);
  check_slot(to);
  if (from == to) {
    truncate(to, positions);
    return;
  }
  const auto& source = tables_[static_cast<std::size_t>(from)];
  const auto n = static_cast<std::size_t>(blocks_for(std::max(positions, 0)));
  if (n > source.size()) {
    throw std::logic_error("KV share of " + std::to_string(positions) + " positions from slot " +
                           std::to_string(from) + ", which holds " + std::to_string(source.size()) +
                           " blocks");
  }
  release(to);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t block = source[i];
    ++refs_[static_cast<std::size_t>(block)];
    set_block(to, i, block);
  }
}

std::uint8_t* KvCache::row_address(std::int32_t slot, std::int64_t layer, std::int32_t position,
                                   int which) const {
  check_slot(slot);
  const auto& table = tables_[static_cast<std::size_t>(slot)];
  const auto index = static_cast<std::size_t>(position / kBlockTokens);
  if (position < 0 || index >= table.size() || refs_[static_cast<std::size_t>(table[index])] != 1) {
    throw std::logic_error("KV position " + std::to_string(position) + " of slot " +
                           std::to_string(slot) + " was not reserved before the store");
  }
  const std::size_t row =
      static_cast<std::size_t>((position % kBlockTokens) * kv_dim_) * dtype_size(type_);
  return page(table[index], layer, which) + row;
}

void KvCache::store(std::int32_t slot, std::int64_t layer, std::int32_t position, const float* key,
                    const float* value) {
  memory_->store_converted(key, kv_dim_, type_, row_address(slot, layer, position, 0));
  memory_->store_converted(value, kv_dim_, type_, row_address(slot, layer, position, 1));
}

void KvCache::store_rows(std::int64_t layer, std::span<const std::int32_t> slots,
                         std::span<const std::int32_t> positions, const float* keys,
                         const float* values, std::int64_t stride) {
  if (slots.size() != positions.size())
    throw std::logic_error("KvCache::store_rows: as many slots as positions");
  key_rows_.clear();
  value_rows_.clear();
  for (std::size_t t = 0; t < slots.size(); ++t) {
    key_rows_.push_back(row_address(slots[t], layer, positions[t], 0));
    value_rows_.push_back(row_address(slots[t], layer, positions[t], 1));
  }
  memory_->store_converted_rows(keys, stride, kv_dim_, type_, key_rows_);
  memory_->store_converted_rows(values, stride, kv_dim_, type_, value_rows_);
}

const void* const* KvCache::key_pages(std::int32_t slot, std::int64_t layer) const {
  check_slot(slot);
  return pages_[static_cast<std::size_t>(slot)].data() + layer * 2 * max_blocks_per_slot_;
}

const void* const* KvCache::value_pages(std::int32_t slot, std::int64_t layer) const {
  check_slot(slot);
  return pages_[static_cast<std::size_t>(slot)].data() + (layer * 2 + 1) * max_blocks_per_slot_;
}

}  // namespace r1::model
