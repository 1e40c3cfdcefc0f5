#include "postgres.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "swtpm.h"

namespace paw::test {
namespace {

std::string script() { return std::string(PAW_SOURCE_DIR) + "/tests/support/postgres.sh"; }

}  // namespace

Postgres& Postgres::shared() {
  static std::mutex mu;
  static std::unique_ptr<Postgres> pg;
  std::lock_guard lock(mu);
  if (pg) return *pg;
  std::string out;
  const int rc = run_command({"bash", script(), "start"}, &out);
  INFO("postgres.sh start: " << out);
  REQUIRE(rc == 0);
  std::map<std::string, std::string> vars;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos && line.rfind("PG_", 0) == 0) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  REQUIRE(!vars["PG_DIR"].empty());
  REQUIRE(!vars["PG_URL"].empty());
  pg.reset(new Postgres());
  pg->dir_ = vars["PG_DIR"];
  pg->url_ = vars["PG_URL"];
  pg->password_ = vars["PG_PASSWORD"];
  pg->ca_ = vars["PG_CA"];
  pg->port_ = std::stoi(vars["PG_PORT"]);
  return *pg;
}

Postgres::~Postgres() {
  if (!dir_.empty()) (void)run_command({"bash", script(), "stop", dir_});
}

std::string Postgres::create_database() {
  const std::string name = "paw_test_" + std::to_string(::getpid()) + "_" + std::to_string(++next_);
  std::string out;
  const int rc = run_command({"bash", script(), "createdb", dir_, name}, &out);
  INFO("postgres.sh createdb: " << out);
  REQUIRE(rc == 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  const auto nl = out.rfind('\n');
  std::string url = nl == std::string::npos ? out : out.substr(nl + 1);
  REQUIRE(url.rfind("postgresql://", 0) == 0);
  return url;
}

}  // namespace paw::test
