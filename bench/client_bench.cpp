// sansmqtt client microbenchmarks (Google Benchmark): the cost of the client session per message.
//
// A client<default_config> is connected once per benchmark (CONNECT taken from tx_data(), CONNACK
// fed back). In the timed loop, each iteration is one message through the client's whole path:
//
//   recv_qos0            receive() a QoS 0 PUBLISH, poll_event() -> message_event
//   recv_qos1_puback     receive() a QoS 1 PUBLISH, poll_event() -> message_event, the PUBACK the
//                        client queued is taken with tx_data() / tx_consume()
//   publish_qos1_puback  publish() at QoS 1 (encoded into tx and into the session store), take the
//                        PUBLISH from tx, receive() the server's PUBACK, poll_event() ->
//                        publish_completed_event
//   memcpy_baseline      a memcpy of the PUBLISH packet's bytes, measured in the same run
//
// for 3.1.1 and 5.0, with a 16-byte and a 1 KiB payload and a 30-byte topic. Every iteration
// checks its outcome with one cheap branch that aborts on failure, so a broken client cannot
// produce a fast, meaningless figure; the message content is checked once outside the loop.
//
// Before the benchmarks it prints sizeof(client<Config>) for the example Configs of
// bench/example_configs.hpp: the client's whole RAM cost.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "example_configs.hpp"
#include "instructions.hpp"
#include "memcpy_baseline.hpp"
#include "sansmqtt/sansmqtt.hpp"

namespace {

using namespace sansmqtt;
using byte_vector = std::vector<std::uint8_t>;
using bench_client = client<default_config>;

[[noreturn]] void die(const char* what, const char* detail = "") {
    std::fprintf(stderr, "client-bench: %s %s\n", what, detail);
    std::abort();
}

void require(bool ok, const char* what) {
    if (!ok) die("check failed:", what);
}

bytes_view view(const byte_vector& b) { return bytes_view(b.data(), b.size()); }

template <class P>
byte_vector encode_to_vector(const P& p, protocol_version v, sender from) {
    const auto size = encoded_size(p, v);
    if (!size) die("encoded_size failed:", size.error().name().data());
    byte_vector out(*size);
    const auto n = encode(p, mutable_bytes(out.data(), out.size()), v, from);
    if (!n) die("encode failed:", n.error().name().data());
    return out;
}

constexpr std::string_view topic = "plant-7/line-3/press-12/temp01";  // 30 bytes, as in codec-bench

// One group: a protocol version and a payload size.
struct client_case {
    std::string name;
    protocol_version version;
    byte_vector payload;
    byte_vector publish_qos0;  // what the server sends
    byte_vector publish_qos1;  // the same with QoS 1, Packet Identifier 7

    client_case(std::string n, protocol_version v, std::size_t payload_size) : name(std::move(n)), version(v) {
        payload.resize(payload_size);
        for (std::size_t i = 0; i < payload_size; ++i) payload[i] = static_cast<std::uint8_t>(i * 31u + 7u);
        publish p;
        p.topic = topic;
        p.payload = view(payload);
        publish_qos0 = encode_to_vector(p, v, sender::server);
        p.qos = qos::at_least_once;
        p.packet_id = 7;
        publish_qos1 = encode_to_vector(p, v, sender::server);
    }

