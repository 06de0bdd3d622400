// MQTT 3.1.1 conformance: one test case per numbered statement whose actor is `codec` in
// mqtt-3.1.1-statements.tsv (all 43 of them), then the 3.1.1 rules without a number that a codec
// enforces, and MQTT 3.1 ("MQIsdp", level 3) CONNECT.
//
// Each statement gets valid packets (decode_valid: also framed at every split and round-tripped),
// invalid packets (decode_invalid: error code, byte offset, the 3.1.1 statement id from rule()),
// and, where a packet struct can express the violation, the same refusal from the encoder.
#include "support.hpp"

#include <string>

using namespace test;

namespace {

constexpr protocol_version v311 = protocol_version::v3_1_1;

// A 3.1.1 CONNECT: protocol name "MQTT", level 4, the Connect Flags `flags`, Keep Alive 60, then
// `payload`. While the packet is shorter than 130 bytes the flags are at offset 9 and the payload
// starts at offset 12.
bytes connect_v311(std::uint8_t flags, const bytes& payload) {
    return packet_of(0x10, concat({hex("00 04 4d 51 54 54 04"), bytes{flags}, hex("00 3c"), payload}));
}
constexpr std::size_t connect_flags_at = 9;
constexpr std::size_t connect_payload_at = 12;

// A 3.1.1 CONNECT struct with Client Identifier "a" and Keep Alive 60.
connect connect_struct() {
    connect c;
    c.protocol_version = v311;
    c.keep_alive = 60;
    c.client_id = "a";
    return c;
}

publish publish_struct(text_view topic) {
    publish p;
    p.topic = topic;
    p.payload = bytes_view(std::string_view("x"));
    return p;
}

// A QoS 0 PUBLISH with the given topic bytes and no payload.
bytes publish_with_topic(const bytes& topic) { return packet_of(0x30, field(topic)); }

// A SUBSCRIBE (packet id 1) with one filter and Requested QoS 0.
bytes subscribe_with_filter(const bytes& filter) { return packet_of(0x82, concat({hex("00 01"), field(filter), hex("00")})); }

// An UNSUBSCRIBE (packet id 1) with one filter.
bytes unsubscribe_with_filter(const bytes& filter) { return packet_of(0xa2, concat({hex("00 01"), field(filter)})); }


// decode_valid() for bytes whose decoded packet is not looked at.
void accept(const bytes& b, protocol_version v, sender from = sender::any) { (void)decode_valid(b, v, from); }

// Checks the error's statement id (3.1.1 numbering) and its 5.0 reason code.
void check_rule(const error& e, std::string_view rule, std::uint8_t reason) {
    CHECK(e.version != protocol_version::v5);
    CHECK(e.rule() == rule);
    CHECK(e.reason_code() == reason);
}

constexpr std::uint8_t malformed = 0x81;
constexpr std::uint8_t protocol_error = 0x82;

}  // namespace

// ---- 1.5.3 UTF-8 encoded strings ----------------------------------------------------------

TEST_CASE("v3.1.1 [MQTT-1.5.3-1] UTF-8 strings are well-formed and encode no surrogates") {
    // Valid: two-, three- and four-byte characters in a topic and a Client Identifier.
    const bytes topic = publish_with_topic(hex("61 2f c3 a9 2f e2 82 ac 2f f0 9d 84 9e"));
    CHECK(decode_valid_as<publish>(topic, v311).topic.size() == 13);
    const bytes cid = connect_v311(0x02, field(hex("f4 8f bf bf")));  // U+10FFFF, the last code point
    CHECK(decode_valid_as<connect>(cid, v311, sender::client).client_id.size() == 4);

    // Invalid: surrogates U+D800 and U+DFFF, an over-long form, a lone continuation byte, a code point
    // above U+10FFFF, a truncated sequence and a byte that never appears in UTF-8.
    for (const char* bad : {"ed a0 80", "ed bf bf", "c0 af", "e0 80 af", "80", "f4 90 80 80", "e2 82", "ff"}) {
        INFO(std::string(bad));
        const error e = decode_invalid(publish_with_topic(concat({hex("61"), hex(bad)})), v311, errc::utf8_ill_formed);
        CHECK(e.offset == 5);  // the first byte of the offending character
        check_rule(e, "MQTT-1.5.3-1", malformed);
    }
    const error e = decode_invalid(connect_v311(0x02, field(hex("61 ed a0 80"))), v311, errc::utf8_ill_formed, sender::client);
    CHECK(e.offset == connect_payload_at + 3);
    check_rule(e, "MQTT-1.5.3-1", malformed);

    // The encoder refuses the same text.
    const error enc = encode_invalid(publish_struct(std::string_view("a\xed\xa0\x80", 4)), v311, errc::utf8_ill_formed);
    CHECK(enc.offset == 5);
    check_rule(enc, "MQTT-1.5.3-1", malformed);
    connect c = connect_struct();
    c.client_id = std::string_view("\xc0\xaf", 2);
    CHECK(encode_invalid(c, v311, errc::utf8_ill_formed, sender::client).offset == connect_payload_at + 2);
}

TEST_CASE("v3.1.1 [MQTT-1.5.3-2] UTF-8 strings do not encode U+0000") {
    // Valid: U+0001 is allowed (the specification only advises against control characters).
    const bytes b = publish_with_topic(hex("61 01 62"));
    CHECK(decode_valid_as<publish>(b, v311).topic.size() == 3);

    const error e = decode_invalid(publish_with_topic(hex("61 00 62")), v311, errc::utf8_null_character);
    CHECK(e.offset == 5);
    check_rule(e, "MQTT-1.5.3-2", malformed);
    // In a User Name.
    const bytes user = connect_v311(0x82, concat({field("a"), field(hex("75 00"))}));
    CHECK(decode_invalid(user, v311, errc::utf8_null_character, sender::client).offset == connect_payload_at + 3 + 3);
    // The over-long two-byte form of U+0000 is ill-formed, not a way around the rule.
    decode_invalid(publish_with_topic(hex("61 c0 80")), v311, errc::utf8_ill_formed);

    const error enc = encode_invalid(publish_struct(std::string_view("a\0b", 3)), v311, errc::utf8_null_character);
    CHECK(enc.offset == 5);
    check_rule(enc, "MQTT-1.5.3-2", malformed);
    connect c = connect_struct();
    c.username = text_view(std::string_view("u\0", 2));
    CHECK(encode_invalid(c, v311, errc::utf8_null_character, sender::client).offset == connect_payload_at + 3 + 3);
}

TEST_CASE("v3.1.1 [MQTT-1.5.3-3] EF BB BF is U+FEFF and is neither skipped nor stripped") {
    const bytes b = publish_with_topic(hex("ef bb bf 61"));
    const publish p = decode_valid_as<publish>(b, v311);
    REQUIRE(p.topic.size() == 4);
    CHECK(p.topic[0] == 0xef);
    CHECK(p.topic[1] == 0xbb);
    CHECK(p.topic[2] == 0xbf);
    CHECK(p.topic[3] == 0x61);
    const bytes cid = connect_v311(0x02, field(hex("ef bb bf")));
    CHECK(decode_valid_as<connect>(cid, v311, sender::client).client_id.size() == 3);

    // The encoder keeps it too.
    const bytes out = encode_valid(publish_struct(std::string_view("\xef\xbb\xbf" "a", 4)), v311);
    CHECK(to_hex(view(out)) == "30 07 00 04 ef bb bf 61 78");

    // Invalid: a cut-off BOM is an ill-formed sequence, not a BOM to drop.
    const error e = decode_invalid(publish_with_topic(hex("ef bb 61")), v311, errc::utf8_ill_formed);
    CHECK(e.offset == 4);
    check_rule(e, "MQTT-1.5.3-1", malformed);
}

// ---- 2.2.2 Flags, 2.3.1 Packet Identifier ---------------------------------------------------

TEST_CASE("v3.1.1 [MQTT-2.2.2-1] reserved fixed header flags hold the listed value") {
    // Packets whose flags must be 0000; PUBREL, SUBSCRIBE, UNSUBSCRIBE and DISCONNECT have their own
    // statements and cases below.
    const bytes valid[] = {
        connect_v311(0x02, field("a")),
        hex("20 02 00 00"),  // CONNACK
        hex("40 02 00 01"),  // PUBACK
        hex("50 02 00 01"),  // PUBREC
        hex("70 02 00 01"),  // PUBCOMP
        hex("90 03 00 01 00"),  // SUBACK
        hex("b0 02 00 01"),  // UNSUBACK
        hex("c0 00"),        // PINGREQ
        hex("d0 00"),        // PINGRESP
    };
    for (const bytes& good : valid) {
        decode_valid(good, v311);
        for (std::uint8_t flags = 1; flags < 16; ++flags) {
            bytes bad = good;
            bad[0] = static_cast<std::uint8_t>(bad[0] | flags);
            const error e = decode_invalid(bad, v311, errc::reserved_flags_invalid);
            CHECK(e.offset == 0);
            check_rule(e, "MQTT-2.2.2-1", malformed);
        }
    }
    // The encoder has no way to set them: it always writes the listed value.
    CHECK(encode_valid(connect_struct(), v311, sender::client)[0] == 0x10);
    CHECK(encode_valid(connack{}, v311)[0] == 0x20);
    CHECK(encode_valid(puback{1, reason_code::success, {}}, v311)[0] == 0x40);
    CHECK(encode_valid(pingreq{}, v311)[0] == 0xc0);
}

