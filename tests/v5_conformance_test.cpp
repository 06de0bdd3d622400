// MQTT 5.0 conformance of the codec.
//
// 1. One TEST_CASE per numbered statement whose actor is `codec` in
//    /work/shared/spec/mqtt-5.0-statements.tsv (63), named "v5 [MQTT-x.y.z-n] ...".
// 2. The unnumbered wire rules ("It is a Protocol Error / Malformed Packet ..."), named
//    "v5 [unnumbered <section>] ...".
// 3. All 27 properties: read back where allowed, refused where not.
//
// Packets are written by hand in hex. Valid packets go through decode_valid() (framing at every
// split, re-encode, decode again); refused ones through decode_invalid(), and the error's offset
// (the byte where the problem is), rule and reason code are checked. Where a struct can express
// the same violation, the encoder must refuse it too.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "support.hpp"

namespace {

using namespace test;
using pc = property_context;

constexpr protocol_version v5 = protocol_version::v5;
constexpr std::uint8_t malformed = 0x81;
constexpr std::uint8_t protocol_error = 0x82;

// The error points at `offset`, names `rule` ("" for unnumbered rules) and maps to `reason`.
void check_error(const error& e, std::size_t offset, std::string_view rule, std::uint8_t reason) {
    CHECK(e.offset == offset);
    CHECK(e.rule() == rule);
    CHECK(e.reason_code() == reason);
    CHECK(e.version == v5);
}

bool contains(const std::vector<std::uint8_t>& set, unsigned value) {
    for (const std::uint8_t c : set) {
        if (c == value) return true;
    }
    return false;
}

// Hex bytes that stay alive for the whole run, for packets decoded in place: the decoded
// packet's views point into them.
const bytes& kept(std::string_view text) {
    static std::deque<bytes> store;
    store.push_back(hex(text));
    return store.back();
}

// ---- Reason code sets, from the per-packet tables of MQTT 5.0 -----------------------------------

const std::vector<std::uint8_t> connack_codes = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
                                                 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
                                                 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
const std::vector<std::uint8_t> puback_codes = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
const std::vector<std::uint8_t> pubrel_codes = {0x00, 0x92};
const std::vector<std::uint8_t> suback_codes = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                                0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
const std::vector<std::uint8_t> unsuback_codes = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
// 3.14.2.1, by sender ("Client", "Server", "Client or Server").
const std::vector<std::uint8_t> disconnect_codes_client = {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x90,
                                                           0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99};
const std::vector<std::uint8_t> disconnect_codes_server = {0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B,
                                                           0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96,
                                                           0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E,
                                                           0x9F, 0xA0, 0xA1, 0xA2};
// 3.14.2.1 as one list (the spec README's DISCONNECT row).
const std::vector<std::uint8_t> disconnect_codes_any = {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89,
                                                        0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
                                                        0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D,
                                                        0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
// 3.15.2.1: 0x00 from the Server, 0x18 from either, 0x19 from the Client.
const std::vector<std::uint8_t> auth_codes_any = {0x00, 0x18, 0x19};
const std::vector<std::uint8_t> auth_codes_client = {0x18, 0x19};
const std::vector<std::uint8_t> auth_codes_server = {0x00, 0x18};

// Puts every byte value at `at` of `packet_bytes`: the values in `allowed` must decode, every other
// one must be refused with `code` at `at`, naming `rule`, as a Protocol Error.
void sweep_reason_codes(bytes packet_bytes, std::size_t at, const std::vector<std::uint8_t>& allowed, errc code,
                        std::string_view rule, sender from = sender::any) {
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        packet_bytes[at] = static_cast<std::uint8_t>(c);
        if (contains(allowed, c)) {
            (void)decode_valid(packet_bytes, v5, from);
        } else {
            check_error(decode_invalid(packet_bytes, v5, code, from), at, rule, protocol_error);
        }
    }
}

// ---- Property blocks placed in minimal packets -----------------------------------------------

// A packet holding a property block, and the offset of the block's first property.
struct placed {
    bytes packet;
    std::size_t block_at = 0;
};

// The smallest packet whose property block (of the packet, or the Will Properties) is `block`:
//   CONNECT  clean start, keep alive 60, ClientID "a"      Will  as CONNECT, Will Topic "w", empty payload
//   CONNACK  flags 0, Success                              PUBLISH  QoS 1, topic "t", id 1, payload "hi"
//   PUBACK, PUBREC, PUBREL, PUBCOMP  id 1, Success         SUBSCRIBE  id 1, "a" QoS 0
//   SUBACK, UNSUBACK  id 1, one code 0x00                  UNSUBSCRIBE  id 1, "a"
//   DISCONNECT  0x00                                       AUTH  0x18 Continue authentication
// All lengths stay below 128, so every Variable Byte Integer is one byte.
placed with_properties(pc where, const bytes& block) {
    bytes head;
    bytes tail;
    std::uint8_t first = 0;
    switch (where) {
        case pc::connect:
            first = 0x10, head = hex("00 04 4D 51 54 54 05 02 00 3C"), tail = hex("00 01 61");
            break;
        case pc::will:
            first = 0x10, head = hex("00 04 4D 51 54 54 05 06 00 3C 00 00 01 61"), tail = hex("00 01 77 00 00");
            break;
        case pc::connack: first = 0x20, head = hex("00 00"); break;
        case pc::publish: first = 0x32, head = hex("00 01 74 00 01"), tail = hex("68 69"); break;
        case pc::puback: first = 0x40, head = hex("00 01 00"); break;
        case pc::pubrec: first = 0x50, head = hex("00 01 00"); break;
        case pc::pubrel: first = 0x62, head = hex("00 01 00"); break;
        case pc::pubcomp: first = 0x70, head = hex("00 01 00"); break;
        case pc::subscribe: first = 0x82, head = hex("00 01"), tail = hex("00 01 61 00"); break;
        case pc::suback: first = 0x90, head = hex("00 01"), tail = hex("00"); break;
        case pc::unsubscribe: first = 0xA2, head = hex("00 01"), tail = hex("00 01 61"); break;
        case pc::unsuback: first = 0xB0, head = hex("00 01"), tail = hex("00"); break;
        case pc::disconnect: first = 0xE0, head = hex("00"); break;
        case pc::auth: first = 0xF0, head = hex("18"); break;
    }
    const std::size_t remaining = head.size() + 1 + block.size() + tail.size();
    REQUIRE(block.size() < 128);
    REQUIRE(remaining < 128);
    placed out;
    out.packet = {first, static_cast<std::uint8_t>(remaining)};
    out.packet.insert(out.packet.end(), head.begin(), head.end());
    out.packet.push_back(static_cast<std::uint8_t>(block.size()));
    out.block_at = out.packet.size();
    out.packet.insert(out.packet.end(), block.begin(), block.end());
    out.packet.insert(out.packet.end(), tail.begin(), tail.end());
    return out;
}

const subscription one_subscription[] = {subscription{"a"}};
const reason_code one_reason_code[] = {reason_code::success};
const text_view one_filter[] = {text_view("a")};

// The struct form of with_properties(where, ...): it encodes to the same bytes.
packet make_packet(pc where, const properties& props) {
    switch (where) {
        case pc::connect: {
            connect c;
            c.keep_alive = 60;
            c.client_id = "a";
            c.properties = props;
            return c;
        }
        case pc::will: {
            connect c;
            c.keep_alive = 60;
            c.client_id = "a";
            will_message w;
            w.topic = "w";
            w.properties = props;
            c.will = w;
            return c;
        }
        case pc::connack: {
            connack c;
            c.properties = props;
            return c;
        }
        case pc::publish: {
            publish p;
            p.topic = "t";
            p.payload = bytes_view("hi", 2);
            p.qos = qos::at_least_once;
            p.packet_id = 1;
            p.properties = props;
            return p;
        }
        case pc::puback: return puback{1, reason_code::success, props};
        case pc::pubrec: return pubrec{1, reason_code::success, props};
        case pc::pubrel: return pubrel{1, reason_code::success, props};
        case pc::pubcomp: return pubcomp{1, reason_code::success, props};
        case pc::subscribe: return subscribe{1, subscription_list(one_subscription), props};
        case pc::suback: return suback{1, reason_code_list(one_reason_code), props};
        case pc::unsubscribe: return unsubscribe{1, topic_filter_list(one_filter), props};
        case pc::unsuback: return unsuback{1, reason_code_list(one_reason_code), props};
        case pc::disconnect: return disconnect{reason_code::normal_disconnection, props};
        case pc::auth: return auth{reason_code::continue_authentication, props};
    }
    return pingreq{};
}

template <class P>
properties properties_in(const packet& p) {
    const P* q = std::get_if<P>(&p);
    REQUIRE(q != nullptr);
    return q->properties;
}

// The property block of a decoded packet (views into the packet's bytes).
properties properties_of(const packet& p, pc where) {
    switch (where) {
        case pc::connect: return properties_in<connect>(p);
        case pc::will: {
            const connect* c = std::get_if<connect>(&p);
            REQUIRE(c != nullptr);
            REQUIRE(c->will.has_value());
            return c->will->properties;
        }
        case pc::connack: return properties_in<connack>(p);
        case pc::publish: return properties_in<publish>(p);
        case pc::puback: return properties_in<puback>(p);
        case pc::pubrec: return properties_in<pubrec>(p);
        case pc::pubrel: return properties_in<pubrel>(p);
        case pc::pubcomp: return properties_in<pubcomp>(p);
        case pc::subscribe: return properties_in<subscribe>(p);
        case pc::suback: return properties_in<suback>(p);
        case pc::unsubscribe: return properties_in<unsubscribe>(p);
        case pc::unsuback: return properties_in<unsuback>(p);
        case pc::disconnect: return properties_in<disconnect>(p);
        case pc::auth: return properties_in<auth>(p);
    }
    return {};
}

// Decodes `in` (which must be valid), checks that the struct form encodes to the same bytes, and
// returns the property block, a view into in.packet.
properties decoded_properties(const placed& in, pc where, sender from = sender::any) {
    const packet p = decode_valid(in.packet, v5, from);
    const properties props = properties_of(p, where);
    CHECK(props.wire() == bytes_view(in.packet.data() + in.block_at, props.wire().size()));
    CHECK(encode_valid(make_packet(where, props), v5, from) == in.packet);
    return props;
}

// `block` in `where` is refused (decoder and encoder) because the property at `property_at` of the
// block is not allowed there.
void refused_in(pc where, const bytes& block, std::size_t property_at = 0) {
    const placed in = with_properties(where, block);
    check_error(decode_invalid(in.packet, v5, errc::property_not_allowed), in.block_at + property_at, "", malformed);
    const error e = encode_invalid(make_packet(where, properties(view(block))), v5, errc::property_not_allowed);
    CHECK(e.offset == in.block_at + property_at);
}

// ---- The 27 properties (MQTT 5.0 Table 2-4) ------------------------------------------------------

constexpr std::uint16_t in_contexts(std::initializer_list<pc> list) {
    unsigned m = 0;
    for (const pc c : list) m |= 1u << static_cast<unsigned>(c);
    return static_cast<std::uint16_t>(m);
}

constexpr pc all_contexts[] = {pc::connect, pc::connack, pc::publish,   pc::will,        pc::puback,
                               pc::pubrec,  pc::pubrel,  pc::pubcomp,   pc::subscribe,   pc::suback,
                               pc::unsubscribe, pc::unsuback, pc::disconnect, pc::auth};

const char* context_name(pc c) {
    switch (c) {
        case pc::connect: return "CONNECT";
        case pc::connack: return "CONNACK";
        case pc::publish: return "PUBLISH";
        case pc::will: return "Will Properties";
        case pc::puback: return "PUBACK";
        case pc::pubrec: return "PUBREC";
        case pc::pubrel: return "PUBREL";
        case pc::pubcomp: return "PUBCOMP";
        case pc::subscribe: return "SUBSCRIBE";
        case pc::suback: return "SUBACK";
        case pc::unsubscribe: return "UNSUBSCRIBE";
        case pc::unsuback: return "UNSUBACK";
        case pc::disconnect: return "DISCONNECT";
        case pc::auth: return "AUTH";
    }
    return "?";
}

struct property_sample {
    std::uint8_t id;
    const char* name;
    const char* wire;       // identifier and a valid value, in hex
    std::uint16_t allowed;  // the places it may appear
};

const property_sample property_samples[] = {
    {0x01, "Payload Format Indicator", "01 01", in_contexts({pc::publish, pc::will})},
    {0x02, "Message Expiry Interval", "02 00 00 00 3C", in_contexts({pc::publish, pc::will})},
    {0x03, "Content Type", "03 00 04 74 65 78 74", in_contexts({pc::publish, pc::will})},
    {0x08, "Response Topic", "08 00 03 72 2F 31", in_contexts({pc::publish, pc::will})},
    {0x09, "Correlation Data", "09 00 02 CA FE", in_contexts({pc::publish, pc::will})},
    {0x0B, "Subscription Identifier", "0B 05", in_contexts({pc::publish, pc::subscribe})},
    {0x11, "Session Expiry Interval", "11 00 00 00 78", in_contexts({pc::connect, pc::connack, pc::disconnect})},
    {0x12, "Assigned Client Identifier", "12 00 02 69 64", in_contexts({pc::connack})},
    {0x13, "Server Keep Alive", "13 00 1E", in_contexts({pc::connack})},
    {0x15, "Authentication Method", "15 00 01 6B", in_contexts({pc::connect, pc::connack, pc::auth})},
    {0x16, "Authentication Data", "16 00 02 01 02", in_contexts({pc::connect, pc::connack, pc::auth})},
    {0x17, "Request Problem Information", "17 00", in_contexts({pc::connect})},
    {0x18, "Will Delay Interval", "18 00 00 00 0A", in_contexts({pc::will})},
    {0x19, "Request Response Information", "19 01", in_contexts({pc::connect})},
    {0x1A, "Response Information", "1A 00 04 72 65 73 70", in_contexts({pc::connack})},
    {0x1C, "Server Reference", "1C 00 03 73 72 76", in_contexts({pc::connack, pc::disconnect})},
    {0x1F, "Reason String", "1F 00 02 6F 6B",
     in_contexts({pc::connack, pc::puback, pc::pubrec, pc::pubrel, pc::pubcomp, pc::suback, pc::unsuback,
                  pc::disconnect, pc::auth})},
    {0x21, "Receive Maximum", "21 00 0A", in_contexts({pc::connect, pc::connack})},
    {0x22, "Topic Alias Maximum", "22 00 05", in_contexts({pc::connect, pc::connack})},
    {0x23, "Topic Alias", "23 00 07", in_contexts({pc::publish})},
    {0x24, "Maximum QoS", "24 01", in_contexts({pc::connack})},
    {0x25, "Retain Available", "25 00", in_contexts({pc::connack})},
    {0x26, "User Property", "26 00 01 6B 00 01 76",
     in_contexts({pc::connect, pc::connack, pc::publish, pc::will, pc::puback, pc::pubrec, pc::pubrel, pc::pubcomp,
                  pc::subscribe, pc::suback, pc::unsubscribe, pc::unsuback, pc::disconnect, pc::auth})},
    {0x27, "Maximum Packet Size", "27 00 00 10 00", in_contexts({pc::connect, pc::connack})},
    {0x28, "Wildcard Subscription Available", "28 00", in_contexts({pc::connack})},
    {0x29, "Subscription Identifier Available", "29 00", in_contexts({pc::connack})},
    {0x2A, "Shared Subscription Available", "2A 00", in_contexts({pc::connack})},
};

bool allowed_in(const property_sample& s, pc where) {
    return (s.allowed >> static_cast<unsigned>(where)) & 1u;
}

// What must precede a property in a block so that only the property itself is at issue: AUTH
// needs an Authentication Method, and so does Authentication Data wherever it is allowed.
bytes prefix_for(std::uint8_t id, pc where) {
    const bool method_needed = (where == pc::auth && id != 0x15) ||
                               (id == 0x16 && (where == pc::connect || where == pc::connack));
    return method_needed ? hex("15 00 01 6B") : bytes{};
}

}  // namespace

// =================================================================================================
// 1. Numbered statements, actor `codec`, in the order of the specification
// =================================================================================================

