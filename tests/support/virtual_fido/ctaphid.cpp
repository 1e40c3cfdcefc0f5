// ctaphid.cpp — CTAPHID framing of the virtual authenticator (CTAP 2.1, 11.2)
// and the libfido2 io functions that carry its 64-byte reports.
#include <fido.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <deque>
#include <map>
#include <memory>

#include "internal.h"

namespace paw::vfido {
namespace {

constexpr std::size_t kReport = 64;            // CTAPHID report size
constexpr std::size_t kInitData = kReport - 7;  // init frame payload
constexpr std::size_t kContData = kReport - 5;  // continuation frame payload
constexpr std::size_t kMaxMessage = kInitData + 128 * kContData;  // 7609
constexpr std::uint32_t kBroadcast = 0xffffffff;
// CTAPHID commands (CTAP 2.1, 11.2.9) and error codes (11.2.9.1.6).
constexpr std::uint8_t kPing = 0x01, kInit = 0x06, kCbor = 0x10, kCancel = 0x11, kError = 0x3f;
constexpr std::uint8_t kErrInvalidCmd = 0x01, kErrInvalidLen = 0x03, kErrInvalidSeq = 0x04, kErrChannelBusy = 0x06,
                       kErrInvalidChannel = 0x0b;

struct Assembly {
  std::uint8_t cmd = 0;
  std::size_t total = 0;
  std::uint8_t next_seq = 0;
  Bytes data;
};

class Device {
 public:
  explicit Device(std::string path) : ctap2_(path), path_(std::move(path)) {}

  void write_report(const std::uint8_t* frame);
  bool read_report(std::uint8_t* out) {
    if (out_.empty()) return false;
    std::memcpy(out, out_.front().data(), kReport);
    out_.pop_front();
    return true;
  }

 private:
  void dispatch(std::uint32_t cid, std::uint8_t cmd, const Bytes& data);
  void reply(std::uint32_t cid, std::uint8_t cmd, ByteView data);
  void error(std::uint32_t cid, std::uint8_t code) { reply(cid, kError, Bytes{code}); }

