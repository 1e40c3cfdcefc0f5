// paw/platform/logs.h — the measured-boot and IMA logs the kernel exposes.
#pragma once

#include <filesystem>
#include <optional>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::platform {

inline constexpr const char* kDefaultEventLogPath = "/sys/kernel/security/tpm0/binary_bios_measurements";
inline constexpr const char* kDefaultImaLogPath = "/sys/kernel/security/ima/binary_runtime_measurements";

// LogPaths says where to read the logs (configurable; tests use temp files).
struct LogPaths {
  std::filesystem::path event_log = kDefaultEventLogPath;
  std::filesystem::path ima_log = kDefaultImaLogPath;
};

// Logs holds the logs found. nullopt means "this machine does not expose the
// log" (file absent: no TPM driver, IMA off, securityfs not mounted) — a clear
// state, not an error. An empty file is reported as present and empty.
struct Logs {
  std::optional<Bytes> event_log;
  std::optional<Bytes> ima_log;
};

// read_log reads one log: nullopt if |path| does not exist; Errc::too_large
// over |max_size|; Errc::io_error if it exists but cannot be read (permission).
// securityfs files report size 0, so the file is read until EOF.
Result<std::optional<Bytes>> read_log(const std::filesystem::path& path, std::size_t max_size);
// read_logs reads both with the evidence limits (kMaxEventLogSize, kMaxImaLogSize).
Result<Logs> read_logs(const LogPaths& paths = {});

}  // namespace paw::platform
