// The byte stream under the MQTT client in the example programs: a TCP socket
// (posix/tcp_stream.hpp) or TLS over one (bearssl/tls_stream.hpp). Non-blocking throughout;
// run_client() in client_loop.hpp waits with poll() on fd() for wanted_events().
//
// Examples only: this header may use the heap and the OS; the library never includes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sansmqtt::examples {

// What read() and write() return besides a byte count.
enum class io_state {
    ok,      // `bytes` were moved (possibly 0: nothing could move now; wait and retry)
    closed,  // the peer ended the stream cleanly (TCP FIN, TLS close_notify)
    failed,  // the stream is broken; error() says why in words
};

struct io_result {
    io_state state = io_state::ok;
    std::size_t bytes = 0;
};

class stream {
public:
    virtual ~stream() = default;

    // Moves up to `max` received (plaintext) bytes into `out`. Never blocks.
    virtual io_result read(std::uint8_t* out, std::size_t max) = 0;
    // Takes up to `size` bytes to send. Never blocks; a short count means "try again later".
    virtual io_result write(const std::uint8_t* data, std::size_t size) = 0;
    // Pushes out bytes taken by write() but still held (TLS records, a partial socket write).
    // Returns false once the stream has failed.
    virtual bool flush() = 0;
    // True while bytes taken by write() are not yet handed to the kernel.
    virtual bool has_pending_output() const = 0;

    // The socket to wait on, and the poll() events (POLLIN / POLLOUT) that would let the stream
    // progress. TLS may need to write in order to read (handshake, renegotiation alerts), so
    // this is the stream's to say, not the caller's.
    virtual int fd() const = 0;
    virtual short wanted_events() const = 0;

    // Ends the stream: TLS sends close_notify (best effort), then the socket is closed.
    virtual void close() = 0;

    // The last failure in words ("connection refused", "certificate expired", ...).
    virtual const std::string& error() const = 0;
};

}  // namespace sansmqtt::examples
