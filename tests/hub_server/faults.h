// Fault injection for the local Hub: what to break, where, and how often.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace local_hub {

enum class FaultKind { Drop, Status, Stall, Corrupt, IgnoreRange, Throttle, Race };

struct Fault {
  FaultKind kind = FaultKind::Drop;
  int64_t value = 0;         // drop: bytes; status: code; stall: ms; throttle: KiB/s
  int retry_after = -1;      // status: seconds for Retry-After
  std::string path = "*";    // glob on the decoded request path
  std::string site = "any";  // api, cdn or any
  std::string method;        // empty: any
  int remaining = -1;        // -1: every time
};

// "KIND[=VALUE][,path=GLOB][,site=api|cdn][,method=GET][,times=N][,retry-after=S]"
// KIND: drop=BYTES, status=CODE, stall=MS, corrupt, ignore-range, throttle=KIBPS, and race
// (another writer commits to the branch just before this commit request is handled).
// A drop on an upload (PUT) hangs up without answering.
Fault parse_fault(const std::string& spec);

class FaultPlan {
 public:
  void add(Fault fault) { faults_.push_back(std::move(fault)); }
  // The first matching fault of one of `kinds`, counted as used.
  std::optional<Fault> take(const std::vector<FaultKind>& kinds, const std::string& site,
                            const std::string& method, const std::string& path);

 private:
  std::mutex mutex_;
  std::vector<Fault> faults_;
};

}  // namespace local_hub
