// tcp_stream: a non-blocking TCP socket (IPv4 or IPv6) as a sansmqtt example stream.
//
//   std::string error;
//   auto tcp = tcp_stream::connect("broker.example", 1883, 5000, error);
//   if (!tcp) { std::fprintf(stderr, "%s\n", error.c_str()); return 1; }
//   run_client(*tcp, mqtt, hooks);                     // client_loop.hpp
//
// The stream holds no bytes of its own: write() hands bytes straight to the kernel and returns
// how many it took (a short count when the socket's send buffer is full: keep the rest and try
// again when poll() reports POLLOUT); read() returns what the kernel has. EINTR is retried,
// EAGAIN is "0 bytes, try later", a peer's FIN is io_state::closed, anything else is
// io_state::failed with error() in words ("connection reset by 127.0.0.1 port 1883").
// SIGPIPE is never raised (MSG_NOSIGNAL / SO_NOSIGPIPE); Nagle is off (TCP_NODELAY), because an
// MQTT packet is written whole and should leave at once.
//
// Examples only: POSIX sockets, the heap and std::string; the library never includes this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../stream.hpp"

namespace sansmqtt::examples {

class tcp_stream final : public stream {
public:
    // Resolves `host` (getaddrinfo, AF_UNSPEC: IPv4 and IPv6; numeric addresses too), then connects
    // non-blocking to each address in turn until one succeeds, waiting at most timeout_ms in all
    // (timeout_ms <= 0: as long as the kernel tries). An address that times out uses up the time
    // left, so later addresses are not tried. Name resolution itself blocks, outside the timeout.
    // On failure returns nullptr and sets `error` to words: "cannot resolve host 'x': ...",
    // "connection refused by 127.0.0.1 port 1883", "connect timed out after 5000 ms (...)";
    // when several addresses were tried, their failures joined by "; ".
    static std::unique_ptr<tcp_stream> connect(const std::string& host, std::uint16_t port, int timeout_ms,
                                               std::string& error);

    // Takes over a connected socket (one accept() returned, say): sets it non-blocking and closes
    // it when the stream closes. `peer` names the other end in error messages.
    static std::unique_ptr<tcp_stream> adopt(int fd, std::string peer);

    ~tcp_stream() override;
    tcp_stream(const tcp_stream&) = delete;
    tcp_stream& operator=(const tcp_stream&) = delete;

    io_result read(std::uint8_t* out, std::size_t max) override;
    io_result write(const std::uint8_t* data, std::size_t size) override;
    bool flush() override;                     // nothing is held: true unless the stream failed
    bool has_pending_output() const override;  // always false (see above)
    int fd() const override;                   // -1 once closed
    // POLLIN, plus POLLOUT after a write() came up short, until a write() takes all it is given.
    short wanted_events() const override;
    // Sends FIN, then waits up to 200 ms for the peer's (dropping what it still sends), then closes.
    void close() override;
    const std::string& error() const override;

    // The name given to connect() (TLS checks the server's certificate against it), and the
    // address actually connected, as "127.0.0.1 port 1883" / "::1 port 1883".
    const std::string& host() const { return host_; }
    const std::string& peer() const { return peer_; }

private:
    tcp_stream(int fd, std::string host, std::string peer);
    io_result fail(int err, const char* doing);
    io_result closed_by_us();

    int fd_ = -1;
    bool failed_ = false;
    bool write_blocked_ = false;
    std::string host_;
    std::string peer_;
    std::string error_;
};

}  // namespace sansmqtt::examples
