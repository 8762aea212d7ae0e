// registry/builtin_data.h — tables generated at build time from registry/data/ (private).
#pragma once

#include <cstddef>

#include "registry/registry.h"

namespace oclip::registry {

struct BuiltinConfig {
  const char* name;  // file stem, the architecture name
  const char* json;  // the config, minified, keys in file order
};

extern const BuiltinConfig kBuiltinConfigs[];
extern const size_t kBuiltinConfigCount;
extern const PretrainedEntry kBuiltinPretrained[];  // in list_pretrained() order
extern const size_t kBuiltinPretrainedCount;

}  // namespace oclip::registry
