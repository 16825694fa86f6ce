#include "tokenizer/bpe_model.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <limits>
#include <queue>

#include "core/utf8.h"

namespace r1::tok {

std::size_t StringViewHash::operator()(std::string_view text) const noexcept {
  return std::hash<std::string_view>{}(text);
}

namespace {

constexpr std::uint32_t kNoRank = std::numeric_limits<std::uint32_t>::max();

// Pieces up to this many symbols are merged by rescanning the pair ranks (cache friendly, no
// heap); longer ones use a priority queue so that long runs stay O(n log n).
constexpr std::size_t kLinearScanLimit = 48;

// Pieces longer than this (in bytes) are not cached: HF does the same, and they rarely repeat.
constexpr std::size_t kMaxCachedPieceBytes = 256;

}  // namespace

// Open-addressing map from a (left id, right id) pair to the merge's rank and result id.
struct BpeModel::MergeTable {
  struct Slot {
    std::uint64_t key = kEmpty;
    std::uint32_t rank = 0;
    TokenId merged = 0;
  };
  static constexpr std::uint64_t kEmpty = std::numeric_limits<std::uint64_t>::max();

  explicit MergeTable(std::size_t count) {
    std::size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    slots.resize(capacity);
    mask = capacity - 1;
  }

  static std::uint64_t key_of(TokenId left, TokenId right) {
    return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
  }
  std::size_t home(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> 17) & mask;
  }

  // Later duplicates overwrite earlier ones, like HF's HashMap collect.
  void insert(TokenId left, TokenId right, std::uint32_t rank, TokenId merged) {
    const std::uint64_t key = key_of(left, right);
    for (std::size_t i = home(key);; i = (i + 1) & mask) {
      if (slots[i].key == kEmpty || slots[i].key == key) {
        slots[i] = {key, rank, merged};
        return;
      }
    }
  }

  const Slot* find(TokenId left, TokenId right) const {
    const std::uint64_t key = key_of(left, right);
    for (std::size_t i = home(key);; i = (i + 1) & mask) {
      if (slots[i].key == key) return &slots[i];
      if (slots[i].key == kEmpty) return nullptr;
    }
  }

  std::vector<Slot> slots;
  std::size_t mask = 0;
};

// Per-thread cache from piece bytes to ids, so that the hot path takes no lock. Each thread keeps
// the caches of its few most recently used models (models are told apart by a serial number
// that is never reused). Like HF's cache it stops growing when full: the point is to skip the
// merge loop for frequent pieces.
class BpeCache {
 public:
  using Entries =
      std::unordered_map<std::string, std::vector<TokenId>, StringViewHash, std::equal_to<>>;

  explicit BpeCache(std::uint64_t serial) : serial_(serial) {}

  /// This thread's cache for the model.
  Entries& entries() const {
    struct Slot {
      std::uint64_t serial = 0;
      std::uint64_t last_use = 0;
      Entries entries;
    };
    thread_local std::array<Slot, kModelsPerThread> slots;
    thread_local std::uint64_t clock = 0;
    ++clock;
    Slot* oldest = &slots[0];
    for (Slot& slot : slots) {
      if (slot.serial == serial_) {
        slot.last_use = clock;
        return slot.entries;
      }
      if (slot.last_use < oldest->last_use) oldest = &slot;
    }
    oldest->serial = serial_;
    oldest->last_use = clock;
    oldest->entries.clear();
    return oldest->entries;
  }

  static constexpr std::size_t kMaxEntries = 65536;

 private:
  static constexpr std::size_t kModelsPerThread = 4;
  std::uint64_t serial_;
};

namespace {
std::uint64_t next_model_serial() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}
}  // namespace

BpeModel::BpeModel(const std::vector<std::pair<std::string, TokenId>>& vocab,
                   const std::vector<BpeMerge>& merges, BpeOptions options)
    : options_(std::move(options)), cache_(std::make_unique<BpeCache>(next_model_serial())) {
  init_vocabulary(vocab);
  merges_ = std::make_unique<MergeTable>(merges.size());
  const std::size_t prefix_length = options_.continuing_subword_prefix.size();
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const BpeMerge& merge = merges[rank];
    auto left = find(merge.left);
    auto right = find(merge.right);
    if (!left || !right) continue;
    // HF drops the continuing-subword prefix length from the right part unconditionally.
    const std::string_view right_rest =
        std::string_view(merge.right).substr(std::min(prefix_length, merge.right.size()));
    auto merged = find(merge.left + std::string(right_rest));
    if (!merged) continue;
    merges_->insert(*left, *right, static_cast<std::uint32_t>(rank), *merged);
  }
  init_symbols();
}