TEST_CASE("v3.1.1 [MQTT-2.3.1-1] SUBSCRIBE, UNSUBSCRIBE and QoS>0 PUBLISH carry a non-zero Packet Identifier") {
    const bytes sub = hex("82 06 00 01 00 01 61 00"), unsub = hex("a2 05 ff ff 00 01 61"),
                pub1 = hex("32 05 00 01 61 12 34"), pub2 = hex("34 05 00 01 61 00 01");
    CHECK(decode_valid_as<subscribe>(sub, v311).packet_id == 1);
    CHECK(decode_valid_as<unsubscribe>(unsub, v311).packet_id == 0xffff);
    CHECK(decode_valid_as<publish>(pub1, v311).packet_id == 0x1234);
    CHECK(decode_valid_as<publish>(pub2, v311).packet_id == 1);

    struct bad_case {
        const char* wire;
        std::uint32_t offset;
    };
    for (const bad_case& c : {
             bad_case{"82 06 00 00 00 01 61 00", 2},  // SUBSCRIBE
             bad_case{"a2 05 00 00 00 01 61", 2},     // UNSUBSCRIBE
             bad_case{"32 05 00 01 61 00 00", 5},     // PUBLISH QoS 1
             bad_case{"34 05 00 01 61 00 00", 5},     // PUBLISH QoS 2
             // The acknowledgements echo an identifier, so 0 cannot be one either.
             bad_case{"40 02 00 00", 2}, bad_case{"50 02 00 00", 2}, bad_case{"62 02 00 00", 2},
             bad_case{"70 02 00 00", 2}, bad_case{"90 03 00 00 00", 2}, bad_case{"b0 02 00 00", 2},
         }) {
        INFO(std::string(c.wire));
        const error e = decode_invalid(hex(c.wire), v311, errc::packet_id_zero);
        CHECK(e.offset == c.offset);
        check_rule(e, "MQTT-2.3.1-1", protocol_error);
    }

    const subscription subs[] = {{"a"}};
    subscribe s;
    s.subscriptions = subs;
    CHECK(encode_invalid(s, v311, errc::packet_id_zero).offset == 2);
    const text_view filters[] = {"a"};
    unsubscribe u;
    u.topic_filters = filters;
    CHECK(encode_invalid(u, v311, errc::packet_id_zero).offset == 2);
    publish p = publish_struct("a");
    p.qos = qos::at_least_once;
    const error e = encode_invalid(p, v311, errc::packet_id_zero);
    CHECK(e.offset == 5);
    check_rule(e, "MQTT-2.3.1-1", protocol_error);
    CHECK(encode_invalid(pubrel{}, v311, errc::packet_id_zero).offset == 2);
}

TEST_CASE("v3.1.1 [MQTT-2.3.1-5] a QoS 0 PUBLISH carries no Packet Identifier") {
    // On the wire the decoder cannot see a packet identifier at QoS 0: the two bytes after the topic
    // are payload, and the decoded packet has none.
    const bytes b = hex("30 07 00 01 61 00 01 68 69");
    const publish p = decode_valid_as<publish>(b, v311);
    CHECK(p.packet_id == 0);
    CHECK(p.payload == bytes_view(std::string_view("\x00\x01hi", 4)));
    // Re-encoded it is the same bytes: nothing was inserted.
    CHECK(encode_valid(p, v311) == b);

    // The encoder refuses a QoS 0 PUBLISH with a packet identifier.
    publish bad = publish_struct("a");
    bad.packet_id = 7;
    const error e = encode_invalid(bad, v311, errc::packet_id_at_qos0);
    CHECK(e.offset == 0);
    check_rule(e, "MQTT-2.3.1-5", malformed);
}

// ---- 3.1 CONNECT ----------------------------------------------------------------------------

