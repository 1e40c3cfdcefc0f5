#!/usr/bin/env bash
# refs_import_test.sh — policy boot.min_kernel end to end (docs/policy.md,
# "Kernel version"), against the real parts: real Debian packages read by
# pawctl refs import-deb, swtpm extended with a Secure Boot log whose PCR 4
# measures shim and a kernel by their Authenticode digests, paw-agent,
# paw-verifier.
#   1. import-deb prints the digests an independent tool (pesign) computed
#      for the real shim-signed package and for a kernel package built here
#      around a real EFI image (xz, gzip and zstd data);
#   2. --policy stores the images and the minimum as a new policy version;
#      the device booting that kernel is healthy;
#   3. a newer kernel imported and required: the device is kernel_outdated,
#      and stays so when root appends the newer kernel's digest to PCR 4
#      and the log;
#   4. bad input (not a package, a missing file, a bad version, a minimum
#      without kernels) is refused with a clear error and changes nothing;
#   5. --packages: a Packages index written by dpkg-scanpackages (plain, xz,
#      gzip) vouches for the .debs; a tampered .deb (same name, version and
#      architecture, another image), one the index does not list, and a file
#      that is no index are refused and nothing is stored;
#   6. --release/--keyring: with archive keys made here by gpg, the index
#      must be listed in the InRelease gpgv verifies; an index it does not
#      list, another key's signature and an edited InRelease are refused;
#      without gpgv in PATH the error names the package to install.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
EXTEND_BIN=$PAW_BUILD_DIR/tools/dev/paw-extend-log/paw-extend-log
[ -x "$EXTEND_BIN" ] || { echo "missing $EXTEND_BIN: build paw-extend-log" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "dpkg-deb is needed (Debian's dpkg)" >&2; exit 1; }
for tool in dpkg-scanpackages gpg gpgv xz; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (installer/install-deps.sh)" >&2; exit 1; }
done
paw_setup
paw_start_swtpm
paw_verifier_init
paw_verifier_start

# tests/data/debian/README.md: pesign's Authenticode SHA-256 of the images.
SHIM_DIGEST=80a66d53a945d2286fcadd780fae1c225aa732079cd67b5225dc78aaab4e2ff8
OLD_DIGEST=28fd6b9a39b745449fa2389a31045900804eae49ea7edb0f8c152a131df0002c   # linuxx64.efi.stub
NEW_DIGEST=7843e376e57323bcdfebcffc8d5109eb39721c83d8bedab1dfd6431596875c2c   # systemd-bootx64.efi
SHIM_DEB=$PAW_TEST_DATA_DIR/debian/shim-signed_amd64.deb

step "kernel packages around real EFI images"
dpkg-deb -x "$PAW_TEST_DATA_DIR/debian/systemd-boot-efi_amd64.deb" "$WORK/sd"
# mkdeb ABI VERSION IMAGE COMPRESSION: linux-image-ABI with boot/vmlinuz-ABI.
mkdeb() {
  local root=$WORK/pkg-$1
  mkdir -p "$root/DEBIAN" "$root/boot"
  cp "$3" "$root/boot/vmlinuz-$1"
  cat >"$root/DEBIAN/control" <<CTL
Package: linux-image-$1
Version: $2
Architecture: amd64
Maintainer: paw tests <paw@example.invalid>
Description: test kernel package around a real EFI image
CTL
  dpkg-deb --root-owner-group -Z"$4" --build "$root" "$WORK/linux-image-$1.deb" >/dev/null
}
mkdeb 6.1.0-98-amd64 6.1.198-1 "$WORK/sd/usr/lib/systemd/boot/efi/linuxx64.efi.stub" xz
mkdeb 6.1.0-99-amd64 6.1.199-1 "$WORK/sd/usr/lib/systemd/boot/efi/systemd-bootx64.efi" zstd
mkdeb 6.1.0-97-amd64 6.1.197-1 "$WORK/sd/usr/lib/systemd/boot/efi/linuxx64.efi.stub" gzip
OLD_DEB=$WORK/linux-image-6.1.0-98-amd64.deb NEW_DEB=$WORK/linux-image-6.1.0-99-amd64.deb

