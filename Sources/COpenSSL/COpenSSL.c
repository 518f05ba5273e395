#include "COpenSSL.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CERT(p) ((X509 *)(p))
#define KEY(p) ((EVP_PKEY *)(p))

/// `what`, followed by OpenSSL's reason for the last failure when it gave one.
static void fail(char *error, const char *what) {
    unsigned long code = ERR_peek_last_error();
    if (code != 0) {
        char reason[160];
        ERR_error_string_n(code, reason, sizeof reason);
        snprintf(error, HPA_ERROR_SIZE, "%s (%s)", what, reason);
    } else {
        snprintf(error, HPA_ERROR_SIZE, "%s", what);
    }
    ERR_clear_error();
}

static BIO *read_bio(const char *bytes, size_t length) {
    return length > INT_MAX ? NULL : BIO_new_mem_buf(bytes, (int)length);
}

/// The bytes written to a memory BIO, as a terminated malloc'ed string.
static char *take_text(BIO *bio, size_t *length, char *error) {
    BUF_MEM *memory = NULL;
    BIO_get_mem_ptr(bio, &memory);
    char *text = memory ? malloc(memory->length + 1) : NULL;
    if (text == NULL) {
        fail(error, "out of memory");
    } else {
        memcpy(text, memory->data, memory->length);
        text[memory->length] = 0;
        *length = memory->length;
    }
    BIO_free(bio);
    return text;
}

// MARK: Keys

hpa_key *hpa_key_generate(char *error) {
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    if (context == NULL || EVP_PKEY_keygen_init(context) <= 0 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) <= 0 ||
        EVP_PKEY_keygen(context, &key) <= 0) {
        fail(error, "cannot generate a P-256 key");
        key = NULL;
    }
    EVP_PKEY_CTX_free(context);
    return (hpa_key *)key;
}

hpa_key *hpa_key_read_pem(const char *pem, size_t length, char *error) {
    BIO *bio = read_bio(pem, length);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (key == NULL) fail(error, "no PEM private key");
    return (hpa_key *)key;
}

char *hpa_key_private_pem(const hpa_key *key, size_t *length, char *error) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PrivateKey(bio, KEY(key), NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        fail(error, "cannot write the private key as PEM");
        return NULL;
    }
    return take_text(bio, length, error);
}

char *hpa_key_public_pem(const hpa_key *key, size_t *length, char *error) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PUBKEY(bio, KEY(key))) {
        BIO_free(bio);
        fail(error, "cannot write the public key as PEM");
        return NULL;
    }
    return take_text(bio, length, error);
}

void hpa_key_free(hpa_key *key) { EVP_PKEY_free(KEY(key)); }

// MARK: Issuing

static int add_extension(X509 *certificate, int nid, void *value, int critical) {
    return X509_add1_ext_i2d(certificate, nid, value, critical, X509V3_ADD_DEFAULT) == 1;
}

static int add_key_usage(X509 *certificate, int is_authority) {
    ASN1_BIT_STRING *usage = ASN1_BIT_STRING_new();
    // Bit numbers of RFC 5280's KeyUsage: digitalSignature (0), keyCertSign (5), cRLSign (6).
    int ok = usage != NULL &&
             (is_authority ? ASN1_BIT_STRING_set_bit(usage, 5, 1) && ASN1_BIT_STRING_set_bit(usage, 6, 1)
                           : ASN1_BIT_STRING_set_bit(usage, 0, 1)) &&
             add_extension(certificate, NID_key_usage, usage, 1);
    ASN1_BIT_STRING_free(usage);
    return ok;
}

static int add_basic_constraints(X509 *certificate, int is_authority) {
    BASIC_CONSTRAINTS *constraints = BASIC_CONSTRAINTS_new();
    if (constraints == NULL) return 0;
    constraints->ca = is_authority ? 0xFF : 0;
    int ok = add_extension(certificate, NID_basic_constraints, constraints, 1);
    BASIC_CONSTRAINTS_free(constraints);
    return ok;
}

static int add_extended_usage(X509 *certificate, int usage) {
    if (usage == 0) return 1;
    EXTENDED_KEY_USAGE *usages = sk_ASN1_OBJECT_new_null();
    int ok = usages != NULL &&
             (!(usage & HPA_USAGE_SERVER_AUTH) || sk_ASN1_OBJECT_push(usages, OBJ_nid2obj(NID_server_auth))) &&
             (!(usage & HPA_USAGE_CLIENT_AUTH) || sk_ASN1_OBJECT_push(usages, OBJ_nid2obj(NID_client_auth))) &&
             add_extension(certificate, NID_ext_key_usage, usages, 0);
    sk_ASN1_OBJECT_free(usages); // the objects are OpenSSL's static ones
    return ok;
}