TEST_CASE("v3.1.1 [MQTT-3.1.2-3] the reserved Connect Flags bit is 0") {
    const bytes b = connect_v311(0xc2, concat({field("a"), field("u"), field("p")}));
    const connect c = decode_valid_as<connect>(b, v311, sender::client);
    CHECK(c.protocol_version == v311);
    for (const std::uint8_t flags : std::initializer_list<std::uint8_t>{0x01, 0x03, 0xc3, 0xff}) {
        INFO(int{flags});
        const error e = decode_invalid(connect_v311(flags, field("a")), v311, errc::connect_reserved_flag, sender::client);
        CHECK(e.offset == connect_flags_at);
        check_rule(e, "MQTT-3.1.2-3", malformed);
    }
    // The struct has no reserved bit; with every flag set it still encodes bit 0 as 0.
    connect all = connect_struct();
    all.will = will_message{"w", bytes_view(std::string_view("m")), qos::exactly_once, true, {}};
    all.username = text_view("u");
    all.password = bytes_view(std::string_view("p"));
    CHECK(encode_valid(all, v311, sender::client)[connect_flags_at] == 0xf6);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-9] Will Flag 1: the payload holds a Will Topic and a Will Message") {
    const bytes b = connect_v311(0x06, concat({field("a"), field("w/t"), field("bye")}));
    const connect c = decode_valid_as<connect>(b, v311, sender::client);
    REQUIRE(c.will.has_value());
    CHECK(c.will->topic == "w/t");
    CHECK(c.will->payload == bytes_view(std::string_view("bye")));
    CHECK(c.will->qos == qos::at_most_once);
    CHECK(!c.will->retain);
    // An empty Will Message is allowed.
    const bytes empty_message = connect_v311(0x06, concat({field("a"), field("w"), field("")}));
    CHECK(decode_valid_as<connect>(empty_message, v311).will->payload.empty());

    // No Will Topic.
    error e = decode_invalid(connect_v311(0x06, field("a")), v311, errc::will_missing, sender::client);
    CHECK(e.offset == connect_payload_at + 3);
    check_rule(e, "MQTT-3.1.2-9", malformed);
    // A Will Topic but no Will Message.
    e = decode_invalid(connect_v311(0x06, concat({field("a"), field("w")})), v311, errc::will_missing, sender::client);
    CHECK(e.offset == connect_payload_at + 6);
    check_rule(e, "MQTT-3.1.2-9", malformed);
    // A Will Message cut short.
    e = decode_invalid(connect_v311(0x06, concat({field("a"), field("w"), hex("00 05 62")})), v311, errc::truncated,
                       sender::client);
    CHECK(e.offset == connect_payload_at + 6);

    // The struct cannot leave the Will fields out (will_message holds both); an empty Will Topic,
    // which a topic cannot be, is refused.
    connect c2 = connect_struct();
    c2.will = will_message{"", bytes_view(std::string_view("m")), qos::at_most_once, false, {}};
    encode_invalid(c2, v311, errc::topic_empty, sender::client);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-11] Will Flag 0: Will QoS and Will Retain are 0 and no Will fields follow") {
    const bytes b = connect_v311(0x02, field("a"));
    CHECK(!decode_valid_as<connect>(b, v311, sender::client).will.has_value());

    error e = decode_invalid(connect_v311(0x0a, field("a")), v311, errc::will_qos_without_will, sender::client);
    CHECK(e.offset == connect_flags_at);
    check_rule(e, "MQTT-3.1.2-13", malformed);  // the Will QoS half has its own statement
    e = decode_invalid(connect_v311(0x22, field("a")), v311, errc::will_retain_without_will, sender::client);
    CHECK(e.offset == connect_flags_at);
    check_rule(e, "MQTT-3.1.2-15", malformed);  // and so does the Will Retain half
    // Will Topic and Will Message without the Will Flag: the decoder cannot tell a Will Topic from a
    // User Name, so the first unexpected field is reported as one.
    e = decode_invalid(connect_v311(0x02, concat({field("a"), field("w"), field("m")})), v311,
                       errc::username_unexpected, sender::client);
    CHECK(e.offset == connect_payload_at + 3);

    // Without a will the encoder writes Will Flag, Will QoS and Will Retain as 0.
    const bytes out = encode_valid(connect_struct(), v311, sender::client);
    CHECK((out[connect_flags_at] & 0x3c) == 0);
    CHECK(out.size() == connect_payload_at + 3);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-13] Will Flag 0: Will QoS is 0") {
    const bytes b = connect_v311(0x0e, concat({field("a"), field("w"), field("m")}));
    CHECK(decode_valid_as<connect>(b, v311).will->qos == qos::at_least_once);
    for (const std::uint8_t flags : std::initializer_list<std::uint8_t>{0x0a, 0x12, 0x1a}) {
        const error e = decode_invalid(connect_v311(flags, field("a")), v311, errc::will_qos_without_will, sender::client);
        CHECK(e.offset == connect_flags_at);
        check_rule(e, "MQTT-3.1.2-13", malformed);
    }
    // Not expressible in the struct: the Will QoS lives inside the optional will.
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-14] Will Flag 1: Will QoS is 0, 1 or 2, never 3") {
    const bytes payload = concat({field("a"), field("w"), field("m")});
    const bytes q0 = connect_v311(0x06, payload), q1 = connect_v311(0x0e, payload), q2 = connect_v311(0x16, payload);
    CHECK(decode_valid_as<connect>(q0, v311).will->qos == qos::at_most_once);
    CHECK(decode_valid_as<connect>(q1, v311).will->qos == qos::at_least_once);
    CHECK(decode_valid_as<connect>(q2, v311).will->qos == qos::exactly_once);
    const error e = decode_invalid(connect_v311(0x1e, payload), v311, errc::will_qos_invalid, sender::client);
    CHECK(e.offset == connect_flags_at);
    check_rule(e, "MQTT-3.1.2-14", malformed);

    connect c = connect_struct();
    c.will = will_message{"w", bytes_view(std::string_view("m")), static_cast<qos>(3), false, {}};
    const error enc = encode_invalid(c, v311, errc::will_qos_invalid, sender::client);
    CHECK(enc.offset == connect_flags_at);
    check_rule(enc, "MQTT-3.1.2-14", malformed);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-15] Will Flag 0: Will Retain is 0") {
    const bytes b = connect_v311(0x26, concat({field("a"), field("w"), field("m")}));
    CHECK(decode_valid_as<connect>(b, v311).will->retain);
    for (const std::uint8_t flags : std::initializer_list<std::uint8_t>{0x20, 0x22, 0xe2}) {
        const error e = decode_invalid(connect_v311(flags, concat({field("a"), field("u"), field("p")})), v311,
                                       errc::will_retain_without_will, sender::client);
        CHECK(e.offset == connect_flags_at);
        check_rule(e, "MQTT-3.1.2-15", malformed);
    }
    // Not expressible in the struct: Will Retain lives inside the optional will.
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-18] User Name Flag 0: no User Name in the payload") {
    const bytes b = connect_v311(0x02, field("a"));
    CHECK(!decode_valid_as<connect>(b, v311).username.has_value());
    const error e = decode_invalid(connect_v311(0x02, concat({field("a"), field("u")})), v311,
                                   errc::username_unexpected, sender::client);
    CHECK(e.offset == connect_payload_at + 3);
    check_rule(e, "MQTT-3.1.2-18", malformed);
    // Without a user name the encoder writes the flag as 0 and no field.
    const bytes out = encode_valid(connect_struct(), v311, sender::client);
    CHECK((out[connect_flags_at] & 0x80) == 0);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-19] User Name Flag 1: the payload holds a User Name") {
    const bytes b = connect_v311(0x82, concat({field("a"), field("user")}));
    CHECK(decode_valid_as<connect>(b, v311).username == text_view("user"));
    // An empty User Name is present all the same.
    const bytes empty = connect_v311(0x82, concat({field("a"), field("")}));
    CHECK(decode_valid_as<connect>(empty, v311).username == text_view(""));
    const error e = decode_invalid(connect_v311(0x82, field("a")), v311, errc::username_missing, sender::client);
    CHECK(e.offset == connect_payload_at + 3);
    check_rule(e, "MQTT-3.1.2-19", malformed);
    // Half a length field.
    decode_invalid(connect_v311(0x82, concat({field("a"), hex("00")})), v311, errc::truncated, sender::client);
    // With a user name the encoder sets the flag and writes the field.
    connect c = connect_struct();
    c.username = text_view("");
    const bytes out = encode_valid(c, v311, sender::client);
    CHECK((out[connect_flags_at] & 0x80) != 0);
    CHECK(out.size() == connect_payload_at + 3 + 2);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-20] Password Flag 0: no Password in the payload") {
    const bytes b = connect_v311(0x82, concat({field("a"), field("u")}));
    CHECK(!decode_valid_as<connect>(b, v311).password.has_value());
    const error e = decode_invalid(connect_v311(0x82, concat({field("a"), field("u"), field("p")})), v311,
                                   errc::password_unexpected, sender::client);
    CHECK(e.offset == connect_payload_at + 6);
    check_rule(e, "MQTT-3.1.2-20", malformed);
    connect c = connect_struct();
    c.username = text_view("u");
    CHECK((encode_valid(c, v311, sender::client)[connect_flags_at] & 0x40) == 0);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-21] Password Flag 1: the payload holds a Password") {
    // The password is Binary Data: any bytes, including ones that are not UTF-8.
    const bytes b = connect_v311(0xc2, concat({field("a"), field("u"), field(hex("ff 00 fe"))}));
    const connect c = decode_valid_as<connect>(b, v311);
    CHECK(c.password == bytes_view(std::string_view("\xff\x00\xfe", 3)));
    const error e = decode_invalid(connect_v311(0xc2, concat({field("a"), field("u")})), v311, errc::password_missing,
                                   sender::client);
    CHECK(e.offset == connect_payload_at + 6);
    check_rule(e, "MQTT-3.1.2-21", malformed);
    connect s = connect_struct();
    s.username = text_view("u");
    s.password = bytes_view();
    const bytes out = encode_valid(s, v311, sender::client);
    CHECK((out[connect_flags_at] & 0x40) != 0);
    CHECK(out.size() == connect_payload_at + 3 + 3 + 2);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-22] no Password Flag without the User Name Flag") {
    const error e = decode_invalid(connect_v311(0x42, concat({field("a"), field("p")})), v311,
                                   errc::password_without_username, sender::client);
    CHECK(e.offset == connect_flags_at);
    check_rule(e, "MQTT-3.1.2-22", malformed);

    connect c = connect_struct();
    c.password = bytes_view(std::string_view("p"));
    const error enc = encode_invalid(c, v311, errc::password_without_username, sender::client);
    CHECK(enc.offset == connect_flags_at);
    check_rule(enc, "MQTT-3.1.2-22", malformed);
    c.username = text_view("u");
    encode_valid(c, v311, sender::client);

    // MQTT 5.0 allows it.
    if (v5_compiled_in) {
        const bytes v5 = hex("10 11 00 04 4d 51 54 54 05 42 00 3c 00 00 01 61 00 01 70");
        const connect c5 = decode_valid_as<connect>(v5, protocol_version::v5, sender::client);
        CHECK(!c5.username.has_value());
        CHECK(c5.password.has_value());
    }
}

TEST_CASE("v3.1.1 [MQTT-3.1.3-1] CONNECT payload order: Client Identifier, Will Topic, Will Message, User Name, Password") {
    const bytes b = connect_v311(0xec, concat({field("cid"), field("w/t"), field("msg"), field("user"), field(hex("ff"))}));
    const connect c = decode_valid_as<connect>(b, v311, sender::client);
    CHECK(c.client_id == "cid");
    CHECK(c.will->topic == "w/t");
    CHECK(c.will->payload == bytes_view(std::string_view("msg")));
    CHECK(c.will->qos == qos::at_least_once);
    CHECK(c.will->retain);
    CHECK(c.username == text_view("user"));
    CHECK(c.password == bytes_view(std::string_view("\xff")));
    CHECK(!c.clean_start);
    CHECK(c.keep_alive == 60);

    // The encoder writes that order.
    connect s = connect_struct();
    s.clean_start = false;
    s.client_id = "cid";
    s.will = will_message{"w/t", bytes_view(std::string_view("msg")), qos::at_least_once, true, {}};
    s.username = text_view("user");
    s.password = bytes_view(std::string_view("\xff"));
    CHECK(encode_valid(s, v311, sender::client) == b);

    // Out of order, a field lands where another type is expected: a Will Message (binary 0xff) before
    // the Will Topic, and a Password before the User Name.
    error e = decode_invalid(connect_v311(0x06, concat({field("cid"), field(hex("ff")), field("w/t")})), v311,
                             errc::utf8_ill_formed, sender::client);
    CHECK(e.offset == connect_payload_at + 5 + 2);
    e = decode_invalid(connect_v311(0xc2, concat({field("a"), field(hex("ff")), field("u")})), v311,
                       errc::utf8_ill_formed, sender::client);
    CHECK(e.offset == connect_payload_at + 3 + 2);
}

TEST_CASE("v3.1.1 [MQTT-3.1.3-3] the Client Identifier is present and first in the payload") {
    // A zero-length Client Identifier is still present (the server decides whether to accept it).
    const bytes b = connect_v311(0x02, field(""));
    CHECK(decode_valid_as<connect>(b, v311).client_id.empty());
    const error e = decode_invalid(connect_v311(0x02, {}), v311, errc::client_id_missing, sender::client);
    CHECK(e.offset == connect_payload_at);
    check_rule(e, "MQTT-3.1.3-3", malformed);
    // A Client Identifier cut short.
    CHECK(decode_invalid(connect_v311(0x02, hex("00")), v311, errc::truncated, sender::client).offset == connect_payload_at);
    CHECK(decode_invalid(connect_v311(0x02, hex("00 03 61")), v311, errc::truncated, sender::client).offset ==
          connect_payload_at);
    // The encoder always writes it first, even when empty.
    connect c = connect_struct();
    c.client_id = "";
    const bytes out = encode_valid(c, v311, sender::client);
    CHECK(to_hex(view(out)) == "10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00");
}

