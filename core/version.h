// core/version.h — the release, as `oclip --version` and the user agent give it.
#pragma once

namespace oclip {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace oclip