  Ctap2 ctap2_;
  std::string path_;
  std::map<std::uint32_t, Assembly> channels_;
  std::uint32_t next_cid_ = 0x01000000;
  std::deque<std::array<std::uint8_t, kReport>> out_;
};

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void Device::write_report(const std::uint8_t* frame) {
  const std::uint32_t cid = be32(frame);
  if (frame[4] & 0x80) {  // initialization frame
    const auto cmd = static_cast<std::uint8_t>(frame[4] & 0x7f);
    const std::size_t total = (std::size_t{frame[5]} << 8) | frame[6];
    if (cid == 0) return error(cid, kErrInvalidChannel);
    if (cid != kBroadcast && !channels_.count(cid)) return error(cid, kErrInvalidChannel);
    if (cmd == kInit) channels_[cid] = Assembly{};  // INIT aborts any transaction on this channel
    if (cid == kBroadcast && cmd != kInit) return error(cid, kErrInvalidChannel);
    if (total > kMaxMessage) return error(cid, kErrInvalidLen);
    Assembly& a = channels_[cid];
    if (!a.data.empty() || a.total != 0) {
      if (cmd != kCancel) return error(cid, kErrChannelBusy);
      a = Assembly{};  // CANCEL aborts the pending request; it has no reply
      return;
    }
    a = Assembly{cmd, total, 0, Bytes(frame + 7, frame + 7 + std::min(total, kInitData))};
  } else {
    auto it = channels_.find(cid);
    if (it == channels_.end() || it->second.total == 0) return;  // spurious continuation: ignore
    Assembly& a = it->second;
    if (frame[4] != a.next_seq) {
      a = Assembly{};
      return error(cid, kErrInvalidSeq);
    }
    ++a.next_seq;
    const std::size_t n = std::min(a.total - a.data.size(), kContData);
    a.data.insert(a.data.end(), frame + 5, frame + 5 + n);
  }
  Assembly& a = channels_[cid];
  if (a.data.size() < a.total) return;
  const Assembly done = std::move(a);
  a = Assembly{};
  if (cid == kBroadcast) channels_.erase(cid);
  dispatch(cid, done.cmd, done.data);
}

void Device::dispatch(std::uint32_t cid, std::uint8_t cmd, const Bytes& data) {
  switch (cmd) {
    case kInit: {
      if (data.size() != 8) return error(cid, kErrInvalidLen);
      Bytes r(data);
      auto st = load_state(path_);
      if (st.ok() && st->has(Fault::bad_init_nonce)) r[0] ^= 0xff;
      std::uint32_t new_cid = cid;
      if (cid == kBroadcast) {
        new_cid = next_cid_++;
        channels_[new_cid] = Assembly{};
      }
      for (int i = 3; i >= 0; --i) r.push_back(static_cast<std::uint8_t>(new_cid >> (8 * i)));
      // protocol 2, device version 1.0.0, capabilities: CBOR (0x04), no MSG (0x08 = NMSG).
      r.insert(r.end(), {2, 1, 0, 0, 0x04 | 0x08});
      return reply(cid, kInit, r);
    }
    case kPing: return reply(cid, kPing, data);
    case kCancel: return;
    case kCbor: {
      auto st = load_state(path_);
      // A key waiting for a touch that never comes (and sending no KEEPALIVE):
      // makeCredential and getAssertion are swallowed.
      if (st.ok() && st->has(Fault::unresponsive) && !data.empty() && (data[0] == 0x01 || data[0] == 0x02)) return;
      return reply(cid, kCbor, ctap2_.handle(data));
    }
    default: return error(cid, kErrInvalidCmd);
  }
}

void Device::reply(std::uint32_t cid, std::uint8_t cmd, ByteView data) {
  std::size_t off = 0;
  std::uint8_t seq = 0;
  bool first = true;
  while (first || off < data.size()) {
    std::array<std::uint8_t, kReport> f{};
    for (int i = 0; i < 4; ++i) f[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(cid >> (24 - 8 * i));
    std::size_t n = 0;
    if (first) {
      f[4] = static_cast<std::uint8_t>(cmd | 0x80);
      f[5] = static_cast<std::uint8_t>(data.size() >> 8);
      f[6] = static_cast<std::uint8_t>(data.size());
      n = std::min(data.size(), kInitData);
      if (n != 0) std::memcpy(f.data() + 7, data.data(), n);
      first = false;
    } else {
      f[4] = seq++;
      n = std::min(data.size() - off, kContData);
      std::memcpy(f.data() + 5, data.data() + off, n);
    }
    off += n;
    out_.push_back(f);
  }
}

// libfido2 io functions (fido_dev_io_t). The "path" is the state file.
void* io_open(const char* path) {
  if (path == nullptr) return nullptr;
  std::string p(path);
  if (p.rfind("virtual:", 0) == 0) p.erase(0, 8);
  auto st = load_state(p);
  if (!st.ok()) return nullptr;
  if (!save_state(p, *st).ok()) return nullptr;  // a missing file becomes a fresh key
  return new (std::nothrow) Device(p);
}

void io_close(void* handle) { delete static_cast<Device*>(handle); }

int io_read(void* handle, unsigned char* buf, std::size_t len, int ms) {
  if (handle == nullptr || len != kReport) return -1;
  if (static_cast<Device*>(handle)->read_report(buf)) return static_cast<int>(kReport);
  // Nothing to send: like hidraw, wait out the caller's timeout (capped; -1 = "forever").
  std::this_thread::sleep_for(std::chrono::milliseconds(ms < 0 ? 60000 : std::min(ms, 60000)));
  return -1;
}

int io_write(void* handle, const unsigned char* buf, std::size_t len) {
  // buf[0] is the HID report id (0), then one 64-byte report.
  if (handle == nullptr || len != kReport + 1) return -1;
  static_cast<Device*>(handle)->write_report(buf + 1);
  return static_cast<int>(len);
}

}  // namespace

const fido_dev_io_t* io_functions() {
  static const fido_dev_io_t io = {io_open, io_close, io_read, io_write};
  return &io;
}

int install(fido_dev_t* dev) { return fido_dev_set_io_functions(dev, io_functions()); }

}  // namespace paw::vfido
