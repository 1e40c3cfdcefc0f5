// real_eventlogs.h — every binary UEFI event log in the test data, with what
// paw must say about it. Shared by the parser, replay and binding tests.
#pragma once

namespace paw::test {

// kRealLogs lists every binary event log in tests/data with what paw must
// say about it: check_event_data's outcome (nullptr = every event's data
// matches its digest).
struct RealLog {
  const char* path;
  bool agile;
  const char* tampered_event;  // substring of the tamper detail, or nullptr
};

constexpr RealLog kRealLogs[] = {
    {"go-tpm-tools/internal/test/eventlogs/arch-linux-workstation.bin", true, "event 24 at offset 15142 (EV_IPL, PCR 8)"},
    {"go-tpm-tools/internal/test/eventlogs/confidential-gke-debug-251000_eventlog.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/cos-101-amd-sev.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/cos-85-amd-sev.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/cos-93-amd-sev.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/debian-10.bin", false, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/eventlogwithsp800155.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/gdc-host.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/glinux-alex.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/ubuntu-1804-amd-sev.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/ubuntu-2104-no-dbx.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/ubuntu-2104-no-secure-boot.bin", true, nullptr},
    {"go-tpm-tools/internal/test/eventlogs/ubuntu-2404-amd-sevsnp.bin", true, nullptr},
    {"go-tpm-tools/decoded/gce-cos-85-no-nonce.eventlog.bin", true, nullptr},
    {"go-tpm-tools/decoded/gce-cos-85-nonce9009.eventlog.bin", true, nullptr},
    {"keylime/test/data/create-mb-policy/binary_bios_measurements", true, nullptr},
    {"keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot", true, nullptr},
    {"keylime/derived/mb_log.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-arch-linux.bin", true, "event 24 at offset 15142 (EV_IPL, PCR 8)"},
    {"tpm2-tools/test/integration/fixtures/event-bootorder.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-gce-ubuntu-2104-log.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-moklisttrusted.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-postcode.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-sd-boot-fedora37.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-uefi-sha1-log.bin", false, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-uefiaction.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-uefiservices.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event-uefivar.bin", true, nullptr},
    {"tpm2-tools/test/integration/fixtures/event.bin", true, nullptr},
    {"go-attestation/attest/testdata/coreos_36_shielded_vm_no_secure_boot_eventlog", true, nullptr},
    {"go-attestation/attest/testdata/crypto_agile_eventlog", true, nullptr},
    {"go-attestation/attest/testdata/ebs_event_missing_eventlog", false, nullptr},
    {"go-attestation/attest/testdata/option_rom_eventlog", false, nullptr},
    {"go-attestation/attest/testdata/sb_cert_eventlog", true, nullptr},
    {"go-attestation/attest/testdata/short_no_action_eventlog", false, nullptr},
    {"go-attestation/attest/testdata/ubuntu_2104_shielded_vm_no_secure_boot_eventlog", true, nullptr},
};

}  // namespace paw::test
