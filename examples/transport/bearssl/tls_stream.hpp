// tls_stream: TLS 1.2 over a tcp_stream, with BearSSL's client engine, as a sansmqtt example stream.
//
//   std::string error;
//   auto tcp = tcp_stream::connect("broker.example", 8883, 5000, error);
//   tls_options tls;
//   tls.ca_file = "ca.pem";                          // the CAs that may sign the broker's certificate
//   tls.cert_file = "me.pem"; tls.key_file = "me.key";   // mutual TLS (optional)
//   auto net = tcp ? tls_stream::start(std::move(tcp), tls, error) : nullptr;
//   if (!net) { std::fprintf(stderr, "%s\n", error.c_str()); return 1; }
//   run_client(*net, mqtt, hooks);                   // client_loop.hpp: the handshake runs there
//
// BearSSL's engine and the sansmqtt client share one idiom: a buffer to fill or drain, then an
// acknowledgement of how much was used. This stream is the pump between the two, in the order of
// BearSSL's sslio: hand out received plaintext (read()), send records (SENDREC -> socket), receive
// records (socket -> RECVREC), take plaintext (write(), then br_ssl_engine_flush so each MQTT
// packet leaves at once). It never blocks: what cannot move now moves on a later call, and
// wanted_events() says which poll() event that needs.
//
// The server's certificate chain is checked against the CA file's anchors, its validity dates
// against the system clock, and its name against `server_name` (sent as SNI too). BearSSL
// matches DNS names only (subjectAltName dNSName, else the CN): connecting to an IP address
// needs server_name set to a DNS name of the certificate (or `insecure`, which skips only the
// name check). Failures become words: "certificate
// expired or not yet valid", "unknown CA (certificate not trusted)", "name mismatch (...)",
// "the server refused our certificate or demanded one (TLS alert 40 handshake_failure)", ...
//
// Examples only: the heap, stdio and BearSSL (link -lbearssl); the library never includes this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../posix/tcp_stream.hpp"
#include "../stream.hpp"

namespace sansmqtt::examples {

struct tls_options {
    std::string ca_file;      // PEM bundle: the trust anchors
    std::string cert_file;    // optional: our certificate chain (PEM), leaf first
    std::string key_file;     // optional: its private key (PEM; EC or RSA)
    std::string server_name;  // SNI and the name checked; empty: the host given to connect
    bool insecure = false;    // skip only the name check, as mosquitto's --insecure (prints a warning)
};

class tls_stream final : public stream {
public:
    // Loads the files and starts a TLS 1.2 client handshake over `tcp` (non-blocking: the handshake
    // proceeds as the loop calls read/write/flush). nullptr + `error` when a file cannot be used
    // ("no trust anchor: pass --cafile ...", "cannot read key file ...", ...). A CA file is always
    // needed: with options.insecure the server's chain is still checked against it (anchors,
    // signatures, dates), only the name is not, and a warning goes to stderr.
    static std::unique_ptr<tls_stream> start(std::unique_ptr<tcp_stream> tcp, const tls_options& options,
                                             std::string& error);

    ~tls_stream() override;  // close()
    tls_stream(const tls_stream&) = delete;
    tls_stream& operator=(const tls_stream&) = delete;

    // True once the handshake has completed (application data may flow).
    bool handshake_done() const;

    // Plaintext out; io_state::closed after the server's close_notify; io_state::failed on any
    // TLS error, or when the connection ends without close_notify.
    io_result read(std::uint8_t* out, std::size_t max) override;
    // Takes plaintext only once the handshake is done and while the engine has room (else 0 bytes),
    // and sends it as a record at once.
    io_result write(const std::uint8_t* data, std::size_t size) override;
    bool flush() override;
    bool has_pending_output() const override;  // records not yet handed to the socket
    int fd() const override;
    // POLLIN while the engine wants records, POLLOUT while it has records to send (or can now take
    // plaintext that write() refused during the handshake).
    short wanted_events() const override;
    // Sends close_notify (best effort: waits at most 100 ms for the socket), then closes it.
    void close() override;
    const std::string& error() const override;

    // BearSSL's error code of the failure (br_ssl_engine_last_error(); 0 if none).
    int tls_error() const;
    // The name sent as SNI and checked against the server's certificate.
    const std::string& server_name() const;

private:
    struct engine;
    tls_stream(std::unique_ptr<tcp_stream> tcp, std::unique_ptr<engine> e);

    void pump(bool receive);
    void transport_failed(const std::string& why);
    bool engine_closed();
    std::size_t take_plaintext(std::uint8_t* out, std::size_t max);
    io_result fail(const std::string& why);

    std::unique_ptr<tcp_stream> tcp_;
    std::unique_ptr<engine> e_;
    bool failed_ = false;
    bool clean_close_ = false;   // the engine closed without error (close_notify exchanged)
    bool peer_eof_ = false;      // the socket reported the peer's FIN
    bool write_refused_ = false; // write() took nothing because the engine could not take plaintext
    mutable bool handshake_done_ = false;
    std::string error_;
};

// Words for a BearSSL error code (br_ssl_engine_last_error()); `server_name` fills in the
// name-mismatch message. "TLS error N" for codes without words.
std::string describe_tls_error(int code, const std::string& server_name);

}  // namespace sansmqtt::examples
