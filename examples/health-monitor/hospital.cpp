// hospital: the ward's display. It connects to the broker over mutual TLS with its own
// certificate, subscribes to every patient's vitals (patients/+/vitals, QoS 1) and prints each
// reading as a line a nurse can read:
//
//   patient wearable-01  HR 72 bpm  SpO2 98 %  temp 36.7 C  (seq 3)
//
//   hospital --host localhost --port 8883 --cafile ca.pem --cert hospital-display.pem
//            --key hospital-display.key --count 5 --timeout 30
//
// Prints "... subscribed to patients/+/vitals" once readings can arrive. Exits after --count
// readings (0: no limit) with status 0, or after --timeout seconds with status 3; 1 on errors.
#include <cstdio>
#include <optional>
#include <string>

#include "health.hpp"

using namespace health;

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const options o = parse_options(argc, argv, "hospital-display");
    const char* const filter = "patients/+/vitals";

    std::string error;
    const std::unique_ptr<stream> net = open_stream(o, error);
    if (!net) {
        std::fprintf(stderr, "hospital %s: %s\n", o.id.c_str(), error.c_str());
        return 1;
    }

    client<> mqtt;
    (void)mqtt.transport_opened();
    mqtt.tick(monotonic_ms());
    connect_options c;
    c.protocol_version = o.version;
    c.client_id = o.id;
    c.keep_alive = 30;
    if (const auto r = mqtt.connect(c); !r) {
        std::fprintf(stderr, "hospital %s: connect: %s\n", o.id.c_str(), std::string(r.error().message()).c_str());
        return 1;
    }

    const std::uint64_t deadline = monotonic_ms() + o.timeout_s * 1000ull;
    bool connected = false, done = false, disconnecting = false, timed_out = false, past_deadline = false;
    unsigned received = 0;
    std::string failure;

    loop_hooks hooks;
    hooks.on_event = [&](const event& e) {
        if (std::get_if<connected_event>(&e)) {
            connected = true;
            const subscription subs[] = {{filter, qos::at_least_once}};
            if (const auto r = mqtt.subscribe(subs); !r) failure = "subscribe: " + std::string(r.error().message());
        } else if (const auto* s = std::get_if<subscribe_completed_event>(&e)) {
            const reason_code granted = *s->packet.reason_codes.begin();
            if (is_failure(granted)) {
                failure = "the broker refused the subscription: " + std::string(reason_code_name(granted, packet_type::suback));
            } else {
                std::printf("hospital %s: connected over %s, subscribed to %s\n", o.id.c_str(), transport_name(o), filter);
            }
        } else if (const auto* m = std::get_if<message_event>(&e)) {
            // The topic is patients/<patient>/vitals: the patient is the middle level.
            std::string_view patient = m->packet.topic.as_string_view();
            patient.remove_prefix(patient.find('/') + 1);
            patient = patient.substr(0, patient.find('/'));
            const std::string_view payload = m->packet.payload.as_string_view();
            vitals v;
            if (from_json(payload, v)) {
                std::printf("%s\n", describe(patient, v).c_str());
            } else {
                std::printf("patient %.*s  unreadable reading (%zu bytes): %.*s\n", static_cast<int>(patient.size()),
                            patient.data(), payload.size(), static_cast<int>(payload.size()), payload.data());
            }
            if (++received == o.count) done = true;
        } else if (const auto* r = std::get_if<connect_refused_event>(&e)) {
            failure = "the broker refused the connection: " +
                      std::string(reason_code_name(r->reason_code, packet_type::connack));
        } else if (const auto* d = std::get_if<disconnected_event>(&e)) {
            failure = "the broker disconnected us: " +
                      std::string(reason_code_name(d->reason_code, packet_type::disconnect));
        }
    };
    hooks.on_turn = [&] {
        if (!past_deadline && monotonic_ms() >= deadline) {
            past_deadline = true;
            timed_out = !done;
            if (!connected) net->close();  // still in the TLS handshake or waiting for CONNACK: give up
        }
        if (mqtt.state() == client_state::connected && !disconnecting && (done || timed_out || !failure.empty())) {
            disconnecting = true;
            (void)mqtt.disconnect();
        }
    };
    hooks.wake_at = [&]() -> std::optional<std::uint64_t> {
        return past_deadline ? std::nullopt : std::optional<std::uint64_t>(deadline);
    };

    const loop_result r = run_client(*net, mqtt, hooks);
    if (failure.empty() && !r.clean && !(timed_out && connected)) {
        failure = timed_out ? "timed out after " + std::to_string(o.timeout_s) + " s before connecting"
                            : (r.error.empty() ? "the connection ended early" : r.error);
    }
    std::printf("hospital %s: %u reading%s received\n", o.id.c_str(), received, received == 1 ? "" : "s");
    if (!failure.empty()) {
        std::fprintf(stderr, "hospital %s: %s\n", o.id.c_str(), failure.c_str());
        return 1;
    }
    if (timed_out) {
        std::printf("hospital %s: stopped after %u s (timeout)\n", o.id.c_str(), o.timeout_s);
        return 3;
    }
    return 0;
}
