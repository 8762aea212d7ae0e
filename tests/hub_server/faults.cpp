#include "faults.h"

#include <fnmatch.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace local_hub {

Fault parse_fault(const std::string& spec) {
  Fault fault;
  std::stringstream stream(spec);
  std::string item;
  bool first = true;
  while (std::getline(stream, item, ',')) {
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    auto number = [&] {
      if (value.empty())
        throw std::runtime_error("fault '" + spec + "': " + key + " needs a value");
      return std::stoll(value);
    };
    if (first) {
      first = false;
      if (key == "drop")
        fault.kind = FaultKind::Drop, fault.value = number();
      else if (key == "status")
        fault.kind = FaultKind::Status, fault.value = number();
      else if (key == "stall")
        fault.kind = FaultKind::Stall, fault.value = number();
      else if (key == "corrupt")
        fault.kind = FaultKind::Corrupt;
      else if (key == "ignore-range")
        fault.kind = FaultKind::IgnoreRange;
      else if (key == "race")
        fault.kind = FaultKind::Race;
      else if (key == "throttle")
        fault.kind = FaultKind::Throttle, fault.value = number();
      else
        throw std::runtime_error("unknown fault kind '" + key + "' in '" + spec + "'");
      continue;
    }
    if (key == "path")
      fault.path = value;
    else if (key == "site")
      fault.site = value;
    else if (key == "method")
      fault.method = value;
    else if (key == "times")
      fault.remaining = static_cast<int>(number());
    else if (key == "retry-after")
      fault.retry_after = static_cast<int>(number());
    else
      throw std::runtime_error("unknown fault option '" + key + "' in '" + spec + "'");
  }
  if (first) throw std::runtime_error("empty fault spec");
  return fault;
}

std::optional<Fault> FaultPlan::take(const std::vector<FaultKind>& kinds, const std::string& site,
                                     const std::string& method, const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Fault& fault : faults_) {
    if (std::find(kinds.begin(), kinds.end(), fault.kind) == kinds.end()) continue;
    if (fault.remaining == 0) continue;
    if (fault.site != "any" && fault.site != site) continue;
    if (!fault.method.empty() && fault.method != method) continue;
    if (::fnmatch(fault.path.c_str(), path.c_str(), 0) != 0) continue;
    if (fault.remaining > 0) --fault.remaining;
    return fault;
  }
  return std::nullopt;
}

}  // namespace local_hub
