// Keys and values of every layer in a pool of fixed-size blocks shared by all sequences (paged,
// as vLLM's PagedAttention): a block holds kBlockTokens consecutive positions of one sequence for
// every layer, and each sequence slot maps its positions to blocks through a block table.
//
// Blocks are reference-counted, so slots can share a prefix (the next turn of a conversation, a
// shared system prompt, the n choices of one prompt) without copying it: share() hands a slot
// another slot's first blocks, and a block that is written while shared is copied first (copy on
// write), so what the other holders read never changes.
//
// Layout: block b is [layer][keys | values][kBlockTokens][kv_dim] elements of type(). Memory is
// reserved up front but only touched (and counted in RSS) as blocks are first used.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/dtype.h"
#include "io/hf_config.h"
#include "ops/memory.h"

namespace r1::model {

class KvCache {
 public:
  /// Positions per block.
  static constexpr std::int32_t kBlockTokens = 32;

  /// Blocks a sequence of `positions` positions occupies.
  static std::int64_t blocks_for(std::int64_t positions) {
    return (positions + kBlockTokens - 1) / kBlockTokens;
  }

  /// n_slots sequences of up to ctx_size positions each, in a pool of n_blocks blocks of `type`
  /// (f32, bf16 or f16); n_blocks 0 means enough for every slot's whole context. Throws
  /// Error(invalid_argument) when ctx_size exceeds the model's max_position_embeddings or is not
  /// positive, for another type, or for a pool smaller than one context. The pool lives in
  /// `memory` (the backend's, Backend::memory(); it must outlive the cache).
  KvCache(const io::ModelConfig& config, std::int32_t n_slots, std::int32_t ctx_size,
          DType type = DType::f32, std::int64_t n_blocks = 0,
          ops::Memory& memory = ops::host_memory());

  std::int32_t n_slots() const { return n_slots_; }
  std::int32_t ctx_size() const { return ctx_size_; }
  std::int64_t kv_dim() const { return kv_dim_; }
  DType type() const { return type_; }
  std::int64_t n_blocks() const { return n_blocks_; }
  std::int64_t free_blocks() const { return static_cast<std::int64_t>(free_.size()); }

  /// The blocks of a slot, position p in blocks(slot)[p / kBlockTokens].
  std::span<const std::int32_t> blocks(std::int32_t slot) const;
  /// How many slots hold `block`.
  std::int32_t holders(std::int32_t block) const { return refs_[static_cast<std::size_t>(block)]; }

  /// New blocks reserve(slot, begin, end) would take now (missing ones and shared ones to copy).
  std::int64_t blocks_to_reserve(std::int32_t slot, std::int32_t begin, std::int32_t end) const;
  /// Makes positions [begin, end) of the slot writable: allocates the blocks it lacks up to `end`
  /// and copies the shared ones among them. Returns false, changing nothing, when the pool has
  /// too few free blocks. Throws Error(invalid_argument) for a range outside [0, ctx_size).
  bool reserve(std::int32_t slot, std::int32_t begin, std::int32_t end);

  /// Keeps the slot's first `positions` positions and releases the blocks after them.
  void truncate(std::int32_t slot, std::int32_t positions);
  /// Releases all of the slot's blocks.
  void release(std::int32_t slot) { truncate(slot, 0); }
  /// Replaces `to`'s blocks with the blocks holding `from`'s first `positions` positions, shared
  /// (no copy). Positions after them in the last shared block are `from`'s and are copied away
  /// before `to` writes there.
  void share(std::int32_t from, std::int32_t to, std::int32_t positions);

  /// Stores one position's key and value rows (fp32 in the cache's memory, converted to type());
  /// the position must have been reserved (its block private to the slot); std::logic_error
  /// otherwise.
  void store(std::int32_t slot, std::int64_t layer, std::int32_t position, const float* key,
             const float* value);
  /// store() for n tokens at once (token t: slots[t], positions[t], its key row at
  /// keys + t * stride and value row at values + t * stride): two conversion calls for the batch
  /// (Memory::store_converted_rows), where store() per token makes two per token.
  void store_rows(std::int64_t layer, std::span<const std::int32_t> slots,
                  std::span<const std::int32_t> positions, const float* keys, const float* values,
                  std::int64_t stride);

  /// Pointers to the slot's key / value pages of `layer` ([kBlockTokens, kv_dim] each, page p for
  /// positions [p * kBlockTokens, ...)), as the attention op reads them. Valid until the slot's
  /// blocks change.
  const void* const* key_pages(std::int32_t slot, std::int64_t layer) const;
  const void* const* value_pages(std::int32_t slot, std::int64_t layer) const;

  /// Bytes of the pool (for memory reports).
  std::size_t bytes() const { return static_cast<std::size_t>(n_blocks_) * block_bytes_; }

 private:
  std::uint8_t* page(std::int32_t block, std::int64_t layer, int which) const;
  /// Where (slot, position)'s key row (which 0) or value row (1) of `layer` lies; throws
  /// std::logic_error when the position was not reserved (its block private to the slot).
  std::uint8_t* row_address(std::int32_t slot, std::int64_t layer, std::int32_t position,
                            int which) const;
  std::int32_t take_free_block();
  void drop(std::int32_t block);
  void set_block(std::int32_t slot, std::size_t index, std::int32_t block);
  void check_slot(std::int32_t slot) const;

  std::int64_t n_layers_;
  std::int64_t kv_dim_;
  std::int32_t n_slots_;
  std::int32_t ctx_size_;
  DType type_;
  std::int64_t n_blocks_;
  std::size_t page_bytes_;   // one layer's keys (or values) of one block
  std::size_t block_bytes_;  // every layer's keys and values of one block
  std::int64_t max_blocks_per_slot_;
  ops::Memory* memory_;
  std::shared_ptr<std::uint8_t> storage_;          // uninitialized: pages untouched until used
  std::vector<std::int32_t> refs_;                 // holders of each block
  std::vector<std::int32_t> free_;                 // free blocks, the lowest on top
  std::vector<std::vector<std::int32_t>> tables_;  // each slot's blocks
  // Each slot's page pointers: [layer][keys | values][max_blocks_per_slot].
  std::vector<std::vector<const void*>> pages_;
  std::vector<void*> key_rows_, value_rows_;  // store_rows' destinations, reused
};

/// The cache type a model computes with unless told otherwise: its matrices' element type (f32,
/// bf16 or f16, as transformers keeps a model's cache in its dtype), f16 for quantized models (as
/// llama.cpp does).
inline DType default_kv_type(DType matrix_type) {
  return is_quantized(matrix_type) ? DType::f16 : matrix_type;
}

}  // namespace r1::model
