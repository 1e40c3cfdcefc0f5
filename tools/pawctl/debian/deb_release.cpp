// deb_release.cpp — signed InRelease files through gpgv (deb_release.h).
#include "deb_release.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "paw/attest/text.h"

extern char** environ;

namespace pawctl {
namespace {

using paw::Errc;
using paw::make_error;

// Fd closes a descriptor it owns.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// drain reads |out| and |err| until both close; at most |max| bytes of out
// and 4 KiB of err are kept (past that, out is an error: too large).
bool drain(int out_fd, int err_fd, std::size_t max, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  bool too_large = false;
  char buf[1 << 15];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      std::string& into = i == 0 ? out : err;
      const std::size_t keep = i == 0 ? max : 4096;
      if (into.size() + static_cast<std::size_t>(n) > keep) {
        too_large = too_large || i == 0;
        into.append(buf, keep - into.size());
      } else {
        into.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  return !too_large;
}

// last_line: gpgv's verdict is its last line ("gpgv: BAD signature from …",
// "gpgv: Can't check signature: No public key"), made printable.
std::string last_line(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  const auto nl = s.rfind('\n');
  if (nl != std::string_view::npos) s.remove_prefix(nl + 1);
  std::string out(s.substr(0, 300));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

paw::Result<std::string> verified_release(const std::string& release, const std::string& keyring) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error(Errc::io_error, "pipe failed");
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return make_error(Errc::io_error, "pipe failed");
  Fd err_r{err_pipe[0]}, err_w{err_pipe[1]};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  // "--": a file name starting with '-' is a file, not an option.
  std::vector<std::string> argv_s = {"gpgv", "--quiet", "--keyring", keyring, "--output", "-", "--", release};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "gpgv", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  // pawctl's .deb only Recommends gpgv (most commands never need it): say
  // what to install rather than leave the admin with "No such file".
  if (rc == ENOENT) {
    return make_error(Errc::io_error, "--release needs gpgv, which is not installed (not found in PATH): "
                                      "install the Debian package gpgv (apt install gpgv)");
  }
  if (rc != 0) return make_error(Errc::io_error, "cannot run gpgv (Debian package gpgv): " + std::string(strerror(rc)));
  ::close(out_w.fd);
  out_w.fd = -1;
  ::close(err_w.fd);
  err_w.fd = -1;
  std::string out, err;
  const bool fits = drain(out_r.fd, err_r.fd, kMaxReleaseSize, out, err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(Errc::bad_signature, release + ": the signature does not verify with a key of " + keyring +
                                               " (" + (err.empty() ? std::string("gpgv failed") : last_line(err)) + ")");
  }
  if (!fits) return make_error(Errc::too_large, release + ": larger than " + std::to_string(kMaxReleaseSize) + " bytes");
  return out;
}

paw::Result<std::vector<ReleaseFile>> release_sha256(std::string_view text) {
  if (text.size() > kMaxReleaseSize) return make_error(Errc::too_large, "Release file too large");
  std::vector<ReleaseFile> out;
  bool in_sha256 = false, seen = false;
  std::size_t number = 0;
  while (!text.empty()) {
    std::string_view line = paw::next_line(text);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the Release file is one stanza
    if (line.front() != ' ' && line.front() != '\t') {
      in_sha256 = line.starts_with("SHA256:");
      seen = seen || in_sha256;
      continue;
    }
    if (!in_sha256) continue;
    // " <hex> <size> <path>", separated by one or more spaces.
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < line.size() && parts.size() < 4) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) parts.push_back(line.substr(i, j - i));
      i = j;
    }
    ReleaseFile f;
    auto hex = parts.size() == 3 ? paw::unhex(parts[0]) : paw::Result<paw::Bytes>(make_error(Errc::malformed, ""));
    const bool size_ok = parts.size() == 3 && std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), f.size).ptr ==
                                                  parts[1].data() + parts[1].size();
    if (parts.size() != 3 || parts[0].size() != 64 || !hex.ok() || !size_ok || parts[2].size() > 1024) {
      return make_error(Errc::malformed, "Release line " + std::to_string(number) + ": not \" <sha256> <size> <path>\"");
    }
    f.sha256 = std::move(hex).value();
    f.path = std::string(parts[2]);
    if (out.size() >= 100000) return make_error(Errc::too_large, "Release file lists too many files");
    out.push_back(std::move(f));
  }
  if (!seen) return make_error(Errc::malformed, "the Release file has no SHA256 field");
  return out;
}

paw::Result<ReleaseFile> listed_in_release(const std::vector<ReleaseFile>& files, paw::ByteView sha256,
                                           std::uint64_t size) {
  for (const auto& f : files) {
    if (f.size == size && std::equal(f.sha256.begin(), f.sha256.end(), sha256.begin(), sha256.end())) return f;
  }
  return make_error(Errc::not_found, "not listed in the signed Release's SHA256 (SHA-256 " + paw::hex(sha256) + ", " +
                                         std::to_string(size) + " bytes)");
}

}  // namespace pawctl
