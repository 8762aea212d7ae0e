#include "cli/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace oclip::cli {

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

void ProgressLine::plan(size_t files, uint64_t bytes) {
  job_files_ += files;
  job_bytes_ += bytes;
}

void ProgressLine::start(const std::string& name, uint64_t total) {
  finish();
  if (file_number_++ == 0) job_started_ = clock_.now_s();
  name_ = name;
  total_ = total;
  done_ = 0;
  started_ = clock_.now_s();
  last_draw_ = 0;
  active_ = style_ != Style::Off;
  draw(true);
}

void ProgressLine::add(uint64_t bytes) {
  done_ += bytes;
  job_done_ += bytes;
  draw(false);
}

void ProgressLine::finish() {
  if (!active_) return;
  draw(true);
  if (style_ == Style::Terminal) std::fputs("\n", stderr);
  active_ = false;
}

void ProgressLine::draw(bool force) {
  if (!active_) return;
  double now = clock_.now_s();
  if (!force && now - last_draw_ < 0.1) return;
  last_draw_ = now;
  double elapsed = now - started_;
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  bool show_job = job_files_ > 1;
  if (style_ == Style::JsonLines) {
    nlohmann::json line = {{"event", "progress"},
                           {"path", name_},
                           {"bytes", done_},
                           {"total", total_},
                           {"bytes_per_second", static_cast<uint64_t>(rate)}};
    if (show_job) {
      line["file"] = file_number_;
      line["files"] = job_files_;
      line["job_bytes"] = job_done_;
      line["job_total"] = job_bytes_;
    }
    std::fprintf(stderr, "%s\n", line.dump().c_str());
    std::fflush(stderr);
    return;
  }
  int percent =
      total_ ? static_cast<int>(100.0 * static_cast<double>(done_) / static_cast<double>(total_))
             : 100;
  // The ETA is the job's when there is one: what the user waits for.
  double job_elapsed = now - job_started_;
  double job_rate = job_elapsed > 0 ? static_cast<double>(job_done_) / job_elapsed : 0;
  uint64_t left =
      show_job ? job_bytes_ - std::min(job_done_, job_bytes_) : total_ - std::min(done_, total_);
  double eta_rate = show_job ? job_rate : rate;
  std::string eta = eta_rate > 0 && left > 0
                        ? fmt::format(" ETA {:.0f} s", static_cast<double>(left) / eta_rate)
                        : "";
  std::string job = show_job ? fmt::format("  [{}/{} files, {} / {}]", file_number_, job_files_,
                                           human_bytes(job_done_), human_bytes(job_bytes_))
                             : "";
  std::fprintf(stderr, "\r\x1b[K%s  %3d%%  %s / %s  %s/s%s%s", name_.c_str(), percent,
               human_bytes(done_).c_str(), human_bytes(total_).c_str(),
               human_bytes(static_cast<uint64_t>(rate)).c_str(), eta.c_str(), job.c_str());
  std::fflush(stderr);
}

}  // namespace oclip::cli
