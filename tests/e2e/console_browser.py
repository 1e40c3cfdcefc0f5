#!/usr/bin/python3
"""console_browser.py — drives the verifier's web console in headless Chromium
(Selenium + chromedriver, Debian packages) for console_test.sh.

The FIDO2 admin's key is a Chromium *virtual WebAuthn authenticator* (the
DevTools WebAuthn domain). With --admin-key-state, it holds the very
credential that `pawctl admin add` made on the software FIDO2 key (libfido2's
virtual authenticator keeps its keys in a plain state file): the admin
pawctl registered and `pawctl login` used signs in to the browser too.
Without it, this script makes a P-256 key and registers it through the admin
API (fmt "none"), as a browser-made credential would be.

Checks, in order: without a session the console shows only the sign-in page
and the data API answers 401; sign-in; the overview; the device list shows the
device healthy; the device page; after --pcr-change (a PCR extended on swtpm
and a new attestation, run by the shell) the list shows it unhealthy; the
events page shows the newest events first (past --seeded old ones) and pages
back with its "older" button; sign-out ends the session; with --invite-url,
the invited admin registers a new key from the link (the virtual
authenticator makes it), signs in with it, and the link is refused after;
with --revoked-url, a link an admin revoked (pawctl admin invitations revoke)
is refused on opening, saying so, and no key is made for it.
PAW_SCREENSHOTS=DIR saves PNGs of the main pages.
"""
import argparse
import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import Credential, VirtualAuthenticatorOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def admin_api(args, method, path, body):
    ctx = ssl.create_default_context(cafile=args.ca)
    req = urllib.request.Request(args.url + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + args.admin_credential,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.load(r)


def register_admin(args, name, key, cred_id):
    """POST /v1/admin/admins with a "none" attestation of |key| for rpId args.rp_id."""
    ch = admin_api(args, "POST", "/v1/admin/admins/challenge", {"name": name})
    if ch["rp_id"] != args.rp_id:
        fail("the verifier's rp_id is %s, not %s" % (ch["rp_id"], args.rp_id))
    nums = key.public_key().public_numbers()
    cose = (bytes.fromhex("a5010203262001215820") + nums.x.to_bytes(32, "big") + bytes.fromhex("225820") +
            nums.y.to_bytes(32, "big"))
    auth = (hashlib.sha256(args.rp_id.encode()).digest() + bytes([0x41]) + (0).to_bytes(4, "big") + bytes(16) +
            len(cred_id).to_bytes(2, "big") + cred_id + cose)
    b64 = lambda b: base64.b64encode(b).decode()
    admin_api(args, "POST", "/v1/admin/admins", {"name": name, "scope": "full", "challenge": ch["challenge"],
                                                 "credential_id": b64(cred_id), "fmt": "none",
                                                 "auth_data": b64(auth), "att_stmt": b64(b"\xa0")})


def key_from_state(path, rp_id):
    """(credential id, PKCS#8 DER private key, counter) of the credential for
    |rp_id| in a virtual FIDO2 key's state file (tests/support/virtual_fido):
    lines "cred ALG RK COUNTER ID RP USER PRIVKEY", fields in hex."""
    for line in open(path):
        f = line.split()
        if len(f) == 8 and f[0] == "cred" and f[1] == "-7" and bytes.fromhex(f[5]).decode() == rp_id:
            # Re-encoded: Chromium takes only a plain PKCS#8 of a named-curve key.
            key = serialization.load_der_private_key(bytes.fromhex(f[7]), password=None)
            pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
            return bytes.fromhex(f[4]), pkcs8, int(f[3])
    fail("no ES256 credential for %s in %s" % (rp_id, path))


def spki_hash(cert_path):
    """base64(SHA-256(SubjectPublicKeyInfo)) for --ignore-certificate-errors-spki-list."""
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)          # https://localhost:PORT (the console origin)
    p.add_argument("--ca", required=True)           # the verifier's TLS certificate
    p.add_argument("--rp-id", required=True)
    p.add_argument("--admin-credential-file", required=True)
    p.add_argument("--admin", default="alice")
    p.add_argument("--admin-key-state", default="")  # a virtual FIDO2 key's state file (pawctl admin add)
    p.add_argument("--device", required=True)
    p.add_argument("--attestations", type=int, required=True)  # the device's attestation events in the store
    p.add_argument("--pcr-change", required=True)   # shell command: extend a PCR and attest again
    p.add_argument("--invite-url", default="")     # pawctl admin invite's link (step 6)
    p.add_argument("--invite-name", default="bob")
    p.add_argument("--revoked-url", default="")    # a link revoked before it was opened (step 7)
    p.add_argument("--seeded", type=int, default=0)  # the newest of the old events seeded before the test
    args = p.parse_args()
    args.admin_credential = open(args.admin_credential_file).read().strip()
    shots = os.environ.get("PAW_SCREENSHOTS", "")

    if args.admin_key_state:
        cred_id, pkcs8, counter = key_from_state(args.admin_key_state, args.rp_id)
        print("ok: admin %s's key from pawctl admin add (counter %d)" % (args.admin, counter))
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        cred_id, counter = os.urandom(32), 0
        pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
        register_admin(args, args.admin, key, cred_id)
        print("ok: admin %s registered (P-256 key, fmt none)" % args.admin)

    profile = tempfile.mkdtemp(prefix="paw-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
              "--window-size=1280,900", "--user-data-dir=" + profile,
              # Trust exactly the verifier's key (a test CA is not in the system store); a page with
              # a certificate error gets no WebAuthn, so an untrusted setup fails the sign-in below.
              "--ignore-certificate-errors-spki-list=" + spki_hash(args.ca)):
        opts.add_argument(a)
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") \
        if hasattr(webdriver, "ChromeService") else webdriver.chrome.service.Service("/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=opts)
    try:
        run(driver, args, (cred_id, pkcs8, counter), shots)
    except Exception:
        # What the page showed when a wait ran out: its text and a screenshot beside the log.
        print("page at failure: %s\n%s" % (driver.current_url, driver.find_element(By.TAG_NAME, "body").text),
              file=sys.stderr)
        driver.save_screenshot(os.path.join(os.environ.get("WORK", "/tmp"), "console-failure.png"))
        raise
    finally:
        driver.quit()
        subprocess.run(["rm", "-rf", profile], check=False)