TEST_CASE("v3.1.1 [MQTT-3.1.3-4] the Client Identifier is a UTF-8 Encoded String") {
    const bytes b = connect_v311(0x02, field("d\xc3\xa9v-01"));
    CHECK(decode_valid_as<connect>(b, v311).client_id.size() == 7);
    error e = decode_invalid(connect_v311(0x02, field(hex("c0 80"))), v311, errc::utf8_ill_formed, sender::client);
    CHECK(e.offset == connect_payload_at + 2);
    check_rule(e, "MQTT-1.5.3-1", malformed);
    e = decode_invalid(connect_v311(0x02, field(hex("61 00"))), v311, errc::utf8_null_character, sender::client);
    CHECK(e.offset == connect_payload_at + 3);
    check_rule(e, "MQTT-1.5.3-2", malformed);

    connect c = connect_struct();
    c.client_id = std::string_view("a\xed\xbf\xbf", 4);
    CHECK(encode_invalid(c, v311, errc::utf8_ill_formed, sender::client).offset == connect_payload_at + 3);
}

TEST_CASE("v3.1.1 [MQTT-3.1.3-10] the Will Topic is a UTF-8 Encoded String") {
    const bytes b = connect_v311(0x06, concat({field("a"), field("w/\xc3\xa9"), field("m")}));
    CHECK(decode_valid_as<connect>(b, v311).will->topic.size() == 4);
    const error e = decode_invalid(connect_v311(0x06, concat({field("a"), field(hex("ed a0 80")), field("m")})), v311,
                                   errc::utf8_ill_formed, sender::client);
    CHECK(e.offset == connect_payload_at + 3 + 2);
    check_rule(e, "MQTT-1.5.3-1", malformed);
    decode_invalid(connect_v311(0x06, concat({field("a"), field(hex("77 00")), field("m")})), v311,
                   errc::utf8_null_character, sender::client);
    // It is a Topic Name, so no wildcards either.
    decode_invalid(connect_v311(0x06, concat({field("a"), field("w/#"), field("m")})), v311, errc::topic_name_wildcard,
                   sender::client);

    connect c = connect_struct();
    c.will = will_message{std::string_view("\xed\xa0\x80", 3), bytes_view(std::string_view("m")), qos::at_most_once, false, {}};
    CHECK(encode_invalid(c, v311, errc::utf8_ill_formed, sender::client).offset == connect_payload_at + 3 + 2);
}

TEST_CASE("v3.1.1 [MQTT-3.1.3-11] the User Name is a UTF-8 Encoded String") {
    const bytes b = connect_v311(0x82, concat({field("a"), field("\xe2\x82\xac")}));
    CHECK(decode_valid_as<connect>(b, v311).username->size() == 3);
    const error e = decode_invalid(connect_v311(0x82, concat({field("a"), field(hex("ff fe"))})), v311,
                                   errc::utf8_ill_formed, sender::client);
    CHECK(e.offset == connect_payload_at + 3 + 2);
    check_rule(e, "MQTT-1.5.3-1", malformed);
    // The same bytes as a Password are fine: Binary Data is not checked.
    accept(connect_v311(0xc2, concat({field("a"), field("u"), field(hex("ff fe"))})), v311, sender::client);

    connect c = connect_struct();
    c.username = text_view(std::string_view("\xff\xfe", 2));
    CHECK(encode_invalid(c, v311, errc::utf8_ill_formed, sender::client).offset == connect_payload_at + 3 + 2);
}

// ---- 3.2 CONNACK ----------------------------------------------------------------------------

TEST_CASE("v3.1.1 [MQTT-3.2.2-4] a CONNACK with a non-zero return code has Session Present 0") {
    const bytes accepted = hex("20 02 01 00");
    CHECK(decode_valid_as<connack>(accepted, v311, sender::server).session_present);
    for (std::uint8_t code = 1; code <= 5; ++code) {
        INFO(int{code});
        const bytes refused{0x20, 0x02, 0x00, code};
        const connack c = decode_valid_as<connack>(refused, v311, sender::server);
        CHECK(!c.session_present);
        CHECK(static_cast<std::uint8_t>(c.reason_code) == code);
        const error e = decode_invalid(bytes{0x20, 0x02, 0x01, code}, v311, errc::session_present_with_error, sender::server);
        CHECK(e.offset == 2);
        check_rule(e, "MQTT-3.2.2-4", protocol_error);
    }
    const error enc = encode_invalid(connack{true, static_cast<reason_code>(connect_return_code::not_authorized), {}}, v311,
                                     errc::session_present_with_error, sender::server);
    CHECK(enc.offset == 2);
    check_rule(enc, "MQTT-3.2.2-4", protocol_error);
}

// ---- 3.3 PUBLISH ----------------------------------------------------------------------------

TEST_CASE("v3.1.1 [MQTT-3.3.1-2] DUP is 0 on a QoS 0 PUBLISH") {
    const bytes q0 = hex("31 03 00 01 61"), q1 = hex("3a 05 00 01 61 00 01"), q2 = hex("3c 05 00 01 61 00 01");
    CHECK(!decode_valid_as<publish>(q0, v311).dup);
    CHECK(decode_valid_as<publish>(q1, v311).dup);
    CHECK(decode_valid_as<publish>(q2, v311).dup);
    for (const char* wire : {"38 03 00 01 61", "39 03 00 01 61"}) {
        const error e = decode_invalid(hex(wire), v311, errc::publish_dup_at_qos0);
        CHECK(e.offset == 0);
        check_rule(e, "MQTT-3.3.1-2", malformed);
    }
    publish p = publish_struct("a");
    p.dup = true;
    const error e = encode_invalid(p, v311, errc::publish_dup_at_qos0);
    CHECK(e.offset == 0);
    check_rule(e, "MQTT-3.3.1-2", malformed);
}

TEST_CASE("v3.1.1 [MQTT-3.3.1-4] a PUBLISH does not have both QoS bits set") {
    const bytes q2 = hex("34 05 00 01 61 00 01");
    CHECK(decode_valid_as<publish>(q2, v311).qos == qos::exactly_once);
    for (const char* wire : {"36 05 00 01 61 00 01", "37 05 00 01 61 00 01", "3e 05 00 01 61 00 01", "36 03 00 01 61"}) {
        const error e = decode_invalid(hex(wire), v311, errc::publish_qos_invalid);
        CHECK(e.offset == 0);
        check_rule(e, "MQTT-3.3.1-4", malformed);
    }
    publish p = publish_struct("a");
    p.qos = static_cast<qos>(3);
    p.packet_id = 1;
    const error e = encode_invalid(p, v311, errc::publish_qos_invalid);
    CHECK(e.offset == 0);
    check_rule(e, "MQTT-3.3.1-4", malformed);
}

TEST_CASE("v3.1.1 [MQTT-3.3.2-1] the Topic Name is the first variable header field, a UTF-8 string") {
    const bytes b = hex("32 08 00 03 61 2f 62 00 07 78");
    const publish p = decode_valid_as<publish>(b, v311);
    CHECK(p.topic == "a/b");
    CHECK(p.packet_id == 7);
    CHECK(p.payload == bytes_view(std::string_view("x")));

    // A topic length running past the packet, half a length field, and ill-formed text.
    CHECK(decode_invalid(hex("30 03 00 05 61"), v311, errc::truncated).offset == 2);
    CHECK(decode_invalid(hex("30 01 00"), v311, errc::truncated).offset == 2);
    CHECK(decode_invalid(hex("32 04 00 01 61 00"), v311, errc::truncated).offset == 5);  // packet id cut short
    const error e = decode_invalid(hex("30 04 00 02 61 ff"), v311, errc::utf8_ill_formed);
    CHECK(e.offset == 5);
    check_rule(e, "MQTT-1.5.3-1", malformed);

    CHECK(to_hex(view(encode_valid(publish_struct("a/b"), v311))) == "30 06 00 03 61 2f 62 78");
    CHECK(encode_invalid(publish_struct(std::string_view("a\xff", 2)), v311, errc::utf8_ill_formed).offset == 5);
}

TEST_CASE("v3.1.1 [MQTT-3.3.2-2] a PUBLISH Topic Name has no wildcard characters") {
    accept(publish_with_topic(text("a/b/c")), v311);
    struct bad_case {
        const char* topic;
        std::uint32_t offset;
    };
    for (const bad_case& c : {bad_case{"a/+", 6}, bad_case{"#", 4}, bad_case{"a/#", 6}, bad_case{"a+b", 5}}) {
        INFO(std::string(c.topic));
        const error e = decode_invalid(publish_with_topic(text(c.topic)), v311, errc::topic_name_wildcard);
        CHECK(e.offset == c.offset);
        check_rule(e, "MQTT-3.3.2-2", protocol_error);
        const error enc = encode_invalid(publish_struct(c.topic), v311, errc::topic_name_wildcard);
        CHECK(enc.offset == c.offset);
    }
}

// ---- 3.6 PUBREL, 3.8 SUBSCRIBE, 3.9 SUBACK, 3.10 UNSUBSCRIBE, 3.14 DISCONNECT ---------------