TEST_CASE("v5 [MQTT-1.5.4-1] UTF-8 strings must be well-formed and must not encode surrogates") {
    // Two-, three- and four-byte characters in a Topic Name: "é/€/😀".
    const bytes ok = hex("30 0E 00 0B C3 A9 2F E2 82 AC 2F F0 9F 98 80 00");
    const auto p = decode_valid_as<publish>(ok, v5);
    CHECK(p.topic == text_view("\xC3\xA9/\xE2\x82\xAC/\xF0\x9F\x98\x80"));
    // The code points next to the surrogate range, and the last code point U+10FFFF.
    (void)decode_valid(kept("30 07 00 04 61 ED 9F BF 00"), v5);     // U+D7FF
    (void)decode_valid(kept("30 07 00 04 61 EE 80 80 00"), v5);     // U+E000
    (void)decode_valid(kept("30 08 00 05 61 F4 8F BF BF 00"), v5);  // U+10FFFF

    // Topic "a" + one bad sequence; the error points at the sequence (offset 5).
    const char* bad[] = {
        "30 07 00 04 61 ED A0 80 00",     // U+D800, a surrogate
        "30 07 00 04 61 ED BF BF 00",     // U+DFFF, a surrogate
        "30 06 00 03 61 C0 AF 00",        // over-long '/'
        "30 07 00 04 61 E0 80 AF 00",     // over-long three-byte form
        "30 08 00 05 61 F4 90 80 80 00",  // above U+10FFFF
        "30 05 00 02 61 80 00",           // continuation byte without a lead byte
        "30 06 00 03 61 E2 82 00",        // sequence cut short by the end of the string
        "30 05 00 02 61 FF 00",           // byte that never occurs in UTF-8
    };
    for (const char* b : bad) {
        CAPTURE(b);
        check_error(decode_invalid(hex(b), v5, errc::utf8_ill_formed), 5, "MQTT-1.5.4-1", malformed);
    }
    // In a property string: PUBACK with Reason String 0xFF.
    check_error(decode_invalid(hex("40 08 00 01 00 04 1F 00 01 FF"), v5, errc::utf8_ill_formed), 9, "MQTT-1.5.4-1",
                malformed);

    // The encoder refuses the same string.
    publish q;
    q.topic = text_view("a\xED\xA0\x80", 4);
    CHECK(encode_invalid(q, v5, errc::utf8_ill_formed).offset == 5);
    bytes storage(16);
    property_builder builder(mutable_bytes(storage.data(), storage.size()));
    builder.reason_string(text_view("\xFF", 1));
    const auto built = builder.build();
    REQUIRE_FALSE(built.has_value());
    CHECK(built.error().code == errc::utf8_ill_formed);
    CHECK(built.error().category == error_category::local);
}

TEST_CASE("v5 [MQTT-1.5.4-2] UTF-8 strings must not contain U+0000") {
    // U+0001 is a control character the specification discourages, but it is not U+0000.
    const auto p = decode_valid_as<publish>(kept("30 05 00 02 61 01 00"), v5);
    CHECK(p.topic == text_view("a\x01", 2));

    // Topic "a\0b": the NUL is at offset 5.
    check_error(decode_invalid(hex("30 06 00 03 61 00 62 00"), v5, errc::utf8_null_character), 5, "MQTT-1.5.4-2",
                malformed);
    // User Property name "\0".
    check_error(decode_invalid(hex("30 0B 00 01 74 07 26 00 01 00 00 01 76"), v5, errc::utf8_null_character), 9,
                "MQTT-1.5.4-2", malformed);
    // ClientID "\0".
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 00"), v5, errc::utf8_null_character),
                15, "MQTT-1.5.4-2", malformed);
    // The over-long form C0 80 that some encoders use for U+0000 is ill-formed.
    check_error(decode_invalid(hex("30 06 00 03 61 C0 80 00"), v5, errc::utf8_ill_formed), 5, "MQTT-1.5.4-1",
                malformed);

    publish q;
    q.topic = text_view("a\0b", 3);
    CHECK(encode_invalid(q, v5, errc::utf8_null_character).offset == 5);
    connect c;
    c.client_id = text_view("\0", 1);
    CHECK(encode_invalid(c, v5, errc::utf8_null_character).offset == 15);
}

TEST_CASE("v5 [MQTT-1.5.4-3] EF BB BF in a string is U+FEFF and is kept") {
    // Topic Name BOM + "a".
    const bytes b = hex("30 07 00 04 EF BB BF 61 00");
    const auto p = decode_valid_as<publish>(b, v5);
    REQUIRE(p.topic.size() == 4);
    CHECK(p.topic[0] == 0xEF);
    CHECK(p.topic[1] == 0xBB);
    CHECK(p.topic[2] == 0xBF);
    CHECK(p.topic[3] == 0x61);

    // ClientID and a User Property value that are only a BOM.
    const auto c = decode_valid_as<connect>(kept("10 10 00 04 4D 51 54 54 05 02 00 3C 00 00 03 EF BB BF"), v5);
    CHECK(c.client_id == text_view("\xEF\xBB\xBF"));
    const bytes with_property = hex("30 0E 00 01 74 09 26 00 01 6B 00 03 EF BB BF 00");
    const auto q = decode_valid_as<publish>(with_property, v5);
    CHECK(q.properties.user_properties().begin()->pair.value == text_view("\xEF\xBB\xBF"));
    CHECK(q.payload.size() == 1);

    // The encoder writes the bytes unchanged.
    publish r;
    r.topic = text_view("\xEF\xBB\xBF" "a");
    CHECK(encode_valid(r, v5) == b);
}

TEST_CASE("v5 [MQTT-1.5.5-1] Variable Byte Integers use the fewest bytes") {
    // Remaining Length 127 (one byte) and 128 (80 01).
    const bytes rl127 = concat({hex("30 7F 00 01 74 00"), bytes(123, 0x78)});
    CHECK(decode_valid_as<publish>(rl127, v5).payload.size() == 123);
    const bytes rl128 = concat({hex("30 80 01 00 01 74 00"), bytes(124, 0x78)});
    CHECK(decode_valid_as<publish>(rl128, v5).payload.size() == 124);

    // Subscription Identifier at the edges of each length (PUBLISH from the Server).
    CHECK(decode_valid_as<publish>(kept("30 06 00 01 74 02 0B 7F"), v5, sender::server)
              .properties.subscription_identifier() == 127u);
    CHECK(decode_valid_as<publish>(kept("30 07 00 01 74 03 0B 80 01"), v5, sender::server)
              .properties.subscription_identifier() == 128u);
    CHECK(decode_valid_as<publish>(kept("30 07 00 01 74 03 0B FF 7F"), v5, sender::server)
              .properties.subscription_identifier() == 16'383u);
    CHECK(decode_valid_as<publish>(kept("30 08 00 01 74 04 0B 80 80 01"), v5, sender::server)
              .properties.subscription_identifier() == 16'384u);
    CHECK(decode_valid_as<publish>(kept("30 09 00 01 74 05 0B FF FF FF 7F"), v5, sender::server)
              .properties.subscription_identifier() == 268'435'455u);

    // Over-long forms: Remaining Length, Property Length, a property value, a property identifier.
    check_error(decode_invalid(hex("C0 80 00"), v5, errc::variable_byte_integer_not_minimal), 1, "MQTT-1.5.5-1",
                malformed);
    check_error(decode_invalid(hex("30 85 00 00 01 74 00 68"), v5, errc::variable_byte_integer_not_minimal), 1,
                "MQTT-1.5.5-1", malformed);
    check_error(decode_invalid(hex("30 05 00 01 74 80 00"), v5, errc::variable_byte_integer_not_minimal), 5,
                "MQTT-1.5.5-1", malformed);
    check_error(decode_invalid(hex("30 07 00 01 74 03 0B 81 00"), v5, errc::variable_byte_integer_not_minimal,
                               sender::server),
                7, "MQTT-1.5.5-1", malformed);
    check_error(decode_invalid(hex("30 09 00 01 74 05 0B 81 80 80 00"), v5, errc::variable_byte_integer_not_minimal,
                               sender::server),
                7, "MQTT-1.5.5-1", malformed);
    check_error(decode_invalid(hex("30 07 00 01 74 03 81 00 01"), v5, errc::variable_byte_integer_not_minimal), 6,
                "MQTT-1.5.5-1", malformed);
    // Five bytes is too long whatever the value.
    check_error(decode_invalid(hex("30 0A 00 01 74 06 0B FF FF FF FF 01"), v5, errc::variable_byte_integer_too_long,
                               sender::server),
                7, "", malformed);

    // The encoder writes the shortest form.
    publish q;
    q.topic = "t";
    const bytes payload(124, 0x78);
    q.payload = view(payload);
    const bytes out = encode_valid(q, v5);
    REQUIRE(out.size() == 131);
    CHECK(out[1] == 0x80);
    CHECK(out[2] == 0x01);
    bytes storage;
    publish r;
    r.topic = "t";
    r.properties = build_properties(storage, [](property_builder& b) { b.subscription_identifier(128); });
    CHECK(encode_valid(r, v5, sender::server) == hex("30 07 00 01 74 03 0B 80 01"));
}

TEST_CASE("v5 [MQTT-1.5.7-1] both strings of a UTF-8 String Pair follow the UTF-8 rules") {
    const bytes ok = hex("30 0B 00 01 74 07 26 00 01 6B 00 01 76");
    const auto p = decode_valid_as<publish>(ok, v5);
    const auto pair = p.properties.user_properties().begin()->pair;
    CHECK(pair.name == text_view("k"));
    CHECK(pair.value == text_view("v"));
    // Empty name and value, and multi-byte characters, are fine.
    (void)decode_valid(kept("30 09 00 01 74 05 26 00 00 00 00"), v5);
    (void)decode_valid(kept("30 0D 00 01 74 09 26 00 02 C3 A9 00 02 C3 A9"), v5);

    // Name ill-formed, value NUL, value a surrogate; and in a CONNACK.
    check_error(decode_invalid(hex("30 0B 00 01 74 07 26 00 01 FF 00 01 76"), v5, errc::utf8_ill_formed), 9,
                "MQTT-1.5.4-1", malformed);
    check_error(decode_invalid(hex("30 0B 00 01 74 07 26 00 01 6B 00 01 00"), v5, errc::utf8_null_character), 12,
                "MQTT-1.5.4-2", malformed);
    check_error(decode_invalid(hex("30 0D 00 01 74 09 26 00 01 6B 00 03 ED A0 80"), v5, errc::utf8_ill_formed), 12,
                "MQTT-1.5.4-1", malformed);
    check_error(decode_invalid(hex("20 0A 00 00 07 26 00 01 6B 00 01 FF"), v5, errc::utf8_ill_formed), 11,
                "MQTT-1.5.4-1", malformed);

    // The encoder checks a block it did not build, and the builder refuses bad text.
    const bytes raw = hex("26 00 01 6B 00 01 00");
    publish q;
    q.topic = "t";
    q.properties = properties(view(raw));
    CHECK(encode_invalid(q, v5, errc::utf8_null_character).offset == 12);
    bytes storage(32);
    property_builder builder(mutable_bytes(storage.data(), storage.size()));
    builder.user_property("k", text_view("\0", 1));
    const auto built = builder.build();
    REQUIRE_FALSE(built.has_value());
    CHECK(built.error().code == errc::utf8_null_character);
}

TEST_CASE("v5 [MQTT-2.1.3-1] reserved fixed header flags hold the listed value") {
    // Packets whose flags are all reserved as 0000 (PUBREL, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT and
    // AUTH have their own statements below).
    const char* packets[] = {
        "10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 61",  // CONNECT
        "20 03 00 00 00",                                   // CONNACK
        "40 02 00 01",                                      // PUBACK
        "50 02 00 01",                                      // PUBREC
        "70 02 00 01",                                      // PUBCOMP
        "90 04 00 01 00 00",                                // SUBACK
        "B0 04 00 01 00 00",                                // UNSUBACK
        "C0 00",                                            // PINGREQ
        "D0 00",                                            // PINGRESP
    };
    for (const char* text : packets) {
        CAPTURE(text);
        bytes b = hex(text);
        const packet p = decode_valid(b, v5);
        CHECK((encode_valid(p, v5)[0] & 0x0F) == 0);
        const std::uint8_t type = b[0];
        for (unsigned flags = 1; flags < 16; ++flags) {
            CAPTURE(flags);
            b[0] = static_cast<std::uint8_t>(type | flags);
            check_error(decode_invalid(b, v5, errc::reserved_flags_invalid), 0, "MQTT-2.1.3-1", malformed);
        }
    }
    // The encoder writes 0010 where the table says so.
    CHECK(encode_valid(pubrel{1, reason_code::success, {}}, v5)[0] == 0x62);
    CHECK(encode_valid(subscribe{1, subscription_list(one_subscription), {}}, v5)[0] == 0x82);
    CHECK(encode_valid(unsubscribe{1, topic_filter_list(one_filter), {}}, v5)[0] == 0xA2);
}

TEST_CASE("v5 [MQTT-2.2.1-2] a QoS 0 PUBLISH has no Packet Identifier") {
    // The encoder writes none at QoS 0, and refuses a struct that asks for one.
    publish q;
    q.topic = "t";
    q.payload = bytes_view("hi", 2);
    CHECK(encode_valid(q, v5) == hex("30 06 00 01 74 00 68 69"));
    q.packet_id = 5;
    check_error(encode_invalid(q, v5, errc::packet_id_at_qos0), 0, "MQTT-2.2.1-2", malformed);

    // The decoder reads no identifier at QoS 0: two bytes where a sender put one are the Property
    // Length and the payload, or a property, never an identifier.
    const bytes b = hex("30 08 00 01 74 00 05 00 68 69");
    const auto p = decode_valid_as<publish>(b, v5);
    CHECK(p.packet_id == 0);
    CHECK(p.properties.empty());
    CHECK(p.payload == bytes_view(b.data() + 6, 4));
    check_error(decode_invalid(hex("30 08 00 01 74 01 05 00 68 69"), v5, errc::property_unknown), 6, "", malformed);

    // At QoS 1 the identifier is there, and it is not 0.
    CHECK(decode_valid_as<publish>(kept("32 06 00 01 74 00 05 00"), v5).packet_id == 5);
    check_error(decode_invalid(hex("32 03 00 01 74"), v5, errc::truncated), 5, "", malformed);
    check_error(decode_invalid(hex("32 05 00 01 74 00 00"), v5, errc::packet_id_zero), 5, "MQTT-2.2.1-3",
                protocol_error);
}

TEST_CASE("v5 [MQTT-2.2.2-1] a Property Length of 0 is written when there are no properties") {
    // The encoder writes 00 for an empty block in every packet that always has one.
    CHECK(encode_valid(connack{}, v5) == hex("20 03 00 00 00"));
    publish q;
    q.topic = "t";
    CHECK(encode_valid(q, v5) == hex("30 04 00 01 74 00"));
    connect c;
    c.keep_alive = 60;
    c.client_id = "a";
    CHECK(encode_valid(c, v5) == hex("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 61"));
    c.will = will_message{"w", {}, qos::at_most_once, false, {}};
    CHECK(encode_valid(c, v5) == hex("10 14 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 01 77 00 00"));
    CHECK(encode_valid(subscribe{1, subscription_list(one_subscription), {}}, v5) ==
          hex("82 07 00 01 00 00 01 61 00"));
    CHECK(encode_valid(suback{1, reason_code_list(one_reason_code), {}}, v5) == hex("90 04 00 01 00 00"));
    CHECK(encode_valid(unsubscribe{1, topic_filter_list(one_filter), {}}, v5) == hex("A2 06 00 01 00 00 01 61"));
    CHECK(encode_valid(unsuback{1, reason_code_list(one_reason_code), {}}, v5) == hex("B0 04 00 01 00 00"));
    // The specification's own exceptions: the PUBACK family and DISCONNECT may stop after the
    // reason code (Remaining Length 3 resp. 1), or before it when it is Success.
    CHECK(encode_valid(puback{1, reason_code::no_matching_subscribers, {}}, v5) == hex("40 03 00 01 10"));
    CHECK(encode_valid(puback{1, reason_code::success, {}}, v5) == hex("40 02 00 01"));
    CHECK(encode_valid(disconnect{reason_code::server_busy, {}}, v5, sender::server) == hex("E0 01 89"));

    // The decoder refuses a packet without its Property Length.
    check_error(decode_invalid(hex("20 02 00 00"), v5, errc::property_length_missing), 4, "MQTT-2.2.2-1", malformed);
    check_error(decode_invalid(hex("30 03 00 01 74"), v5, errc::property_length_missing), 5, "MQTT-2.2.2-1",
                malformed);
    check_error(decode_invalid(hex("32 05 00 01 74 00 01"), v5, errc::property_length_missing), 7, "MQTT-2.2.2-1",
                malformed);
    check_error(decode_invalid(hex("10 0A 00 04 4D 51 54 54 05 02 00 3C"), v5, errc::property_length_missing), 12,
                "MQTT-2.2.2-1", malformed);
    check_error(decode_invalid(hex("82 02 00 01"), v5, errc::property_length_missing), 4, "MQTT-2.2.2-1", malformed);
    check_error(decode_invalid(hex("90 02 00 01"), v5, errc::property_length_missing), 4, "MQTT-2.2.2-1", malformed);
    check_error(decode_invalid(hex("A2 02 00 01"), v5, errc::property_length_missing), 4, "MQTT-2.2.2-1", malformed);
    check_error(decode_invalid(hex("B0 02 00 01"), v5, errc::property_length_missing), 4, "MQTT-2.2.2-1", malformed);
    // AUTH may not stop after the reason code.
    check_error(decode_invalid(hex("F0 01 18"), v5, errc::property_length_missing), 3, "MQTT-2.2.2-1", malformed);
    // Where the specification allows it, the short forms decode.
    CHECK(decode_valid_as<puback>(kept("40 03 00 01 10"), v5).reason_code == reason_code::no_matching_subscribers);
    CHECK(decode_valid_as<disconnect>(kept("E0 01 04"), v5, sender::client).reason_code ==
          reason_code::disconnect_with_will_message);
}

// ---- CONNECT -------------------------------------------------------------------------------------
// The smallest CONNECT: "MQTT" level 5, flags 02 (Clean Start), Keep Alive 60, no properties,
// ClientID "a". Offsets: 2 Protocol Name, 8 level, 9 Connect Flags, 10 Keep Alive, 12 Property
// Length, 13 ClientID. With a Will: 16 Will Property Length, 17 Will Topic "w", 20 Will Payload "hi".

TEST_CASE("v5 [MQTT-3.1.2-1] the Protocol Name is \"MQTT\"") {
    const bytes b = hex("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 61");
    const auto c = decode_valid_as<connect>(b, v5);
    CHECK(c.protocol_version == v5);
    CHECK(encode_valid(c, v5) == b);

    const char* bad[] = {
        "10 0E 00 04 4D 51 54 58 05 02 00 3C 00 00 01 61",  // "MQTX"
        "10 0E 00 04 6D 71 74 74 05 02 00 3C 00 00 01 61",  // "mqtt"
        "10 0D 00 03 4D 51 54 05 02 00 3C 00 00 01 61",     // "MQT"
        "10 0A 00 00 05 02 00 3C 00 00 01 61",              // ""
    };
    for (const char* text : bad) {
        CAPTURE(text);
        check_error(decode_invalid(hex(text), v5, errc::protocol_name_invalid), 2, "MQTT-3.1.2-1", 0x84);
    }
}

TEST_CASE("v5 [MQTT-3.1.2-3] the reserved Connect Flags bit 0 is 0") {
    CHECK(decode_valid_as<connect>(kept("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 61"), v5).clean_start);
    CHECK_FALSE(decode_valid_as<connect>(kept("10 0E 00 04 4D 51 54 54 05 00 00 3C 00 00 01 61"), v5).clean_start);
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 03 00 3C 00 00 01 61"), v5, errc::connect_reserved_flag),
                9, "MQTT-3.1.2-3", malformed);
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 01 00 3C 00 00 01 61"), v5, errc::connect_reserved_flag),
                9, "MQTT-3.1.2-3", malformed);
    // The encoder has no way to set it.
    connect c;
    c.client_id = "a";
    CHECK((encode_valid(c, v5)[9] & 0x01) == 0);
}

