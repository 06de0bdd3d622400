// Round trips: for every packet type and version, decode(encode(x)) == x, with the bytes also
// checked against the wire form written out by hand, and every encoded packet framed at every
// split (decode_valid does that).
#include "support.hpp"

using namespace test;

namespace {

const protocol_version both[] = {protocol_version::v3_1_1, protocol_version::v5};

// Encodes, checks the exact bytes, then decodes those bytes as a valid packet (framing at every
// split, and the round trip again).
void check_wire(const packet& p, protocol_version v, const bytes& expected, sender from = sender::any) {
    const bytes got = encode_valid(p, v, from);
    CHECK(to_hex(view(got)) == to_hex(view(expected)));
    CHECK(decode_valid(got, v, from) == p);
}

}  // namespace

TEST_CASE("v3.1.1 round trip CONNECT: minimal, will, credentials") {
    connect c;
    c.protocol_version = protocol_version::v3_1_1;
    c.client_id = "c1";
    c.keep_alive = 30;
    check_wire(c, protocol_version::v3_1_1, hex("10 0e 00 04 4d 51 54 54 04 02 00 1e 00 02 63 31"));

    c.clean_start = false;
    c.will = will_message{"w/t", bytes_view(std::string_view("bye")), qos::exactly_once, true, {}};
    c.username = text_view("user");
    c.password = bytes_view(std::string_view("\x00\xff", 2));
    check_wire(c, protocol_version::v3_1_1,
               hex("10 22 00 04 4d 51 54 54 04 f4 00 1e 00 02 63 31 00 03 77 2f 74 00 03 62 79 65"
                   " 00 04 75 73 65 72 00 02 00 ff"));
}

TEST_CASE("v3.1 round trip CONNECT with protocol name MQIsdp and level 3") {
    connect c;
    c.protocol_version = protocol_version::v3_1;
    c.client_id = "old";
    check_wire(c, protocol_version::v3_1, hex("10 11 00 06 4d 51 49 73 64 70 03 02 00 00 00 03 6f 6c 64"));
}

TEST_CASE("v5 round trip CONNECT with properties, will properties and empty client id") {
    bytes ps, ws;
    connect c;
    c.client_id = "";
    c.keep_alive = 10;
    c.properties = build_properties(ps, [](property_builder& b) {
        b.session_expiry_interval(0xFFFFFFFF).receive_maximum(20).maximum_packet_size(4096).topic_alias_maximum(8)
            .request_response_information(true).request_problem_information(false).user_property("a", "b")
            .authentication_method("SCRAM-SHA-1").authentication_data(bytes_view(std::string_view("nonce")));
    });
    c.will = will_message{"dev/status", bytes_view(std::string_view("offline")), qos::at_least_once, false,
                          build_properties(ws, [](property_builder& b) {
                              b.will_delay_interval(5).payload_format_indicator(1).message_expiry_interval(60)
                                  .content_type("text/plain").response_topic("dev/reply")
                                  .correlation_data(bytes_view(std::string_view("\x01\x02", 2)))
                                  .user_property("k", "v");
                          })};
    c.username = text_view("");
    const bytes got = encode_valid(c, protocol_version::v5, sender::client);
    const connect d = decode_valid_as<connect>(got, protocol_version::v5, sender::client);
    CHECK(d == c);
    CHECK(d.properties.receive_maximum() == std::uint16_t{20});
    CHECK(d.will->properties.will_delay_interval() == 5u);
    CHECK(d.username == text_view(""));
    CHECK_FALSE(d.password.has_value());
}

