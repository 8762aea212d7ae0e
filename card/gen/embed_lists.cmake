# Turns the one-id-per-line lists of card/data into a C++ source:
#   cmake -DLICENSES=FILE -DTASKS=FILE -DOUT=FILE -P embed_lists.cmake
function(read_ids file out_var)
  file(STRINGS "${file}" lines)
  set(ids "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "" OR line MATCHES "^#")
      continue()
    endif()
    if(NOT line MATCHES "^[a-z0-9][a-z0-9.+-]*$")
      message(FATAL_ERROR "${file}: '${line}' is not an identifier")
    endif()
    string(APPEND ids "    \"${line}\",\n")
  endforeach()
  set(${out_var} "${ids}" PARENT_SCOPE)
endfunction()

read_ids("${LICENSES}" licenses)
read_ids("${TASKS}" tasks)
file(WRITE "${OUT}.tmp" "// Generated from card/data by card/gen/embed_lists.cmake; do not edit.
#include \"card/hub_lists.h\"

namespace oclip::card {

const std::vector<std::string_view>& hub_licenses() {
  static const std::vector<std::string_view> ids = {
${licenses}  };
  return ids;
}

const std::vector<std::string_view>& hub_tasks() {
  static const std::vector<std::string_view> ids = {
${tasks}  };
  return ids;
}

}  // namespace oclip::card
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
