// Content-Range comes from the server and decides where downloaded bytes are written: whatever
// parse_content_range accepts must be an ordered range inside the stated length, and must
// survive being written out and read back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "hub/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto range = oclip::hub::parse_content_range(input);
  if (!range) return 0;
  if (range->last < range->first) std::abort();
  if (range->length && range->last >= *range->length) std::abort();
  std::string again = "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) +
                      "/" + (range->length ? std::to_string(*range->length) : "*");
  auto reparsed = oclip::hub::parse_content_range(again);
  if (!reparsed || reparsed->first != range->first || reparsed->last != range->last ||
      reparsed->length != range->length) {
    std::abort();
  }
  return 0;
}