BpeModel::BpeModel(const std::vector<std::pair<std::string, TokenId>>& vocab,
                   const std::vector<BpeMergeIds>& merges, BpeOptions options)
    : options_(std::move(options)), cache_(std::make_unique<BpeCache>(next_model_serial())) {
  init_vocabulary(vocab);
  merges_ = std::make_unique<MergeTable>(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    merges_->insert(merges[rank].left, merges[rank].right, static_cast<std::uint32_t>(rank),
                    merges[rank].merged);
  }
  init_symbols();
}

void BpeModel::init_vocabulary(const std::vector<std::pair<std::string, TokenId>>& vocab) {
  vocab_.reserve(vocab.size());
  for (const auto& [text, id] : vocab) vocab_.emplace(text, id);
}

void BpeModel::init_symbols() {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    byte_ids_[byte] = find(std::string_view(&c, 1)).value_or(-1);
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    fallback_ids_[byte] = find(name).value_or(-1);
  }
  if (options_.unk_token) unk_id_ = find(*options_.unk_token);
}

BpeModel::~BpeModel() = default;

std::optional<TokenId> BpeModel::find(std::string_view symbol) const {
  auto it = vocab_.find(symbol);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::encode_piece(std::string_view piece, std::vector<TokenId>& out) const {
  if (piece.empty()) return;
  if (options_.ignore_merges) {
    if (auto id = find(piece)) {
      out.push_back(*id);
      return;
    }
  }
  const bool cacheable = piece.size() <= kMaxCachedPieceBytes && piece.size() > 1;
  BpeCache::Entries* cache = cacheable ? &cache_->entries() : nullptr;
  if (cache) {
    if (auto it = cache->find(piece); it != cache->end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }

  thread_local std::vector<TokenId> symbols;
  symbols.clear();
  initial_symbols(piece, symbols);
  apply_merges(symbols);
  if (cache && cache->size() < BpeCache::kMaxEntries) cache->emplace(std::string(piece), symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

void BpeModel::initial_symbols(std::string_view piece, std::vector<TokenId>& symbols) const {
  const bool plain_bytes = options_.byte_level && options_.continuing_subword_prefix.empty() &&
                           options_.end_of_word_suffix.empty();
  if (plain_bytes) {
    TokenId pending_unk = -1;
    for (unsigned char byte : piece) {
      const TokenId id = byte_ids_[byte];
      if (id >= 0) {
        if (pending_unk >= 0) symbols.push_back(pending_unk);
        pending_unk = -1;
        symbols.push_back(id);
      } else if (unk_id_) {
        if (pending_unk >= 0 && !options_.fuse_unk) symbols.push_back(pending_unk);
        pending_unk = *unk_id_;
      }
      // Without an unk token HF drops a symbol that is not in the vocabulary.
    }
    if (pending_unk >= 0) symbols.push_back(pending_unk);
    return;
  }

  // One symbol per character (per byte for byte-level), with the subword prefix / word suffix.
  TokenId pending_unk = -1;
  std::string symbol;
  std::size_t pos = 0;
  while (pos < piece.size()) {
    std::size_t length = options_.byte_level ? 1 : utf8::valid_sequence_length(piece, pos);
    if (length == 0) length = 1;  // pieces are valid UTF-8; this only guards the scan
    const bool first = pos == 0;
    const bool last = pos + length == piece.size();
    symbol.clear();
    if (!first) symbol += options_.continuing_subword_prefix;
    symbol.append(piece.substr(pos, length));
    if (last) symbol += options_.end_of_word_suffix;
    pos += length;

    if (auto id = find(symbol)) {
      if (pending_unk >= 0) symbols.push_back(pending_unk);
      pending_unk = -1;
      symbols.push_back(*id);
      continue;
    }
    if (options_.byte_fallback) {
      bool all_known = true;
      for (unsigned char byte : symbol) all_known = all_known && fallback_ids_[byte] >= 0;
      if (all_known) {
        // HF leaves a pending unk in place here; it is flushed by the next known character.
        for (unsigned char byte : symbol) symbols.push_back(fallback_ids_[byte]);
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk >= 0 && !options_.fuse_unk) symbols.push_back(pending_unk);
      pending_unk = *unk_id_;
    }
  }
  if (pending_unk >= 0) symbols.push_back(pending_unk);
}

void BpeModel::apply_merges(std::vector<TokenId>& symbols) const {
  if (symbols.size() < 2) return;
  if (symbols.size() <= kLinearScanLimit) {
    apply_merges_linear(symbols);
  } else {
    apply_merges_heap(symbols);
  }
}

void BpeModel::apply_merges_linear(std::vector<TokenId>& symbols) const {
  std::uint32_t ranks[kLinearScanLimit];
  TokenId merged[kLinearScanLimit];
  std::size_t count = symbols.size();
  auto rank_pair = [&](std::size_t i) {
    const MergeTable::Slot* slot = merges_->find(symbols[i], symbols[i + 1]);
    ranks[i] = slot ? slot->rank : kNoRank;
    merged[i] = slot ? slot->merged : -1;
  };
  for (std::size_t i = 0; i + 1 < count; ++i) rank_pair(i);
  while (count > 1) {
    std::size_t best = 0;
    for (std::size_t i = 1; i + 1 < count; ++i) {
      if (ranks[i] < ranks[best]) best = i;  // strict: leftmost wins among equal ranks
    }
    if (ranks[best] == kNoRank) break;
    symbols[best] = merged[best];
    for (std::size_t i = best + 1; i + 1 < count; ++i) symbols[i] = symbols[i + 1];
    for (std::size_t i = best + 1; i + 2 < count; ++i) {
      ranks[i] = ranks[i + 1];
      merged[i] = merged[i + 1];
    }
    --count;
    if (best > 0) rank_pair(best - 1);
    if (best + 1 < count) rank_pair(best);
  }
  symbols.resize(count);
}

void BpeModel::apply_merges_heap(std::vector<TokenId>& symbols) const {
  struct Candidate {
    std::uint32_t rank;
    std::uint32_t pos;
    TokenId merged;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  const std::size_t n = symbols.size();
  thread_local std::vector<std::int32_t> next;
  thread_local std::vector<std::int32_t> prev;
  thread_local std::vector<Candidate> heap_storage;
  next.assign(n, -1);
  prev.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? static_cast<std::int32_t>(i + 1) : -1;
    prev[i] = static_cast<std::int32_t>(i) - 1;
  }
  heap_storage.clear();
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap(
      std::greater<Candidate>{}, std::move(heap_storage));
  auto push_pair = [&](std::int32_t left) {
    const std::int32_t right = next[left];
    if (left < 0 || right < 0) return;
    if (const MergeTable::Slot* slot = merges_->find(symbols[left], symbols[right])) {
      heap.push({slot->rank, static_cast<std::uint32_t>(left), slot->merged});
    }
  };
  for (std::size_t i = 0; i + 1 < n; ++i) push_pair(static_cast<std::int32_t>(i));

  std::vector<bool> removed(n, false);
  while (!heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    const auto pos = static_cast<std::int32_t>(top.pos);
    if (removed[pos] || next[pos] < 0) continue;
    const std::int32_t right = next[pos];
    // Stale entry: the pair at pos changed since it was queued.
    const MergeTable::Slot* slot = merges_->find(symbols[pos], symbols[right]);
    if (!slot || slot->merged != top.merged) continue;
    symbols[pos] = top.merged;
    removed[right] = true;
    next[pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = pos;
    if (prev[pos] >= 0) push_pair(prev[pos]);
    push_pair(pos);
  }
  std::size_t kept = 0;
  for (std::int32_t i = 0; i >= 0; i = next[i]) symbols[kept++] = symbols[i];
  symbols.resize(kept);
}

}  // namespace r1::tok
