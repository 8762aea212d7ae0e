// A resume journal left on disk may be torn, damaged or written by someone else: parsing it
// must not crash, and the ranges kept for checking must be non-empty, inside the file, sorted
// and disjoint, so the resumed download can neither write out of bounds nor hash a byte twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "hub/resume_journal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  oclip::hub::ParsedJournal journal = oclip::hub::parse_journal(input);
  for (uint64_t file_size : {journal.size, uint64_t{1} << 20}) {
    uint64_t previous_end = 0;
    for (const oclip::hub::DoneRange& r : oclip::hub::usable_ranges(journal.ranges, file_size)) {
      if (r.end <= r.start || r.end > file_size || r.start < previous_end) std::abort();
      previous_end = r.end;
    }
  }
  return 0;
}
