// The client speaking MQTT 3.1.1: one scripted transcript per client statement of the 3.1.1
// specification, each replayed with the server bytes whole, split at every position and byte by
// byte (run_script). Statements that cannot apply to a sans-I/O client are listed, with the reason,
// in client_not_applicable.tsv.
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "client_support.hpp"

using namespace test;

namespace {


connect_options options(bool clean_session = true) {
    connect_options o;
    o.protocol_version = protocol_version::v3_1_1;
    o.client_id = "c1";
    o.keep_alive = 30;
    o.clean_start = clean_session;
    return o;
}

// CONNECT, MQTT level 4, client id "c1", keep alive 30.
std::string connect_hex(bool clean_session) {
    return clean_session ? "10 0e 00 04 4d 51 54 54 04 02 00 1e 00 02 63 31"
                         : "10 0e 00 04 4d 51 54 54 04 00 00 1e 00 02 63 31";
}

// A connection with Session Present 0 and nothing stored.
void connect_ok(driver& d, bool clean_session = true) {
    CHECK(connect_with(d, options(clean_session), connect_hex(clean_session), connack_v311_ok) ==
          lines{"connected sp=0 ka=30"});
    REQUIRE(d.c().state() == client_state::connected);
}

// The connection drops; a new one asks for the session (Clean Session 0) and the server has it.
void resume(driver& d) {
    d.c().transport_closed();
    CHECK(d.events().empty());
    CHECK(connect_with(d, options(false), connect_hex(false), "20 02 01 00") == lines{"connected sp=1 ka=30"});
    REQUIRE(d.c().state() == client_state::connected);
}


// A 3.1.1 PUBLISH built by hand: first byte (type, DUP, QoS, RETAIN), topic, id (QoS 1 and 2), payload.
std::string publish_hex(std::uint8_t first, std::string_view topic, std::uint16_t id, std::string_view payload) {
    bytes body = field(topic);
    if (((first >> 1) & 0x03u) != 0) {
        body.push_back(static_cast<std::uint8_t>(id >> 8));
        body.push_back(static_cast<std::uint8_t>(id & 0xFFu));
    }
    const bytes p = text(payload);
    body.insert(body.end(), p.begin(), p.end());
    return to_hex(view(packet_of(first, body)));
}

// A command refused because of the state: category local, and nothing queued.
template <class R>
void check_state_invalid(driver& d, const R& r) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::state_invalid);
    CHECK(r.error().category == error_category::local);
    CHECK(d.c().tx_data().empty());
}

const subscription sub_a{"a/#", qos::at_least_once};

}  // namespace

TEST_CASE("v3.1.1 [MQTT-3.1.0-1] CONNECT is the first packet the client sends") {
    run_script([](driver& d) {
        d.open();
        CHECK(d.c().state() == client_state::open);
        check_state_invalid(d, d.c().publish(message("hi", qos::at_most_once)));
        check_state_invalid(d, d.c().subscribe(subscription_list(&sub_a, 1)));
        check_state_invalid(d, d.c().disconnect());
        CHECK(d.sent().empty());
        REQUIRE(d.c().connect(options()));
        CHECK(d.c().state() == client_state::connecting);
        // Level 4, Clean Session, keep alive 30, client id "c1".
        CHECK(d.sent() == "10 0e 00 04 4d 51 54 54 04 02 00 1e 00 02 63 31");
        // Until CONNACK nothing but CONNECT: no PUBLISH, no SUBSCRIBE.
        check_state_invalid(d, d.c().publish(message("hi", qos::at_most_once)));
        check_state_invalid(d, d.c().subscribe(subscription_list(&sub_a, 1)));
        d.server(connack_v311_ok);
        CHECK(events(d) == lines{"connected sp=0 ka=30"});
        const auto id = d.c().subscribe(subscription_list(&sub_a, 1));
        REQUIRE(id);
        CHECK(d.sent() == "82 08 00 01 00 03 61 2f 23 01");
        d.server("90 03 00 01 01");
        CHECK(events(d) == lines{"suback id=1 rc=01"});
    });
}

TEST_CASE("v3.1.1 [MQTT-3.2.2-5] CONNACK return codes 1 to 5 are reported as connect_refused_event and end the session") {
    run_script([](driver& d) {
        for (int rc = 1; rc <= 5; ++rc) {
            INFO("return code " << rc);
            const std::string connack = "20 02 00 0" + std::to_string(rc);
            CHECK(connect_with(d, options(), connect_hex(true), connack) ==
                  lines{"refused rc=0x0" + std::to_string(rc)});
            CHECK(d.c().state() == client_state::closed);
            // The session is over: nothing more is sent, nothing more is taken.
            check_state_invalid(d, d.c().publish(message("hi", qos::at_most_once)));
            check_state_invalid(d, d.c().connect(options()));
            d.server(publish_hex(0x32, "t", 1, "x"));
            CHECK(d.events().empty());
            CHECK(d.sent().empty());
            d.c().transport_closed();
        }
        // The same client connects once the server accepts it.
        connect_ok(d);
    });
}

