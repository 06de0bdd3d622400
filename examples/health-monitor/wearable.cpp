// wearable: a patient's wearable sensor. It connects to the broker over mutual TLS with its own
// device certificate, publishes --count readings (heart rate, SpO2, temperature) to
// patients/<id>/vitals at QoS 1, one every --interval-ms, waits until the broker acknowledged
// every one (PUBACK), and disconnects.
//
//   wearable --host localhost --port 8883 --cafile ca.pem --cert wearable-01.pem --key wearable-01.key
//
// Prints each reading as sent ("sent {json}"). Exit status 0 when every reading was acknowledged,
// 1 otherwise (with the reason: TLS, refused connection, timeout, ...), 2 for a bad command line.
#include <cstdio>
#include <optional>
#include <string>

#include "health.hpp"

using namespace health;

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const options o = parse_options(argc, argv, "wearable-01");
    const std::string topic = "patients/" + o.id + "/vitals";

    std::string error;
    const std::unique_ptr<stream> net = open_stream(o, error);
    if (!net) {
        std::fprintf(stderr, "wearable %s: %s\n", o.id.c_str(), error.c_str());
        return 1;
    }

    client<> mqtt;  // default_config: 2 KiB buffers, 16 stored QoS 1/2 messages, all inside the object
    (void)mqtt.transport_opened();
    mqtt.tick(monotonic_ms());
    connect_options c;
    c.protocol_version = o.version;
    c.client_id = o.id;
    c.keep_alive = 30;
    if (const auto r = mqtt.connect(c); !r) {
        std::fprintf(stderr, "wearable %s: connect: %s\n", o.id.c_str(), std::string(r.error().message()).c_str());
        return 1;
    }

    const std::uint64_t deadline = monotonic_ms() + o.timeout_s * 1000ull;
    bool connected = false, disconnecting = false, timed_out = false;
    unsigned sent = 0, acknowledged = 0, refused = 0;
    std::uint64_t next_reading = 0;
    std::string failure;  // what the server said, if it ended things

    loop_hooks hooks;
    hooks.on_event = [&](const event& e) {
        if (std::get_if<connected_event>(&e)) {
            connected = true;
            std::printf("wearable %s: connected to %s port %d over %s, publishing to %s\n", o.id.c_str(),
                        o.host.c_str(), o.port, transport_name(o), topic.c_str());
        } else if (std::get_if<publish_completed_event>(&e)) {
            ++acknowledged;  // the broker has the reading (PUBACK)
        } else if (const auto* f = std::get_if<publish_failed_event>(&e)) {
            ++refused;
            failure = "the broker refused a reading: " + std::string(reason_code_name(f->reason_code));
        } else if (const auto* r = std::get_if<connect_refused_event>(&e)) {
            failure = "the broker refused the connection: " +
                      std::string(reason_code_name(r->reason_code, packet_type::connack));
        } else if (const auto* d = std::get_if<disconnected_event>(&e)) {
            failure = "the broker disconnected us: " +
                      std::string(reason_code_name(d->reason_code, packet_type::disconnect));
        }
    };
    hooks.on_turn = [&] {
        const std::uint64_t now = monotonic_ms();
        if (now >= deadline && !timed_out) {
            timed_out = true;
            if (!connected) net->close();  // still in the TLS handshake or waiting for CONNACK: give up
        }
        if (mqtt.state() != client_state::connected || disconnecting) return;
        if (!timed_out && sent < o.count && now >= next_reading) {
            const std::string payload = to_json(simulate(sent + 1));
            publish p;
            p.topic = topic;
            p.payload = payload;  // copied into the client's buffers by publish()
            p.qos = qos::at_least_once;
            if (const auto id = mqtt.publish(p)) {
                ++sent;
                next_reading = now + o.interval_ms;
                std::printf("sent %s\n", payload.c_str());
            } else if (id.error().category != error_category::resource) {  // resource: full, retry next turn
                failure = "cannot publish: " + std::string(id.error().message());
            }
        }
        if (timed_out || !failure.empty() || (sent == o.count && mqtt.messages_in_store() == 0)) {
            disconnecting = true;  // every reading acknowledged (or out of time): a clean DISCONNECT
            (void)mqtt.disconnect();
        }
    };
    hooks.wake_at = [&]() -> std::optional<std::uint64_t> {
        if (timed_out) return std::nullopt;
        if (connected && sent < o.count && next_reading < deadline) return next_reading;
        return deadline;
    };

    const loop_result r = run_client(*net, mqtt, hooks);
    if (timed_out) failure = "timed out after " + std::to_string(o.timeout_s) + " s";
    if (failure.empty() && !r.clean) failure = r.error.empty() ? "the connection ended early" : r.error;
    std::printf("wearable %s: %u of %u readings sent, %u acknowledged\n", o.id.c_str(), sent, o.count, acknowledged);
    if (!failure.empty() || acknowledged != o.count || refused != 0) {
        std::fprintf(stderr, "wearable %s: %s\n", o.id.c_str(), failure.empty() ? "not every reading was acknowledged" : failure.c_str());
        return 1;
    }
    return 0;
}
