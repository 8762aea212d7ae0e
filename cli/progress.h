// cli/progress.h — a one-line byte counter on stderr, for terminals only: the current file,
// and the whole job once more than one file is planned.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"

namespace oclip::cli {

class ProgressLine {
 public:
  enum class Style { Off, Terminal, JsonLines };  // JsonLines: one object per update, on stderr
  ProgressLine(Style style, Clock& clock) : style_(style), clock_(clock) {}
  ~ProgressLine() { finish(); }

  // Adds to the job's totals; several calls add up (a model, then its tokenizer repo).
  void plan(size_t files, uint64_t bytes);
  void start(const std::string& name, uint64_t total);
  void add(uint64_t bytes);
  void finish();

 private:
  void draw(bool force);

  Style style_;
  Clock& clock_;
  std::string name_;
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  double started_ = 0;
  double last_draw_ = 0;
  bool active_ = false;
  size_t job_files_ = 0;
  uint64_t job_bytes_ = 0;
  size_t file_number_ = 0;
  uint64_t job_done_ = 0;
  double job_started_ = 0;
};

std::string human_bytes(uint64_t bytes);

}  // namespace oclip::cli