TEST_CASE("v3.1.1 [MQTT-3.1.3-7] a zero-length client id with Clean Session 0 is refused locally") {
    run_script([](driver& d) {
        d.open();
        connect_options o = options(false);
        o.client_id = "";
        const auto r = d.c().connect(o);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::client_id_missing);
        CHECK(r.error().category == error_category::local);
        CHECK(d.c().state() == client_state::open);
        CHECK(d.sent().empty());
        // With Clean Session 1 an empty client id is allowed: the server assigns one.
        o.clean_start = true;
        REQUIRE(d.c().connect(o));
        CHECK(d.sent() == "10 0c 00 04 4d 51 54 54 04 02 00 1e 00 00");
        d.server(connack_v311_ok);
        CHECK(events(d) == lines{"connected sp=0 ka=30"});
    });
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-23] keep alive: PINGREQ when nothing was sent for Keep Alive seconds") {
    run_script([](driver& d) {
        d.tick(0);
        connect_ok(d);
        CHECK(d.c().next_deadline() == std::optional<std::uint64_t>(30'000));
        d.tick(29'999);
        CHECK(d.sent().empty());
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        // One PINGREQ at a time; the deadline is now the PINGRESP's (response_timeout_ms 10 s).
        CHECK(d.c().next_deadline() == std::optional<std::uint64_t>(40'000));
        d.tick(35'000);
        CHECK(d.sent().empty());
        d.server("d0 00");
        CHECK(d.events().empty());
        CHECK(d.c().next_deadline() == std::optional<std::uint64_t>(60'000));
        // Any packet sent restarts the interval.
        d.tick(50'000);
        REQUIRE(d.c().publish(message("hi", qos::at_most_once)));
        CHECK(d.sent() == "30 07 00 03 61 2f 62 68 69");
        CHECK(d.c().next_deadline() == std::optional<std::uint64_t>(80'000));
        d.tick(79'999);
        CHECK(d.sent().empty());
        d.tick(80'000);
        CHECK(d.sent() == "c0 00");
        CHECK(d.c().state() == client_state::connected);
    });
}

TEST_CASE("v3.1.1 [MQTT-4.3.1-1] a QoS 0 PUBLISH is sent with QoS 0, DUP 0 and no Packet Identifier") {
    run_script([](driver& d) {
        connect_ok(d);
        publish m = message("hi", qos::at_most_once);
        m.dup = true;       // the client's to set, not the caller's
        m.packet_id = 9;
        const auto id = d.c().publish(m);
        REQUIRE(id);
        CHECK(*id == 0);
        CHECK(d.sent() == "30 07 00 03 61 2f 62 68 69");
        CHECK(d.c().messages_in_store() == 0);
    });
}

TEST_CASE("v3.1.1 [MQTT-4.3.2-1] QoS 1: a fresh Packet Identifier, DUP 0, kept unacknowledged until PUBACK") {
    run_script([](driver& d) {
        connect_ok(d);
        publish m = message("hi", qos::at_least_once);
        m.dup = true;
        const auto first = d.c().publish(m);
        const auto second = d.c().publish(m);
        REQUIRE(first);
        REQUIRE(second);
        CHECK(*first == 1);
        CHECK(*second == 2);
        CHECK(d.sent() == "32 09 00 03 61 2f 62 00 01 68 69 32 09 00 03 61 2f 62 00 02 68 69");
        CHECK(d.c().messages_in_store() == 2);
        CHECK(d.c().messages_in_flight() == 2);
        d.server("40 02 00 02");
        CHECK(events(d) == lines{"completed id=2 q=1 rc=0x00"});
        CHECK(d.c().messages_in_store() == 1);
        d.server("40 02 00 01");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
        // A PUBACK for a message already completed changes nothing.
        d.server("40 02 00 01");
        CHECK(d.events().empty());
        CHECK(d.sent().empty());
        CHECK(d.c().state() == client_state::connected);
    });
}

TEST_CASE("v3.1.1 [MQTT-4.3.3-1] QoS 2: PUBLISH, PUBREC, PUBREL with the same id, PUBCOMP; no PUBLISH after PUBREL") {
    run_script([](driver& d) {
        connect_ok(d, false);
        const auto id = d.c().publish(message("hi", qos::exactly_once));
        REQUIRE(id);
        CHECK(*id == 1);
        CHECK(d.sent() == "34 09 00 03 61 2f 62 00 01 68 69");
        d.server("50 02 00 01");
        CHECK(d.events().empty());
        CHECK(d.sent() == "62 02 00 01");
        CHECK(d.c().messages_in_store() == 1);
        // After a reconnect only the PUBREL is sent again, never the PUBLISH.
        resume(d);
        CHECK(d.sent() == "62 02 00 01");
        d.server("70 02 00 01");
        CHECK(events(d) == lines{"completed id=1 q=2 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}

TEST_CASE("v3.1.1 [MQTT-2.3.1-6] PUBACK, PUBREC, PUBREL and PUBCOMP carry the Packet Identifier of their PUBLISH") {
    run_script([](driver& d) {
        connect_ok(d);
        d.server(publish_hex(0x32, "t", 0x1234, "x"));
        CHECK(events(d) == lines{"message t=t q=1 id=4660 p=x"});
        CHECK(d.sent() == "40 02 12 34");
        d.server(publish_hex(0x34, "t", 0xabcd, "y"));
        CHECK(events(d) == lines{"message t=t q=2 id=43981 p=y"});
        CHECK(d.sent() == "50 02 ab cd");
        d.server("62 02 ab cd");
        CHECK(d.sent() == "70 02 ab cd");
        const auto id = d.c().publish(message("hi", qos::exactly_once));
        REQUIRE(id);
        CHECK(d.sent() == "34 09 00 03 61 2f 62 00 01 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        d.server("70 02 00 01");
        CHECK(events(d) == lines{"completed id=1 q=2 rc=0x00"});
    });
}

TEST_CASE("v3.1.1 [MQTT-3.3.4-1] the receiver answers each PUBLISH as its QoS requires: nothing, PUBACK, PUBREC") {
    run_script([](driver& d) {
        connect_ok(d);
        d.server(publish_hex(0x30, "t", 0, "a") + publish_hex(0x33, "t", 5, "b") + publish_hex(0x34, "t", 6, "c"));
        CHECK(events(d) == lines{"message t=t q=0 id=0 p=a", "message t=t q=1 id=5 p=b retain",
                                  "message t=t q=2 id=6 p=c"});
        CHECK(d.sent() == "40 02 00 05 50 02 00 06");
    });
}

TEST_CASE("v3.1.1 [MQTT-4.3.2-2] QoS 1 receiver: PUBACK, and a PUBLISH reusing the id afterwards is a new message") {
    run_script([](driver& d) {
        connect_ok(d);
        d.server(publish_hex(0x32, "t", 7, "x"));
        CHECK(events(d) == lines{"message t=t q=1 id=7 p=x"});
        CHECK(d.sent() == "40 02 00 07");
        d.server(publish_hex(0x3a, "t", 7, "x"));
        CHECK(events(d) == lines{"message t=t q=1 id=7 p=x dup"});
        CHECK(d.sent() == "40 02 00 07");
        d.server(publish_hex(0x32, "t", 7, "y"));
        CHECK(events(d) == lines{"message t=t q=1 id=7 p=y"});
        CHECK(d.sent() == "40 02 00 07");
    });
}

TEST_CASE("v3.1.1 [MQTT-4.3.3-2] QoS 2 receiver: PUBREC, repeats answered without delivery, PUBCOMP, then the id is free") {
    run_script([](driver& d) {
        connect_ok(d);
        d.server(publish_hex(0x34, "t", 7, "x"));
        CHECK(events(d) == lines{"message t=t q=2 id=7 p=x"});
        CHECK(d.sent() == "50 02 00 07");
        // Repeats before PUBREL, with DUP or without: PUBREC again, not delivered again.
        d.server(publish_hex(0x3c, "t", 7, "x"));
        CHECK(d.events().empty());
        CHECK(d.sent() == "50 02 00 07");
        d.server(publish_hex(0x34, "t", 7, "x"));
        CHECK(d.events().empty());
        CHECK(d.sent() == "50 02 00 07");
        d.server("62 02 00 07");
        CHECK(d.events().empty());
        CHECK(d.sent() == "70 02 00 07");
        // Released: the same id is a new message now.
        d.server(publish_hex(0x34, "t", 7, "z"));
        CHECK(events(d) == lines{"message t=t q=2 id=7 p=z"});
        CHECK(d.sent() == "50 02 00 07");
        // A PUBREL for an id the client does not hold still gets its PUBCOMP.
        d.server("62 02 00 08");
        CHECK(d.sent() == "70 02 00 08");
        CHECK(d.c().state() == client_state::connected);
    });
}

TEST_CASE("v3.1.1 [MQTT-4.5.0-2] every PUBLISH is acknowledged, also one the application cannot take whole") {
    run_script([](driver& d) {
        connect_ok(d);
        // No subscription was made: acknowledged all the same.
        d.server(publish_hex(0x32, "not/subscribed", 1, "x"));
        CHECK(events(d) == lines{"message t=not/subscribed q=1 id=1 p=x"});
        CHECK(d.sent() == "40 02 00 01");
        // 310 bytes: larger than the 256-byte receive buffer, so it arrives in pieces; the
        // acknowledgement follows the last piece.
        std::string payload;
        for (int i = 0; i < 30; ++i) payload += "0123456789";
        const bytes big = hex(publish_hex(0x34, "big", 2, payload));
        REQUIRE(big.size() == 310);
        d.server(bytes(big.begin(), big.end() - 1));
        CHECK(d.events().empty());
        CHECK(d.sent().empty());
        d.server(bytes(big.end() - 1, big.end()));
        CHECK(events(d) == lines{"message t=big q=2 id=2 p=" + payload + " streamed"});
        CHECK(d.sent() == "50 02 00 02");
    });
}

TEST_CASE("v3.1.1 [MQTT-4.6.0-2] PUBACKs are sent in the order the QoS 1 PUBLISHes arrived") {
    run_script([](driver& d) {
        connect_ok(d);
        d.server(publish_hex(0x32, "t", 3, "a") + publish_hex(0x32, "t", 1, "b") + publish_hex(0x32, "t", 2, "c"));
        CHECK(events(d) == lines{"message t=t q=1 id=3 p=a", "message t=t q=1 id=1 p=b", "message t=t q=1 id=2 p=c"});
        CHECK(d.sent() == "40 02 00 03 40 02 00 01 40 02 00 02");
        d.c().transport_closed();

        // With manual acknowledgement, in arrival order whatever the order of ack().
        connect_options o = options();
        o.manual_acks = true;
        CHECK(connect_with(d, o, connect_hex(true), connack_v311_ok) == lines{"connected sp=0 ka=30"});
        d.server(publish_hex(0x32, "t", 3, "a") + publish_hex(0x32, "t", 1, "b") + publish_hex(0x32, "t", 2, "c"));
        CHECK(d.events().size() == 3);
        CHECK(d.sent().empty());
        REQUIRE(d.c().ack(2));
        CHECK(d.sent().empty());
        REQUIRE(d.c().ack(1));
        CHECK(d.sent().empty());
        // 3.1.1 acknowledgements have no reason code.
        const auto bad = d.c().ack(3, reason_code::unspecified_error);
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error().code == errc::puback_reason_code_invalid);
        CHECK(d.sent().empty());
        REQUIRE(d.c().ack(3));
        CHECK(d.sent() == "40 02 00 03 40 02 00 01 40 02 00 02");
        const auto again = d.c().ack(3);
        REQUIRE_FALSE(again.has_value());
        CHECK(again.error().code == errc::packet_id_not_pending);
    });
}

TEST_CASE("v3.1.1 [MQTT-4.6.0-3] PUBRECs are sent in the order the QoS 2 PUBLISHes arrived") {
    run_script([](driver& d) {
        connect_ok(d);
        d.server(publish_hex(0x34, "t", 3, "a") + publish_hex(0x34, "t", 1, "b") + publish_hex(0x34, "t", 2, "c"));
        CHECK(events(d) == lines{"message t=t q=2 id=3 p=a", "message t=t q=2 id=1 p=b", "message t=t q=2 id=2 p=c"});
        CHECK(d.sent() == "50 02 00 03 50 02 00 01 50 02 00 02");
        d.server("62 02 00 01 62 02 00 02 62 02 00 03");
        CHECK(d.sent() == "70 02 00 01 70 02 00 02 70 02 00 03");
        d.c().transport_closed();

        // Manual acknowledgement, QoS 1 and 2 mixed: one order for both.
        connect_options o = options();
        o.manual_acks = true;
        CHECK(connect_with(d, o, connect_hex(true), connack_v311_ok) == lines{"connected sp=0 ka=30"});
        d.server(publish_hex(0x34, "t", 4, "a") + publish_hex(0x32, "t", 5, "b") + publish_hex(0x34, "t", 6, "c"));
        CHECK(events(d) == lines{"message t=t q=2 id=4 p=a", "message t=t q=1 id=5 p=b", "message t=t q=2 id=6 p=c"});
        REQUIRE(d.c().ack(6));
        REQUIRE(d.c().ack(5));
        CHECK(d.sent().empty());
        REQUIRE(d.c().ack(4));
        CHECK(d.sent() == "50 02 00 04 40 02 00 05 50 02 00 06");
        d.server("62 02 00 06 62 02 00 04");
        CHECK(d.sent() == "70 02 00 06 70 02 00 04");
    });
}

TEST_CASE("v3.1.1 [MQTT-4.6.0-4] PUBRELs are sent in the order the PUBRECs arrived") {
    run_script([](driver& d) {
        connect_ok(d);
        for (int i = 0; i < 3; ++i) REQUIRE(d.c().publish(message("hi", qos::exactly_once)));
        CHECK(d.sent() ==
              "34 09 00 03 61 2f 62 00 01 68 69 34 09 00 03 61 2f 62 00 02 68 69 34 09 00 03 61 2f 62 00 03 68 69");
        d.server("50 02 00 03 50 02 00 01 50 02 00 02");
        CHECK(d.events().empty());
        CHECK(d.sent() == "62 02 00 03 62 02 00 01 62 02 00 02");
        d.server("70 02 00 01 70 02 00 03 70 02 00 02");
        CHECK(events(d) == lines{"completed id=1 q=2 rc=0x00", "completed id=3 q=2 rc=0x00", "completed id=2 q=2 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}

TEST_CASE("v3.1.1 [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-2.3.1-3] after reconnecting to a present session, unacknowledged PUBLISH (DUP 1) and PUBREL are resent with their ids") {
    run_script([](driver& d) {
        connect_ok(d, false);
        REQUIRE(d.c().publish(message("a", qos::at_least_once)));
        REQUIRE(d.c().publish(message("b", qos::exactly_once)));
        REQUIRE(d.c().publish(message("c", qos::exactly_once)));
        CHECK(d.sent() == "32 08 00 03 61 2f 62 00 01 61 34 08 00 03 61 2f 62 00 02 62 34 08 00 03 61 2f 62 00 03 63");
        d.server("50 02 00 02");
        CHECK(d.sent() == "62 02 00 02");
        resume(d);
        // PUBREL 2 first (released messages lead, in PUBREC order), then PUBLISH 1 and 3 with DUP in their order.
        CHECK(d.sent() == "62 02 00 02 3a 08 00 03 61 2f 62 00 01 61 3c 08 00 03 61 2f 62 00 03 63");
        // A new message takes an id none of them holds.
        const auto id = d.c().publish(message("d", qos::at_least_once));
        REQUIRE(id);
        CHECK(*id == 4);
        CHECK(d.sent() == "32 08 00 03 61 2f 62 00 04 64");
        d.server("40 02 00 01 70 02 00 02 50 02 00 03 40 02 00 04");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00", "completed id=2 q=2 rc=0x00", "completed id=4 q=1 rc=0x00"});
        CHECK(d.sent() == "62 02 00 03");
        d.server("70 02 00 03");
        CHECK(events(d) == lines{"completed id=3 q=2 rc=0x00"});
    });
}

TEST_CASE("v3.1.1 [MQTT-4.6.0-1] resent PUBLISH packets keep their original order") {
    run_script([](driver& d) {
        connect_ok(d, false);
        for (const char* p : {"1", "2", "3", "4", "5"}) {
            REQUIRE(d.c().publish(message(p, p[0] % 2 == 0 ? qos::exactly_once : qos::at_least_once)));
        }
        (void)d.sent();
        d.server("40 02 00 03");  // the third one completes
        CHECK(events(d) == lines{"completed id=3 q=1 rc=0x00"});
        resume(d);
        CHECK(d.sent() ==
              "3a 08 00 03 61 2f 62 00 01 31 3c 08 00 03 61 2f 62 00 02 32 3c 08 00 03 61 2f 62 00 04 34 3a 08 00 03 61 2f 62 00 05 35");
        // Resumed once more before any answer: the same order again.
        resume(d);
        CHECK(d.sent() ==
              "3a 08 00 03 61 2f 62 00 01 31 3c 08 00 03 61 2f 62 00 02 32 3c 08 00 03 61 2f 62 00 04 34 3a 08 00 03 61 2f 62 00 05 35");
    });
}

TEST_CASE("v3.1.1 [MQTT-2.3.1-2] a new Packet Identifier is never one in use: after wrapping, an unacknowledged message's id is skipped") {
    run_script(
        [](driver& d) {
            connect_ok(d);
            const auto held = d.c().publish(message("hi", qos::at_least_once));
            REQUIRE(held);
            CHECK(*held == 1);
            (void)d.sent();
            // Ids 2 to 65535, each freed by its SUBACK.
            for (std::uint32_t want = 2; want <= 65'535; ++want) {
                const auto id = d.c().subscribe(subscription_list(&sub_a, 1));
                if (!id || *id != want) {
                    FAIL_CHECK("subscribe " << want << " got " << (id ? *id : 0));
                    return;
                }
                (void)d.sent();
                d.server(packet_of(0x90, bytes{static_cast<std::uint8_t>(want >> 8),
                                                static_cast<std::uint8_t>(want & 0xFFu), 0x01}));
                if (d.events().size() != 1) {
                    FAIL_CHECK("no SUBACK event for " << want);
                    return;
                }
            }
            // Wrapped: 1 still belongs to the unacknowledged message.
            const auto id = d.c().subscribe(subscription_list(&sub_a, 1));
            REQUIRE(id);
            CHECK(*id == 2);
            CHECK(d.sent() == "82 08 00 02 00 03 61 2f 23 01");
        },
        0);
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-4] [MQTT-3.1.3-2] [MQTT-4.1.0-1] with Clean Session 0 the session named by the client id outlives the connection") {
    run_script([](driver& d) {
        connect_options o = options(false);
        o.client_id = "dev-7";
        const std::string connect_bytes = "10 11 00 04 4d 51 54 54 04 00 00 1e 00 05 64 65 76 2d 37";
        CHECK(connect_with(d, o, connect_bytes, connack_v311_ok) == lines{"connected sp=0 ka=30"});
        REQUIRE(d.c().publish(message("hi", qos::at_least_once)));
        CHECK(d.sent() == "32 09 00 03 61 2f 62 00 01 68 69");
        d.server(publish_hex(0x34, "s", 9, "q2"));
        CHECK(events(d) == lines{"message t=s q=2 id=9 p=q2"});
        CHECK(d.sent() == "50 02 00 09");
        d.c().transport_closed();
        CHECK(d.c().messages_in_store() == 1);
        // The same client id asks for the same session.
        CHECK(connect_with(d, o, connect_bytes, "20 02 01 00") == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3a 09 00 03 61 2f 62 00 01 68 69");
        // The server's QoS 2 message is still known: not delivered twice.
        d.server(publish_hex(0x3c, "s", 9, "q2"));
        CHECK(d.events().empty());
        CHECK(d.sent() == "50 02 00 09");
        d.server("62 02 00 09");
        CHECK(d.sent() == "70 02 00 09");
        d.server("40 02 00 01");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}

TEST_CASE("v3.1.1 [MQTT-3.1.2-6] Clean Session 1 discards the previous session and its state is not reused") {
    run_script([](driver& d) {
        connect_ok(d, false);
        REQUIRE(d.c().publish(message("hi", qos::at_least_once)));
        CHECK(d.sent() == "32 09 00 03 61 2f 62 00 01 68 69");
        d.server(publish_hex(0x34, "s", 9, "q2"));
        CHECK(events(d) == lines{"message t=s q=2 id=9 p=q2"});
        CHECK(d.sent() == "50 02 00 09");
        d.c().transport_closed();
        // Clean Session 1: our message is reported lost at once.
        d.open();
        REQUIRE(d.c().connect(options(true)));
        CHECK(d.sent() == connect_hex(true));
        CHECK(events(d) == lines{"failed id=1 q=1 rc=0x80 lost"});
        CHECK(d.c().messages_in_store() == 0);
        d.server(connack_v311_ok);
        CHECK(events(d) == lines{"connected sp=0 ka=30"});
        CHECK(d.sent().empty());
        // The server's old QoS 2 id is forgotten: the same id is a new message.
        d.server(publish_hex(0x34, "s", 9, "new"));
        CHECK(events(d) == lines{"message t=s q=2 id=9 p=new"});
        CHECK(d.sent() == "50 02 00 09");
        // Session Present 1 in answer to Clean Session 1 is a protocol error.
        d.c().transport_closed();
        CHECK(connect_with(d, options(true), connect_hex(true), "20 02 01 00") ==
              lines{"error session_present_unexpected rc=0x82"});
        CHECK(d.c().state() == client_state::closed);
        CHECK(d.sent().empty());
    });
}

TEST_CASE("v3.1.1 [MQTT-3.2.2-3] Session Present 0 after Clean Session 0: the stored messages are reported lost") {
    run_script([](driver& d) {
        connect_ok(d, false);
        REQUIRE(d.c().publish(message("a", qos::at_least_once)));
        REQUIRE(d.c().publish(message("b", qos::exactly_once)));
        (void)d.sent();
        d.server("50 02 00 02");
        CHECK(d.sent() == "62 02 00 02");
        d.c().transport_closed();
        CHECK(connect_with(d, options(false), connect_hex(false), connack_v311_ok) ==
              lines{"connected sp=0 ka=30", "failed id=2 q=2 rc=0x80 lost", "failed id=1 q=1 rc=0x80 lost"});
        CHECK(d.sent().empty());
        CHECK(d.c().messages_in_store() == 0);
        // The new session starts empty: the next message is sent once.
        REQUIRE(d.c().publish(message("c", qos::at_least_once)));
        CHECK(d.sent() == "32 08 00 03 61 2f 62 00 03 63");
    });
}

TEST_CASE("v3.1.1 [MQTT-4.1.0-2] with Clean Session 1 the session state lasts as long as the connection") {
    run_script([](driver& d) {
        connect_ok(d, true);
        REQUIRE(d.c().publish(message("hi", qos::at_least_once)));
        CHECK(d.sent() == "32 09 00 03 61 2f 62 00 01 68 69");
        d.server(publish_hex(0x34, "s", 9, "q2"));
        CHECK(events(d) == lines{"message t=s q=2 id=9 p=q2"});
        CHECK(d.sent() == "50 02 00 09");
        // Other traffic in between changes neither.
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        d.server("d0 00");
        d.server(publish_hex(0x32, "s", 10, "q1"));
        CHECK(events(d) == lines{"message t=s q=1 id=10 p=q1"});
        CHECK(d.sent() == "40 02 00 0a");
        CHECK(d.c().messages_in_store() == 1);
        d.server(publish_hex(0x3c, "s", 9, "q2"));
        CHECK(d.events().empty());
        CHECK(d.sent() == "50 02 00 09");
        d.server("40 02 00 01");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00"});
    });
}

TEST_CASE("v3.1.1 [MQTT-3.14.4-1] after DISCONNECT the client only waits for the transport to close") {
    run_script([](driver& d) {
        connect_ok(d);
        // 3.1.1 DISCONNECT has no reason code and no properties.
        const auto bad = d.c().disconnect(reason_code::disconnect_with_will_message);
        REQUIRE_FALSE(bad.has_value());
        CHECK(bad.error().code == errc::version_unsupported);
        CHECK(d.c().state() == client_state::connected);
        CHECK(d.sent().empty());
        REQUIRE(d.c().disconnect());
        CHECK(d.sent() == "e0 00");
        CHECK(d.c().state() == client_state::disconnecting);
        // Bytes still arriving are taken and dropped.
        const bytes late = hex(publish_hex(0x32, "t", 1, "x"));
        CHECK(d.c().receive(view(late)) == late.size());
        CHECK(d.c().rx_pending() == 0);
        CHECK(d.events().empty());
        CHECK(d.sent().empty());
        d.c().transport_closed();
        CHECK(d.c().state() == client_state::idle);
    });
}

TEST_CASE("v3.1.1 [MQTT-3.14.4-2] nothing is sent after DISCONNECT") {
    run_script([](driver& d) {
        d.tick(0);
        connect_ok(d, false);
        REQUIRE(d.c().publish(message("hi", qos::at_least_once)));
        CHECK(d.sent() == "32 09 00 03 61 2f 62 00 01 68 69");
        REQUIRE(d.c().disconnect());
        CHECK(d.sent() == "e0 00");
        check_state_invalid(d, d.c().publish(message("hi", qos::at_most_once)));
        check_state_invalid(d, d.c().subscribe(subscription_list(&sub_a, 1)));
        const text_view filter = "a/#";
        check_state_invalid(d, d.c().unsubscribe(topic_filter_list(&filter, 1)));
        check_state_invalid(d, d.c().disconnect());
        check_state_invalid(d, d.c().ack(1));
        // No PINGREQ, no answer to the server, no retry.
        CHECK(d.c().next_deadline() == std::nullopt);
        d.tick(60'000);
        d.server("40 02 00 01");
        CHECK(d.events().empty());
        CHECK(d.sent().empty());
        CHECK(d.c().messages_in_store() == 1);
    });
}

TEST_CASE("v3.1.1 [MQTT-4.8.0-1] a protocol violation by the server ends the session, with no DISCONNECT in 3.1.1") {
    run_script([](driver& d) {
        const auto check_closed = [&d](const lines& after_close = lines{}) {
            CHECK(d.c().state() == client_state::closed);
            CHECK(d.sent().empty());
            // Nothing more is taken from the server.
            d.server(publish_hex(0x32, "t", 1, "x"));
            CHECK(d.events().empty());
            CHECK(d.sent().empty());
            check_state_invalid(d, d.c().publish(message("hi", qos::at_most_once)));
            d.c().transport_closed();
            CHECK(events(d) == after_close);
        };
        // A SUBACK answering nothing the client asked.
        connect_ok(d);
        d.server("90 03 00 05 00");
        CHECK(events(d) == lines{"error packet_id_unknown rc=0x82"});
        check_closed();
        // A second CONNACK.
        connect_ok(d);
        d.server(connack_v311_ok);
        CHECK(events(d) == lines{"error packet_unexpected rc=0x82"});
        check_closed();
        // A PUBLISH before CONNACK.
        d.open();
        REQUIRE(d.c().connect(options()));
        CHECK(d.sent() == connect_hex(true));
        d.server(publish_hex(0x30, "t", 0, "x"));
        CHECK(events(d) == lines{"error packet_unexpected rc=0x82"});
        check_closed();
        // A SUBACK with two return codes for one Topic Filter.
        connect_ok(d);
        REQUIRE(d.c().subscribe(subscription_list(&sub_a, 1)));
        CHECK(d.sent() == "82 08 00 01 00 03 61 2f 23 01");
        d.server("90 04 00 01 01 01");
        CHECK(events(d) == lines{"error suback_count_mismatch rc=0x82"});
        check_closed(lines{"request_failed id=1 subscribe"});
        // PUBREC for a QoS 1 message.
        connect_ok(d);
        REQUIRE(d.c().publish(message("hi", qos::at_least_once)));
        CHECK(d.sent() == "32 09 00 03 61 2f 62 00 02 68 69");
        d.server("50 02 00 02");
        CHECK(events(d) == lines{"error packet_unexpected rc=0x82"});
        check_closed();
    });
}

TEST_CASE("v3.1.1 [MQTT-4.8.0-1] AUTH and DISCONNECT from a 3.1.1 server are protocol errors") {
    run_script([](driver& d) {
        connect_ok(d);
        d.server("f0 00");
        CHECK(events(d) == lines{"error packet_type_invalid rc=0x81"});
        CHECK(d.c().state() == client_state::closed);
        CHECK(d.sent().empty());
        d.c().transport_closed();

        connect_ok(d);
        d.server("e0 00");
        CHECK(events(d) == lines{"error packet_direction_invalid rc=0x82"});
        CHECK(d.c().state() == client_state::closed);
        CHECK(d.sent().empty());
        d.c().transport_closed();

        // Also before CONNACK.
        d.open();
        REQUIRE(d.c().connect(options()));
        CHECK(d.sent() == connect_hex(true));
        d.server("f0 00");
        CHECK(events(d) == lines{"error packet_type_invalid rc=0x81"});
        CHECK(d.sent().empty());
    });
}

TEST_CASE("v3.1.1 [MQTT-2.2.2-2] invalid fixed header flags end the session") {
    run_script([](driver& d) {
        const auto expect = [&d](std::string_view packet, const std::string& line) {
            INFO("packet " << packet);
            connect_ok(d);
            d.server(packet);
            CHECK(events(d) == lines{line});
            CHECK(d.c().state() == client_state::closed);
            CHECK(d.sent().empty());
            d.c().transport_closed();
        };
        expect("41 02 00 01", "error reserved_flags_invalid rc=0x81");  // PUBACK 0001
        expect("60 02 00 01", "error pubrel_flags_invalid rc=0x81");    // PUBREL 0000
        expect("d2 00", "error reserved_flags_invalid rc=0x81");        // PINGRESP 0010
        expect("92 03 00 01 00", "error reserved_flags_invalid rc=0x81");  // SUBACK 0010
    });
}

TEST_CASE("v3.1.1 [MQTT-4.8.0-2] a transient error (the QoS 2 table is full) ends the session") {
    run_script([](driver& d) {
        connect_ok(d);
        // test_config holds 4 unreleased QoS 2 messages; the server sends a fifth.
        std::string all;
        for (std::uint16_t id = 1; id <= 5; ++id) all += publish_hex(0x34, "t", id, "x");
        d.server(all);
        CHECK(events(d) == lines{"message t=t q=2 id=1 p=x", "message t=t q=2 id=2 p=x", "message t=t q=2 id=3 p=x",
                                  "message t=t q=2 id=4 p=x", "error request_table_full rc=0x97"});
        CHECK(d.sent() == "50 02 00 01 50 02 00 02 50 02 00 03 50 02 00 04");
        CHECK(d.c().state() == client_state::closed);
    });
}
