// Helpers for the transport tests: loopback listeners on free ports, a clock, and a poll loop
// with an overall deadline that drives a stream until a condition holds or it fails.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>

#include "transport/stream.hpp"

namespace transport_test {

inline std::int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// A TCP socket bound to a loopback address (127.0.0.1 or ::1) on a free port (bound to port 0,
// read back), listening with `backlog` unless backlog < 0. Closed on destruction.
struct listener {
    int fd = -1;
    std::uint16_t port = 0;

    listener(int family, int backlog, std::uint16_t wanted_port = 0) {
        fd = ::socket(family, SOCK_STREAM, 0);
        if (fd < 0) return;
        const int on = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        sockaddr_storage a{};
        socklen_t len = 0;
        if (family == AF_INET6) {
            auto* a6 = reinterpret_cast<sockaddr_in6*>(&a);
            a6->sin6_family = AF_INET6;
            a6->sin6_addr = in6addr_loopback;
            a6->sin6_port = htons(wanted_port);
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
            len = sizeof *a6;
        } else {
            auto* a4 = reinterpret_cast<sockaddr_in*>(&a);
            a4->sin_family = AF_INET;
            a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a4->sin_port = htons(wanted_port);
            len = sizeof *a4;
        }
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || (backlog >= 0 && ::listen(fd, backlog) != 0)) {
            close();
            return;
        }
        socklen_t got = sizeof a;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &got) == 0) {
            port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
        }
    }
    ~listener() { close(); }
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    bool ok() const { return fd >= 0 && port != 0; }
    void close() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    // The next connection, or -1 after `ms`.
    int accept_within(int ms) const {
        pollfd p{};
        p.fd = fd;
        p.events = POLLIN;
        if (::poll(&p, 1, ms) <= 0) return -1;
        return ::accept(fd, nullptr, nullptr);
    }
};

enum class outcome { done, failed, closed, timeout };

inline const char* to_string(outcome o) {
    switch (o) {
    case outcome::done: return "done";
    case outcome::failed: return "failed";
    case outcome::closed: return "closed";
    default: return "timeout";
    }
}

// Drives `s` as run_client() would: read everything (appended to `received`), let `turn` write
// or decide (true: done), flush, wait in poll() for wanted_events(). Ends at `ms` at the latest.
inline outcome drive(sansmqtt::examples::stream& s, std::string& received, int ms, const std::function<bool()>& turn) {
    const std::int64_t deadline = now_ms() + ms;
    while (true) {
        std::uint8_t buf[4096];
        while (true) {
            const sansmqtt::examples::io_result r = s.read(buf, sizeof buf);
            if (r.state == sansmqtt::examples::io_state::failed) return outcome::failed;
            if (r.state == sansmqtt::examples::io_state::closed) return outcome::closed;
            if (r.bytes == 0) break;
            received.append(reinterpret_cast<const char*>(buf), r.bytes);
        }
        if (turn()) return outcome::done;
        if (!s.flush()) return outcome::failed;
        const std::int64_t left = deadline - now_ms();
        if (left <= 0) return outcome::timeout;
        pollfd p{};
        p.fd = s.fd();
        p.events = s.wanted_events();
        (void)::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 200)));
    }
}

}  // namespace transport_test
