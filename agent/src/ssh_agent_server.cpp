// The ssh-agent socket server (ssh_agent_server.h): one thread, poll() over
// the listening socket and at most kMaxClients connections; each message is
// read whole (bounded) and answered before the next is looked at.
#include "ssh_agent_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include "agent_state.h"
#include "paw/attest/ssh_agent.h"
#include "paw/attest/ssh_cert.h"
#include "paw/attest/tpm.h"
#include "paw/platform/login_key.h"
#include "paw/attest/log.h"
#include "paw/platform/tpm.h"

namespace paw::agent {
namespace {

constexpr std::size_t kMaxClients = 64;
constexpr int kIoTimeoutSeconds = 10;

void log(const std::string& line) { paw::log::info(line); }  // paw/attest/log.h (program paw-agent-ssh)

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd >= 0) ::close(fd);
      fd = o.fd;
      o.fd = -1;
    }
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct Client {
  Fd fd;
  Bytes in;
};

// Identity is the login key and, when the file holds one for it, its certificate.
class Identity {
 public:
  Identity(platform::LoginKeyBlob blob, Bytes key_blob, Bytes q, std::filesystem::path cert_path)
      : blob_(std::move(blob)),
        key_blob_(std::move(key_blob)),
        q_(std::move(q)),
        cert_path_(std::move(cert_path)) {}

