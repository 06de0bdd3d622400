// credentials: see credentials.hpp. The PEM and X.509 decoding follows BearSSL's own tools
// (tools/files.c, tools/certs.c, tools/keys.c): br_pem_decoder for the text, br_x509_decoder for
// certificates, br_skey_decoder for private keys.
#include "credentials.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

namespace sansmqtt::examples::tls {

namespace {

bool read_whole_file(const std::string& path, std::vector<unsigned char>& out, int& err) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!f) {
        err = errno;
        return false;
    }
    unsigned char chunk[4096];
    while (true) {
        const std::size_t n = std::fread(chunk, 1, sizeof chunk, f.get());
        out.insert(out.end(), chunk, chunk + n);
        if (n < sizeof chunk) break;
    }
    if (std::ferror(f.get())) {
        err = EIO;
        return false;
    }
    return true;
}

// Receives decoded bytes (PEM contents, a certificate's subject DN) into a std::vector.
void append_to_vector(void* ctx, const void* data, std::size_t len) {
    auto* v = static_cast<std::vector<unsigned char>*>(ctx);
    const auto* p = static_cast<const unsigned char*>(data);
    v->insert(v->end(), p, p + len);
}

void ignore_bytes(void*, const void*, std::size_t) {}

bool is_certificate(const pem_object& o) { return o.name == "CERTIFICATE" || o.name == "X509 CERTIFICATE"; }

const char* key_type_name(int type) {
    switch (type) {
    case BR_KEYTYPE_RSA: return "an RSA";
    case BR_KEYTYPE_EC: return "an EC";
    default: return "an unsupported";
    }
}

// Big-endian unsigned integers equal, leading zero bytes aside.
bool same_integer(const unsigned char* a, std::size_t alen, const unsigned char* b, std::size_t blen) {
    while (alen > 0 && *a == 0) ++a, --alen;
    while (blen > 0 && *b == 0) ++b, --blen;
    return alen == blen && std::memcmp(a, b, alen) == 0;
}

}  // namespace

bool read_pem_file(const std::string& path, const char* what, std::vector<pem_object>& out, std::string& error) {
    std::vector<unsigned char> text;
    int err = 0;
    if (!read_whole_file(path, text, err)) {
        error = std::string("cannot read ") + what + " '" + path + "': " + std::strerror(err);
        return false;
    }
    br_pem_decoder_context pc;
    br_pem_decoder_init(&pc);
    static const unsigned char newline[] = {'\n'};
    const unsigned char* buf = text.data();
    std::size_t len = text.size();
    bool extra_newline = true;  // the decoder needs a line end after the last END line
    bool inside = false;
    pem_object current;
    while (len > 0) {
        const std::size_t used = br_pem_decoder_push(&pc, buf, len);
        buf += used;
        len -= used;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            current = pem_object{br_pem_decoder_name(&pc), {}};
            br_pem_decoder_setdest(&pc, append_to_vector, &current.der);
            inside = true;
            break;
        case BR_PEM_END_OBJ:
            if (inside) out.push_back(std::move(current));
            inside = false;
            break;
        case BR_PEM_ERROR:
            error = std::string(what) + " '" + path + "': invalid PEM data (broken base64 or line structure)";
            return false;
        default: break;
        }
        if (len == 0 && extra_newline) {
            extra_newline = false;
            buf = newline;
            len = 1;
        }
    }
    if (inside) {
        error = std::string(what) + " '" + path + "': the PEM object '" + current.name + "' has no END line";
        return false;
    }
    return true;
}

unsigned char* credentials::keep(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    bytes_.emplace_back(p, p + size);
    return bytes_.back().data();
}

bool credentials::load_trust_anchors(const std::string& path, std::string& error) {
    std::vector<pem_object> objects;
    if (!read_pem_file(path, "CA file", objects, error)) return false;
    std::size_t index = 0;
    std::size_t added = 0;
    std::string first_problem;
    for (const pem_object& o : objects) {
        if (!is_certificate(o)) continue;
        ++index;
        std::vector<unsigned char> dn;
        br_x509_decoder_context dc;
        br_x509_decoder_init(&dc, append_to_vector, &dn);
        br_x509_decoder_push(&dc, o.der.data(), o.der.size());
        const br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
        br_x509_trust_anchor ta{};
        if (pk != nullptr && pk->key_type == BR_KEYTYPE_RSA) {
            ta.pkey.key.rsa.n = keep(pk->key.rsa.n, pk->key.rsa.nlen);
            ta.pkey.key.rsa.nlen = pk->key.rsa.nlen;
            ta.pkey.key.rsa.e = keep(pk->key.rsa.e, pk->key.rsa.elen);
            ta.pkey.key.rsa.elen = pk->key.rsa.elen;
        } else if (pk != nullptr && pk->key_type == BR_KEYTYPE_EC) {
            ta.pkey.key.ec.curve = pk->key.ec.curve;
            ta.pkey.key.ec.q = keep(pk->key.ec.q, pk->key.ec.qlen);
            ta.pkey.key.ec.qlen = pk->key.ec.qlen;
        } else {
            // A bundle such as /etc/ssl/certs/ca-certificates.crt may hold a certificate BearSSL
            // cannot use; skip it, and complain only when nothing usable is left.
            if (first_problem.empty()) {
                first_problem = "certificate " + std::to_string(index) +
                                (pk == nullptr ? " cannot be decoded (X.509 error " +
                                                     std::to_string(br_x509_decoder_last_error(&dc)) + ")"
                                               : " has a key type BearSSL does not support");
            }
            continue;
        }
        ta.pkey.key_type = pk->key_type;
        ta.dn.data = keep(dn.data(), dn.size());
        ta.dn.len = dn.size();
        ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
        anchors_.push_back(ta);
        ++added;
    }
    if (added == 0) {
        error = "CA file '" + path + "' " +
                (index == 0 ? std::string("holds no certificate (PEM 'BEGIN CERTIFICATE' blocks expected)")
                            : "holds no usable certificate: " + first_problem);
        return false;
    }
    return true;
}

