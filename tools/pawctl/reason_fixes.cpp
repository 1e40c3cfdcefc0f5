// The fix column of docs/policy.md "Reasons" (keep the two together: a new
// reason code gets its row there and its line here).
#include "reason_fixes.h"

#include <algorithm>
#include <array>
#include <utility>

namespace pawctl {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 32> kFixes{{
    {"pcr_not_quoted", "update paw-agent; check the TPM has the bank active (tpm2_getcap pcrs); or drop the PCR "
                       "from pcrs.required"},
    {"pcr_mismatch", "an update you expect: capture the new values on one machine (pawctl policy capture ID --add "
                     "--name NEW) or re-pin the device; otherwise treat the machine as compromised"},
    {"eventlog_missing", "run paw-agent as root with /sys/kernel/security/tpm0/binary_bios_measurements readable; "
                         "machines without measured boot need \"event_log_required\": false"},
    {"secure_boot_off", "enable Secure Boot in the firmware setup (the message says why it counts as off)"},
    {"host_secure_boot_off", "enable Secure Boot in the firmware setup"},
    {"boot_app_not_allowed", "a legitimate new shim, boot loader or kernel: add its digest to boot_applications "
                             "(pawctl eventlog shows it); otherwise reinstall the boot chain"},
    {"boot_authority_not_allowed", "a trusted vendor's new CA: add its digest from pawctl eventlog facts to "
                                   "boot.authorities; otherwise reinstall the signed boot chain (a MOK ran)"},
    {"cmdline_missing", "put the word back in the boot loader configuration (GRUB_CMDLINE_LINUX, update-grub) and "
                        "reboot"},
    {"cmdline_forbidden", "remove the word from the boot loader configuration and reboot; init=/bin/sh is an "
                          "incident"},
    {"dbx_outdated", "apply the dbx update (fwupdmgr update, or the vendor's firmware update) and reboot"},
    {"sbat_outdated", "update shim (apt full-upgrade brings shim-signed) and reboot; mokutil --list-sbat-revocations "
                      "shows the level, mokutil --set-sbat-policy latest asks shim for its newest one"},
    {"sbat_unknown", "enable Secure Boot and install a current shim (shim-signed, 15.3 or later); a measured level "
                     "that does not match its digest is an incident"},
    {"kernel_outdated", "install the current kernel package (apt full-upgrade) and reboot into it"},
    {"kernel_unknown", "if the image is a legitimate kernel or boot loader, record its package: pawctl refs import-deb "
                       "--policy NAME FILE.deb; otherwise reinstall the workstation"},
    {"secure_boot_keys_unexpected",
     "the firmware's PK or KEK is not the owner's: treat the machine as tampered with (someone else can sign what it "
     "boots) until the key change is explained; restore the owner's keys in the firmware setup"},
    {"ima_missing", "boot with IMA enabled (ima_policy=tcb) and run paw-agent as root"},
    {"ima_not_allowed", "after an update add the new files' digests to ima.allowlist; otherwise remove the software"},
    {"ima_required_missing", "start or install the software; check the kernel's IMA policy measures it "
                             "(pawctl policy explain ID shows the entry that decided)"},
    {"ima_required_digest_mismatch", "a build you rolled out: add its digest to the entry; otherwise treat the "
                                     "machine as compromised"},
    {"fido_missing", "plug in the owner's FIDO2 key and touch it when paw-agent attest asks"},
    {"fido_up_missing", "touch the key when it blinks"},
    {"fido_uv_missing", "set a PIN on the key (fido2-token -S) and enter it when asked"},
    {"fido_counter_frozen", "use a key that counts, or set \"allow_zero_counter\": true for that model"},
    {"disk_not_encrypted", "encrypt the disk (LUKS); machines that cannot need \"disk_encryption_required\": false"},
    {"os_not_allowed", "after an OS upgrade, add the new PRETTY_NAME to os_release_allowlist"},
    {"reboot", "attest right after every boot, or allow reboots (reboot.allow)"},
    {"clock_anomaly", "investigate: a TPM clock going back is a sign of tampering; a cleared TPM must enroll again"},
    {"login_key_missing", "update paw-agent; if the login key was lost, enroll again"},
    {"login_key_bad_signature", "the TPM or the key file changed: enroll again"},
    {"grace_expired", "attest again and fix the graced reasons"},
    {"stale", "the device has not attested lately: check paw-agent is running (systemctl status paw-agent)"},
    {"pending", "an admin approves it: pawctl devices approve ID"},
}};

}  // namespace

std::string reason_fix(std::string_view code) {
  const auto it = std::find_if(kFixes.begin(), kFixes.end(), [&](const auto& f) { return f.first == code; });
  if (it != kFixes.end()) return std::string(it->second);
  return "see docs/policy.md, \"Reasons\"";
}

}  // namespace pawctl