    publish message(qos q) const {
        publish p;
        p.topic = topic;
        p.payload = view(payload);
        p.qos = q;
        return p;
    }
};

// A client connected in `v`: CONNECT sent, CONNACK received, connected_event polled.
std::unique_ptr<bench_client> connected_client(protocol_version v) {
    auto c = std::make_unique<bench_client>();
    require(c->transport_opened().has_value(), "transport_opened");
    connect_options o;
    o.protocol_version = v;
    o.client_id = "bench-client";
    o.keep_alive = 0;  // no PINGREQ in the timed loop
    require(c->connect(o).has_value(), "connect");
    c->tx_consume(c->tx_data().size());
    const byte_vector connack = encode_to_vector(sansmqtt::connack{}, v, sender::server);
    require(c->receive(view(connack)) == connack.size(), "CONNACK taken");
    const auto e = c->poll_event();
    require(e && std::get_if<connected_event>(&*e) != nullptr, "connected_event");
    require(!c->poll_event() && c->tx_data().empty(), "nothing else after CONNACK");
    return c;
}

void set_counters(benchmark::State& state, std::size_t bytes_per_message) {
    const auto iterations = static_cast<std::int64_t>(state.iterations());
    state.SetItemsProcessed(iterations);
    state.SetBytesProcessed(iterations * static_cast<std::int64_t>(bytes_per_message));
}

// receive() + poll_event() of a PUBLISH; at QoS 1 also the PUBACK taken from tx.
template <qos Q>
void bm_receive(benchmark::State& state, const client_case* k) {
    auto c = connected_client(k->version);
    const byte_vector& wire = Q == qos::at_most_once ? k->publish_qos0 : k->publish_qos1;
    const bytes_view packet = view(wire);
    bench::measure(state, 1, [&] {
        bytes_view in = packet;
        benchmark::DoNotOptimize(in);
        if (c->receive(in) != in.size()) die("receive did not take the packet");
        auto e = c->poll_event();
        const message_event* m = e ? std::get_if<message_event>(&*e) : nullptr;
        if (m == nullptr || m->packet.payload.size() != k->payload.size()) die("no message_event");
        benchmark::DoNotOptimize(m);
        if constexpr (Q == qos::at_least_once) {
            bytes_view ack = c->tx_data();
            if (ack.size() != 4) die("no PUBACK queued");
            benchmark::DoNotOptimize(ack);
            c->tx_consume(ack.size());
        }
    });
    // Outside the loop: the same steps deliver the expected message.
    require(c->receive(packet) == packet.size(), "receive after the loop");
    const auto e = c->poll_event();
    require(e && std::get_if<message_event>(&*e) != nullptr, "message_event after the loop");
    const publish& got = std::get_if<message_event>(&*e)->packet;
    require(got.topic == text_view(topic) && got.payload == view(k->payload) && got.qos == Q, "message content");
    if (Q == qos::at_least_once) {
        const auto want = encode_to_vector(puback{7, reason_code::success, {}}, k->version, sender::client);
        require(c->tx_data() == view(want), "PUBACK bytes");
    }
    set_counters(state, packet.size());
}

// publish() at QoS 1, the PUBLISH taken from tx, the server's PUBACK received and the completion
// polled.
void bm_publish_qos1(benchmark::State& state, const client_case* k) {
    auto c = connected_client(k->version);
    const publish message = k->message(qos::at_least_once);
    // PUBACK with Remaining Length 2 is valid in both versions (5.0: Success, no properties).
    std::array<std::uint8_t, 4> puback_bytes = {0x40, 0x02, 0x00, 0x00};
    std::size_t sent = 0;
    bench::measure(state, 1, [&] {
        const publish* p = &message;
        benchmark::DoNotOptimize(p);
        const auto id = c->publish(*p);
        if (!id) die("publish refused");
        bytes_view out = c->tx_data();
        sent = out.size();
        benchmark::DoNotOptimize(out);
        c->tx_consume(out.size());
        puback_bytes[2] = static_cast<std::uint8_t>(*id >> 8);
        puback_bytes[3] = static_cast<std::uint8_t>(*id & 0xFFu);
        if (c->receive(bytes_view(puback_bytes.data(), puback_bytes.size())) != 4) die("PUBACK not taken");
        auto e = c->poll_event();
        const publish_completed_event* done = e ? std::get_if<publish_completed_event>(&*e) : nullptr;
        if (done == nullptr || done->packet_id != *id) die("no publish_completed_event");
        benchmark::DoNotOptimize(done);
    });
    require(c->messages_in_store() == 0, "every message completed");
    require(sent == k->publish_qos1.size(), "the PUBLISH has the expected size");
    set_counters(state, sent);
}

void bm_memcpy(benchmark::State& state, const byte_vector* src) {
    require(run_memcpy_baseline(state, *src), "memcpy copies");
    set_counters(state, src->size());
}

void register_case(const client_case& k) {
    bench::add((k.name + "/recv_qos0").c_str(), bm_receive<qos::at_most_once>, &k)
        ->Unit(benchmark::kNanosecond);
    bench::add((k.name + "/recv_qos1_puback").c_str(), bm_receive<qos::at_least_once>, &k)
        ->Unit(benchmark::kNanosecond);
    bench::add((k.name + "/publish_qos1_puback").c_str(), bm_publish_qos1, &k)
        ->Unit(benchmark::kNanosecond);
    bench::add((k.name + "/memcpy_baseline").c_str(), bm_memcpy, &k.publish_qos1)
        ->Unit(benchmark::kNanosecond);
}

}  // namespace

int main(int argc, char** argv) {
    bench::parse_instruction_flag(argc, argv);
    using namespace sansmqtt::examples;
    const std::size_t sizes[] = {sizeof(client<minimal_config>), sizeof(client<default_example_config>),
                                 sizeof(client<full_v5_config>)};
    std::printf("sizeof(client<minimal_config>) = %zu bytes\n", sizes[0]);
    std::printf("sizeof(client<default_config>) = %zu bytes\n", sizes[1]);
    std::printf("sizeof(client<full_v5_config>) = %zu bytes\n", sizes[2]);
    std::printf("sizeof(client_core) = %zu bytes (included in each)\n", sizeof(client_core));
    std::fflush(stdout);
    benchmark::AddCustomContext("sizeof_client_minimal_config", std::to_string(sizes[0]));
    benchmark::AddCustomContext("sizeof_client_default_config", std::to_string(sizes[1]));
    benchmark::AddCustomContext("sizeof_client_full_v5_config", std::to_string(sizes[2]));

    static const client_case cases[] = {
        {"client_v311_16B", protocol_version::v3_1_1, 16},
        {"client_v311_1KiB", protocol_version::v3_1_1, 1024},
        {"client_v5_16B", protocol_version::v5, 16},
        {"client_v5_1KiB", protocol_version::v5, 1024},
    };
    for (const client_case& k : cases) register_case(k);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
