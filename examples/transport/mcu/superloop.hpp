// The connection half of a bare-metal superloop, shared by main.cpp and feature_main.cpp: open the
// session when the link is up, close it when the link drops or the RX pipe lost a byte, move bytes
// both ways, close once a finished session's last bytes are out, and retry after a delay. The
// application's half (events, its own work) sits between receive() and send() in the loop:
//
//   for (;;) {
//       const std::uint64_t now = clock.now_ms();
//       link.keep_open(mqtt, uart, now, board_link_up(), connect);  // connect(mqtt): send CONNECT
//       link.receive(mqtt, uart);
//       while (const auto e = mqtt.poll_event()) { ... }
//       ...
//       link.send(mqtt, uart, now);
//       mqtt.tick(now);
//       board_wait_for_interrupt();
//   }
//
// Examples only, like uart_transport.hpp: no heap, no OS; copy it into your firmware.
#pragma once

#include <cstdint>

#include <sansmqtt/sansmqtt.hpp>

namespace sansmqtt::examples::mcu {

class connection_keeper {
public:
    explicit connection_keeper(std::uint32_t reconnect_delay_ms) noexcept : delay_(reconnect_delay_ms) {}

    // Opens when idle, the link is up and the delay has passed (`connect(mqtt)` sends CONNECT and
    // returns whether it was accepted); closes when the link dropped or the pipe lost a byte.
    template <class Client, class Uart, class Connect>
    void keep_open(Client& mqtt, Uart& uart, std::uint64_t now, bool link_up, Connect&& connect) noexcept {
        if (mqtt.state() == client_state::idle) {
            if (now >= retry_at_ && link_up) {
                uart.reset();
                (void)mqtt.transport_opened();
                if (!connect(mqtt)) close(mqtt, now);
            }
        } else if (!link_up || uart.overrun()) {
            close(mqtt, now);
        }
    }

    // Bytes in, straight into the client's receive buffer.
    template <class Client, class Uart>
    void receive(Client& mqtt, Uart& uart) noexcept {
        const mutable_bytes window = mqtt.rx_window();
        mqtt.rx_commit(uart.read(window.data(), window.size()));
    }

    // Bytes out, as many as the UART takes now (the rest stays in tx_data() for the next turn);
    // once a session has ended (our DISCONNECT, the server's, a refusal or a failure) and its last
    // bytes are out, close and retry later.
    template <class Client, class Uart>
    void send(Client& mqtt, Uart& uart, std::uint64_t now) noexcept {
        const bytes_view out = mqtt.tx_data();
        if (!out.empty()) mqtt.tx_consume(uart.write(out.data(), out.size()));
        const client_state s = mqtt.state();
        if ((s == client_state::disconnecting || s == client_state::closed) && mqtt.tx_data().empty()) {
            close(mqtt, now);
        }
    }

private:
    template <class Client>
    void close(Client& mqtt, std::uint64_t now) noexcept {
        mqtt.transport_closed();
        retry_at_ = now + delay_;
    }

    std::uint32_t delay_;
    std::uint64_t retry_at_ = 0;
};

}  // namespace sansmqtt::examples::mcu
