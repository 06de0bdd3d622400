// examples/transport/posix/tcp_stream: connecting (IPv4, IPv6, names), refusals and timeouts in
// words, partial writes, peer close and reset. Loopback only; every port is a free one.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/time.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "transport/posix/tcp_stream.hpp"
#include "transport_support.hpp"

using sansmqtt::examples::io_result;
using sansmqtt::examples::io_state;
using sansmqtt::examples::tcp_stream;
using transport_test::listener;
using transport_test::now_ms;

namespace {

bool ipv6_loopback_available() {
    const listener l(AF_INET6, 1);
    return l.ok();
}

// Sends `text` over `s` and reads it back from the server side `peer`, then the other way.
void exchange(tcp_stream& s, int peer) {
    const std::string hello = "hello from the client";
    const io_result w = s.write(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size());
    REQUIRE(w.state == io_state::ok);
    REQUIRE(w.bytes == hello.size());
    char buf[64] = {};
    std::size_t got = 0;
    const std::int64_t deadline = now_ms() + 5000;
    while (got < hello.size() && now_ms() < deadline) {
        const ssize_t n = ::recv(peer, buf + got, sizeof buf - got, 0);
        REQUIRE(n > 0);
        got += static_cast<std::size_t>(n);
    }
    CHECK(std::string(buf, got) == hello);

    const std::string reply = "hello from the server";
    REQUIRE(::send(peer, reply.data(), reply.size(), 0) == static_cast<ssize_t>(reply.size()));
    std::string received;
    const auto o = transport_test::drive(s, received, 5000, [&] { return received.size() >= reply.size(); });
    CHECK(o == transport_test::outcome::done);
    CHECK(received == reply);
}

// The byte at offset i of the partial-write test's stream.
std::uint8_t pattern(std::uint64_t i) { return static_cast<std::uint8_t>((i * 131u + 7u) % 251u); }

extern "C" void ignore_signal(int) {}

}  // namespace

TEST_CASE("transport tcp: connects to 127.0.0.1 and moves bytes both ways") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    CHECK(error.empty());
    CHECK(s->host() == "127.0.0.1");
    CHECK(s->peer() == "127.0.0.1 port " + std::to_string(l.port));
    CHECK(s->fd() >= 0);
    CHECK((s->wanted_events() & POLLIN) != 0);
    CHECK_FALSE(s->has_pending_output());
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);
    exchange(*s, peer);
    ::close(peer);
}

TEST_CASE("transport tcp: adopt() wraps an accepted socket") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto client = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(client, error);
    const int accepted = l.accept_within(2000);
    REQUIRE(accepted >= 0);
    const auto server = tcp_stream::adopt(accepted, "the test client");
    CHECK(server->fd() == accepted);
    CHECK(server->peer() == "the test client");
    const std::string text = "over an adopted socket";
    REQUIRE(server->write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()).bytes == text.size());
    std::string received;
    CHECK(transport_test::drive(*client, received, 5000, [&] { return received.size() >= text.size(); }) ==
          transport_test::outcome::done);
    CHECK(received == text);
    client->close();
    received.clear();
    CHECK(transport_test::drive(*server, received, 5000, [] { return false; }) == transport_test::outcome::closed);
}

