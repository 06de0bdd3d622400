// sansmqtt host microbenchmarks (Google Benchmark).
//
// Every codec benchmark works on packets built once before timing starts: encode() writes the
// wire form, which is then decoded in the timed loop (and the packet struct is encoded again in
// the encode benchmarks). Each result is checked once outside the loop against the expected value,
// and with one cheap branch inside it that aborts on failure, so a broken codec cannot produce a
// fast, meaningless figure.
//
// Counters: the time column is per iteration (one packet, one match, or one 10,000-packet stream);
// items_per_second is packets/s (matches/s for topic_match); bytes_per_second counts the packet's
// wire bytes. Each group ends with a memcpy of the same bytes, measured in the same run, as a
// yardstick that moves with the machine's load.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "instructions.hpp"
#include "memcpy_baseline.hpp"
#include "sansmqtt/sansmqtt.hpp"

namespace {

using namespace sansmqtt;
using byte_vector = std::vector<std::uint8_t>;

[[noreturn]] void die(const char* what, const char* detail = "") {
    std::fprintf(stderr, "codec-bench: %s %s\n", what, detail);
    std::abort();
}

void require(bool ok, const char* what) {
    if (!ok) die("check failed:", what);
}

bytes_view view(const byte_vector& b) { return bytes_view(b.data(), b.size()); }

// A byte-backed copy of text, as a decoded packet's views are (string literals are char-backed).
struct owned_text {
    explicit owned_text(std::string_view s) : bytes(s.begin(), s.end()) {}
    text_view text() const { return text_view(view(bytes)); }
    byte_vector bytes;
};

// Property blocks and payloads live here for the whole run; packet structs view into them.
struct property_storage {
    std::array<std::uint8_t, 512> bytes{};
    properties build(void (*fill)(property_builder&)) {
        property_builder b(mutable_bytes(bytes.data(), bytes.size()));
        fill(b);
        const auto r = b.build();
        require(r.has_value(), "property block builds");
        return *r;
    }
};

template <class P>
byte_vector encode_to_vector(const P& p, protocol_version v, sender from) {
    const auto size = encoded_size(p, v);
    if (!size) die("encoded_size failed:", size.error().name().data());
    byte_vector out(*size);
    const auto n = encode(p, mutable_bytes(out.data(), out.size()), v, from);
    if (!n) die("encode failed:", n.error().name().data());
    require(*n == out.size(), "encode writes encoded_size() bytes");
    return out;
}

// One packet to decode and encode: the struct, its wire form, the version and the senders.
template <class P>
struct codec_case {
    P packet;
    protocol_version version;
    sender from;  // the sender named to both decode() and encode()
    byte_vector wire;
};

template <class P>
codec_case<P> make_case(const P& p, protocol_version v, sender from) {
    codec_case<P> c{p, v, from, encode_to_vector(p, v, from)};
    // The wire form decodes to the same packet.
    const auto d = decode(view(c.wire), v, from);
    if (!d) die("decode of the fixture failed:", d.error().name().data());
    const P* q = std::get_if<P>(&*d);
    require(q != nullptr && *q == p, "fixture round-trips");
    return c;
}

void set_per_packet_counters(benchmark::State& state, std::size_t packets_per_iteration, std::size_t bytes_per_iteration) {
    const auto iterations = static_cast<std::int64_t>(state.iterations());
    state.SetItemsProcessed(iterations * static_cast<std::int64_t>(packets_per_iteration));
    state.SetBytesProcessed(iterations * static_cast<std::int64_t>(bytes_per_iteration));
}

template <class P>
void bm_decode(benchmark::State& state, const codec_case<P>* c) {
    const bytes_view wire = view(c->wire);
    bench::measure(state, 1, [&] {
        bytes_view in = wire;
        benchmark::DoNotOptimize(in);  // the compiler may not assume which bytes are decoded
        auto r = decode(in, c->version, c->from);
        if (!r.has_value()) die("decode failed in the timed loop");
        benchmark::DoNotOptimize(r);
    });
    // Outside the loop: the same call still yields the expected packet.
    const auto r = decode(wire, c->version, c->from);
    require(r.has_value() && std::get_if<P>(&*r) != nullptr && *std::get_if<P>(&*r) == c->packet,
            "decode yields the packet");
    set_per_packet_counters(state, 1, c->wire.size());
}

template <class P>
void bm_encode(benchmark::State& state, const codec_case<P>* c) {
    byte_vector out(c->wire.size());
    bench::measure(state, 1, [&] {
        const P* p = &c->packet;
        benchmark::DoNotOptimize(p);  // the compiler may not assume which packet is encoded
        auto n = encode(*p, mutable_bytes(out.data(), out.size()), c->version, c->from);
        if (!n.has_value()) die("encode failed in the timed loop");
        std::uint8_t* written = out.data();
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(written);
        benchmark::ClobberMemory();  // the written bytes count as observed
    });
    require(out == c->wire, "encode writes the expected bytes");
    set_per_packet_counters(state, 1, c->wire.size());
}

// Decode, then read what an application reads from a 5.0 PUBLISH: the three properties (two by
// the block's index, the User Properties by iterating from the first one).
void bm_decode_read_properties(benchmark::State& state, const codec_case<publish>* c) {
    const bytes_view wire = view(c->wire);
    bench::measure(state, 1, [&] {
        bytes_view in = wire;
        benchmark::DoNotOptimize(in);
        auto r = decode(in, c->version, c->from);
        if (!r.has_value()) die("decode failed in the timed loop");
        const publish& p = *std::get_if<publish>(&*r);
        auto expiry = p.properties.message_expiry_interval();
        auto content_type = p.properties.content_type();
        std::size_t user_properties = 0;
        for (const property& u : p.properties.user_properties()) {
            string_pair pair = u.pair;  // (DoNotOptimize takes non-const lvalues: the const overload is deprecated)
            benchmark::DoNotOptimize(pair);
            ++user_properties;
        }
        if (!expiry || !content_type || user_properties != 1) die("properties missing in the timed loop");
        benchmark::DoNotOptimize(expiry);
        benchmark::DoNotOptimize(content_type);
    });
    set_per_packet_counters(state, 1, c->wire.size());
}

// The baseline (memcpy_baseline.hpp).
void bm_memcpy(benchmark::State& state, const byte_vector* src, std::size_t packets) {
    require(run_memcpy_baseline(state, *src, packets), "memcpy copies");
    set_per_packet_counters(state, packets, src->size());
}

// ---- Fixtures -------------------------------------------------------------------------------

constexpr std::string_view small_topic = "plant-7/line-3/press-12/temp01";  // 30 bytes
static_assert(small_topic.size() == 30);

byte_vector pattern(std::size_t n, std::uint8_t seed) {
    byte_vector b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31u);
    return b;
}