TEST_CASE("v3.1.1 and v5 round trip CONNACK for every return code / reason code") {
    for (std::uint8_t code = 0; code <= 5; ++code) {
        check_wire(connack{false, static_cast<reason_code>(code), {}}, protocol_version::v3_1_1,
                   bytes{0x20, 0x02, 0x00, code});
    }
    check_wire(connack{true, reason_code::success, {}}, protocol_version::v3_1_1, hex("20 02 01 00"));
    for (const std::uint8_t code : detail::connack_codes) {
        check_wire(connack{false, static_cast<reason_code>(code), {}}, protocol_version::v5,
                   bytes{0x20, 0x03, 0x00, code, 0x00});
    }
    bytes ps;
    const connack c{true, reason_code::success, build_properties(ps, [](property_builder& b) {
                        b.session_expiry_interval(100).receive_maximum(5).maximum_qos(1).retain_available(false)
                            .maximum_packet_size(100000).assigned_client_identifier("auto-1").topic_alias_maximum(3)
                            .reason_string("ok").user_property("x", "y").wildcard_subscription_available(true)
                            .subscription_identifier_available(false).shared_subscription_available(true)
                            .server_keep_alive(45).response_information("resp/").server_reference("other:1883")
                            .authentication_method("m").authentication_data(bytes_view(std::string_view("d")));
                    })};
    const bytes got = encode_valid(c, protocol_version::v5, sender::server);
    CHECK(decode_valid_as<connack>(got, protocol_version::v5, sender::server) == c);
}

TEST_CASE("v3.1.1 and v5 round trip PUBLISH at QoS 0, 1 and 2 with flags") {
    for (const protocol_version v : both) {
        publish p;
        p.topic = "a/b";
        p.payload = bytes_view(std::string_view("x"));
        check_wire(p, v, is_v5(v) ? hex("30 07 00 03 61 2f 62 00 78") : hex("30 06 00 03 61 2f 62 78"));

        p.qos = qos::at_least_once;
        p.packet_id = 0x1234;
        p.retain = true;
        check_wire(p, v, is_v5(v) ? hex("33 09 00 03 61 2f 62 12 34 00 78") : hex("33 08 00 03 61 2f 62 12 34 78"));

        p.qos = qos::exactly_once;
        p.dup = true;
        p.retain = false;
        p.payload = bytes_view();
        check_wire(p, v, is_v5(v) ? hex("3c 08 00 03 61 2f 62 12 34 00") : hex("3c 07 00 03 61 2f 62 12 34"));
    }
}

TEST_CASE("v5 round trip PUBLISH with every PUBLISH property and a Topic Alias instead of a topic") {
    bytes ps;
    publish p;
    p.topic = "";
    p.payload = bytes_view(std::string_view("{\"hr\":72}"));
    p.qos = qos::at_least_once;
    p.packet_id = 1;
    p.properties = build_properties(ps, [](property_builder& b) {
        b.payload_format_indicator(1).message_expiry_interval(3600).topic_alias(1).response_topic("r")
            .correlation_data(bytes_view(std::string_view("id-1"))).user_property("u", "1").user_property("u", "2")
            .subscription_identifier(1).subscription_identifier(268435455).content_type("application/json");
    });
    const bytes got = encode_valid(p, protocol_version::v5, sender::server);
    const publish d = decode_valid_as<publish>(got, protocol_version::v5, sender::server);
    CHECK(d == p);
    std::vector<std::uint32_t> ids;
    for (const property& id : d.properties.subscription_identifiers()) ids.push_back(id.integer);
    CHECK(ids == std::vector<std::uint32_t>{1, 268435455});
    CHECK(d.properties.count(property_id::user_property) == 2);
}

