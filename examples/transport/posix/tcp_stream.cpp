// tcp_stream: see tcp_stream.hpp.
#include "tcp_stream.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sansmqtt::examples {

namespace {

#ifdef MSG_NOSIGNAL
constexpr int send_flags = MSG_NOSIGNAL;
#else
constexpr int send_flags = 0;  // SO_NOSIGPIPE is set on the socket instead (BSD, macOS)
#endif

std::int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// "127.0.0.1 port 1883", "::1 port 1883".
std::string address_text(const sockaddr* address, socklen_t length) {
    char host[NI_MAXHOST] = "?";
    char service[NI_MAXSERV] = "?";
    (void)getnameinfo(address, length, host, sizeof host, service, sizeof service, NI_NUMERICHOST | NI_NUMERICSERV);
    return std::string(host) + " port " + service;
}

// Non-blocking, close-on-exec, no SIGPIPE, no Nagle. False (errno set) if a flag cannot be set.
bool prepare_socket(int fd) {
    const int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
    const int on_nosigpipe = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on_nosigpipe, sizeof on_nosigpipe);
#endif
    const int on = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // not TCP (a socketpair): ignored
    return true;
}

// Why a connect() to `peer` failed, in words.
std::string connect_failure(int err, const std::string& peer) {
    switch (err) {
    case ECONNREFUSED: return "connection refused by " + peer;
    case ETIMEDOUT: return "connect to " + peer + " timed out (no answer)";
    case ENETUNREACH: return "network unreachable for " + peer;
    case EHOSTUNREACH: return "host unreachable: " + peer;
    case ECONNRESET: return "connection reset by " + peer + " while connecting";
    default: return "cannot connect to " + peer + ": " + std::strerror(err);
    }
}

// Waits until the non-blocking connect() on `fd` ends or `deadline` (ms, 0: none) passes.
// Returns 0 when connected, else the errno of the failure (ETIMEDOUT with `timed_out` set when
// our deadline passed). poll() interrupted by a signal (EINTR) just waits again.
int wait_connected(int fd, std::int64_t deadline, bool& timed_out) {
    timed_out = false;
    while (true) {
        int wait = -1;
        if (deadline != 0) {
            const std::int64_t left = deadline - now_ms();
            if (left <= 0) {
                timed_out = true;
                return ETIMEDOUT;
            }
            wait = static_cast<int>(left);
        }
        pollfd p{};
        p.fd = fd;
        p.events = POLLOUT;
        const int n = ::poll(&p, 1, wait);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) continue;  // the deadline check above decides
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
        if (err == EINPROGRESS || err == EALREADY || err == EINTR) continue;
        return err;
    }
}

}  // namespace

std::unique_ptr<tcp_stream> tcp_stream::connect(const std::string& host, std::uint16_t port, int timeout_ms,
                                                std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
    if (rc != 0) {
        error = "cannot resolve host '" + host + "': " + (rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc));
        return nullptr;
    }
    const std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(found, freeaddrinfo);

    const std::int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    error.clear();
    const auto note = [&error](const std::string& failure) { error += (error.empty() ? "" : "; ") + failure; };
    for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
        const std::string peer = address_text(a->ai_addr, a->ai_addrlen);
        const int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            note("cannot open a socket for " + peer + ": " + std::strerror(errno));
            continue;
        }
        if (!prepare_socket(fd)) {
            note("cannot set up the socket for " + peer + ": " + std::strerror(errno));
            ::close(fd);
            continue;
        }
        int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
        bool timed_out = false;
        // EINTR: the connection still proceeds in the background (POSIX); wait for it the same way.
        if (err == EINPROGRESS || err == EINTR) err = wait_connected(fd, deadline, timed_out);
        if (err == 0) {
            error.clear();
            return std::unique_ptr<tcp_stream>(new tcp_stream(fd, host, peer));
        }
        ::close(fd);
        if (timed_out) {
            note("connect timed out after " + std::to_string(timeout_ms) + " ms (" + peer + ")");
            break;  // no time left for the other addresses
        }
        note(connect_failure(err, peer));
    }
    if (error.empty()) error = "cannot connect to '" + host + "': no address";
    return nullptr;
}

std::unique_ptr<tcp_stream> tcp_stream::adopt(int fd, std::string peer) {
    if (fd >= 0) (void)prepare_socket(fd);
    return std::unique_ptr<tcp_stream>(new tcp_stream(fd, std::string(), std::move(peer)));
}

tcp_stream::tcp_stream(int fd, std::string host, std::string peer)
    : fd_(fd), host_(std::move(host)), peer_(std::move(peer)) {}

tcp_stream::~tcp_stream() { close(); }

io_result tcp_stream::fail(int err, const char* doing) {
    failed_ = true;
    switch (err) {
    case ECONNRESET: error_ = "connection reset by " + peer_; break;
    case EPIPE: error_ = "connection closed by " + peer_ + " (broken pipe)"; break;
    case ETIMEDOUT: error_ = "connection to " + peer_ + " timed out"; break;
    default: error_ = std::string(doing) + " failed on the connection to " + peer_ + ": " + std::strerror(err); break;
    }
    return {io_state::failed, 0};
}

io_result tcp_stream::closed_by_us() {
    failed_ = true;
    error_ = "the connection to " + peer_ + " was closed by this program";
    return {io_state::failed, 0};
}

io_result tcp_stream::read(std::uint8_t* out, std::size_t max) {
    if (failed_) return {io_state::failed, 0};
    if (fd_ < 0) return closed_by_us();
    if (max == 0) return {};
    while (true) {
        const ssize_t n = ::recv(fd_, out, max, 0);
        if (n > 0) return {io_state::ok, static_cast<std::size_t>(n)};
        if (n == 0) return {io_state::closed, 0};
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
        return fail(errno, "receive");
    }
}

io_result tcp_stream::write(const std::uint8_t* data, std::size_t size) {
    if (failed_) return {io_state::failed, 0};
    if (fd_ < 0) return closed_by_us();
    if (size == 0) return {};
    while (true) {
        const ssize_t n = ::send(fd_, data, size, send_flags);
        if (n >= 0) {
            write_blocked_ = static_cast<std::size_t>(n) < size;
            return {io_state::ok, static_cast<std::size_t>(n)};
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            write_blocked_ = true;
            return {};
        }
        return fail(errno, "send");
    }
}

bool tcp_stream::flush() { return !failed_; }

bool tcp_stream::has_pending_output() const { return false; }

int tcp_stream::fd() const { return fd_; }

short tcp_stream::wanted_events() const {
    if (fd_ < 0) return 0;
    return static_cast<short>(POLLIN | (write_blocked_ ? POLLOUT : 0));
}

void tcp_stream::close() {
    if (fd_ < 0) return;
    // An orderly release: FIN after everything written, then read and drop what the peer still
    // sends, until its FIN or for 200 ms at most. Closing with unread bytes in the kernel makes
    // Linux answer with RST, which can destroy data we wrote that the peer has not read yet.
    if (!failed_ && ::shutdown(fd_, SHUT_WR) == 0) {
        const std::int64_t deadline = now_ms() + 200;
        for (std::int64_t left = 200; left > 0; left = deadline - now_ms()) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
            std::uint8_t drain[512];
            if (::recv(fd_, drain, sizeof drain, 0) <= 0) break;
        }
    }
    ::close(fd_);
    fd_ = -1;
}

const std::string& tcp_stream::error() const { return error_; }

}  // namespace sansmqtt::examples