struct fixtures {
    byte_vector payload_64 = pattern(64, 1);
    byte_vector payload_1k = pattern(1024, 2);
    byte_vector payload_64k = pattern(64 * 1024, 3);
    byte_vector will_payload = pattern(24, 4);
    byte_vector password = pattern(32, 5);
    property_storage publish_props, connect_props, will_props, subscribe_props;

    codec_case<publish> publish_v311_small;
    codec_case<publish> publish_v5_small;
    codec_case<publish> publish_v5_1k;
    codec_case<publish> publish_v5_64k;
    codec_case<connect> connect_v5;
    codec_case<subscribe> subscribe_v311;
    codec_case<subscribe> subscribe_v5;

    std::array<subscription, 8> subscriptions_v311{};
    std::array<subscription, 8> subscriptions_v5{};

    fixtures() {
        publish p;
        p.topic = small_topic;
        p.payload = view(payload_64);
        p.qos = qos::at_least_once;
        p.packet_id = 4711;
        publish_v311_small = make_case(p, protocol_version::v3_1_1, sender::server);

        // Three properties: Message Expiry Interval, Content Type, one User Property.
        p.properties = publish_props.build([](property_builder& b) {
            b.message_expiry_interval(3600).content_type("application/json").user_property("unit", "celsius");
        });
        publish_v5_small = make_case(p, protocol_version::v5, sender::server);
        p.payload = view(payload_1k);
        publish_v5_1k = make_case(p, protocol_version::v5, sender::server);
        p.payload = view(payload_64k);
        publish_v5_64k = make_case(p, protocol_version::v5, sender::server);

        connect c;
        c.protocol_version = protocol_version::v5;
        c.clean_start = false;
        c.keep_alive = 60;
        c.client_id = "sensor-gw-0042-7f3a";
        c.properties = connect_props.build([](property_builder& b) {
            b.session_expiry_interval(86400).receive_maximum(32).maximum_packet_size(65536).topic_alias_maximum(16)
                .request_problem_information(true).user_property("fw", "2.4.1");
        });
        will_message w;
        w.topic = "plant-7/line-3/gw-0042/status";
        w.payload = view(will_payload);
        w.qos = qos::at_least_once;
        w.retain = true;
        w.properties = will_props.build([](property_builder& b) {
            b.will_delay_interval(30).payload_format_indicator(1).message_expiry_interval(600).content_type("text/plain");
        });
        c.will = w;
        c.username = text_view("gateway-0042");
        c.password = view(password);
        connect_v5 = make_case(c, protocol_version::v5, sender::client);

        const std::array<std::string_view, 8> filters = {
            "plant-7/line-3/press-12/temp01", "plant-7/line-3/+/temp01", "plant-7/line-3/#",
            "plant-7/+/+/status",             "alerts/#",                "cmd/gw-0042/+",
            "$SYS/broker/clients/connected",  "config/gw-0042",
        };
        for (std::size_t i = 0; i < filters.size(); ++i) {
            subscription s;
            s.topic_filter = filters[i];
            s.qos = static_cast<sansmqtt::qos>(i % 3);
            subscriptions_v311[i] = s;
            s.no_local = i % 2 == 1;
            s.retain_as_published = i % 3 == 0;
            s.retain_handling = static_cast<sansmqtt::retain_handling>(i % 3);
            subscriptions_v5[i] = s;
        }
        subscribe s;
        s.packet_id = 17;
        s.subscriptions = subscription_list(subscriptions_v311);
        subscribe_v311 = make_case(s, protocol_version::v3_1_1, sender::client);
        s.subscriptions = subscription_list(subscriptions_v5);
        s.properties = subscribe_props.build([](property_builder& b) { b.subscription_identifier(42); });
        subscribe_v5 = make_case(s, protocol_version::v5, sender::client);
    }
};