TEST_CASE("v3.1.1 and v5 round trip PUBACK, PUBREC, PUBREL, PUBCOMP") {
    check_wire(puback{7, reason_code::success, {}}, protocol_version::v3_1_1, hex("40 02 00 07"));
    check_wire(pubrec{7, reason_code::success, {}}, protocol_version::v3_1_1, hex("50 02 00 07"));
    check_wire(pubrel{7, reason_code::success, {}}, protocol_version::v3_1_1, hex("62 02 00 07"));
    check_wire(pubcomp{7, reason_code::success, {}}, protocol_version::v3_1_1, hex("70 02 00 07"));

    // 5.0 short forms: Remaining Length 2 for Success without properties, 3 with a reason code.
    check_wire(puback{7, reason_code::success, {}}, protocol_version::v5, hex("40 02 00 07"));
    check_wire(puback{7, reason_code::no_matching_subscribers, {}}, protocol_version::v5, hex("40 03 00 07 10"));
    check_wire(pubrec{7, reason_code::quota_exceeded, {}}, protocol_version::v5, hex("50 03 00 07 97"));
    check_wire(pubrel{7, reason_code::packet_identifier_not_found, {}}, protocol_version::v5, hex("62 03 00 07 92"));
    check_wire(pubcomp{7, reason_code::packet_identifier_not_found, {}}, protocol_version::v5, hex("70 03 00 07 92"));

    bytes ps;
    const properties props = build_properties(ps, [](property_builder& b) { b.reason_string("r").user_property("a", "b"); });
    check_wire(puback{9, reason_code::success, props}, protocol_version::v5,
               hex("40 0f 00 09 00 0b 1f 00 01 72 26 00 01 61 00 01 62"));
    check_wire(pubrel{9, reason_code::success, props}, protocol_version::v5,
               hex("62 0f 00 09 00 0b 1f 00 01 72 26 00 01 61 00 01 62"));
    check_wire(pubrec{9, reason_code::success, props}, protocol_version::v5,
               hex("50 0f 00 09 00 0b 1f 00 01 72 26 00 01 61 00 01 62"));
    check_wire(pubcomp{9, reason_code::success, props}, protocol_version::v5,
               hex("70 0f 00 09 00 0b 1f 00 01 72 26 00 01 61 00 01 62"));

    // Decoding accepts the long form of Success too; it re-encodes in the short form.
    const bytes long_form = hex("40 04 00 07 00 00");
    CHECK(decode_valid_as<puback>(long_form, protocol_version::v5) == puback{7, reason_code::success, {}});
}

TEST_CASE("v3.1.1 and v5 round trip SUBSCRIBE with options, SUBACK") {
    const subscription subs311[] = {{"a/+", qos::at_most_once}, {"b/#", qos::at_least_once}, {"c", qos::exactly_once}};
    check_wire(subscribe{10, subs311, {}}, protocol_version::v3_1_1,
               hex("82 12 00 0a 00 03 61 2f 2b 00 00 03 62 2f 23 01 00 01 63 02"));

    const subscription subs5[] = {
        {"a/+", qos::at_least_once, true, true, retain_handling::do_not_send},
        {"$share/g/b/#", qos::exactly_once, false, false, retain_handling::send_if_new_subscription},
    };
    bytes ps;
    const properties props = build_properties(ps, [](property_builder& b) { b.subscription_identifier(300).user_property("k", "v"); });
    const subscribe s{11, subs5, props};
    const bytes got = encode_valid(s, protocol_version::v5, sender::client);
    const subscribe d = decode_valid_as<subscribe>(got, protocol_version::v5, sender::client);
    CHECK(d == s);
    std::vector<std::uint8_t> options;
    for (const subscription& sub : d.subscriptions) options.push_back(sub.options());
    CHECK(options == std::vector<std::uint8_t>{0x2d, 0x12});
    CHECK(d.properties.subscription_identifier() == 300u);

    const reason_code codes311[] = {reason_code::granted_qos_0, reason_code::granted_qos_2, reason_code::unspecified_error};
    check_wire(suback{10, codes311, {}}, protocol_version::v3_1_1, hex("90 05 00 0a 00 02 80"));
    const reason_code codes5[] = {reason_code::granted_qos_1, reason_code::wildcard_subscriptions_not_supported};
    check_wire(suback{11, codes5, {}}, protocol_version::v5, hex("90 05 00 0b 00 01 a2"));
}

TEST_CASE("v3.1.1 and v5 round trip UNSUBSCRIBE, UNSUBACK") {
    const text_view filters[] = {"a/+", "$share/g/x"};
    check_wire(unsubscribe{12, filters, {}}, protocol_version::v3_1_1,
               hex("a2 13 00 0c 00 03 61 2f 2b 00 0a 24 73 68 61 72 65 2f 67 2f 78"));
    check_wire(unsubscribe{12, filters, {}}, protocol_version::v5,
               hex("a2 14 00 0c 00 00 03 61 2f 2b 00 0a 24 73 68 61 72 65 2f 67 2f 78"));
    check_wire(unsuback{12, {}, {}}, protocol_version::v3_1_1, hex("b0 02 00 0c"));
    const reason_code codes[] = {reason_code::success, reason_code::no_subscription_existed};
    check_wire(unsuback{12, codes, {}}, protocol_version::v5, hex("b0 05 00 0c 00 00 11"));
}

