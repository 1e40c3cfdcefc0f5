#include "x509_chain.h"

#include <openssl/x509_vfy.h>

#include <ctime>
#include <string>

namespace paw::detail {
namespace {

// free_stack frees the stack only: the certificates belong to their own handles.
void free_stack(STACK_OF(X509) * s) { sk_X509_free(s); }

}  // namespace

Status verify_x509_chain(const std::vector<UniquePtr<X509, X509_free>>& certs, X509_STORE* roots, std::int64_t now,
                         unsigned long flags, std::string_view what) {
  UniquePtr<STACK_OF(X509), free_stack> untrusted(sk_X509_new_null());
  UniquePtr<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return make_error(Errc::internal, "out of memory");
  for (std::size_t i = 1; i < certs.size(); ++i) {
    if (sk_X509_push(untrusted.get(), certs[i].get()) <= 0) return make_error(Errc::internal, "out of memory");
  }
  if (X509_STORE_CTX_init(ctx.get(), roots, certs.front().get(), untrusted.get()) != 1)
    return make_error(Errc::internal, "X509_STORE_CTX_init");
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(now));
  if (flags != 0) X509_STORE_CTX_set_flags(ctx.get(), flags);
  if (X509_verify_cert(ctx.get()) != 1) {
    return make_error(Errc::untrusted_chain,
                      std::string(what) + ": " + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  return ok_status();
}

}  // namespace paw::detail
