// What the five MinAtar game cores share: the action alphabet, the 10x10
// grid, the step outcome and a fixed-capacity list for the games' objects.
//
// MinAtar (Young & Tian, 2019, github.com/kenjyoung/MinAtar) reduces five
// Atari games to a 10x10 grid of binary channels. Each game here is a plain,
// trivially copyable state (so that saving it is a byte copy) with three
// operations: reset(rng), act(action, rng) and observe(out). The Env adapter
// (minatar_env.h) adds the action sets, sticky actions, the observation
// buffer and drawing.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace arena::minatar {

// MinAtar's six actions, in MinAtar's order (n, l, u, r, d, f).
enum Action : std::uint8_t { kNoop = 0, kLeft = 1, kUp = 2, kRight = 3, kDown = 4, kFire = 5 };
inline constexpr int kNumActions = 6;

// The grid is 10 rows (y, top to bottom) by 10 columns (x, left to right).
inline constexpr int kGrid = 10;

struct StepOutcome {
  int reward = 0;
  bool terminal = false;
};

// Sets channel `c` of cell (y, x) in a channels-last [10, 10, channels] observation.
inline void mark(std::uint8_t* out, int channels, int y, int x, int c) {
  out[(y * kGrid + x) * channels + c] = 1;
}

// Calls f(x) for every set bit x of a row mask, lowest first.
template <class F>
inline void for_each_bit(unsigned mask, F&& f) {
  while (mask != 0) {
    f(std::countr_zero(mask));
    mask &= mask - 1;
  }
}

// A list of at most N trivially copyable items, kept in insertion order
// (the games iterate in that order where it decides who is hit first).
// Capacities are upper bounds derived from the game rules, so push() never
// fails in play; it returns false instead of overflowing.
template <class T, std::size_t N>
class FixedVec {
  static_assert(N <= 255);

 public:
  int size() const { return count_; }
  bool empty() const { return count_ == 0; }
  T& operator[](int i) { return items_[static_cast<std::size_t>(i)]; }
  const T& operator[](int i) const { return items_[static_cast<std::size_t>(i)]; }
  bool push(const T& v) {
    if (count_ == N) return false;
    items_[count_++] = v;
    return true;
  }
  // Removes item i, keeping the others in order.
  void erase(int i) {
    for (int j = i; j + 1 < count_; ++j) items_[static_cast<std::size_t>(j)] = items_[static_cast<std::size_t>(j + 1)];
    --count_;
  }
  void clear() { count_ = 0; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + count_; }

 private:
  std::array<T, N> items_{};
  std::uint8_t count_ = 0;
};

}  // namespace arena::minatar