  // refresh re-reads the certificate file when its inode, size or mtime changed.
  void refresh() {
    struct stat st {};
    if (::stat(cert_path_.c_str(), &st) != 0) {
      if (!cert_.empty()) log("certificate " + cert_path_.string() + " removed");
      cert_.clear();
      stamp_.reset();
      return;
    }
    const Stamp now{st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    if (stamp_ && *stamp_ == now) return;
    stamp_ = now;
    cert_.clear();
    if (st.st_size > static_cast<off_t>(ssh::kMaxCertLineSize))
      return log("certificate file too large, ignored");
    std::ifstream f(cert_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    auto blob = ssh::parse_line(ss.str(), ssh::kCertType);
    if (!blob.ok()) return log("certificate file ignored: " + blob.error().what());
    auto cert = ssh::decode(*blob);
    if (!cert.ok()) return log("certificate file ignored: " + cert.error().what());
    // A certificate for another key (left from an earlier enrollment) would
    // only fail at the server; offer none instead.
    if (cert->q != q_) return log("certificate is for another key, ignored");
    cert_ = std::move(*blob);
    log("certificate " + cert->key_id + " valid until " +
        format_utc(static_cast<std::int64_t>(cert->valid_before)));
  }

  [[nodiscard]] std::vector<std::pair<Bytes, std::string>> identities() const {
    std::vector<std::pair<Bytes, std::string>> out;
    if (!cert_.empty()) out.emplace_back(cert_, "paw login key certificate");
    out.emplace_back(key_blob_, "paw login key (TPM)");
    return out;
  }
  [[nodiscard]] std::vector<Bytes> blobs() const {
    std::vector<Bytes> out{key_blob_};
    if (!cert_.empty()) out.push_back(cert_);
    return out;
  }
  [[nodiscard]] bool offers(ByteView blob) const {
    return ct_equal(blob, key_blob_) || (!cert_.empty() && ct_equal(blob, cert_));
  }
  [[nodiscard]] const platform::LoginKeyBlob& blob() const { return blob_; }

 private:
  struct Stamp {
    ino_t ino;
    off_t size;
    time_t sec;
    long nsec;
    bool operator==(const Stamp&) const = default;
  };
  platform::LoginKeyBlob blob_;
  Bytes key_blob_;
  Bytes q_;
  std::filesystem::path cert_path_;
  Bytes cert_;
  std::optional<Stamp> stamp_;
};

Result<Bytes> tpm_sign(const std::string& tcti, const platform::LoginKeyBlob& blob, ByteView data) {
  PAW_TRY(platform::Tpm tpm, platform::Tpm::open(tcti));
  PAW_TRY(platform::LoadedLoginKey key, platform::load_login_key(tpm, blob));
  PAW_TRY(Bytes sig, platform::sign_with_login_key(tpm, key, data));
  return ssh::signature_blob_from_tpm(sig);
}

Bytes answer(const ssh::AgentRequest& req, Identity& id, const std::string& tcti) {
  if (req.type == ssh::kRequestIdentities) {
    id.refresh();
    return ssh::identities_answer(id.identities());
  }
  if (req.type != ssh::kSignRequest) return ssh::failure_message();
  id.refresh();
  if (!id.offers(req.key_blob)) {
    log("sign request for a key this agent does not hold: refused");
    return ssh::failure_message();
  }
  if (auto st = ssh::check_userauth_request(req.data, id.blobs()); !st.ok()) {
    log(st.error().what());
    return ssh::failure_message();
  }
  auto sig = tpm_sign(tcti, id.blob(), req.data);
  if (!sig.ok()) {
    log("TPM signature failed: " + sig.error().what());
    return ssh::failure_message();
  }
  return ssh::sign_response(*sig);
}

bool send_all(int fd, const Bytes& b) {
  std::size_t off = 0;
  while (off < b.size()) {
    const ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// serve_client reads what is there and answers every whole message; false
// closes the connection (EOF, error, oversize or malformed message).
bool serve_client(Client& c, Identity& id, const std::string& tcti) {
  std::uint8_t buf[16384];
  const ssize_t n = ::recv(c.fd.fd, buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  c.in.insert(c.in.end(), buf, buf + n);
  while (c.in.size() >= 4) {
    const std::uint32_t len = (std::uint32_t{c.in[0]} << 24) | (std::uint32_t{c.in[1]} << 16) |
                              (std::uint32_t{c.in[2]} << 8) | std::uint32_t{c.in[3]};
    if (len > ssh::kMaxAgentMessage) {
      log("message of " + std::to_string(len) + " bytes refused (limit 256 KiB)");
      return false;
    }
    if (c.in.size() < 4 + std::size_t{len}) return true;
    auto req = ssh::parse_agent_request(ByteView(c.in).subspan(4, len));
    Bytes out = req.ok() ? answer(*req, id, tcti) : ssh::failure_message();
    c.in.erase(c.in.begin(), c.in.begin() + 4 + len);
    if (!send_all(c.fd.fd, out)) return false;
  }
  return true;
}

Result<Fd> listen_on(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path)
    return make_error(Errc::config_error, "socket path too long: " + path.string());
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    // Replace a socket left by an earlier run; never delete anything else.
    if (!S_ISSOCK(st.st_mode))
      return make_error(Errc::config_error, path.string() + " exists and is not a socket");
    ::unlink(path.c_str());
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.fd < 0) return make_error(Errc::io_error, std::string("socket: ") + std::strerror(errno));
  // Created 0600 from the start (umask), not chmod-ed after: no window in
  // which another user can connect.
  const mode_t old = ::umask(0177);
  const int rc = ::bind(fd.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0) return make_error(Errc::io_error, "bind " + path.string() + ": " + std::strerror(errno));
  if (::listen(fd.fd, 16) != 0)
    return make_error(Errc::io_error, std::string("listen: ") + std::strerror(errno));
  return fd;
}

}  // namespace

Status serve_ssh_agent(const SshAgentOptions& opts, const std::atomic<bool>& stop) {
  PAW_TRY(auto blob, platform::load_login_key_file(opts.state_dir));
  if (!blob) {
    return make_error(Errc::config_error, "no login key in " + opts.state_dir.string() +
                                              " (enroll, or paw-agent enroll --add-login-key)");
  }
  PAW_TRY(TpmPublic pub, parse_public(blob->public_tpm2b));
  PAW_TRY(EvpPkeyPtr evp, to_evp_pkey(pub));
  PAW_TRY(Bytes key_blob, ssh::public_key_blob(evp.get()));
  PAW_TRY(Bytes q, ssh::point_of(evp.get()));
  Identity id(std::move(*blob), std::move(key_blob), std::move(q), opts.state_dir / kSshCertFile);
  id.refresh();

  PAW_TRY(Fd listener, listen_on(opts.socket));
  log("listening on " + opts.socket.string());
  std::vector<Client> clients;
  while (!stop.load()) {
    std::vector<pollfd> fds;
    fds.push_back({listener.fd, POLLIN, 0});
    for (const auto& c : clients) fds.push_back({c.fd.fd, POLLIN, 0});
    const int n = ::poll(fds.data(), fds.size(), 500);
    if (n < 0 && errno != EINTR)
      return make_error(Errc::io_error, std::string("poll: ") + std::strerror(errno));
    if (n <= 0) continue;
    // Clients first (indices in |fds| follow |clients|), then new connections.
    std::vector<Client> keep;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const short ev = fds[i + 1].revents;
      if (ev == 0 || serve_client(clients[i], id, opts.tcti)) {
        if ((ev & (POLLERR | POLLNVAL)) == 0) keep.push_back(std::move(clients[i]));
      }
    }
    clients = std::move(keep);
    if ((fds[0].revents & POLLIN) != 0) {
      Fd c(::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
      if (c.fd < 0) continue;
      if (clients.size() >= kMaxClients) continue;  // closed at once: the client sees EOF
      timeval tv{kIoTimeoutSeconds, 0};
      ::setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      clients.push_back({std::move(c), {}});
    }
  }
  ::unlink(opts.socket.c_str());
  return ok_status();
}

}  // namespace paw::agent
