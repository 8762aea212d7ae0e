#include "card/yaml.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace oclip::card {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Words YAML 1.1 (PyYAML) or 1.2 read as booleans or null.
bool is_special_word(std::string_view text) {
  static const char* const kWords[] = {"y",   "n",    "yes", "no",   "true", "false", "on",
                                       "off", "null", "~",   ".nan", ".inf", "-.inf", "+.inf"};
  std::string word = lower(text);
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](const char* w) { return word == w; });
}

// Plain only for a conservative set: a letter or '_' first, then letters, digits and a few
// separators that mean nothing to YAML in the middle of a scalar. Anything that could be a
// number (digits, '+', '-', '.' first), a date, an anchor, a tag or a comment is quoted.
bool can_be_plain(std::string_view text) {
  if (text.empty() || is_special_word(text)) return false;
  unsigned char first = static_cast<unsigned char>(text.front());
  if (!std::isalpha(first) && first != '_') return false;
  if (text.back() == ' ') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool safe = std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == '+' ||
                c == '(' || c == ')' || (c == ' ' && text[i + 1] != ' ');
    if (!safe) return false;
  }
  return true;
}

}  // namespace

// Length of the UTF-8 sequence at text[i], or 0 when it is not valid UTF-8.
static size_t utf8_length(std::string_view text, size_t i) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return 0;
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 either.
  unsigned char next = n > 1 ? static_cast<unsigned char>(text[i + 1]) : 0;
  if (c == 0xc0 || c == 0xc1 || (c == 0xe0 && next < 0xa0) || (c == 0xed && next >= 0xa0) ||
      (c == 0xf0 && next < 0x90) || c > 0xf4 || (c == 0xf4 && next >= 0x90)) {
    return 0;
  }
  return n;
}

std::string yaml_scalar(std::string_view text) {
  if (can_be_plain(text)) return std::string(text);
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\\uFFFD";  // not UTF-8: a YAML document is text, so say so with U+FFFD
      ++i;
      continue;
    }
    std::string_view symbol = text.substr(i, n);
    i += n;
    unsigned char c = static_cast<unsigned char>(symbol[0]);
    // Unicode line breaks and the byte-order mark would not survive a reader unescaped. (The
    // short forms \N, \L, \P are YAML too, but yaml-cpp decodes \N to a bare 0x85 byte.)
    if (symbol == "\xc2\x85") {
      out += "\\u0085";
    } else if (symbol == "\xe2\x80\xa8") {
      out += "\\u2028";
    } else if (symbol == "\xe2\x80\xa9") {
      out += "\\u2029";
    } else if (symbol == "\xef\xbb\xbf") {
      out += "\\uFEFF";
    } else if (n > 1) {
      out += symbol;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string emit_yaml(const YamlMapping& mapping) {
  std::string out;
  for (const auto& [key, value] : mapping) {
    out += yaml_scalar(key) + ":";
    if (const auto* text = std::get_if<std::string>(&value)) {
      out += " " + yaml_scalar(*text) + "\n";
      continue;
    }
    const auto& items = std::get<std::vector<std::string>>(value);
    if (items.empty()) {
      out += " []\n";
      continue;
    }
    out += "\n";
    for (const std::string& item : items) out += "- " + yaml_scalar(item) + "\n";
  }
  return out;
}

}  // namespace oclip::card