// ---- Framing a stream -----------------------------------------------------------------------

// A deterministic generator (splitmix64), so the stream is the same with every standard library.
class rng {
public:
    explicit rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t state_;
};

// What a 5.0 client receives from its server: 80% PUBLISH (QoS 0 and 1, topics of 14-44 bytes,
// payloads of 8-255 bytes, a third with Message Expiry Interval and Content Type), 12% PUBACK,
// 5% PINGRESP, 3% SUBACK.
struct packet_stream {
    static constexpr std::size_t packet_count = 10'000;
    byte_vector bytes;
    std::size_t largest = 0;
    std::size_t counts[4] = {};  // publish, puback, pingresp, suback

    packet_stream() {
        static constexpr std::string_view topics[] = {
            "alerts/line-3/high",
            "plant-7/line-3/press-12/temp01",
            "plant-7/line-3/press-12/pressure",
            "plant-7/line-1/conveyor-4/speed",
            "plant-7/line-2/robot-9/joint-3/torque-avg-1m",
            "cmd/gw-0042/reboot",
            "config/gw-0042",
            "plant-7/line-3/gw-0042/status",
        };
        std::array<std::uint8_t, 64> prop_bytes{};
        property_builder b(mutable_bytes(prop_bytes.data(), prop_bytes.size()));
        b.message_expiry_interval(120).content_type("application/cbor");
        const auto props = b.build();
        require(props.has_value(), "stream property block builds");
        const byte_vector payload = pattern(255, 9);
        const std::array<reason_code, 3> granted = {reason_code::granted_qos_0, reason_code::granted_qos_1,
                                                    reason_code::granted_qos_1};

        rng r(0x5A5E5A5E);
        for (std::size_t i = 0; i < packet_count; ++i) {
            const std::size_t roll = r.below(100);
            byte_vector wire;
            if (roll < 80) {
                publish p;
                p.topic = topics[r.below(std::size(topics))];
                p.payload = bytes_view(payload.data(), 8 + r.below(248));
                if (r.below(2) == 1) {
                    p.qos = qos::at_least_once;
                    p.packet_id = static_cast<std::uint16_t>(1 + i % 65535);
                }
                if (r.below(3) == 0) p.properties = *props;
                wire = encode_to_vector(p, protocol_version::v5, sender::server);
                ++counts[0];
            } else if (roll < 92) {
                wire = encode_to_vector(puback{static_cast<std::uint16_t>(1 + i % 65535), reason_code::success, {}},
                                        protocol_version::v5, sender::server);
                ++counts[1];
            } else if (roll < 97) {
                wire = encode_to_vector(pingresp{}, protocol_version::v5, sender::server);
                ++counts[2];
            } else {
                suback a;
                a.packet_id = static_cast<std::uint16_t>(1 + i % 65535);
                a.reason_codes = reason_code_list(granted);
                wire = encode_to_vector(a, protocol_version::v5, sender::server);
                ++counts[3];
            }
            if (wire.size() > largest) largest = wire.size();
            bytes.insert(bytes.end(), wire.begin(), wire.end());
        }
    }
};

