// oclip login / logout / whoami: tokens stored where huggingface_hub keeps them, checked with
// whoami-v2, never printed.
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "core/clock.h"
#include "hub/hub_api.h"
#include "hub/token_store.h"

namespace oclip::cli {
namespace {

using Json = nlohmann::ordered_json;

// One line from stdin; on a terminal, prompted and not echoed.
std::string read_token_from_stdin() {
  const bool tty = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty) {
    std::cerr << "Token (input is hidden): " << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  const size_t begin = line.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return line.substr(begin, line.find_last_not_of(" \t\r\n") - begin + 1);
}

// whoami-v2 for `config`'s token.
Json whoami(const Config& config) {
  hub::HttpClient http(config);
  hub::HubApi api(config, http, system_clock());
  return api.whoami();
}

std::vector<std::string> org_names(const Json& me) {
  std::vector<std::string> orgs;
  for (const Json& org : me.value("orgs", Json::array())) orgs.push_back(org.value("name", ""));
  return orgs;
}

// huggingface_hub's name for a saved token: its display name, else oauth-{user}.
std::string token_name(const Json& me) {
  const Json auth = me.value("auth", Json::object());
  const Json access = auth.value("accessToken", Json::object());
  const std::string display = access.value("displayName", "");
  return display.empty() ? "oauth-" + me.value("name", "") : display;
}

void warn_env_token(const Config& config) {
  if (!config.env_token_variable.empty() && config.verbosity >= 0)
    std::cerr << "note: " << config.env_token_variable
              << " is set and is used before the saved token; unset it to use this one\n";
}

int login(const Config& global) {
  Config config = global;
  if (config.token_source != "--token") {
    config.token = read_token_from_stdin();
    config.token_source = "stdin";
  }
  if (config.token.empty())
    throw Error(ErrorKind::Usage, "no token given (pass --token or type it on stdin)");
  if (!config.token.starts_with("hf_") && config.verbosity >= 0)
    std::cerr << "note: the token does not start with hf_; trying it anyway\n";
  const Json me = whoami(config);
  const std::string name = token_name(me);
  hub::TokenStore store(config.token_path);
  store.save_and_activate(name, config.token);
  if (config.json) {
    print_json({{"user", me.value("name", "")},
                {"token_name", name},
                {"token", hub::masked_token(config.token)},
                {"token_path", config.token_path.string()}});
  } else {
    std::cout << "logged in as " << me.value("name", "") << " (token '" << name << "', saved to "
              << config.token_path.string() << ")\n";
  }
  warn_env_token(config);
  return 0;
}

int logout(const Config& config, const std::string& name) {
  hub::TokenStore store(config.token_path);
  if (name.empty()) {
    store.remove_all();
  } else if (!store.remove(name)) {
    std::string saved;
    for (const std::string& n : store.names()) saved += " " + n;
    throw Error(ErrorKind::NotFound, "no saved token named '" + name + "'")
        .with_hint(saved.empty() ? "no tokens are saved" : "saved:" + saved);
  }
  if (config.json)
    print_json({{"removed", name.empty() ? "all" : name}});
  else
    std::cout << (name.empty() ? "logged out: every saved token removed\n"
                               : "removed token '" + name + "'\n");
  warn_env_token(config);
  return 0;
}

int whoami_command(const Config& config) {
  const Json me = whoami(config);
  const Json access = me.value("auth", Json::object()).value("accessToken", Json::object());
  const std::vector<std::string> orgs = org_names(me);
  if (config.json) {
    print_json({{"name", me.value("name", "")},
                {"type", me.value("type", "")},
                {"orgs", orgs},
                {"token", hub::masked_token(config.token)},
                {"token_name", access.value("displayName", "")},
                {"token_role", access.value("role", "")},
                {"token_source", config.token_source},
                {"endpoint", config.endpoint}});
    return 0;
  }
  std::cout << me.value("name", "") << "\n";
  if (!orgs.empty()) {
    std::string list;
    for (const std::string& org : orgs) list += (list.empty() ? "" : ", ") + org;
    std::cout << "orgs:  " << list << "\n";
  }
  std::cout << "token: " << hub::masked_token(config.token) << " '"
            << access.value("displayName", "") << "' (" << access.value("role", "?") << ") from "
            << config.token_source << "\n";
  return 0;
}

}  // namespace

std::vector<Command> add_auth_commands(CLI::App& parent) {
  CLI::App* login_app = parent.add_subcommand(
      "login", "Check a token with the Hub and save it where huggingface_hub keeps tokens");
  login_app->footer(
      "The token comes from --token, else one line on stdin (hidden on a terminal).\n"
      "Example: oclip login < token.txt");

  auto name = std::make_shared<std::string>();
  CLI::App* logout_app =
      parent.add_subcommand("logout", "Remove saved tokens (all of them by default)");
  logout_app->add_option("--token-name", *name, "Remove only the token saved under this name");
  logout_app->footer("Example: oclip logout --token-name my-laptop");

  CLI::App* whoami_app = parent.add_subcommand("whoami", "Show who the current token belongs to");
  whoami_app->footer(
      "Says which token is used and where it came from (--token, HF_TOKEN, the "
      "token file).\nExample: oclip whoami --json");
  return {{login_app, [](const Config& config) { return login(config); }},
          {logout_app, [name](const Config& config) { return logout(config, *name); }},
          {whoami_app, [](const Config& config) { return whoami_command(config); }}};
}

}  // namespace oclip::cli
