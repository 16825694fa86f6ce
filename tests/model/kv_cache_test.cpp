// The paged KV cache: blocks are allocated as positions are reserved, shared between slots
// without copying, copied before a shared block is written (so its other holders never see the
// write), returned to the pool on truncate/release, and a full pool refuses without changing
// anything.
#include "model/kv_cache.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "core/half.h"
#include "r1/error.h"

namespace r1::model {
namespace {

io::ModelConfig small_config() {
  io::ModelConfig config;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 4;
  config.max_position_embeddings = 4096;
  return config;
}

constexpr std::int32_t B = KvCache::kBlockTokens;

// Key row of (layer, position) as the test writes it: distinct per slot tag.
std::vector<float> row(float tag, std::int64_t layer, std::int32_t position, std::int64_t dim) {
  std::vector<float> r(static_cast<std::size_t>(dim));
  for (std::int64_t i = 0; i < dim; ++i)
    r[static_cast<std::size_t>(i)] = tag * 1000.0f + static_cast<float>(layer * 100 + position) +
                                     static_cast<float>(i) / 8.0f;
  return r;
}

void write(KvCache& cache, std::int32_t slot, float tag, std::int32_t begin, std::int32_t end) {
  ASSERT_TRUE(cache.reserve(slot, begin, end));
  for (std::int64_t layer = 0; layer < 2; ++layer) {
    for (std::int32_t p = begin; p < end; ++p) {
      const std::vector<float> k = row(tag, layer, p, cache.kv_dim());
      std::vector<float> v = k;
      for (float& x : v) x = -x;
      cache.store(slot, layer, p, k.data(), v.data());
    }
  }
}

// The key (or value) the slot's pages hold for (layer, position), element i.
float read(const KvCache& cache, std::int32_t slot, std::int64_t layer, std::int32_t position,
           std::int64_t i, bool value = false) {
  const void* const* pages =
      value ? cache.value_pages(slot, layer) : cache.key_pages(slot, layer);
  const auto* page = static_cast<const float*>(pages[position / B]);
  return page[(position % B) * cache.kv_dim() + i];
}

TEST(KvCache, ReservingAllocatesBlocksAsPositionsArrive) {
  KvCache cache(small_config(), 2, 256);
  EXPECT_EQ(cache.n_blocks(), 2 * 256 / B);
  EXPECT_EQ(cache.free_blocks(), cache.n_blocks());
  write(cache, 0, 1, 0, B + 1);
  EXPECT_EQ(cache.blocks(0).size(), 2u);
  EXPECT_EQ(cache.free_blocks(), cache.n_blocks() - 2);
  write(cache, 0, 1, B + 1, 2 * B);  // the same block again
  EXPECT_EQ(cache.blocks(0).size(), 2u);
  for (std::int32_t p : {0, B - 1, B, 2 * B - 1}) {
    EXPECT_EQ(read(cache, 0, 1, p, 3), row(1, 1, p, cache.kv_dim())[3]) << p;
    EXPECT_EQ(read(cache, 0, 1, p, 3, true), -row(1, 1, p, cache.kv_dim())[3]) << p;
  }
}

TEST(KvCache, SharedBlocksAreCopiedBeforeTheyAreWritten) {
  KvCache cache(small_config(), 3, 256);
  write(cache, 0, 1, 0, B + 10);  // a block and a partial one
  cache.share(0, 1, B + 10);
  cache.share(0, 2, B);
  EXPECT_EQ(cache.free_blocks(), cache.n_blocks() - 2) << "sharing copies nothing";
  EXPECT_EQ(cache.holders(cache.blocks(0)[0]), 3);
  EXPECT_EQ(cache.holders(cache.blocks(0)[1]), 2);
  EXPECT_EQ(read(cache, 1, 0, B + 5, 0), row(1, 0, B + 5, cache.kv_dim())[0]);

  // Slot 1 continues inside the shared partial block: it gets its own copy, slot 0 keeps its rows.
  EXPECT_EQ(cache.blocks_to_reserve(1, B + 5, B + 12), 1);
  write(cache, 1, 2, B + 5, B + 12);
  EXPECT_NE(cache.blocks(1)[1], cache.blocks(0)[1]);
  EXPECT_EQ(cache.blocks(1)[0], cache.blocks(0)[0]);
  for (std::int32_t p = B; p < B + 10; ++p)
    EXPECT_EQ(read(cache, 0, 1, p, 2), row(1, 1, p, cache.kv_dim())[2]) << "slot 0 position " << p;
  for (std::int32_t p = B; p < B + 5; ++p)
    EXPECT_EQ(read(cache, 1, 1, p, 2), row(1, 1, p, cache.kv_dim())[2]) << "copied position " << p;
  for (std::int32_t p = B + 5; p < B + 12; ++p)
    EXPECT_EQ(read(cache, 1, 1, p, 2), row(2, 1, p, cache.kv_dim())[2]) << "new position " << p;

  // Slot 2 writes its first private block after the shared one.
  write(cache, 2, 3, B, B + 1);
  EXPECT_EQ(cache.blocks(2)[0], cache.blocks(0)[0]);
  EXPECT_EQ(read(cache, 0, 0, B, 1), row(1, 0, B, cache.kv_dim())[1]);
  EXPECT_EQ(read(cache, 2, 0, B, 1), row(3, 0, B, cache.kv_dim())[1]);
}

TEST(KvCache, StoringIntoASharedOrMissingBlockIsAnError) {
  KvCache cache(small_config(), 2, 256);
  write(cache, 0, 1, 0, 4);
  cache.share(0, 1, 4);
  const std::vector<float> k(static_cast<std::size_t>(cache.kv_dim()), 1.0f);
  EXPECT_THROW(cache.store(1, 0, 4, k.data(), k.data()), std::logic_error);
  EXPECT_THROW(cache.store(0, 0, B, k.data(), k.data()), std::logic_error);
  EXPECT_THROW(cache.reserve(0, 2 * B + 1, 2 * B + 2), std::logic_error) << "a gap";
  EXPECT_THROW(cache.reserve(0, 0, 257), Error) << "beyond the context";
}

TEST(KvCache, TruncateAndReleaseReturnBlocksOnlyWhenTheLastHolderLetsGo) {
  KvCache cache(small_config(), 2, 256);
  write(cache, 0, 1, 0, 3 * B);
  cache.share(0, 1, 2 * B);
  cache.truncate(0, B + 1);  // keeps two blocks, both shared with slot 1
  EXPECT_EQ(cache.blocks(0).size(), 2u);
  EXPECT_EQ(cache.free_blocks(), cache.n_blocks() - 2);
  cache.release(0);
  EXPECT_EQ(cache.free_blocks(), cache.n_blocks() - 2) << "slot 1 still holds them";
  EXPECT_EQ(read(cache, 1, 1, 2 * B - 1, 0), row(1, 1, 2 * B - 1, cache.kv_dim())[0]);
  cache.release(1);
  EXPECT_EQ(cache.free_blocks(), cache.n_blocks());
}

TEST(KvCache, AFullPoolRefusesAndChangesNothing) {
  KvCache cache(small_config(), 3, 2 * B, DType::f32, 3);  // 3 blocks for 3 slots of 2 blocks
  write(cache, 0, 1, 0, 2 * B);
  EXPECT_EQ(cache.free_blocks(), 1);
  EXPECT_EQ(cache.blocks_to_reserve(1, 0, B + 1), 2);
  EXPECT_FALSE(cache.reserve(1, 0, B + 1));
  EXPECT_TRUE(cache.blocks(1).empty());
  EXPECT_EQ(cache.free_blocks(), 1);
  EXPECT_TRUE(cache.reserve(1, 0, B));
  EXPECT_EQ(cache.free_blocks(), 0);
  EXPECT_THROW(KvCache(small_config(), 2, 4 * B, DType::f32, 3), Error)
      << "a pool smaller than one context";
}

// A batch's rows in one call land where store() puts them one by one: tokens of two slots,
// out of order, crossing a block edge, keys and values interleaved in one array as in the
// forward pass's q | k | v rows.
TEST(KvCache, StoreRowsPutsEachTokenWhereStoreWould) {
  KvCache one_by_one(small_config(), 2, 256), batched(small_config(), 2, 256);
  for (KvCache* cache : {&one_by_one, &batched}) {
    ASSERT_TRUE(cache->reserve(0, 0, B + 3));
    ASSERT_TRUE(cache->reserve(1, 0, 5));
  }
  const std::int64_t dim = one_by_one.kv_dim();
  const std::vector<std::int32_t> slots = {0, 1, 0, 0, 1};
  const std::vector<std::int32_t> positions = {B - 1, 4, B, B + 2, 0};
  const std::int64_t stride = 3 * dim;  // [junk | key | value] per token
  std::vector<float> rows(slots.size() * static_cast<std::size_t>(stride));
  for (std::size_t t = 0; t < slots.size(); ++t)
    for (std::int64_t i = 0; i < stride; ++i)
      rows[t * static_cast<std::size_t>(stride) + static_cast<std::size_t>(i)] =
          static_cast<float>(100 * t + static_cast<std::size_t>(i));
  for (std::int64_t layer = 0; layer < 2; ++layer) {
    for (std::size_t t = 0; t < slots.size(); ++t) {
      const float* k = rows.data() + t * static_cast<std::size_t>(stride) + dim;
      one_by_one.store(slots[t], layer, positions[t], k, k + dim);
    }
    batched.store_rows(layer, slots, positions, rows.data() + dim, rows.data() + 2 * dim, stride);
  }
  for (std::int64_t layer = 0; layer < 2; ++layer)
    for (std::size_t t = 0; t < slots.size(); ++t)
      for (std::int64_t i = 0; i < dim; ++i)
        for (bool value : {false, true}) {
          const float expected = read(one_by_one, slots[t], layer, positions[t], i, value);
          EXPECT_EQ(read(batched, slots[t], layer, positions[t], i, value), expected);
          EXPECT_EQ(expected, static_cast<float>(100 * t + static_cast<std::size_t>(
                                                               (value ? 2 : 1) * dim + i)));
        }
  const std::vector<std::int32_t> unreserved = {1};
  const std::vector<std::int32_t> beyond = {B};  // slot 1 holds only block 0
  EXPECT_THROW(batched.store_rows(0, unreserved, beyond, rows.data(), rows.data(), stride),
               std::logic_error);
}

TEST(KvCache, HalfPrecisionRowsAreConvertedOnStore) {
  KvCache cache(small_config(), 1, 64, DType::bf16);
  ASSERT_TRUE(cache.reserve(0, 0, 1));
  const std::vector<float> k = {1.5f, -2.25f, 3.0f, 0.125f, 8.0f, 9.0f, 10.0f, 11.0f};
  cache.store(0, 1, 0, k.data(), k.data());
  const auto* page = static_cast<const std::uint16_t*>(cache.key_pages(0, 1)[0]);
  for (std::size_t i = 0; i < k.size(); ++i) EXPECT_EQ(bf16_to_f32(page[i]), k[i]);
}

}  // namespace
}  // namespace r1::model