// Feeds `stream` to `f` in pieces of `piece` bytes (0: all at once) and counts the packets.
// With `decode_each`, every packet is also decoded, as the client's receive path does.
template <bool decode_each>
std::size_t run_stream(framer& f, const bytes_view& stream, std::size_t piece) {
    std::size_t packets = 0;
    const std::size_t step = piece == 0 ? stream.size() : piece;
    for (std::size_t pos = 0; pos < stream.size(); pos += step) {
        bytes_view chunk = stream.subview(pos, step);
        while (!chunk.empty()) {
            auto st = f.feed(chunk);
            if (!st.has_value()) die("framer refused the stream");
            if (st->complete) {
                ++packets;
                if constexpr (decode_each) {
                    // Framed once: decode_framed() takes the header the framer read.
                    auto p = decode_framed(st->packet, f.header(), protocol_version::v5, sender::server);
                    if (!p.has_value()) die("decode of a framed packet failed");
                    benchmark::DoNotOptimize(p);
                } else {
                    benchmark::DoNotOptimize(st->packet);
                }
            } else if (st->consumed == 0) {
                die("framer made no progress");
            }
            chunk = chunk.subview(st->consumed);
        }
    }
    return packets;
}

template <bool decode_each>
void bm_stream(benchmark::State& state, const packet_stream* s, std::size_t piece) {
    byte_vector storage(4096);
    require(s->largest <= storage.size(), "framer storage holds every packet");
    framer f(mutable_bytes(storage.data(), storage.size()), static_cast<std::uint32_t>(storage.size()),
             protocol_version::v5);
    const bytes_view stream = view(s->bytes);
    bench::measure(state, packet_stream::packet_count, [&] {
        bytes_view in = stream;
        benchmark::DoNotOptimize(in);
        const std::size_t n = run_stream<decode_each>(f, in, piece);
        if (n != packet_stream::packet_count) die("framer lost or invented packets");
        require(f.buffered() == 0, "framer holds nothing after the stream");
    });
    // packets/s is items_per_second; ns per packet is its inverse (scripts/bench.sh prints both).
    // No custom counter: the CSV reporter requires every benchmark to have the same counters.
    set_per_packet_counters(state, packet_stream::packet_count, s->bytes.size());
}

// ---- Topic filter matching ------------------------------------------------------------------

struct match_case {
    const char* name;
    std::string_view filter;  // char-backed, like a filter from the application's configuration
    owned_text topic;         // byte-backed, like a Topic Name from a decoded PUBLISH
    bool expected;
};