step "1. import-deb prints what is in the packages, nothing sent"
"$PAWCTL_BIN" refs import-deb --json "$OLD_DEB" "$SHIM_DEB" "$WORK/linux-image-6.1.0-97-amd64.deb" \
  >"$WORK/images.json" || die "import-deb failed"
python3 - "$WORK/images.json" "$OLD_DIGEST" "$SHIM_DIGEST" <<'PY' || die "import-deb printed: $(cat "$WORK/images.json")"
import json, sys
images = json.load(open(sys.argv[1]))["images"]
got = [(i["package"], i["version"], i["kind"], i["sha256"], i["file"]) for i in images]
want = [("linux-image-6.1.0-98-amd64", "6.1.198-1", "kernel", sys.argv[2], "boot/vmlinuz-6.1.0-98-amd64"),
        ("shim-signed", "1.51~1+deb12u1+16.1-2~deb12u1", "boot_loader", sys.argv[3], "usr/lib/shim/shimx64.efi.signed"),
        ("linux-image-6.1.0-97-amd64", "6.1.197-1", "kernel", sys.argv[2], "boot/vmlinuz-6.1.0-97-amd64")]
assert got == want, got
PY
"$PAWCTL_BIN" refs import-deb "$NEW_DEB" >"$WORK/new.txt" || die "import-deb (zstd) failed"
grep -q "linux-image-6.1.0-99-amd64 .*6.1.199-1 .*kernel .*$NEW_DIGEST" "$WORK/new.txt" ||
  die "zstd package: $(cat "$WORK/new.txt")"
ok "digests match pesign's (xz, gzip, zstd packages and the real shim-signed)"

step "2. the booted kernel is imported and required"
python3 - "$WORK" "$SHIM_DIGEST" "$OLD_DIGEST" "$NEW_DIGEST" <<'PY'
import hashlib, struct, sys
work, shim, old, new = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
def spec_id():
    d = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 1) + struct.pack("<HH", 0xB, 32) + b"\0"
    return struct.pack("<II", 0, 3) + b"\0" * 20 + struct.pack("<I", len(d)) + d
def event(pcr, typ, data, digest=None):
    digest = digest or hashlib.sha256(data).digest()
    return struct.pack("<III", pcr, typ, 1) + struct.pack("<H", 0xB) + digest + struct.pack("<I", len(data)) + data
def utf16(s): return s.encode("utf-16-le")
GLOBAL = bytes.fromhex("61dfe48bca93d211aa0d00e098032b8c")
def var(name, value): return GLOBAL + struct.pack("<QQ", len(name), len(value)) + utf16(name) + value
def image_load(): return struct.pack("<QQQQ", 0x7e000000, 0x100000, 0, 4) + b"\x7f\xff\x04\x00"
log = spec_id() + event(7, 0x80000001, var("SecureBoot", b"\x01"))
log += b"".join(event(pcr, 0x4, b"\0\0\0\0") for pcr in range(8))
log += event(4, 0x80000003, image_load(), shim) + event(4, 0x80000003, image_load(), old)
open(f"{work}/boot.bin", "wb").write(log)
# What root would append after boot: the newer kernel's digest, in PCR 4.
extra = event(4, 0x80000003, image_load(), new)
open(f"{work}/append.bin", "wb").write(spec_id() + extra)
open(f"{work}/appended.bin", "wb").write(log + extra)
PY
"$EXTEND_BIN" --tcti "$SWTPM_TCTI" "$WORK/boot.bin" >/dev/null || die "paw-extend-log failed"
cat >"$WORK/policy.json" <<JSON
{
  "name": "default",
  "pcrs": {"required": {"sha256": [4, 7]}, "pin_on_enroll": false},
  "secure_boot_required": true,
  "event_log_required": true,
  "host": {"disk_encryption_required": false},
  "fido": {"required": true, "user_presence": true, "allow_self_attestation": true}
}
JSON
pawctl_admin policy set default "$WORK/policy.json" >/dev/null 2>"$WORK/pawctl.err" ||
  die "policy set failed: $(cat "$WORK/pawctl.err")"