TEST_CASE("v5 [MQTT-3.1.2-9] with Will Flag 1 the payload has Will Properties, Will Topic and Will Payload") {
    const bytes b = hex("10 16 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 01 77 00 02 68 69");
    const auto c = decode_valid_as<connect>(b, v5);
    REQUIRE(c.will.has_value());
    CHECK(c.will->topic == text_view("w"));
    CHECK(c.will->payload == bytes_view("hi", 2));
    CHECK(c.will->properties.empty());

    // Nothing after the ClientID; only the Will Properties; no Will Payload.
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61"), v5, errc::will_missing), 16,
                "MQTT-3.1.2-9", malformed);
    check_error(decode_invalid(hex("10 0F 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00"), v5, errc::will_missing), 17,
                "MQTT-3.1.2-9", malformed);
    check_error(decode_invalid(hex("10 12 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 01 77"), v5,
                               errc::will_missing),
                20, "MQTT-3.1.2-9", malformed);

    // A will_message always has all three fields, so the encoder always writes them.
    connect e;
    e.keep_alive = 60;
    e.client_id = "a";
    e.will = will_message{"w", bytes_view("hi", 2), qos::at_most_once, false, {}};
    CHECK(encode_valid(e, v5) == b);
}

TEST_CASE("v5 [MQTT-3.1.2-11] with Will Flag 0 the Will QoS is 0") {
    // Will QoS 1 and 2 with a Will.
    CHECK(decode_valid_as<connect>(kept("10 16 00 04 4D 51 54 54 05 0E 00 3C 00 00 01 61 00 00 01 77 00 02 68 69"), v5)
              .will->qos == qos::at_least_once);
    CHECK(decode_valid_as<connect>(kept("10 16 00 04 4D 51 54 54 05 16 00 3C 00 00 01 61 00 00 01 77 00 02 68 69"), v5)
              .will->qos == qos::exactly_once);
    // Will QoS 1, 2, 3 without one.
    for (const char* flags : {"0A", "12", "1A"}) {
        CAPTURE(flags);
        bytes b = hex("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 61");
        b[9] = hex(flags)[0];
        check_error(decode_invalid(b, v5, errc::will_qos_without_will), 9, "MQTT-3.1.2-11", malformed);
    }
    // Without a will_message the encoder writes Will QoS 0.
    connect c;
    c.client_id = "a";
    CHECK((encode_valid(c, v5)[9] & 0x18) == 0);
}

TEST_CASE("v5 [MQTT-3.1.2-12] the Will QoS is not 3") {
    (void)decode_valid(kept("10 16 00 04 4D 51 54 54 05 16 00 3C 00 00 01 61 00 00 01 77 00 02 68 69"), v5);
    check_error(decode_invalid(hex("10 16 00 04 4D 51 54 54 05 1E 00 3C 00 00 01 61 00 00 01 77 00 02 68 69"), v5,
                               errc::will_qos_invalid),
                9, "MQTT-3.1.2-12", malformed);
    connect c;
    c.client_id = "a";
    c.will = will_message{"w", {}, static_cast<qos>(3), false, {}};
    CHECK(encode_invalid(c, v5, errc::will_qos_invalid).offset == 9);
}

TEST_CASE("v5 [MQTT-3.1.2-13] with Will Flag 0 the Will Retain flag is 0") {
    CHECK(decode_valid_as<connect>(kept("10 16 00 04 4D 51 54 54 05 26 00 3C 00 00 01 61 00 00 01 77 00 02 68 69"), v5)
              .will->retain);
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 22 00 3C 00 00 01 61"), v5,
                               errc::will_retain_without_will),
                9, "MQTT-3.1.2-13", malformed);
    connect c;
    c.client_id = "a";
    CHECK((encode_valid(c, v5)[9] & 0x20) == 0);
}

TEST_CASE("v5 [MQTT-3.1.2-16] with User Name Flag 0 there is no User Name") {
    CHECK_FALSE(decode_valid_as<connect>(kept("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 61"), v5).username);
    // A string after the ClientID with no flag set.
    check_error(decode_invalid(hex("10 11 00 04 4D 51 54 54 05 02 00 3C 00 00 01 61 00 01 75"), v5,
                               errc::username_unexpected),
                16, "MQTT-3.1.2-16", malformed);
    // The encoder sets the flag exactly when a User Name is given.
    connect c;
    c.client_id = "a";
    CHECK((encode_valid(c, v5)[9] & 0x80) == 0);
}

TEST_CASE("v5 [MQTT-3.1.2-17] with User Name Flag 1 there is a User Name") {
    const bytes b = hex("10 11 00 04 4D 51 54 54 05 82 00 3C 00 00 01 61 00 01 75");
    const auto c = decode_valid_as<connect>(b, v5);
    CHECK(c.username == text_view("u"));
    CHECK_FALSE(c.password);
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 82 00 3C 00 00 01 61"), v5, errc::username_missing), 16,
                "MQTT-3.1.2-17", malformed);
    connect e;
    e.keep_alive = 60;
    e.client_id = "a";
    e.username = text_view("u");
    CHECK(encode_valid(e, v5) == b);
}

TEST_CASE("v5 [MQTT-3.1.2-18] with Password Flag 0 there is no Password") {
    const bytes name_only = hex("10 11 00 04 4D 51 54 54 05 82 00 3C 00 00 01 61 00 01 75");
    CHECK_FALSE(decode_valid_as<connect>(name_only, v5).password);
    // User Name, then a Password that the flags do not announce.
    check_error(decode_invalid(hex("10 15 00 04 4D 51 54 54 05 82 00 3C 00 00 01 61 00 01 75 00 02 70 77"), v5,
                               errc::password_unexpected),
                19, "MQTT-3.1.2-18", malformed);
    connect c;
    c.client_id = "a";
    c.username = text_view("u");
    CHECK((encode_valid(c, v5)[9] & 0x40) == 0);
}

TEST_CASE("v5 [MQTT-3.1.2-19] with Password Flag 1 there is a Password") {
    const bytes both = hex("10 15 00 04 4D 51 54 54 05 C2 00 3C 00 00 01 61 00 01 75 00 02 70 77");
    const auto c = decode_valid_as<connect>(both, v5);
    CHECK(c.username == text_view("u"));
    CHECK(c.password == bytes_view("pw", 2));
    // MQTT 5.0 allows a Password without a User Name.
    const bytes alone = hex("10 12 00 04 4D 51 54 54 05 42 00 3C 00 00 01 61 00 02 70 77");
    const auto d = decode_valid_as<connect>(alone, v5);
    CHECK_FALSE(d.username);
    CHECK(d.password == bytes_view("pw", 2));

    check_error(decode_invalid(hex("10 11 00 04 4D 51 54 54 05 C2 00 3C 00 00 01 61 00 01 75"), v5,
                               errc::password_missing),
                19, "MQTT-3.1.2-19", malformed);
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 42 00 3C 00 00 01 61"), v5, errc::password_missing), 16,
                "MQTT-3.1.2-19", malformed);

    connect e;
    e.keep_alive = 60;
    e.client_id = "a";
    e.password = bytes_view("pw", 2);
    CHECK(encode_valid(e, v5) == alone);
    e.username = text_view("u");
    CHECK(encode_valid(e, v5) == both);
}

TEST_CASE("v5 [MQTT-3.1.3-1] CONNECT payload fields come in order: ClientID, Will, User Name, Password") {
    const bytes b = hex(
        "10 2C 00 04 4D 51 54 54 05 EE 00 3C"
        "05 11 00 00 00 0A"   // properties: Session Expiry Interval 10
        "00 03 64 65 76"      // ClientID "dev"
        "05 02 00 00 00 3C"   // Will Properties: Message Expiry Interval 60
        "00 03 77 2F 78"      // Will Topic "w/x"
        "00 03 62 79 65"      // Will Payload "bye"
        "00 01 75"            // User Name "u"
        "00 02 70 77");       // Password "pw"
    const auto c = decode_valid_as<connect>(b, v5);
    CHECK(c.client_id == text_view("dev"));
    REQUIRE(c.will.has_value());
    CHECK(c.will->properties.message_expiry_interval() == 60u);
    CHECK(c.will->topic == text_view("w/x"));
    CHECK(c.will->payload == bytes_view("bye", 3));
    CHECK(c.will->qos == qos::at_least_once);
    CHECK(c.will->retain);
    CHECK(c.username == text_view("u"));
    CHECK(c.password == bytes_view("pw", 2));
    CHECK(c.properties.session_expiry_interval() == 10u);

    // The encoder writes the same order.
    bytes props_storage;
    bytes will_storage;
    connect e;
    e.keep_alive = 60;
    e.client_id = "dev";
    e.properties = build_properties(props_storage, [](property_builder& p) { p.session_expiry_interval(10); });
    e.will = will_message{"w/x", bytes_view("bye", 3), qos::at_least_once, true,
                          build_properties(will_storage, [](property_builder& p) { p.message_expiry_interval(60); })};
    e.username = text_view("u");
    e.password = bytes_view("pw", 2);
    CHECK(encode_valid(e, v5) == b);

    // Will Topic before the Will Properties: the first byte of the topic length is read as an
    // empty property block, the rest as a topic length that runs past the packet.
    check_error(decode_invalid(hex("10 16 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 01 77 00 00 02 68 69"), v5,
                               errc::truncated),
                17, "", malformed);
    // Password (binary FF) before the User Name: it is read as the User Name, and is not UTF-8.
    check_error(decode_invalid(hex("10 14 00 04 4D 51 54 54 05 C2 00 3C 00 00 01 61 00 01 FF 00 01 75"), v5,
                               errc::utf8_ill_formed),
                18, "MQTT-1.5.4-1", malformed);
}

TEST_CASE("v5 [MQTT-3.1.3-3] the ClientID is present and first in the payload") {
    // An empty ClientID is present.
    const bytes b = hex("10 0D 00 04 4D 51 54 54 05 02 00 3C 00 00 00");
    CHECK(decode_valid_as<connect>(b, v5).client_id.empty());
    check_error(decode_invalid(hex("10 0B 00 04 4D 51 54 54 05 02 00 3C 00"), v5, errc::client_id_missing), 13,
                "MQTT-3.1.3-3", malformed);
    // The encoder writes it even when empty.
    connect c;
    c.keep_alive = 60;
    CHECK(encode_valid(c, v5) == b);
}

TEST_CASE("v5 [MQTT-3.1.3-4] the ClientID is a UTF-8 string") {
    CHECK(decode_valid_as<connect>(kept("10 0F 00 04 4D 51 54 54 05 02 00 3C 00 00 02 C3 A9"), v5).client_id ==
          text_view("\xC3\xA9"));
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 FF"), v5, errc::utf8_ill_formed), 15,
                "MQTT-1.5.4-1", malformed);
    check_error(decode_invalid(hex("10 10 00 04 4D 51 54 54 05 02 00 3C 00 00 03 ED B0 80"), v5, errc::utf8_ill_formed),
                15, "MQTT-1.5.4-1", malformed);
    // A length that runs past the packet.
    check_error(decode_invalid(hex("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 05 61"), v5, errc::truncated), 13, "",
                malformed);
    connect c;
    c.client_id = text_view("\xFF", 1);
    CHECK(encode_invalid(c, v5, errc::utf8_ill_formed).offset == 15);
}

TEST_CASE("v5 [MQTT-3.1.3-11] the Will Topic is a UTF-8 string") {
    const bytes b = hex("10 17 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 04 C3 A9 2F 78 00 00");
    const auto c = decode_valid_as<connect>(b, v5);
    CHECK(c.will->topic == text_view("\xC3\xA9/x"));
    // U+DFFF, and U+0000.
    check_error(decode_invalid(hex("10 16 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 03 ED BF BF 00 00"), v5,
                               errc::utf8_ill_formed),
                19, "MQTT-1.5.4-1", malformed);
    check_error(decode_invalid(hex("10 14 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 01 00 00 00"), v5,
                               errc::utf8_null_character),
                19, "MQTT-1.5.4-2", malformed);
    connect e;
    e.client_id = "a";
    e.will = will_message{text_view("\xED\xBF\xBF", 3), {}, qos::at_most_once, false, {}};
    CHECK(encode_invalid(e, v5, errc::utf8_ill_formed).offset == 19);
}

TEST_CASE("v5 [MQTT-3.1.3-12] the User Name is a UTF-8 string") {
    CHECK(decode_valid_as<connect>(kept("10 12 00 04 4D 51 54 54 05 82 00 3C 00 00 01 61 00 02 C3 A9"), v5).username ==
          text_view("\xC3\xA9"));
    // Over-long '/'.
    check_error(decode_invalid(hex("10 12 00 04 4D 51 54 54 05 82 00 3C 00 00 01 61 00 02 C0 AF"), v5,
                               errc::utf8_ill_formed),
                18, "MQTT-1.5.4-1", malformed);
    connect c;
    c.client_id = "a";
    c.username = text_view("\xC0\xAF", 2);
    CHECK(encode_invalid(c, v5, errc::utf8_ill_formed).offset == 18);
    // The Password is Binary Data: the same bytes are fine there.
    const auto d =
        decode_valid_as<connect>(kept("10 12 00 04 4D 51 54 54 05 42 00 3C 00 00 01 61 00 02 C0 AF"), v5);
    CHECK(d.password == bytes_view("\xC0\xAF", 2));
}

// ---- CONNACK -------------------------------------------------------------------------------------
// Offsets: 2 Acknowledge Flags, 3 Reason Code, 4 Property Length.

TEST_CASE("v5 [MQTT-3.2.2-1] CONNACK Acknowledge Flags bits 7-1 are 0") {
    CHECK_FALSE(decode_valid_as<connack>(kept("20 03 00 00 00"), v5).session_present);
    CHECK(decode_valid_as<connack>(kept("20 03 01 00 00"), v5).session_present);
    for (unsigned flags = 2; flags < 256; ++flags) {
        CAPTURE(flags);
        bytes b = hex("20 03 00 00 00");
        b[2] = static_cast<std::uint8_t>(flags);
        check_error(decode_invalid(b, v5, errc::connack_flags_reserved), 2, "MQTT-3.2.2-1", malformed);
    }
    CHECK(encode_valid(connack{true, reason_code::success, {}}, v5) == hex("20 03 01 00 00"));
}

TEST_CASE("v5 [MQTT-3.2.2-6] a CONNACK with a non-zero Reason Code has Session Present 0") {
    CHECK(decode_valid_as<connack>(kept("20 03 00 80 00"), v5).reason_code == reason_code::unspecified_error);
    for (const std::uint8_t code : connack_codes) {
        if (code == 0) continue;
        CAPTURE(code);
        bytes b = hex("20 03 01 00 00");
        b[3] = code;
        check_error(decode_invalid(b, v5, errc::session_present_with_error), 2, "MQTT-3.2.2-6", protocol_error);
        const connack a{true, static_cast<reason_code>(code), {}};
        check_error(encode_invalid(a, v5, errc::session_present_with_error), 2, "MQTT-3.2.2-6", protocol_error);
    }
}

TEST_CASE("v5 [MQTT-3.2.2-8] the CONNACK Reason Code is a Connect Reason Code") {
    sweep_reason_codes(hex("20 03 00 00 00"), 3, connack_codes, errc::connack_reason_code_invalid, "MQTT-3.2.2-8");
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const connack a{false, static_cast<reason_code>(c), {}};
        if (contains(connack_codes, c)) {
            CHECK(encode_valid(a, v5)[3] == c);
        } else {
            CHECK(encode_invalid(a, v5, errc::connack_reason_code_invalid).offset == 3);
        }
    }
}

