// credentials: PEM files read into the structures BearSSL takes: trust anchors
// (br_x509_trust_anchor) from a CA bundle, and a client certificate chain (br_x509_certificate)
// with its private key (br_rsa_private_key or br_ec_private_key) for mutual TLS.
//
// BearSSL keeps pointers to all of these for the whole connection, so a credentials object owns
// every byte they point to, cannot be copied, and must outlive the TLS engine that uses it.
//
// Examples only: the heap and stdio; the library never includes this.
#pragma once

#include <bearssl.h>

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace sansmqtt::examples::tls {

// One object of a PEM file: its name ("CERTIFICATE", "EC PRIVATE KEY", ...) and its DER bytes.
struct pem_object {
    std::string name;
    std::vector<unsigned char> der;
};

// Every PEM object of the file at `path`, in order (text outside objects is skipped). False and
// `error` ("cannot read <what> 'path': ...", "<what> 'path': invalid PEM ...") otherwise; `what`
// names the file in messages ("CA file", "key file").
bool read_pem_file(const std::string& path, const char* what, std::vector<pem_object>& out, std::string& error);

class credentials {
public:
    credentials() = default;
    credentials(const credentials&) = delete;
    credentials& operator=(const credentials&) = delete;

    // Adds every certificate of the PEM file at `path` as a trust anchor (a CA anchor when the
    // certificate says it is a CA, else an anchor for exactly that certificate). RSA and EC keys.
    // False and `error` when the file cannot be read or holds no usable certificate.
    bool load_trust_anchors(const std::string& path, std::string& error);

    // Reads our certificate chain (PEM, leaf first) and its private key (PEM: "EC PRIVATE KEY",
    // "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY"; not encrypted), and checks that the key belongs
    // to the leaf certificate. False and `error` otherwise.
    bool load_identity(const std::string& cert_path, const std::string& key_path, std::string& error);

    const br_x509_trust_anchor* anchors() const { return anchors_.data(); }
    std::size_t anchor_count() const { return anchors_.size(); }

    const br_x509_certificate* chain() const { return chain_.data(); }
    std::size_t chain_length() const { return chain_.size(); }
    // BR_KEYTYPE_RSA or BR_KEYTYPE_EC once an identity is loaded, else 0.
    int key_type() const { return key_type_; }
    const br_rsa_private_key& rsa_key() const { return rsa_; }
    const br_ec_private_key& ec_key() const { return ec_; }
    // The key type of the CA that signed our leaf certificate (BR_KEYTYPE_RSA or BR_KEYTYPE_EC).
    int issuer_key_type() const { return issuer_key_type_; }

private:
    unsigned char* keep(const void* data, std::size_t size);

    std::deque<std::vector<unsigned char>> bytes_;  // every buffer the BearSSL structures point to
    std::vector<br_x509_trust_anchor> anchors_;
    std::vector<br_x509_certificate> chain_;
    int key_type_ = 0;
    int issuer_key_type_ = 0;
    br_rsa_private_key rsa_{};
    br_ec_private_key ec_{};
};

}  // namespace sansmqtt::examples::tls