def api_status(driver, path, method="GET", headers=None):
    """The status the page's own fetch() gets (same origin, with the cookie)."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {method: arguments[1], credentials: 'same-origin', headers: arguments[2]})"
        ".then(r => done(r.status), e => done('error ' + e));", path, method, headers or {})


def run(driver, args, credential, shots):
    wait = WebDriverWait(driver, 20)
    visible = lambda i: wait.until(EC.visibility_of_element_located((By.ID, i)))

    # 1. No session: the sign-in page only, and the data API refuses.
    driver.get(args.url + "/#/devices")
    visible("signin")
    if driver.find_element(By.ID, "view").is_displayed() or driver.find_element(By.ID, "nav").is_displayed():
        fail("the console shows more than the sign-in page without a session")
    if args.device in driver.page_source:
        fail("the device id is on the page before sign-in")
    for path in ("/v1/admin/devices", "/v1/admin/devices/" + args.device, "/v1/admin/events"):
        st = api_status(driver, path)
        if st != 401:
            fail("%s without a session answered %s, not 401" % (path, st))
    print("ok: refused without signing in (sign-in page only, API 401)")
    if shots:
        driver.save_screenshot(os.path.join(shots, "signin.png"))

    # 2. Sign in with the virtual authenticator holding alice's key.
    driver.add_virtual_authenticator(VirtualAuthenticatorOptions(has_resident_key=False, is_user_consenting=True))
    cred_id, pkcs8, counter = credential
    driver.add_credential(Credential.create_non_resident_credential(cred_id, args.rp_id, pkcs8, counter))
    driver.find_element(By.ID, "admin-name").send_keys(args.admin)
    driver.find_element(By.ID, "signin-button").click()
    try:
        visible("nav")
    except Exception:
        fail("sign-in did not complete: " + driver.find_element(By.ID, "signin-error").text)
    if "paw_session" in driver.execute_script("return document.cookie"):
        fail("the session cookie is readable from script (not HttpOnly)")
    if driver.get_credentials()[0].sign_count <= counter:
        fail("the virtual authenticator did not sign")
    print("ok: signed in with WebAuthn (virtual authenticator)")

    # 3. Overview, device list (healthy), device page.
    driver.get(args.url + "/#/")
    wait.until(lambda d: d.find_element(By.ID, "view").get_attribute("data-view") == "overview")
    visible("count-verdict-healthy")
    if shots:
        driver.save_screenshot(os.path.join(shots, "overview.png"))
    verdict_in_list = lambda: driver.find_element(
        By.CSS_SELECTOR, 'tr[data-device="%s"] td.verdict' % args.device).text

    def open_list():
        driver.get(args.url + "/#/devices")
        driver.refresh()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-device="%s"]' % args.device)))

    open_list()
    if verdict_in_list() != "healthy":
        fail("device list shows %r, not healthy" % verdict_in_list())
    print("ok: the device list shows the device healthy")
    if shots:
        driver.save_screenshot(os.path.join(shots, "devices.png"))
    driver.find_element(By.LINK_TEXT, args.device).click()
    visible("device-verdict")
    if driver.find_element(By.ID, "device-verdict").text != "healthy":
        fail("device page verdict " + driver.find_element(By.ID, "device-verdict").text)
    visible("timeline")
    # Every attestation of the device, though 60000 other events came before them.
    items = driver.find_elements(By.CSS_SELECTOR, "#timeline li")
    if len(items) != args.attestations:
        fail("the timeline shows %d attestations, the store has %d" % (len(items), args.attestations))
    if shots:
        driver.save_screenshot(os.path.join(shots, "device.png"))
    print("ok: the device page shows it healthy, with its attestation timeline")

    # 4. A PCR changes on the TPM and the device attests again: the list shows it unhealthy.
    r = subprocess.run(["bash", "-c", args.pcr_change], capture_output=True, text=True)
    print("   pcr change exited %d" % r.returncode)
    open_list()
    if verdict_in_list() != "unhealthy":
        fail("after the PCR change the list shows %r, not unhealthy" % verdict_in_list())
    driver.find_element(By.LINK_TEXT, args.device).click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "device-verdict"), "unhealthy"))
    if "pcr" not in driver.find_element(By.ID, "reasons").text.lower():
        fail("the device page names no PCR reason: " + driver.find_element(By.ID, "reasons").text)
    newest = driver.find_elements(By.CSS_SELECTOR, "#timeline li")
    if len(newest) != args.attestations + 1 or newest[0].get_attribute("class") != "unhealthy":
        fail("after the PCR change the timeline has %d entries, the newest %r" %
             (len(newest), newest[0].get_attribute("class") if newest else None))
    if shots:
        driver.save_screenshot(os.path.join(shots, "device-unhealthy.png"))
    print("ok: after the PCR change the device turns unhealthy in the list and on its page")

    # 5. The events page: the newest events first, though --seeded older ones
    # came before them (a page that read from the oldest would show those),
    # and an "older" button that pages back; then the policy view; sign out.
    ctx = ssl.create_default_context(cafile=args.ca)
    req = urllib.request.Request(args.url + "/v1/admin/events?after=%d&limit=1000" % args.seeded,
                                 headers={"Authorization": "Bearer " + args.admin_credential})
    with urllib.request.urlopen(req, context=ctx) as r:
        newer = json.load(r)["events"]
    if not newer:
        fail("no event after the %d seeded ones" % args.seeded)
    newest = max(e["id"] for e in newer)
    driver.get(args.url + "/#/events")
    visible("event-table")
    rows = lambda: [int(r.get_attribute("data-event"))
                    for r in driver.find_elements(By.CSS_SELECTOR, "#event-table tbody tr")]
    wait.until(lambda d: len(rows()) > 0)
    shown = rows()
    if shown[0] < newest:
        fail("the events page starts at event #%d, not the newest (#%d or later)" % (shown[0], newest))
    if shown != sorted(shown, reverse=True) or len(set(shown)) != len(shown):
        fail("the events page is not newest first: %s" % shown[:10])
    device_rows = driver.find_elements(By.CSS_SELECTOR, '#event-table tbody tr a[href="#/devices/%s"]' % args.device)
    if not device_rows:
        fail("the events page does not show the device's recent attestation")
    if shots:
        driver.save_screenshot(os.path.join(shots, "events.png"))
    before_click = len(shown)
    driver.find_element(By.ID, "events-older").click()
    wait.until(lambda d: len(rows()) > before_click)
    paged = rows()
    if paged[:before_click] != shown[:before_click] or paged != sorted(paged, reverse=True) or \
            len(set(paged)) != len(paged):
        fail("'Older events' did not append older events in order: %s" % paged[before_click - 2:before_click + 3])
    print("ok: the events page shows the newest event (#%d) first; 'Older events' pages back to #%d" %
          (shown[0], paged[-1]))
    driver.get(args.url + "/#/policies")
    visible("policy-table")
    driver.find_element(By.ID, "logout").click()
    visible("signin")
    st = api_status(driver, "/v1/admin/devices")
    if st != 401:
        fail("after sign-out the API answered %s, not 401" % st)
    driver.get(args.url + "/#/devices")
    visible("signin")
    print("ok: signed out; the API answers 401 again")
    if args.invite_url:
        invite(driver, args, wait, visible, shots)
    if args.revoked_url:
        revoked(driver, args, wait, visible, shots)


def invite(driver, args, wait, visible, shots):
    """6. The invited admin opens the link of `pawctl admin invite`, registers a
    new key on the virtual authenticator (navigator.credentials.create), signs
    in with it; the link then works no more."""
    name = args.invite_name
    before = len(driver.get_credentials())
    driver.get(args.invite_url)
    visible("invite-button")
    what = driver.find_element(By.ID, "invite-what").text
    if "admin " + name not in what:
        fail("the invitation page says %r" % what)
    if shots:
        driver.save_screenshot(os.path.join(shots, "invite.png"))
    driver.find_element(By.ID, "invite-button").click()
    try:
        wait.until(EC.text_to_be_present_in_element((By.ID, "signin-error"), "registered as admin " + name))
    except Exception:
        fail("registration did not complete: " + driver.find_element(By.ID, "invite-error").text)
    if len(driver.get_credentials()) != before + 1:
        fail("the virtual authenticator holds no new credential")
    if "pawinv." in driver.current_url:
        fail("the invitation stays in the address bar after use: " + driver.current_url)
    print("ok: %s registered a new key in the browser from the invitation link" % name)
    if driver.find_element(By.ID, "admin-name").get_attribute("value") != name:
        fail("the sign-in form is not filled with " + name)
    driver.find_element(By.ID, "signin-button").click()
    try:
        visible("nav")
    except Exception:
        fail("sign-in with the new key did not complete: " + driver.find_element(By.ID, "signin-error").text)
    wait.until(EC.text_to_be_present_in_element((By.ID, "who"), "signed in as " + name))
    print("ok: %s signed in with the key registered in the browser" % name)
    driver.find_element(By.ID, "logout").click()
    visible("signin")
    # The same link again: refused, and no credential is kept for it.
    driver.get(args.invite_url)
    visible("invite")
    try:
        visible("invite-button")
        driver.find_element(By.ID, "invite-button").click()
    except Exception:
        pass  # refused already when the page asked for its challenge
    wait.until(lambda d: d.find_element(By.ID, "invite-error").text != "")
    err = driver.find_element(By.ID, "invite-error").text
    if "failed" not in err and "cannot be used" not in err:
        fail("a used invitation was not refused: %r" % err)
    print("ok: the used invitation is refused (%s)" % err)


def revoked(driver, args, wait, visible, shots):
    """7. A link revoked before anyone opened it: the page refuses it at once,
    says an admin revoked it, offers no registration, and no key is made."""
    before = len(driver.get_credentials())
    driver.get(args.revoked_url)
    visible("invite")
    wait.until(lambda d: d.find_element(By.ID, "invite-error").text != "")
    err = driver.find_element(By.ID, "invite-error").text
    if "an admin revoked it" not in err:
        fail("a revoked invitation was not refused as revoked, in words: %r" % err)
    if driver.find_element(By.ID, "invite-button").is_displayed():
        fail("the page offers to register a key with a revoked invitation")
    if len(driver.get_credentials()) != before:
        fail("a key was made for a revoked invitation")
    if shots:
        driver.save_screenshot(os.path.join(shots, "invite-revoked.png"))
    print("ok: the revoked invitation is refused on opening (%s)" % err)


if __name__ == "__main__":
    main()
