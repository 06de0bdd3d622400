// The firmware of the size comparison with peers (bench/README.md, scripts/size-report.sh): the
// superloop of main.cpp (superloop.hpp), using every client feature the peers were measured with. It
// connects with a Will and credentials, subscribes to 2 filters (QoS 1 and 2), publishes at QoS
// 0, 1 and 2 in turn, receives and acknowledges QoS 0/1/2 (the client answers PUBACK, PUBREC and
// PUBREL itself), pings (keep alive), and after 100 readings unsubscribes and disconnects.
//
// Built with -DSANSMQTT_ENABLE_V5=0 it is a 3.1.1 client with minimal_config; otherwise a
// 3.1.1 + 5.0 client with default_config (default features on) speaking 5.0.
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

constexpr std::string_view client_id = "sensor-0042";
constexpr std::string_view username = "sensor-0042";
constexpr std::uint8_t password[] = {0x5e, 0x11, 0x0c, 0x42, 0x9a, 0x07, 0xe3, 0x21};
constexpr std::string_view status_topic = "sensors/sensor-0042/status";
constexpr std::string_view telemetry_topic = "sensors/sensor-0042/temperature";
constexpr std::string_view command_topic = "sensors/sensor-0042/command";
constexpr std::string_view config_topic = "sensors/all/config/#";
constexpr std::uint32_t publish_period_ms = 10'000;
constexpr std::uint32_t reconnect_delay_ms = 5'000;
constexpr unsigned readings_per_session = 100;

examples::mcu::uart_transport<512, board_uart_write> uart;
client<mqtt_config> mqtt;

void on_uart_rx(std::uint8_t byte) { uart.on_rx_byte(byte); }  // interrupt context

void publish_reading(unsigned n) {
    const std::int32_t reading = board_read_sensor();
    const std::uint8_t payload[4] = {static_cast<std::uint8_t>(reading >> 24), static_cast<std::uint8_t>(reading >> 16),
                                     static_cast<std::uint8_t>(reading >> 8), static_cast<std::uint8_t>(reading)};
    publish p;
    p.topic = telemetry_topic;
    p.payload = bytes_view(payload);
    p.qos = static_cast<qos>(n % 3);  // QoS 0, 1 and 2 in turn
    (void)mqtt.publish(p);
}

}  // namespace

int main() {
    board_init();
    board_uart_set_rx_hook(on_uart_rx);
    examples::mcu::millisecond_clock clock(board_millis);
    examples::mcu::connection_keeper link(reconnect_delay_ms);
    std::uint64_t next_reading = 0;
    unsigned readings = 0;

    for (;;) {
        const std::uint64_t now = clock.now_ms();
        link.keep_open(mqtt, uart, now, board_link_up(), [](client<mqtt_config>& c) {
            connect_options options;
            options.protocol_version = mqtt_version;
            options.client_id = client_id;
            options.keep_alive = 60;
            will_message will;
            will.topic = status_topic;
            will.payload = bytes_view("offline");
            will.qos = qos::at_least_once;
            will.retain = true;
            options.will = will;
            options.username = text_view(username);
            options.password = bytes_view(password);
            return c.connect(options).has_value();
        });
        link.receive(mqtt, uart);

        while (const std::optional<event> e = mqtt.poll_event()) {
            if (std::get_if<connected_event>(&*e) != nullptr) {
                const subscription subs[] = {{command_topic, qos::at_least_once}, {config_topic, qos::exactly_once}};
                (void)mqtt.subscribe(subs);
                readings = 0;
                next_reading = now;
            } else if (const auto* m = std::get_if<message_event>(&*e)) {
                if (m->packet.topic.as_string_view() == command_topic) {
                    board_set_led(m->packet.payload.as_string_view() == "led on");
                }
            }
        }

        if (mqtt.state() == client_state::connected && now >= next_reading) {
            if (readings < readings_per_session) {
                publish_reading(readings++);
            } else {
                const text_view filters[] = {command_topic, config_topic};
                (void)mqtt.unsubscribe(filters);
                (void)mqtt.disconnect();
            }
            next_reading = now + publish_period_ms;
        }

        link.send(mqtt, uart, now);
        mqtt.tick(now);
        board_wait_for_interrupt();
    }
}