TEST_CASE("v3.1.1 [MQTT-3.6.1-1] PUBREL fixed header flags are 0010") {
    const bytes b = hex("62 02 00 05");
    CHECK(decode_valid_as<pubrel>(b, v311).packet_id == 5);
    for (std::uint8_t flags = 0; flags < 16; ++flags) {
        if (flags == 2) continue;
        const error e = decode_invalid(bytes{static_cast<std::uint8_t>(0x60 | flags), 0x02, 0x00, 0x05}, v311,
                                       errc::pubrel_flags_invalid);
        CHECK(e.offset == 0);
        check_rule(e, "MQTT-3.6.1-1", malformed);
    }
    CHECK(encode_valid(pubrel{5, reason_code::success, {}}, v311) == hex("62 02 00 05"));
}

TEST_CASE("v3.1.1 [MQTT-3.8.1-1] SUBSCRIBE fixed header flags are 0010") {
    accept(hex("82 06 00 01 00 01 61 01"), v311);
    for (std::uint8_t flags = 0; flags < 16; ++flags) {
        if (flags == 2) continue;
        bytes b = hex("82 06 00 01 00 01 61 01");
        b[0] = static_cast<std::uint8_t>(0x80 | flags);
        const error e = decode_invalid(b, v311, errc::subscribe_flags_invalid);
        CHECK(e.offset == 0);
        check_rule(e, "MQTT-3.8.1-1", malformed);
    }
    const subscription subs[] = {{"a", qos::at_least_once}};
    CHECK(encode_valid(subscribe{1, subs, {}}, v311) == hex("82 06 00 01 00 01 61 01"));
}

TEST_CASE("v3.1.1 [MQTT-3.8.3-1] SUBSCRIBE Topic Filters are UTF-8 Encoded Strings") {
    const bytes b = packet_of(0x82, concat({hex("00 01"), field("a/\xc3\xa9"), hex("02"), field("+"), hex("00")}));
    const subscribe s = decode_valid_as<subscribe>(b, v311);
    REQUIRE(s.subscriptions.size() == 2);
    CHECK((*s.subscriptions.begin()).topic_filter == "a/\xc3\xa9");
    CHECK((*s.subscriptions.begin()).qos == qos::exactly_once);

    error e = decode_invalid(subscribe_with_filter(hex("ff")), v311, errc::utf8_ill_formed);
    CHECK(e.offset == 6);
    check_rule(e, "MQTT-1.5.3-1", malformed);
    // In the second filter.
    e = decode_invalid(packet_of(0x82, concat({hex("00 01"), field("a"), hex("00"), field(hex("61 ed a0 80")), hex("00")})), v311,
                       errc::utf8_ill_formed);
    CHECK(e.offset == 4 + 4 + 2 + 1);
    e = decode_invalid(subscribe_with_filter(hex("61 00")), v311, errc::utf8_null_character);
    CHECK(e.offset == 7);
    // A filter length running past the packet.
    CHECK(decode_invalid(hex("82 06 00 01 00 09 61 00"), v311, errc::truncated).offset == 4);

    const subscription subs[] = {{std::string_view("\xff", 1)}};
    CHECK(encode_invalid(subscribe{1, subs, {}}, v311, errc::utf8_ill_formed).offset == 6);
}

TEST_CASE("v3.1.1 [MQTT-3.8.3-3] a SUBSCRIBE holds at least one Topic Filter and QoS pair") {
    const bytes b = packet_of(0x82, concat({hex("00 01"), field("a"), hex("00"), field("b"), hex("01"), field("c"), hex("02")}));
    const subscribe s = decode_valid_as<subscribe>(b, v311);
    CHECK(s.subscriptions.size() == 3);
    const error e = decode_invalid(hex("82 02 00 01"), v311, errc::subscribe_empty);
    CHECK(e.offset == 4);
    check_rule(e, "MQTT-3.8.3-3", protocol_error);
    // A filter without its QoS byte.
    CHECK(decode_invalid(hex("82 05 00 01 00 01 61"), v311, errc::truncated).offset == 7);

    const error enc = encode_invalid(subscribe{1, {}, {}}, v311, errc::subscribe_empty);
    CHECK(enc.offset == 4);
    check_rule(enc, "MQTT-3.8.3-3", protocol_error);
}

TEST_CASE("v3.1.1 [MQTT-3.8.3-4] the Requested QoS byte has reserved bits 0 and a QoS of 0, 1 or 2") {
    for (std::uint8_t q = 0; q <= 2; ++q) {
        const bytes b{0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, q};
        const subscribe s = decode_valid_as<subscribe>(b, v311);
        CHECK((*s.subscriptions.begin()).qos == static_cast<qos>(q));
    }
    error e = decode_invalid(hex("82 06 00 01 00 01 61 03"), v311, errc::subscription_qos_invalid);
    CHECK(e.offset == 7);
    check_rule(e, "MQTT-3.8.3-4", protocol_error);
    // Bits 7-2 are reserved in 3.1.1 (5.0 gives bits 2-5 a meaning).
    for (const std::uint8_t options : std::initializer_list<std::uint8_t>{0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x05, 0xff}) {
        INFO(int{options});
        e = decode_invalid(bytes{0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, options}, v311,
                           errc::subscription_options_reserved);
        CHECK(e.offset == 7);
        check_rule(e, "MQTT-3.8.3-4", malformed);
    }

    subscription sub{"a", static_cast<qos>(3)};
    e = encode_invalid(subscribe{1, {&sub, 1}, {}}, v311, errc::subscription_qos_invalid);
    CHECK(e.offset == 7);
    check_rule(e, "MQTT-3.8.3-4", protocol_error);
    // The 5.0 subscription options do not exist in 3.1.1.
    sub = subscription{"a", qos::at_least_once, true};
    CHECK(encode_invalid(subscribe{1, {&sub, 1}, {}}, v311, errc::subscription_options_reserved).offset == 7);
    sub = subscription{"a", qos::at_least_once, false, true};
    encode_invalid(subscribe{1, {&sub, 1}, {}}, v311, errc::subscription_options_reserved);
    sub = subscription{"a", qos::at_least_once, false, false, retain_handling::do_not_send};
    encode_invalid(subscribe{1, {&sub, 1}, {}}, v311, errc::subscription_options_reserved);
}

TEST_CASE("v3.1.1 [MQTT-3.9.3-2] SUBACK return codes are 0x00, 0x01, 0x02 or 0x80") {
    for (unsigned code = 0; code < 256; ++code) {
        INFO(code);
        const bytes b{0x90, 0x03, 0x00, 0x01, static_cast<std::uint8_t>(code)};
        if (code <= 2 || code == 0x80) {
            const suback s = decode_valid_as<suback>(b, v311, sender::server);
            CHECK(static_cast<unsigned>(*s.reason_codes.begin()) == code);
        } else {
            const error e = decode_invalid(b, v311, errc::suback_reason_code_invalid, sender::server);
            CHECK(e.offset == 4);
            check_rule(e, "MQTT-3.9.3-2", protocol_error);
        }
    }
    // A bad code after good ones.
    CHECK(decode_invalid(hex("90 05 00 01 00 80 83"), v311, errc::suback_reason_code_invalid).offset == 6);

    const reason_code bad[] = {reason_code::granted_qos_1, reason_code::implementation_specific_error};
    const error e = encode_invalid(suback{1, bad, {}}, v311, errc::suback_reason_code_invalid, sender::server);
    CHECK(e.offset == 5);
    check_rule(e, "MQTT-3.9.3-2", protocol_error);
}

TEST_CASE("v3.1.1 [MQTT-3.10.1-1] UNSUBSCRIBE fixed header flags are 0010") {
    accept(hex("a2 05 00 01 00 01 61"), v311);
    for (std::uint8_t flags = 0; flags < 16; ++flags) {
        if (flags == 2) continue;
        const error e = decode_invalid(bytes{static_cast<std::uint8_t>(0xa0 | flags), 0x05, 0x00, 0x01, 0x00, 0x01, 0x61},
                                       v311, errc::unsubscribe_flags_invalid);
        CHECK(e.offset == 0);
        check_rule(e, "MQTT-3.10.1-1", malformed);
    }
    const text_view filters[] = {"a"};
    CHECK(encode_valid(unsubscribe{1, filters, {}}, v311) == hex("a2 05 00 01 00 01 61"));
}

TEST_CASE("v3.1.1 [MQTT-3.10.3-1] UNSUBSCRIBE Topic Filters are UTF-8 strings packed back to back") {
    const bytes good = packet_of(0xa2, concat({hex("00 01"), field("a/+"), field("#")}));
    const unsubscribe u = decode_valid_as<unsubscribe>(good, v311);
    REQUIRE(u.topic_filters.size() == 2);
    auto it = u.topic_filters.begin();
    CHECK(*it == "a/+");
    ++it;
    CHECK(*it == "#");

    error e = decode_invalid(packet_of(0xa2, concat({hex("00 01"), field("a/b"), field(hex("ff"))})), v311, errc::utf8_ill_formed);
    CHECK(e.offset == 4 + 5 + 2);
    check_rule(e, "MQTT-1.5.3-1", malformed);
    decode_invalid(unsubscribe_with_filter(hex("61 00")), v311, errc::utf8_null_character);
    // A length that runs past the packet, and a stray byte after the last filter.
    CHECK(decode_invalid(hex("a2 05 00 01 00 02 61"), v311, errc::truncated).offset == 4);
    CHECK(decode_invalid(hex("a2 06 00 01 00 01 61 00"), v311, errc::truncated).offset == 7);

    const text_view bad[] = {"a", std::string_view("\xed\xa0\x80", 3)};
    CHECK(encode_invalid(unsubscribe{1, bad, {}}, v311, errc::utf8_ill_formed).offset == 4 + 3 + 2);
}

