// tls_stream: see tls_stream.hpp.
#include "tls_stream.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <bearssl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "credentials.hpp"

namespace sansmqtt::examples {

namespace {

std::int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// insecure (mosquitto's --insecure): the server's chain is checked as always (trust anchors,
// signatures, validity dates, key usage) but not its name. This X.509 class stands in front of
// the minimal engine and starts each chain without a name, which BearSSL takes as "no name check";
// SNI is still sent, since br_ssl_client_reset() gets the name.
struct any_name_x509 {
    const br_x509_class* vtable;  // first: BearSSL passes a pointer to this member
    br_x509_minimal_context* checked;
};

const br_x509_class** inner(const br_x509_class* const* ctx) {
    return &reinterpret_cast<const any_name_x509*>(ctx)->checked->vtable;
}
void any_name_start_chain(const br_x509_class** ctx, const char*) {
    (*inner(ctx))->start_chain(inner(ctx), nullptr);
}
void any_name_start_cert(const br_x509_class** ctx, std::uint32_t length) {
    (*inner(ctx))->start_cert(inner(ctx), length);
}
void any_name_append(const br_x509_class** ctx, const unsigned char* buf, std::size_t len) {
    (*inner(ctx))->append(inner(ctx), buf, len);
}
void any_name_end_cert(const br_x509_class** ctx) { (*inner(ctx))->end_cert(inner(ctx)); }
unsigned any_name_end_chain(const br_x509_class** ctx) { return (*inner(ctx))->end_chain(inner(ctx)); }
const br_x509_pkey* any_name_get_pkey(const br_x509_class* const* ctx, unsigned* usages) {
    return (*inner(ctx))->get_pkey(inner(ctx), usages);
}
const br_x509_class any_name_vtable = {
    sizeof(any_name_x509),    any_name_start_chain, any_name_start_cert, any_name_append,
    any_name_end_cert,        any_name_end_chain,   any_name_get_pkey,
};

const char* alert_name(int alert) {
    switch (alert) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 116: return "certificate_required";
    default: return "unknown alert";
    }
}

// What a fatal alert from the server means for us.
std::string received_alert(int alert) {
    const std::string which = "(TLS alert " + std::to_string(alert) + " " + alert_name(alert) + ")";
    switch (alert) {
    case 40:
    case 42:
    case 46:
    case 48:
    case 116: return "the server refused our certificate or demanded one " + which;
    case 43: return "the server cannot use our certificate " + which;
    case 44: return "the server says our certificate was revoked " + which;
    case 45: return "the server says our certificate expired " + which;
    case 49: return "the server denied access " + which;
    case 51: return "the server could not verify our signature (wrong key for the certificate?) " + which;
    case 70: return "the server does not accept TLS 1.2 " + which;
    case 71: return "the server wants stronger security than we offered " + which;
    case 112: return "the server does not serve the name we asked for (SNI) " + which;
    case 20: return "the server saw a record fail its integrity check: data altered in transit " + which;
    default: return "the server ended the connection " + which;
    }
}

}  // namespace