pawctl_admin refs import-deb --policy default --min-kernel 6.1.198-1 "$OLD_DEB" "$SHIM_DEB" >"$WORK/import.out" ||
  die "import into the policy failed: $(cat "$WORK/import.out")"
grep -q "policy default is now version 3: 2 image(s) added, 2 known, boot.min_kernel 6.1.198-1" "$WORK/import.out" ||
  die "import said: $(cat "$WORK/import.out")"
pawctl_admin policy show default --json >"$WORK/policy-show.json"
python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["boot"]
assert b["min_kernel"] == "6.1.198-1", b
assert sorted(i["package"] for i in b["images"]) == ["linux-image-6.1.0-98-amd64", "shim-signed"], b
' "$WORK/policy-show.json" || die "stored policy: $(cat "$WORK/policy-show.json")"
paw_agent_config
sed -i "s|^event-log = .*|event-log = $WORK/boot.bin|" "$WORK/agent.conf"
paw_enroll kernel
rc=0; agent attest >"$WORK/healthy.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || die "the booted kernel meets the minimum, want healthy (0), got $rc: $(cat "$WORK/healthy.out")"
ok "healthy on linux-image-6.1.0-98-amd64 6.1.198-1"

step "3. a newer kernel is required: kernel_outdated, and appending its digest does not help"
pawctl_admin refs import-deb --policy default --min-kernel 6.1.199-1 "$NEW_DEB" >"$WORK/import2.out" ||
  die "second import failed: $(cat "$WORK/import2.out")"
rc=0; agent attest >"$WORK/outdated.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || die "want unhealthy (1), got $rc: $(cat "$WORK/outdated.out")"
grep -q "kernel_outdated" "$WORK/outdated.out" || die "no kernel_outdated: $(cat "$WORK/outdated.out")"
"$EXTEND_BIN" --tcti "$SWTPM_TCTI" "$WORK/append.bin" >/dev/null || die "paw-extend-log (append) failed"
sed -i "s|^event-log = .*|event-log = $WORK/appended.bin|" "$WORK/agent.conf"
rc=0; agent attest >"$WORK/appended.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || die "root appended the newer kernel: want unhealthy (1), got $rc: $(cat "$WORK/appended.out")"
grep -q "kernel_outdated" "$WORK/appended.out" || die "appended: no kernel_outdated: $(cat "$WORK/appended.out")"
grep -q "linux-image-6.1.0-98-amd64 6.1.198-1 .*older than the policy's boot.min_kernel 6.1.199-1" \
  "$WORK/appended.out" || die "the reason does not name the booted kernel: $(cat "$WORK/appended.out")"
ok "kernel_outdated names 6.1.198-1, with and without the appended digest"

