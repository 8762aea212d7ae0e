#include "hub/resume_journal.h"

#include <gtest/gtest.h>

namespace oclip::hub {
namespace {

TEST(ResumeJournal, ParsesRangesAndDropsATornLastLine) {
  ParsedJournal j = parse_journal(
      "oclip-journal 1\nsize 1000\nowner box 42\nrange 0 100 0000abcd\nrange 100 250 ff\n"
      "range 250 300");
  ASSERT_TRUE(j.valid);
  EXPECT_EQ(j.size, 1000u);
  EXPECT_EQ(j.owner_host, "box");
  EXPECT_EQ(j.owner_pid, 42);
  ASSERT_EQ(j.ranges.size(), 2u);
  EXPECT_EQ(j.ranges[1].start, 100u);
  EXPECT_EQ(j.ranges[1].end, 250u);
  EXPECT_EQ(j.ranges[1].crc, 0xffu);
  EXPECT_FALSE(parse_journal("something else\nsize 1000\n").valid);
  EXPECT_FALSE(parse_journal("oclip-journal 1\nowner box 42\n").valid);
}

TEST(ResumeJournal, KeepsOnlyDisjointRangesInsideTheFile) {
  std::vector<DoneRange> ranges = {{500, 600, 1},  {0, 100, 2},  {50, 150, 3},  // overlaps
                                   {900, 1100, 4},                              // past the end
                                   {100, 100, 5},                               // empty
                                   {100, 500, 6},  {550, 560, 7}};              // inside another
  std::vector<DoneRange> kept = usable_ranges(ranges, 1000);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].crc, 2u);
  EXPECT_EQ(kept[1].crc, 6u);
  EXPECT_EQ(kept[2].crc, 1u);
}

}  // namespace
}  // namespace oclip::hub
