// appraisal_kernel_test.cpp — policy boot.min_kernel through the real
// appraisal: the RHEL 8 firmware log (Secure Boot on; shim, grub and the
// kernel measured into PCR 4 as boot applications) replayed into the
// software TPM, quoted and judged against boot.images. The kernel's version
// comes from its measured digest only; root appending a newer kernel's
// digest to PCR 4 after boot gets nothing.
#include <doctest/doctest.h>

#include <string>

#include "eventlog_builder.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/eventlog.h"
#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"
#include "soft_device.h"
#include "soft_trust.h"
#include "test_data.h"

using namespace paw;
using namespace paw::soft;

namespace {

constexpr const char* kRp = "paw.example";
const char* const kRhel8 = "go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin";
// What `pawctl eventlog facts` prints for the RHEL 8 log's PCR 4 boot
// applications: shim (event 23), grub (event 26), the kernel (event 77).
const char* const kShim = "40d6cae02973789080cf4c3a9ad11b5a0a4d8bba4438ab96e276cc784454dee7";
const char* const kGrub = "e8a268c431da72caaae407f729f602b9dbf5d1d43492d4a51cc2b688a08586e3";
const char* const kKernel = "e4c0382f98feaebfd43923a85fd6da9a20e1a48524a4d5928c31850ca1a96a6e";

Bytes h(const char* hex_text) { return unhex(hex_text).value(); }

// World: one enrolled software workstation whose TPM booted |log|.
struct World : SoftTrust {
  explicit World(const Bytes& log, std::set<std::uint32_t> unquoted = {}) : SoftTrust(kRp) {
    policy.name = "kernel";
    policy.pcrs.required = {{HashAlg::sha256, {4, 7}}};
    policy.pcrs.pin_on_enroll = false;
    REQUIRE(dev.use_event_log(log).ok());
    for (std::uint32_t i = 0; i < kFirmwareLogPcrs; ++i) dev.selection[HashAlg::sha256][i] = {};
    for (auto i : unquoted) dev.selection[HashAlg::sha256].erase(i);
    auto req = dev.enrollment_request("enroll-token-0123456789");
    REQUIRE(req.ok());
    auto v = verify_enrollment(*req, EnrollmentContext{trust.get(), kRp, now, fido_roots.get()}, policy);
    REQUIRE_MESSAGE(v.ok(), v.error().what());
    record = v->record();
    record.device_id = "dev-0001";
    dev.device_id = record.device_id;
  }

  Appraisal attest() {
    nonce[0] = static_cast<std::uint8_t>(nonce[0] + 1);
    auto env = dev.attest(nonce, 0x01);
    REQUIRE(env.ok());
    auto a = appraise(record, state, *env, AppraisalContext{nonce, kRp, now}, policy);
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    now += 60;
    return std::move(a).value();
  }
};

std::vector<std::string> codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const auto& r : a.reasons()) out.push_back(r.code);
  return out;
}

std::string messages(const Appraisal& a, std::string_view code) {
  std::string out;
  for (const auto& r : a.reasons()) {
    if (r.code == code) out += r.message + "\n";
  }
  return out;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Bytes rhel8() { return paw::test::load(paw::test::test_data(kRhel8)); }

KnownImage image(const char* digest, const char* kind, const char* package, const char* version) {
  return {h(digest), kind, package, version, std::string(kind) == "kernel" ? "boot/vmlinuz" : "EFI/BOOT/BOOTX64.EFI"};
}

// The boot as a package list would record it: shim and grub as boot
// loaders, the kernel as 4.18.0-305.3.1.el8.
std::vector<KnownImage> rhel8_images() {
  return {image(kShim, "boot_loader", "shim-x64", "15-16.el8"),
          image(kGrub, "boot_loader", "grub2-efi-x64", "2.02-99.el8"),
          image(kKernel, "kernel", "kernel-core", "4.18.0-305.3.1.el8")};
}

// with_boot_application is |log| (SHA-256 bank only) with one more PCR 4
// EV_EFI_BOOT_SERVICES_APPLICATION measuring |digest|, as root extending
// PCR 4 after boot and adding the event to the log would write it.
Bytes with_boot_application(const Bytes& log, const Bytes& digest) {
  auto parsed = parse_event_log(log);
  REQUIRE(parsed.ok());
  auto events = paw::test::owned_events(*parsed);
  for (auto& e : events) {
    std::erase_if(e.digests, [](const auto& d) { return d.first != HashAlg::sha256; });
  }
  events.push_back({4, ev::kEfiBootServicesApplication, {{HashAlg::sha256, digest}}, Bytes(40, 0)});
  return paw::test::write_log({HashAlg::sha256}, events);
}

const char* const kNewKernel = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

}  // namespace

TEST_CASE("boot.min_kernel: the measured kernel's version, by digest, on a real Secure Boot log") {
  SUBCASE("the booted kernel is new enough: healthy, the rule names the kernel's event") {
    World w(rhel8());
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
    World w(rhel8());
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
    World w(rhel8());
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
    World w(with_boot_application(rhel8(), h(kNewKernel)));
    auto images = rhel8_images();
    images.push_back(image(kNewKernel, "kernel", "kernel-core", "4.18.0-553.el8"));
    w.policy.boot.images = images;
    w.policy.boot.min_kernel = "4.18.0-500";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_outdated"});
    CHECK(contains(messages(a, reason::kKernelOutdated), "PCR 4 event 77"));
  }
  SUBCASE("root appends a known kernel after booting an unknown one: still kernel_unknown") {
    World w(with_boot_application(rhel8(), h(kNewKernel)));
    auto images = rhel8_images();
    images.back() = image(kNewKernel, "kernel", "kernel-core", "4.18.0-553.el8");  // the booted kernel is unknown
    w.policy.boot.images = images;
    w.policy.boot.min_kernel = "4.18.0-500";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_unknown"});
    CHECK(contains(messages(a, reason::kKernelUnknown), std::string(kKernel) + " at PCR 4 event 77"));
  }
  SUBCASE("PCR 4 not quoted: the kernel is not read from its events") {
    World w(rhel8(), {4});
    w.policy.pcrs.required = {{HashAlg::sha256, {7}}};  // what check_policy_bindings refuses at set time
    w.policy.boot.images = rhel8_images();
    w.policy.boot.min_kernel = "4.18.0-305";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_unknown"});
    CHECK(contains(messages(a, reason::kKernelUnknown), "PCR 4 is not bound"));
  }
  SUBCASE("Secure Boot not proven (PCR 7 not quoted): the kernel cannot be judged") {
    World w(rhel8(), {7});
    w.policy.secure_boot_required = false;
    w.policy.pcrs.required = {{HashAlg::sha256, {4}}};
    w.policy.boot.images = rhel8_images();
    w.policy.boot.min_kernel = "4.18.0-305";
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"kernel_unknown"});
    CHECK(contains(messages(a, reason::kKernelUnknown), "Secure Boot is not proven on"));
  }
  SUBCASE("a grace for kernel_outdated: warning until it ends") {
    World w(rhel8());
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
