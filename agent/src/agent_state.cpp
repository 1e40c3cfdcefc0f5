#include "agent_state.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>

#include "paw/attest/reasons.h"
#include "paw/attest/json.h"

namespace paw::agent {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxStateFile = 256u << 10;

Status check_private(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return make_error(Errc::io_error, "cannot stat " + p.string());
  if ((st.st_mode & 0077) != 0) {
    return make_error(Errc::config_error, p.string() + " is readable by group or others; chmod 600 it");
  }
  return ok_status();
}

Result<std::optional<json::ObjectPtr>> read_json_file(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::optional<json::ObjectPtr>();
  PAW_CHECK(check_private(p));
  PAW_TRY(Bytes data, read_file(p.string(), kMaxStateFile));
  auto o = json::parse_object(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), kMaxStateFile);
  if (!o.ok()) return make_error(Errc::malformed, p.string() + ": " + o.error().detail);
  return std::optional<json::ObjectPtr>(*o);
}

}  // namespace

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string format_utc(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status ensure_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(Errc::io_error, "cannot create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) {
    return make_error(Errc::io_error, "cannot chmod 0700 " + dir.string() + ": " + std::strerror(errno));
  }
  return ok_status();
}

Status save_enrollment(const fs::path& dir, const Enrollment& e) {
  PAW_CHECK(ensure_private_dir(dir));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("version", 1);
  o->set("device_id", e.device_id);
  o->set("verifier", e.verifier);
  o->set("ca_file", e.ca_file);
  o->set("rp_id", e.rp_id);
  o->set("credential_id", base64(e.credential_id));
  o->set("status", e.status);
  o->set("enrolled_at", e.enrolled_at);
  return write_file_atomic(dir / kEnrollmentFile, json::stringify(o) + "\n", 0600);
}

Result<std::optional<Enrollment>> load_enrollment(const fs::path& dir) {
  PAW_TRY(auto obj, read_json_file(dir / kEnrollmentFile));
  if (!obj) return std::optional<Enrollment>();
  const json::ObjectPtr& o = *obj;
  PAW_CHECK(json::only_keys(o, {"version", "device_id", "verifier", "ca_file", "rp_id", "credential_id", "status",
                                "enrolled_at"},
                            kEnrollmentFile));
  Enrollment e;
  PAW_TRY(e.device_id, json::get_string(o, "device_id"));
  PAW_TRY(e.verifier, json::get_string(o, "verifier"));
  PAW_TRY(e.ca_file, json::get_string(o, "ca_file"));
  PAW_TRY(e.rp_id, json::get_string(o, "rp_id"));
  PAW_TRY(e.credential_id, json::get_b64(o, "credential_id", 1024));
  PAW_TRY(e.status, json::get_string(o, "status"));
  PAW_TRY(e.enrolled_at, json::get_int(o, "enrolled_at"));
  if (e.device_id.empty()) return make_error(Errc::malformed, std::string(kEnrollmentFile) + ": empty device_id");
  return std::optional<Enrollment>(std::move(e));
}

Status save_last_result(const fs::path& dir, const LastResult& r) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("verdict", r.verdict);
  o->set("reasons", reasons_to_json(r.reasons));
  o->set("failure", r.failure);
  o->set("detail", r.detail);
  o->set("at", r.at);
  o->set("token_expires_at", r.token_expires_at);
  o->set("last_healthy_at", r.last_healthy_at);
  return write_file_atomic(dir / kLastResultFile, json::stringify(o) + "\n", 0600);
}

Result<std::optional<LastResult>> load_last_result(const fs::path& dir) {
  PAW_TRY(auto obj, read_json_file(dir / kLastResultFile));
  if (!obj) return std::optional<LastResult>();
  const json::ObjectPtr& o = *obj;
  LastResult r;
  PAW_TRY(r.verdict, json::get_string(o, "verdict"));
  PAW_TRY(r.failure, json::get_string(o, "failure"));
  PAW_TRY(r.detail, json::get_string(o, "detail"));
  PAW_TRY(r.at, json::get_int(o, "at"));
  PAW_TRY(r.token_expires_at, json::get_int(o, "token_expires_at"));
  PAW_TRY(r.last_healthy_at, json::get_int(o, "last_healthy_at"));
  PAW_TRY(json::ArrayPtr reasons, json::get_array(o, "reasons"));
  PAW_TRY(r.reasons, reasons_from_json(reasons, std::string(kLastResultFile) + " reasons"));
  return std::optional<LastResult>(std::move(r));
}

Status write_token(const fs::path& path, std::string_view token) {
  const fs::path parent = path.parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) return make_error(Errc::io_error, "cannot create " + parent.string() + ": " + ec.message());
    ::chmod(parent.c_str(), 0750);
  }
  return write_file_atomic(path, std::string(token) + "\n", 0640);
}

Status remove_token(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return make_error(Errc::io_error, "cannot remove " + path.string() + ": " + std::strerror(errno));
  }
  return ok_status();
}

Status write_login_cert(const fs::path& dir, std::string_view pem) {
  return write_file_atomic(dir / kLoginCertFile, pem, 0644);
}

Status remove_login_cert(const fs::path& dir) { return remove_token(dir / kLoginCertFile); }

}  // namespace paw::agent
