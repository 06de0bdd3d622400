// The host-compilable parts of the microcontroller example (examples/transport/mcu): the byte
// pipe an RX interrupt fills, the transport over it, and the widening millisecond clock. The
// firmware itself is cross-built by scripts/size-report.sh.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../examples/transport/mcu/uart_transport.hpp"

using sansmqtt::examples::mcu::byte_pipe;
using sansmqtt::examples::mcu::millisecond_clock;
using sansmqtt::examples::mcu::uart_transport;

TEST_CASE("mcu byte_pipe: bytes come out in order, across the end of the ring, many times") {
    byte_pipe<8> pipe;
    std::uint8_t next_in = 0;
    std::uint8_t next_out = 0;
    for (int round = 0; round < 100; ++round) {
        const std::size_t n = 1 + static_cast<std::size_t>(round) % 8;  // 1..8 bytes in, then out
        for (std::size_t i = 0; i < n; ++i) REQUIRE(pipe.push(next_in++));
        CHECK(pipe.size() == n);
        std::uint8_t out[8] = {};
        const std::size_t got = pipe.read(out, sizeof out);
        REQUIRE(got == n);
        for (std::size_t i = 0; i < got; ++i) CHECK(out[i] == next_out++);
        CHECK(pipe.empty());
    }
    CHECK(pipe.overruns() == 0);
}

TEST_CASE("mcu byte_pipe: read() takes at most what the window holds; the rest stays") {
    byte_pipe<16> pipe;
    const std::uint8_t data[] = {1, 2, 3, 4, 5};
    CHECK(pipe.push(data, sizeof data) == 5);
    std::uint8_t out[2] = {};
    CHECK(pipe.read(out, 2) == 2);
    CHECK(out[0] == 1);
    CHECK(out[1] == 2);
    CHECK(pipe.size() == 3);
    CHECK(pipe.read(out, 0) == 0);
    std::uint8_t rest[8] = {};
    CHECK(pipe.read(rest, sizeof rest) == 3);
    CHECK(rest[0] == 3);
    CHECK(rest[2] == 5);
    CHECK(pipe.read(rest, sizeof rest) == 0);
}

TEST_CASE("mcu byte_pipe: a full pipe drops and counts bytes; clear() starts over") {
    byte_pipe<4> pipe;
    const std::uint8_t data[] = {10, 11, 12, 13, 14, 15};
    CHECK(pipe.push(data, sizeof data) == 4);  // a block push stops at the first byte that does not fit
    CHECK_FALSE(pipe.push(16));
    CHECK(pipe.overruns() == 2);
    std::uint8_t out[4] = {};
    CHECK(pipe.read(out, sizeof out) == 4);
    CHECK(out[3] == 13);  // the bytes kept are the first ones
    CHECK(pipe.push(20));
    pipe.clear();
    CHECK(pipe.empty());
    CHECK(pipe.overruns() == 0);
    CHECK(pipe.push(21));
    CHECK(pipe.read(out, sizeof out) == 1);
    CHECK(out[0] == 21);
}

namespace {
std::vector<std::uint8_t> sent;
std::size_t take_three(const std::uint8_t* data, std::size_t size) {  // a UART FIFO with room for 3
    const std::size_t n = size < 3 ? size : 3;
    sent.insert(sent.end(), data, data + n);
    return n;
}
std::uint32_t fake_ms = 0;
std::uint32_t read_fake_ms() { return fake_ms; }
}  // namespace

TEST_CASE("mcu uart_transport: received bytes come from the pipe; write() returns what the UART took") {
    sent.clear();
    uart_transport<16, take_three> uart;
    uart.on_rx_byte(0x20);
    const std::uint8_t more[] = {0x02, 0x00, 0x00};
    CHECK(uart.on_rx(more, sizeof more) == 3);
    std::uint8_t window[8] = {};
    CHECK(uart.read(window, sizeof window) == 4);
    CHECK(window[0] == 0x20);
    CHECK(window[3] == 0x00);
    const std::uint8_t out[] = {0xC0, 0x00, 0xE0, 0x00};
    CHECK(uart.write(out, sizeof out) == 3);
    CHECK(sent == std::vector<std::uint8_t>{0xC0, 0x00, 0xE0});
    for (int i = 0; i < 17; ++i) uart.on_rx_byte(0);
    CHECK(uart.overrun());
    uart.reset();
    CHECK_FALSE(uart.overrun());
}

TEST_CASE("mcu millisecond_clock: starts at 0 and keeps counting across the 32-bit wrap") {
    fake_ms = 0xFFFF'FF00u;
    millisecond_clock clock(read_fake_ms);
    CHECK(clock.now_ms() == 0);
    fake_ms = 0xFFFF'FFFFu;
    CHECK(clock.now_ms() == 0xFF);
    fake_ms = 0x0000'0100u;  // wrapped
    CHECK(clock.now_ms() == 0x200);
    fake_ms = 0x8000'0000u;
    CHECK(clock.now_ms() == 0x8000'0100u);
    fake_ms = 0x0000'0000u;  // wrapped again
    CHECK(clock.now_ms() == 0x1'0000'0100u);
}
