// examples/transport/bearssl/tls_stream: TLS 1.2 with BearSSL against `openssl s_server` on a free
// loopback port, with throwaway certificates (make_certs.sh). Each case drives the stream in a
// poll loop with an overall deadline, so a failure ends in words within seconds, never a hang.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <bearssl.h>

#include "transport/bearssl/tls_stream.hpp"
#include "transport/client_loop.hpp"
#include "transport_support.hpp"

#ifndef SANSMQTT_TEST_OPENSSL
#define SANSMQTT_TEST_OPENSSL "openssl"
#endif
#ifndef SANSMQTT_TEST_MAKE_CERTS
#error "SANSMQTT_TEST_MAKE_CERTS: the path of tests/transport/make_certs.sh"
#endif

using sansmqtt::examples::describe_tls_error;
using sansmqtt::examples::io_result;
using sansmqtt::examples::io_state;
using sansmqtt::examples::tcp_stream;
using sansmqtt::examples::tls_options;
using sansmqtt::examples::tls_stream;
using transport_test::listener;
using transport_test::now_ms;
using transport_test::outcome;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The certificates, made once per test run in a temporary directory removed at exit.
struct cert_dir {
    std::string path;
    bool ok = false;

    cert_dir() {
        char templ[] = "/tmp/sansmqtt-tls-test-XXXXXX";
        if (::mkdtemp(templ) == nullptr) return;
        path = templ;
        const std::string cmd = std::string("sh '") + SANSMQTT_TEST_MAKE_CERTS + "' '" + path + "' >'" + path +
                                "/make_certs.log' 2>&1";
        ok = std::system(cmd.c_str()) == 0;
        if (!ok) std::fprintf(stderr, "make_certs.sh failed:\n%s\n", slurp(path + "/make_certs.log").c_str());
    }
    ~cert_dir() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

const cert_dir& certs() {
    static const cert_dir dir;
    return dir;
}

// `openssl s_server -rev` (each line sent back reversed; "CLOSE" ends the session with
// close_notify) on 127.0.0.1, a free port, one connection. Killed on destruction.
class openssl_server {
public:
    explicit openssl_server(const std::vector<std::string>& extra) {
        static int count = 0;
        log_ = certs() / ("s_server-" + std::to_string(++count) + ".log");
        std::vector<std::string> args = {SANSMQTT_TEST_OPENSSL, "s_server", "-accept", "127.0.0.1:0",
                                         "-naccept", "1", "-rev"};
        args.insert(args.end(), extra.begin(), extra.end());
        pid_ = ::fork();
        if (pid_ == 0) {
            const int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            const int in = ::open("/dev/null", O_RDONLY);
            if (out < 0 || in < 0) ::_exit(127);
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(out, 2);
            std::vector<char*> argv;
            for (std::string& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execvp(argv[0], argv.data());
            ::_exit(127);
        }
        // Its port, from the line "ACCEPT 127.0.0.1:PORT".
        const std::int64_t deadline = now_ms() + 10000;
        while (pid_ > 0 && now_ms() < deadline) {
            const std::string text = slurp(log_);
            const auto at = text.find("ACCEPT 127.0.0.1:");
            const auto end = at == std::string::npos ? at : text.find('\n', at);
            if (end != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::stoi(text.substr(at + 17, end - at - 17)));
                return;
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            ::usleep(10'000);
        }
    }
    ~openssl_server() { stop(); }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) ::usleep(10'000);
        if (::waitpid(pid_, &status, WNOHANG) == 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        pid_ = -1;
    }
    openssl_server(const openssl_server&) = delete;
    openssl_server& operator=(const openssl_server&) = delete;

    std::uint16_t port() const { return port_; }
    std::string log() const { return slurp(log_); }

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string log_;
};

std::vector<std::string> server_args(const std::string& name) {
    return {"-cert", certs() / (name + ".pem"), "-key", certs() / (name + ".key")};
}

std::vector<std::string> demand_client_cert(std::vector<std::string> args, const std::string& ca) {
    for (const char* a : {"-Verify", "1", "-verify_return_error", "-CAfile"}) args.emplace_back(a);
    args.push_back(ca);
    return args;
}

struct session {
    std::unique_ptr<tls_stream> tls;
    std::string error;  // start() failed: why
};

// TCP to `port` as "localhost", then TLS.
session connect_tls(std::uint16_t port, const tls_options& options) {
    session s;
    auto tcp = tcp_stream::connect("localhost", port, 5000, s.error);
    if (tcp) s.tls = tls_stream::start(std::move(tcp), options, s.error);
    return s;
}

// Each line of `text` reversed, as s_server -rev answers it.
std::string reversed_lines(const std::string& text) {
    std::string out;
    std::size_t from = 0;
    for (std::size_t nl = text.find('\n'); nl != std::string::npos; from = nl + 1, nl = text.find('\n', from)) {
        out.append(text.rbegin() + static_cast<std::ptrdiff_t>(text.size() - nl),
                   text.rbegin() + static_cast<std::ptrdiff_t>(text.size() - from));
        out += '\n';
    }
    return out;
}

// Handshake, then `text` (lines) out and its reversal back. "" on success, else what went wrong.
std::string round_trip(tls_stream& tls, const std::string& text = "hello sansmqtt\n") {
    std::string received;
    auto o = transport_test::drive(tls, received, 10000, [&] { return tls.handshake_done(); });
    if (o != outcome::done) return std::string("handshake: ") + to_string(o) + ": " + tls.error();
    std::size_t sent = 0;
    const std::string back = reversed_lines(text);
    o = transport_test::drive(tls, received, 10000, [&] {
        while (sent < text.size()) {
            const auto* data = reinterpret_cast<const std::uint8_t*>(text.data());
            const io_result w = tls.write(data + sent, text.size() - sent);
            if (w.state != io_state::ok) return true;
            if (w.bytes == 0) break;
            sent += w.bytes;
        }
        return received.size() >= back.size();
    });
    if (o != outcome::done) return std::string("echo: ") + to_string(o) + ": " + tls.error();
    if (received != back) {
        return "echo: got " + std::to_string(received.size()) + " bytes, not the " + std::to_string(back.size()) +
               " expected";
    }
    return "";
}

// Drives the handshake and expects it to fail; returns the error.
std::string failing_handshake(tls_stream& tls) {
    std::string received;
    const std::int64_t start = now_ms();
    const outcome o = transport_test::drive(tls, received, 10000, [&] { return tls.handshake_done(); });
    CHECK_MESSAGE(o == outcome::failed, to_string(o));
    CHECK(now_ms() - start < 10000);
    CHECK_FALSE(tls.handshake_done());
    return tls.error();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs `f` with stderr going to a file; returns what was written there.
template <class F>
std::string capture_stderr(F f) {
    const std::string file = certs() / "stderr.txt";
    std::fflush(stderr);
    const int saved = ::dup(2);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
    f();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    return slurp(file);
}

#define REQUIRE_CERTS() REQUIRE_MESSAGE(certs().ok, "the test certificates could not be made (openssl)")

}  // namespace

TEST_CASE("transport tls: handshake and echo with a trusted CA (EC server key)") {
    REQUIRE_CERTS();
    const openssl_server server(server_args("server-ec"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    CHECK(s.tls->server_name() == "localhost");
    // Before the handshake: plaintext is refused (0 bytes), records are waiting to go or come.
    CHECK_FALSE(s.tls->handshake_done());
    const std::uint8_t early[4] = {'a', 'b', 'c', '\n'};
    const io_result w = s.tls->write(early, sizeof early);
    CHECK(w.state == io_state::ok);
    CHECK(w.bytes == 0);
    CHECK(s.tls->wanted_events() != 0);
    CHECK_MESSAGE(round_trip(*s.tls) == "", server.log());
    CHECK(s.tls->handshake_done());
    // More than one TLS record holds (16 KiB of plaintext): several writes and records each way.
    std::string lines;
    for (int i = 0; i < 10; ++i) lines += std::to_string(i) + std::string(4000, static_cast<char>('a' + i)) + "z\n";
    CHECK_MESSAGE(round_trip(*s.tls, lines) == "", server.log());
    CHECK(s.tls->tls_error() == 0);
    CHECK(s.tls->error().empty());
}

TEST_CASE("transport tls: RSA server key under an RSA CA, anchors from a bundle of several CAs") {
    REQUIRE_CERTS();
    const openssl_server server(server_args("server-rsa"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "bundle.pem";  // rogue-ca (EC), ca-rsa, ca-ec
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    CHECK_MESSAGE(round_trip(*s.tls) == "", server.log());
}

TEST_CASE("transport tls: the server's close_notify ends the stream cleanly") {
    REQUIRE_CERTS();
    const openssl_server server(server_args("server-ec"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    REQUIRE(round_trip(*s.tls, "first\n") == "");
    const std::string close_command = "CLOSE\n";  // s_server -rev answers with close_notify
    std::size_t sent = 0;
    std::string received;
    const outcome o = transport_test::drive(*s.tls, received, 10000, [&] {
        if (sent < close_command.size()) {
            const io_result w = s.tls->write(reinterpret_cast<const std::uint8_t*>(close_command.data()) + sent,
                                             close_command.size() - sent);
            sent += w.bytes;
        }
        return false;
    });
    CHECK(o == outcome::closed);
    CHECK(s.tls->error().empty());
}

TEST_CASE("transport tls: mutual TLS with EC (SEC 1), RSA (PKCS#1) and PKCS#8 client keys") {
    REQUIRE_CERTS();
    for (const char* client : {"client-ec", "client-rsa", "client-pkcs8"}) {
        CAPTURE(client);
        const openssl_server server(demand_client_cert(server_args("server-ec"), certs() / "bundle.pem"));
        REQUIRE(server.port() != 0);
        tls_options options;
        options.ca_file = certs() / "ca-ec.pem";
        options.cert_file = certs() / (std::string(client) + ".pem");
        options.key_file = certs() / (std::string(client) + ".key");
        auto s = connect_tls(server.port(), options);
        REQUIRE_MESSAGE(s.tls, s.error);
        CHECK_MESSAGE(round_trip(*s.tls) == "", server.log());
    }
}

TEST_CASE("transport tls: a server certificate from an unknown CA is refused") {
    REQUIRE_CERTS();
    const openssl_server server(server_args("server-ec"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "rogue-ca.pem";
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    const std::string error = failing_handshake(*s.tls);
    CHECK_MESSAGE(contains(error, "unknown CA (certificate not trusted)"), error);
    CHECK(error == "TLS handshake with localhost failed: unknown CA (certificate not trusted)");
}

TEST_CASE("transport tls: a server certificate for another name is refused") {
    REQUIRE_CERTS();
    const openssl_server server(server_args("server-ec"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    options.server_name = "other.example";
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    CHECK(s.tls->server_name() == "other.example");
    const std::string error = failing_handshake(*s.tls);
    CHECK_MESSAGE(contains(error, "name mismatch (server certificate is not for other.example)"), error);
}

TEST_CASE("transport tls: an expired server certificate is refused") {
    REQUIRE_CERTS();
    const openssl_server server(server_args("server-expired"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    const std::string error = failing_handshake(*s.tls);
    CHECK_MESSAGE(contains(error, "certificate expired or not yet valid"), error);
}

TEST_CASE("transport tls: a server that demands a client certificate, and we have none") {
    REQUIRE_CERTS();
    const openssl_server server(demand_client_cert(server_args("server-ec"), certs() / "ca-ec.pem"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    const std::string error = failing_handshake(*s.tls);
    CHECK_MESSAGE(contains(error, "the server refused our certificate or demanded one (TLS alert "), error);
}

TEST_CASE("transport tls: a client certificate from a CA the server does not trust") {
    REQUIRE_CERTS();
    const openssl_server server(demand_client_cert(server_args("server-ec"), certs() / "ca-ec.pem"));
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    options.cert_file = certs() / "rogue-client.pem";
    options.key_file = certs() / "rogue-client.key";
    auto s = connect_tls(server.port(), options);
    REQUIRE_MESSAGE(s.tls, s.error);
    const std::string error = failing_handshake(*s.tls);
    CHECK_MESSAGE(contains(error, "the server refused our certificate or demanded one (TLS alert "), error);
}

TEST_CASE("transport tls: insecure skips only the name check: a certificate for another name is accepted") {
    REQUIRE_CERTS();
    const openssl_server server(server_args("server-ec"));  // a certificate for localhost only
    REQUIRE(server.port() != 0);
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    options.insecure = true;
    options.server_name = "other.example";
    session s;
    const std::string warning = capture_stderr([&] { s = connect_tls(server.port(), options); });
    REQUIRE_MESSAGE(s.tls, s.error);
    CHECK_MESSAGE(contains(warning, "warning: insecure TLS: the server certificate's name is not checked"), warning);
    CHECK(s.tls->server_name() == "other.example");  // still sent as SNI
    CHECK_MESSAGE(round_trip(*s.tls) == "", server.log());
    CHECK(s.tls->tls_error() == 0);
}

TEST_CASE("transport tls: insecure still refuses an unknown CA, an expired certificate, and no CA file") {
    REQUIRE_CERTS();
    struct refused {
        const char* server;
        const char* ca;
        const char* error;
    };
    for (const refused& r : {refused{"server-ec", "rogue-ca.pem", "unknown CA (certificate not trusted)"},
                             refused{"server-rsa", "ca-ec.pem", "unknown CA (certificate not trusted)"},
                             refused{"server-expired", "ca-ec.pem", "certificate expired or not yet valid"}}) {
        CAPTURE(r.server);
        CAPTURE(r.ca);
        const openssl_server server(server_args(r.server));
        REQUIRE(server.port() != 0);
        tls_options options;
        options.ca_file = certs() / r.ca;
        options.insecure = true;
        options.server_name = "other.example";  // the name check is off; the chain check is not
        session s;
        (void)capture_stderr([&] { s = connect_tls(server.port(), options); });
        REQUIRE_MESSAGE(s.tls, s.error);
        const std::string error = failing_handshake(*s.tls);
        CHECK_MESSAGE(error == std::string("TLS handshake with other.example failed: ") + r.error, error);
    }
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    auto tcp = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(tcp, error);
    tls_options no_ca;
    no_ca.insecure = true;
    CHECK_FALSE(tls_stream::start(std::move(tcp), no_ca, error));
    CHECK(error == "no trust anchor: pass --cafile (the authorities that may sign the server's certificate)");
}

TEST_CASE("transport tls: start() refuses files it cannot use, in words") {
    REQUIRE_CERTS();
    const listener l(AF_INET, 8);
    REQUIRE(l.ok());
    const auto start = [&](const tls_options& options) {
        std::string error;
        auto tcp = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
        REQUIRE_MESSAGE(tcp, error);
        auto tls = tls_stream::start(std::move(tcp), options, error);
        CHECK_FALSE(tls);
        return error;
    };
    tls_options o;
    o.server_name = "localhost";
    CHECK(start(o) == "no trust anchor: pass --cafile (the authorities that may sign the server's certificate)");

    o.ca_file = certs() / "missing.pem";
    CHECK(start(o) == "cannot read CA file '" + o.ca_file + "': No such file or directory");

    o.ca_file = certs() / "client-ec.key";  // PEM, but no certificate
    CHECK(start(o) == "CA file '" + o.ca_file + "' holds no certificate (PEM 'BEGIN CERTIFICATE' blocks expected)");

    o.ca_file = certs() / "make_certs.log";  // not PEM at all
    CHECK(contains(start(o), "holds no certificate"));

    o.ca_file = certs() / "ca-ec.pem";
    o.cert_file = certs() / "client-ec.pem";
    CHECK(start(o) == "a certificate without its private key: pass --key too");

    o.key_file = certs() / "client-rsa.key";
    CHECK(contains(start(o), "holds an RSA key but the certificate in"));

    o.cert_file = certs() / "rogue-client.pem";  // EC, but another key pair
    o.key_file = certs() / "client-ec.key";
    CHECK(contains(start(o), "does not match the certificate in"));

    o.cert_file = certs() / "client-ec.pem";
    o.key_file = certs() / "client-ec.pem";
    CHECK(contains(start(o), "holds no private key"));

    std::string error;
    CHECK_FALSE(tls_stream::start(nullptr, o, error));
    CHECK(error == "no TCP connection to run TLS over");
}

TEST_CASE("transport tls: a server that closes during the handshake, or is not TLS") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    REQUIRE_CERTS();
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    options.server_name = "localhost";

    SUBCASE("closes") {
        session s;
        (void)capture_stderr([&] { s = connect_tls(l.port, options); });
        REQUIRE_MESSAGE(s.tls, s.error);
        const int peer = l.accept_within(2000);
        REQUIRE(peer >= 0);
        char hello[512];
        (void)::recv(peer, hello, sizeof hello, 0);  // read the ClientHello: the close is a FIN, not a reset
        ::close(peer);
        CHECK(failing_handshake(*s.tls) == "TLS handshake with localhost failed: the server closed the connection");
    }
    SUBCASE("answers in plain text") {
        session s;
        (void)capture_stderr([&] { s = connect_tls(l.port, options); });
        REQUIRE_MESSAGE(s.tls, s.error);
        const int peer = l.accept_within(2000);
        REQUIRE(peer >= 0);
        const std::string http = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        REQUIRE(::send(peer, http.data(), http.size(), 0) == static_cast<ssize_t>(http.size()));
        const std::string error = failing_handshake(*s.tls);
        CHECK_MESSAGE((contains(error, "is not TLS") || contains(error, "not a TLS server")), error);
        ::close(peer);
    }
}

TEST_CASE("transport tls: BearSSL error codes in words") {
    CHECK(describe_tls_error(BR_ERR_X509_EXPIRED, "x") == "certificate expired or not yet valid");
    CHECK(describe_tls_error(BR_ERR_X509_NOT_TRUSTED, "x") == "unknown CA (certificate not trusted)");
    CHECK(describe_tls_error(BR_ERR_X509_BAD_SERVER_NAME, "broker.example") ==
          "name mismatch (server certificate is not for broker.example)");
    CHECK(describe_tls_error(BR_ERR_X509_BAD_SERVER_NAME, "127.0.0.1") ==
          "name mismatch (server certificate is not for 127.0.0.1); BearSSL matches DNS names only: give the "
          "certificate's DNS name as the TLS server name");
    CHECK(describe_tls_error(BR_ERR_BAD_MAC, "x") ==
          "record integrity check failed (bad MAC): data altered in transit");
    CHECK(describe_tls_error(BR_ERR_IO, "x") == "I/O error or premature close on the connection");
    CHECK(describe_tls_error(BR_ERR_BAD_ALERT, "x") == "malformed alert from the server");
    for (const int alert : {40, 42, 48, 116}) {
        CAPTURE(alert);
        CHECK(contains(describe_tls_error(BR_ERR_RECV_FATAL_ALERT + alert, "x"),
                       "the server refused our certificate or demanded one (TLS alert " + std::to_string(alert)));
    }
    CHECK(describe_tls_error(BR_ERR_RECV_FATAL_ALERT + 48, "x") ==
          "the server refused our certificate or demanded one (TLS alert 48 unknown_ca)");
    CHECK(describe_tls_error(BR_ERR_RECV_FATAL_ALERT + 70, "x") ==
          "the server does not accept TLS 1.2 (TLS alert 70 protocol_version)");
    CHECK(describe_tls_error(BR_ERR_SEND_FATAL_ALERT + 80, "x") ==
          "we aborted the connection (TLS alert 80 internal_error)");
    CHECK(describe_tls_error(BR_ERR_X509_BAD_TAG_CLASS, "x") == "malformed server certificate (X.509 error 37)");
    CHECK(describe_tls_error(11, "x") == "TLS error 11");
    CHECK(describe_tls_error(99, "x") == "TLS error 99");
}

TEST_CASE("transport tls: BearSSL has a system random source") {
    const char* name = nullptr;
    const bool found = br_prng_seeder_system(&name) != nullptr;
    CHECK(found);
    CHECK(name != nullptr);
}

TEST_CASE("transport tls: run_client() sleeps in poll() while the handshake holds CONNECT back") {
    // The client's CONNECT waits in tx_data() until the handshake is done. Against a server that
    // does not answer the ClientHello for 600 ms and then closes, the loop must sleep in poll()
    // (a few turns), not spin on the writable socket (thousands).
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    REQUIRE_CERTS();
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    session s;
    (void)capture_stderr([&] { s = connect_tls(l.port, options); });
    REQUIRE_MESSAGE(s.tls, s.error);
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);
    std::thread silent_server([peer] {
        ::usleep(600'000);
        ::shutdown(peer, SHUT_RDWR);
    });

    sansmqtt::client<> mqtt;
    int turns = 0;
    bool connect_sent = false;
    sansmqtt::examples::loop_hooks hooks;
    hooks.on_turn = [&] {
        ++turns;
        if (!connect_sent && mqtt.state() == sansmqtt::client_state::open) {
            sansmqtt::connect_options o;
            o.client_id = "transport-test";
            connect_sent = mqtt.connect(o).has_value();
        }
    };
    const std::int64_t start = now_ms();
    const sansmqtt::examples::loop_result r = sansmqtt::examples::run_client(*s.tls, mqtt, hooks);
    const std::int64_t took = now_ms() - start;
    silent_server.join();
    ::close(peer);
    CHECK(connect_sent);
    CHECK_FALSE(s.tls->handshake_done());
    CHECK_MESSAGE(turns < 20, turns);
    CHECK_MESSAGE(took < 5000, took);
    CHECK_FALSE(r.clean);
    CHECK(r.error == "TLS handshake with localhost failed: the server closed the connection");
}

TEST_CASE("transport tls: run_client() ends when the CONNACK timeout fires while the handshake never finishes") {
    // A server that accepts the connection and never answers: CONNECT never leaves tx_data(). The
    // CONNACK timeout closes the session; run_client() must then close the stream within its grace
    // period and return, not wait in poll() for a socket that never changes.
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    REQUIRE_CERTS();
    tls_options options;
    options.ca_file = certs() / "ca-ec.pem";
    session s;
    (void)capture_stderr([&] { s = connect_tls(l.port, options); });
    REQUIRE_MESSAGE(s.tls, s.error);
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);

    sansmqtt::client<> mqtt;
    bool connect_sent = false;
    sansmqtt::examples::loop_hooks hooks;
    hooks.on_turn = [&] {
        if (!connect_sent && mqtt.state() == sansmqtt::client_state::open) {
            sansmqtt::connect_options o;
            o.client_id = "transport-test";
            o.response_timeout_ms = 300;
            connect_sent = mqtt.connect(o).has_value();
        }
    };
    const std::int64_t start = now_ms();
    const sansmqtt::examples::loop_result r = sansmqtt::examples::run_client(*s.tls, mqtt, hooks);
    const std::int64_t took = now_ms() - start;
    ::close(peer);
    CHECK(connect_sent);
    CHECK_FALSE(s.tls->handshake_done());
    CHECK_FALSE(r.clean);
    CHECK(r.error.find("CONNACK") != std::string::npos);
    CHECK_MESSAGE(took >= 300, took);
    CHECK_MESSAGE(took < 300 + static_cast<std::int64_t>(sansmqtt::examples::close_grace_ms) + 1500, took);
    CHECK(mqtt.state() == sansmqtt::client_state::idle);
}