// ---- PUBLISH -------------------------------------------------------------------------------------
// Topic "t": offsets 2 topic length, 4 topic; then at QoS 0 5 Property Length, 6 first property;
// at QoS 1 and 2 5 Packet Identifier, 7 Property Length, 8 first property.

TEST_CASE("v5 [MQTT-3.3.1-2] a QoS 0 PUBLISH has DUP 0") {
    CHECK(decode_valid_as<publish>(kept("3A 06 00 01 74 00 01 00"), v5).dup);
    CHECK(decode_valid_as<publish>(kept("3C 06 00 01 74 00 01 00"), v5).dup);
    CHECK_FALSE(decode_valid_as<publish>(kept("30 04 00 01 74 00"), v5).dup);
    check_error(decode_invalid(hex("38 04 00 01 74 00"), v5, errc::publish_dup_at_qos0), 0, "MQTT-3.3.1-2", malformed);
    check_error(decode_invalid(hex("39 04 00 01 74 00"), v5, errc::publish_dup_at_qos0), 0, "MQTT-3.3.1-2", malformed);
    publish q;
    q.topic = "t";
    q.dup = true;
    check_error(encode_invalid(q, v5, errc::publish_dup_at_qos0), 0, "MQTT-3.3.1-2", malformed);
}

TEST_CASE("v5 [MQTT-3.3.1-4] a PUBLISH does not have QoS 3") {
    CHECK(decode_valid_as<publish>(kept("30 04 00 01 74 00"), v5).qos == qos::at_most_once);
    CHECK(decode_valid_as<publish>(kept("32 06 00 01 74 00 01 00"), v5).qos == qos::at_least_once);
    CHECK(decode_valid_as<publish>(kept("34 06 00 01 74 00 01 00"), v5).qos == qos::exactly_once);
    for (const char* text : {"36 06 00 01 74 00 01 00", "37 06 00 01 74 00 01 00", "3E 06 00 01 74 00 01 00",
                             "3F 06 00 01 74 00 01 00", "36 04 00 01 74 00"}) {
        CAPTURE(text);
        check_error(decode_invalid(hex(text), v5, errc::publish_qos_invalid), 0, "MQTT-3.3.1-4", malformed);
    }
    publish q;
    q.topic = "t";
    q.qos = static_cast<qos>(3);
    q.packet_id = 1;
    check_error(encode_invalid(q, v5, errc::publish_qos_invalid), 0, "MQTT-3.3.1-4", malformed);
}

TEST_CASE("v5 [MQTT-3.3.2-1] the Topic Name is the first field of PUBLISH and a UTF-8 string") {
    const bytes b = hex("32 08 00 03 61 2F 62 00 07 00");
    const auto p = decode_valid_as<publish>(b, v5);
    CHECK(p.topic == text_view("a/b"));
    CHECK(p.packet_id == 7);
    CHECK(p.payload.empty());
    // Not UTF-8; a length that runs past the packet; no topic at all.
    check_error(decode_invalid(hex("30 04 00 01 80 00"), v5, errc::utf8_ill_formed), 4, "MQTT-1.5.4-1", malformed);
    check_error(decode_invalid(hex("30 03 00 05 74"), v5, errc::truncated), 2, "", malformed);
    check_error(decode_invalid(hex("30 00"), v5, errc::truncated), 2, "", malformed);
    publish q;
    q.topic = text_view("\x80", 1);
    CHECK(encode_invalid(q, v5, errc::utf8_ill_formed).offset == 4);
}

TEST_CASE("v5 [MQTT-3.3.2-2] a PUBLISH Topic Name has no wildcard characters") {
    CHECK(decode_valid_as<publish>(kept("30 06 00 03 61 2F 62 00"), v5).topic == text_view("a/b"));
    check_error(decode_invalid(hex("30 06 00 03 61 2F 2B 00"), v5, errc::topic_name_wildcard), 6, "MQTT-3.3.2-2",
                protocol_error);
    check_error(decode_invalid(hex("30 06 00 03 61 2F 23 00"), v5, errc::topic_name_wildcard), 6, "MQTT-3.3.2-2",
                protocol_error);
    check_error(decode_invalid(hex("30 04 00 01 23 00"), v5, errc::topic_name_wildcard), 4, "MQTT-3.3.2-2",
                protocol_error);
    check_error(decode_invalid(hex("30 05 00 02 61 2B 00"), v5, errc::topic_name_wildcard), 5, "MQTT-3.3.2-2",
                protocol_error);
    publish q;
    q.topic = "a/+";
    check_error(encode_invalid(q, v5, errc::topic_name_wildcard), 6, "MQTT-3.3.2-2", protocol_error);
}