TEST_CASE("v3.1.1 [MQTT-3.10.3-2] an UNSUBSCRIBE holds at least one Topic Filter") {
    const bytes b = unsubscribe_with_filter(text("a"));
    CHECK(decode_valid_as<unsubscribe>(b, v311).topic_filters.size() == 1);
    const error e = decode_invalid(hex("a2 02 00 01"), v311, errc::unsubscribe_empty);
    CHECK(e.offset == 4);
    check_rule(e, "MQTT-3.10.3-2", protocol_error);
    const error enc = encode_invalid(unsubscribe{1, {}, {}}, v311, errc::unsubscribe_empty);
    CHECK(enc.offset == 4);
    check_rule(enc, "MQTT-3.10.3-2", protocol_error);
}

TEST_CASE("v3.1.1 [MQTT-3.14.1-1] DISCONNECT fixed header flags are 0000") {
    accept(hex("e0 00"), v311, sender::client);
    for (std::uint8_t flags = 1; flags < 16; ++flags) {
        const error e = decode_invalid(bytes{static_cast<std::uint8_t>(0xe0 | flags), 0x00}, v311,
                                       errc::disconnect_flags_invalid, sender::client);
        CHECK(e.offset == 0);
        check_rule(e, "MQTT-3.14.1-1", malformed);
    }
    CHECK(encode_valid(disconnect{}, v311, sender::client) == hex("e0 00"));
}

// ---- 4.7 Topic Names and Topic Filters ------------------------------------------------------

TEST_CASE("v3.1.1 [MQTT-4.7.1-1] wildcards may appear in Topic Filters but not in Topic Names") {
    const bytes b =
        packet_of(0x82, concat({hex("00 01"), field("+"), hex("00"), field("#"), hex("01"), field("a/+/b/#"), hex("02")}));
    const subscribe s = decode_valid_as<subscribe>(b, v311);
    CHECK(s.subscriptions.size() == 3);
    accept(packet_of(0xa2, concat({hex("00 01"), field("+/#")})), v311);

    error e = decode_invalid(publish_with_topic(text("a/+/b")), v311, errc::topic_name_wildcard);
    CHECK(e.offset == 6);
    check_rule(e, "MQTT-3.3.2-2", protocol_error);
    // A Will Topic is a Topic Name too.
    e = decode_invalid(connect_v311(0x06, concat({field("a"), field("+"), field("m")})), v311, errc::topic_name_wildcard,
                       sender::client);
    CHECK(e.offset == connect_payload_at + 3 + 2);

    encode_invalid(publish_struct("a/#"), v311, errc::topic_name_wildcard);
    const subscription subs[] = {{"+/#"}};
    encode_valid(subscribe{1, subs, {}}, v311);
}

TEST_CASE("v3.1.1 [MQTT-4.7.1-2] '#' stands alone as the last level of a Topic Filter") {
    for (const char* good : {"#", "a/#", "/#", "+/#", "a/b/c/#"}) {
        INFO(std::string(good));
        accept(subscribe_with_filter(text(good)), v311);
        accept(unsubscribe_with_filter(text(good)), v311);
    }
    struct bad_case {
        const char* filter;
        std::uint32_t index;
    };
    for (const bad_case& c : {bad_case{"a#", 1}, bad_case{"#/", 0}, bad_case{"a/#/b", 2}, bad_case{"a/b#", 3},
                              bad_case{"##", 0}, bad_case{"#a", 0}}) {
        INFO(std::string(c.filter));
        error e = decode_invalid(subscribe_with_filter(text(c.filter)), v311, errc::topic_filter_multi_level_wildcard);
        CHECK(e.offset == 6 + c.index);
        check_rule(e, "MQTT-4.7.1-2", protocol_error);
        e = decode_invalid(unsubscribe_with_filter(text(c.filter)), v311, errc::topic_filter_multi_level_wildcard);
        CHECK(e.offset == 6 + c.index);
        const subscription subs[] = {{c.filter}};
        CHECK(encode_invalid(subscribe{1, subs, {}}, v311, errc::topic_filter_multi_level_wildcard).offset == 6 + c.index);
        const text_view filters[] = {c.filter};
        CHECK(encode_invalid(unsubscribe{1, filters, {}}, v311, errc::topic_filter_multi_level_wildcard).offset ==
              6 + c.index);
    }
}

TEST_CASE("v3.1.1 [MQTT-4.7.1-3] '+' fills a whole level of a Topic Filter") {
    for (const char* good : {"+", "+/+", "a/+/c", "/+", "+/", "a//+", "+/#"}) {
        INFO(std::string(good));
        accept(subscribe_with_filter(text(good)), v311);
        accept(unsubscribe_with_filter(text(good)), v311);
    }
    struct bad_case {
        const char* filter;
        std::uint32_t index;
    };
    for (const bad_case& c : {bad_case{"a+", 1}, bad_case{"+a", 0}, bad_case{"a/b+/c", 3}, bad_case{"++", 0},
                              bad_case{"a/+b", 2}}) {
        INFO(std::string(c.filter));
        error e = decode_invalid(subscribe_with_filter(text(c.filter)), v311, errc::topic_filter_single_level_wildcard);
        CHECK(e.offset == 6 + c.index);
        check_rule(e, "MQTT-4.7.1-3", protocol_error);
        e = decode_invalid(unsubscribe_with_filter(text(c.filter)), v311, errc::topic_filter_single_level_wildcard);
        CHECK(e.offset == 6 + c.index);
        const subscription subs[] = {{c.filter}};
        CHECK(encode_invalid(subscribe{1, subs, {}}, v311, errc::topic_filter_single_level_wildcard).offset ==
              6 + c.index);
    }
}

TEST_CASE("v3.1.1 [MQTT-4.7.3-1] Topic Names and Topic Filters are at least one character long") {
    accept(publish_with_topic(text("a")), v311);
    accept(subscribe_with_filter(text("/")), v311);  // one character, two empty levels

    // The offset is that of the empty field's length bytes.
    error e = decode_invalid(hex("30 02 00 00"), v311, errc::topic_empty);
    CHECK(e.offset == 2);
    check_rule(e, "MQTT-4.7.3-1", protocol_error);
    e = decode_invalid(hex("32 04 00 00 00 01"), v311, errc::topic_empty);
    CHECK(e.offset == 2);
    e = decode_invalid(subscribe_with_filter({}), v311, errc::topic_empty);
    CHECK(e.offset == 6);
    check_rule(e, "MQTT-4.7.3-1", protocol_error);
    CHECK(decode_invalid(unsubscribe_with_filter({}), v311, errc::topic_empty).offset == 6);
    CHECK(decode_invalid(connect_v311(0x06, concat({field("a"), field(""), field("m")})), v311, errc::topic_empty,
                         sender::client)
              .offset == connect_payload_at + 3 + 2);

    e = encode_invalid(publish_struct(""), v311, errc::topic_empty);
    CHECK(e.offset == 2);
    check_rule(e, "MQTT-4.7.3-1", protocol_error);
    const subscription subs[] = {{""}};
    CHECK(encode_invalid(subscribe{1, subs, {}}, v311, errc::topic_empty).offset == 6);
    const text_view filters[] = {""};
    CHECK(encode_invalid(unsubscribe{1, filters, {}}, v311, errc::topic_empty).offset == 6);
}

TEST_CASE("v3.1.1 [MQTT-4.7.3-2] Topic Names and Topic Filters do not contain U+0000") {
    error e = decode_invalid(publish_with_topic(hex("61 2f 00")), v311, errc::utf8_null_character);
    CHECK(e.offset == 6);
    check_rule(e, "MQTT-1.5.3-2", malformed);
    CHECK(decode_invalid(subscribe_with_filter(hex("00")), v311, errc::utf8_null_character).offset == 6);
    CHECK(decode_invalid(unsubscribe_with_filter(hex("2b 2f 00")), v311, errc::utf8_null_character).offset == 8);
    accept(publish_with_topic(hex("61 2f 01")), v311);

    CHECK(encode_invalid(publish_struct(std::string_view("a/\0", 3)), v311, errc::utf8_null_character).offset == 6);
    const subscription subs[] = {{std::string_view("\0", 1)}};
    CHECK(encode_invalid(subscribe{1, subs, {}}, v311, errc::utf8_null_character).offset == 6);
}

