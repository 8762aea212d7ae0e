#include "cli/progress.h"

#include <gtest/gtest.h>

namespace oclip::cli {
namespace {

class StepClock : public Clock {
 public:
  double now_s() override { return now; }
  void sleep_s(double seconds) override { now += seconds; }
  double now = 100;
};

TEST(ProgressLine, ShowsTheJobOnceSeveralFilesArePlanned) {
  StepClock clock;
  testing::internal::CaptureStderr();
  {
    ProgressLine line(ProgressLine::Style::Terminal, clock);
    line.plan(2, 3'000'000);
    line.start("a.bin", 1'000'000);
    clock.now += 1;
    line.add(1'000'000);
    line.start("b.bin", 2'000'000);
    clock.now += 1;
    line.add(500'000);
    line.finish();
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(
      err.find("a.bin  100%  1.0 MB / 1.0 MB  1.0 MB/s ETA 2 s  [1/2 files, 1.0 MB / 3.0 MB]"),
      std::string::npos)
      << err;
  // 1.5 MB of 3 MB in 2 s: the job's ETA, not the file's.
  EXPECT_NE(
      err.find("b.bin   25%  500.0 kB / 2.0 MB  500.0 kB/s ETA 2 s  [2/2 files, 1.5 MB / 3.0 MB]"),
      std::string::npos)
      << err;
}

TEST(ProgressLine, OneFileShowsNoJobAndOffShowsNothing) {
  StepClock clock;
  testing::internal::CaptureStderr();
  {
    ProgressLine line(ProgressLine::Style::Terminal, clock);
    line.plan(1, 100);
    line.start("only", 100);
    clock.now += 1;
    line.add(50);
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("only   50%  50 B / 100 B  50 B/s ETA 1 s\n"), std::string::npos) << err;
  EXPECT_EQ(err.find("files"), std::string::npos);

  testing::internal::CaptureStderr();
  {
    ProgressLine off(ProgressLine::Style::Off, clock);
    off.start("x", 10);
    off.add(10);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace oclip::cli
