// cli/exit_codes.h — the one exit-code table every command uses (`man oclip` prints it).
#pragma once

#include <string>

#include "core/error.h"

namespace oclip::cli {

int exit_code_for(ErrorKind kind);

// The table as text, for --help and the man page.
std::string exit_code_table();

}  // namespace oclip::cli
