#include "cli/exit_codes.h"

#include <gtest/gtest.h>

#include <fstream>

using oclip::ErrorKind;
using oclip::cli::exit_code_for;

TEST(ExitCodes, OneCodePerKindAsDocumented) {
  EXPECT_EQ(exit_code_for(ErrorKind::Io), 1);
  EXPECT_EQ(exit_code_for(ErrorKind::Usage), 2);
  EXPECT_EQ(exit_code_for(ErrorKind::NotFound), 3);
  EXPECT_EQ(exit_code_for(ErrorKind::Auth), 4);
  EXPECT_EQ(exit_code_for(ErrorKind::Gated), 5);
  EXPECT_EQ(exit_code_for(ErrorKind::Network), 6);
  EXPECT_EQ(exit_code_for(ErrorKind::Integrity), 7);
  EXPECT_EQ(exit_code_for(ErrorKind::Format), 8);
  EXPECT_EQ(exit_code_for(ErrorKind::Validation), 9);
  EXPECT_EQ(exit_code_for(ErrorKind::Unsupported), 10);
  EXPECT_EQ(exit_code_for(ErrorKind::Conflict), 11);
}

TEST(ExitCodes, TableNamesEveryKind) {
  std::string table = oclip::cli::exit_code_table();
  for (ErrorKind kind :
       {ErrorKind::Io, ErrorKind::Usage, ErrorKind::NotFound, ErrorKind::Auth, ErrorKind::Gated,
        ErrorKind::Network, ErrorKind::Integrity, ErrorKind::Format, ErrorKind::Validation,
        ErrorKind::Unsupported, ErrorKind::Conflict}) {
    std::string row = std::to_string(exit_code_for(kind));
    row = std::string(row.size() == 1 ? "   " : "  ") + row + "  " +
          std::string(oclip::kind_name(kind));
    EXPECT_NE(table.find(row), std::string::npos) << row;
  }
}

TEST(ExitCodes, ManPageTableMatches) {
  std::ifstream in(std::string(OCLIP_SOURCE_DIR) + "/man/oclip.1.scd");
  ASSERT_TRUE(in) << "man/oclip.1.scd not found";
  std::string page((std::istreambuf_iterator<char>(in)), {});
  for (ErrorKind kind :
       {ErrorKind::Io, ErrorKind::Usage, ErrorKind::NotFound, ErrorKind::Auth, ErrorKind::Gated,
        ErrorKind::Network, ErrorKind::Integrity, ErrorKind::Format, ErrorKind::Validation,
        ErrorKind::Unsupported, ErrorKind::Conflict}) {
    std::string row = "|  " + std::to_string(exit_code_for(kind)) +
                      "\n:  " + std::string(oclip::kind_name(kind)) + "\n";
    EXPECT_NE(page.find(row), std::string::npos) << row;
  }
}
