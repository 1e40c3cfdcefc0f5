#include "test_data.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace paw::test {

std::filesystem::path test_data(const std::string& rel) {
  const char* env = std::getenv("PAW_TEST_DATA_DIR");
  std::filesystem::path base = (env != nullptr && *env != '\0') ? env : PAW_TEST_DATA_DIR;
  return base / rel;
}

std::filesystem::path source_path(const std::string& rel) { return std::filesystem::path(PAW_SOURCE_DIR) / rel; }

Bytes load(const std::filesystem::path& path) {
  auto r = read_file(path.string());
  REQUIRE_MESSAGE(r.ok(), "cannot load " << path.string());
  return std::move(r).value();
}

void save(const std::filesystem::path& path, ByteView data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE_MESSAGE(out.good(), "cannot write " << path.string());
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, "cannot stat " << path.string());
  return st.st_mode & 0777;
}

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "paw-test-XXXXXX").string();
  char* made = mkdtemp(templ.data());
  REQUIRE_MESSAGE(made != nullptr, "mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace paw::test