TEST_CASE("transport tcp: connects to ::1 (IPv6) and moves bytes both ways") {
    if (!ipv6_loopback_available()) {
        MESSAGE("skipped: no IPv6 loopback (::1) on this machine");
        return;
    }
    const listener l(AF_INET6, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("::1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    CHECK(s->peer() == "::1 port " + std::to_string(l.port));
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);
    exchange(*s, peer);
    ::close(peer);
}

TEST_CASE("transport tcp: resolves the name localhost") {
    // A listener on 127.0.0.1 and, when there is IPv6, on ::1 with the same port: whichever
    // address localhost resolves to first is served.
    const listener l4(AF_INET, 4);
    REQUIRE(l4.ok());
    std::unique_ptr<listener> l6;
    if (ipv6_loopback_available()) l6 = std::make_unique<listener>(AF_INET6, 4, l4.port);
    std::string error;
    const auto s = tcp_stream::connect("localhost", l4.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    CHECK(s->host() == "localhost");
    const bool v4 = s->peer() == "127.0.0.1 port " + std::to_string(l4.port);
    const bool v6 = s->peer() == "::1 port " + std::to_string(l4.port);
    CHECK_MESSAGE((v4 || v6), s->peer());
    const int peer = (v6 && l6) ? l6->accept_within(2000) : l4.accept_within(2000);
    REQUIRE(peer >= 0);
    exchange(*s, peer);
    ::close(peer);
}

TEST_CASE("transport tcp: an unresolvable host name is reported as such") {
    // A name with spaces: glibc rejects it before asking DNS, so the test never leaves the machine
    // (a well-formed name such as no-such-host.invalid would be sent to the configured resolver).
    std::string error;
    const auto s = tcp_stream::connect("no such host.invalid", 1883, 2000, error);
    CHECK_FALSE(s);
    CHECK_MESSAGE(error.rfind("cannot resolve host 'no such host.invalid': ", 0) == 0, error);
}

TEST_CASE("transport tcp: connection refused names the address and port") {
    // Bound but not listening: the port is ours, and a connection to it is refused.
    const listener closed_port(AF_INET, -1);
    REQUIRE(closed_port.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", closed_port.port, 2000, error);
    CHECK_FALSE(s);
    CHECK(error == "connection refused by 127.0.0.1 port " + std::to_string(closed_port.port));

    if (ipv6_loopback_available()) {
        const listener closed6(AF_INET6, -1);
        REQUIRE(closed6.ok());
        CHECK_FALSE(tcp_stream::connect("::1", closed6.port, 2000, error));
        CHECK(error == "connection refused by ::1 port " + std::to_string(closed6.port));
    }
}

TEST_CASE("transport tcp: connect times out against a listener whose backlog is full") {
    // listen(fd, 0) and never accept: once the accept queue is full, the kernel drops further
    // SYNs and a connect() waits. Fill the queue with connections that complete; the first that
    // does not complete within 300 ms shows the queue is full.
    const listener l(AF_INET, 0);
    REQUIRE(l.ok());
    std::vector<std::unique_ptr<tcp_stream>> fillers;
    bool full = false;
    for (int i = 0; i < 16 && !full; ++i) {
        std::string error;
        auto f = tcp_stream::connect("127.0.0.1", l.port, 300, error);
        if (f) {
            fillers.push_back(std::move(f));
        } else {
            REQUIRE_MESSAGE(error.find("timed out") != std::string::npos, error);
            full = true;
        }
    }
    if (!full) {
        MESSAGE("skipped: this kernel completes loopback connections beyond the backlog; no timeout to test");
        return;
    }

    SUBCASE("the timeout is the one asked for, in words") {
        std::string error;
        const std::int64_t start = now_ms();
        CHECK_FALSE(tcp_stream::connect("127.0.0.1", l.port, 400, error));
        const std::int64_t took = now_ms() - start;
        CHECK(error == "connect timed out after 400 ms (127.0.0.1 port " + std::to_string(l.port) + ")");
        CHECK(took >= 390);
        CHECK(took < 3000);
    }
    SUBCASE("signals during the wait (EINTR) do not end it early") {
        struct sigaction sa {};
        struct sigaction old {};
        sa.sa_handler = ignore_signal;  // no SA_RESTART: poll() returns EINTR
        sigemptyset(&sa.sa_mask);
        REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
        itimerval every_20ms{};
        every_20ms.it_interval.tv_usec = 20'000;
        every_20ms.it_value.tv_usec = 20'000;
        REQUIRE(setitimer(ITIMER_REAL, &every_20ms, nullptr) == 0);
        std::string error;
        const std::int64_t start = now_ms();
        const auto s = tcp_stream::connect("127.0.0.1", l.port, 400, error);
        const std::int64_t took = now_ms() - start;
        const itimerval off{};
        (void)setitimer(ITIMER_REAL, &off, nullptr);
        (void)sigaction(SIGALRM, &old, nullptr);
        CHECK_FALSE(s);
        CHECK(error == "connect timed out after 400 ms (127.0.0.1 port " + std::to_string(l.port) + ")");
        CHECK(took >= 390);
    }
}

TEST_CASE("transport tcp: partial writes when the peer does not read, then all bytes in order") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);

    // Write 1 MiB pieces while the peer reads nothing, until the kernel takes less than offered.
    constexpr std::size_t piece = 1u << 20;
    std::vector<std::uint8_t> buf(piece);
    std::uint64_t sent = 0;
    const auto fill = [&](std::uint64_t from) {
        for (std::size_t i = 0; i < piece; ++i) buf[i] = pattern(from + i);
    };
    bool short_write = false;
    while (!short_write && sent < (512u << 20)) {
        fill(sent);
        const io_result w = s->write(buf.data(), piece);
        REQUIRE(w.state == io_state::ok);
        sent += w.bytes;
        short_write = w.bytes < piece;
    }
    REQUIRE_MESSAGE(short_write, "the kernel took 512 MiB without a short write");
    CHECK((s->wanted_events() & POLLOUT) != 0);  // the stream asks to be woken when it can write
    CHECK(s->flush());
    const io_result nothing = s->write(buf.data(), piece);  // still full: 0 bytes, not an error
    CHECK(nothing.state == io_state::ok);
    sent += nothing.bytes;

    // Now the peer reads; the writer sends 4 MiB more as room appears. Every byte arrives in order.
    const std::uint64_t total = sent + (4u << 20);
    std::uint64_t received = 0;
    std::vector<std::uint8_t> in(1u << 16);
    bool in_order = true;
    const std::int64_t deadline = now_ms() + 30000;
    while (received < total && now_ms() < deadline) {
        pollfd p[2] = {};
        p[0].fd = s->fd();
        p[0].events = sent < total ? POLLOUT : 0;
        p[1].fd = peer;
        p[1].events = POLLIN;
        REQUIRE(::poll(p, 2, 1000) >= 0);
        if ((p[1].revents & POLLIN) != 0) {
            const ssize_t n = ::recv(peer, in.data(), in.size(), MSG_DONTWAIT);
            REQUIRE(n > 0);
            for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i, ++received) {
                in_order = in_order && in[i] == pattern(received);
            }
        }
        if (sent < total && (p[0].revents & POLLOUT) != 0) {
            fill(sent);
            const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(piece, total - sent));
            const io_result w = s->write(buf.data(), want);
            REQUIRE(w.state == io_state::ok);
            sent += w.bytes;
        }
    }
    CHECK(received == total);
    CHECK(in_order);
    ::close(peer);
}

