// Running the programs under test as real child processes.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::map<std::string, std::string> env;  // added to (or replacing) the parent's environment
  std::vector<std::string> unset_env;
  std::string cwd;
};

// Runs to completion, capturing stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options = {});

// A child left running; terminated (SIGTERM, then waited for) by the destructor.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& stdout_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  bool running();
  int terminate();   // SIGTERM, then wait
  void kill_hard();  // SIGKILL: no chance to clean up, as after a crash
  int wait();        // exit code

 private:
  pid_t pid_ = -1;
};
