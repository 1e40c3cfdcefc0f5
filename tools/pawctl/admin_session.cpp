#include "admin_session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <Poco/JSON/Object.h>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/json.h"

namespace pawctl {

using paw::Errc;
using paw::make_error;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// private_dir makes |dir| (and its parent) if needed and insists it is the
// user's own and closed to others.
paw::Status private_dir(const std::string& dir) {
  const auto slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) (void)::mkdir(dir.substr(0, slash).c_str(), 0700);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(Errc::io_error, "cannot create " + dir + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) {
    return make_error(Errc::io_error, dir + " is not a folder of this user");
  }
  if ((st.st_mode & 0077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return make_error(Errc::io_error, "cannot make " + dir + " private");
  }
  return paw::ok_status();
}

}  // namespace

paw::Result<std::string> session_path(const std::string& verifier) {
  if (auto f = env("PAW_ADMIN_SESSION_FILE"); !f.empty()) return f;
  std::string dir;
  if (auto run = env("XDG_RUNTIME_DIR"); !run.empty()) {
    dir = run + "/paw";
  } else if (auto home = env("HOME"); !home.empty()) {
    dir = home + "/.cache/paw";
  } else {
    return make_error(Errc::config_error, "no place for the admin session: set XDG_RUNTIME_DIR or HOME "
                                          "(or PAW_ADMIN_SESSION_FILE)");
  }
  const std::string id = paw::hex(paw::sha256(paw::as_bytes(verifier))).substr(0, 16);
  return dir + "/admin-session-" + id + ".json";
}

paw::Status save_session(const std::string& path, const AdminSession& s) {
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) PAW_CHECK(private_dir(path.substr(0, slash)));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("verifier", s.verifier);
  o->set("admin", s.admin);
  o->set("scope", s.scope);
  o->set("session", s.secret);
  o->set("expires_at", s.expires_at);
  const std::string text = paw::json::stringify(o) + "\n";
  // A new file, written then renamed over the old one: never a moment at a
  // wider mode, never through a symbolic link someone left at |path|.
  const std::string tmp = path + ".tmp";
  (void)::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io_error, "cannot write " + tmp + ": " + std::strerror(errno));
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    (void)::unlink(tmp.c_str());
    return make_error(Errc::io_error, "cannot write " + path);
  }
  return paw::ok_status();
}

paw::Result<std::optional<AdminSession>> load_session(const std::string& path, const std::string& verifier) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::optional<AdminSession>{};
  if (!S_ISREG(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 0077) != 0) {
    return make_error(Errc::config_error, "the admin session file " + path +
                                              " is not a private file of this user; remove it and pawctl login again");
  }
  auto data = paw::read_file(path, 8192);
  if (!data.ok()) return make_error(Errc::config_error, "cannot read " + path + ": " + data.error().detail);
  auto o = paw::json::parse_object(std::string(data->begin(), data->end()), 8192);
  if (!o.ok()) return make_error(Errc::config_error, "the admin session file " + path + " does not parse");
  AdminSession s;
  s.verifier = (*o)->optValue<std::string>("verifier", "");
  s.admin = (*o)->optValue<std::string>("admin", "");
  s.scope = (*o)->optValue<std::string>("scope", "");
  s.secret = (*o)->optValue<std::string>("session", "");
  s.expires_at = (*o)->optValue<std::int64_t>("expires_at", 0);
  if (s.secret.empty()) return make_error(Errc::config_error, "the admin session file " + path + " holds no session");
  if (s.verifier != verifier) {
    return make_error(Errc::config_error, "the admin session in " + path + " is for " + s.verifier);
  }
  return std::optional<AdminSession>{s};
}

void remove_session(const std::string& path) { (void)::unlink(path.c_str()); }

}  // namespace pawctl