step "4. bad input: a clear error, nothing changed"
before=$(pawctl_admin policy show default --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
echo "not a package" >"$WORK/text.deb"
expect_rc 1 pawctl_admin refs import-deb --policy default "$WORK/text.deb"
grep -q "not a Debian package" "$WORK/last.err" || die "text file: $(cat "$WORK/last.err")"
head -c 3000 "$OLD_DEB" >"$WORK/cut.deb"
expect_rc 1 pawctl_admin refs import-deb --policy default "$WORK/cut.deb"
expect_rc 1 pawctl_admin refs import-deb --policy default "$WORK/none.deb"
grep -q "none.deb: cannot be read" "$WORK/last.err" || die "missing file: $(cat "$WORK/last.err")"
expect_rc 2 pawctl_admin refs import-deb --policy default --min-kernel latest "$OLD_DEB"
grep -q "Debian version" "$WORK/last.err" || die "bad version: $(cat "$WORK/last.err")"
after=$(pawctl_admin policy show default --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
[ "$before" = "$after" ] || die "a refused import changed the policy: version $before -> $after"
sed 's/"fido"/"boot": {"min_kernel": "6.1.0-1"}, "fido"/' "$WORK/policy.json" >"$WORK/no-kernels.json"
expect_rc 2 pawctl_admin policy set default "$WORK/no-kernels.json"
grep -q "min_kernel_without_kernels" "$WORK/last.err" || die "min_kernel without kernels: $(cat "$WORK/last.err")"
ok "refused: not a package, a cut package, a missing file, a bad version, a minimum without kernels"

step "5. --packages: every .deb must be the one a Packages index names"
mkdir -p "$WORK/archive/pool"
cp "$SHIM_DEB" "$OLD_DEB" "$WORK/archive/pool/"
(cd "$WORK/archive" && dpkg-scanpackages pool /dev/null >Packages 2>scan.err) || die "dpkg-scanpackages: $(cat "$WORK/archive/scan.err")"
xz -k "$WORK/archive/Packages" && gzip -k "$WORK/archive/Packages"
"$PAWCTL_BIN" refs import-deb --packages "$WORK/archive/Packages.xz" --json "$WORK/archive/pool/"*.deb \
  >"$WORK/indexed.json" || die "import-deb --packages (xz) failed"
python3 -c '
import json, sys
got = sorted((i["package"], i["version"]) for i in json.load(open(sys.argv[1]))["images"])
assert got == [("linux-image-6.1.0-98-amd64", "6.1.198-1"), ("shim-signed", "1.51~1+deb12u1+16.1-2~deb12u1")], got
' "$WORK/indexed.json" || die "indexed import printed: $(cat "$WORK/indexed.json")"
# Tampered: the same Package, Version and Architecture around another image.
mkdeb 6.1.0-98-amd64 6.1.198-1 "$WORK/sd/usr/lib/systemd/boot/efi/systemd-bootx64.efi" xz
mv "$WORK/linux-image-6.1.0-98-amd64.deb" "$WORK/tampered.deb"
cp "$WORK/archive/pool/linux-image-6.1.0-98-amd64.deb" "$OLD_DEB"
before=$(pawctl_admin policy show default --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
expect_rc 1 pawctl_admin refs import-deb --policy default --packages "$WORK/archive/Packages.gz" "$SHIM_DEB" "$WORK/tampered.deb"
grep -q "tampered.deb: linux-image-6.1.0-98-amd64 6.1.198-1 (amd64) differs from the Packages index" "$WORK/last.err" ||
  die "tampered .deb: $(cat "$WORK/last.err")"
expect_rc 1 pawctl_admin refs import-deb --policy default --packages "$WORK/archive/Packages" "$NEW_DEB"
grep -q "linux-image-6.1.0-99-amd64 6.1.199-1 (amd64) is not in the Packages index" "$WORK/last.err" ||
  die "unlisted .deb: $(cat "$WORK/last.err")"
expect_rc 1 pawctl_admin refs import-deb --policy default --packages "$WORK/policy.json" "$SHIM_DEB"
grep -q "Packages index line 1" "$WORK/last.err" || die "not an index: $(cat "$WORK/last.err")"
after=$(pawctl_admin policy show default --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
[ "$before" = "$after" ] || die "a refused indexed import changed the policy: version $before -> $after"
pawctl_admin refs import-deb --policy default --packages "$WORK/archive/Packages.gz" "$WORK/archive/pool/"*.deb \
  >"$WORK/indexed.out" || die "indexed import into the policy failed: $(cat "$WORK/indexed.out")"
grep -q "policy default is now version $((before + 1)): 0 image(s) added, 3 known" "$WORK/indexed.out" ||
  die "indexed import said: $(cat "$WORK/indexed.out")"
ok "the index vouches for the archive's .debs; a tampered or unlisted .deb, or a non-index, is refused and nothing stored"

step "6. --release InRelease --keyring: the index must be the one the archive signed (gpgv, a key made here)"
export GNUPGHOME=$WORK/gnupg
mkdir -m 700 "$GNUPGHOME"
for who in archive other; do
  gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "paw test $who <$who@example.invalid>" \
    ed25519 sign never 2>/dev/null || die "gpg could not make the $who key"
done
gpg --batch --export archive@example.invalid >"$WORK/archive-keyring.gpg"
{ printf 'Origin: paw-test\nSuite: stable\nSHA256:\n'
  for f in Packages.xz Packages; do
    printf ' %s %s main/binary-amd64/%s\n' "$(sha256sum "$WORK/archive/$f" | cut -d' ' -f1)" "$(stat -c %s "$WORK/archive/$f")" "$f"
  done; } >"$WORK/archive/Release"
gpg --batch --local-user archive@example.invalid --clearsign -o "$WORK/archive/InRelease" "$WORK/archive/Release"
gpg --batch --local-user other@example.invalid --clearsign -o "$WORK/archive/InRelease.other" "$WORK/archive/Release"
sed 's/^Suite: stable/Suite: stablx/' "$WORK/archive/InRelease" >"$WORK/archive/InRelease.edited"
gpgconf --kill gpg-agent 2>/dev/null || true
unset GNUPGHOME
signed=(--release "$WORK/archive/InRelease" --keyring "$WORK/archive-keyring.gpg")
"$PAWCTL_BIN" refs import-deb --packages "$WORK/archive/Packages.xz" "${signed[@]}" "$SHIM_DEB" >"$WORK/signed.out" ||
  die "signed index refused: $(cat "$WORK/signed.out")"
grep -q "shim-signed .*$SHIM_DIGEST" "$WORK/signed.out" || die "signed import printed: $(cat "$WORK/signed.out")"
expect_rc 1 "$PAWCTL_BIN" refs import-deb --packages "$WORK/archive/Packages.gz" "${signed[@]}" "$SHIM_DEB"
grep -q "Packages.gz is not listed in the signed Release's SHA256" "$WORK/last.err" || die "unlisted index: $(cat "$WORK/last.err")"
expect_rc 1 "$PAWCTL_BIN" refs import-deb --packages "$WORK/archive/Packages.xz" --release "$WORK/archive/InRelease.other" \
  --keyring "$WORK/archive-keyring.gpg" "$SHIM_DEB"
grep -q "does not verify with a key of .*No public key" "$WORK/last.err" || die "other key: $(cat "$WORK/last.err")"
expect_rc 1 "$PAWCTL_BIN" refs import-deb --packages "$WORK/archive/Packages.xz" --release "$WORK/archive/InRelease.edited" \
  --keyring "$WORK/archive-keyring.gpg" "$SHIM_DEB"
grep -q "BAD signature" "$WORK/last.err" || die "edited InRelease: $(cat "$WORK/last.err")"
expect_rc 2 "$PAWCTL_BIN" refs import-deb --packages "$WORK/archive/Packages.xz" --release "$WORK/archive/InRelease" "$SHIM_DEB"
# Without gpgv (the .deb only Recommends it): a clear error naming the package.
mkdir -p "$WORK/no-gpgv"
expect_rc 1 env PATH="$WORK/no-gpgv" "$PAWCTL_BIN" refs import-deb --packages "$WORK/archive/Packages.xz" "${signed[@]}" "$SHIM_DEB"
grep -q "needs gpgv, which is not installed.*install the Debian package gpgv" "$WORK/last.err" ||
  die "without gpgv: $(cat "$WORK/last.err")"
ok "a signed index is taken; an unlisted index, another key's signature and an edited InRelease are refused; no gpgv is named"

echo "refs_import_test: ok"
