// Proof of zero heap: the global allocation functions (operator new/delete in all forms, malloc,
// calloc, realloc) are replaced by ones that abort while the trap is armed. With the trap armed,
// every packet type of both versions is encoded, framed, decoded and compared, and properties,
// topic matching and error descriptions are used; then a whole client session runs for each
// version on client<Config> objects in static storage, fed server bytes from static arrays:
// CONNECT/CONNACK, SUBSCRIBE/SUBACK, publishing at QoS 0/1/2 with their acknowledgements,
// receiving at QoS 0/1/2 and a message larger than the receive buffer (streamed), keep alive,
// DISCONNECT, and a reconnect that resumes the session (a QoS 1 message sent again with DUP, a
// QoS 2 release sent again). Reaching the end means neither the codec nor the client allocated.
// This program uses no test framework, so that nothing else allocates meanwhile.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <new>
#include <sys/wait.h>
#include <unistd.h>

#include "sansmqtt/sansmqtt.hpp"

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void __libc_free(void*);

namespace {

bool armed = false;

[[noreturn]] void trapped(const char* what) {
    // write(2): no stdio buffer, no allocation.
    static const char prefix[] = "alloc-trap: the codec called ";
    (void)!write(2, prefix, sizeof prefix - 1);
    std::size_t n = 0;
    while (what[n] != '\0') ++n;
    (void)!write(2, what, n);
    (void)!write(2, "\n", 1);
    std::abort();
}

void* checked_malloc(std::size_t n, const char* what) {
    if (armed) trapped(what);
    void* p = __libc_malloc(n == 0 ? 1 : n);
    return p;
}

}  // namespace

extern "C" void* malloc(std::size_t n) { return checked_malloc(n, "malloc"); }
extern "C" void* calloc(std::size_t a, std::size_t b) {
    if (armed) trapped("calloc");
    return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, std::size_t n) {
    if (armed) trapped("realloc");
    return __libc_realloc(p, n);
}
extern "C" void free(void* p) { __libc_free(p); }

void* operator new(std::size_t n) {
    void* p = checked_malloc(n, "operator new");
    if (p == nullptr) std::abort();
    return p;
}
void* operator new[](std::size_t n) {
    void* p = checked_malloc(n, "operator new[]");
    if (p == nullptr) std::abort();
    return p;
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return checked_malloc(n, "operator new(nothrow)"); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return checked_malloc(n, "operator new[](nothrow)"); }
void* operator new(std::size_t n, std::align_val_t a) {
    if (armed) trapped("operator new(align)");
    void* p = nullptr;
    if (posix_memalign(&p, static_cast<std::size_t>(a), n) != 0) std::abort();
    return p;
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }

