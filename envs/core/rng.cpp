#include "envs/core/rng.h"

#include <random>

namespace arena {

std::uint64_t Rng::entropy_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace arena