TEST_CASE("v3.1.1 and v5 round trip PINGREQ, PINGRESP") {
    for (const protocol_version v : both) {
        check_wire(pingreq{}, v, hex("c0 00"));
        check_wire(pingresp{}, v, hex("d0 00"));
    }
}

TEST_CASE("v3.1.1 and v5 round trip DISCONNECT") {
    check_wire(disconnect{}, protocol_version::v3_1_1, hex("e0 00"), sender::client);
    check_wire(disconnect{}, protocol_version::v5, hex("e0 00"));
    check_wire(disconnect{reason_code::disconnect_with_will_message, {}}, protocol_version::v5, hex("e0 01 04"),
               sender::client);
    bytes ps;
    const properties props = build_properties(ps, [](property_builder& b) {
        b.reason_string("bye").server_reference("b:1883").user_property("a", "");
    });
    const disconnect d{reason_code::server_moved, props};
    const bytes got = encode_valid(d, protocol_version::v5, sender::server);
    CHECK(decode_valid_as<disconnect>(got, protocol_version::v5, sender::server) == d);
    // Remaining Length 1: a reason code without properties.
    const bytes short_form = hex("e0 01 8b");
    CHECK(decode_valid_as<disconnect>(short_form, protocol_version::v5, sender::server).reason_code ==
          reason_code::server_shutting_down);
}

TEST_CASE("v5 [MQTT-4.12.0-5] round trip AUTH; an AUTH without Authentication Method is refused in every form") {
    const bytes empty = hex("f0 00");
    CHECK(decode_invalid(empty, protocol_version::v5, errc::authentication_method_missing).offset == 2);
    const bytes written_out = hex("f0 02 00 00");
    CHECK(decode_invalid(written_out, protocol_version::v5, errc::authentication_method_missing).offset == 3);
    encode_invalid(auth{}, protocol_version::v5, errc::authentication_method_missing, sender::server);
    bytes ps;
    const properties props = build_properties(ps, [](property_builder& b) {
        b.authentication_method("SCRAM-SHA-1").authentication_data(bytes_view(std::string_view("c=biws"))).reason_string("go");
    });
    for (const reason_code code : {reason_code::continue_authentication, reason_code::re_authenticate}) {
        const auth a{code, props};
        const bytes got = encode_valid(a, protocol_version::v5, sender::client);
        CHECK(decode_valid_as<auth>(got, protocol_version::v5, sender::client) == a);
    }
    const auth a{reason_code::success, props};
    const bytes got = encode_valid(a, protocol_version::v5, sender::server);
    CHECK(decode_valid_as<auth>(got, protocol_version::v5, sender::server) == a);
}

TEST_CASE("v3.1.1 and v5 encoded_size matches the bytes written for a 64 KiB PUBLISH") {
    const bytes payload(65536, 0xab);
    for (const protocol_version v : both) {
        publish p;
        p.topic = "big";
        p.payload = view(payload);
        p.qos = qos::at_least_once;
        p.packet_id = 2;
        const auto size = encoded_size(p, v);
        REQUIRE(size.has_value());
        CHECK(*size == 1 + 3 + 2 + 3 + 2 + (is_v5(v) ? 1 : 0) + 65536);
        const bytes got = encode_valid(p, v);
        CHECK(got.size() == *size);
    }
}

TEST_CASE("v3.1.1 and v5 encode refuses a buffer one byte too small and writes nothing past it") {
    for (const protocol_version v : both) {
        publish p;
        p.topic = "t";
        p.payload = bytes_view(std::string_view("payload"));
        const std::size_t size = *encoded_size(p, v);
        bytes out(size + 4, 0xee);
        const auto r = encode(p, mutable_bytes(out.data(), size - 1), v);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::buffer_too_small);
        CHECK(r.error().category == error_category::resource);
        CHECK(out[size - 1] == 0xee);
        CHECK(out[size] == 0xee);
    }
}

