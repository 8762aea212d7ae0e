#include "registry/natural_sort.h"

#include <gtest/gtest.h>

using oclip::registry::natural_less;
using oclip::registry::natural_sort;

TEST(NaturalSort, DigitRunsCompareByValue) {
  EXPECT_TRUE(natural_less("RN50", "RN101"));
  EXPECT_FALSE(natural_less("RN101", "RN50"));
  EXPECT_TRUE(natural_less("RN50x4", "RN50x16"));
}

TEST(NaturalSort, ShorterTextPieceFirst) {
  EXPECT_TRUE(natural_less("RN50", "RN50-quickgelu"));
  EXPECT_TRUE(natural_less("RN50-quickgelu", "RN50x4"));  // '-' < 'x'
  EXPECT_TRUE(natural_less("MobileCLIP2-B", "MobileCLIP-B"));
  EXPECT_TRUE(natural_less("ViT-B-16-SigLIP2", "ViT-B-16-SigLIP-256"));
}

TEST(NaturalSort, CaseIsIgnored) {
  EXPECT_TRUE(natural_less("ViT-bigG-14", "ViT-e-14"));
  EXPECT_TRUE(natural_less("ViT-e-14", "ViT-g-14"));
  EXPECT_TRUE(natural_less("ViT-g-14", "ViT-H-14"));
  EXPECT_TRUE(natural_less("ViT-H-14", "ViT-L-14"));
}

TEST(NaturalSort, UnderscoreBeforeLetters) {
  EXPECT_TRUE(natural_less("vit_relpos_medium_patch16_cls_224", "ViTamin-B"));
}

TEST(NaturalSort, EdgeCases) {
  EXPECT_FALSE(natural_less("", ""));
  EXPECT_TRUE(natural_less("", "a"));
  EXPECT_TRUE(natural_less("", "1"));
  EXPECT_TRUE(natural_less("1", "a"));  // "" < "a" as first text pieces
  EXPECT_TRUE(natural_less("a1b", "a1b2"));
  EXPECT_TRUE(natural_less("a1", "a1b"));
  EXPECT_TRUE(natural_less("a2", "a10"));
  EXPECT_FALSE(natural_less("a007", "a7"));  // equal keys
  EXPECT_FALSE(natural_less("a7", "a007"));
  // Longer than any integer type: compared by value all the same.
  EXPECT_TRUE(natural_less("x99999999999999999999", "x100000000000000000000"));
  EXPECT_FALSE(natural_less("ABC", "abc"));
}

TEST(NaturalSort, StableForEqualKeys) {
  std::vector<std::string> names = {"b", "A7", "a007", "a"};
  natural_sort(names);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "A7", "a007", "b"}));
}
