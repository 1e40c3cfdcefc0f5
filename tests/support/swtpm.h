// swtpm.h — a private software TPM for tests (real swtpm, never a mock).
//
//   auto tpm = paw::test::Swtpm::start();   // REQUIREs success
//   tpm->tcti();                             // "swtpm:host=127.0.0.1,port=N"
//   tpm->ca_dir();                           // swtpm's local CA (root + issuer PEM)
//
// The first start in a process manufactures a TPM (swtpm_setup with RSA-2048
// and ECC P-384 EKs and their certificates from a local CA, banks sha1 and
// sha256) into a template folder; each Swtpm copies that state into its own
// private folder, so instances are independent and cheap. swtpm listens on a
// free loopback port and is stopped by pid in the destructor.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "test_data.h"

namespace paw::test {

class Swtpm {
 public:
  // start launches a fresh TPM (copied from the manufactured template) and waits until it answers.
  static std::unique_ptr<Swtpm> start();
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  [[nodiscard]] std::string tcti() const;
  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // ca_dir holds swtpm-localca-rootca-cert.pem and issuercert.pem (the EK chain).
  [[nodiscard]] std::filesystem::path ca_dir() const;
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }
  // stop kills swtpm (SIGTERM, then waits); the state stays in dir() so restart() can reuse it.
  void stop();
  // restart starts swtpm again on the same state (a reboot: PCRs reset, keys in NV kept).
  void restart();

 private:
  Swtpm() = default;
  void launch();
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// run_command runs argv (no shell), returns the exit status; stdout+stderr go to |output| if given.
int run_command(const std::vector<std::string>& argv, std::string* output = nullptr);

}  // namespace paw::test