TEST_CASE("v5 [MQTT-3.3.2-8] a Topic Alias of 0 is not sent") {
    CHECK(decode_valid_as<publish>(kept("30 08 00 01 74 03 23 00 01 68"), v5).properties.topic_alias() ==
          std::uint16_t{1});
    CHECK(decode_valid_as<publish>(kept("30 08 00 01 74 03 23 FF FF 68"), v5).properties.topic_alias() ==
          std::uint16_t{65'535});
    check_error(decode_invalid(hex("30 08 00 01 74 03 23 00 00 68"), v5, errc::topic_alias_zero), 6, "MQTT-3.3.2-8",
                0x94);
    bytes storage;
    publish q;
    q.topic = "t";
    q.properties = build_properties(storage, [](property_builder& b) { b.topic_alias(0); });
    check_error(encode_invalid(q, v5, errc::topic_alias_zero), 6, "MQTT-3.3.2-8", 0x94);
}

TEST_CASE("v5 [MQTT-3.3.2-13] the Response Topic is a UTF-8 string") {
    CHECK(decode_valid_as<publish>(kept("30 0B 00 01 74 06 08 00 03 72 2F 31 68"), v5).properties.response_topic() ==
          text_view("r/1"));
    check_error(decode_invalid(hex("30 0A 00 01 74 05 08 00 02 72 FF 68"), v5, errc::utf8_ill_formed), 10,
                "MQTT-1.5.4-1", malformed);
    check_error(decode_invalid(hex("30 0A 00 01 74 05 08 00 02 72 00 68"), v5, errc::utf8_null_character), 10,
                "MQTT-1.5.4-2", malformed);
    const bytes raw = hex("08 00 02 72 FF");
    publish q;
    q.topic = "t";
    q.properties = properties(view(raw));
    CHECK(encode_invalid(q, v5, errc::utf8_ill_formed).offset == 10);
    bytes storage(16);
    property_builder builder(mutable_bytes(storage.data(), storage.size()));
    builder.response_topic(text_view("r\xFF", 2));
    REQUIRE_FALSE(builder.build().has_value());
    CHECK(builder.build().error().code == errc::utf8_ill_formed);
}

TEST_CASE("v5 [MQTT-3.3.2-14] the Response Topic has no wildcard characters") {
    // '+' is the third character of "r/+": offset 6 (identifier) + 3 + 2.
    check_error(decode_invalid(hex("30 0B 00 01 74 06 08 00 03 72 2F 2B 68"), v5, errc::response_topic_wildcard), 11,
                "MQTT-3.3.2-14", protocol_error);
    check_error(decode_invalid(hex("30 0B 00 01 74 06 08 00 03 72 2F 23 68"), v5, errc::response_topic_wildcard), 11,
                "MQTT-3.3.2-14", protocol_error);
    // In the Will Properties of a CONNECT: Response Topic "#".
    const bytes will = hex("10 18 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 04 08 00 01 23 00 01 77 00 00");
    check_error(decode_invalid(will, v5, errc::response_topic_wildcard), 20, "MQTT-3.3.2-14", protocol_error);
    const bytes will_ok = hex("10 18 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 04 08 00 01 72 00 01 77 00 00");
    const auto c = decode_valid_as<connect>(will_ok, v5);
    CHECK(c.will->properties.response_topic() == text_view("r"));

    bytes storage;
    publish q;
    q.topic = "t";
    q.properties = build_properties(storage, [](property_builder& b) { b.response_topic("r/+"); });
    check_error(encode_invalid(q, v5, errc::response_topic_wildcard), 11, "MQTT-3.3.2-14", protocol_error);
}

TEST_CASE("v5 [MQTT-3.3.2-19] the Content Type is a UTF-8 string") {
    // Content Type is not a topic: '+' is an ordinary character there.
    CHECK(decode_valid_as<publish>(kept("30 0F 00 01 74 0A 03 00 07 6C 64 2B 6A 73 6F 6E 68"), v5)
              .properties.content_type() == text_view("ld+json"));
    check_error(decode_invalid(hex("30 0A 00 01 74 05 03 00 02 C3 28 68"), v5, errc::utf8_ill_formed), 9,
                "MQTT-1.5.4-1", malformed);
    const bytes raw = hex("03 00 02 C3 28");
    publish q;
    q.topic = "t";
    q.properties = properties(view(raw));
    CHECK(encode_invalid(q, v5, errc::utf8_ill_formed).offset == 9);
}

TEST_CASE("v5 [MQTT-3.3.4-6] a PUBLISH from the Client has no Subscription Identifier") {
    const bytes one = hex("32 08 00 01 74 00 01 02 0B 05");
    CHECK(decode_valid_as<publish>(one, v5, sender::server).properties.subscription_identifier() == 5u);
    CHECK(decode_valid_as<publish>(one, v5, sender::any).properties.subscription_identifier() == 5u);
    // From the Server it may repeat, one per matching subscription.
    const bytes two = hex("32 0B 00 01 74 00 01 05 0B 05 0B 81 01");
    const auto p = decode_valid_as<publish>(two, v5, sender::server);
    std::vector<std::uint32_t> ids;
    for (const property& id : p.properties.subscription_identifiers()) ids.push_back(id.integer);
    CHECK(ids == std::vector<std::uint32_t>{5, 129});

    check_error(decode_invalid(one, v5, errc::subscription_identifier_from_client, sender::client), 8, "MQTT-3.3.4-6",
                protocol_error);
    check_error(decode_invalid(two, v5, errc::subscription_identifier_from_client, sender::client), 8, "MQTT-3.3.4-6",
                protocol_error);

    bytes storage;
    publish q;
    q.topic = "t";
    q.qos = qos::at_least_once;
    q.packet_id = 1;
    q.properties = build_properties(storage, [](property_builder& b) { b.subscription_identifier(5); });
    CHECK(encode_valid(q, v5, sender::server) == one);
    check_error(encode_invalid(q, v5, errc::subscription_identifier_from_client, sender::client), 8, "MQTT-3.3.4-6",
                protocol_error);
}

// ---- PUBACK, PUBREC, PUBREL, PUBCOMP ------------------------------------------------------------
// Offsets: 2 Packet Identifier, 4 Reason Code, 5 Property Length.

namespace {

// Every code outside `allowed` is refused by the encoder at offset 4; every code inside encodes.
template <class Ack>
void sweep_ack_encoder(const std::vector<std::uint8_t>& allowed, errc code) {
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const Ack a{1, static_cast<reason_code>(c), {}};
        if (contains(allowed, c)) {
            (void)encode_valid(a, v5);
        } else {
            CHECK(encode_invalid(a, v5, code).offset == 4);
        }
    }
}

}  // namespace

TEST_CASE("v5 [MQTT-3.4.2-1] the PUBACK Reason Code is a PUBACK value") {
    sweep_reason_codes(hex("40 03 00 01 00"), 4, puback_codes, errc::puback_reason_code_invalid, "MQTT-3.4.2-1");
    sweep_reason_codes(hex("40 04 00 01 00 00"), 4, puback_codes, errc::puback_reason_code_invalid, "MQTT-3.4.2-1");
    CHECK(decode_valid_as<puback>(kept("40 03 00 01 99"), v5).reason_code == reason_code::payload_format_invalid);
    sweep_ack_encoder<puback>(puback_codes, errc::puback_reason_code_invalid);
}

TEST_CASE("v5 [MQTT-3.5.2-1] the PUBREC Reason Code is a PUBREC value") {
    sweep_reason_codes(hex("50 03 00 01 00"), 4, puback_codes, errc::pubrec_reason_code_invalid, "MQTT-3.5.2-1");
    sweep_reason_codes(hex("50 04 00 01 00 00"), 4, puback_codes, errc::pubrec_reason_code_invalid, "MQTT-3.5.2-1");
    CHECK(decode_valid_as<pubrec>(kept("50 03 00 01 10"), v5).reason_code == reason_code::no_matching_subscribers);
    sweep_ack_encoder<pubrec>(puback_codes, errc::pubrec_reason_code_invalid);
}

TEST_CASE("v5 [MQTT-3.6.1-1] PUBREL fixed header flags are 0010") {
    const bytes b = hex("62 02 00 01");
    CHECK(decode_valid_as<pubrel>(b, v5).packet_id == 1);
    for (unsigned flags = 0; flags < 16; ++flags) {
        if (flags == 2) continue;
        CAPTURE(flags);
        for (const char* text : {"60 02 00 01", "60 03 00 01 92"}) {
            bytes bad = hex(text);
            bad[0] = static_cast<std::uint8_t>(0x60 | flags);
            check_error(decode_invalid(bad, v5, errc::pubrel_flags_invalid), 0, "MQTT-3.6.1-1", malformed);
        }
    }
    CHECK(encode_valid(pubrel{1, reason_code::success, {}}, v5) == b);
}

TEST_CASE("v5 [MQTT-3.6.2-1] the PUBREL Reason Code is 0x00 or 0x92") {
    sweep_reason_codes(hex("62 03 00 01 00"), 4, pubrel_codes, errc::pubrel_reason_code_invalid, "MQTT-3.6.2-1");
    sweep_reason_codes(hex("62 04 00 01 00 00"), 4, pubrel_codes, errc::pubrel_reason_code_invalid, "MQTT-3.6.2-1");
    CHECK(decode_valid_as<pubrel>(kept("62 03 00 01 92"), v5).reason_code == reason_code::packet_identifier_not_found);
    sweep_ack_encoder<pubrel>(pubrel_codes, errc::pubrel_reason_code_invalid);
}

TEST_CASE("v5 [MQTT-3.7.2-1] the PUBCOMP Reason Code is 0x00 or 0x92") {
    sweep_reason_codes(hex("70 03 00 01 00"), 4, pubrel_codes, errc::pubcomp_reason_code_invalid, "MQTT-3.7.2-1");
    sweep_reason_codes(hex("70 04 00 01 00 00"), 4, pubrel_codes, errc::pubcomp_reason_code_invalid, "MQTT-3.7.2-1");
    CHECK(decode_valid_as<pubcomp>(kept("70 03 00 01 92"), v5).reason_code == reason_code::packet_identifier_not_found);
    sweep_ack_encoder<pubcomp>(pubrel_codes, errc::pubcomp_reason_code_invalid);
}

// ---- SUBSCRIBE and SUBACK ------------------------------------------------------------------------
// Offsets: 2 Packet Identifier, 4 Property Length, 5 payload; filter "a": 7 text, 8 options.

TEST_CASE("v5 [MQTT-3.8.1-1] SUBSCRIBE fixed header flags are 0010") {
    const bytes b = hex("82 07 00 01 00 00 01 61 00");
    (void)decode_valid(b, v5);
    for (unsigned flags = 0; flags < 16; ++flags) {
        if (flags == 2) continue;
        CAPTURE(flags);
        bytes bad = b;
        bad[0] = static_cast<std::uint8_t>(0x80 | flags);
        check_error(decode_invalid(bad, v5, errc::subscribe_flags_invalid), 0, "MQTT-3.8.1-1", malformed);
    }
    CHECK(encode_valid(subscribe{1, subscription_list(one_subscription), {}}, v5) == b);
}

TEST_CASE("v5 [MQTT-3.8.3-1] SUBSCRIBE Topic Filters are UTF-8 strings") {
    const auto s = decode_valid_as<subscribe>(kept("82 0A 00 01 00 00 04 C3 A9 2F 2B 01"), v5);
    REQUIRE(s.subscriptions.size() == 1);
    CHECK((*s.subscriptions.begin()).topic_filter == text_view("\xC3\xA9/+"));
    CHECK((*s.subscriptions.begin()).qos == qos::at_least_once);
    check_error(decode_invalid(hex("82 07 00 01 00 00 01 FF 00"), v5, errc::utf8_ill_formed), 7, "MQTT-1.5.4-1",
                malformed);
    check_error(decode_invalid(hex("82 07 00 01 00 00 01 00 00"), v5, errc::utf8_null_character), 7, "MQTT-1.5.4-2",
                malformed);
    // A filter length past the packet, and a filter without its options byte.
    check_error(decode_invalid(hex("82 05 00 01 00 00 05"), v5, errc::truncated), 5, "", malformed);
    check_error(decode_invalid(hex("82 06 00 01 00 00 01 61"), v5, errc::truncated), 8, "", malformed);
    const subscription bad[] = {subscription{text_view("\xFF", 1)}};
    CHECK(encode_invalid(subscribe{1, subscription_list(bad), {}}, v5, errc::utf8_ill_formed).offset == 7);
}

TEST_CASE("v5 [MQTT-3.8.3-2] a SUBSCRIBE has at least one Topic Filter") {
    check_error(decode_invalid(hex("82 03 00 01 00"), v5, errc::subscribe_empty), 5, "MQTT-3.8.3-2", protocol_error);
    check_error(decode_invalid(hex("82 05 00 01 02 0B 01"), v5, errc::subscribe_empty), 7, "MQTT-3.8.3-2",
                protocol_error);
    // Two filters.
    const auto s = decode_valid_as<subscribe>(kept("82 0B 00 01 00 00 01 61 00 00 01 62 01"), v5);
    CHECK(s.subscriptions.size() == 2);
    check_error(encode_invalid(subscribe{1, {}, {}}, v5, errc::subscribe_empty), 5, "MQTT-3.8.3-2", protocol_error);
}

TEST_CASE("v5 [MQTT-3.8.3-4] No Local is not set on a Shared Subscription") {
    const bytes shared = hex("82 10 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 00");
    CHECK_FALSE((*decode_valid_as<subscribe>(shared, v5).subscriptions.begin()).no_local);
    const bytes local = hex("82 07 00 01 00 00 01 61 04");
    CHECK((*decode_valid_as<subscribe>(local, v5).subscriptions.begin()).no_local);
    bytes bad = shared;
    bad[17] = 0x04;
    check_error(decode_invalid(bad, v5, errc::shared_subscription_no_local), 17, "MQTT-3.8.3-4", protocol_error);
    bad[17] = 0x2D;  // with other options: QoS 1, Retain As Published, Retain Handling 2
    check_error(decode_invalid(bad, v5, errc::shared_subscription_no_local), 17, "MQTT-3.8.3-4", protocol_error);

    const subscription non_shared[] = {subscription{"a", qos::at_most_once, true}};
    CHECK(encode_valid(subscribe{1, subscription_list(non_shared), {}}, v5) == local);
    const subscription shared_no_local[] = {subscription{"$share/g/a", qos::at_most_once, true}};
    check_error(encode_invalid(subscribe{1, subscription_list(shared_no_local), {}}, v5,
                               errc::shared_subscription_no_local),
                17, "MQTT-3.8.3-4", protocol_error);
}

TEST_CASE("v5 [MQTT-3.8.3-5] Subscription Options bits 6-7 are 0") {
    bytes b = hex("82 07 00 01 00 00 01 61 00");
    for (unsigned options = 0; options < 256; ++options) {
        const bool qos3 = (options & 0x03u) == 3;
        const bool handling3 = ((options >> 4) & 0x03u) == 3;
        if (qos3 || handling3) continue;  // see the unnumbered 3.8.3.1 tests
        CAPTURE(options);
        b[8] = static_cast<std::uint8_t>(options);
        if ((options & 0xC0u) != 0) {
            check_error(decode_invalid(b, v5, errc::subscription_options_reserved), 8, "MQTT-3.8.3-5", malformed);
        } else {
            const subscription s = *decode_valid_as<subscribe>(b, v5).subscriptions.begin();
            CHECK(s.options() == options);
        }
    }
    // Every option the struct can express lands in bits 0-5.
    const subscription all[] = {subscription{"a", qos::exactly_once, true, true, retain_handling::do_not_send}};
    CHECK(encode_valid(subscribe{1, subscription_list(all), {}}, v5)[8] == 0x2E);
}

TEST_CASE("v5 [MQTT-3.9.3-2] SUBACK Reason Codes are Subscribe Reason Codes, one per Topic Filter") {
    sweep_reason_codes(hex("90 04 00 01 00 00"), 5, suback_codes, errc::suback_reason_code_invalid, "MQTT-3.9.3-2");
    const auto a = decode_valid_as<suback>(kept("90 06 00 01 00 00 01 02"), v5);
    std::vector<std::uint8_t> codes;
    for (const reason_code c : a.reason_codes) codes.push_back(static_cast<std::uint8_t>(c));
    CHECK(codes == std::vector<std::uint8_t>{0x00, 0x01, 0x02});
    check_error(decode_invalid(hex("90 06 00 01 00 00 03 02"), v5, errc::suback_reason_code_invalid), 6,
                "MQTT-3.9.3-2", protocol_error);
    check_error(decode_invalid(hex("90 03 00 01 00"), v5, errc::suback_reason_codes_missing), 5, "MQTT-3.9.3-2",
                protocol_error);

    // One per Topic Filter of the SUBSCRIBE it answers.
    const bytes request_bytes = hex("82 0B 00 01 00 00 01 61 00 00 01 62 01");
    const bytes one_bytes = hex("90 04 00 01 00 00");
    const bytes two_bytes = hex("90 05 00 01 00 00 01");
    const auto request = decode_valid_as<subscribe>(request_bytes, v5);
    CHECK(check_suback(request, decode_valid_as<suback>(two_bytes, v5), v5).has_value());
    const auto mismatch = check_suback(request, decode_valid_as<suback>(one_bytes, v5), v5);
    REQUIRE_FALSE(mismatch.has_value());
    CHECK(mismatch.error().code == errc::suback_count_mismatch);
    CHECK(mismatch.error().rule() == "MQTT-3.9.3-2");
    CHECK(mismatch.error().reason_code() == protocol_error);

    for (unsigned c = 0; c < 256; ++c) {
        if (contains(suback_codes, c)) continue;
        CAPTURE(c);
        const reason_code bad[] = {reason_code::granted_qos_0, static_cast<reason_code>(c)};
        CHECK(encode_invalid(suback{1, reason_code_list(bad), {}}, v5, errc::suback_reason_code_invalid).offset == 6);
    }
    check_error(encode_invalid(suback{1, {}, {}}, v5, errc::suback_reason_codes_missing), 5, "MQTT-3.9.3-2",
                protocol_error);
}

// ---- UNSUBSCRIBE and UNSUBACK --------------------------------------------------------------------

TEST_CASE("v5 [MQTT-3.10.1-1] UNSUBSCRIBE fixed header flags are 0010") {
    const bytes b = hex("A2 06 00 01 00 00 01 61");
    (void)decode_valid(b, v5);
    for (unsigned flags = 0; flags < 16; ++flags) {
        if (flags == 2) continue;
        CAPTURE(flags);
        bytes bad = b;
        bad[0] = static_cast<std::uint8_t>(0xA0 | flags);
        check_error(decode_invalid(bad, v5, errc::unsubscribe_flags_invalid), 0, "MQTT-3.10.1-1", malformed);
    }
    CHECK(encode_valid(unsubscribe{1, topic_filter_list(one_filter), {}}, v5) == b);
}

TEST_CASE("v5 [MQTT-3.10.3-1] UNSUBSCRIBE Topic Filters are UTF-8 strings") {
    const auto u = decode_valid_as<unsubscribe>(kept("A2 09 00 01 00 00 04 C3 A9 2F 23"), v5);
    CHECK(*u.topic_filters.begin() == text_view("\xC3\xA9/#"));
    check_error(decode_invalid(hex("A2 06 00 01 00 00 01 FF"), v5, errc::utf8_ill_formed), 7, "MQTT-1.5.4-1",
                malformed);
    check_error(decode_invalid(hex("A2 06 00 01 00 00 01 00"), v5, errc::utf8_null_character), 7, "MQTT-1.5.4-2",
                malformed);
    check_error(decode_invalid(hex("A2 06 00 01 00 00 05 61"), v5, errc::truncated), 5, "", malformed);
    const text_view bad[] = {text_view("\xFF", 1)};
    CHECK(encode_invalid(unsubscribe{1, topic_filter_list(bad), {}}, v5, errc::utf8_ill_formed).offset == 7);
}

TEST_CASE("v5 [MQTT-3.10.3-2] an UNSUBSCRIBE has at least one Topic Filter") {
    check_error(decode_invalid(hex("A2 03 00 01 00"), v5, errc::unsubscribe_empty), 5, "MQTT-3.10.3-2",
                protocol_error);
    CHECK(decode_valid_as<unsubscribe>(kept("A2 09 00 01 00 00 01 61 00 01 62"), v5).topic_filters.size() == 2);
    check_error(encode_invalid(unsubscribe{1, {}, {}}, v5, errc::unsubscribe_empty), 5, "MQTT-3.10.3-2",
                protocol_error);
}

TEST_CASE("v5 [MQTT-3.11.3-2] UNSUBACK Reason Codes are Unsubscribe Reason Codes, one per Topic Filter") {
    sweep_reason_codes(hex("B0 04 00 01 00 00"), 5, unsuback_codes, errc::unsuback_reason_code_invalid,
                       "MQTT-3.11.3-2");
    check_error(decode_invalid(hex("B0 05 00 01 00 11 12"), v5, errc::unsuback_reason_code_invalid), 6,
                "MQTT-3.11.3-2", protocol_error);
    check_error(decode_invalid(hex("B0 03 00 01 00"), v5, errc::unsuback_reason_codes_missing), 5, "MQTT-3.11.3-2",
                protocol_error);

    const bytes request_bytes = hex("A2 09 00 01 00 00 01 61 00 01 62");
    const bytes one_bytes = hex("B0 04 00 01 00 00");
    const bytes two_bytes = hex("B0 05 00 01 00 00 11");
    const auto request = decode_valid_as<unsubscribe>(request_bytes, v5);
    CHECK(check_unsuback(request, decode_valid_as<unsuback>(two_bytes, v5), v5).has_value());
    const auto mismatch = check_unsuback(request, decode_valid_as<unsuback>(one_bytes, v5), v5);
    REQUIRE_FALSE(mismatch.has_value());
    CHECK(mismatch.error().code == errc::unsuback_count_mismatch);
    CHECK(mismatch.error().rule() == "MQTT-3.11.3-2");
    CHECK(mismatch.error().reason_code() == protocol_error);

    for (unsigned c = 0; c < 256; ++c) {
        if (contains(unsuback_codes, c)) continue;
        CAPTURE(c);
        const reason_code bad[] = {static_cast<reason_code>(c)};
        CHECK(encode_invalid(unsuback{1, reason_code_list(bad), {}}, v5, errc::unsuback_reason_code_invalid).offset ==
              5);
    }
    check_error(encode_invalid(unsuback{1, {}, {}}, v5, errc::unsuback_reason_codes_missing), 5, "MQTT-3.11.3-2",
                protocol_error);
}

// ---- DISCONNECT and AUTH -------------------------------------------------------------------------

TEST_CASE("v5 [MQTT-3.14.1-1] DISCONNECT fixed header flags are 0000") {
    for (const char* text : {"E0 00", "E0 01 04", "E0 02 00 00"}) {
        CAPTURE(text);
        const bytes b = hex(text);
        (void)decode_valid(b, v5, sender::client);
        for (unsigned flags = 1; flags < 16; ++flags) {
            CAPTURE(flags);
            bytes bad = b;
            bad[0] = static_cast<std::uint8_t>(0xE0 | flags);
            check_error(decode_invalid(bad, v5, errc::disconnect_flags_invalid), 0, "MQTT-3.14.1-1", malformed);
        }
    }
    CHECK(encode_valid(disconnect{}, v5) == hex("E0 00"));
}

TEST_CASE("v5 [MQTT-3.14.2-1] the DISCONNECT Reason Code is one its sender may use") {
    // 0x8C Bad authentication method is listed for DISCONNECT in Table 2-6 but not in 3.14.2.1; the
    // codec accepts it from the Server, where the other authentication codes come from.
    std::vector<std::uint8_t> server = disconnect_codes_server;
    server.push_back(0x8C);
    std::vector<std::uint8_t> any = disconnect_codes_any;
    any.push_back(0x8C);
    for (const char* text : {"E0 01 00", "E0 02 00 00"}) {
        CAPTURE(text);
        sweep_reason_codes(hex(text), 2, disconnect_codes_client, errc::disconnect_reason_code_invalid,
                           "MQTT-3.14.2-1", sender::client);
        sweep_reason_codes(hex(text), 2, server, errc::disconnect_reason_code_invalid, "MQTT-3.14.2-1",
                           sender::server);
        sweep_reason_codes(hex(text), 2, any, errc::disconnect_reason_code_invalid, "MQTT-3.14.2-1", sender::any);
    }
    // By sender: 0x04 only from the Client; 0x8B Server shutting down only from the Server.
    (void)decode_valid(kept("E0 01 04"), v5, sender::client);
    check_error(decode_invalid(hex("E0 01 04"), v5, errc::disconnect_reason_code_invalid, sender::server), 2,
                "MQTT-3.14.2-1", protocol_error);
    (void)decode_valid(kept("E0 01 8B"), v5, sender::server);
    check_error(decode_invalid(hex("E0 01 8B"), v5, errc::disconnect_reason_code_invalid, sender::client), 2,
                "MQTT-3.14.2-1", protocol_error);
    (void)decode_valid(kept("E0 01 8C"), v5, sender::server);
    check_error(decode_invalid(hex("E0 01 8C"), v5, errc::disconnect_reason_code_invalid, sender::client), 2,
                "MQTT-3.14.2-1", protocol_error);

    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const disconnect d{static_cast<reason_code>(c), {}};
        if (contains(disconnect_codes_client, c)) {
            (void)encode_valid(d, v5, sender::client);
        } else {
            check_error(encode_invalid(d, v5, errc::disconnect_reason_code_invalid, sender::client), 2,
                        "MQTT-3.14.2-1", protocol_error);
        }
        if (contains(server, c)) {
            (void)encode_valid(d, v5, sender::server);
        } else {
            check_error(encode_invalid(d, v5, errc::disconnect_reason_code_invalid, sender::server), 2,
                        "MQTT-3.14.2-1", protocol_error);
        }
    }
}

TEST_CASE("v5 [MQTT-3.14.2-2] a DISCONNECT from the Server has no Session Expiry Interval") {
    const bytes b = hex("E0 07 00 05 11 00 00 00 0A");
    CHECK(decode_valid_as<disconnect>(b, v5, sender::client).properties.session_expiry_interval() == 10u);
    CHECK(decode_valid_as<disconnect>(b, v5, sender::any).properties.session_expiry_interval() == 10u);
    check_error(decode_invalid(b, v5, errc::session_expiry_from_server, sender::server), 4, "MQTT-3.14.2-2",
                protocol_error);
    // The Server may send the other DISCONNECT properties.
    (void)decode_valid(kept("E0 08 9C 06 1C 00 03 73 72 76"), v5, sender::server);

    bytes storage;
    const disconnect d{reason_code::normal_disconnection,
                       build_properties(storage, [](property_builder& p) { p.session_expiry_interval(10); })};
    CHECK(encode_valid(d, v5, sender::client) == b);
    check_error(encode_invalid(d, v5, errc::session_expiry_from_server, sender::server), 4, "MQTT-3.14.2-2",
                protocol_error);
}

TEST_CASE("v5 [MQTT-3.15.1-1] AUTH fixed header flags are 0000") {
    for (const char* text : {"F0 06 00 04 15 00 01 6B", "F0 06 18 04 15 00 01 6B"}) {
        CAPTURE(text);
        const bytes b = hex(text);
        (void)decode_valid(b, v5, sender::server);
        for (unsigned flags = 1; flags < 16; ++flags) {
            CAPTURE(flags);
            bytes bad = b;
            bad[0] = static_cast<std::uint8_t>(0xF0 | flags);
            check_error(decode_invalid(bad, v5, errc::auth_flags_invalid), 0, "MQTT-3.15.1-1", malformed);
        }
    }
    bytes storage;
    const auth a{reason_code::success,
                 build_properties(storage, [](property_builder& p) { p.authentication_method("k"); })};
    CHECK(encode_valid(a, v5, sender::server) == hex("F0 06 00 04 15 00 01 6B"));
}

TEST_CASE("v5 [MQTT-3.15.2-1] the AUTH Reason Code is 0x00, 0x18 or 0x19, by sender") {
    const bytes b = hex("F0 06 00 04 15 00 01 6B");
    sweep_reason_codes(b, 2, auth_codes_any, errc::auth_reason_code_invalid, "MQTT-3.15.2-1", sender::any);
    sweep_reason_codes(b, 2, auth_codes_client, errc::auth_reason_code_invalid, "MQTT-3.15.2-1", sender::client);
    sweep_reason_codes(b, 2, auth_codes_server, errc::auth_reason_code_invalid, "MQTT-3.15.2-1", sender::server);
    // Remaining Length 0 would mean Success without properties (3.15.2.1), but an AUTH always
    // carries its Authentication Method [MQTT-4.12.0-5], so the short form is refused whoever sends it.
    for (const sender from : {sender::any, sender::client, sender::server}) {
        check_error(decode_invalid(hex("F0 00"), v5, errc::authentication_method_missing, from), 2, "MQTT-4.12.0-5",
                    protocol_error);
    }

    bytes storage;
    const properties method = build_properties(storage, [](property_builder& p) { p.authentication_method("k"); });
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const auth a{static_cast<reason_code>(c), method};
        if (contains(auth_codes_any, c)) {
            CHECK(encode_valid(a, v5) == concat({hex("F0 06"), {static_cast<std::uint8_t>(c)}, hex("04 15 00 01 6B")}));
        } else {
            check_error(encode_invalid(a, v5, errc::auth_reason_code_invalid), 2, "MQTT-3.15.2-1", protocol_error);
        }
        if (!contains(auth_codes_client, c)) {
            CHECK(encode_invalid(a, v5, errc::auth_reason_code_invalid, sender::client).offset == 2);
        }
        if (!contains(auth_codes_server, c)) {
            CHECK(encode_invalid(a, v5, errc::auth_reason_code_invalid, sender::server).offset == 2);
        }
    }
}