namespace {

using namespace sansmqtt;

int failures = 0;

void expect(bool ok, const char* what) {
    if (!ok) {
        ++failures;
        (void)!write(2, "alloc-trap: check failed: ", 26);
        std::size_t n = 0;
        while (what[n] != '\0') ++n;
        (void)!write(2, what, n);
        (void)!write(2, "\n", 1);
    }
}

// Encodes `p`, frames the bytes in 3-byte pieces, decodes, and compares.
void round_trip(const packet& p, protocol_version v, const char* what) {
    std::uint8_t out[512];
    const auto n = encode(p, out, v);
    expect(n.has_value(), what);
    if (!n) return;
    const auto size = encoded_size(p, v);
    expect(size && *size == *n, what);

    std::uint8_t storage[512];
    framer f(storage, sizeof storage, v);
    bytes_view whole(out, *n);
    bytes_view framed;
    for (std::size_t at = 0; at < whole.size(); at += 3) {
        bytes_view piece = whole.subview(at, 3);
        while (!piece.empty()) {
            const auto st = f.feed(piece);
            expect(st.has_value(), what);
            if (!st) return;
            piece = piece.subview(st->consumed);
            if (st->complete) framed = st->packet;
        }
    }
    expect(framed == whole, what);
    const auto d = decode(framed, v);
    expect(d && *d == p, what);
    if (d) {
        // Walk every property and every list the decoded packet holds.
        std::size_t seen = 0;
        detail::visit_packet(*d, [&seen](const auto& q) {
            using Q = std::decay_t<decltype(q)>;
            if constexpr (!std::is_same_v<Q, pingreq> && !std::is_same_v<Q, pingresp>) {
                for (const property& prop : q.properties) seen += static_cast<std::size_t>(prop.id);
            }
            if constexpr (std::is_same_v<Q, subscribe>) {
                for (const subscription& s : q.subscriptions) seen += s.topic_filter.size();
            }
            if constexpr (std::is_same_v<Q, suback> || std::is_same_v<Q, unsuback>) {
                for (const reason_code c : q.reason_codes) seen += static_cast<std::size_t>(c);
            }
            if constexpr (std::is_same_v<Q, unsubscribe>) {
                for (const text_view t : q.topic_filters) seen += t.size();
            }
            return 0;
        });
        (void)seen;
    }
}

void exercise() {
    std::uint8_t ps[256];
    property_builder props(ps);
    props.user_property("k", "v").reason_string("why");
    const properties reason_props = *props.build();

    std::uint8_t pub_storage[256];
    property_builder pub_props(pub_storage);
    pub_props.payload_format_indicator(1).message_expiry_interval(30).topic_alias(2).response_topic("r/t")
        .correlation_data(bytes_view(std::string_view("c"))).content_type("t").user_property("a", "b");
    const properties publish_props = *pub_props.build();

    std::uint8_t connect_storage[256];
    property_builder connect_props(connect_storage);
    connect_props.session_expiry_interval(60).receive_maximum(10).maximum_packet_size(1024).topic_alias_maximum(5)
        .request_problem_information(true).request_response_information(false).authentication_method("m")
        .authentication_data(bytes_view(std::string_view("d")));
    const properties conn_props = *connect_props.build();

    std::uint8_t connack_storage[256];
    property_builder connack_props(connack_storage);
    connack_props.assigned_client_identifier("id").server_keep_alive(30).maximum_qos(1).retain_available(true)
        .wildcard_subscription_available(true).subscription_identifier_available(true)
        .shared_subscription_available(false).response_information("ri").server_reference("s");
    const properties ack_props = *connack_props.build();

    std::uint8_t auth_storage[64];
    property_builder auth_props(auth_storage);
    auth_props.authentication_method("SCRAM").authentication_data(bytes_view(std::string_view("x")));
    const properties authp = *auth_props.build();

    const subscription subs[] = {{"a/+", qos::at_least_once}, {"b/#", qos::exactly_once}};
    const text_view filters[] = {"a/+", "b/#"};
    const reason_code codes[] = {reason_code::granted_qos_1, reason_code::granted_qos_2};
    const reason_code unsub_codes[] = {reason_code::success, reason_code::no_subscription_existed};

    for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v5}) {
        const bool five = is_v5(v);
        connect c;
        c.protocol_version = v;
        c.client_id = "dev";
        c.keep_alive = 30;
        c.will = will_message{"w", bytes_view(std::string_view("gone")), qos::at_least_once, false, {}};
        c.username = text_view("u");
        c.password = bytes_view(std::string_view("p"));
        if (five) c.properties = conn_props;
        round_trip(c, v, "connect");
        round_trip(connack{true, reason_code::success, five ? ack_props : properties{}}, v, "connack");
        publish pub;
        pub.topic = "health/hr";
        pub.payload = bytes_view(std::string_view("72"));
        pub.qos = qos::exactly_once;
        pub.packet_id = 3;
        if (five) pub.properties = publish_props;
        round_trip(pub, v, "publish");
        const properties rp = five ? reason_props : properties{};
        round_trip(puback{1, reason_code::success, rp}, v, "puback");
        round_trip(pubrec{2, reason_code::success, rp}, v, "pubrec");
        round_trip(pubrel{3, reason_code::success, rp}, v, "pubrel");
        round_trip(pubcomp{4, reason_code::success, rp}, v, "pubcomp");
        round_trip(subscribe{5, subs, {}}, v, "subscribe");
        round_trip(suback{5, codes, rp}, v, "suback");
        round_trip(unsubscribe{6, filters, {}}, v, "unsubscribe");
        round_trip(unsuback{6, five ? reason_code_list(unsub_codes) : reason_code_list{}, rp}, v, "unsuback");
        round_trip(pingreq{}, v, "pingreq");
        round_trip(pingresp{}, v, "pingresp");
        round_trip(disconnect{}, v, "disconnect");
        if (five) {
            round_trip(disconnect{reason_code::server_shutting_down, rp}, v, "disconnect with reason");
            round_trip(auth{reason_code::continue_authentication, authp}, v, "auth");
        }
    }

    // Errors: decoding refuses, describes, and names the rule without allocating.
    const std::uint8_t bad[] = {0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01};
    const auto d = decode(bytes_view(bad, sizeof bad), protocol_version::v5);
    expect(!d && d.error().rule() == "MQTT-3.3.1-4" && !d.error().message().empty(), "error description");
    expect(topic_matches("a/+", "a/b") && !topic_matches("+/x", "$SYS/x"), "topic matching");
    expect(check_topic_filter("$share/g/a/#").has_value(), "shared filter");
}

