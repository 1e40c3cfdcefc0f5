// appraisal_kernel_test.cpp — policy boot.min_kernel through the real
// appraisal: the RHEL 8 firmware log (Secure Boot on; shim, grub and the
// kernel measured into PCR 4 as boot applications) replayed into the
// software TPM, quoted and judged against boot.images. The kernel's version
// comes from its measured digest only; root appending a newer kernel's
// digest to PCR 4 after boot gets nothing.
#include <doctest/doctest.h>

#include <string>

#include "eventlog_builder.h"
#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"
#include "real_log_world.h"

using namespace paw;
using namespace paw::test;

namespace {

// What `pawctl eventlog facts` prints for the RHEL 8 log's PCR 4 boot
// applications: shim (event 23), grub (event 26), the kernel (event 77).
const char* const kShim = "40d6cae02973789080cf4c3a9ad11b5a0a4d8bba4438ab96e276cc784454dee7";
const char* const kGrub = "e8a268c431da72caaae407f729f602b9dbf5d1d43492d4a51cc2b688a08586e3";
const char* const kKernel = "e4c0382f98feaebfd43923a85fd6da9a20e1a48524a4d5928c31850ca1a96a6e";

// World: one enrolled software workstation whose TPM booted |log|; PCRs 4
// and 7 quoted and bound, judged by their events.
struct World : RealLogWorld {
  explicit World(const Bytes& log, std::set<std::uint32_t> unquoted = {})
      : RealLogWorld({.event_log = log, .policy_name = "kernel", .judged_pcrs = {4, 7}, .unquoted = std::move(unquoted)}) {}
};

KnownImage image(const char* digest, const char* kind, const char* package, const char* version) {
  return {from_hex(digest), kind, package, version, std::string(kind) == "kernel" ? "boot/vmlinuz" : "EFI/BOOT/BOOTX64.EFI"};
}

// The boot as a package list would record it: shim and grub as boot
// loaders, the kernel as 4.18.0-305.3.1.el8.
std::vector<KnownImage> rhel8_images() {
  return {image(kShim, "boot_loader", "shim-x64", "15-16.el8"),
          image(kGrub, "boot_loader", "grub2-efi-x64", "2.02-99.el8"),
          image(kKernel, "kernel", "kernel-core", "4.18.0-305.3.1.el8")};
}

// with_boot_application: |log| with one more PCR 4 boot application measuring |digest|.
Bytes with_boot_application(const Bytes& log, const Bytes& digest) {
  return with_appended(log, 4, ev::kEfiBootServicesApplication, Bytes(40, 0), digest);
}

const char* const kNewKernel = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

}  // namespace