TEST_CASE("transport tcp: the peer closing gives io_state::closed") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);
    REQUIRE(::send(peer, "last words", 10, 0) == 10);
    ::close(peer);
    std::string received;
    const auto o = transport_test::drive(*s, received, 5000, [] { return false; });
    CHECK(o == transport_test::outcome::closed);
    CHECK(received == "last words");  // bytes before the FIN are delivered first
    CHECK(s->error().empty());
}

TEST_CASE("transport tcp: a reset by the peer fails with words") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);
    const linger abort_on_close{1, 0};  // close() sends RST
    REQUIRE(setsockopt(peer, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close) == 0);
    ::close(peer);
    std::string received;
    const auto o = transport_test::drive(*s, received, 5000, [] { return false; });
    REQUIRE(o == transport_test::outcome::failed);
    CHECK(s->error() == "connection reset by 127.0.0.1 port " + std::to_string(l.port));
    // Sticky: later calls fail the same way.
    std::uint8_t b = 0;
    CHECK(s->read(&b, 1).state == io_state::failed);
    CHECK(s->write(&b, 1).state == io_state::failed);
    CHECK_FALSE(s->flush());
}

TEST_CASE("transport tcp: writing to a peer that closed fails with words, without SIGPIPE") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);
    ::close(peer);
    // The first write after the peer's close is accepted (the peer answers it with RST); a later
    // one fails. SIGPIPE would end this test program.
    const std::uint8_t data[64] = {};
    io_result w;
    const std::int64_t deadline = now_ms() + 5000;
    while ((w = s->write(data, sizeof data)).state == io_state::ok && now_ms() < deadline) ::usleep(10'000);
    REQUIRE(w.state == io_state::failed);
    const std::string where = "127.0.0.1 port " + std::to_string(l.port);
    CHECK_MESSAGE((s->error() == "connection reset by " + where ||
                   s->error() == "connection closed by " + where + " (broken pipe)"),
                  s->error());
}

TEST_CASE("transport tcp: after close() the stream reports itself closed") {
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    s->close();
    CHECK(s->fd() == -1);
    CHECK(s->wanted_events() == 0);
    std::uint8_t b = 0;
    CHECK(s->read(&b, 1).state == io_state::failed);
    CHECK(s->error() == "the connection to 127.0.0.1 port " + std::to_string(l.port) + " was closed by this program");
    s->close();  // twice is fine
}

TEST_CASE("transport tcp: close() with unread bytes from the peer still delivers what we wrote (FIN, not RST)") {
    // The peer sent bytes we never read; we write our last bytes and close. An abrupt close makes
    // Linux send RST, and the peer then gets ECONNRESET instead of our bytes.
    const listener l(AF_INET, 4);
    REQUIRE(l.ok());
    std::string error;
    const auto s = tcp_stream::connect("127.0.0.1", l.port, 2000, error);
    REQUIRE_MESSAGE(s, error);
    const int peer = l.accept_within(2000);
    REQUIRE(peer >= 0);
    REQUIRE(::send(peer, "unread", 6, 0) == 6);
    ::usleep(50'000);  // the bytes are in our receive buffer now
    const std::string last = "DISCONNECT";
    const io_result w = s->write(reinterpret_cast<const std::uint8_t*>(last.data()), last.size());
    REQUIRE(w.state == io_state::ok);
    REQUIRE(w.bytes == last.size());
    s->close();
    ::usleep(50'000);
    std::string got;
    char buf[64];
    for (;;) {
        const ssize_t n = ::recv(peer, buf, sizeof buf, 0);
        if (n <= 0) {
            CHECK_MESSAGE(n == 0, "recv: " << std::strerror(errno));  // FIN, not a reset
            break;
        }
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(peer);
    CHECK(got == last);
}