TEST_CASE("v3.1.1 [MQTT-4.7.3-3] Topic Names and Topic Filters are at most 65,535 bytes") {
    // The longest topic. Too big for decode_valid's framing at every split, so it is decoded,
    // framed in pieces and re-encoded directly.
    const std::string longest(65'535, 't');
    const bytes b = publish_with_topic(text(longest));
    const auto d = decode(view(b), v311);
    REQUIRE(d.has_value());
    CHECK(std::get_if<publish>(&*d)->topic.size() == 65'535);
    CHECK(frame_all(b, 4096, v311) == std::vector<bytes>{b});
    CHECK(encode_valid(*d, v311) == b);
    // A short one through the full check.
    accept(publish_with_topic(text("abc")), v311);

    // The wire cannot state a longer length; a length of 65,535 with fewer bytes behind it is truncated.
    CHECK(decode_invalid(hex("30 04 ff ff 61 62"), v311, errc::truncated).offset == 2);

    // The encoder refuses one byte more, before writing anything.
    const std::string too_long(65'536, 't');
    error e = encode_invalid(publish_struct(std::string_view(too_long)), v311, errc::topic_too_long);
    check_rule(e, "MQTT-4.7.3-3", malformed);
    CHECK(!encoded_size(publish_struct(std::string_view(too_long)), v311).has_value());
    const subscription subs[] = {{std::string_view(too_long)}};
    e = encode_invalid(subscribe{1, subs, {}}, v311, errc::topic_too_long);
    check_rule(e, "MQTT-4.7.3-3", malformed);
    const text_view filters[] = {std::string_view(too_long)};
    encode_invalid(unsubscribe{1, filters, {}}, v311, errc::topic_too_long);
    connect c = connect_struct();
    c.will = will_message{std::string_view(too_long), {}, qos::at_most_once, false, {}};
    encode_invalid(c, v311, errc::topic_too_long, sender::client);
}

// ---- 3.1.1 rules without a statement number ---------------------------------------------------

TEST_CASE("v3.1.1 CONNECT protocol name MQTT with level 4; other names and levels are refused") {
    const bytes b = connect_v311(0x02, field("a"));
    if (v5_compiled_in) {  // the CONNECT names its own version
        CHECK(decode_valid_as<connect>(b, protocol_version::v5, sender::client).protocol_version == v311);
    }
    error e = decode_invalid(hex("10 0d 00 04 4d 51 54 58 04 02 00 3c 00 01 61"), v311, errc::protocol_name_invalid);
    CHECK(e.offset == 2);
    CHECK(e.reason_code() == 0x84);
    CHECK(e.rule() == "MQTT-3.1.2-1");
    for (const std::uint8_t level : std::initializer_list<std::uint8_t>{0, 1, 2, 3, 6, 0xff}) {
        bytes other = connect_v311(0x02, field("a"));
        other[8] = level;
        e = decode_invalid(other, v311, errc::protocol_version_unsupported);
        CHECK(e.offset == 8);
        CHECK(e.rule() == "MQTT-3.1.2-2");
    }
    // Cut off inside the variable header.
    CHECK(decode_invalid(hex("10 08 00 04 4d 51 54 54 04 02"), v311, errc::truncated).offset == 10);
    CHECK(decode_invalid(hex("10 04 00 04 4d 51"), v311, errc::truncated).offset == 2);
}

TEST_CASE("v3.1.1 CONNACK return codes 0 to 5 are valid, 6 and above refused") {
    for (std::uint8_t code = 0; code <= 5; ++code) {
        const bytes b{0x20, 0x02, 0x00, code};
        const connack c = decode_valid_as<connack>(b, v311, sender::server);
        CHECK(static_cast<std::uint8_t>(c.reason_code) == code);
        CHECK(encode_valid(connack{false, static_cast<reason_code>(code), {}}, v311, sender::server) ==
              (bytes{0x20, 0x02, 0x00, code}));
    }
    for (unsigned code = 6; code < 256; ++code) {
        INFO(code);
        const error e = decode_invalid(bytes{0x20, 0x02, 0x00, static_cast<std::uint8_t>(code)}, v311,
                                       errc::connack_reason_code_invalid, sender::server);
        CHECK(e.offset == 3);
    }
    // 5.0 reason codes are not 3.1.1 return codes.
    const error e = encode_invalid(connack{false, reason_code::not_authorized, {}}, v311, errc::connack_reason_code_invalid,
                                   sender::server);
    CHECK(e.offset == 3);
    encode_invalid(connack{false, static_cast<reason_code>(6), {}}, v311, errc::connack_reason_code_invalid);
    // Acknowledge Flags bits 7-1 are reserved, and a CONNACK is exactly two bytes.
    CHECK(decode_invalid(hex("20 02 02 00"), v311, errc::connack_flags_reserved).offset == 2);
    CHECK(decode_invalid(hex("20 02 80 00"), v311, errc::connack_flags_reserved).offset == 2);
    CHECK(decode_invalid(hex("20 03 00 00 00"), v311, errc::trailing_bytes).offset == 4);
    CHECK(decode_invalid(hex("20 01 00"), v311, errc::truncated).offset == 3);
}

TEST_CASE("v3.1.1 SUBACK return codes 0, 1, 2 and 0x80, one per filter") {
    const bytes b = hex("90 06 00 0a 00 01 02 80");
    const suback s = decode_valid_as<suback>(b, v311, sender::server);
    CHECK(s.packet_id == 10);
    const reason_code expected[] = {reason_code::granted_qos_0, reason_code::granted_qos_1, reason_code::granted_qos_2,
                                    reason_code::unspecified_error};
    CHECK(s.reason_codes == reason_code_list(expected));
    CHECK(encode_valid(suback{10, expected, {}}, v311, sender::server) == hex("90 06 00 0a 00 01 02 80"));
    // At least one return code.
    const error e = decode_invalid(hex("90 02 00 0a"), v311, errc::suback_reason_codes_missing);
    CHECK(e.offset == 4);
    check_rule(e, "MQTT-3.9.3-2", protocol_error);
    encode_invalid(suback{10, {}, {}}, v311, errc::suback_reason_codes_missing);
    // 5.0 failure codes other than 0x80 are not 3.1.1 return codes.
    for (const char* wire : {"90 03 00 0a 87", "90 03 00 0a 8f", "90 03 00 0a 91", "90 03 00 0a 03"}) {
        decode_invalid(hex(wire), v311, errc::suback_reason_code_invalid);
    }
}

TEST_CASE("v3.1.1 UNSUBACK has a Remaining Length of exactly 2") {
    const bytes b = hex("b0 02 00 07");
    CHECK(decode_valid_as<unsuback>(b, v311, sender::server).packet_id == 7);
    CHECK(decode_valid_as<unsuback>(b, v311).reason_codes.empty());
    CHECK(decode_invalid(hex("b0 03 00 07 00"), v311, errc::trailing_bytes).offset == 4);
    CHECK(decode_invalid(hex("b0 04 00 07 00 00"), v311, errc::trailing_bytes).offset == 4);
    CHECK(decode_invalid(hex("b0 01 00"), v311, errc::truncated).offset == 2);
    CHECK(decode_invalid(hex("b0 00"), v311, errc::truncated).offset == 2);
    CHECK(encode_valid(unsuback{7, {}, {}}, v311, sender::server) == hex("b0 02 00 07"));
    // Reason codes exist only in 5.0.
    const reason_code codes[] = {reason_code::success};
    encode_invalid(unsuback{7, codes, {}}, v311, errc::version_unsupported, sender::server);
}

TEST_CASE("v3.1.1 PUBACK, PUBREC, PUBREL and PUBCOMP have a Remaining Length of exactly 2") {
    for (const char* wire : {"40 02 00 01", "50 02 00 01", "62 02 00 01", "70 02 00 01"}) {
        INFO(std::string(wire));
        const bytes good = hex(wire);
        decode_valid(good, v311);
        bytes longer = good;
        longer[1] = 3;
        longer.push_back(0x00);  // a 5.0 reason code
        CHECK(decode_invalid(longer, v311, errc::trailing_bytes).offset == 4);
        bytes shorter = {good[0], 0x01, 0x00};
        CHECK(decode_invalid(shorter, v311, errc::truncated).offset == 2);
    }
    // 5.0 reason codes cannot be encoded in 3.1.1.
    encode_invalid(puback{1, reason_code::no_matching_subscribers, {}}, v311, errc::puback_reason_code_invalid);
    encode_invalid(pubrel{1, reason_code::packet_identifier_not_found, {}}, v311, errc::pubrel_reason_code_invalid);
}

TEST_CASE("v3.1.1 PINGREQ, PINGRESP and DISCONNECT carry nothing") {
    accept(hex("c0 00"), v311, sender::client);
    accept(hex("d0 00"), v311, sender::server);
    CHECK(decode_invalid(hex("c0 01 00"), v311, errc::trailing_bytes).offset == 2);
    CHECK(decode_invalid(hex("d0 01 00"), v311, errc::trailing_bytes).offset == 2);
    // A 5.0 DISCONNECT reason code is not part of 3.1.1.
    CHECK(decode_invalid(hex("e0 01 00"), v311, errc::trailing_bytes, sender::client).offset == 2);
    encode_invalid(disconnect{reason_code::disconnect_with_will_message, {}}, v311, errc::disconnect_reason_code_invalid,
                   sender::client);
    // Properties exist only in 5.0.
    bytes storage;
    publish p = publish_struct("a");
    p.properties = build_properties(storage, [](property_builder& b) { b.content_type("text/plain"); });
    encode_invalid(p, v311, errc::version_unsupported);
}

TEST_CASE("v3.1.1 DISCONNECT sent by a server is refused") {
    accept(hex("e0 00"), v311, sender::client);
    accept(hex("e0 00"), v311);  // sender not known: the direction is not checked
    const error e = decode_invalid(hex("e0 00"), v311, errc::packet_direction_invalid, sender::server);
    CHECK(e.offset == 0);
    CHECK(e.reason_code() == 0x82);
    encode_invalid(disconnect{}, v311, errc::packet_direction_invalid, sender::server);
    // 5.0 lets the server send it.
    if (v5_compiled_in) accept(hex("e0 00"), protocol_version::v5, sender::server);
    // The other packets that only one side sends.
    decode_invalid(connect_v311(0x02, field("a")), v311, errc::packet_direction_invalid, sender::server);
    decode_invalid(hex("20 02 00 00"), v311, errc::packet_direction_invalid, sender::client);
    decode_invalid(hex("82 06 00 01 00 01 61 00"), v311, errc::packet_direction_invalid, sender::server);
    decode_invalid(hex("90 03 00 01 00"), v311, errc::packet_direction_invalid, sender::client);
    decode_invalid(hex("c0 00"), v311, errc::packet_direction_invalid, sender::server);
    decode_invalid(hex("d0 00"), v311, errc::packet_direction_invalid, sender::client);
}

TEST_CASE("v3.1.1 AUTH (packet type 15) is a reserved packet type, as is type 0") {
    for (const char* wire : {"f0 00", "f0 02 00 00", "00 00", "0f 00"}) {
        INFO(std::string(wire));
        const error e = decode_invalid(hex(wire), v311, errc::packet_type_invalid);
        CHECK(e.offset == 0);
        CHECK(e.reason_code() == 0x81);
    }
    // The framer refuses it on the first byte, before any length byte.
    std::uint8_t storage[16];
    framer f(storage, 16, v311);
    const bytes first = hex("f0");
    const auto st = f.feed(view(first));
    REQUIRE(!st.has_value());
    CHECK(st.error().code == errc::packet_type_invalid);
    CHECK(f.buffered() == 0);
    const bytes ping = hex("c0 00");
    const auto ok = f.feed(view(ping));
    REQUIRE(ok.has_value());
    CHECK(ok->complete);
    // The encoder has no AUTH in 3.1.1; 5.0 has it.
    encode_invalid(auth{}, v311, errc::version_unsupported);
    const bytes auth_v5 = hex("f0 06 18 04 15 00 01 61");
    if (v5_compiled_in) accept(auth_v5, protocol_version::v5);
}

TEST_CASE("v3.1.1 a non-minimal Remaining Length is accepted (the shortest-form rule is 5.0 only)") {
    for (const char* wire : {"c0 80 00", "c0 80 80 00", "c0 80 80 80 00"}) {
        INFO(std::string(wire));
        accept(hex(wire), v311);
        if (!v5_compiled_in) continue;
        const error e = decode_invalid(hex(wire), protocol_version::v5, errc::variable_byte_integer_not_minimal);
        CHECK(e.offset == 1);
        CHECK(e.rule() == "MQTT-1.5.5-1");
    }
    // A PUBLISH whose Remaining Length 5 is written in two bytes.
    const bytes b = hex("30 85 00 00 01 61 68 69");
    const publish p = decode_valid_as<publish>(b, v311);
    CHECK(p.topic == "a");
    CHECK(p.payload == bytes_view(std::string_view("hi")));
    // The encoder writes the shortest form.
    CHECK(encode_valid(p, v311) == hex("30 05 00 01 61 68 69"));
    // Five length bytes are too many in every version.
    decode_invalid(hex("c0 80 80 80 80 00"), v311, errc::variable_byte_integer_too_long);
}

// ---- MQTT 3.1 -----------------------------------------------------------------------------

TEST_CASE("v3.1 CONNECT with protocol name MQIsdp and level 3 decodes") {
    const bytes b = hex("10 11 00 06 4d 51 49 73 64 70 03 02 00 3c 00 03 6f 6c 64");
    const connect c = decode_valid_as<connect>(b, protocol_version::v3_1, sender::client);
    CHECK(c.protocol_version == protocol_version::v3_1);
    CHECK(c.client_id == "old");
    CHECK(c.keep_alive == 60);
    CHECK(c.clean_start);
    // Whatever version the caller expects, the CONNECT names its own.
    const auto d = decode(view(b), protocol_version::v5, sender::client);
    REQUIRE(d.has_value());
    CHECK(std::get_if<connect>(&*d)->protocol_version == protocol_version::v3_1);

    // With a will and credentials (Connect Flags at offset 11, payload from 14).
    const bytes full =
        packet_of(0x10, concat({hex("00 06 4d 51 49 73 64 70 03 ee 00 0a"), field("old"), field("w"), field("m"),
                                field("u"), field("p")}));
    const connect f = decode_valid_as<connect>(full, protocol_version::v3_1, sender::client);
    CHECK(f.will->topic == "w");
    CHECK(f.will->qos == qos::at_least_once);
    CHECK(f.will->retain);
    CHECK(f.username == text_view("u"));
    CHECK(f.password == bytes_view(std::string_view("p")));
}

TEST_CASE("v3.1 CONNECT encodes as MQIsdp level 3") {
    connect c;
    c.protocol_version = protocol_version::v3_1;
    c.keep_alive = 60;
    c.client_id = "old";
    CHECK(to_hex(view(encode_valid(c, protocol_version::v3_1, sender::client))) ==
          "10 11 00 06 4d 51 49 73 64 70 03 02 00 3c 00 03 6f 6c 64");
    // The CONNECT's own version wins over the one passed to encode().
    CHECK(encode_valid(c, protocol_version::v5, sender::client)[10] == 3);
    const auto size = encoded_size(c, protocol_version::v5);
    REQUIRE(size.has_value());
    CHECK(*size == 19);
    // No properties in 3.1.
    bytes storage;
    c.properties = build_properties(storage, [](property_builder& b) { b.session_expiry_interval(10); });
    encode_invalid(c, protocol_version::v3_1, errc::version_unsupported, sender::client);
}

TEST_CASE("v3.1 CONNECT protocol name and level must agree") {
    // "MQIsdp" with level 4 or 5, and "MQTT" with level 3.
    for (const std::uint8_t level : std::initializer_list<std::uint8_t>{4, 5, 0}) {
        bytes b = hex("10 11 00 06 4d 51 49 73 64 70 03 02 00 3c 00 03 6f 6c 64");
        b[10] = level;
        const error e = decode_invalid(b, protocol_version::v3_1, errc::protocol_version_unsupported);
        CHECK(e.offset == 10);
        CHECK(e.reason_code() == 0x84);
    }
    bytes mqtt3 = connect_v311(0x02, field("a"));
    mqtt3[8] = 3;
    CHECK(decode_invalid(mqtt3, protocol_version::v3_1, errc::protocol_version_unsupported).offset == 8);
    // A name that is neither.
    CHECK(decode_invalid(hex("10 10 00 05 4d 51 49 73 64 03 02 00 3c 00 03 6f 6c 64"), protocol_version::v3_1,
                         errc::protocol_name_invalid)
              .offset == 2);
}

TEST_CASE("v3.1 CONNECT follows the 3.1.1 flag and payload rules, with 3.1.1 statement ids") {
    const bytes head = hex("00 06 4d 51 49 73 64 70 03");
    const auto connect_v31 = [&](std::uint8_t flags, const bytes& payload) {
        return packet_of(0x10, concat({head, bytes{flags}, hex("00 3c"), payload}));
    };
    struct bad_case {
        std::uint8_t flags;
        bytes payload;
        errc code;
        std::string_view rule;
    };
    for (const bad_case& c : {
             bad_case{0x03, field("a"), errc::connect_reserved_flag, "MQTT-3.1.2-3"},
             bad_case{0x0a, field("a"), errc::will_qos_without_will, "MQTT-3.1.2-13"},
             bad_case{0x22, field("a"), errc::will_retain_without_will, "MQTT-3.1.2-15"},
             bad_case{0x1e, concat({field("a"), field("w"), field("m")}), errc::will_qos_invalid, "MQTT-3.1.2-14"},
             bad_case{0x42, concat({field("a"), field("p")}), errc::password_without_username, "MQTT-3.1.2-22"},
             bad_case{0x82, field("a"), errc::username_missing, "MQTT-3.1.2-19"},
             bad_case{0x06, field("a"), errc::will_missing, "MQTT-3.1.2-9"},
             bad_case{0x02, {}, errc::client_id_missing, "MQTT-3.1.3-3"},
             bad_case{0x02, field(hex("ed a0 80")), errc::utf8_ill_formed, "MQTT-1.5.3-1"},
         }) {
        INFO(describe(c.code).name);
        const error e = decode_invalid(connect_v31(c.flags, c.payload), protocol_version::v3_1, c.code, sender::client);
        CHECK(e.version == protocol_version::v3_1);
        CHECK(e.rule() == c.rule);
    }
    connect c;
    c.protocol_version = protocol_version::v3_1;
    c.client_id = "a";
    c.password = bytes_view(std::string_view("p"));
    const error e = encode_invalid(c, protocol_version::v3_1, errc::password_without_username, sender::client);
    CHECK(e.version == protocol_version::v3_1);
    CHECK(e.rule() == "MQTT-3.1.2-22");
}
