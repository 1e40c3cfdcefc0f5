// test_data.h — where tests find real-world data and scratch space.
#pragma once

#include <filesystem>
#include <string>

#include "paw/attest/bytes.h"

namespace paw::test {

// test_data returns <repository>/tests/data/<rel> (or $PAW_TEST_DATA_DIR/<rel>).
std::filesystem::path test_data(const std::string& rel);
// source_path returns <repository>/<rel>.
std::filesystem::path source_path(const std::string& rel);
// load reads a whole file or fails the current test (REQUIRE).
Bytes load(const std::filesystem::path& path);
// save writes |data| as the whole file |path| or fails the current test (REQUIRE).
void save(const std::filesystem::path& path, ByteView data);
// mode_of is |path|'s permission bits (e.g. 0600), or fails the current test.
unsigned mode_of(const std::filesystem::path& path);

// TempDir is a private folder removed (recursively) when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

}  // namespace paw::test