// ---- Topic Names, Topic Filters, Shared Subscriptions --------------------------------------------

namespace {

// SUBSCRIBE id 1, no properties, one Topic Filter with `options`. The filter text starts at
// offset 7, its options byte follows it.
bytes subscribe_bytes(std::string_view filter, std::uint8_t options = 0) {
    REQUIRE(filter.size() < 100);
    bytes b = {0x82, static_cast<std::uint8_t>(2 + 1 + 2 + filter.size() + 1), 0x00, 0x01, 0x00, 0x00,
               static_cast<std::uint8_t>(filter.size())};
    b.insert(b.end(), filter.begin(), filter.end());
    b.push_back(options);
    return b;
}

// UNSUBSCRIBE id 1, no properties, one Topic Filter; its text starts at offset 7.
bytes unsubscribe_bytes(std::string_view filter) {
    REQUIRE(filter.size() < 100);
    bytes b = {0xA2, static_cast<std::uint8_t>(2 + 1 + 2 + filter.size()), 0x00, 0x01, 0x00, 0x00,
               static_cast<std::uint8_t>(filter.size())};
    b.insert(b.end(), filter.begin(), filter.end());
    return b;
}

// The filter is accepted by SUBSCRIBE and UNSUBSCRIBE, decoders and encoders.
void filter_accepted(std::string_view filter) {
    CAPTURE(filter);
    const bytes s = subscribe_bytes(filter);
    CHECK((*decode_valid_as<subscribe>(s, v5).subscriptions.begin()).topic_filter == text_view(filter));
    const bytes u = unsubscribe_bytes(filter);
    CHECK(*decode_valid_as<unsubscribe>(u, v5).topic_filters.begin() == text_view(filter));
    const subscription subs[] = {subscription{text_view(filter)}};
    CHECK(encode_valid(subscribe{1, subscription_list(subs), {}}, v5) == s);
    const text_view filters[] = {text_view(filter)};
    CHECK(encode_valid(unsubscribe{1, topic_filter_list(filters), {}}, v5) == u);
}

// The filter is refused by SUBSCRIBE and UNSUBSCRIBE, decoders and encoders, with `code` at
// `index` of the filter text (offset 7 + index in both packets).
void filter_refused(std::string_view filter, errc code, std::size_t index, std::string_view rule,
                    std::uint8_t reason = protocol_error) {
    CAPTURE(filter);
    check_error(decode_invalid(subscribe_bytes(filter), v5, code), 7 + index, rule, reason);
    check_error(decode_invalid(unsubscribe_bytes(filter), v5, code), 7 + index, rule, reason);
    const subscription subs[] = {subscription{text_view(filter)}};
    check_error(encode_invalid(subscribe{1, subscription_list(subs), {}}, v5, code), 7 + index, rule, reason);
    const text_view filters[] = {text_view(filter)};
    check_error(encode_invalid(unsubscribe{1, topic_filter_list(filters), {}}, v5, code), 7 + index, rule, reason);
}

}  // namespace

TEST_CASE("v5 [MQTT-4.7.0-1] wildcards are allowed in Topic Filters, not in Topic Names") {
    CHECK(decode_valid_as<subscribe>(kept("82 0B 00 01 00 00 05 2B 2F 61 2F 23 00"), v5).subscriptions.size() == 1);
    CHECK(*decode_valid_as<unsubscribe>(kept("A2 0A 00 01 00 00 05 2B 2F 61 2F 23"), v5).topic_filters.begin() ==
          text_view("+/a/#"));
    // PUBLISH Topic Name "+/a", Will Topic "w/#".
    check_error(decode_invalid(hex("30 06 00 03 2B 2F 61 00"), v5, errc::topic_name_wildcard), 4, "MQTT-3.3.2-2",
                protocol_error);
    check_error(decode_invalid(hex("10 16 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 03 77 2F 23 00 00"), v5,
                               errc::topic_name_wildcard),
                21, "MQTT-3.3.2-2", protocol_error);
    publish q;
    q.topic = "+/a";
    CHECK(encode_invalid(q, v5, errc::topic_name_wildcard).offset == 4);
    connect c;
    c.client_id = "a";
    c.will = will_message{"w/#", {}, qos::at_most_once, false, {}};
    CHECK(encode_invalid(c, v5, errc::topic_name_wildcard).offset == 21);
}

TEST_CASE("v5 [MQTT-4.7.1-1] '#' stands alone or after '/', and is the last character") {
    for (const char* f : {"#", "a/#", "/#", "+/#", "a/b/c/#", "$SYS/#"}) filter_accepted(f);
    filter_refused("a#", errc::topic_filter_multi_level_wildcard, 1, "MQTT-4.7.1-1");
    filter_refused("a/b#", errc::topic_filter_multi_level_wildcard, 3, "MQTT-4.7.1-1");
    filter_refused("a/#/b", errc::topic_filter_multi_level_wildcard, 2, "MQTT-4.7.1-1");
    filter_refused("#/", errc::topic_filter_multi_level_wildcard, 0, "MQTT-4.7.1-1");
    filter_refused("##", errc::topic_filter_multi_level_wildcard, 0, "MQTT-4.7.1-1");
    filter_refused("a/#b", errc::topic_filter_multi_level_wildcard, 2, "MQTT-4.7.1-1");
}

TEST_CASE("v5 [MQTT-4.7.1-2] '+' takes up a whole level") {
    for (const char* f : {"+", "+/+", "/+", "+/", "a/+/b", "+/b/#", "a//+"}) filter_accepted(f);
    filter_refused("a+", errc::topic_filter_single_level_wildcard, 1, "MQTT-4.7.1-2");
    filter_refused("+a", errc::topic_filter_single_level_wildcard, 0, "MQTT-4.7.1-2");
    filter_refused("a/+b", errc::topic_filter_single_level_wildcard, 2, "MQTT-4.7.1-2");
    filter_refused("a/b+/c", errc::topic_filter_single_level_wildcard, 3, "MQTT-4.7.1-2");
    filter_refused("++", errc::topic_filter_single_level_wildcard, 0, "MQTT-4.7.1-2");
}

TEST_CASE("v5 [MQTT-4.7.3-1] Topic Names and Topic Filters are not empty") {
    // One character is enough, even "/".
    CHECK(decode_valid_as<publish>(kept("30 04 00 01 2F 00"), v5).topic == text_view("/"));
    filter_accepted("/");
    // A PUBLISH Topic Name is reported at its length field; without a Topic Alias it may not be
    // empty (see also the unnumbered 3.3.2.3.4 test).
    check_error(decode_invalid(hex("30 04 00 00 00 68"), v5, errc::topic_empty), 2, "MQTT-4.7.3-1", protocol_error);
    check_error(decode_invalid(hex("32 06 00 00 00 01 00 68"), v5, errc::topic_empty), 2, "MQTT-4.7.3-1",
                protocol_error);
    publish q;
    check_error(encode_invalid(q, v5, errc::topic_empty), 2, "MQTT-4.7.3-1", protocol_error);
    // Topic Filters and the Will Topic are reported where their first character would be.
    filter_refused("", errc::topic_empty, 0, "MQTT-4.7.3-1");
    check_error(decode_invalid(hex("10 13 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 00 00 00"), v5,
                               errc::topic_empty),
                19, "MQTT-4.7.3-1", protocol_error);
    connect c;
    c.client_id = "a";
    c.will = will_message{"", {}, qos::at_most_once, false, {}};
    check_error(encode_invalid(c, v5, errc::topic_empty), 19, "MQTT-4.7.3-1", protocol_error);
    // A Shared Subscription's own Topic Filter is not empty either.
    filter_refused("$share/g/", errc::share_name_invalid, 8, "MQTT-4.8.2-2");
}

TEST_CASE("v5 [MQTT-4.7.3-2] Topic Names and Topic Filters do not contain U+0000") {
    check_error(decode_invalid(hex("30 07 00 03 61 00 62 00 68"), v5, errc::utf8_null_character), 5, "MQTT-1.5.4-2",
                malformed);
    filter_refused(std::string_view("a\0b", 3), errc::utf8_null_character, 1, "MQTT-1.5.4-2", malformed);
    check_error(decode_invalid(hex("10 16 00 04 4D 51 54 54 05 06 00 3C 00 00 01 61 00 00 03 77 00 78 00 00"), v5,
                               errc::utf8_null_character),
                20, "MQTT-1.5.4-2", malformed);
    // U+0001 is not U+0000.
    filter_accepted(std::string_view("a\x01", 2));
}

