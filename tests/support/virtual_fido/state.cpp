// state.cpp — the virtual authenticator's state file (see paw/virtual_fido.h).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "internal.h"
#include "paw/virtual_fido.h"

namespace paw::vfido {
namespace {

constexpr std::string_view kMagic = "paw-virtual-fido 1";

std::string_view attestation_name(Attestation a) {
  switch (a) {
    case Attestation::packed: return "packed";
    case Attestation::self: return "self";
    case Attestation::none: return "none";
  }
  return "packed";
}

Result<Bytes> hex_field(std::istringstream& in) {
  std::string word;
  if (!(in >> word)) return make_error(Errc::malformed, "state: missing field");
  if (word == "-") return Bytes{};
  return unhex(word);
}

Result<Credential> parse_cred(std::istringstream& in) {
  Credential c;
  int rk = 0;
  long long counter = 0;
  if (!(in >> c.algorithm >> rk >> counter) || counter < 0 || counter > 0xffffffffLL)
    return make_error(Errc::malformed, "state: bad cred line");
  c.resident = rk != 0;
  c.counter = static_cast<std::uint32_t>(counter);
  PAW_TRY(c.id, hex_field(in));
  PAW_TRY(Bytes rp, hex_field(in));
  c.rp_id.assign(rp.begin(), rp.end());
  PAW_TRY(c.user_id, hex_field(in));
  PAW_TRY(c.private_key, hex_field(in));
  if (c.id.empty() || c.private_key.empty() || (c.algorithm != -7 && c.algorithm != -8))
    return make_error(Errc::malformed, "state: bad cred line");
  return c;
}

Status parse_line(const std::string& line, State& st) {
  std::istringstream in(line);
  std::string kind;
  if (!(in >> kind)) return ok_status();  // blank line
  if (kind == "aaguid") {
    PAW_TRY(st.aaguid, hex_field(in));
    if (st.aaguid.size() != 16) return make_error(Errc::malformed, "state: aaguid must be 16 bytes");
  } else if (kind == "attestation") {
    std::string mode;
    in >> mode;
    if (mode == "packed") st.attestation = Attestation::packed;
    else if (mode == "self") st.attestation = Attestation::self;
    else if (mode == "none") st.attestation = Attestation::none;
    else return make_error(Errc::malformed, "state: unknown attestation " + mode);
  } else if (kind == "fault") {
    std::string name;
    int on = 0;
    if (!(in >> name >> on)) return make_error(Errc::malformed, "state: bad fault line");
    auto f = fault_from_name(name);
    if (!f) return make_error(Errc::malformed, "state: unknown fault " + name);
    std::erase(st.faults, *f);
    if (on != 0) st.faults.push_back(*f);
  } else if (kind == "cred") {
    PAW_TRY(Credential c, parse_cred(in));
    st.credentials.push_back(std::move(c));
  } else {
    return make_error(Errc::malformed, "state: unknown line kind " + kind);
  }
  return ok_status();
}

}  // namespace

std::string_view fault_name(Fault f) noexcept {
  switch (f) {
    case Fault::deny_touch: return "deny_touch";
    case Fault::timeout: return "timeout";
    case Fault::pin_required: return "pin_required";
    case Fault::corrupt_signature: return "corrupt_signature";
    case Fault::clear_up: return "clear_up";
    case Fault::wrong_rp_id_hash: return "wrong_rp_id_hash";
    case Fault::counter_frozen: return "counter_frozen";
    case Fault::counter_rollback: return "counter_rollback";
    case Fault::bad_init_nonce: return "bad_init_nonce";
    case Fault::unresponsive: return "unresponsive";
  }
  return "unknown";
}

std::optional<Fault> fault_from_name(std::string_view name) noexcept {
  for (Fault f : kAllFaults)
    if (fault_name(f) == name) return f;
  return std::nullopt;
}

bool State::has(Fault f) const noexcept { return std::find(faults.begin(), faults.end(), f) != faults.end(); }

State fresh_state() {
  State st;
  st.aaguid = unhex(kDefaultAaguidHex).value();
  return st;
}

Result<State> load_state(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return fresh_state();
    return make_error(Errc::io_error, "cannot open " + path);
  }
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return make_error(Errc::malformed, "state: bad header in " + path);
  State st = fresh_state();
  while (std::getline(in, line)) PAW_CHECK(parse_line(line, st));
  return st;
}

Status save_state(const std::string& path, const State& st) {
  std::ostringstream out;
  out << kMagic << "\naaguid " << hex(st.aaguid) << "\nattestation " << attestation_name(st.attestation) << "\n";
  for (Fault f : kAllFaults) out << "fault " << fault_name(f) << ' ' << (st.has(f) ? 1 : 0) << "\n";
  for (const Credential& c : st.credentials) {
    out << "cred " << c.algorithm << ' ' << (c.resident ? 1 : 0) << ' ' << c.counter << ' ' << hex(c.id) << ' '
        << hex(as_bytes(c.rp_id)) << ' ' << (c.user_id.empty() ? std::string("-") : hex(c.user_id)) << ' '
        << hex(c.private_key) << "\n";
  }
  const std::string text = out.str();
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io_error, "cannot create " + tmp + ": " + std::strerror(errno));
  // rename(2) makes the replacement atomic for other processes; no fsync: a
  // test key need not survive a power cut, and tests must stay fast.
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return make_error(Errc::io_error, "cannot write " + path);
  }
  return ok_status();
}

StateLock::StateLock(const std::string& path) : fd_(::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
  if (fd_ >= 0) (void)::flock(fd_, LOCK_EX);
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the lock
}

Status set_fault(const std::string& path, Fault f, bool on) {
  StateLock lock(path);
  PAW_TRY(State st, load_state(path));
  std::erase(st.faults, f);
  if (on) st.faults.push_back(f);
  return save_state(path, st);
}

Status set_attestation(const std::string& path, Attestation mode) {
  StateLock lock(path);
  PAW_TRY(State st, load_state(path));
  st.attestation = mode;
  return save_state(path, st);
}

Status set_aaguid(const std::string& path, ByteView aaguid) {
  if (aaguid.size() != 16) return make_error(Errc::malformed, "aaguid must be 16 bytes");
  StateLock lock(path);
  PAW_TRY(State st, load_state(path));
  st.aaguid.assign(aaguid.begin(), aaguid.end());
  return save_state(path, st);
}

}  // namespace paw::vfido
