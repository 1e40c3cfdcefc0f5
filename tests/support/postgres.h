// postgres.h — a private, real PostgreSQL server for tests (never a mock).
//
//   auto& pg = paw::test::Postgres::shared();   // started on first use (REQUIREs success)
//   std::string url = pg.create_database();     // "postgresql://paw:…@127.0.0.1:PORT/paw_test_N"
//
// The server is started once per process by tests/support/postgres.sh
// (initdb + pg_ctl in a private /tmp/paw-pg.* folder, free loopback port,
// password authentication, TLS on; as root it runs as `nobody`) and stopped by pid
// when the process exits. Every create_database() is a fresh, empty database.
#pragma once

#include <string>

namespace paw::test {

class Postgres {
 public:
  static Postgres& shared();
  ~Postgres();
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  // create_database creates a new empty database and returns its URL.
  std::string create_database();
  [[nodiscard]] const std::string& url() const noexcept { return url_; }  // the "paw" database
  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] const std::string& password() const noexcept { return password_; }
  // ca is the server's self-signed TLS certificate (TLS is on; sslrootcert for sslmode=verify-full).
  [[nodiscard]] const std::string& ca() const noexcept { return ca_; }

 private:
  Postgres() = default;
  std::string dir_, url_, password_, ca_;
  int port_ = 0;
  int next_ = 0;
};

}  // namespace paw::test
