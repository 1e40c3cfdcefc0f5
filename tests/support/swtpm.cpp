#include "swtpm.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

extern char** environ;

namespace paw::test {
namespace {

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// free_port_pair asks the kernel for a free port P (bind to port 0) and keeps it
// only if P+1 (swtpm's control channel) is free too.
int free_port_pair() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    const int port = ntohs(addr.sin_port);
    if (port < 65535 && port_free(port) && port_free(port + 1)) return port;
  }
  FAIL("no free loopback port pair");
  return 0;
}

bool answers(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log_path.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// The manufactured template: swtpm_setup once per test process (about a second).
const std::filesystem::path& template_dir() {
  static TempDir* dir = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    dir = new TempDir();  // lives for the whole process; removed by the OS temp cleaner otherwise
    const std::string script = source_path("tests/support/swtpm.sh").string();
    std::string out;
    const int rc = run_command({"bash", "-c", "source '" + script + "' && swtpm_manufacture '" +
                                                   dir->path().string() + "'"},
                               &out);
    REQUIRE_MESSAGE(rc == 0, "swtpm_setup failed: " << out);
    std::atexit([] { delete dir; });
  });
  return dir->path();
}

}  // namespace

int run_command(const std::vector<std::string>& argv, std::string* output) {
  std::string cmd;
  for (const auto& a : argv) {
    std::string q = "'";
    for (char c : a) {
      if (c == '\'') q += "'\\''";
      else q += c;
    }
    cmd += q + "' ";
  }
  cmd += "2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) {
    if (output != nullptr) output->append(buf, n);
  }
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::unique_ptr<Swtpm> Swtpm::start() {
  std::unique_ptr<Swtpm> t(new Swtpm());
  std::filesystem::copy(template_dir(), t->dir_.path(), std::filesystem::copy_options::recursive);
  t->launch();
  return t;
}

void Swtpm::launch() {
  port_ = free_port_pair();
  const std::string state = (dir_.path() / "state").string();
  pid_ = spawn({"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + state, "--server",
                "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1", "--ctrl",
                "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=127.0.0.1", "--flags",
                "not-need-init,startup-clear"},
               (dir_.path() / "swtpm.log").string());
  REQUIRE_MESSAGE(pid_ > 0, "cannot start swtpm");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answers(port_)) {
    int status = 0;
    REQUIRE_MESSAGE(::waitpid(pid_, &status, WNOHANG) == 0, "swtpm exited at start-up");
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "swtpm did not answer");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Swtpm::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void Swtpm::restart() {
  stop();
  launch();
}

Swtpm::~Swtpm() { stop(); }

std::string Swtpm::tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

std::filesystem::path Swtpm::ca_dir() const { return dir_.path() / "ca"; }

}  // namespace paw::test