std::string describe_tls_error(int code, const std::string& server_name) {
    if (code >= BR_ERR_SEND_FATAL_ALERT) {
        const int alert = code - BR_ERR_SEND_FATAL_ALERT;
        return "we aborted the connection (TLS alert " + std::to_string(alert) + " " + alert_name(alert) + ")";
    }
    if (code >= BR_ERR_RECV_FATAL_ALERT) return received_alert(code - BR_ERR_RECV_FATAL_ALERT);
    switch (code) {
    case BR_ERR_OK: return "no error";
    // The server's certificate (BearSSL's X.509 "minimal" engine).
    case BR_ERR_X509_EXPIRED: return "certificate expired or not yet valid";
    case BR_ERR_X509_NOT_TRUSTED: return "unknown CA (certificate not trusted)";
    case BR_ERR_X509_BAD_SERVER_NAME: {
        std::string words = "name mismatch (server certificate is not for " + server_name + ")";
        unsigned char address[16];
        const char* name = server_name.c_str();
        if (inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1) {
            words += "; BearSSL matches DNS names only: give the certificate's DNS name as the TLS server name";
        }
        return words;
    }
    case BR_ERR_X509_EMPTY_CHAIN: return "the server sent no certificate";
    case BR_ERR_X509_TIME_UNKNOWN: return "the current time is unknown: cannot check the certificate's dates";
    case BR_ERR_X509_BAD_SIGNATURE: return "a certificate's signature is invalid";
    case BR_ERR_X509_DN_MISMATCH: return "broken certificate chain (an issuer name does not match)";
    case BR_ERR_X509_NOT_CA: return "a certificate that is not a CA signed another in the chain";
    case BR_ERR_X509_FORBIDDEN_KEY_USAGE: return "the server certificate's key usage forbids TLS server use";
    case BR_ERR_X509_WEAK_PUBLIC_KEY: return "a certificate's key is too weak";
    case BR_ERR_X509_CRITICAL_EXTENSION: return "a certificate has a critical extension BearSSL does not support";
    case BR_ERR_X509_UNSUPPORTED: return "a certificate uses an algorithm BearSSL does not support";
    case BR_ERR_X509_WRONG_KEY_TYPE: return "a certificate's key type does not match its use";
    case BR_ERR_X509_LIMIT_EXCEEDED: return "the certificate chain is too long or too large";
    // The TLS engine.
    case BR_ERR_BAD_PARAM: return "bad TLS parameter (a programming error)";
    case BR_ERR_BAD_STATE: return "TLS engine used in the wrong state (a programming error)";
    case BR_ERR_UNSUPPORTED_VERSION:
    case BR_ERR_BAD_VERSION: return "the server does not speak TLS 1.2 (or is not a TLS server)";
    case BR_ERR_BAD_LENGTH:
    case BR_ERR_UNKNOWN_TYPE: return "the server's reply is not TLS (is this the TLS port?)";
    case BR_ERR_TOO_LARGE: return "a TLS record or handshake message is too large";
    case BR_ERR_BAD_MAC: return "record integrity check failed (bad MAC): data altered in transit";
    case BR_ERR_NO_RANDOM: return "no random source to seed the TLS engine";
    case BR_ERR_UNEXPECTED: return "unexpected TLS message from the server";
    case BR_ERR_BAD_CCS: return "malformed ChangeCipherSpec from the server";
    case BR_ERR_BAD_ALERT: return "malformed alert from the server";
    case BR_ERR_BAD_HANDSHAKE: return "malformed handshake message from the server";
    case BR_ERR_OVERSIZED_ID: return "the server's session ID is too long";
    case BR_ERR_BAD_CIPHER_SUITE: return "the server chose a cipher suite we did not offer";
    case BR_ERR_BAD_COMPRESSION: return "the server chose compression, which we did not offer";
    case BR_ERR_BAD_FRAGLEN: return "the server's maximum fragment length does not match ours";
    case BR_ERR_BAD_SECRENEG: return "secure renegotiation failed";
    case BR_ERR_EXTRA_EXTENSION: return "the server sent a TLS extension we did not ask for";
    case BR_ERR_BAD_SNI: return "the server sent a malformed SNI extension";
    case BR_ERR_BAD_HELLO_DONE: return "malformed ServerHelloDone from the server";
    case BR_ERR_LIMIT_EXCEEDED: return "a limit was exceeded (the server's key is too large?)";
    case BR_ERR_BAD_FINISHED: return "handshake integrity check failed (Finished does not match)";
    case BR_ERR_RESUME_MISMATCH: return "the server resumed a session with other parameters";
    case BR_ERR_INVALID_ALGORITHM: return "the server chose an algorithm we do not support (curve, signature or hash)";
    case BR_ERR_BAD_SIGNATURE: return "the server's key exchange signature is invalid";
    case BR_ERR_WRONG_KEY_USAGE: return "the server's key may not be used for this cipher suite";
    case BR_ERR_NO_CLIENT_AUTH: return "client authentication failed";
    case BR_ERR_IO: return "I/O error or premature close on the connection";
    default:
        if (code >= BR_ERR_X509_OK && code < 64) {
            return "malformed server certificate (X.509 error " + std::to_string(code) + ")";
        }
        return "TLS error " + std::to_string(code);
    }
}

