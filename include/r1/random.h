// A small portable PRNG: xoshiro256** seeded through splitmix64, both as published by Blackman
// and Vigna (https://prng.di.unimi.it/xoshiro256starstar.c, https://prng.di.unimi.it/splitmix64.c).
// Everything here is plain 64-bit integer arithmetic, so the same seed gives the same numbers on
// every compiler, standard library and CPU; std:: distributions are deliberately not used because
// their algorithms differ between standard libraries.
#pragma once

#include <array>
#include <cstdint>

namespace r1 {

/// splitmix64: a 64-bit counter passed through a mixing function. Used to expand one seed into
/// the four words of xoshiro256**'s state (the seeding its authors recommend).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  /// The next output, exactly as splitmix64.c's next().
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

/// xoshiro256**: 256 bits of state, period 2^256 - 1, fast and statistically strong for
/// simulation (not cryptographic).
class Xoshiro256StarStar {
 public:
  /// Seeds the four state words with four consecutive splitmix64 outputs of `seed`.
  explicit Xoshiro256StarStar(std::uint64_t seed) { reseed(seed); }

  /// Uses `state` as is (reference tests); an all-zero state is the one state that must not be
  /// used.
  static Xoshiro256StarStar from_state(const std::array<std::uint64_t, 4>& state) {
    Xoshiro256StarStar rng(0);
    rng.state_ = state;
    return rng;
  }

  void reseed(std::uint64_t seed) {
    SplitMix64 mixer(seed);
    for (auto& word : state_) word = mixer.next();
  }

  /// The next 64-bit output, exactly as xoshiro256starstar.c's next().
  std::uint64_t next() {
    const std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
    const std::uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = rotate_left(state_[3], 45);
    return result;
  }

  /// A uniform double in [0, 1): the top 53 bits of next() times 2^-53, so every value is a
  /// multiple of 2^-53 and 1.0 is never returned.
  double uniform_double() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t rotate_left(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<std::uint64_t, 4> state_{};
};

}  // namespace r1
