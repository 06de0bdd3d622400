// The client example of README.md ("Drive the client"), built and run by the test suite against
// an in-memory server, so that the README's code is real code. The lines between the README
// markers are in README.md word for word.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

// README begin
#include <sansmqtt/sansmqtt.hpp>
#include <cstdio>
using namespace sansmqtt;

// `net` is any transport: read() returns at once (0 when nothing arrived), write() returns how
// many bytes it took, now_ms() is a monotonic clock. A socket, a TLS engine, a UART, ...
template <class Transport>
void run_session(Transport& net, client<>& mqtt) {
    (void)mqtt.transport_opened();
    connect_options options;
    options.client_id = "thermostat-12";
    (void)mqtt.connect(options);
    while (mqtt.state() != client_state::idle) {
        const mutable_bytes window = mqtt.rx_window();  // read straight into the client's buffer
        mqtt.rx_commit(net.read(window.data(), window.size()));
        while (const std::optional<event> e = mqtt.poll_event()) {
            if (std::get_if<connected_event>(&*e)) {
                const subscription subs[] = {{"home/+/setpoint", qos::at_least_once}};
                (void)mqtt.subscribe(subs);
            } else if (std::get_if<subscribe_completed_event>(&*e)) {
                publish p;
                p.topic = "home/kitchen/setpoint";
                p.payload = "21.5";
                p.qos = qos::at_least_once;
                (void)mqtt.publish(p);  // ends with publish_completed_event (PUBACK)
            } else if (const auto* m = std::get_if<message_event>(&*e)) {
                const std::string_view topic = m->packet.topic.as_string_view();
                const std::string_view value = m->packet.payload.as_string_view();
                std::printf("%.*s = %.*s\n", int(topic.size()), topic.data(), int(value.size()), value.data());
                (void)mqtt.disconnect();
            }
        }
        const bytes_view out = mqtt.tx_data();
        mqtt.tx_consume(net.write(out.data(), out.size()));
        const client_state s = mqtt.state();  // ended (by us, the server or a failure): close
        if ((s == client_state::disconnecting || s == client_state::closed) && mqtt.tx_data().empty()) {
            mqtt.transport_closed();
        }
        mqtt.tick(net.now_ms());  // a real loop waits for data or until mqtt.next_deadline()
    }
}
// README end

namespace {

// An in-memory MQTT 5.0 server: it answers CONNECT with CONNACK, SUBSCRIBE with SUBACK and a QoS 1
// PUBLISH with PUBACK, and sends every PUBLISH back (the client subscribed to it), at QoS 1.
class in_memory_transport {
public:
    std::size_t read(std::uint8_t* out, std::size_t max) {
        const std::size_t n = to_client_.size() < max ? to_client_.size() : max;
        for (std::size_t i = 0; i < n; ++i) out[i] = to_client_[i];
        to_client_.erase(to_client_.begin(), to_client_.begin() + static_cast<std::ptrdiff_t>(n));
        return n;
    }

    std::size_t write(const std::uint8_t* data, std::size_t size) {
        from_client_.insert(from_client_.end(), data, data + size);
        for (;;) {
            const bytes_view received(from_client_.data(), from_client_.size());
            const auto f = frame(received, largest_packet_size, protocol_version::v5);
            if (!f || !f->complete) break;
            const std::size_t n = f->header.packet_size();
            const auto p = decode(received.subview(0, n), protocol_version::v5, sender::client);
            if (!p) fail("the client sent a packet that does not decode");
            answer(*p);
            from_client_.erase(from_client_.begin(), from_client_.begin() + static_cast<std::ptrdiff_t>(n));
        }
        return size;
    }

    std::uint64_t now_ms() {
        now_ += 10;
        if (now_ > 60'000) fail("the session did not end");
        return now_;
    }

    const std::vector<packet_type>& seen() const { return seen_; }

    [[noreturn]] static void fail(const char* what) {
        std::fprintf(stderr, "readme-client-example: %s\n", what);
        std::abort();
    }

private:
    template <class P>
    void send(const P& p) {
        std::uint8_t buf[512];
        const auto n = encode(p, buf, protocol_version::v5, sender::server);
        if (!n) fail("the server could not encode its answer");
        to_client_.insert(to_client_.end(), buf, buf + *n);
    }

    void answer(const packet& p) {
        seen_.push_back(type_of(p));
        if (std::get_if<connect>(&p) != nullptr) {
            send(connack{});
        } else if (const auto* s = std::get_if<subscribe>(&p)) {
            std::vector<reason_code> granted;
            for (const subscription& sub : s->subscriptions) granted.push_back(static_cast<reason_code>(sub.qos));
            suback a;
            a.packet_id = s->packet_id;
            a.reason_codes = reason_code_list(granted.data(), granted.size());
            send(a);
        } else if (const auto* pub = std::get_if<publish>(&p)) {
            if (pub->qos == qos::at_least_once) send(puback{pub->packet_id, reason_code::success, {}});
            publish back = *pub;
            back.packet_id = 1;
            back.dup = false;
            send(back);
        }
    }

    std::vector<std::uint8_t> from_client_, to_client_;
    std::vector<packet_type> seen_;
    std::uint64_t now_ = 0;
};

}  // namespace

int main() {
    in_memory_transport net;
    static client<> mqtt;
    run_session(net, mqtt);
    // The client connected, subscribed, published, acknowledged the message it received back and
    // disconnected.
    const std::vector<packet_type> expected = {packet_type::connect, packet_type::subscribe, packet_type::publish,
                                               packet_type::puback, packet_type::disconnect};
    if (net.seen() != expected) in_memory_transport::fail("unexpected packet sequence");
    if (mqtt.messages_in_store() != 0) in_memory_transport::fail("a message was not completed");
    std::printf("readme-client-example: connect, subscribe, publish, puback, disconnect\n");
    return 0;
}