// Everything BearSSL points into lives here, on the heap, at a fixed address.
struct tls_stream::engine {
    br_ssl_client_context client{};
    br_x509_minimal_context minimal{};
    any_name_x509 any_name{};
    tls::credentials credentials;
    std::vector<unsigned char> buffer;
    std::string server_name;

    br_ssl_engine_context* eng() { return &client.eng; }
    unsigned state() const { return br_ssl_engine_current_state(&client.eng); }
};

std::unique_ptr<tls_stream> tls_stream::start(std::unique_ptr<tcp_stream> tcp, const tls_options& options,
                                              std::string& error) {
    if (!tcp || tcp->fd() < 0) {
        error = "no TCP connection to run TLS over";
        return nullptr;
    }
    auto e = std::make_unique<engine>();
    e->server_name = options.server_name.empty() ? tcp->host() : options.server_name;
    if (options.ca_file.empty()) {
        error = "no trust anchor: pass --cafile (the authorities that may sign the server's certificate)";
        return nullptr;
    }
    if (e->server_name.empty() && !options.insecure) {
        error = "no server name to check the server's certificate against: set the server name";
        return nullptr;
    }
    if (!e->credentials.load_trust_anchors(options.ca_file, error)) return nullptr;
    if (options.cert_file.empty() != options.key_file.empty()) {
        error = options.cert_file.empty() ? "a private key without its certificate: pass --cert too"
                                          : "a certificate without its private key: pass --key too";
        return nullptr;
    }
    if (!options.cert_file.empty() && !e->credentials.load_identity(options.cert_file, options.key_file, error)) {
        return nullptr;
    }
    // br_ssl_client_reset() seeds the engine's random generator from this system source.
    const char* seeder_name = nullptr;
    if (br_prng_seeder_system(&seeder_name) == nullptr) {
        error = "BearSSL has no system random source on this platform: the TLS engine cannot be seeded";
        return nullptr;
    }

    const tls::credentials& c = e->credentials;
    br_ssl_client_init_full(&e->client, &e->minimal, c.anchors(), c.anchor_count());
    br_ssl_engine_set_versions(e->eng(), BR_TLS12, BR_TLS12);
    if (options.insecure) {
        std::fprintf(stderr,
                     "warning: insecure TLS: the server certificate's name is not checked; any server with a "
                     "certificate from these CAs can pose as %s\n",
                     e->server_name.empty() ? tcp->peer().c_str() : e->server_name.c_str());
        e->any_name.vtable = &any_name_vtable;
        e->any_name.checked = &e->minimal;
        br_ssl_engine_set_x509(e->eng(), &e->any_name.vtable);
    }
    if (c.key_type() == BR_KEYTYPE_RSA) {
        br_ssl_client_set_single_rsa(&e->client, c.chain(), c.chain_length(), &c.rsa_key(),
                                     br_rsa_pkcs1_sign_get_default());
    } else if (c.key_type() == BR_KEYTYPE_EC) {
        // ECDSA signatures only (BR_KEYTYPE_SIGN): static ECDH (BR_KEYTYPE_KEYX) would need a
        // certificate made for key agreement, and brokers no longer offer those cipher suites.
        br_ssl_client_set_single_ec(&e->client, c.chain(), c.chain_length(), &c.ec_key(), BR_KEYTYPE_SIGN,
                                    static_cast<unsigned>(c.issuer_key_type()), br_ec_get_default(),
                                    br_ecdsa_sign_asn1_get_default());
    }
    e->buffer.resize(BR_SSL_BUFSIZE_BIDI);
    br_ssl_engine_set_buffer(e->eng(), e->buffer.data(), e->buffer.size(), 1);
    if (br_ssl_client_reset(&e->client, e->server_name.empty() ? nullptr : e->server_name.c_str(), 0) == 0) {
        error = "cannot start TLS: " + describe_tls_error(br_ssl_engine_last_error(e->eng()), e->server_name);
        return nullptr;
    }
    std::unique_ptr<tls_stream> s(new tls_stream(std::move(tcp), std::move(e)));
    s->pump(false);  // the ClientHello leaves now
    if (s->failed_) {
        error = s->error_;
        return nullptr;
    }
    return s;
}