// ---- a whole client session ---------------------------------------------------------------------

struct trap_config : default_config {
    static constexpr std::size_t rx_buffer_size = 128;  // the 600-byte message below arrives streamed
    static constexpr std::size_t tx_buffer_size = 512;
    static constexpr std::size_t max_stored_messages = 4;
    static constexpr std::size_t session_store_bytes = 512;
    static constexpr std::uint16_t receive_maximum = 4;
    static constexpr std::size_t max_pending_requests = 2;
    static constexpr std::size_t topic_aliases_out = 2;
    static constexpr std::size_t topic_aliases_in = 2;
    static constexpr std::size_t topic_alias_length = 16;
};

// The clients live in static storage: constructing them allocates nothing either.
client<trap_config> client_v311;
client<trap_config> client_v5;

// What the client sent, decoded (sender::client), and the events it emitted, in static arrays.
struct sent_packet {
    packet_type type{};
    std::uint16_t packet_id = 0;
    qos q = qos::at_most_once;
    bool dup = false;
    bool clean_start = false;
};
sent_packet sent[16];
std::size_t sent_count = 0;
std::uint8_t tx_copy[1024];

enum class seen : std::uint8_t { connected, message, begin, chunk, end, completed, failed, suback, other };
struct seen_event {
    seen kind = seen::other;
    std::uint16_t packet_id = 0;
    std::uint32_t size = 0;  // payload bytes (message, chunk), payload size (begin)
    bool flag = false;       // Session Present (connected)
};
seen_event events[32];
std::size_t event_count = 0;

void record(const event& e) {
    seen_event s;
    if (const auto* c = std::get_if<connected_event>(&e)) {
        s.kind = seen::connected;
        s.flag = c->session_present;
    } else if (const auto* m = std::get_if<message_event>(&e)) {
        s = {seen::message, m->packet.packet_id, static_cast<std::uint32_t>(m->packet.payload.size()), false};
    } else if (const auto* b = std::get_if<message_begin_event>(&e)) {
        s = {seen::begin, b->packet.packet_id, b->payload_size, false};
    } else if (const auto* k = std::get_if<message_chunk_event>(&e)) {
        s = {seen::chunk, k->packet_id, static_cast<std::uint32_t>(k->data.size()), false};
    } else if (const auto* d = std::get_if<message_end_event>(&e)) {
        s = {seen::end, d->packet_id, 0, false};
    } else if (const auto* p = std::get_if<publish_completed_event>(&e)) {
        s = {seen::completed, p->packet_id, 0, false};
    } else if (const auto* f = std::get_if<publish_failed_event>(&e)) {
        s = {seen::failed, f->packet_id, 0, false};
    } else if (const auto* a = std::get_if<subscribe_completed_event>(&e)) {
        s = {seen::suback, a->packet_id, static_cast<std::uint32_t>(a->packet.reason_codes.size()), false};
    }
    if (event_count < sizeof events / sizeof events[0]) events[event_count++] = s;
}

void poll_all(client_core& c) {
    while (const auto e = c.poll_event()) record(*e);
}

