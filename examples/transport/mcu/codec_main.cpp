// The codec without the client, for the size report: frames and decodes the packets arriving on
// the UART (as sent by a server) and answers each PUBLISH by encoding one of its own. This is what
// a firmware that runs its own session logic over sansmqtt's codec links.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <sansmqtt/sansmqtt.hpp>

#include "board.hpp"
#include "uart_transport.hpp"

namespace {

using namespace sansmqtt;

examples::mcu::uart_transport<512, board_uart_write> uart;
void on_uart_rx(std::uint8_t byte) { uart.on_rx_byte(byte); }

// The protocol version is a run-time setting here (e.g. from flash), so both versions' code stays
// unless the build leaves one out (-DSANSMQTT_ENABLE_V5=0).
volatile std::uint8_t configured_version = SANSMQTT_ENABLE_V5 ? 5 : 4;

std::uint8_t rx[256];
std::uint8_t tx[256];

}  // namespace

int main() {
    board_init();
    board_uart_set_rx_hook(on_uart_rx);
    std::size_t have = 0;
    std::uint16_t packet_id = 0;
    for (;;) {
        have += uart.read(rx + have, sizeof rx - have);
        const auto version = static_cast<protocol_version>(configured_version);
        const auto f = frame(bytes_view(rx, have), sizeof rx, version);
        if (!f) {
            have = 0;  // a real firmware closes the connection here
            continue;
        }
        if (!f->complete) continue;
        const std::size_t size = f->header.packet_size();
        const auto decoded = decode(bytes_view(rx, size), version, sender::server);
        if (decoded) {
            if (const publish* in = std::get_if<publish>(&*decoded)) {
                publish out;
                out.topic = "sensors/sensor-0042/echo";
                out.payload = in->payload;
                out.qos = qos::at_least_once;
                if (++packet_id == 0) packet_id = 1;
                out.packet_id = packet_id;
                const auto written = encode(out, mutable_bytes(tx, sizeof tx), version, sender::client);
                if (written) (void)board_uart_write(tx, *written);
            }
        }
        std::memmove(rx, rx + size, have - size);
        have -= size;
    }
}