tls_stream::tls_stream(std::unique_ptr<tcp_stream> tcp, std::unique_ptr<engine> e)
    : tcp_(std::move(tcp)), e_(std::move(e)) {}

tls_stream::~tls_stream() { close(); }

bool tls_stream::handshake_done() const {
    if (!handshake_done_ && (e_->state() & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) != 0) handshake_done_ = true;
    return handshake_done_;
}

io_result tls_stream::fail(const std::string& why) {
    if (!failed_) error_ = why;
    failed_ = true;
    return {io_state::failed, 0};
}

// True once the engine has closed: cleanly (close_notify), or with an error, which fails us.
bool tls_stream::engine_closed() {
    if ((e_->state() & BR_SSL_CLOSED) == 0) return false;
    const int err = br_ssl_engine_last_error(e_->eng());
    if (err == BR_ERR_OK) {
        clean_close_ = true;
    } else {
        fail((handshake_done() ? std::string("TLS: ") : "TLS handshake with " + e_->server_name + " failed: ") +
             describe_tls_error(err, e_->server_name));
    }
    return true;
}

// Moves records between the engine and the socket until neither can move: records out first
// (SENDREC), then records in (RECVREC) when `receive` is set. read() receives; write() and flush()
// only send, so records are decrypted only where their plaintext is handed out at once, and
// poll() never sleeps on plaintext already inside the engine.
void tls_stream::pump(bool receive) {
    while (!failed_ && tcp_->fd() >= 0) {
        (void)handshake_done();  // noted before a failure can close the engine
        if (engine_closed()) return;
        const unsigned st = e_->state();
        if ((st & BR_SSL_SENDREC) != 0) {
            std::size_t len = 0;
            unsigned char* buf = br_ssl_engine_sendrec_buf(e_->eng(), &len);
            const io_result w = tcp_->write(buf, len);
            if (w.state != io_state::ok) return transport_failed(tcp_->error());
            if (w.bytes > 0) {
                br_ssl_engine_sendrec_ack(e_->eng(), w.bytes);
                continue;
            }
        }
        if (receive && !peer_eof_ && (st & BR_SSL_RECVREC) != 0) {
            std::size_t len = 0;
            unsigned char* buf = br_ssl_engine_recvrec_buf(e_->eng(), &len);
            const io_result r = tcp_->read(buf, len);
            if (r.state == io_state::failed) return transport_failed(tcp_->error());
            if (r.state == io_state::closed) {
                peer_eof_ = true;
                return;
            }
            if (r.bytes > 0) {
                br_ssl_engine_recvrec_ack(e_->eng(), r.bytes);
                continue;
            }
        }
        return;
    }
}

// The socket failed (reset, broken pipe). A server that rejects us usually sends an alert and
// then closes; if we were still writing, the reset can come before we read the alert. So let the
// engine see whatever already arrived, and report the alert if there was one.
void tls_stream::transport_failed(const std::string& why) {
    for (int i = 0; i < 8; ++i) {
        const unsigned st = e_->state();
        if ((st & BR_SSL_CLOSED) != 0 || (st & BR_SSL_RECVREC) == 0) break;
        std::size_t len = 0;
        unsigned char* buf = br_ssl_engine_recvrec_buf(e_->eng(), &len);
        const ssize_t n = ::recv(tcp_->fd(), buf, len, MSG_DONTWAIT);  // the tcp_stream itself has failed
        if (n <= 0) break;
        br_ssl_engine_recvrec_ack(e_->eng(), static_cast<std::size_t>(n));
    }
    if (engine_closed() && failed_) return;
    fail(handshake_done() ? why : "TLS handshake with " + e_->server_name + " failed: " + why);
}

std::size_t tls_stream::take_plaintext(std::uint8_t* out, std::size_t max) {
    if ((e_->state() & BR_SSL_RECVAPP) == 0) return 0;
    std::size_t len = 0;
    const unsigned char* buf = br_ssl_engine_recvapp_buf(e_->eng(), &len);
    const std::size_t n = std::min(len, max);
    std::memcpy(out, buf, n);
    br_ssl_engine_recvapp_ack(e_->eng(), n);
    return n;
}