TEST_CASE("boot.min_kernel: the measured kernel's version, by digest, on a real Secure Boot log") {
  SUBCASE("the booted kernel is new enough: healthy, the rule names the kernel's event") {
    World w(rhel8_log());
    w.policy.boot.images = rhel8_images();
    w.policy.boot.min_kernel = "4.18.0-305";
    const Appraisal a = w.attest();
    CHECK_MESSAGE(a.healthy(), messages(a, reason::kKernelUnknown) << messages(a, reason::kKernelOutdated));
    bool named = false;
    for (const auto& r : a.record().rules) {
      named = named || (r.rule == "boot.min_kernel" && r.result == "pass" && contains(r.evidence, "PCR 4 event 77") &&
                        contains(r.value, "kernel-core 4.18.0-305.3.1.el8"));
    }
    CHECK(named);
  }
  SUBCASE("the booted kernel is older than the minimum: kernel_outdated, naming event, package and version") {
    World w(rhel8_log());
    w.policy.boot.images = rhel8_images();
    w.policy.boot.min_kernel = "4.18.0-348";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_outdated"});
    const std::string m = messages(a, reason::kKernelOutdated);
    CHECK(contains(m, "PCR 4 event 77 (EV_EFI_BOOT_SERVICES_APPLICATION)"));
    CHECK(contains(m, "kernel-core 4.18.0-305.3.1.el8"));
    CHECK(contains(m, "older than the policy's boot.min_kernel 4.18.0-348"));
    CHECK(a.trust().at("configuration") == ar4si::kUnsupportableConfig);
  }
  SUBCASE("a kernel the images do not know: kernel_unknown for its event, and no kernel to judge") {
    World w(rhel8_log());
    auto images = rhel8_images();
    images.pop_back();
    w.policy.boot.images = images;
    w.policy.boot.min_kernel = "4.18.0-305";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>(2, "kernel_unknown"));
    const std::string m = messages(a, reason::kKernelUnknown);
    CHECK(contains(m, std::string("boot application ") + kKernel + " at PCR 4 event 77"));
    CHECK(contains(m, "no PCR 4 boot application is a kernel"));
  }
  SUBCASE("root appends a newer known kernel to PCR 4 after booting an old one: still kernel_outdated") {
    World w(with_boot_application(rhel8_log(), from_hex(kNewKernel)));
    auto images = rhel8_images();
    images.push_back(image(kNewKernel, "kernel", "kernel-core", "4.18.0-553.el8"));
    w.policy.boot.images = images;
    w.policy.boot.min_kernel = "4.18.0-500";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_outdated"});
    CHECK(contains(messages(a, reason::kKernelOutdated), "PCR 4 event 77"));
  }
  SUBCASE("root appends a known kernel after booting an unknown one: still kernel_unknown") {
    World w(with_boot_application(rhel8_log(), from_hex(kNewKernel)));
    auto images = rhel8_images();
    images.back() = image(kNewKernel, "kernel", "kernel-core", "4.18.0-553.el8");  // the booted kernel is unknown
    w.policy.boot.images = images;
    w.policy.boot.min_kernel = "4.18.0-500";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_unknown"});
    CHECK(contains(messages(a, reason::kKernelUnknown), std::string(kKernel) + " at PCR 4 event 77"));
  }
  SUBCASE("PCR 4 not quoted: the kernel is not read from its events") {
    World w(rhel8_log(), {4});
    w.policy.pcrs.required = {{HashAlg::sha256, {7}}};  // what check_policy_bindings refuses at set time
    w.policy.boot.images = rhel8_images();
    w.policy.boot.min_kernel = "4.18.0-305";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_unknown"});
    CHECK(contains(messages(a, reason::kKernelUnknown), "PCR 4 is not bound"));
  }
  SUBCASE("Secure Boot not proven (PCR 7 not quoted): the kernel cannot be judged") {
    World w(rhel8_log(), {7});
    w.policy.secure_boot_required = false;
    w.policy.pcrs.required = {{HashAlg::sha256, {4}}};
    w.policy.boot.images = rhel8_images();
    w.policy.boot.min_kernel = "4.18.0-305";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_unknown"});
    CHECK(contains(messages(a, reason::kKernelUnknown), "Secure Boot is not proven on"));
  }
  SUBCASE("a grace for kernel_outdated: warning until it ends") {
    World w(rhel8_log());
    w.policy.boot.images = rhel8_images();
    w.policy.boot.min_kernel = "4.18.0-348";
    w.policy.enforcement.grace = {{"kernel_outdated", 7 * 86400}};
    const Appraisal a = w.attest();
    CHECK(a.verdict() == Verdict::warning);
  }
}

TEST_CASE("boot.images and boot.min_kernel in a policy document") {
  Policy p = default_policy();
  p.name = "kernels";
  p.boot.images = rhel8_images();
  p.boot.min_kernel = "4.18.0-305";
  REQUIRE(validate_policy(p).ok());
  auto back = parse_policy(serialize_policy(p));
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(*back == p);
  CHECK(check_policy_bindings(p).ok());  // the default requires 0, 2, 4, 7

  auto refused = [](const std::string& boot) {
    return parse_policy(R"({"name":"k","boot":)" + boot + "}").code();
  };
  const std::string entry = std::string(R"({"sha256":")") + kKernel + R"(","kind":"kernel","package":"linux-image-6.1.0-18-amd64","version":"6.1.76-1"})";
  CHECK(parse_policy(R"({"name":"k","boot":{"images":[)" + entry + R"(],"min_kernel":"6.1.0"}})").ok());
  CHECK(refused(R"({"images":[)" + entry + "," + entry + "]}") == Errc::malformed);  // the same digest twice
  CHECK(refused(R"({"images":[{"sha256":"00","kind":"kernel","package":"linux","version":"1"}]})") == Errc::malformed);
  CHECK(refused(std::string(R"({"images":[{"sha256":")") + kKernel + R"(","kind":"initrd","package":"linux","version":"1"}]})") == Errc::malformed);
  CHECK(refused(std::string(R"({"images":[{"sha256":")") + kKernel + R"(","kind":"kernel","package":"Linux Image","version":"1"}]})") == Errc::malformed);
  CHECK(refused(std::string(R"({"images":[{"sha256":")") + kKernel + R"(","kind":"kernel","package":"linux","version":"v1"}]})") == Errc::malformed);
  CHECK(refused(std::string(R"({"images":[{"sha256":")") + kKernel + R"(","kind":"kernel","package":"linux","version":"1","size":3}]})") == Errc::malformed);
  CHECK(refused(R"({"min_kernel":"latest"})") == Errc::malformed);

  Policy unbound = p;
  unbound.pcrs.required = {{HashAlg::sha256, {0, 2, 7}}};
  CHECK(check_policy_bindings(unbound).code() == Errc::malformed);

  // The linter: a minimum with no kernel to judge is an error (policy set refuses it).
  auto findings = check_policy_document(R"({"name":"k","boot":{"min_kernel":"6.1.76-1"}})", 0, "k");
  CHECK(has_errors(findings));
  bool named = false;
  for (const auto& f : findings) named = named || f.code == "min_kernel_without_kernels";
  CHECK(named);
}