static int push_name(GENERAL_NAMES *names, int type, const unsigned char *bytes, size_t length) {
    GENERAL_NAME *name = GENERAL_NAME_new();
    ASN1_STRING *value = type == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
    if (name == NULL || value == NULL || length > INT_MAX || !ASN1_STRING_set(value, bytes, (int)length)) {
        GENERAL_NAME_free(name);
        ASN1_STRING_free(value);
        return 0;
    }
    GENERAL_NAME_set0_value(name, type, value);
    if (!sk_GENERAL_NAME_push(names, name)) {
        GENERAL_NAME_free(name);
        return 0;
    }
    return 1;
}

static int add_alternative_names(X509 *certificate, const hpa_certificate_request *request) {
    if (request->dns_name_count == 0 && request->ipv4_address_count == 0) return 1;
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    int ok = names != NULL;
    for (size_t i = 0; ok && i < request->dns_name_count; i++)
        ok = push_name(names, GEN_DNS, (const unsigned char *)request->dns_names[i], strlen(request->dns_names[i]));
    for (size_t i = 0; ok && i < request->ipv4_address_count; i++)
        ok = push_name(names, GEN_IPADD, request->ipv4_addresses + 4 * i, 4);
    ok = ok && add_extension(certificate, NID_subject_alt_name, names, 0);
    GENERAL_NAMES_free(names);
    return ok;
}

/// subjectKeyIdentifier, and authorityKeyIdentifier naming the issuer's, so chains build by key.
static int add_key_identifiers(X509 *certificate, X509 *issuer) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, certificate, NULL, NULL, 0);
    X509_EXTENSION *subject = X509V3_EXT_conf_nid(NULL, &context, NID_subject_key_identifier, "hash");
    int ok = subject != NULL && X509_add_ext(certificate, subject, -1);
    X509_EXTENSION_free(subject);
    if (ok && issuer != certificate) {
        X509_EXTENSION *authority = X509V3_EXT_conf_nid(NULL, &context, NID_authority_key_identifier, "keyid:always");
        ok = authority != NULL && X509_add_ext(certificate, authority, -1);
        X509_EXTENSION_free(authority);
    }
    return ok;
}

static X509_NAME *subject_name(const hpa_certificate_request *request) {
    X509_NAME *name = X509_NAME_new();
    int ok = name != NULL;
    for (size_t i = 0; ok && i < request->organization_count; i++)
        ok = X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8, (const unsigned char *)request->organizations[i], -1, -1, 0);
    ok = ok && X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)request->common_name, -1, -1, 0);
    if (!ok) {
        X509_NAME_free(name);
        return NULL;
    }
    return name;
}

/// A random positive 127-bit serial number.
static int set_serial(X509 *certificate) {
    BIGNUM *number = BN_new();
    int ok = number != NULL && BN_rand(number, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != NULL;
    BN_free(number);
    return ok;
}

hpa_certificate *hpa_certificate_issue(const hpa_certificate_request *request, const hpa_key *subject_key,
                                       const hpa_certificate *issuer, const hpa_key *issuer_key, char *error) {
    X509 *certificate = X509_new();
    X509_NAME *subject = subject_name(request);
    X509 *signer = issuer ? CERT(issuer) : certificate;
    int ok = certificate != NULL && subject != NULL && X509_set_version(certificate, X509_VERSION_3) && set_serial(certificate) &&
             X509_set_subject_name(certificate, subject) && X509_set_issuer_name(certificate, X509_get_subject_name(signer)) &&
             ASN1_TIME_set(X509_getm_notBefore(certificate), (time_t)request->not_before) != NULL &&
             ASN1_TIME_set(X509_getm_notAfter(certificate), (time_t)request->not_after) != NULL &&
             X509_set_pubkey(certificate, KEY(subject_key)) && add_basic_constraints(certificate, request->is_authority) &&
             add_key_usage(certificate, request->is_authority) && add_extended_usage(certificate, request->extended_usage) &&
             add_alternative_names(certificate, request) && add_key_identifiers(certificate, signer) &&
             X509_sign(certificate, KEY(issuer ? issuer_key : subject_key), EVP_sha256()) > 0;
    X509_NAME_free(subject);
    if (!ok) {
        fail(error, "cannot issue the certificate");
        X509_free(certificate);
        return NULL;
    }
    return (hpa_certificate *)certificate;
}

// MARK: Reading and writing

hpa_certificate *hpa_certificate_read_der(const unsigned char *der, size_t length, char *error) {
    const unsigned char *cursor = der;
    X509 *certificate = length > LONG_MAX ? NULL : d2i_X509(NULL, &cursor, (long)length);
    if (certificate == NULL) fail(error, "not a DER certificate");
    return (hpa_certificate *)certificate;
}

long hpa_certificates_read_pem(const char *pem, size_t length, hpa_certificate ***certificates, char *error) {
    *certificates = NULL;
    BIO *bio = read_bio(pem, length);
    if (bio == NULL) {
        fail(error, "cannot read the PEM text");
        return -1;
    }
    long count = 0, capacity = 0;
    hpa_certificate **list = NULL;
    ERR_clear_error();
    for (;;) {
        X509 *certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (certificate == NULL) {
            unsigned long code = ERR_peek_last_error();
            if (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
                ERR_clear_error(); // no further CERTIFICATE block
                break;
            }
            fail(error, count == 0 ? "the first PEM certificate is malformed" : "a PEM certificate after the first is malformed");
            for (long i = 0; i < count; i++) X509_free(CERT(list[i]));
            free(list);
            BIO_free(bio);
            return -1;
        }
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 4;
            hpa_certificate **grown = realloc(list, (size_t)capacity * sizeof *list);
            if (grown == NULL) {
                X509_free(certificate);
                for (long i = 0; i < count; i++) X509_free(CERT(list[i]));
                free(list);
                BIO_free(bio);
                fail(error, "out of memory");
                return -1;
            }
            list = grown;
        }
        list[count++] = (hpa_certificate *)certificate;
    }
    BIO_free(bio);
    *certificates = list;
    return count;
}

