// webhook_signing.h — signed webhook deliveries, in the Standard Webhooks
// scheme (https://www.standardwebhooks.com) so receivers can use its
// libraries or a few lines of their own:
//
//   webhook-id:        evt_<event id>          (the same on every retry: dedupe on it)
//   webhook-timestamp: <unix seconds at sending>
//   webhook-signature: v1,<base64 HMAC-SHA256(secret, id "." timestamp "." body)>
//
// The secret is per receiver: `webhook = URL secret-file=PATH` in the
// verifier's configuration, the file holding `whsec_<base64 of 24..64 bytes>`.
// A receiver recomputes the HMAC over the raw body, compares in constant time
// and refuses timestamps more than a few minutes old (replays).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/secure.h"

namespace paw::verifier {

// WebhookTarget is one configured receiver: where, and the key (empty: unsigned).
struct WebhookTarget {
  std::string url;
  SecretBytes secret;
};

// parse_webhook_spec reads "URL" or "URL secret-file=PATH" (the value of one
// `webhook` setting) and loads the secret. Errc::config_error for an unknown
// attribute, an unreadable file or a secret not of the whsec_ form.
Result<WebhookTarget> parse_webhook_spec(const std::string& spec);

// parse_webhook_secret decodes "whsec_<base64>" (24 to 64 bytes; surrounding
// whitespace ignored). Errc::config_error otherwise.
Result<SecretBytes> parse_webhook_secret(std::string_view text);

// webhook_signature returns the webhook-signature header value "v1,<base64>".
std::string webhook_signature(ByteView secret, std::string_view id, std::int64_t timestamp, std::string_view body);

}  // namespace paw::verifier
