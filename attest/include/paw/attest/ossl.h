// paw/attest/ossl.h — the one set of owning handles for OpenSSL objects and
// the one way to turn OpenSSL's error queue into an Error. Every source that
// calls OpenSSL uses these instead of declaring its own aliases.
//
// OpenSSL's error queue is only ever used for the detail of an Error: success
// is decided by each call's documented return value (STYLE.md, "Errors").
// ossl_error drains the queue, so a stale entry never leaks into the next
// failure's detail on the same thread.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>

#include "paw/attest/error.h"
#include "paw/attest/secure.h"

namespace paw {

using EvpPkeyPtr = UniquePtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = UniquePtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = UniquePtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using CipherCtxPtr = UniquePtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using BnPtr = UniquePtr<BIGNUM, BN_free>;
using BnCtxPtr = UniquePtr<BN_CTX, BN_CTX_free>;
using BioPtr = UniquePtr<BIO, BIO_free>;
using EcdsaSigPtr = UniquePtr<ECDSA_SIG, ECDSA_SIG_free>;
using EcGroupPtr = UniquePtr<EC_GROUP, EC_GROUP_free>;
using EcPointPtr = UniquePtr<EC_POINT, EC_POINT_free>;
using ParamBldPtr = UniquePtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = UniquePtr<OSSL_PARAM, OSSL_PARAM_free>;
using X509Ptr = UniquePtr<X509, X509_free>;
using X509NamePtr = UniquePtr<X509_NAME, X509_NAME_free>;
using X509ExtPtr = UniquePtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = UniquePtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = UniquePtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using Asn1ObjectPtr = UniquePtr<ASN1_OBJECT, ASN1_OBJECT_free>;

// OpenSslFree frees memory OpenSSL allocated for the caller (i2d_* output,
// OPENSSL_malloc): `std::unique_ptr<unsigned char, OpenSslFree>`.
struct OpenSslFree {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};

// ossl_drain empties this thread's OpenSSL error queue and returns its entries
// as one line ("" when it was empty).
inline std::string ossl_drain() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// ossl_error fails with |code| and |what|, the drained queue appended in
// parentheses when it held anything.
inline Error ossl_error(Errc code, std::string what) {
  const std::string queue = ossl_drain();
  if (!queue.empty()) what += " (" + queue + ")";
  return make_error(code, std::move(what));
}

}  // namespace paw
