// Certificates through the system's libcrypto (OpenSSL 3): P-256 keys, X.509 certificates issued
// by a small CA, PEM in and out, chain verification. A narrow C surface so that Swift sees none of
// OpenSSL's declarations (swift-nio-ssl's BoringSSL declares the same struct names).
#ifndef COPENSSL_H
#define COPENSSL_H

#include <stddef.h>
#include <stdint.h>

/// An X509 certificate and an EVP_PKEY private key, opaque to Swift.
typedef struct hpa_certificate hpa_certificate;
typedef struct hpa_key hpa_key;

/// Functions that can fail write a message (at most this many bytes, terminated) into `error`.
#define HPA_ERROR_SIZE 256

#define HPA_USAGE_SERVER_AUTH 1
#define HPA_USAGE_CLIENT_AUTH 2

/// What to put in a certificate. Times are seconds since 1970.
typedef struct {
    const char *common_name;
    const char *const *organizations;
    size_t organization_count;
    const char *const *dns_names;
    size_t dns_name_count;
    /// 4 bytes per IPv4 address.
    const unsigned char *ipv4_addresses;
    size_t ipv4_address_count;
    int64_t not_before;
    int64_t not_after;
    /// A CA (basicConstraints CA:TRUE, keyCertSign and cRLSign) or a leaf (digitalSignature).
    int is_authority;
    /// HPA_USAGE_* bits for a leaf's extendedKeyUsage (none: no extension).
    int extended_usage;
} hpa_certificate_request;

hpa_key *hpa_key_generate(char *error);
hpa_key *hpa_key_read_pem(const char *pem, size_t length, char *error);
/// PKCS#8 "PRIVATE KEY" and SubjectPublicKeyInfo "PUBLIC KEY" PEM; malloc'ed, the caller frees.
char *hpa_key_private_pem(const hpa_key *key, size_t *length, char *error);
char *hpa_key_public_pem(const hpa_key *key, size_t *length, char *error);
void hpa_key_free(hpa_key *key);

/// Signs (SHA-256) a certificate for `subject_key`: self-signed when `issuer` is NULL.
hpa_certificate *hpa_certificate_issue(const hpa_certificate_request *request, const hpa_key *subject_key,
                                       const hpa_certificate *issuer, const hpa_key *issuer_key, char *error);
hpa_certificate *hpa_certificate_read_der(const unsigned char *der, size_t length, char *error);
/// Every CERTIFICATE block of a PEM text (other blocks are skipped): the count, or -1 on error.
/// `*certificates` is malloc'ed; the caller frees each certificate and the array.
long hpa_certificates_read_pem(const char *pem, size_t length, hpa_certificate ***certificates, char *error);
char *hpa_certificate_pem(const hpa_certificate *certificate, size_t *length, char *error);
void hpa_certificate_validity(const hpa_certificate *certificate, int64_t *not_before, int64_t *not_after);
/// The subject's first commonName, UTF-8, into `buffer`: 1, or 0 when there is none (or it is too long).
int hpa_certificate_common_name(const hpa_certificate *certificate, char *buffer, size_t size);
/// 1 when the certificate has no extendedKeyUsage, or one listing clientAuth or anyExtendedKeyUsage.
int hpa_certificate_may_authenticate_clients(const hpa_certificate *certificate);
int hpa_certificate_matches_key(const hpa_certificate *certificate, const hpa_key *key);
/// 1 when `leaf` chains (through `intermediates`) to one of `roots` at time `at`: signatures,
/// validity periods and CA constraints (RFC 5280, OpenSSL's default policy); else 0 and why.
int hpa_certificate_verify(const hpa_certificate *leaf, const hpa_certificate *const *intermediates, size_t intermediate_count,
                           const hpa_certificate *const *roots, size_t root_count, int64_t at, char *error);
/// One more owner of the same certificate (each calls hpa_certificate_free).
void hpa_certificate_retain(hpa_certificate *certificate);
void hpa_certificate_free(hpa_certificate *certificate);

#endif