TEST_CASE("v3.1.1 and v5 decode_from<sender> gives decode()'s answer for every packet type and direction") {
    // One packet of each type (some malformed), in both versions.
    const char* const packets[] = {
        "10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00",  // 5.0 CONNECT
        "10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00",     // 3.1.1 CONNECT
        "20 03 00 00 00", "20 02 00 00", "20 02 02 00",  // CONNACK (the last: reserved flag)
        "30 06 00 03 61 2f 62 78", "32 09 00 03 61 2f 62 00 01 00 78", "36 05 00 01 74 00 01",
        "40 02 00 07", "50 02 00 07", "62 02 00 07", "60 02 00 07", "70 02 00 07",
        "82 06 00 01 00 01 61 00", "82 07 00 01 00 00 01 61 00",  // SUBSCRIBE
        "90 03 00 01 00", "90 04 00 01 00 00",                    // SUBACK
        "a2 05 00 01 00 01 61", "a2 06 00 01 00 00 01 61",        // UNSUBSCRIBE
        "b0 02 00 01", "b0 04 00 01 00 00",                       // UNSUBACK
        "c0 00", "d0 00", "e0 00", "e0 01 00", "f0 00", "f0 02 00 00",
    };
    for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v5}) {
        for (const char* wire : packets) {
            INFO(wire << " in " << (is_v5(v) ? "5.0" : "3.1.1"));
            const bytes b = hex(wire);
            const auto server_any = decode(view(b), v, sender::server);
            const auto server_only = decode_from<sender::server>(view(b), v);
            REQUIRE(server_any.has_value() == server_only.has_value());
            if (server_any) CHECK(*server_any == *server_only);
            else CHECK(server_any.error() == server_only.error());
            const auto client_any = decode(view(b), v, sender::client);
            const auto client_only = decode_from<sender::client>(view(b), v);
            REQUIRE(client_any.has_value() == client_only.has_value());
            if (client_any) CHECK(*client_any == *client_only);
            else CHECK(client_any.error() == client_only.error());
        }
    }
}

TEST_CASE("v3.1.1 and v5 decode_framed() and decode_publish() give decode()'s answer for a framed packet") {
    const char* const packets[] = {
        "30 06 00 03 61 2f 62 78",           // QoS 0
        "32 09 00 03 61 2f 62 00 01 00 78",  // QoS 1 (5.0: empty properties; 3.1.1: payload 00 78)
        "32 07 00 03 61 2f 62 00 00",        // Packet Identifier 0
        "30 05 00 03 61 2b 62",              // '+' in the Topic Name
        "30 05 00 03 61 00 62",              // U+0000 in the Topic Name
        "30 04 00 03 61 2f",                 // Topic Name longer than the packet
        "36 05 00 01 74 00 01",              // QoS 3
        "38 04 00 01 74 00",                 // DUP at QoS 0
        "30 02 00 00",                       // empty Topic Name (5.0: no Topic Alias either)
        "30 06 00 00 03 23 00 01",           // 5.0: empty Topic Name with Topic Alias 1
        "40 02 00 07", "20 03 00 00 00", "90 03 00 01 00", "e0 00", "c0 00",
    };
    for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v5}) {
        for (const char* wire : packets) {
            INFO(wire << " in " << (is_v5(v) ? "5.0" : "3.1.1"));
            const bytes b = hex(wire);
            const auto f = frame(view(b), largest_packet_size, v);
            REQUIRE(f.has_value());
            REQUIRE(f->complete);
            for (const sender from : {sender::server, sender::client, sender::any}) {
                const auto whole = decode(view(b), v, from);
                const auto framed = decode_framed(view(b), f->header, v, from);
                REQUIRE(whole.has_value() == framed.has_value());
                if (whole) CHECK(*whole == *framed);
                else CHECK(whole.error() == framed.error());
                if (f->header.type != packet_type::publish) continue;
                publish p;
                const auto in_place = decode_publish(view(b), f->header, v, from, p);
                REQUIRE(whole.has_value() == in_place.has_value());
                if (whole) CHECK(*std::get_if<publish>(&*whole) == p);
                else CHECK(whole.error() == in_place.error());
            }
        }
    }
}
