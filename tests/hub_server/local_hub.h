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
  int page_size = 1000;                             // tree listing entries per page
  int url_ttl_s = 3600;                             // lifetime of signed storage URLs
  uint64_t multipart_threshold = 10 * 1024 * 1024;  // larger LFS uploads go multipart
  uint64_t chunk_size = 10 * 1024 * 1024;           // multipart part size
  std::string log_path;                             // JSON lines, one per request
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
  Response refs(const Request& request, const Repo& repo);
  Response resolve(const Request& request, const Repo& repo, const std::vector<std::string>& rest,
                   bool raw);
  Response resolve_cache(const Request& request, const std::string& tail, const User* user,
                         bool anonymous);

  // write routes (local_hub_upload.cpp)
  Response create_repo(const Request& request, const User* user);
  Response create_branch(const Request& request, Repo& repo, const std::string& branch,
                         const User* user);
  Response preupload(const Request& request, const Repo& repo, const std::string& revision,
                     const User* user);
  Response commit(const Request& request, Repo& repo, const std::string& revision,
                  const User* user);
  Response lfs_batch(const Request& request, const std::string& id, const User* user);
  Response lfs_verify(const Request& request, const std::string& id, const User* user);
  Response complete_multipart(const Request& request);
  Response storage_put(const Request& request);
  Response write_refused(const User* user, const std::string& what) const;
  std::string base_url() const;
  std::string sign(const std::string& what, long long expires) const;
  bool signature_ok(const std::string& what, const Request& request) const;
  std::string signed_url(const std::string& origin, const std::string& path,
                         const std::string& extra_query) const;

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
  struct PendingPart {
    std::string etag;
    std::shared_ptr<const std::string> bytes;
  };
  struct PendingUpload {
    std::string oid;
    uint64_t size = 0;
    uint64_t chunk_size = 0;
    std::map<uint64_t, PendingPart> parts;
  };
  // The repos change only under state_mutex_; the stored objects under objects_mutex_, so
  // that the storage site never waits for an API call.
  std::mutex state_mutex_;
  std::mutex objects_mutex_;
  std::map<std::string, StoredObject> lfs_objects_;  // by sha256
  std::map<std::string, PendingUpload> uploads_;     // multipart uploads by upload id
  uint64_t upload_counter_ = 0;
  HttpServer api_;
  HttpServer cdn_;
  int api_port_ = 0;
  int cdn_port_ = 0;
  std::atomic<uint64_t> request_counter_{0};
  std::mutex log_mutex_;
  std::ofstream log_;
};

}  // namespace local_hub
