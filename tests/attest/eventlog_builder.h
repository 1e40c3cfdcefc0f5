// eventlog_builder.h — builds crypto-agile event logs byte by byte (PFP 1.05,
// 10.2.2) for mutation tests. Digests are computed with paw::digest, so a
// built log is well-formed unless a test breaks it on purpose.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/eventlog.h"

namespace paw::test {

// EFI_GLOBAL_VARIABLE 8BE4DF61-93CA-11D2-AA0D-00E098032B8C, as stored (mixed endian).
inline const std::array<std::uint8_t, 16> kGlobalGuid = {0x61, 0xDF, 0xE4, 0x8B, 0xCA, 0x93, 0xD2, 0x11,
                                                         0xAA, 0x0D, 0x00, 0xE0, 0x98, 0x03, 0x2B, 0x8C};
// EFI_IMAGE_SECURITY_DATABASE_GUID D719B2CB-3D3A-4596-A3BC-DAD00E67656F.
inline const std::array<std::uint8_t, 16> kDbGuid = {0xCB, 0xB2, 0x19, 0xD7, 0x3A, 0x3D, 0x96, 0x45,
                                                     0xA3, 0xBC, 0xDA, 0xD0, 0x0E, 0x67, 0x65, 0x6F};

inline void put32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put64(Bytes& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// variable_data builds a UEFI_VARIABLE_DATA (PFP 1.05, 10.2.3) with an ASCII name.
inline Bytes variable_data(const std::array<std::uint8_t, 16>& guid, const std::string& name, const Bytes& value) {
  Bytes b(guid.begin(), guid.end());
  put64(b, name.size());
  put64(b, value.size());
  for (char c : name) put16(b, static_cast<std::uint16_t>(c));
  b.insert(b.end(), value.begin(), value.end());
  return b;
}

// startup_locality_data is the EV_NO_ACTION "StartupLocality\0" + locality payload.
inline Bytes startup_locality_data(std::uint8_t locality) {
  Bytes b = to_bytes(std::string("StartupLocality\0", 16));
  b.push_back(locality);
  return b;
}

class LogBuilder {
 public:
  // LogBuilder starts a log with a Spec ID header listing |algs|, vendor info
  // |vendor|, and |extra| garbage bytes inside the Spec ID event after it.
  explicit LogBuilder(std::vector<HashAlg> algs, const Bytes& vendor = {}, std::size_t extra = 0)
      : algs_(std::move(algs)) {
    Bytes spec = to_bytes(std::string("Spec ID Event03\0", 16));
    put32(spec, 0);                              // platformClass
    spec.insert(spec.end(), {0, 2, 0, 2});       // minor 0, major 2, errata 0, uintnSize 2
    put32(spec, static_cast<std::uint32_t>(algs_.size()));
    for (HashAlg a : algs_) {
      put16(spec, static_cast<std::uint16_t>(a));
      put16(spec, static_cast<std::uint16_t>(hash_size(a)));
    }
    spec.push_back(static_cast<std::uint8_t>(vendor.size()));
    spec.insert(spec.end(), vendor.begin(), vendor.end());
    spec.insert(spec.end(), extra, 0xEE);
    put32(bytes_, 0);
    put32(bytes_, 3);  // EV_NO_ACTION
    bytes_.insert(bytes_.end(), 20, 0);
    put32(bytes_, static_cast<std::uint32_t>(spec.size()));
    bytes_.insert(bytes_.end(), spec.begin(), spec.end());
  }

  // header_size is the size of the Spec ID event for |algs| without vendor info.
  static std::size_t header_size(const std::vector<HashAlg>& algs) { return 32 + 16 + 4 + 4 + 4 + 4 * algs.size() + 1; }

  // event appends an event whose digests are the hashes of |data| (for |only|
  // algorithms if given, else all), so data-checked types verify.
  void event(std::uint32_t pcr, std::uint32_t type, ByteView data, std::vector<HashAlg> only = {}) {
    const std::vector<HashAlg>& use = only.empty() ? algs_ : only;
    put32(bytes_, pcr);
    put32(bytes_, type);
    put32(bytes_, static_cast<std::uint32_t>(use.size()));
    for (HashAlg a : use) {
      put16(bytes_, static_cast<std::uint16_t>(a));
      auto d = digest(a, data);
      REQUIRE(d.ok());
      bytes_.insert(bytes_.end(), d->begin(), d->end());
    }
    put32(bytes_, static_cast<std::uint32_t>(data.size()));
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }
  // event_with_digest appends an event for a single-algorithm log with a given digest.
  void event_with_digest(std::uint32_t pcr, std::uint32_t type, const Bytes& d, const Bytes& data) {
    REQUIRE(algs_.size() == 1);
    put32(bytes_, pcr);
    put32(bytes_, type);
    put32(bytes_, 1);
    put16(bytes_, static_cast<std::uint16_t>(algs_[0]));
    bytes_.insert(bytes_.end(), d.begin(), d.end());
    put32(bytes_, static_cast<std::uint32_t>(data.size()));
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }

  // raw_event appends an event with exactly the digests given (any algorithms,
  // any values): for logs that replay a real log's digests or forge them.
  void raw_event(std::uint32_t pcr, std::uint32_t type, const std::vector<std::pair<HashAlg, Bytes>>& digests,
                 ByteView data) {
    put32(bytes_, pcr);
    put32(bytes_, type);
    put32(bytes_, static_cast<std::uint32_t>(digests.size()));
    for (const auto& [a, d] : digests) {
      put16(bytes_, static_cast<std::uint16_t>(a));
      bytes_.insert(bytes_.end(), d.begin(), d.end());
    }
    put32(bytes_, static_cast<std::uint32_t>(data.size()));
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }

  [[nodiscard]] const Bytes& bytes() const noexcept { return bytes_; }

 private:
  std::vector<HashAlg> algs_;
  Bytes bytes_;
};

// OwnedEvent is a copy of one parsed event that a mutation test may edit.
struct OwnedEvent {
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::vector<std::pair<HashAlg, Bytes>> digests;  // the banks paw can hash, in log order
  Bytes data;
};

// owned_events copies every event of a crypto-agile log but its Spec ID header.
inline std::vector<OwnedEvent> owned_events(const EventLog& log) {
  std::vector<OwnedEvent> out;
  for (const Event& e : log.events()) {
    if (e.index == 0 && log.crypto_agile()) continue;  // the Spec ID header
    OwnedEvent o{e.pcr, e.type, {}, Bytes(e.data.begin(), e.data.end())};
    for (const auto& d : log.digests(e)) {
      if (auto a = d.alg()) o.digests.emplace_back(*a, Bytes(d.value.begin(), d.value.end()));
    }
    out.push_back(std::move(o));
  }
  return out;
}

// write_log writes |events| under a Spec ID header declaring |algs|.
inline Bytes write_log(const std::vector<HashAlg>& algs, const std::vector<OwnedEvent>& events) {
  LogBuilder b(algs);
  for (const auto& e : events) b.raw_event(e.pcr, e.type, e.digests, e.data);
  return b.bytes();
}

// with_appended is |log| (SHA-256 bank only) with one more event measuring
// |digest| (default: the SHA-256 of |data|; a boot application's is its
// image's Authenticode digest), as root extending a PCR after boot and
// adding it to the log would write it.
inline Bytes with_appended(const Bytes& log, std::uint32_t pcr, std::uint32_t type, const Bytes& data,
                           const Bytes& digest = {}) {
  auto parsed = parse_event_log(log);
  REQUIRE(parsed.ok());
  auto events = owned_events(*parsed);
  for (auto& e : events) {
    std::erase_if(e.digests, [](const auto& d) { return d.first != HashAlg::sha256; });
  }
  events.push_back({pcr, type, {{HashAlg::sha256, digest.empty() ? sha256(data) : digest}}, data});
  return write_log({HashAlg::sha256}, events);
}

}  // namespace paw::test