char *hpa_certificate_pem(const hpa_certificate *certificate, size_t *length, char *error) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509(bio, CERT(certificate))) {
        BIO_free(bio);
        fail(error, "cannot write the certificate as PEM");
        return NULL;
    }
    return take_text(bio, length, error);
}

static int64_t seconds(const ASN1_TIME *time) {
    struct tm parts;
    memset(&parts, 0, sizeof parts);
    return ASN1_TIME_to_tm(time, &parts) ? (int64_t)timegm(&parts) : 0;
}

void hpa_certificate_validity(const hpa_certificate *certificate, int64_t *not_before, int64_t *not_after) {
    *not_before = seconds(X509_get0_notBefore(CERT(certificate)));
    *not_after = seconds(X509_get0_notAfter(CERT(certificate)));
}

int hpa_certificate_common_name(const hpa_certificate *certificate, char *buffer, size_t size) {
    X509_NAME *name = X509_get_subject_name(CERT(certificate));
    int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) return 0;
    unsigned char *text = NULL;
    int length = ASN1_STRING_to_UTF8(&text, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
    int ok = length >= 0 && (size_t)length < size;
    if (ok) {
        memcpy(buffer, text, (size_t)length);
        buffer[length] = 0;
    }
    OPENSSL_free(text);
    return ok;
}

int hpa_certificate_may_authenticate_clients(const hpa_certificate *certificate) {
    X509 *x = CERT(certificate);
    if (!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE)) return 1;
    return (X509_get_extended_key_usage(x) & (XKU_SSL_CLIENT | XKU_ANYEKU)) != 0;
}

int hpa_certificate_matches_key(const hpa_certificate *certificate, const hpa_key *key) {
    int ok = X509_check_private_key(CERT(certificate), KEY(key)) == 1;
    ERR_clear_error();
    return ok;
}

// MARK: Verification

static STACK_OF(X509) *stack(const hpa_certificate *const *certificates, size_t count) {
    STACK_OF(X509) *list = sk_X509_new_null();
    for (size_t i = 0; list != NULL && i < count; i++) {
        if (!sk_X509_push(list, CERT(certificates[i]))) {
            sk_X509_free(list);
            return NULL;
        }
    }
    return list;
}

int hpa_certificate_verify(const hpa_certificate *leaf, const hpa_certificate *const *intermediates, size_t intermediate_count,
                           const hpa_certificate *const *roots, size_t root_count, int64_t at, char *error) {
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *context = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = stack(intermediates, intermediate_count);
    int ok = store != NULL && context != NULL && untrusted != NULL;
    for (size_t i = 0; ok && i < root_count; i++) ok = X509_STORE_add_cert(store, CERT(roots[i]));
    ok = ok && X509_STORE_CTX_init(context, store, CERT(leaf), untrusted);
    if (!ok) {
        fail(error, "cannot set up certificate verification");
    } else {
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context), (time_t)at);
        ok = X509_verify_cert(context) == 1;
        if (!ok) snprintf(error, HPA_ERROR_SIZE, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(context)));
        ERR_clear_error();
    }
    X509_STORE_CTX_free(context);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    return ok;
}

void hpa_certificate_retain(hpa_certificate *certificate) { X509_up_ref(CERT(certificate)); }

void hpa_certificate_free(hpa_certificate *certificate) { X509_free(CERT(certificate)); }
