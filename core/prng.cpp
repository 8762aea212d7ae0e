#include "core/prng.h"

namespace oclip {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t splitmix64_mix(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z;
}

double prng_value(uint64_t seed, uint64_t i, double scale, double offset) {
  const double u = static_cast<double>(splitmix64_mix(seed + i) >> 11) * 0x1.0p-53;
  double t = 2.0 * u - 1.0;
  t = scale * t;  // separate multiply and add: this file is built with -ffp-contract=off
  return offset + t;
}

}  // namespace oclip