void bm_topic_match(benchmark::State& state, const match_case* m) {
    const text_view filter = m->filter;
    const text_view name = m->topic.text();
    require(check_topic_filter(filter).has_value() && check_topic_name(name).has_value(), "match inputs are valid");
    require(topic_matches(filter, name, protocol_version::v5) == m->expected, "topic_matches gives the expected answer");
    bench::measure(state, 1, [&] {
        text_view f = filter;
        text_view n = name;
        benchmark::DoNotOptimize(f);
        benchmark::DoNotOptimize(n);
        bool matched = topic_matches(f, n, protocol_version::v5);
        if (matched != m->expected) die("topic_matches changed its answer");
        benchmark::DoNotOptimize(matched);
    });
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Baseline for matching: memcmp of the Topic Name with an equal copy of itself.
void bm_memcmp_topic(benchmark::State& state, const match_case* m) {
    const byte_vector copy = m->topic.bytes;
    bench::measure(state, 1, [&] {
        const std::uint8_t* a = m->topic.bytes.data();
        const std::uint8_t* b = copy.data();
        std::size_t n = copy.size();
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
        benchmark::DoNotOptimize(n);
        int equal = std::memcmp(a, b, n);
        if (equal != 0) die("memcmp baseline");
        benchmark::DoNotOptimize(equal);
    });
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---- Registration ---------------------------------------------------------------------------

template <class P>
void register_codec(const std::string& name, const codec_case<P>& c) {
    bench::add((name + "/decode").c_str(), bm_decode<P>, &c)->Unit(benchmark::kNanosecond);
    bench::add((name + "/encode").c_str(), bm_encode<P>, &c)->Unit(benchmark::kNanosecond);
    bench::add((name + "/memcpy_baseline").c_str(), bm_memcpy, &c.wire, std::size_t{1})
        ->Unit(benchmark::kNanosecond);
}

}  // namespace

int main(int argc, char** argv) {
    bench::parse_instruction_flag(argc, argv);
    static const fixtures fx;
    static const packet_stream stream;
    static const match_case matches[] = {
        {"exact", "plant-7/line-3/press-12/temp01", owned_text("plant-7/line-3/press-12/temp01"), true},
        {"plus", "plant-7/+/press-12/+", owned_text("plant-7/line-3/press-12/temp01"), true},
        {"hash", "plant-7/line-3/#", owned_text("plant-7/line-3/press-12/temp01"), true},
        {"miss_last_level", "plant-7/line-3/press-12/temp02", owned_text("plant-7/line-3/press-12/temp01"), false},
        {"sys_excluded_by_hash", "#", owned_text("$SYS/broker/clients/connected"), false},
        {"sys_explicit", "$SYS/broker/+/connected", owned_text("$SYS/broker/clients/connected"), true},
        {"shared_plus_hash", "$share/loggers/plant-7/+/press-12/#", owned_text("plant-7/line-3/press-12/temp01"), true},
    };

    register_codec("publish_v311_small", fx.publish_v311_small);
    register_codec("publish_v5_small", fx.publish_v5_small);
    bench::add("publish_v5_small/decode_read_properties", bm_decode_read_properties,
                                 &fx.publish_v5_small)
        ->Unit(benchmark::kNanosecond);
    register_codec("publish_v5_1KiB", fx.publish_v5_1k);
    register_codec("publish_v5_64KiB", fx.publish_v5_64k);
    register_codec("connect_v5_will_auth", fx.connect_v5);
    register_codec("subscribe_v311_8", fx.subscribe_v311);
    register_codec("subscribe_v5_8", fx.subscribe_v5);

    for (const auto& [name, piece] : {std::pair<const char*, std::size_t>{"whole", 0}, {"piece_1", 1}, {"piece_7", 7}}) {
        bench::add((std::string("frame_10k/") + name).c_str(), bm_stream<false>, &stream, piece)
            ->Unit(benchmark::kMicrosecond);
    }
    for (const auto& [name, piece] : {std::pair<const char*, std::size_t>{"whole", 0}, {"piece_7", 7}}) {
        bench::add((std::string("frame_decode_10k/") + name).c_str(), bm_stream<true>, &stream, piece)
            ->Unit(benchmark::kMicrosecond);
    }
    bench::add("frame_10k/memcpy_baseline", bm_memcpy, &stream.bytes, packet_stream::packet_count)
        ->Unit(benchmark::kMicrosecond);

    for (const match_case& m : matches) {
        bench::add((std::string("topic_match/") + m.name).c_str(), bm_topic_match, &m)
            ->Unit(benchmark::kNanosecond);
    }
    bench::add("topic_match/memcmp_baseline", bm_memcmp_topic, &matches[0])
        ->Unit(benchmark::kNanosecond);

    benchmark::AddCustomContext("stream_bytes", std::to_string(stream.bytes.size()));
    benchmark::AddCustomContext(
        "stream_mix", std::to_string(stream.counts[0]) + " PUBLISH, " + std::to_string(stream.counts[1]) + " PUBACK, " +
                          std::to_string(stream.counts[2]) + " PINGRESP, " + std::to_string(stream.counts[3]) + " SUBACK");

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