// Takes everything the client queued and decodes it packet by packet.
void take_sent(client_core& c, protocol_version v) {
    sent_count = 0;
    const bytes_view tx = c.tx_data();
    expect(tx.size() <= sizeof tx_copy, "session: transmit data fits the copy");
    const std::size_t n = tx.size() < sizeof tx_copy ? tx.size() : sizeof tx_copy;
    for (std::size_t i = 0; i < n; ++i) tx_copy[i] = tx[i];
    c.tx_consume(n);
    bytes_view rest(tx_copy, n);
    while (!rest.empty()) {
        const auto f = frame(rest, largest_packet_size, v);
        if (!f || !f->complete) {
            expect(false, "session: the client sent a whole packet");
            return;
        }
        const auto p = decode(rest.subview(0, f->header.packet_size()), v, sender::client);
        expect(p.has_value(), "session: the client's packet decodes");
        if (p && sent_count < sizeof sent / sizeof sent[0]) {
            sent_packet s;
            s.type = type_of(*p);
            detail::visit_packet(*p, [&s](const auto& q) {
                using Q = std::decay_t<decltype(q)>;
                if constexpr (std::is_same_v<Q, publish>) {
                    s.packet_id = q.packet_id;
                    s.q = q.qos;
                    s.dup = q.dup;
                } else if constexpr (std::is_same_v<Q, connect>) {
                    s.clean_start = q.clean_start;
                } else if constexpr (std::is_same_v<Q, puback> || std::is_same_v<Q, pubrec> ||
                                     std::is_same_v<Q, pubrel> || std::is_same_v<Q, pubcomp> ||
                                     std::is_same_v<Q, subscribe> || std::is_same_v<Q, unsubscribe>) {
                    s.packet_id = q.packet_id;
                }
                return 0;
            });
            sent[sent_count++] = s;
        }
        rest = rest.subview(f->header.packet_size());
    }
}

bool sent_is(std::size_t i, packet_type t, std::uint16_t id = 0) {
    return i < sent_count && sent[i].type == t && sent[i].packet_id == id;
}

// Feeds server bytes in pieces of `piece` bytes, polling events in between.
void feed(client_core& c, const bytes_view& bytes, std::size_t piece = 7) {
    event_count = 0;
    bytes_view rest = bytes;
    for (int guard = 0; !rest.empty() && guard < 10'000; ++guard) {
        const std::size_t n = c.receive(rest.subview(0, piece < rest.size() ? piece : rest.size()));
        rest = rest.subview(n);
        poll_all(c);
    }
    expect(rest.empty(), "session: the client took every byte");
}

bool event_is(std::size_t i, seen kind, std::uint16_t id = 0) {
    return i < event_count && events[i].kind == kind && events[i].packet_id == id;
}

// Server packets, as static arrays. A 5.0 CONNACK has a property length; its PUBLISH packets too.
constexpr std::uint8_t connack_v311[] = {0x20, 0x02, 0x00, 0x00};
constexpr std::uint8_t connack_v311_resumed[] = {0x20, 0x02, 0x01, 0x00};
constexpr std::uint8_t connack_v5[] = {0x20, 0x03, 0x00, 0x00, 0x00};
constexpr std::uint8_t connack_v5_resumed[] = {0x20, 0x03, 0x01, 0x00, 0x00};
constexpr std::uint8_t suback_v311[] = {0x90, 0x03, 0x00, 0x01, 0x01};
constexpr std::uint8_t suback_v5[] = {0x90, 0x04, 0x00, 0x01, 0x00, 0x01};
constexpr std::uint8_t puback_2[] = {0x40, 0x02, 0x00, 0x02};
constexpr std::uint8_t pubrec_3[] = {0x50, 0x02, 0x00, 0x03};
constexpr std::uint8_t pubcomp_3[] = {0x70, 0x02, 0x00, 0x03};
constexpr std::uint8_t puback_4[] = {0x40, 0x02, 0x00, 0x04};
constexpr std::uint8_t pubrec_5[] = {0x50, 0x02, 0x00, 0x05};
constexpr std::uint8_t pubcomp_5[] = {0x70, 0x02, 0x00, 0x05};
constexpr std::uint8_t pingresp_bytes[] = {0xD0, 0x00};
// QoS 0, QoS 1 (id 10) and QoS 2 (id 11) messages to "a/b", then PUBREL 11.
constexpr std::uint8_t messages_v311[] = {
    0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i',
    0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i',
    0x34, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0B, 'h', 'i',
};
constexpr std::uint8_t messages_v5[] = {
    0x30, 0x08, 0x00, 0x03, 'a', '/', 'b', 0x00, 'h', 'i',
    0x32, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 0x00, 'h', 'i',
    0x34, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0B, 0x00, 'h', 'i',
};
constexpr std::uint8_t pubrel_11[] = {0x62, 0x02, 0x00, 0x0B};
// A QoS 1 message (id 12) with a 600-byte payload: larger than the 128-byte receive buffer.
constexpr std::size_t large_payload = 600;
struct large_message {
    std::uint8_t bytes[3 + 2 + 3 + 2 + 1 + large_payload] = {};
    std::size_t size = 0;
};
constexpr large_message make_large(bool five) {
    large_message m;
    const std::size_t remaining = 2 + 3 + 2 + (five ? 1 : 0) + large_payload;
    std::size_t at = 0;
    m.bytes[at++] = 0x32;
    m.bytes[at++] = static_cast<std::uint8_t>(0x80u | (remaining & 0x7Fu));
    m.bytes[at++] = static_cast<std::uint8_t>(remaining >> 7);
    const std::uint8_t head[] = {0x00, 0x03, 'a', '/', 'b', 0x00, 0x0C};
    for (const std::uint8_t b : head) m.bytes[at++] = b;
    if (five) m.bytes[at++] = 0x00;
    for (std::size_t i = 0; i < large_payload; ++i) m.bytes[at++] = static_cast<std::uint8_t>('a' + i % 26);
    m.size = at;
    return m;
}
constexpr large_message large_v311 = make_large(false);
constexpr large_message large_v5 = make_large(true);