TEST_CASE("v5 [MQTT-4.7.3-3] Topic Names and Topic Filters are at most 65,535 bytes") {
    // The largest Topic Name: Remaining Length 2 + 65,535 + 1 = 65,538 (82 80 04). decode_valid()
    // would frame it at every one of its 65,542 split points, so this one decodes directly and is
    // round-tripped by encode_valid(); a 300-byte one goes through decode_valid().
    const bytes longest = concat({hex("30 82 80 04 FF FF"), bytes(65'535, 0x61), hex("00")});
    const auto d = decode(view(longest), v5);
    REQUIRE(d.has_value());
    const publish* p = std::get_if<publish>(&*d);
    REQUIRE(p != nullptr);
    CHECK(p->topic.size() == 65'535);
    CHECK(encode_valid(*p, v5) == longest);
    const bytes medium = concat({hex("30 AF 02 01 2C"), bytes(300, 0x61), hex("00")});
    CHECK(decode_valid_as<publish>(medium, v5).topic.size() == 300);

    // A longer one cannot be written on the wire (the length field is two bytes); the encoder
    // refuses to try.
    const std::string too_long(65'536, 'a');
    publish q;
    q.topic = text_view(too_long);
    check_error(encode_invalid(q, v5, errc::topic_too_long), 0, "MQTT-4.7.3-3", malformed);
    const subscription subs[] = {subscription{text_view(too_long)}};
    check_error(encode_invalid(subscribe{1, subscription_list(subs), {}}, v5, errc::topic_too_long), 0, "MQTT-4.7.3-3",
                malformed);
    const text_view filters[] = {text_view(too_long)};
    check_error(encode_invalid(unsubscribe{1, topic_filter_list(filters), {}}, v5, errc::topic_too_long), 0,
                "MQTT-4.7.3-3", malformed);
    connect c;
    c.client_id = "a";
    c.will = will_message{text_view(too_long), {}, qos::at_most_once, false, {}};
    check_error(encode_invalid(c, v5, errc::topic_too_long), 0, "MQTT-4.7.3-3", malformed);
}

TEST_CASE("v5 [MQTT-4.8.2-1] a Shared Subscription is $share/ and a ShareName of at least one character") {
    for (const char* f : {"$share/g/a", "$share/group/a/+/#", "$share/g/#", "$share/g//"}) filter_accepted(f);
    const auto shared = parse_shared_subscription("$share/group/a/#");
    REQUIRE(shared.has_value());
    CHECK(shared->share_name == text_view("group"));
    CHECK(shared->topic_filter == text_view("a/#"));
    // Not a Shared Subscription at all: ordinary filters.
    filter_accepted("$shared/a");
    filter_accepted("$share");
    // Empty ShareName: reported where it should start (index 7).
    filter_refused("$share//a", errc::share_name_empty, 7, "MQTT-4.8.2-1");
    filter_refused("$share/", errc::share_name_empty, 7, "MQTT-4.8.2-1");
}

TEST_CASE("v5 [MQTT-4.8.2-2] a ShareName has no '/', '+' or '#', and is followed by '/' and a Topic Filter") {
    filter_refused("$share/g+/a", errc::share_name_invalid, 8, "MQTT-4.8.2-2");
    filter_refused("$share/+/a", errc::share_name_invalid, 7, "MQTT-4.8.2-2");
    filter_refused("$share/g#/a", errc::share_name_invalid, 8, "MQTT-4.8.2-2");
    // No '/' and Topic Filter after the ShareName.
    filter_refused("$share/g", errc::share_name_invalid, 8, "MQTT-4.8.2-2");
    filter_refused("$share/g/", errc::share_name_invalid, 8, "MQTT-4.8.2-2");
    // The Topic Filter after it follows the wildcard rules.
    filter_refused("$share/g/a+", errc::topic_filter_single_level_wildcard, 10, "MQTT-4.7.1-2");
    filter_refused("$share/g/#/a", errc::topic_filter_multi_level_wildcard, 9, "MQTT-4.7.1-1");
}

// =================================================================================================
// 2. Unnumbered wire rules ("It is a Protocol Error / Malformed Packet ...")
// =================================================================================================

namespace {

// A property block in `where` whose first property (after `property_at` bytes) is refused with
// `code`, by the decoder and the encoder, at the property's identifier.
void block_refused(pc where, const bytes& block, errc code, std::uint8_t reason, std::size_t property_at = 0,
                   sender from = sender::any) {
    const placed in = with_properties(where, block);
    check_error(decode_invalid(in.packet, v5, code, from), in.block_at + property_at, "", reason);
    check_error(encode_invalid(make_packet(where, properties(view(block))), v5, code, from),
                in.block_at + property_at, "", reason);
}

// A Byte property that must be 0 or 1: both decode, every other value is a Protocol Error.
void check_boolean_property(std::uint8_t id, pc where) {
    CAPTURE(id);
    for (unsigned value = 0; value < 256; ++value) {
        CAPTURE(value);
        const bytes block = {id, static_cast<std::uint8_t>(value)};
        if (value <= 1) {
            const placed in = with_properties(where, block);
            const auto p = decoded_properties(in, where).find(static_cast<property_id>(id));
            REQUIRE(p.has_value());
            CHECK(p->integer == value);
        } else {
            block_refused(where, block, errc::property_byte_invalid, protocol_error);
        }
    }
}

}  // namespace

TEST_CASE("v5 [unnumbered 2.2.2.2] a property appears at most once, except User Property, and Subscription "
          "Identifier in PUBLISH") {
    for (const property_sample& s : property_samples) {
        for (const pc where : all_contexts) {
            if (!allowed_in(s, where)) continue;
            CAPTURE(s.name);
            CAPTURE(context_name(where));
            const bytes prefix = prefix_for(s.id, where);
            const bytes one = hex(s.wire);
            const bytes block = concat({prefix, one, one});
            const placed in = with_properties(where, block);
            if (s.id == 0x26 || (s.id == 0x0B && where == pc::publish)) {
                CHECK(decoded_properties(in, where).count(static_cast<property_id>(s.id)) == 2);
            } else {
                block_refused(where, block, errc::property_duplicate, protocol_error, prefix.size() + one.size());
            }
        }
    }
    // Many User Properties, names repeated, order kept.
    const placed in =
        with_properties(pc::puback, hex("26 00 01 61 00 01 31 26 00 01 62 00 01 32 26 00 01 61 00 01 33"));
    std::string seen;
    for (const property& p : decoded_properties(in, pc::puback).user_properties()) {
        seen += std::string(p.pair.name.as_string_view()) + "=" + std::string(p.pair.value.as_string_view()) + ";";
    }
    CHECK(seen == "a=1;b=2;a=3;");
    // A Subscription Identifier repeated in a PUBLISH from the Server is fine (see MQTT-3.3.4-6).
    (void)decode_valid(kept("32 0A 00 01 74 00 01 04 0B 01 0B 02"), v5, sender::server);
}

TEST_CASE("v5 [unnumbered 3.1.2.11.3] Receive Maximum 0 in CONNECT is a Protocol Error") {
    const placed one = with_properties(pc::connect, hex("21 00 01"));
    CHECK(decoded_properties(one, pc::connect).receive_maximum() == std::uint16_t{1});
    const placed most = with_properties(pc::connect, hex("21 FF FF"));
    CHECK(decoded_properties(most, pc::connect).receive_maximum() == std::uint16_t{65'535});
    block_refused(pc::connect, hex("21 00 00"), errc::receive_maximum_zero, protocol_error);
}

TEST_CASE("v5 [unnumbered 3.2.2.3.3] Receive Maximum 0 in CONNACK is a Protocol Error") {
    const placed one = with_properties(pc::connack, hex("21 00 01"));
    CHECK(decoded_properties(one, pc::connack).receive_maximum() == std::uint16_t{1});
    block_refused(pc::connack, hex("21 00 00"), errc::receive_maximum_zero, protocol_error);
    block_refused(pc::connack, hex("1F 00 02 6F 6B 21 00 00"), errc::receive_maximum_zero, protocol_error, 5);
}

TEST_CASE("v5 [unnumbered 3.1.2.11.4] Maximum Packet Size 0 in CONNECT is a Protocol Error") {
    const placed one = with_properties(pc::connect, hex("27 00 00 00 01"));
    CHECK(decoded_properties(one, pc::connect).maximum_packet_size() == 1u);
    const placed big = with_properties(pc::connect, hex("27 FF FF FF FF"));
    CHECK(decoded_properties(big, pc::connect).maximum_packet_size() == 0xFFFF'FFFFu);
    block_refused(pc::connect, hex("27 00 00 00 00"), errc::maximum_packet_size_zero, protocol_error);
}

TEST_CASE("v5 [unnumbered 3.2.2.3.6] Maximum Packet Size 0 in CONNACK is a Protocol Error") {
    const placed one = with_properties(pc::connack, hex("27 00 00 04 00"));
    CHECK(decoded_properties(one, pc::connack).maximum_packet_size() == 1024u);
    block_refused(pc::connack, hex("27 00 00 00 00"), errc::maximum_packet_size_zero, protocol_error);
}

TEST_CASE("v5 [unnumbered 3.8.2.1.2] Subscription Identifier 0 in SUBSCRIBE is a Protocol Error") {
    const placed one = with_properties(pc::subscribe, hex("0B 01"));
    CHECK(decoded_properties(one, pc::subscribe).subscription_identifier() == 1u);
    const placed most = with_properties(pc::subscribe, hex("0B FF FF FF 7F"));
    CHECK(decoded_properties(most, pc::subscribe).subscription_identifier() == 268'435'455u);
    block_refused(pc::subscribe, hex("0B 00"), errc::subscription_identifier_zero, protocol_error);
    // The builder cannot write a value above the Variable Byte Integer range.
    bytes storage(16);
    property_builder builder(mutable_bytes(storage.data(), storage.size()));
    builder.subscription_identifier(268'435'456);
    REQUIRE_FALSE(builder.build().has_value());
    CHECK(builder.build().error().code == errc::value_out_of_range);
}

TEST_CASE("v5 [unnumbered 3.3.2.3.8] Subscription Identifier 0 in PUBLISH is a Protocol Error") {
    block_refused(pc::publish, hex("0B 00"), errc::subscription_identifier_zero, protocol_error, 0, sender::server);
    block_refused(pc::publish, hex("0B 05 0B 00"), errc::subscription_identifier_zero, protocol_error, 2,
                  sender::server);
}

TEST_CASE("v5 [unnumbered 3.3.2.3.2] Payload Format Indicator is 0 or 1") {
    check_boolean_property(0x01, pc::publish);
    check_boolean_property(0x01, pc::will);
}

TEST_CASE("v5 [unnumbered 3.1.2.11.6] Request Response Information is 0 or 1") {
    check_boolean_property(0x19, pc::connect);
}

TEST_CASE("v5 [unnumbered 3.1.2.11.7] Request Problem Information is 0 or 1") {
    check_boolean_property(0x17, pc::connect);
}

TEST_CASE("v5 [unnumbered 3.2.2.3.4] Maximum QoS is 0 or 1 (2 is the default when absent, 3 does not exist)") {
    check_boolean_property(0x24, pc::connack);
    const placed absent = with_properties(pc::connack, hex(""));
    CHECK_FALSE(decoded_properties(absent, pc::connack).maximum_qos().has_value());
}

TEST_CASE("v5 [unnumbered 3.2.2.3.5] Retain Available is 0 or 1") { check_boolean_property(0x25, pc::connack); }

TEST_CASE("v5 [unnumbered 3.2.2.3.11] Wildcard Subscription Available is 0 or 1") {
    check_boolean_property(0x28, pc::connack);
}

TEST_CASE("v5 [unnumbered 3.2.2.3.12] Subscription Identifiers Available is 0 or 1") {
    check_boolean_property(0x29, pc::connack);
}

TEST_CASE("v5 [unnumbered 3.2.2.3.13] Shared Subscription Available is 0 or 1") {
    check_boolean_property(0x2A, pc::connack);
}

TEST_CASE("v5 [unnumbered 3.8.3.1] Retain Handling 3 is a Protocol Error") {
    for (const std::uint8_t handling : std::initializer_list<std::uint8_t>{0x00, 0x10, 0x20}) {
        const bytes b = subscribe_bytes("a", handling);
        CHECK(static_cast<unsigned>((*decode_valid_as<subscribe>(b, v5).subscriptions.begin()).retain_handling) ==
              static_cast<unsigned>(handling >> 4));
    }
    for (const std::uint8_t options : std::initializer_list<std::uint8_t>{0x30, 0x31, 0x3E}) {
        CAPTURE(options);
        check_error(decode_invalid(subscribe_bytes("a", options), v5, errc::retain_handling_invalid), 8, "",
                    protocol_error);
    }
    const subscription bad[] = {subscription{"a", qos::at_most_once, false, false, static_cast<retain_handling>(3)}};
    check_error(encode_invalid(subscribe{1, subscription_list(bad), {}}, v5, errc::retain_handling_invalid), 8, "",
                protocol_error);
}

TEST_CASE("v5 [unnumbered 3.8.3.1] a requested Maximum QoS of 3 is a Protocol Error") {
    for (const std::uint8_t q : std::initializer_list<std::uint8_t>{0x00, 0x01, 0x02}) {
        const bytes b = subscribe_bytes("a", q);
        CHECK(static_cast<unsigned>((*decode_valid_as<subscribe>(b, v5).subscriptions.begin()).qos) == unsigned{q});
    }
    for (const std::uint8_t options : std::initializer_list<std::uint8_t>{0x03, 0x07, 0x2F}) {
        CAPTURE(options);
        check_error(decode_invalid(subscribe_bytes("a", options), v5, errc::subscription_qos_invalid), 8, "",
                    protocol_error);
    }
    const subscription bad[] = {subscription{"a", static_cast<qos>(3)}};
    check_error(encode_invalid(subscribe{1, subscription_list(bad), {}}, v5, errc::subscription_qos_invalid), 8, "",
                protocol_error);
}

TEST_CASE("v5 [unnumbered 3.1.2.11.10] Authentication Data without Authentication Method is a Protocol Error") {
    // With a method, in either order.
    for (const pc where : {pc::connect, pc::connack, pc::auth}) {
        CAPTURE(context_name(where));
        const placed after = with_properties(where, hex("15 00 01 6B 16 00 02 01 02"));
        CHECK(decoded_properties(after, where).authentication_data() == bytes_view("\x01\x02", 2));
        const placed before = with_properties(where, hex("16 00 02 01 02 15 00 01 6B"));
        CHECK(decoded_properties(before, where).authentication_method() == text_view("k"));
    }
    // Without: CONNECT (3.1.2.11.10), CONNACK (3.2.2.3.18); in AUTH the data is reported before the
    // missing method.
    block_refused(pc::connect, hex("16 00 02 01 02"), errc::authentication_data_without_method, protocol_error);
    block_refused(pc::connack, hex("16 00 02 01 02"), errc::authentication_data_without_method, protocol_error);
    block_refused(pc::connack, hex("1F 00 02 6F 6B 16 00 00"), errc::authentication_data_without_method,
                  protocol_error, 5);
    const placed in_auth = with_properties(pc::auth, hex("16 00 02 01 02"));
    check_error(decode_invalid(in_auth.packet, v5, errc::authentication_data_without_method), in_auth.block_at, "",
                protocol_error);
}

TEST_CASE("v5 [unnumbered 3.3.2.3.4] an empty Topic Name needs a Topic Alias") {
    const bytes b = hex("30 07 00 00 03 23 00 01 68");
    const auto p = decode_valid_as<publish>(b, v5);
    CHECK(p.topic.empty());
    CHECK(p.properties.topic_alias() == std::uint16_t{1});
    CHECK(decode_valid_as<publish>(kept("32 09 00 00 00 05 03 23 00 01 68"), v5).packet_id == 5);
    // Without one, even with other properties.
    check_error(decode_invalid(hex("30 04 00 00 00 68"), v5, errc::topic_empty), 2, "MQTT-4.7.3-1", protocol_error);
    check_error(decode_invalid(hex("30 09 00 00 05 02 00 00 00 3C 68"), v5, errc::topic_empty), 2, "MQTT-4.7.3-1",
                protocol_error);
    // A Topic Alias with a Topic Name is fine too (it sets the alias).
    CHECK(decode_valid_as<publish>(kept("30 08 00 01 74 03 23 00 01 68"), v5).topic == text_view("t"));

    bytes storage;
    publish q;
    q.payload = bytes_view("h", 1);
    CHECK(encode_invalid(q, v5, errc::topic_empty).offset == 2);
    q.properties = build_properties(storage, [](property_builder& pb) { pb.topic_alias(1); });
    CHECK(encode_valid(q, v5) == b);
}

TEST_CASE("v5 [unnumbered 2.2.2.2] a property not allowed in the packet is a Malformed Packet") {
    for (const property_sample& s : property_samples) {
        for (const pc where : all_contexts) {
            CAPTURE(s.name);
            CAPTURE(context_name(where));
            const bytes prefix = prefix_for(s.id, where);
            const bytes block = concat({prefix, hex(s.wire)});
            if (allowed_in(s, where)) {
                const placed in = with_properties(where, block);
                const properties props = decoded_properties(in, where);
                CHECK(props.count(static_cast<property_id>(s.id)) == 1);
            } else {
                refused_in(where, block, prefix.size());
            }
        }
    }
}

TEST_CASE("v5 [unnumbered 2.2.2.2] an unknown property identifier is a Malformed Packet") {
    std::vector<std::uint8_t> known;
    for (const property_sample& s : property_samples) known.push_back(s.id);
    REQUIRE(known.size() == 27);
    for (unsigned id = 0; id < 128; ++id) {
        if (contains(known, id)) continue;
        CAPTURE(id);
        bytes b = hex("30 06 00 01 74 02 00 00");
        b[6] = static_cast<std::uint8_t>(id);
        check_error(decode_invalid(b, v5, errc::property_unknown), 6, "", malformed);
        const bytes raw = {static_cast<std::uint8_t>(id), 0x00};
        publish q;
        q.topic = "t";
        q.properties = properties(view(raw));
        check_error(encode_invalid(q, v5, errc::property_unknown), 6, "", malformed);
    }
    // Identifiers of two bytes (128 and up) are defined by no property.
    check_error(decode_invalid(hex("30 07 00 01 74 03 80 01 00"), v5, errc::property_unknown), 6, "", malformed);
    check_error(decode_invalid(hex("30 07 00 01 74 03 81 01 00"), v5, errc::property_unknown), 6, "", malformed);
    // After a valid property.
    check_error(decode_invalid(hex("30 08 00 01 74 04 01 01 04 00"), v5, errc::property_unknown), 8, "", malformed);
}

TEST_CASE("v5 [unnumbered 2.2.2.1] the Property Length does not run past the packet") {
    check_error(decode_invalid(hex("30 05 00 01 74 05 01"), v5, errc::property_length_invalid), 5, "", malformed);
    check_error(decode_invalid(hex("20 03 00 00 05"), v5, errc::property_length_invalid), 4, "", malformed);
    check_error(decode_invalid(hex("40 05 00 01 10 03 1F"), v5, errc::property_length_invalid), 5, "", malformed);
    check_error(decode_invalid(hex("E0 03 00 02 1F"), v5, errc::property_length_invalid), 3, "", malformed);
    check_error(decode_invalid(hex("82 07 00 01 09 00 01 61 00"), v5, errc::property_length_invalid), 4, "", malformed);
    // A Property Length whose Variable Byte Integer is cut short by the end of the packet.
    check_error(decode_invalid(hex("30 04 00 01 74 80"), v5, errc::property_length_invalid), 5, "", malformed);
    // A Property Length that ends before the packet does: the rest is payload (PUBLISH) or the
    // next field.
    const auto p = decode_valid_as<publish>(kept("30 07 00 01 74 02 01 01 68"), v5);
    CHECK(p.properties.payload_format_indicator() == std::uint8_t{1});
    CHECK(p.payload == bytes_view("h", 1));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] a property value of the wrong size is a Malformed Packet") {
    // Property Length 2 holds the identifier and one byte of a Four Byte Integer.
    check_error(decode_invalid(hex("30 08 00 01 74 02 02 00 00 00"), v5, errc::property_truncated), 7, "", malformed);
    // A Two Byte Integer with one byte.
    check_error(decode_invalid(hex("20 05 00 00 02 21 00"), v5, errc::property_truncated), 6, "", malformed);
    // A string whose length runs past the block (into the payload).
    check_error(decode_invalid(hex("30 09 00 01 74 03 03 00 05 61 62"), v5, errc::property_truncated), 7, "",
                malformed);
    // A Binary Data length past the block.
    check_error(decode_invalid(hex("30 08 00 01 74 04 09 00 03 61"), v5, errc::property_truncated), 7, "", malformed);
    // A String Pair with a name and no value.
    check_error(decode_invalid(hex("30 08 00 01 74 04 26 00 01 6B"), v5, errc::property_truncated), 10, "", malformed);
    // A Byte property with no byte.
    check_error(decode_invalid(hex("30 05 00 01 74 01 01"), v5, errc::property_truncated), 7, "", malformed);
    // A Variable Byte Integer property cut short.
    check_error(decode_invalid(hex("30 06 00 01 74 02 0B 80"), v5, errc::property_truncated, sender::server), 7, "",
                malformed);
    // The builder refuses a value of the wrong type.
    bytes storage(16);
    property_builder builder(mutable_bytes(storage.data(), storage.size()));
    builder.add_string(property_id::receive_maximum, "x");
    REQUIRE_FALSE(builder.build().has_value());
    CHECK(builder.build().error().code == errc::property_type_mismatch);
}

TEST_CASE("v5 [unnumbered 3.15.2.2.2] an AUTH has an Authentication Method") {
    // 3.15.2.2.2 makes omitting it a Protocol Error; the codec cites MQTT-4.12.0-5 for the rule.
    const auto a = decode_valid_as<auth>(kept("F0 06 18 04 15 00 01 6B"), v5);
    CHECK(a.properties.authentication_method() == text_view("k"));
    // Reported at the Property Length, where the method should be.
    check_error(decode_invalid(hex("F0 02 18 00"), v5, errc::authentication_method_missing), 3, "MQTT-4.12.0-5",
                protocol_error);
    check_error(decode_invalid(hex("F0 07 19 05 1F 00 02 6F 6B"), v5, errc::authentication_method_missing), 3,
                "MQTT-4.12.0-5", protocol_error);
    check_error(decode_invalid(hex("F0 00"), v5, errc::authentication_method_missing), 2, "MQTT-4.12.0-5",
                protocol_error);
    // The encoder refuses the same, at the same offset.
    check_error(encode_invalid(auth{reason_code::continue_authentication, {}}, v5,
                               errc::authentication_method_missing),
                3, "MQTT-4.12.0-5", protocol_error);
    check_error(encode_invalid(auth{}, v5, errc::authentication_method_missing, sender::server), 3, "MQTT-4.12.0-5",
                protocol_error);
    bytes storage;
    const auth b{reason_code::re_authenticate,
                 build_properties(storage, [](property_builder& p) { p.reason_string("ok"); })};
    check_error(encode_invalid(b, v5, errc::authentication_method_missing), 3, "MQTT-4.12.0-5", protocol_error);
}

TEST_CASE("v5 [unnumbered 2.4] the Reason Code sets of every packet") {
    struct row {
        packet_type type;
        sender from;
        const std::vector<std::uint8_t>* codes;
    };
    std::vector<std::uint8_t> server_disconnect = disconnect_codes_server;
    server_disconnect.push_back(0x8C);  // Table 2-6, see MQTT-3.14.2-1
    const row rows[] = {
        {packet_type::connack, sender::any, &connack_codes},
        {packet_type::puback, sender::any, &puback_codes},
        {packet_type::pubrec, sender::any, &puback_codes},
        {packet_type::pubrel, sender::any, &pubrel_codes},
        {packet_type::pubcomp, sender::any, &pubrel_codes},
        {packet_type::suback, sender::any, &suback_codes},
        {packet_type::unsuback, sender::any, &unsuback_codes},
        {packet_type::disconnect, sender::client, &disconnect_codes_client},
        {packet_type::disconnect, sender::server, &server_disconnect},
        {packet_type::auth, sender::any, &auth_codes_any},
        {packet_type::auth, sender::client, &auth_codes_client},
        {packet_type::auth, sender::server, &auth_codes_server},
    };
    for (const row& r : rows) {
        CAPTURE(to_string(r.type));
        CAPTURE(static_cast<int>(r.from));
        for (unsigned c = 0; c < 256; ++c) {
            CAPTURE(c);
            CHECK(is_allowed_reason_code(r.type, static_cast<std::uint8_t>(c), v5, r.from) == contains(*r.codes, c));
        }
    }
    // The codes below 0x80 are successes, the rest failures.
    CHECK_FALSE(is_failure(reason_code::granted_qos_2));
    CHECK_FALSE(is_failure(reason_code::re_authenticate));
    CHECK(is_failure(reason_code::unspecified_error));
    CHECK(is_failure(reason_code::wildcard_subscriptions_not_supported));
}

TEST_CASE("v5 [unnumbered 3.3.2.3.2] with Payload Format Indicator 1 the payload is UTF-8 (receiver's check)") {
    const auto text = decode_valid_as<publish>(kept("30 08 00 01 74 02 01 01 C3 A9"), v5);
    CHECK(check_payload_format(text).has_value());
    // Decoding does not look at the payload; check_payload_format() does, when the receiver wants.
    const auto bad = decode_valid_as<publish>(kept("30 08 00 01 74 02 01 01 61 FF"), v5);
    const auto e = check_payload_format(bad);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == errc::payload_format_invalid);
    CHECK(e.error().offset == 1);
    CHECK(e.error().reason_code() == 0x99);
    // Indicator 0 or absent: opaque bytes.
    CHECK(check_payload_format(decode_valid_as<publish>(kept("30 08 00 01 74 02 01 00 61 FF"), v5)).has_value());
    CHECK(check_payload_format(decode_valid_as<publish>(kept("30 06 00 01 74 00 61 FF"), v5)).has_value());
}

// =================================================================================================
// 3. The 27 properties: read back where allowed, refused (property_not_allowed) where not. The
//    full matrix of every property in every place is the "not allowed" test above.
// =================================================================================================

namespace {

// The bytes a property_builder writes.
template <class F>
bytes built(F&& fill) {
    bytes storage;
    const properties p = build_properties(storage, std::forward<F>(fill));
    return bytes(p.wire().data(), p.wire().data() + p.wire().size());
}

}  // namespace

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x01 Payload Format Indicator (PUBLISH, Will)") {
    const placed p = with_properties(pc::publish, hex("01 01"));
    CHECK(decoded_properties(p, pc::publish).payload_format_indicator() == std::uint8_t{1});
    const placed w = with_properties(pc::will, hex("01 00"));
    CHECK(decoded_properties(w, pc::will).payload_format_indicator() == std::uint8_t{0});
    CHECK(built([](property_builder& b) { b.payload_format_indicator(1); }) == hex("01 01"));
    refused_in(pc::connack, hex("01 01"));
    refused_in(pc::subscribe, hex("01 01"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x02 Message Expiry Interval (PUBLISH, Will)") {
    const placed p = with_properties(pc::publish, hex("02 00 00 00 3C"));
    CHECK(decoded_properties(p, pc::publish).message_expiry_interval() == 60u);
    const placed w = with_properties(pc::will, hex("02 FF FF FF FF"));
    CHECK(decoded_properties(w, pc::will).message_expiry_interval() == 0xFFFF'FFFFu);
    CHECK(built([](property_builder& b) { b.message_expiry_interval(60); }) == hex("02 00 00 00 3C"));
    refused_in(pc::subscribe, hex("02 00 00 00 3C"));
    refused_in(pc::connect, hex("02 00 00 00 3C"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x03 Content Type (PUBLISH, Will)") {
    const placed p = with_properties(pc::publish, hex("03 00 04 74 65 78 74"));
    CHECK(decoded_properties(p, pc::publish).content_type() == text_view("text"));
    const placed w = with_properties(pc::will, hex("03 00 00"));
    CHECK(decoded_properties(w, pc::will).content_type() == text_view(""));
    CHECK(built([](property_builder& b) { b.content_type("text"); }) == hex("03 00 04 74 65 78 74"));
    refused_in(pc::puback, hex("03 00 04 74 65 78 74"));
    refused_in(pc::connack, hex("03 00 04 74 65 78 74"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x08 Response Topic (PUBLISH, Will)") {
    const placed p = with_properties(pc::publish, hex("08 00 03 72 2F 31"));
    CHECK(decoded_properties(p, pc::publish).response_topic() == text_view("r/1"));
    const placed w = with_properties(pc::will, hex("08 00 01 72"));
    CHECK(decoded_properties(w, pc::will).response_topic() == text_view("r"));
    CHECK(built([](property_builder& b) { b.response_topic("r/1"); }) == hex("08 00 03 72 2F 31"));
    refused_in(pc::connect, hex("08 00 03 72 2F 31"));
    refused_in(pc::connack, hex("08 00 03 72 2F 31"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x09 Correlation Data (PUBLISH, Will)") {
    const placed p = with_properties(pc::publish, hex("09 00 02 CA FE"));
    CHECK(decoded_properties(p, pc::publish).correlation_data() == bytes_view("\xCA\xFE", 2));
    const placed w = with_properties(pc::will, hex("09 00 00"));
    const auto data = decoded_properties(w, pc::will).correlation_data();
    REQUIRE(data.has_value());
    CHECK(data->empty());
    CHECK(built([](property_builder& b) { b.correlation_data(bytes_view("\xCA\xFE", 2)); }) == hex("09 00 02 CA FE"));
    refused_in(pc::pubrel, hex("09 00 02 CA FE"));
    refused_in(pc::connect, hex("09 00 02 CA FE"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x0B Subscription Identifier (PUBLISH from the Server, SUBSCRIBE)") {
    const placed s = with_properties(pc::subscribe, hex("0B 05"));
    CHECK(decoded_properties(s, pc::subscribe).subscription_identifier() == 5u);
    const placed p = with_properties(pc::publish, hex("0B 81 01"));
    CHECK(decoded_properties(p, pc::publish, sender::server).subscription_identifier() == 129u);
    CHECK(built([](property_builder& b) { b.subscription_identifier(129); }) == hex("0B 81 01"));
    refused_in(pc::unsubscribe, hex("0B 05"));
    refused_in(pc::will, hex("0B 05"));
    refused_in(pc::suback, hex("0B 05"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x11 Session Expiry Interval (CONNECT, CONNACK, DISCONNECT)") {
    const placed c = with_properties(pc::connect, hex("11 00 00 00 78"));
    CHECK(decoded_properties(c, pc::connect).session_expiry_interval() == 120u);
    const placed a = with_properties(pc::connack, hex("11 FF FF FF FF"));
    CHECK(decoded_properties(a, pc::connack).session_expiry_interval() == 0xFFFF'FFFFu);
    const placed d = with_properties(pc::disconnect, hex("11 00 00 00 00"));
    CHECK(decoded_properties(d, pc::disconnect, sender::client).session_expiry_interval() == 0u);
    CHECK(built([](property_builder& b) { b.session_expiry_interval(120); }) == hex("11 00 00 00 78"));
    refused_in(pc::publish, hex("11 00 00 00 78"));
    refused_in(pc::will, hex("11 00 00 00 78"));
    refused_in(pc::auth, hex("15 00 01 6B 11 00 00 00 78"), 4);
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x12 Assigned Client Identifier (CONNACK)") {
    const placed a = with_properties(pc::connack, hex("12 00 02 69 64"));
    CHECK(decoded_properties(a, pc::connack).assigned_client_identifier() == text_view("id"));
    CHECK(built([](property_builder& b) { b.assigned_client_identifier("id"); }) == hex("12 00 02 69 64"));
    refused_in(pc::connect, hex("12 00 02 69 64"));
    refused_in(pc::disconnect, hex("12 00 02 69 64"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x13 Server Keep Alive (CONNACK)") {
    const placed a = with_properties(pc::connack, hex("13 00 1E"));
    CHECK(decoded_properties(a, pc::connack).server_keep_alive() == std::uint16_t{30});
    CHECK(built([](property_builder& b) { b.server_keep_alive(30); }) == hex("13 00 1E"));
    refused_in(pc::connect, hex("13 00 1E"));
    refused_in(pc::disconnect, hex("13 00 1E"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x15 Authentication Method (CONNECT, CONNACK, AUTH)") {
    for (const pc where : {pc::connect, pc::connack, pc::auth}) {
        CAPTURE(context_name(where));
        const placed in = with_properties(where, hex("15 00 05 53 43 52 41 4D"));
        CHECK(decoded_properties(in, where).authentication_method() == text_view("SCRAM"));
    }
    CHECK(built([](property_builder& b) { b.authentication_method("SCRAM"); }) == hex("15 00 05 53 43 52 41 4D"));
    refused_in(pc::disconnect, hex("15 00 01 6B"));
    refused_in(pc::publish, hex("15 00 01 6B"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x16 Authentication Data (CONNECT, CONNACK, AUTH)") {
    for (const pc where : {pc::connect, pc::connack, pc::auth}) {
        CAPTURE(context_name(where));
        const placed in = with_properties(where, hex("15 00 01 6B 16 00 03 01 02 03"));
        CHECK(decoded_properties(in, where).authentication_data() == bytes_view("\x01\x02\x03", 3));
    }
    CHECK(built([](property_builder& b) { b.authentication_data(bytes_view("\x01\x02\x03", 3)); }) ==
          hex("16 00 03 01 02 03"));
    refused_in(pc::publish, hex("16 00 03 01 02 03"));
    refused_in(pc::disconnect, hex("16 00 03 01 02 03"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x17 Request Problem Information (CONNECT)") {
    const placed off = with_properties(pc::connect, hex("17 00"));
    CHECK(decoded_properties(off, pc::connect).request_problem_information() == false);
    const placed on = with_properties(pc::connect, hex("17 01"));
    CHECK(decoded_properties(on, pc::connect).request_problem_information() == true);
    CHECK(built([](property_builder& b) { b.request_problem_information(false); }) == hex("17 00"));
    refused_in(pc::connack, hex("17 00"));
    refused_in(pc::will, hex("17 00"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x18 Will Delay Interval (Will Properties)") {
    const placed w = with_properties(pc::will, hex("18 00 00 00 0A"));
    CHECK(decoded_properties(w, pc::will).will_delay_interval() == 10u);
    CHECK(built([](property_builder& b) { b.will_delay_interval(10); }) == hex("18 00 00 00 0A"));
    // Not in the CONNECT's own properties, nor in a PUBLISH.
    refused_in(pc::connect, hex("18 00 00 00 0A"));
    refused_in(pc::publish, hex("18 00 00 00 0A"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x19 Request Response Information (CONNECT)") {
    const placed on = with_properties(pc::connect, hex("19 01"));
    CHECK(decoded_properties(on, pc::connect).request_response_information() == true);
    CHECK(built([](property_builder& b) { b.request_response_information(true); }) == hex("19 01"));
    refused_in(pc::connack, hex("19 01"));
    refused_in(pc::will, hex("19 01"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x1A Response Information (CONNACK)") {
    const placed a = with_properties(pc::connack, hex("1A 00 04 72 65 73 70"));
    CHECK(decoded_properties(a, pc::connack).response_information() == text_view("resp"));
    CHECK(built([](property_builder& b) { b.response_information("resp"); }) == hex("1A 00 04 72 65 73 70"));
    refused_in(pc::connect, hex("1A 00 04 72 65 73 70"));
    refused_in(pc::publish, hex("1A 00 04 72 65 73 70"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x1C Server Reference (CONNACK, DISCONNECT)") {
    const placed a = with_properties(pc::connack, hex("1C 00 03 73 72 76"));
    CHECK(decoded_properties(a, pc::connack).server_reference() == text_view("srv"));
    const placed d = with_properties(pc::disconnect, hex("1C 00 03 73 72 76"));
    CHECK(decoded_properties(d, pc::disconnect, sender::server).server_reference() == text_view("srv"));
    CHECK(built([](property_builder& b) { b.server_reference("srv"); }) == hex("1C 00 03 73 72 76"));
    refused_in(pc::connect, hex("1C 00 03 73 72 76"));
    refused_in(pc::puback, hex("1C 00 03 73 72 76"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x1F Reason String (CONNACK, the PUBLISH acknowledgements, "
          "SUBACK, UNSUBACK, DISCONNECT, AUTH)") {
    for (const pc where : {pc::connack, pc::puback, pc::pubrec, pc::pubrel, pc::pubcomp, pc::suback, pc::unsuback,
                           pc::disconnect, pc::auth}) {
        CAPTURE(context_name(where));
        const bytes prefix = prefix_for(0x1F, where);
        const placed in = with_properties(where, concat({prefix, hex("1F 00 02 6F 6B")}));
        CHECK(decoded_properties(in, where).reason_string() == text_view("ok"));
    }
    CHECK(built([](property_builder& b) { b.reason_string("ok"); }) == hex("1F 00 02 6F 6B"));
    for (const pc where : {pc::connect, pc::publish, pc::will, pc::subscribe, pc::unsubscribe}) {
        CAPTURE(context_name(where));
        refused_in(where, hex("1F 00 02 6F 6B"));
    }
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x21 Receive Maximum (CONNECT, CONNACK)") {
    const placed c = with_properties(pc::connect, hex("21 00 0A"));
    CHECK(decoded_properties(c, pc::connect).receive_maximum() == std::uint16_t{10});
    const placed a = with_properties(pc::connack, hex("21 00 14"));
    CHECK(decoded_properties(a, pc::connack).receive_maximum() == std::uint16_t{20});
    CHECK(built([](property_builder& b) { b.receive_maximum(10); }) == hex("21 00 0A"));
    refused_in(pc::publish, hex("21 00 0A"));
    refused_in(pc::disconnect, hex("21 00 0A"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x22 Topic Alias Maximum (CONNECT, CONNACK)") {
    const placed c = with_properties(pc::connect, hex("22 00 05"));
    CHECK(decoded_properties(c, pc::connect).topic_alias_maximum() == std::uint16_t{5});
    // 0 is allowed: no aliases.
    const placed a = with_properties(pc::connack, hex("22 00 00"));
    CHECK(decoded_properties(a, pc::connack).topic_alias_maximum() == std::uint16_t{0});
    CHECK(built([](property_builder& b) { b.topic_alias_maximum(5); }) == hex("22 00 05"));
    refused_in(pc::publish, hex("22 00 05"));
    refused_in(pc::will, hex("22 00 05"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x23 Topic Alias (PUBLISH)") {
    const placed p = with_properties(pc::publish, hex("23 00 07"));
    CHECK(decoded_properties(p, pc::publish).topic_alias() == std::uint16_t{7});
    CHECK(built([](property_builder& b) { b.topic_alias(7); }) == hex("23 00 07"));
    refused_in(pc::will, hex("23 00 07"));
    refused_in(pc::connack, hex("23 00 07"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x24 Maximum QoS (CONNACK)") {
    const placed zero = with_properties(pc::connack, hex("24 00"));
    CHECK(decoded_properties(zero, pc::connack).maximum_qos() == std::uint8_t{0});
    const placed one = with_properties(pc::connack, hex("24 01"));
    CHECK(decoded_properties(one, pc::connack).maximum_qos() == std::uint8_t{1});
    CHECK(built([](property_builder& b) { b.maximum_qos(1); }) == hex("24 01"));
    refused_in(pc::connect, hex("24 01"));
    refused_in(pc::subscribe, hex("24 01"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x25 Retain Available (CONNACK)") {
    const placed a = with_properties(pc::connack, hex("25 00"));
    CHECK(decoded_properties(a, pc::connack).retain_available() == false);
    CHECK(built([](property_builder& b) { b.retain_available(false); }) == hex("25 00"));
    refused_in(pc::connect, hex("25 00"));
    refused_in(pc::publish, hex("25 00"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x26 User Property (every packet with properties)") {
    for (const pc where : all_contexts) {
        CAPTURE(context_name(where));
        const bytes prefix = prefix_for(0x26, where);
        const placed in = with_properties(where, concat({prefix, hex("26 00 01 6B 00 01 76 26 00 01 6B 00 02 76 32")}));
        std::vector<std::string> values;
        for (const property& p : decoded_properties(in, where).user_properties()) {
            CHECK(p.pair.name == text_view("k"));
            values.emplace_back(p.pair.value.as_string_view());
        }
        CHECK(values == std::vector<std::string>{"v", "v2"});
    }
    CHECK(built([](property_builder& b) { b.user_property("k", "v"); }) == hex("26 00 01 6B 00 01 76"));
    // Every packet that has a property block allows it; PINGREQ and PINGRESP have no block at all.
    check_error(decode_invalid(hex("C0 08 00 26 00 01 6B 00 01 76"), v5, errc::trailing_bytes), 2, "", malformed);
    check_error(decode_invalid(hex("D0 08 00 26 00 01 6B 00 01 76"), v5, errc::trailing_bytes), 2, "", malformed);
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x27 Maximum Packet Size (CONNECT, CONNACK)") {
    const placed c = with_properties(pc::connect, hex("27 00 00 10 00"));
    CHECK(decoded_properties(c, pc::connect).maximum_packet_size() == 4096u);
    const placed a = with_properties(pc::connack, hex("27 10 00 00 04"));
    CHECK(decoded_properties(a, pc::connack).maximum_packet_size() == 268'435'460u);
    CHECK(built([](property_builder& b) { b.maximum_packet_size(4096); }) == hex("27 00 00 10 00"));
    refused_in(pc::publish, hex("27 00 00 10 00"));
    refused_in(pc::auth, hex("15 00 01 6B 27 00 00 10 00"), 4);
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x28 Wildcard Subscription Available (CONNACK)") {
    const placed a = with_properties(pc::connack, hex("28 00"));
    CHECK(decoded_properties(a, pc::connack).wildcard_subscription_available() == false);
    CHECK(built([](property_builder& b) { b.wildcard_subscription_available(false); }) == hex("28 00"));
    refused_in(pc::connect, hex("28 00"));
    refused_in(pc::subscribe, hex("28 00"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x29 Subscription Identifier Available (CONNACK)") {
    const placed a = with_properties(pc::connack, hex("29 01"));
    CHECK(decoded_properties(a, pc::connack).subscription_identifier_available() == true);
    CHECK(built([](property_builder& b) { b.subscription_identifier_available(true); }) == hex("29 01"));
    refused_in(pc::subscribe, hex("29 01"));
    refused_in(pc::connect, hex("29 01"));
}

TEST_CASE("v5 [unnumbered 2.2.2.2] property 0x2A Shared Subscription Available (CONNACK)") {
    const placed a = with_properties(pc::connack, hex("2A 00"));
    CHECK(decoded_properties(a, pc::connack).shared_subscription_available() == false);
    CHECK(built([](property_builder& b) { b.shared_subscription_available(false); }) == hex("2A 00"));
    refused_in(pc::subscribe, hex("2A 00"));
    refused_in(pc::unsubscribe, hex("2A 00"));
}