bool credentials::load_identity(const std::string& cert_path, const std::string& key_path, std::string& error) {
    // The chain, leaf first, sent as it is.
    std::vector<pem_object> objects;
    if (!read_pem_file(cert_path, "certificate file", objects, error)) return false;
    for (const pem_object& o : objects) {
        if (is_certificate(o)) chain_.push_back(br_x509_certificate{keep(o.der.data(), o.der.size()), o.der.size()});
    }
    if (chain_.empty()) {
        error = "certificate file '" + cert_path + "' holds no certificate (PEM 'BEGIN CERTIFICATE' blocks expected)";
        return false;
    }
    br_x509_decoder_context leaf;
    br_x509_decoder_init(&leaf, ignore_bytes, nullptr);
    br_x509_decoder_push(&leaf, chain_[0].data, chain_[0].data_len);
    const br_x509_pkey* leaf_key = br_x509_decoder_get_pkey(&leaf);
    if (leaf_key == nullptr) {
        error = "certificate file '" + cert_path + "': the first certificate cannot be decoded (X.509 error " +
                std::to_string(br_x509_decoder_last_error(&leaf)) + ")";
        return false;
    }
    issuer_key_type_ = br_x509_decoder_get_signer_key_type(&leaf);

    // The private key: the first key object of the file.
    objects.clear();
    if (!read_pem_file(key_path, "key file", objects, error)) return false;
    const pem_object* key = nullptr;
    for (const pem_object& o : objects) {
        if (o.name == "ENCRYPTED PRIVATE KEY") {
            error = "key file '" + key_path + "' holds an encrypted key, which BearSSL cannot read: decrypt it with "
                    "'openssl pkey -in " + key_path + " -out plain.key'";
            return false;
        }
        if (o.name == "RSA PRIVATE KEY" || o.name == "EC PRIVATE KEY" || o.name == "PRIVATE KEY") {
            key = &o;
            break;
        }
    }
    if (key == nullptr) {
        error = "key file '" + key_path +
                "' holds no private key (PEM 'EC PRIVATE KEY', 'RSA PRIVATE KEY' or 'PRIVATE KEY' expected)";
        return false;
    }
    br_skey_decoder_context kc;
    br_skey_decoder_init(&kc);
    br_skey_decoder_push(&kc, key->der.data(), key->der.size());
    if (const int err = br_skey_decoder_last_error(&kc); err != 0) {
        error = "key file '" + key_path + "': the private key cannot be decoded (BearSSL error " + std::to_string(err) +
                "; RSA keys and EC keys on P-256, P-384 and P-521 are supported)";
        return false;
    }
    key_type_ = br_skey_decoder_key_type(&kc);
    if (key_type_ != leaf_key->key_type) {
        error = "key file '" + key_path + "' holds " + key_type_name(key_type_) + " key but the certificate in '" +
                cert_path + "' is for " + key_type_name(leaf_key->key_type) + " key";
        key_type_ = 0;
        return false;
    }
    bool matches = false;
    if (key_type_ == BR_KEYTYPE_RSA) {
        const br_rsa_private_key* sk = br_skey_decoder_get_rsa(&kc);
        rsa_.n_bitlen = sk->n_bitlen;
        rsa_.p = keep(sk->p, sk->plen);
        rsa_.plen = sk->plen;
        rsa_.q = keep(sk->q, sk->qlen);
        rsa_.qlen = sk->qlen;
        rsa_.dp = keep(sk->dp, sk->dplen);
        rsa_.dplen = sk->dplen;
        rsa_.dq = keep(sk->dq, sk->dqlen);
        rsa_.dqlen = sk->dqlen;
        rsa_.iq = keep(sk->iq, sk->iqlen);
        rsa_.iqlen = sk->iqlen;
        const br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
        unsigned char n[1024];  // up to RSA-8192
        const std::size_t n_size = modulus(nullptr, &rsa_);
        matches = n_size != 0 && n_size <= sizeof n && modulus(n, &rsa_) == n_size &&
                  same_integer(n, n_size, leaf_key->key.rsa.n, leaf_key->key.rsa.nlen);
    } else {
        const br_ec_private_key* sk = br_skey_decoder_get_ec(&kc);
        ec_.curve = sk->curve;
        ec_.x = keep(sk->x, sk->xlen);
        ec_.xlen = sk->xlen;
        unsigned char pub[BR_EC_KBUF_PUB_MAX_SIZE];
        const std::size_t publen = br_ec_compute_pub(br_ec_get_default(), nullptr, pub, &ec_);
        matches = publen != 0 && ec_.curve == leaf_key->key.ec.curve && publen == leaf_key->key.ec.qlen &&
                  std::memcmp(pub, leaf_key->key.ec.q, publen) == 0;
    }
    if (!matches) {
        error = "key file '" + key_path + "' does not match the certificate in '" + cert_path +
                "' (the key belongs to another certificate)";
        key_type_ = 0;
        return false;
    }
    return true;
}

}  // namespace sansmqtt::examples::tls
