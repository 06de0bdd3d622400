// A byte pipe and a millisecond clock for driving a sansmqtt client on a microcontroller, with
// no heap and no OS. Copy this file into your firmware.
//
//   byte_pipe<N>      a single-producer single-consumer ring buffer: an interrupt handler (a UART
//                     RX interrupt, or an lwIP raw-API tcp_recv callback) pushes received bytes,
//                     the main loop reads them straight into client::rx_window().
//   uart_transport<N, send>  that pipe for received bytes plus the function that sends bytes
//                     (a UART TX FIFO or DMA, a modem, lwIP's tcp_write); what the main loop calls.
//   millisecond_clock a 32-bit millisecond counter incremented by SysTick (or read from a HAL),
//                     widened to the 64-bit monotonic time client::tick() takes.
//
// The main loop is the only consumer and the interrupt the only producer, so the ring needs no
// lock: each side writes only its own index, published with release/acquire ordering (on a
// Cortex-M4 these are plain loads and stores plus a DMB; a 32-bit std::atomic is lock-free there).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sansmqtt::examples::mcu {

// Bytes from an interrupt to the main loop. N is a power of two; the pipe holds up to N bytes.
// If the main loop falls behind, bytes that do not fit are dropped and counted in overruns():
// MQTT cannot recover from a lost byte, so treat a non-zero count as a broken connection.
template <std::size_t N>
class byte_pipe {
    static_assert(N >= 2 && (N & (N - 1)) == 0, "the pipe size must be a power of two");

public:
    // Producer side (interrupt context): one received byte. Returns false if the pipe was full.
    bool push(std::uint8_t byte) noexcept {
        const std::uint32_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_.load(std::memory_order_acquire) == N) {
            overruns_.store(overruns_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            return false;
        }
        ring_[head & mask] = byte;
        head_.store(head + 1, std::memory_order_release);
        return true;
    }
    // Producer side: a block of received bytes (an lwIP pbuf). Returns how many fit.
    std::size_t push(const std::uint8_t* data, std::size_t size) noexcept {
        std::size_t n = 0;
        while (n < size && push(data[n])) ++n;
        return n;
    }

    // Consumer side (main loop): moves up to `max` bytes into `out`; returns how many.
    std::size_t read(std::uint8_t* out, std::size_t max) noexcept {
        const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
        const std::uint32_t available = head_.load(std::memory_order_acquire) - tail;
        const std::size_t n = available < max ? available : max;
        for (std::size_t i = 0; i < n; ++i) out[i] = ring_[(tail + i) & mask];
        tail_.store(tail + static_cast<std::uint32_t>(n), std::memory_order_release);
        return n;
    }

    // Bytes waiting to be read (a snapshot: the producer may add more at any time).
    std::size_t size() const noexcept {
        return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_relaxed);
    }
    bool empty() const noexcept { return size() == 0; }
    // Bytes dropped because the pipe was full, since construction or the last clear().
    std::uint32_t overruns() const noexcept { return overruns_.load(std::memory_order_relaxed); }
    // Consumer side: forget every byte (a new connection). Call with the producer quiet.
    void clear() noexcept {
        tail_.store(head_.load(std::memory_order_acquire), std::memory_order_release);
        overruns_.store(0, std::memory_order_relaxed);
    }

private:
    static constexpr std::uint32_t mask = static_cast<std::uint32_t>(N - 1);
    // The indices run freely and wrap at 2^32; head - tail is the fill level (N divides 2^32).
    std::atomic<std::uint32_t> head_{0};  // written by the producer only
    std::atomic<std::uint32_t> tail_{0};  // written by the consumer only
    std::atomic<std::uint32_t> overruns_{0};
    std::uint8_t ring_[N] = {};
};

// The function that sends bytes: takes what it can without blocking and returns how many it took
// (0 when the UART's FIFO or DMA buffer is full; the client keeps the rest in tx_data()).
using send_function = std::size_t (*)(const std::uint8_t* data, std::size_t size);

// The transport the main loop drives the client with: received bytes come from the pipe, sent
// bytes go to `Send`. Send is a template argument rather than a member so the call is direct and
// the object is all zeros: it goes to .bss, not to .data (which costs its size in flash too).
template <std::size_t RxSize, send_function Send>
class uart_transport {
public:
    // From the RX interrupt (or the network stack's receive callback).
    void on_rx_byte(std::uint8_t byte) noexcept { (void)rx_.push(byte); }
    std::size_t on_rx(const std::uint8_t* data, std::size_t size) noexcept { return rx_.push(data, size); }

    // From the main loop.
    std::size_t read(std::uint8_t* out, std::size_t max) noexcept { return rx_.read(out, max); }
    std::size_t write(const std::uint8_t* data, std::size_t size) noexcept { return Send(data, size); }
    bool overrun() const noexcept { return rx_.overruns() != 0; }
    void reset() noexcept { rx_.clear(); }

private:
    byte_pipe<RxSize> rx_;
};

// Widens a wrapping 32-bit millisecond counter to the 64-bit monotonic time of client::tick().
// `read_ms` returns the counter; typically SysTick_Handler() does `++ms;` on a
// `volatile std::uint32_t ms` at 1 kHz and read_ms returns it (an aligned 32-bit load is atomic
// on Cortex-M). Call now_ms() at least once every 49 days so no wrap is missed.
class millisecond_clock {
public:
    using read_function = std::uint32_t (*)();

    explicit millisecond_clock(read_function read_ms) noexcept : read_(read_ms), last_(read_ms()) {}

    std::uint64_t now_ms() noexcept {
        const std::uint32_t ms = read_();
        elapsed_ += static_cast<std::uint32_t>(ms - last_);  // modular: correct across a wrap
        last_ = ms;
        return elapsed_;
    }

private:
    read_function read_;
    std::uint32_t last_;
    std::uint64_t elapsed_ = 0;
};

}  // namespace sansmqtt::examples::mcu
