// local-hub: a Hugging Face Hub for tests and the demo, on loopback.
//
//   local-hub --repo org/name=DIR [--repo ...] [--port-file FILE] [--log FILE] [options]
//
// Prints "local-hub ready api=URL cdn=URL" on stdout once both ports listen, and serves until
// SIGINT or SIGTERM.
#include <signal.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "local_hub.h"

namespace {

constexpr const char* kUsage = R"(usage: local-hub [options]
  --repo ID=DIR            a repo whose main branch holds the files of DIR
  --branch ID@BRANCH=DIR   a branch from main with one commit holding the files of DIR
  --tag ID@TAG             tag main's head
  --raw-file ID@PATH=FILE  a commit on main adding FILE's bytes under PATH, unchecked (for
                           path-safety tests: PATH may hold "..", "\\", a leading "/")
  --private ID             only its owner (namespace) or the owner's org members may read
  --gated ID               gated (manual): files need a grant
  --grant ID@USER          give USER access to a gated repo
  --user TOKEN=NAME[:ORG,ORG]  a valid token
  --rename OLD=NEW         OLD answers with a relative 307 to NEW
  --fault SPEC             KIND[=V][,path=GLOB][,site=api|cdn][,method=M][,times=N][,retry-after=S]
                           KIND: drop=BYTES status=CODE stall=MS corrupt ignore-range throttle=KIBPS
                           race (another commit lands just before a matching commit request);
                           drop on an upload PUT hangs up without answering
  --multipart-threshold BYTES  LFS uploads larger than this go multipart (default 10 MiB)
  --chunk-size BYTES       multipart part size (default 10 MiB)
  --page-size N            tree entries per page (default 1000)
  --url-ttl SECONDS        lifetime of signed storage URLs (default 3600)
  --lfs-threshold BYTES    files this large go to LFS whatever their name (default 10 MiB)
  --api-port P, --cdn-port P   fixed ports (default: free ones)
  --port-file FILE         write {"api": P, "cdn": P} there once listening
  --log FILE               append one JSON line per request
)";

std::pair<std::string, std::string> split_once(const std::string& text, char separator,
                                               const std::string& flag) {
  size_t at = text.find(separator);
  if (at == std::string::npos)
    throw std::runtime_error(flag + " expects '" + separator + "' in '" + text + "'");
  return {text.substr(0, at), text.substr(at + 1)};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace local_hub;
  // Block the stop signals before any thread starts, so that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  HubState state;
  FaultPlan faults;
  HubOptions options;
  std::string port_file;
  try {
    std::vector<std::pair<std::string, std::string>> args;
    for (int i = 1; i < argc; ++i) {
      std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") {
        std::cout << kUsage;
        return 0;
      }
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      args.emplace_back(flag, argv[++i]);
    }
    // Settings first: the LFS threshold shapes how repos are seeded.
    for (const auto& [flag, value] : args) {
      if (flag == "--lfs-threshold") state.lfs_threshold = std::stoull(value);
    }
    for (const auto& [flag, value] : args) {
      if (flag == "--repo") {
        auto [id, dir] = split_once(value, '=', flag);
        state.add_repo(id, dir);
      } else if (flag == "--branch") {
        auto [target, dir] = split_once(value, '=', flag);
        auto [id, branch] = split_once(target, '@', flag);
        state.add_branch(id, branch, dir);
      } else if (flag == "--tag") {
        auto [id, tag] = split_once(value, '@', flag);
        state.add_tag(id, tag);
      } else if (flag == "--raw-file") {
        auto [target, file] = split_once(value, '=', flag);
        auto [id, path] = split_once(target, '@', flag);
        state.add_raw_file(id, path, oclip::read_file(file));
      } else if (flag == "--private" || flag == "--gated" || flag == "--grant") {
        std::string id = flag == "--grant" ? split_once(value, '@', flag).first : value;
        Repo* repo = state.find_repo(id);
        if (!repo) throw std::runtime_error(flag + ": unknown repo " + id);
        if (flag == "--private") repo->is_private = true;
        if (flag == "--gated") repo->gated = "manual";
        if (flag == "--grant") repo->granted_users.insert(split_once(value, '@', flag).second);
      } else if (flag == "--user") {
        auto [token, who] = split_once(value, '=', flag);
        User user;
        size_t colon = who.find(':');
        user.name = who.substr(0, colon);
        if (colon != std::string::npos) {
          std::stringstream orgs(who.substr(colon + 1));
          for (std::string org; std::getline(orgs, org, ',');) user.orgs.push_back(org);
        }
        state.add_user(token, user);
      } else if (flag == "--rename") {
        auto [from, to] = split_once(value, '=', flag);
        state.add_rename(from, to);
      } else if (flag == "--fault") {
        faults.add(parse_fault(value));
      } else if (flag == "--page-size") {
        options.page_size = std::max(1, std::stoi(value));
      } else if (flag == "--multipart-threshold") {
        options.multipart_threshold = std::stoull(value);
      } else if (flag == "--chunk-size") {
        options.chunk_size = std::max<uint64_t>(1, std::stoull(value));
      } else if (flag == "--url-ttl") {
        options.url_ttl_s = std::stoi(value);
      } else if (flag == "--api-port") {
        options.api_port = std::stoi(value);
      } else if (flag == "--cdn-port") {
        options.cdn_port = std::stoi(value);
      } else if (flag == "--port-file") {
        port_file = value;
      } else if (flag == "--log") {
        options.log_path = value;
      } else if (flag != "--lfs-threshold") {
        throw std::runtime_error("unknown option " + flag + " (see --help)");
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "local-hub: " << e.what() << "\n";
    return 2;
  }

  LocalHub hub(std::move(state), faults, options);
  try {
    hub.start();
  } catch (const std::exception& e) {
    std::cerr << "local-hub: " << e.what() << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    oclip::write_file_atomic(
        port_file, nlohmann::json{{"api", hub.api_port()}, {"cdn", hub.cdn_port()}}.dump());
  }
  std::cout << "local-hub ready api=http://127.0.0.1:" << hub.api_port()
            << " cdn=http://127.0.0.1:" << hub.cdn_port() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  hub.stop();
  return 0;
}