template <std::size_t N>
bytes_view bv(const std::uint8_t (&a)[N]) {
    return bytes_view(a, N);
}

void client_session(client_core& c, protocol_version v) {
    const bool five = is_v5(v);
    connect_options o;
    o.protocol_version = v;
    o.client_id = "trap";
    o.keep_alive = 10;
    if (five) o.session_expiry_interval = 600;

    // CONNECT, CONNACK (the client's clock starts at 0).
    c.tick(0);
    expect(c.transport_opened().has_value() && c.connect(o).has_value(), "session: connect");
    take_sent(c, v);
    expect(sent_is(0, packet_type::connect) && sent[0].clean_start, "session: CONNECT sent");
    feed(c, five ? bv(connack_v5) : bv(connack_v311));
    expect(event_is(0, seen::connected) && !events[0].flag && c.state() == client_state::connected, "session: connected");

    // SUBSCRIBE, SUBACK.
    const subscription subs[] = {{"a/+", qos::at_least_once}};
    const auto sub = c.subscribe(subs);
    expect(sub.has_value() && *sub == 1, "session: subscribe");
    take_sent(c, v);
    expect(sent_is(0, packet_type::subscribe, 1), "session: SUBSCRIBE sent");
    feed(c, five ? bv(suback_v5) : bv(suback_v311));
    expect(event_is(0, seen::suback, 1) && events[0].size == 1, "session: SUBACK");

    // Publishing at QoS 0, 1 (id 2) and 2 (id 3).
    publish p;
    p.topic = "a/b";
    p.payload = bytes_view(std::string_view("hello"));
    expect(c.publish(p).has_value(), "session: publish QoS 0");
    p.qos = qos::at_least_once;
    const auto id1 = c.publish(p);
    p.qos = qos::exactly_once;
    const auto id2 = c.publish(p);
    expect(id1 && *id1 == 2 && id2 && *id2 == 3, "session: publish QoS 1 and 2");
    take_sent(c, v);
    expect(sent_count == 3 && sent[0].q == qos::at_most_once && sent_is(1, packet_type::publish, 2) &&
               sent_is(2, packet_type::publish, 3),
           "session: three PUBLISH sent");
    feed(c, bv(puback_2));
    expect(event_is(0, seen::completed, 2), "session: QoS 1 completed");
    feed(c, bv(pubrec_3));
    take_sent(c, v);
    expect(event_count == 0 && sent_is(0, packet_type::pubrel, 3), "session: PUBREL sent");
    feed(c, bv(pubcomp_3));
    expect(event_is(0, seen::completed, 3) && c.messages_in_store() == 0, "session: QoS 2 completed");

    // Receiving at QoS 0, 1 and 2.
    feed(c, five ? bv(messages_v5) : bv(messages_v311), 3);
    expect(event_count == 3 && event_is(0, seen::message) && event_is(1, seen::message, 10) &&
               event_is(2, seen::message, 11) && events[2].size == 2,
           "session: three messages");
    take_sent(c, v);
    expect(sent_is(0, packet_type::puback, 10) && sent_is(1, packet_type::pubrec, 11), "session: PUBACK and PUBREC sent");
    feed(c, bv(pubrel_11));
    take_sent(c, v);
    expect(sent_is(0, packet_type::pubcomp, 11), "session: PUBCOMP sent");

    // A message larger than the receive buffer arrives in pieces.
    const large_message& large = five ? large_v5 : large_v311;
    feed(c, bytes_view(large.bytes, large.size), 50);
    std::uint32_t streamed = 0;
    for (std::size_t i = 0; i < event_count; ++i) {
        if (events[i].kind == seen::chunk) streamed += events[i].size;
    }
    expect(event_is(0, seen::begin, 12) && events[0].size == large_payload && streamed == large_payload &&
               event_is(event_count - 1, seen::end, 12),
           "session: streamed message");
    take_sent(c, v);
    expect(sent_is(0, packet_type::puback, 12), "session: streamed message acknowledged");

    // Keep alive: PINGREQ when due, PINGRESP.
    c.tick(20'000);
    take_sent(c, v);
    expect(sent_is(0, packet_type::pingreq), "session: PINGREQ sent");
    feed(c, bv(pingresp_bytes));
    expect(event_count == 0 && c.state() == client_state::connected, "session: PINGRESP");

    // A QoS 1 message (id 4) unanswered and a QoS 2 one (id 5) released, then DISCONNECT.
    p.qos = qos::at_least_once;
    const auto id4 = c.publish(p);
    p.qos = qos::exactly_once;
    const auto id5 = c.publish(p);
    expect(id4 && *id4 == 4 && id5 && *id5 == 5, "session: publish before disconnecting");
    feed(c, bv(pubrec_5));
    take_sent(c, v);
    expect(sent_is(0, packet_type::publish, 4) && sent_is(1, packet_type::publish, 5) && sent_is(2, packet_type::pubrel, 5),
           "session: PUBLISH 4, PUBLISH 5, PUBREL 5 sent");
    expect(c.disconnect().has_value(), "session: disconnect");
    take_sent(c, v);
    expect(sent_is(0, packet_type::disconnect) && c.state() == client_state::disconnecting, "session: DISCONNECT sent");
    c.transport_closed();

    // Reconnect, resuming the session: PUBLISH 4 again with DUP, PUBREL 5 again.
    o.clean_start = false;
    expect(c.transport_opened().has_value() && c.connect(o).has_value(), "session: reconnect");
    take_sent(c, v);
    expect(sent_is(0, packet_type::connect) && !sent[0].clean_start, "session: CONNECT resumes");
    feed(c, five ? bv(connack_v5_resumed) : bv(connack_v311_resumed));
    expect(event_is(0, seen::connected) && events[0].flag, "session: resumed");
    take_sent(c, v);
    const std::size_t publish_at = sent_is(0, packet_type::publish, 4) ? 0 : 1;  // the store may put PUBRELs first
    expect(sent_count == 2 && sent_is(publish_at, packet_type::publish, 4) && sent[publish_at].dup &&
               sent_is(1 - publish_at, packet_type::pubrel, 5),
           "session: PUBLISH 4 (DUP) and PUBREL 5 sent again");
    feed(c, bv(puback_4));
    expect(event_is(0, seen::completed, 4), "session: QoS 1 completed after the reconnect");
    feed(c, bv(pubcomp_5));
    expect(event_is(0, seen::completed, 5) && c.messages_in_store() == 0, "session: QoS 2 completed after the reconnect");
    expect(c.disconnect().has_value(), "session: final disconnect");
    take_sent(c, v);
    expect(sent_is(0, packet_type::disconnect), "session: final DISCONNECT sent");
    c.transport_closed();
}

}  // namespace

// The trap must fire: a child process that allocates while armed has to die by abort().
bool trap_fires() {
    const pid_t child = fork();
    if (child == 0) {
        close(2);  // the child's abort message is expected; keep the log clear
        // Called through volatile pointers: a new-expression whose result is unused may be
        // elided by the compiler (clang does), and then nothing would reach the trap.
        void* (*volatile allocate)(std::size_t) = &::operator new;
        void* (*volatile allocate_c)(std::size_t) = &malloc;
        armed = true;
        void* p = allocate(16);
        void* q = allocate_c(16);
        armed = false;
        ::operator delete(p);
        free(q);
        _exit(0);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child) return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

int main() {
    if (!trap_fires()) {
        std::printf("alloc-trap: the trap did not fire on an allocation; the test proves nothing\n");
        return 1;
    }
    armed = true;
    exercise();
    client_session(client_v311, protocol_version::v3_1_1);
    client_session(client_v5, protocol_version::v5);
    armed = false;
    if (failures != 0) {
        std::printf("alloc-trap: %d checks failed\n", failures);
        return 1;
    }
    std::printf("alloc-trap: every packet type of 3.1.1 and 5.0 encoded, framed and decoded, and a whole client "
                "session of each version run, with allocation trapped\n");
    return 0;
}
