// The local Hub: an API site (the endpoint) and a storage "CDN" site on a second port, both on
// loopback, speaking the protocol of docs/hub-protocol.md.
#pragma once

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "faults.h"
#include "http_server.h"
#include "hub_state.h"

namespace local_hub {

struct HubOptions {
  int api_port = 0;
  int cdn_port = 0;
  int page_size = 1000;  // tree listing entries per page
  int url_ttl_s = 3600;  // lifetime of signed storage URLs
  std::string log_path;  // JSON lines, one per request
};

class LocalHub {
 public:
  LocalHub(HubState state, FaultPlan& faults, HubOptions options);
  void start();
  void stop();
  int api_port() const { return api_port_; }
  int cdn_port() const { return cdn_port_; }

 private:
  Response handle_api(const Request& request);
  Response handle_cdn(const Request& request);
  void log(const std::string& site, const Request& request, const Response& response,
           uint64_t bytes_sent);

  // api routes
  Response repo_route(const Request& request, const std::string& tail, const User* user,
                      bool anonymous);
  Response whoami(const User* user);
  Response list_models(const Request& request, const User* user);
  Response model_info(const Request& request, const Repo& repo, const std::string& revision);
  Response tree(const Request& request, const Repo& repo, const std::vector<std::string>& rest);
  Response paths_info(const Request& request, const Repo& repo, const std::string& revision);
  Response refs(const Repo& repo);
  Response resolve(const Request& request, const Repo& repo, const std::vector<std::string>& rest,
                   bool raw);
  Response resolve_cache(const Request& request, const std::string& tail, const User* user,
                         bool anonymous);

  // content with Range and body faults
  Response serve_bytes(const Request& request, const std::string& site,
                       std::shared_ptr<const std::string> bytes, Response response);
  std::string signed_cdn_url(const Repo& repo, const RepoFile& file) const;
  nlohmann::ordered_json file_entry(const Repo& repo, const RepoFile& file, bool expand) const;

  HubState state_;
  FaultPlan& faults_;
  HubOptions options_;
  std::string secret_;
  struct StoredObject {
    std::shared_ptr<const std::string> content;
    std::string storage_etag;  // computed once: hashing a large file per request would dominate
  };
  std::map<std::string, StoredObject> lfs_objects_;  // by sha256
  HttpServer api_;
  HttpServer cdn_;
  int api_port_ = 0;
  int cdn_port_ = 0;
  std::atomic<uint64_t> request_counter_{0};
  std::mutex log_mutex_;
  std::ofstream log_;
};

}  // namespace local_hub