io_result tls_stream::read(std::uint8_t* out, std::size_t max) {
    if (failed_) return {io_state::failed, 0};
    if (tcp_->fd() < 0) return fail("the TLS connection was closed by this program");
    if (max == 0) return {};
    // 1. Plaintext the engine already holds.
    if (const std::size_t n = take_plaintext(out, max); n > 0) return {io_state::ok, n};
    // 2./3. Records out, records in; then the plaintext they carried.
    pump(true);
    if (failed_) return {io_state::failed, 0};
    if (const std::size_t n = take_plaintext(out, max); n > 0) return {io_state::ok, n};
    if (clean_close_) return {io_state::closed, 0};
    if (peer_eof_) {
        return fail(handshake_done() ? "the server closed the connection without TLS close_notify"
                                     : "TLS handshake with " + e_->server_name +
                                           " failed: the server closed the connection");
    }
    return {};
}

io_result tls_stream::write(const std::uint8_t* data, std::size_t size) {
    if (failed_) return {io_state::failed, 0};
    if (tcp_->fd() < 0) return fail("the TLS connection was closed by this program");
    pump(false);
    if (failed_) return {io_state::failed, 0};
    if (clean_close_) return {io_state::closed, 0};
    if (size == 0) return {};
    // 4. Plaintext in, once the handshake is done and while the engine has room.
    if ((e_->state() & BR_SSL_SENDAPP) == 0) {
        write_refused_ = true;
        return {};
    }
    write_refused_ = false;
    std::size_t len = 0;
    unsigned char* buf = br_ssl_engine_sendapp_buf(e_->eng(), &len);
    const std::size_t n = std::min(len, size);
    std::memcpy(buf, data, n);
    br_ssl_engine_sendapp_ack(e_->eng(), n);
    br_ssl_engine_flush(e_->eng(), 0);  // a record now, not when the buffer fills
    pump(false);
    if (failed_) return {io_state::failed, 0};
    return {io_state::ok, n};
}

bool tls_stream::flush() {
    if (failed_) return false;
    if (tcp_->fd() >= 0) pump(false);
    return !failed_;
}

bool tls_stream::has_pending_output() const {
    return !failed_ && tcp_->fd() >= 0 && (e_->state() & BR_SSL_SENDREC) != 0;
}

int tls_stream::fd() const { return tcp_->fd(); }

short tls_stream::wanted_events() const {
    if (failed_ || tcp_->fd() < 0) return 0;
    const unsigned st = e_->state();
    if ((st & BR_SSL_CLOSED) != 0) return 0;
    int events = 0;
    if ((st & BR_SSL_RECVREC) != 0 || peer_eof_) events |= POLLIN;  // after EOF: come back to read() it
    if ((st & BR_SSL_SENDREC) != 0) events |= POLLOUT;
    if (write_refused_ && (st & BR_SSL_SENDAPP) != 0) events |= POLLOUT;  // write() can take now
    if (tcp_->has_pending_output()) events |= POLLOUT;
    return static_cast<short>(events);
}

void tls_stream::close() {
    if (tcp_->fd() < 0) return;
    if (!failed_ && (e_->state() & BR_SSL_CLOSED) == 0) {
        br_ssl_engine_close(e_->eng());  // queues close_notify
        const std::int64_t deadline = now_ms() + 100;
        while (true) {
            pump(false);
            if (failed_ || (e_->state() & BR_SSL_SENDREC) == 0) break;
            const std::int64_t left = deadline - now_ms();
            if (left <= 0) break;
            pollfd p{};
            p.fd = tcp_->fd();
            p.events = POLLOUT;
            (void)::poll(&p, 1, static_cast<int>(left));
        }
    }
    tcp_->close();
}

const std::string& tls_stream::error() const { return error_; }

int tls_stream::tls_error() const { return br_ssl_engine_last_error(&e_->client.eng); }

const std::string& tls_stream::server_name() const { return e_->server_name; }

}  // namespace sansmqtt::examples
