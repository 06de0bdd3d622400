// Codec tests evaluated inside static_assert: the compiler runs decode and encode, and rejects
// any undefined behaviour on these inputs. The same functions also run at run time below.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>

#include "sansmqtt/sansmqtt.hpp"

namespace {

using namespace sansmqtt;

// A 5.0 CONNECT with a will and properties, from wire bytes written as a string literal.
constexpr bool decode_connect_v5() {
    constexpr char wire[] =
        "\x10\x2b"                      // CONNECT, remaining length 43
        "\x00\x04MQTT\x05"              // protocol name and level
        "\xe6"                          // user name, password, will retain, will QoS 0, will, clean start
        "\x00\x3c"                      // keep alive 60
        "\x05\x11\x00\x00\x00\x78"      // properties: session expiry 120
        "\x00\x03" "dev"                // client id
        "\x02\x01\x01"                  // will properties: payload format indicator 1
        "\x00\x05" "w/off"              // will topic
        "\x00\x03" "bye"                // will payload
        "\x00\x01" "u"                  // user name
        "\x00\x02" "pw";                // password
    const auto d = decode(bytes_view(wire, sizeof wire - 1), protocol_version::v5, sender::client);
    if (!d) return false;
    const connect* c = std::get_if<connect>(&*d);
    return c != nullptr && c->protocol_version == protocol_version::v5 && c->clean_start && c->keep_alive == 60 &&
           c->client_id == "dev" && c->will && c->will->topic == "w/off" && c->will->retain &&
           c->will->payload == bytes_view(std::string_view("bye")) &&
           c->will->properties.payload_format_indicator() == std::uint8_t{1} && c->username == text_view("u") &&
           c->password == bytes_view(std::string_view("pw")) && c->properties.session_expiry_interval() == 120u;
}

// The same CONNECT built from structs, encoded, and decoded again.
constexpr bool encode_connect_v5() {
    std::array<std::uint8_t, 16> will_props_storage{};
    property_builder will_props(will_props_storage);
    will_props.payload_format_indicator(1);
    std::array<std::uint8_t, 16> props_storage{};
    property_builder props(props_storage);
    props.session_expiry_interval(120);

    // Built whole: std::optional is not assignable in a C++17 constant expression.
    const connect c{
        protocol_version::v5,
        true,
        60,
        "dev",
        will_message{"w/off", bytes_view(std::string_view("bye")), qos::at_most_once, true, *will_props.build()},
        text_view("u"),
        bytes_view(std::string_view("pw")),
        *props.build(),
    };

    std::array<std::uint8_t, 64> out{};
    const auto n = encode(c, out, protocol_version::v5, sender::client);
    if (!n || *n != 45) return false;
    const auto d = decode(bytes_view(out.data(), *n), protocol_version::v5, sender::client);
    return d && *std::get_if<connect>(&*d) == c;
}

// A 5.0 PUBLISH with three properties, encoded then decoded.
constexpr bool publish_with_properties_v5() {
    std::array<std::uint8_t, 64> storage{};
    property_builder b(storage);
    b.message_expiry_interval(30).content_type("text/plain").user_property("unit", "bpm");
    publish p;
    p.topic = "health/wearable-7/heart_rate";
    p.payload = bytes_view(std::string_view("72"));
    p.qos = qos::at_least_once;
    p.packet_id = 42;
    p.properties = *b.build();

    std::array<std::uint8_t, 128> out{};
    const auto n = encode(p, out, protocol_version::v5, sender::client);
    if (!n) return false;
    const auto d = decode(bytes_view(out.data(), *n), protocol_version::v5, sender::client);
    if (!d) return false;
    const publish* q = std::get_if<publish>(&*d);
    int user_properties = 0;
    for (const property& up : q->properties.user_properties()) {
        user_properties += up.pair.name == "unit" && up.pair.value == "bpm" ? 1 : 0;
    }
    return *q == p && q->properties.message_expiry_interval() == 30u &&
           q->properties.content_type() == text_view("text/plain") && user_properties == 1;
}

// A SUBSCRIBE with several filters in both versions.
constexpr bool subscribe_both_versions() {
    const subscription subs[] = {
        {"health/+/heart_rate", qos::at_least_once},
        {"health/#", qos::exactly_once},
        {"$share/ward/alerts", qos::at_most_once},
    };
    subscribe s;
    s.packet_id = 7;
    s.subscriptions = subs;
    for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v5}) {
        std::array<std::uint8_t, 128> out{};
        const auto n = encode(s, out, v, sender::client);
        if (!n) return false;
        const auto d = decode(bytes_view(out.data(), *n), v, sender::client);
        if (!d || !(*std::get_if<subscribe>(&*d) == s)) return false;
    }
    return true;
}

// Malformed input is refused in constant evaluation too, with the rule and its offset.
constexpr bool refuses_qos3_publish() {
    constexpr char wire[] = "\x36\x05\x00\x01t\x00\x01";
    const auto d = decode(bytes_view(wire, sizeof wire - 1), protocol_version::v3_1_1);
    return !d && d.error().code == errc::publish_qos_invalid && d.error().rule() == "MQTT-3.3.1-4" &&
           d.error().offset == 0;
}

constexpr bool matches_topics() {
    return topic_matches("sport/#", "sport") && topic_matches("+/tennis", "sport/tennis") &&
           !topic_matches("#", "$SYS/uptime") && topic_matches("$share/g/a/+", "a/b");
}

static_assert(decode_connect_v5(), "v5 CONNECT decodes in a constant expression");
static_assert(encode_connect_v5(), "v5 CONNECT encodes in a constant expression");
static_assert(publish_with_properties_v5(), "v5 PUBLISH with properties round-trips in a constant expression");
static_assert(subscribe_both_versions(), "SUBSCRIBE round-trips in a constant expression");
static_assert(refuses_qos3_publish(), "malformed PUBLISH is refused in a constant expression");
static_assert(matches_topics(), "topic matching works in a constant expression");

}  // namespace

TEST_CASE("v5 constexpr codec functions give the same answers at run time") {
    CHECK(decode_connect_v5());
    CHECK(encode_connect_v5());
    CHECK(publish_with_properties_v5());
    CHECK(subscribe_both_versions());
    CHECK(refuses_qos3_publish());
    CHECK(matches_topics());
}
