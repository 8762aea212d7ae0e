// core/prng.h — the counter-based generator the golden fixtures use for weights and inputs:
// value i of a tensor named NAME is a function of (NAME, i) only, so C++ and the Python
// generator produce bit-identical tensors without sharing an RNG implementation.
#pragma once

#include <cstdint>
#include <string_view>

namespace oclip {

uint64_t fnv1a64(std::string_view bytes);
// The splitmix64 finaliser alone (no golden-gamma increment).
uint64_t splitmix64_mix(uint64_t z);
// offset + scale * (2u - 1) for u = mix(seed + i) >> 11 scaled to [0, 1), in float64.
double prng_value(uint64_t seed, uint64_t i, double scale, double offset);

}  // namespace oclip
