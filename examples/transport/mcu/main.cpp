// An MQTT sensor node on a bare-metal microcontroller: no heap, no OS, one superloop.
//
// Every 10 s it publishes a temperature reading at QoS 1 to sensors/<id>/temperature; it
// subscribes to sensors/<id>/command and switches its LED on "led on" / "led off". The broker is
// at the other end of a UART (a modem in transparent TCP mode; see board.hpp for lwIP). When the
// session ends or fails it reconnects after 5 s.
//
// The loop, each turn: bytes from the RX pipe straight into the client's buffer; events; the
// application's own work (the periodic reading); the client's bytes to the UART; tick(). The
// client and every buffer are static objects: their size is known at link time (`arm-none-eabi-nm
// -S -C` shows `mqtt` as sizeof(client<Config>)).
//
// Built with -DSANSMQTT_ENABLE_V5=0 it is a 3.1.1 client with minimal_config (256-byte buffers,
// 4 messages in flight); otherwise a 3.1.1 + 5.0 client with default_config speaking 5.0.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <sansmqtt/sansmqtt.hpp>

#include "board.hpp"
#include "example_configs.hpp"  // bench/example_configs.hpp
#include "superloop.hpp"
#include "uart_transport.hpp"

namespace {

using namespace sansmqtt;

#if SANSMQTT_ENABLE_V5
using mqtt_config = default_config;
constexpr protocol_version mqtt_version = protocol_version::v5;
#else
using mqtt_config = examples::minimal_config;
constexpr protocol_version mqtt_version = protocol_version::v3_1_1;
#endif

// string_view constants: their lengths are known at compile time (a const char* costs a strlen).
constexpr std::string_view client_id = "sensor-0042";
constexpr std::string_view telemetry_topic = "sensors/sensor-0042/temperature";
constexpr std::string_view command_topic = "sensors/sensor-0042/command";
constexpr std::uint32_t publish_period_ms = 10'000;
constexpr std::uint32_t reconnect_delay_ms = 5'000;

// Static storage: the RX pipe (filled by the UART interrupt) and the client.
examples::mcu::uart_transport<512, board_uart_write> uart;
client<mqtt_config> mqtt;

void on_uart_rx(std::uint8_t byte) { uart.on_rx_byte(byte); }  // interrupt context

// "-12.34": a reading in hundredths, without printf (newlib's would cost more than the client).
std::size_t format_centi(std::int32_t value, char* out) {
    char digits[12];
    std::size_t n = 0;
    std::uint32_t v = value < 0 ? 0u - static_cast<std::uint32_t>(value) : static_cast<std::uint32_t>(value);
    do {
        digits[n++] = static_cast<char>('0' + v % 10u);
        v /= 10u;
        if (n == 2) digits[n++] = '.';
    } while (v != 0 || n < 4);
    std::size_t size = 0;
    if (value < 0) out[size++] = '-';
    while (n != 0) out[size++] = digits[--n];
    return size;
}

void publish_reading() {
    char text[16];
    const std::size_t size = format_centi(board_read_sensor(), text);
    publish p;
    p.topic = telemetry_topic;
    p.payload = bytes_view(text, size);
    p.qos = qos::at_least_once;
    // Copied into the session store until its PUBACK; refused when 4 (minimal_config) are
    // still unacknowledged: this reading is then skipped.
    (void)mqtt.publish(p);
}

void on_command(std::string_view command) {
    if (command == "led on") board_set_led(true);
    if (command == "led off") board_set_led(false);
}

}  // namespace

int main() {
    board_init();
    board_uart_set_rx_hook(on_uart_rx);
    examples::mcu::millisecond_clock clock(board_millis);
    examples::mcu::connection_keeper link(reconnect_delay_ms);
    std::uint64_t next_reading = 0;  // when to publish the next reading

    for (;;) {
        const std::uint64_t now = clock.now_ms();

        // Connection: open when the link is up; close when it drops or the pipe lost a byte.
        link.keep_open(mqtt, uart, now, board_link_up(), [](client<mqtt_config>& c) {
            connect_options options;
            options.protocol_version = mqtt_version;
            options.client_id = client_id;
            options.keep_alive = 60;
            return c.connect(options).has_value();
        });
        link.receive(mqtt, uart);  // bytes in, straight into the client's receive buffer

        // Events. Views in an event point into the client's buffer: use them before the next poll.
        while (const std::optional<event> e = mqtt.poll_event()) {
            if (std::get_if<connected_event>(&*e) != nullptr) {
                const subscription subs[] = {{command_topic, qos::at_least_once}};
                (void)mqtt.subscribe(subs);
                next_reading = now;
            } else if (const auto* m = std::get_if<message_event>(&*e)) {
                if (m->packet.topic.as_string_view() == command_topic) on_command(m->packet.payload.as_string_view());
            }
            // publish_completed_event / publish_failed_event: a reading was delivered / lost.
            // connect_refused_event, disconnected_event, connection_failed_event: the client is
            // closed; send() below sends what it queued and closes.
        }

        // The application's work.
        if (mqtt.state() == client_state::connected && now >= next_reading) {
            publish_reading();
            next_reading = now + publish_period_ms;
        }

        link.send(mqtt, uart, now);  // bytes out; a finished session is closed and retried later
        mqtt.tick(now);              // keep alive, CONNACK and PINGRESP timeouts
        board_wait_for_interrupt();
    }
}
