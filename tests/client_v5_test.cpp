// The MQTT 5.0 client, statement by statement: each test is a scripted transcript (commands, server
// bytes, the exact bytes the client sent and the exact events it emitted), replayed by run_script()
// with the server bytes fed whole, split at every position and byte by byte.
//
// Bytes used throughout (test_config: Receive Maximum 4, Topic Alias Maximum 3, streaming on):
//   CONNECT of "c1", clean start, keep alive 30:   connect_hex(0x02) = 10 15 00 04 4d 51 54 54 05 02 00 1e
//                                                   06 21 00 04 22 00 03 00 02 63 31
//   PUBLISH "a/b" "hi": QoS 0  30 08 00 03 61 2f 62 00 68 69
//                       QoS 1  32 0a 00 03 61 2f 62 <id> 00 68 69   (DUP: 3a)
//                       QoS 2  34 0a 00 03 61 2f 62 <id> 00 68 69   (DUP: 3c)
#include <array>
#include <cstdio>

#include "client_support.hpp"

using namespace test;

namespace {


// Our CONNECT properties: Receive Maximum 4, Topic Alias Maximum 3.
constexpr std::string_view our_limits = "21 00 04 22 00 03";
// The same after a Session Expiry Interval of 60 s.
constexpr std::string_view session_limits = "11 00 00 00 3c 21 00 04 22 00 03";
// With Authentication Method "M".
constexpr std::string_view auth_limits = "21 00 04 22 00 03 15 00 01 4d";

// A 5.0 CONNECT with keep alive 30: `flags` (0x02 clean start), property block and Client Identifier.
std::string connect_hex(std::uint8_t flags, std::string_view props = our_limits, std::string_view client_id = "c1") {
    bytes body = hex("00 04 4d 51 54 54 05");
    body.push_back(flags);
    body.push_back(0x00);
    body.push_back(0x1e);
    const bytes p = hex(props);
    const bytes n = variable_byte_integer_bytes(p.size());
    body.insert(body.end(), n.begin(), n.end());
    body.insert(body.end(), p.begin(), p.end());
    const bytes id = field(client_id);
    body.insert(body.end(), id.begin(), id.end());
    return to_hex(view(packet_of(0x10, body)));
}

connect_options options() {
    connect_options o;
    o.protocol_version = protocol_version::v5;
    o.client_id = "c1";
    o.keep_alive = 30;
    return o;
}

connect_options session_options(bool clean_start) {
    connect_options o = options();
    o.clean_start = clean_start;
    o.session_expiry_interval = 60;
    return o;
}

connect_options auth_options() {
    connect_options o = options();
    o.authentication_method = "M";
    return o;
}

publish msg(text_view topic, bytes_view payload, qos q, bool retain = false) {
    publish m;
    m.topic = topic;
    m.payload = payload;
    m.qos = q;
    m.retain = retain;
    return m;
}
publish hi(qos q) { return msg("a/b", "hi", q); }

std::array<subscription, 1> sub(text_view filter, qos q = qos::at_least_once) {
    subscription s;
    s.topic_filter = filter;
    s.qos = q;
    return {s};
}

std::uint16_t pub(driver& d, const publish& m, when_quota_exhausted when = when_quota_exhausted::wait) {
    const auto r = d.c().publish(m, when);
    REQUIRE(r.has_value());
    return *r;
}

template <class R>
errc refused(const R& r) {
    REQUIRE_FALSE(r.has_value());
    return r.error().code;
}

// Opens, connects with `o` (checking the CONNECT against `connect_bytes`) and takes the CONNACK.
void up(driver& d, std::string_view connack_props = "", const connect_options& o = options(),
        const std::string& connect_bytes = connect_hex(0x02), const std::string& connected = "connected sp=0 ka=30") {
    d.open();
    REQUIRE(d.c().connect(o));
    CHECK(d.sent() == connect_bytes);
    CHECK(d.events() == lines{});
    d.server(connack_v5(false, 0, connack_props));
    CHECK(d.events() == lines{connected});
    REQUIRE(d.c().state() == client_state::connected);
}

// The first connection of a session that outlives it (Session Expiry Interval 60).
void up_session(driver& d, std::string_view connack_props = "") {
    up(d, connack_props, session_options(true), connect_hex(0x02, session_limits));
}

// Closes the transport and resumes the session (Clean Start 0); the server answers `session_present`.
void resume(driver& d, bool session_present, std::string_view connack_props = "") {
    d.c().transport_closed();
    d.open();
    REQUIRE(d.c().connect(session_options(false)));
    CHECK(d.sent() == connect_hex(0x00, session_limits));
    CHECK(d.events() == lines{});
    d.server(connack_v5(session_present, 0, connack_props));
}

// The session failed: nothing is accepted or sent until transport_closed().
void check_failed(driver& d) {
    CHECK(d.c().state() == client_state::closed);
    CHECK(refused(d.c().publish(hi(qos::at_most_once))) == errc::state_invalid);
    CHECK(refused(d.c().subscribe(sub("a/+"))) == errc::state_invalid);
    CHECK(refused(d.c().disconnect()) == errc::state_invalid);
    d.tick(d.now() + 100'000);
    d.server("32 0a 00 03 61 2f 62 00 05 00 68 69");
    CHECK(d.sent() == "");
    CHECK(d.events() == lines{});
}

}  // namespace

// ---- 2.2.1 Packet Identifier ------------------------------------------------------------------

TEST_CASE("v5 [MQTT-2.2.1-3] PUBLISH, SUBSCRIBE and UNSUBSCRIBE take distinct non-zero Packet Identifiers") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        const auto s = d.c().subscribe(sub("a/+"));
        REQUIRE(s);
        CHECK(*s == 2);
        CHECK(d.sent() == "82 09 00 02 00 00 03 61 2f 2b 01");
        CHECK(pub(d, hi(qos::exactly_once)) == 3);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 03 00 68 69");
        const std::array<text_view, 1> filters{"a/+"};
        const auto u = d.c().unsubscribe(filters);
        REQUIRE(u);
        CHECK(*u == 4);
        CHECK(d.sent() == "a2 08 00 04 00 00 03 61 2f 2b");
        CHECK(pub(d, hi(qos::at_most_once)) == 0);  // QoS 0 takes none
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
        CHECK(pub(d, hi(qos::at_least_once)) == 5);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 05 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-2.2.1-3] after 65535 the Packet Identifier wraps to 1 and skips one still in use") {
    // Whole and byte by byte only: the script runs 65,534 SUBSCRIBE exchanges.
    run_script(
        [](driver& d) {
            up(d);
            CHECK(pub(d, hi(qos::at_least_once)) == 1);  // stays unacknowledged
            CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
            std::size_t wrong = 0;
            for (unsigned id = 2; id <= 65535; ++id) {
                const auto s = d.c().subscribe(sub("a/+"));
                char expected[64];
                std::snprintf(expected, sizeof expected, "82 09 %02x %02x 00 00 03 61 2f 2b 01", id >> 8, id & 0xFFu);
                if (!s || *s != id || d.sent() != expected) ++wrong;
                char suback[32];
                std::snprintf(suback, sizeof suback, "90 04 %02x %02x 00 01", id >> 8, id & 0xFFu);
                d.server(suback);
                if (d.events().size() != 1) ++wrong;
            }
            CHECK(wrong == 0);
            CHECK(pub(d, hi(qos::at_least_once)) == 2);  // 1 is in use
            CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 02 00 68 69");
        },
        0);
}

TEST_CASE("v5 [MQTT-2.2.1-5] PUBACK, PUBREC, PUBREL and PUBCOMP carry the Packet Identifier of their PUBLISH") {
    run_script([](driver& d) {
        up(d);
        d.server("32 0a 00 03 61 2f 62 12 34 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=4660 p=hi"});
        CHECK(d.sent() == "40 02 12 34");
        d.server("34 0a 00 03 61 2f 62 01 02 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=258 p=hi"});
        CHECK(d.sent() == "50 02 01 02");
        d.server("62 02 01 02");
        CHECK(d.sent() == "70 02 01 02");
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        d.server("70 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=2 rc=0x00"});
        CHECK(d.sent() == "");
    });
}

// ---- 3.1 CONNECT ------------------------------------------------------------------------------

TEST_CASE("v5 [MQTT-3.1.0-1] before CONNECT every other command is refused and nothing is sent") {
    run_script([](driver& d) {
        CHECK(refused(d.c().connect(options())) == errc::state_invalid);  // no transport yet
        d.open();
        CHECK(refused(d.c().publish(hi(qos::at_most_once))) == errc::state_invalid);
        CHECK(refused(d.c().publish(hi(qos::at_least_once))) == errc::state_invalid);
        CHECK(refused(d.c().subscribe(sub("a/+"))) == errc::state_invalid);
        const std::array<text_view, 1> filters{"a/+"};
        CHECK(refused(d.c().unsubscribe(filters)) == errc::state_invalid);
        CHECK(refused(d.c().disconnect()) == errc::state_invalid);
        d.tick(100'000);
        CHECK(d.sent() == "");
        REQUIRE(d.c().connect(options()));
        CHECK(d.sent() == connect_hex(0x02));
        CHECK(refused(d.c().connect(options())) == errc::state_invalid);  // one CONNECT only
        CHECK(d.sent() == "");
    });
}

TEST_CASE("v5 [MQTT-3.1.0-1] server bytes before our CONNECT fail the session, and nothing is sent") {
    run_script([](driver& d) {
        d.open();
        d.server(connack_v5());
        CHECK(d.events() == lines{"error packet_unexpected rc=0x82"});
        CHECK(d.sent() == "");
        CHECK(refused(d.c().connect(options())) == errc::state_invalid);
        check_failed(d);
    });
}

TEST_CASE("v5 [MQTT-3.1.2-4] Clean Start 1 discards the session: stored messages fail, QoS 2 state is forgotten") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("34 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=7 p=hi"});
        CHECK(d.sent() == "50 02 00 07");
        d.c().transport_closed();
        CHECK(d.c().messages_in_store() == 1);
        d.open();
        REQUIRE(d.c().connect(options()));
        CHECK(d.sent() == connect_hex(0x02));
        CHECK(d.events() == lines{"failed id=1 q=1 rc=0x80 lost"});
        CHECK(d.c().messages_in_store() == 0);
        d.server(connack_v5());
        CHECK(d.events() == lines{"connected sp=0 ka=30"});
        CHECK(d.sent() == "");  // nothing resent
        // Packet 7 of the old session is a new message now.
        d.server("3c 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=7 p=hi dup"});
        CHECK(d.sent() == "50 02 00 07");
    });
}

TEST_CASE("v5 [MQTT-3.1.2-20] PINGREQ when nothing was sent for a Keep Alive interval") {
    run_script([](driver& d) {
        up(d);
        CHECK(d.c().next_deadline() == std::uint64_t{30'000});
        d.tick(29'999);
        CHECK(d.sent() == "");
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        d.server("d0 00");
        CHECK(d.events() == lines{});
        d.tick(40'000);
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");  // sent at 40 s: the interval starts again
        CHECK(d.c().next_deadline() == std::uint64_t{70'000});
        d.tick(69'999);
        CHECK(d.sent() == "");
        d.tick(70'000);
        CHECK(d.sent() == "c0 00");
    });
}

TEST_CASE("v5 [MQTT-3.1.2-21] a Server Keep Alive longer than ours replaces it") {
    run_script([](driver& d) {
        up(d, "13 00 78", options(), connect_hex(0x02), "connected sp=0 ka=120");
        CHECK(d.c().keep_alive() == 120);
        d.tick(30'000);
        CHECK(d.sent() == "");
        d.tick(119'999);
        CHECK(d.sent() == "");
        d.tick(120'000);
        CHECK(d.sent() == "c0 00");
    });
}

TEST_CASE("v5 [MQTT-3.2.2-21] the Server Keep Alive is used instead of the CONNECT Keep Alive, 0 turns it off") {
    run_script([](driver& d) {
        up(d, "13 00 05", options(), connect_hex(0x02), "connected sp=0 ka=5");
        d.tick(4'999);
        CHECK(d.sent() == "");
        d.tick(5'000);
        CHECK(d.sent() == "c0 00");
    });
    run_script([](driver& d) {
        up(d, "13 00 00", options(), connect_hex(0x02), "connected sp=0 ka=0");
        CHECK(d.c().next_deadline() == std::nullopt);
        d.tick(1'000'000);
        CHECK(d.sent() == "");
    });
}

TEST_CASE("v5 [MQTT-3.1.2-23] with a Session Expiry Interval the session outlives the connection") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("34 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=7 p=hi"});
        CHECK(d.sent() == "50 02 00 07");
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3a 0a 00 03 61 2f 62 00 01 00 68 69");
        // The server's message 7 is still between PUBREC and PUBREL: not delivered again.
        d.server("3c 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events() == lines{});
        CHECK(d.sent() == "50 02 00 07");
        d.server("62 02 00 07");
        CHECK(d.sent() == "70 02 00 07");
        d.server("40 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=1 rc=0x00"});
    });
}

TEST_CASE("v5 [MQTT-3.1.2-30] with an Authentication Method only AUTH or DISCONNECT is sent before CONNACK") {
    run_script([](driver& d) {
        d.open();
        connect_options o = auth_options();
        o.response_timeout_ms = 100'000;
        REQUIRE(d.c().connect(o));
        CHECK(d.sent() == connect_hex(0x02, auth_limits));
        CHECK(refused(d.c().publish(hi(qos::at_most_once))) == errc::state_invalid);
        CHECK(refused(d.c().publish(hi(qos::at_least_once))) == errc::state_invalid);
        CHECK(refused(d.c().subscribe(sub("a/+"))) == errc::state_invalid);
        const std::array<text_view, 1> filters{"a/+"};
        CHECK(refused(d.c().unsubscribe(filters)) == errc::state_invalid);
        d.tick(30'000);  // no PINGREQ before CONNACK
        CHECK(d.sent() == "");
        d.server("f0 0b 18 09 15 00 01 4d 16 00 02 63 64");
        CHECK(d.events() == lines{"auth rc=0x18 data=cd"});
        REQUIRE(d.c().auth(reason_code::continue_authentication, bytes_view("ab")));
        CHECK(d.sent() == "f0 0b 18 09 15 00 01 4d 16 00 02 61 62");
        REQUIRE(d.c().disconnect());
        CHECK(d.sent() == "e0 00");
        CHECK(d.c().state() == client_state::disconnecting);
    });
}

TEST_CASE("v5 [MQTT-3.1.3-2] the session continues under the Assigned Client Identifier it was created for") {
    run_script([](driver& d) {
        connect_options o = session_options(true);
        o.client_id = "";
        up(d, "12 00 03 78 79 7a", o, connect_hex(0x02, session_limits, ""), "connected sp=0 ka=30 id=xyz");
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.c().transport_closed();
        d.open();
        o.client_id = "xyz";
        o.clean_start = false;
        REQUIRE(d.c().connect(o));
        CHECK(d.sent() == connect_hex(0x00, session_limits, "xyz"));
        CHECK(d.events() == lines{});
        d.server(connack_v5(true));
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3a 0a 00 03 61 2f 62 00 01 00 68 69");
    });
}

// ---- 3.2 CONNACK ------------------------------------------------------------------------------

TEST_CASE("v5 [MQTT-3.2.2-16] an empty Client Identifier: the Assigned Client Identifier is reported") {
    run_script([](driver& d) {
        connect_options o = options();
        o.client_id = "";
        up(d, "12 00 03 78 79 7a", o, connect_hex(0x02, our_limits, ""), "connected sp=0 ka=30 id=xyz");
    });
}

TEST_CASE("v5 [MQTT-3.2.2-4] Session Present 1 after Clean Start 1 closes the connection with 0x82") {
    run_script([](driver& d) {
        d.open();
        REQUIRE(d.c().connect(options()));
        CHECK(d.sent() == connect_hex(0x02));
        d.server(connack_v5(true));
        CHECK(d.events() == lines{"error session_present_unexpected rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
}

TEST_CASE("v5 [MQTT-3.2.2-5] Session Present 0 on a resumed session drops our session state") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69");
        d.server("34 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=7 p=hi"});
        CHECK(d.sent() == "50 02 00 07");
        resume(d, false);
        CHECK(d.events() == lines{"connected sp=0 ka=30", "failed id=1 q=1 rc=0x80 lost", "failed id=2 q=2 rc=0x80 lost"});
        CHECK(d.sent() == "");
        CHECK(d.c().messages_in_store() == 0);
        d.server("34 0a 00 03 61 2f 62 00 07 00 68 69");  // a new message now
        CHECK(d.events() == lines{"message t=a/b q=2 id=7 p=hi"});
        CHECK(d.sent() == "50 02 00 07");
    });
}

TEST_CASE("v5 [MQTT-3.2.2-11] Maximum QoS: a PUBLISH above it is refused with qos_not_supported") {
    run_script([](driver& d) {
        up(d, "24 01");
        CHECK(d.c().server().maximum_qos == qos::at_least_once);
        CHECK(refused(d.c().publish(hi(qos::exactly_once))) == errc::qos_not_supported);
        CHECK(d.sent() == "");
        CHECK(d.c().messages_in_store() == 0);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
    });
    run_script([](driver& d) {
        up(d, "24 00");
        CHECK(refused(d.c().publish(hi(qos::at_least_once))) == errc::qos_not_supported);
        CHECK(refused(d.c().publish(hi(qos::exactly_once))) == errc::qos_not_supported);
        CHECK(d.sent() == "");
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
        // SUBSCRIBE may still ask for QoS 2 (the server grants less).
        REQUIRE(d.c().subscribe(sub("a/+", qos::exactly_once)));
        CHECK(d.sent() == "82 09 00 01 00 00 03 61 2f 2b 02");
    });
}

TEST_CASE("v5 [MQTT-3.2.2-14] Retain Available 0: a retained PUBLISH is refused with retain_not_supported") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, msg("a/b", "hi", qos::at_most_once, true)) == 0);  // allowed by default
        CHECK(d.sent() == "31 08 00 03 61 2f 62 00 68 69");
    });
    run_script([](driver& d) {
        up(d, "25 00");
        CHECK(refused(d.c().publish(msg("a/b", "hi", qos::at_most_once, true))) == errc::retain_not_supported);
        CHECK(refused(d.c().publish(msg("a/b", "hi", qos::at_least_once, true))) == errc::retain_not_supported);
        CHECK(d.sent() == "");
        CHECK(d.c().messages_in_store() == 0);
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-3.2.2-15] nothing larger than the server's Maximum Packet Size is sent") {
    run_script([](driver& d) {
        up(d, "27 00 00 00 0c");  // 12 bytes
        CHECK(pub(d, hi(qos::at_most_once)) == 0);  // 10 bytes
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
        CHECK(refused(d.c().publish(msg("a/b", "hello", qos::at_most_once))) == errc::packet_too_large);  // 13
        CHECK(pub(d, hi(qos::at_least_once)) == 1);  // 12 bytes
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        const auto s = d.c().subscribe(sub("a/+"));  // 11 bytes
        REQUIRE(s);
        CHECK(*s == 2);
        CHECK(d.sent() == "82 09 00 02 00 00 03 61 2f 2b 01");
        CHECK(refused(d.c().subscribe(sub("a/bc/+"))) == errc::packet_too_large);  // 14
        const std::array<text_view, 1> filters{"a/bcdefgh"};
        CHECK(refused(d.c().unsubscribe(filters)) == errc::packet_too_large);  // 16
        CHECK(refused(d.c().publish(msg("a/b", "hip", qos::at_least_once))) == errc::packet_too_large);  // 13
        CHECK(d.sent() == "");
        CHECK(d.c().messages_in_store() == 1);
    });
}

TEST_CASE("v5 [MQTT-3.2.2-17] Topic Aliases stay within the server's Topic Alias Maximum (1, below our table of 2)") {
    run_script([](driver& d) {
        up(d, "22 00 01");
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 0b 00 03 61 2f 62 03 23 00 01 68 69");  // topic and alias 1
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 00 03 23 00 01 68 69");  // alias 1 alone
        CHECK(pub(d, msg("c", "hi", qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 06 00 01 63 00 68 69");  // no alias left
        CHECK(pub(d, msg("c", "hi", qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 06 00 01 63 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-3.2.2-18] no Topic Alias Maximum (or 0) from the server: no Topic Aliases are sent") {
    for (const std::string_view props : {std::string_view(""), std::string_view("22 00 00")}) {
        run_script([props](driver& d) {
            up(d, props);
            CHECK(pub(d, hi(qos::at_most_once)) == 0);
            CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
            CHECK(pub(d, hi(qos::at_most_once)) == 0);
            CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
            CHECK(pub(d, hi(qos::at_least_once)) == 1);
            CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        });
    }
}

TEST_CASE("v5 [client] CONNACK Wildcard Subscription Available 0 refuses wildcard filters") {
    run_script([](driver& d) {
        up(d, "28 00");
        CHECK(refused(d.c().subscribe(sub("a/+"))) == errc::wildcard_subscription_not_supported);
        CHECK(refused(d.c().subscribe(sub("#"))) == errc::wildcard_subscription_not_supported);
        CHECK(d.sent() == "");
        REQUIRE(d.c().subscribe(sub("a/b")));
        CHECK(d.sent() == "82 09 00 01 00 00 03 61 2f 62 01");
    });
}

TEST_CASE("v5 [client] CONNACK Shared Subscription Available 0 refuses $share filters") {
    run_script([](driver& d) {
        up(d, "2a 00");
        CHECK(refused(d.c().subscribe(sub("$share/g/a"))) == errc::shared_subscription_not_supported);
        CHECK(d.sent() == "");
        REQUIRE(d.c().subscribe(sub("a")));
        CHECK(d.sent() == "82 07 00 01 00 00 01 61 01");
    });
}

TEST_CASE("v5 [client] CONNACK Subscription Identifier Available 0 refuses a Subscription Identifier") {
    run_script([](driver& d) {
        up(d, "29 00");
        const bytes raw = hex("0b 01");
        CHECK(refused(d.c().subscribe(sub("a"), properties(view(raw)))) == errc::subscription_identifier_not_supported);
        CHECK(d.sent() == "");
        REQUIRE(d.c().subscribe(sub("a")));
        CHECK(d.sent() == "82 07 00 01 00 00 01 61 01");
    });
    run_script([](driver& d) {
        up(d);
        const bytes raw = hex("0b 01");
        REQUIRE(d.c().subscribe(sub("a"), properties(view(raw))));
        CHECK(d.sent() == "82 09 00 01 02 0b 01 00 01 61 01");
    });
}

TEST_CASE("v5 [MQTT-4.13.2-1] CONNACK with a reason code of 0x80 or more is connect_refused_event and the session ends") {
    for (const unsigned code : {0x80u, 0x85u, 0x86u, 0x87u, 0x8cu, 0x9cu, 0x9fu}) {
        INFO("reason code " << code);
        run_script([code](driver& d) {
            d.open();
            REQUIRE(d.c().connect(options()));
            CHECK(d.sent() == connect_hex(0x02));
            d.server(connack_v5(false, static_cast<std::uint8_t>(code)));
            char line[32];
            std::snprintf(line, sizeof line, "refused rc=0x%02x", code);
            CHECK(d.events() == lines{line});
            CHECK(d.sent() == "");  // the CONNACK closes it: nothing is answered
            check_failed(d);
            d.c().transport_closed();
            CHECK(d.c().state() == client_state::idle);
            REQUIRE(d.c().transport_opened());
        });
    }
}

TEST_CASE("v5 [MQTT-4.13.2-1] a server DISCONNECT with 0x80 or more closes the session; nothing is answered") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("e0 01 8e");
        CHECK(d.events() == lines{"disconnected rc=0x8e"});
        CHECK(d.sent() == "");
        check_failed(d);
        CHECK(d.c().messages_in_store() == 1);  // kept for the next connection
    });
}

TEST_CASE("v5 [client] a server DISCONNECT reports its reason code and Server Reference") {
    run_script([](driver& d) {
        up(d);
        d.server("e0 07 9c 05 1c 00 02 73 32");
        CHECK(d.events() == lines{"disconnected rc=0x9c ref=s2"});
        CHECK(d.sent() == "");
        check_failed(d);
    });
    run_script([](driver& d) {
        up(d);
        d.server("e0 00");
        CHECK(d.events() == lines{"disconnected rc=0x00"});
        CHECK(d.sent() == "");
        CHECK(d.c().state() == client_state::closed);
    });
}

TEST_CASE("v5 [MQTT-3.2.0-1] any packet but CONNACK or AUTH before CONNACK is a protocol error (DISCONNECT 0x82)") {
    for (const std::string_view packet :
         {std::string_view("30 08 00 03 61 2f 62 00 68 69"), std::string_view("32 0a 00 03 61 2f 62 00 05 00 68 69"),
          std::string_view("40 02 00 01"), std::string_view("62 02 00 01"), std::string_view("90 04 00 01 00 00"),
          std::string_view("d0 00"), std::string_view("e0 00")}) {
        INFO("packet " << packet);
        run_script([packet](driver& d) {
            d.open();
            REQUIRE(d.c().connect(options()));
            CHECK(d.sent() == connect_hex(0x02));
            d.server(packet);
            CHECK(d.events() == lines{"error packet_unexpected rc=0x82"});
            CHECK(d.sent() == "e0 01 82");
            check_failed(d);
        });
    }
}

TEST_CASE("v5 [MQTT-3.2.0-2] a second CONNACK is a protocol error (DISCONNECT 0x82)") {
    run_script([](driver& d) {
        up(d);
        d.server(connack_v5());
        CHECK(d.events() == lines{"error packet_unexpected rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
}

TEST_CASE("v5 [client] after a protocol error the client stays failed until transport_closed()") {
    run_script([](driver& d) {
        up(d);
        d.server("90 04 00 09 00 00");  // SUBACK for nothing we asked
        CHECK(d.events() == lines{"error packet_id_unknown rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
        CHECK(refused(d.c().transport_opened()) == errc::state_invalid);
        CHECK(d.c().rx_pending() == 0);
        d.c().transport_closed();
        CHECK(d.c().state() == client_state::idle);
        up(d);
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
    });
}

// ---- 3.3 PUBLISH ------------------------------------------------------------------------------

TEST_CASE("v5 [MQTT-3.3.1-1] a PUBLISH sent again on a resumed session has DUP 1") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69");
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3a 0a 00 03 61 2f 62 00 01 00 68 69 3c 0a 00 03 61 2f 62 00 02 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-3.3.2-7] the server's Topic Aliases are forgotten with the connection") {
    run_script([](driver& d) {
        up(d);
        d.server("30 0b 00 03 61 2f 62 03 23 00 01 68 69");
        CHECK(d.events() == lines{"message t=a/b q=0 id=0 p=hi"});
        d.server("30 08 00 00 03 23 00 01 68 69");
        CHECK(d.events() == lines{"message t=a/b q=0 id=0 p=hi"});
        d.c().transport_closed();
        up(d);
        d.server("30 08 00 00 03 23 00 01 68 69");
        CHECK(d.events() == lines{"error topic_alias_unknown rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
    });
}

TEST_CASE("v5 [MQTT-3.3.2-7] our Topic Aliases are set up again on a new connection") {
    run_script([](driver& d) {
        up(d, "22 00 01");
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 0b 00 03 61 2f 62 03 23 00 01 68 69");
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 00 03 23 00 01 68 69");
        d.c().transport_closed();
        up(d, "22 00 01");
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 0b 00 03 61 2f 62 03 23 00 01 68 69");
    });
}

TEST_CASE("v5 [MQTT-3.3.2-9] no Topic Alias above the server's maximum (10, above our table of 2)") {
    run_script([](driver& d) {
        up(d, "22 00 0a");
        CHECK(pub(d, msg("a", "hi", qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 09 00 01 61 03 23 00 01 68 69");
        CHECK(pub(d, msg("b", "hi", qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 09 00 01 62 03 23 00 02 68 69");
        CHECK(pub(d, msg("c", "hi", qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 06 00 01 63 00 68 69");
        CHECK(pub(d, msg("b", "hi", qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 00 03 23 00 02 68 69");
        CHECK(pub(d, msg("a", "hi", qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 00 00 01 03 23 00 01 68 69");
        d.server("40 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=1 rc=0x00"});
    });
}

TEST_CASE("v5 [MQTT-3.3.2-10] the server may use every Topic Alias from 1 to our maximum of 3") {
    run_script([](driver& d) {
        up(d);
        d.server("30 0b 00 03 61 2f 62 03 23 00 01 68 69");
        d.server("30 09 00 01 63 03 23 00 02 68 69");
        d.server("30 09 00 01 64 03 23 00 03 68 69");
        CHECK(d.events() == lines{"message t=a/b q=0 id=0 p=hi", "message t=c q=0 id=0 p=hi", "message t=d q=0 id=0 p=hi"});
        d.server("30 08 00 00 03 23 00 03 68 69");
        d.server("30 08 00 00 03 23 00 01 68 69");
        CHECK(d.events() == lines{"message t=d q=0 id=0 p=hi", "message t=a/b q=0 id=0 p=hi"});
        d.server("30 09 00 01 65 03 23 00 01 68 69");  // alias 1 mapped anew
        d.server("30 08 00 00 03 23 00 01 68 69");
        CHECK(d.events() == lines{"message t=e q=0 id=0 p=hi", "message t=e q=0 id=0 p=hi"});
        d.server("32 0a 00 00 00 05 03 23 00 02 68 69");
        CHECK(d.events() == lines{"message t=c q=1 id=5 p=hi"});
        CHECK(d.sent() == "40 02 00 05");
    });
}

TEST_CASE("v5 [MQTT-3.3.2-11] a Topic Alias above our Topic Alias Maximum is answered with DISCONNECT 0x94") {
    run_script([](driver& d) {
        up(d);
        d.server("30 09 00 01 61 03 23 00 04 68 69");
        CHECK(d.events() == lines{"error topic_alias_invalid rc=0x94"});
        CHECK(d.sent() == "e0 01 94");
        check_failed(d);
    });
}

TEST_CASE("v5 [client] an empty Topic Name with a Topic Alias never mapped is a protocol error (DISCONNECT 0x82)") {
    run_script([](driver& d) {
        up(d);
        d.server("30 0b 00 03 61 2f 62 03 23 00 01 68 69");
        CHECK(d.events() == lines{"message t=a/b q=0 id=0 p=hi"});
        d.server("30 08 00 00 03 23 00 02 68 69");
        CHECK(d.events() == lines{"error topic_alias_unknown rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
}

TEST_CASE("v5 [MQTT-3.3.4-1] a received PUBLISH gets the acknowledgement of its QoS: none, PUBACK, PUBREC") {
    run_script([](driver& d) {
        up(d);
        d.server("30 08 00 03 61 2f 62 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=0 id=0 p=hi"});
        CHECK(d.sent() == "");
        d.server("32 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=5 p=hi"});
        CHECK(d.sent() == "40 02 00 05");
        d.server("34 0a 00 03 61 2f 62 00 06 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=6 p=hi"});
        CHECK(d.sent() == "50 02 00 06");
    });
}

TEST_CASE("v5 [MQTT-3.3.4-7] no more unacknowledged QoS 1 and 2 PUBLISH than the server's Receive Maximum") {
    run_script([](driver& d) {
        up(d, "21 00 02");
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69");
        // when_quota_exhausted::wait keeps it; ::refuse refuses.
        CHECK(pub(d, hi(qos::at_least_once)) == 3);
        CHECK(d.sent() == "");
        CHECK(d.c().messages_in_store() == 3);
        CHECK(d.c().messages_in_flight() == 2);
        CHECK(refused(d.c().publish(hi(qos::at_least_once), when_quota_exhausted::refuse)) == errc::send_quota_exhausted);
        CHECK(d.c().messages_in_store() == 3);
        d.server("40 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 03 00 68 69");
        CHECK(refused(d.c().publish(hi(qos::at_least_once), when_quota_exhausted::refuse)) == errc::send_quota_exhausted);
        d.server("50 02 00 02");  // QoS 2 holds its quota until PUBCOMP
        CHECK(d.sent() == "62 02 00 02");
        CHECK(refused(d.c().publish(hi(qos::at_least_once), when_quota_exhausted::refuse)) == errc::send_quota_exhausted);
        d.server("70 02 00 02");
        CHECK(d.events() == lines{"completed id=2 q=2 rc=0x00"});
        CHECK(pub(d, hi(qos::at_least_once), when_quota_exhausted::refuse) == 4);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 04 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-3.3.4-8] at the server's Receive Maximum only QoS 1 and 2 PUBLISH wait") {
    run_script([](driver& d) {
        up(d, "21 00 01");
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "");  // waits
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
        const auto s = d.c().subscribe(sub("a/+"));
        REQUIRE(s);
        CHECK(*s == 3);
        CHECK(d.sent() == "82 09 00 03 00 00 03 61 2f 2b 01");
        const std::array<text_view, 1> filters{"a/+"};
        const auto u = d.c().unsubscribe(filters);
        REQUIRE(u);
        CHECK(*u == 4);
        CHECK(d.sent() == "a2 08 00 04 00 00 03 61 2f 2b");
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        REQUIRE(d.c().disconnect());
        CHECK(d.sent() == "e0 00");
        CHECK(d.c().messages_in_store() == 2);
    });
}

TEST_CASE("v5 [MQTT-3.3.4-9] a server exceeding our Receive Maximum of 4 gets DISCONNECT 0x93") {
    run_script([](driver& d) {
        up(d);
        // QoS 1 messages are acknowledged at once, so they do not stay counted.
        d.server("32 0a 00 03 61 2f 62 00 09 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=9 p=hi"});
        CHECK(d.sent() == "40 02 00 09");
        for (unsigned id = 1; id <= 4; ++id) {
            char packet[64];
            std::snprintf(packet, sizeof packet, "34 0a 00 03 61 2f 62 00 %02x 00 68 69", id);
            d.server(packet);
            char ack[16];
            std::snprintf(ack, sizeof ack, "50 02 00 %02x", id);
            CHECK(d.sent() == ack);
        }
        CHECK(d.events().size() == 4);
        d.server("62 02 00 01");  // one released: room for one more
        CHECK(d.sent() == "70 02 00 01");
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi"});
        CHECK(d.sent() == "50 02 00 05");
        d.server("32 0a 00 03 61 2f 62 00 06 00 68 69");  // QoS 1 counts against it too
        CHECK(d.events() == lines{"error receive_maximum_exceeded rc=0x93"});
        CHECK(d.sent() == "e0 01 93");
        check_failed(d);
    });
}

// ---- 3.4 to 3.7: acknowledgements within a small Maximum Packet Size -----------------------------

TEST_CASE("v5 [MQTT-3.4.2-2] [MQTT-3.4.2-3] PUBACK carries no Reason String or User Property: it fits a 5-byte Maximum Packet Size") {
    run_script([](driver& d) {
        connect_options o = options();
        o.manual_acks = true;
        up(d, "27 00 00 00 05", o);
        d.server("32 0a 00 03 61 2f 62 00 05 00 68 69");
        d.server("32 0a 00 03 61 2f 62 00 06 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=5 p=hi", "message t=a/b q=1 id=6 p=hi"});
        CHECK(d.sent() == "");
        REQUIRE(d.c().ack(5));
        CHECK(d.sent() == "40 02 00 05");
        REQUIRE(d.c().ack(6, reason_code::unspecified_error));
        CHECK(d.sent() == "40 03 00 06 80");
    });
}

TEST_CASE("v5 [MQTT-3.5.2-2] [MQTT-3.5.2-3] PUBREC carries no Reason String or User Property: it fits a 5-byte Maximum Packet Size") {
    run_script([](driver& d) {
        connect_options o = options();
        o.manual_acks = true;
        up(d, "27 00 00 00 05", o);
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        d.server("34 0a 00 03 61 2f 62 00 06 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi", "message t=a/b q=2 id=6 p=hi"});
        REQUIRE(d.c().ack(5));
        CHECK(d.sent() == "50 02 00 05");
        REQUIRE(d.c().ack(6, reason_code::unspecified_error));
        CHECK(d.sent() == "50 03 00 06 80");
    });
}

TEST_CASE("v5 [MQTT-3.6.2-2] [MQTT-3.6.2-3] PUBREL carries no Reason String or User Property: it fits a 5-byte Maximum Packet Size") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        resume(d, true, "27 00 00 00 05");
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "62 02 00 01");
        d.server("50 02 00 09");  // unknown: released with 0x92
        CHECK(d.sent() == "62 03 00 09 92");
    });
}

TEST_CASE("v5 [MQTT-3.7.2-2] [MQTT-3.7.2-3] PUBCOMP carries no Reason String or User Property: it fits a 5-byte Maximum Packet Size") {
    run_script([](driver& d) {
        up(d, "27 00 00 00 05");
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.sent() == "50 02 00 05");
        d.server("62 02 00 05");
        CHECK(d.sent() == "70 02 00 05");
        d.server("62 02 00 09");
        CHECK(d.sent() == "70 03 00 09 92");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi"});
    });
}

// ---- 3.14 DISCONNECT, 3.15 AUTH: properties left out for the server's Maximum Packet Size ---------

namespace {

// Sends DISCONNECT 0x04 with Session Expiry Interval 0 and `extra` under a Maximum Packet Size of
// `maximum`, and checks the bytes.
void disconnect_within(std::uint8_t maximum, std::string_view extra, const std::string& expected) {
    run_script([=](driver& d) {
        char props[32];
        std::snprintf(props, sizeof props, "27 00 00 00 %02x", maximum);
        up(d, props);
        bytes raw = hex("11 00 00 00 00");
        const bytes more = hex(extra);
        raw.insert(raw.end(), more.begin(), more.end());
        REQUIRE(d.c().disconnect(reason_code::disconnect_with_will_message, properties(view(raw))));
        CHECK(d.sent() == expected);
        CHECK(d.c().state() == client_state::disconnecting);
    });
}

// Re-authenticates twice with `first` and `second` as further AUTH properties, under a Maximum
// Packet Size of `maximum`, and checks both AUTH packets.
void reauth_within(std::uint8_t maximum, std::string_view first, const std::string& first_sent, std::string_view second,
                   const std::string& second_sent) {
    run_script([=](driver& d) {
        char props[40];
        std::snprintf(props, sizeof props, "15 00 01 4d 27 00 00 00 %02x", maximum);
        up(d, props, auth_options(), connect_hex(0x02, auth_limits));
        const bytes a = hex(first);
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view(), properties(view(a))));
        CHECK(d.sent() == first_sent);
        d.server("f0 06 00 04 15 00 01 4d");
        CHECK(d.events() == lines{"auth rc=0x00 data="});
        const bytes b = hex(second);
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view(), properties(view(b))));
        CHECK(d.sent() == second_sent);
    });
}

}  // namespace

TEST_CASE("v5 [MQTT-3.14.2-3] DISCONNECT leaves out its Reason String when it would exceed the Maximum Packet Size") {
    // 15 bytes with the Reason String "abc".
    disconnect_within(15, "1f 00 03 61 62 63", "e0 0d 04 0b 11 00 00 00 00 1f 00 03 61 62 63");
    disconnect_within(14, "1f 00 03 61 62 63", "e0 07 04 05 11 00 00 00 00");
}

TEST_CASE("v5 [MQTT-3.14.2-4] DISCONNECT leaves out its User Properties when they would exceed the Maximum Packet Size") {
    // 16 bytes with the User Property k=v.
    disconnect_within(16, "26 00 01 6b 00 01 76", "e0 0e 04 0c 11 00 00 00 00 26 00 01 6b 00 01 76");
    disconnect_within(15, "26 00 01 6b 00 01 76", "e0 07 04 05 11 00 00 00 00");
}

TEST_CASE("v5 [MQTT-3.15.2-2] AUTH leaves out its Reason String when it would exceed the Maximum Packet Size") {
    reauth_within(14, "1f 00 03 61 62 63", "f0 0c 19 0a 15 00 01 4d 1f 00 03 61 62 63",  // 14 bytes: kept
                  "1f 00 04 61 62 63 64", "f0 06 19 04 15 00 01 4d");                  // 15: left out
}

TEST_CASE("v5 [MQTT-3.15.2-3] AUTH leaves out its User Properties when they would exceed the Maximum Packet Size") {
    reauth_within(15, "26 00 01 6b 00 01 76", "f0 0d 19 0b 15 00 01 4d 26 00 01 6b 00 01 76",  // 15 bytes: kept
                  "26 00 01 6b 00 02 76 76", "f0 06 19 04 15 00 01 4d");                      // 16: left out
}

TEST_CASE("v5 [MQTT-3.14.4-1] after our DISCONNECT nothing more is sent") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        REQUIRE(d.c().disconnect());
        CHECK(d.sent() == "e0 00");
        CHECK(refused(d.c().publish(hi(qos::at_most_once))) == errc::state_invalid);
        CHECK(refused(d.c().publish(hi(qos::at_least_once))) == errc::state_invalid);
        CHECK(refused(d.c().subscribe(sub("a/+"))) == errc::state_invalid);
        CHECK(refused(d.c().disconnect()) == errc::state_invalid);
        d.tick(100'000);  // no PINGREQ
        d.server("32 0a 00 03 61 2f 62 00 05 00 68 69");  // no PUBACK
        d.server("40 02 00 01");
        CHECK(d.sent() == "");
        CHECK(d.events() == lines{});
        CHECK(d.c().messages_in_store() == 1);
    });
}

TEST_CASE("v5 [MQTT-3.14.4-2] after our DISCONNECT the client waits only for the transport to close") {
    run_script([](driver& d) {
        up(d);
        REQUIRE(d.c().disconnect(reason_code::disconnect_with_will_message));
        CHECK(d.sent() == "e0 01 04");
        CHECK(d.c().state() == client_state::disconnecting);
        CHECK(d.c().next_deadline() == std::nullopt);
        d.server("30 08 00 03 61 2f 62 00 68 69");
        CHECK(d.c().rx_pending() == 0);
        CHECK(d.events() == lines{});
        CHECK(refused(d.c().transport_opened()) == errc::state_invalid);
        d.c().transport_closed();
        CHECK(d.c().state() == client_state::idle);
        up(d);
    });
}

// ---- 4.1 Session state ------------------------------------------------------------------------

TEST_CASE("v5 [MQTT-4.1.0-1] session state is kept while the connection is open") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("34 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=7 p=hi"});
        CHECK(d.sent() == "50 02 00 07");
        for (std::uint64_t t = 30'000; t <= 300'000; t += 30'000) {
            d.tick(t);
            CHECK(d.sent() == "c0 00");
            d.server("d0 00");
        }
        CHECK(d.c().messages_in_store() == 1);
        d.server("3c 0a 00 03 61 2f 62 00 07 00 68 69");  // still known: not delivered again
        CHECK(d.events() == lines{});
        CHECK(d.sent() == "50 02 00 07");
        d.server("62 02 00 07");
        CHECK(d.sent() == "70 02 00 07");  // success, not 0x92
        d.server("40 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}

// ---- 4.3 Quality of Service -------------------------------------------------------------------

TEST_CASE("v5 [MQTT-4.3.1-1] a QoS 0 PUBLISH has QoS 0, DUP 0 and no Packet Identifier") {
    run_script([](driver& d) {
        up(d);
        publish m = hi(qos::at_most_once);
        m.dup = true;  // the client's own fields
        m.packet_id = 7;
        CHECK(pub(d, m) == 0);
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
        CHECK(d.c().messages_in_store() == 0);
    });
}

TEST_CASE("v5 [MQTT-4.3.2-1] each new QoS 1 message gets a Packet Identifier not in use") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(pub(d, hi(qos::at_least_once)) == 2);
        CHECK(pub(d, hi(qos::at_least_once)) == 3);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69 32 0a 00 03 61 2f 62 00 02 00 68 69 "
                          "32 0a 00 03 61 2f 62 00 03 00 68 69");
        d.server("40 02 00 02");
        CHECK(d.events() == lines{"completed id=2 q=1 rc=0x00"});
        CHECK(pub(d, hi(qos::at_least_once)) == 4);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 04 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-4.3.2-2] a QoS 1 PUBLISH has its Packet Identifier, QoS 1 and DUP 0") {
    run_script([](driver& d) {
        up(d);
        publish m = hi(qos::at_least_once);
        m.dup = true;
        m.packet_id = 99;
        CHECK(pub(d, m) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-4.3.2-3] a QoS 1 PUBLISH stays unacknowledged until its PUBACK") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("40 02 00 07");  // another identifier
        CHECK(d.events() == lines{});
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");  // not resent on this connection
        CHECK(d.c().messages_in_store() == 1);
        d.server("40 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
        d.server("40 02 00 01");  // once only
        CHECK(d.events() == lines{});
        CHECK(d.sent() == "");
    });
}

TEST_CASE("v5 [MQTT-4.3.2-4] a received QoS 1 PUBLISH is answered with PUBACK of its Packet Identifier") {
    run_script([](driver& d) {
        up(d);
        d.server("32 0a 00 03 61 2f 62 0a 0b 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=2571 p=hi"});
        CHECK(d.sent() == "40 02 0a 0b");
    });
}

TEST_CASE("v5 [MQTT-4.3.2-5] after PUBACK, a QoS 1 PUBLISH with the same identifier is a new message, DUP or not") {
    run_script([](driver& d) {
        up(d);
        d.server("32 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=5 p=hi"});
        CHECK(d.sent() == "40 02 00 05");
        d.server("3a 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=5 p=hi dup"});
        CHECK(d.sent() == "40 02 00 05");
        d.server("32 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=1 id=5 p=hi"});
        CHECK(d.sent() == "40 02 00 05");
    });
}

TEST_CASE("v5 [MQTT-4.3.3-1] each new QoS 2 message gets a Packet Identifier not in use") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        CHECK(pub(d, hi(qos::exactly_once)) == 3);  // 1 is still in use until PUBCOMP
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 03 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-4.3.3-2] a QoS 2 PUBLISH has its Packet Identifier, QoS 2 and DUP 0") {
    run_script([](driver& d) {
        up(d);
        publish m = hi(qos::exactly_once);
        m.dup = true;
        m.packet_id = 99;
        CHECK(pub(d, m) == 1);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-4.3.3-3] a QoS 2 PUBLISH stays unacknowledged until its PUBREC") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69");
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        CHECK(d.c().messages_in_store() == 1);
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        CHECK(d.events() == lines{});
        CHECK(d.c().messages_in_store() == 1);
    });
    run_script([](driver& d) {  // a PUBCOMP before the PUBREC breaks the flow
        up(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("70 02 00 01");
        CHECK(d.events() == lines{"error packet_unexpected rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
    });
}

TEST_CASE("v5 [MQTT-4.3.3-4] a PUBREC below 0x80 is answered with PUBREL of the same identifier") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69");
        d.server("50 03 00 01 10");  // No matching subscribers
        CHECK(d.sent() == "62 02 00 01");
        d.server("50 02 00 02");
        CHECK(d.sent() == "62 02 00 02");
        d.server("70 02 00 01");
        d.server("70 02 00 02");
        CHECK(d.events() == lines{"completed id=1 q=2 rc=0x00", "completed id=2 q=2 rc=0x00"});
    });
}

TEST_CASE("v5 [MQTT-4.3.3-5] a PUBREL stays unacknowledged until its PUBCOMP, across connections") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        CHECK(d.c().messages_in_store() == 1);
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "62 02 00 01");
        d.server("70 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=2 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}

TEST_CASE("v5 [MQTT-4.3.3-6] once PUBREL is sent the PUBLISH is not sent again") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        d.server("50 02 00 01");  // a repeated PUBREC gets PUBREL again
        CHECK(d.sent() == "62 02 00 01");
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "62 02 00 01");
    });
}

TEST_CASE("v5 [MQTT-4.3.3-7] a sent QoS 2 message does not expire: resent with its Message Expiry Interval") {
    run_script([](driver& d) {
        up_session(d);
        publish m = hi(qos::exactly_once);
        const bytes expiry = hex("02 00 00 00 01");  // 1 s
        m.properties = properties(view(expiry));
        CHECK(pub(d, m) == 1);
        CHECK(d.sent() == "34 0f 00 03 61 2f 62 00 01 05 02 00 00 00 01 68 69");
        d.tick(20'000);
        CHECK(d.sent() == "");
        CHECK(d.c().messages_in_store() == 1);
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3c 0f 00 03 61 2f 62 00 01 05 02 00 00 00 01 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");
        d.server("70 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=2 rc=0x00"});
    });
}

TEST_CASE("v5 [MQTT-4.3.3-8] a received QoS 2 PUBLISH is answered with PUBREC of its Packet Identifier") {
    run_script([](driver& d) {
        up(d);
        d.server("34 0a 00 03 61 2f 62 0a 0b 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=2571 p=hi"});
        CHECK(d.sent() == "50 02 0a 0b");
    });
}

TEST_CASE("v5 [MQTT-4.3.3-9] after PUBREC 0x80 or more, a PUBLISH with that identifier is a new message") {
    run_script([](driver& d) {
        connect_options o = options();
        o.manual_acks = true;
        up(d, "", o);
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi"});
        REQUIRE(d.c().ack(5, reason_code::quota_exceeded));
        CHECK(d.sent() == "50 03 00 05 97");
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi"});
        REQUIRE(d.c().ack(5));
        CHECK(d.sent() == "50 02 00 05");
        // Accepted this time: now a repeat is a duplicate.
        d.server("3c 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{});
        CHECK(d.sent() == "50 02 00 05");
    });
}

TEST_CASE("v5 [MQTT-4.3.3-10] a QoS 2 PUBLISH repeated before PUBREL is not delivered again; PUBREC is sent again") {
    run_script([](driver& d) {
        up(d);
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi"});
        CHECK(d.sent() == "50 02 00 05");
        d.server("3c 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{});
        CHECK(d.sent() == "50 02 00 05");
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");  // even with DUP 0
        CHECK(d.events() == lines{});
        CHECK(d.sent() == "50 02 00 05");
        d.server("62 02 00 05");
        CHECK(d.sent() == "70 02 00 05");
        CHECK(d.events() == lines{});
    });
}

TEST_CASE("v5 [MQTT-4.3.3-11] PUBREL is answered with PUBCOMP of the same identifier (0x92 when unknown)") {
    run_script([](driver& d) {
        up(d);
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi"});
        CHECK(d.sent() == "50 02 00 05");
        d.server("62 02 00 05");
        CHECK(d.sent() == "70 02 00 05");
        d.server("62 02 00 05");  // now unknown
        CHECK(d.sent() == "70 03 00 05 92");
        d.server("62 02 00 09");
        CHECK(d.sent() == "70 03 00 09 92");
        CHECK(d.events() == lines{});
        CHECK(d.c().state() == client_state::connected);
    });
}

TEST_CASE("v5 [MQTT-4.3.3-12] after PUBCOMP, a QoS 2 PUBLISH with the same identifier is a new message") {
    run_script([](driver& d) {
        up(d);
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.sent() == "50 02 00 05");
        d.server("62 02 00 05");
        CHECK(d.sent() == "70 02 00 05");
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        CHECK(d.sent() == "50 02 00 05");
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi", "message t=a/b q=2 id=5 p=hi"});
    });
}

TEST_CASE("v5 [MQTT-4.3.3-13] the QoS 2 exchange completes although the message expired") {
    run_script([](driver& d) {
        up(d);
        d.server("34 0f 00 03 61 2f 62 00 05 05 02 00 00 00 01 68 69");  // Message Expiry Interval 1 s
        CHECK(d.events() == lines{"message t=a/b q=2 id=5 p=hi"});
        CHECK(d.sent() == "50 02 00 05");
        d.tick(25'000);
        CHECK(d.sent() == "");
        d.server("62 02 00 05");
        CHECK(d.sent() == "70 02 00 05");
    });
}

// ---- 4.4 Message delivery retry ---------------------------------------------------------------

TEST_CASE("v5 [MQTT-4.4.0-1] unacknowledged PUBLISH and PUBREL are resent on a resumed session only") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(pub(d, hi(qos::exactly_once)) == 3);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69 "
                          "34 0a 00 03 61 2f 62 00 03 00 68 69");
        d.server("50 02 00 02");
        CHECK(d.sent() == "62 02 00 02");
        // Not at any other time: keep alive runs, nothing is resent.
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        d.server("d0 00");
        d.tick(60'000);
        CHECK(d.sent() == "c0 00");
        d.server("d0 00");
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "62 02 00 02 3a 0a 00 03 61 2f 62 00 01 00 68 69 3c 0a 00 03 61 2f 62 00 03 00 68 69");
        d.server("40 02 00 01");
        d.server("70 02 00 02");
        d.server("50 02 00 03");
        CHECK(d.sent() == "62 02 00 03");
        d.server("70 02 00 03");
        CHECK(d.events() == lines{"completed id=1 q=1 rc=0x00", "completed id=2 q=2 rc=0x00", "completed id=3 q=2 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}

TEST_CASE("v5 [MQTT-4.4.0-2] PUBACK or PUBREC of 0x80 or more ends the message: publish_failed_event, never resent") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69");
        d.server("40 03 00 01 80");
        CHECK(d.events() == lines{"failed id=1 q=1 rc=0x80"});
        d.server("50 03 00 02 87");
        CHECK(d.events() == lines{"failed id=2 q=2 rc=0x87"});
        CHECK(d.sent() == "");  // no PUBREL
        CHECK(d.c().messages_in_store() == 0);
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "");
    });
}

TEST_CASE("v5 [MQTT-4.5.0-2] received messages are acknowledged even on topics never subscribed to") {
    run_script([](driver& d) {
        up(d);
        d.server("32 0a 00 03 78 2f 79 00 05 00 68 69");
        d.server("34 0a 00 03 78 2f 79 00 06 00 68 69");
        CHECK(d.sent() == "40 02 00 05 50 02 00 06");
        CHECK(d.events() == lines{"message t=x/y q=1 id=5 p=hi", "message t=x/y q=2 id=6 p=hi"});
    });
}

// ---- 4.6 Message ordering ---------------------------------------------------------------------

TEST_CASE("v5 [MQTT-4.6.0-1] resent PUBLISH packets keep their original order") {
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, msg("x", "1", qos::at_least_once)) == 1);
        CHECK(pub(d, msg("x", "2", qos::exactly_once)) == 2);
        CHECK(pub(d, msg("x", "3", qos::at_least_once)) == 3);
        CHECK(d.sent() == "32 07 00 01 78 00 01 00 31 34 07 00 01 78 00 02 00 32 32 07 00 01 78 00 03 00 33");
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3a 07 00 01 78 00 01 00 31 3c 07 00 01 78 00 02 00 32 3a 07 00 01 78 00 03 00 33");
    });
}

TEST_CASE("v5 [MQTT-4.6.0-2] PUBACKs go out in the order the PUBLISH packets arrived (manual acknowledgement)") {
    run_script([](driver& d) {
        connect_options o = options();
        o.manual_acks = true;
        up(d, "", o);
        d.server("32 0a 00 03 61 2f 62 00 05 00 68 69");
        d.server("32 0a 00 03 61 2f 62 00 06 00 68 69");
        d.server("32 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events().size() == 3);
        CHECK(d.sent() == "");
        REQUIRE(d.c().ack(7));
        CHECK(d.sent() == "");  // held back by 5 and 6
        REQUIRE(d.c().ack(5));
        CHECK(d.sent() == "40 02 00 05");
        CHECK(refused(d.c().ack(5)) == errc::packet_id_not_pending);
        REQUIRE(d.c().ack(6));
        CHECK(d.sent() == "40 02 00 06 40 02 00 07");
    });
}

TEST_CASE("v5 [MQTT-4.6.0-3] PUBRECs go out in the order the PUBLISH packets arrived (manual acknowledgement)") {
    run_script([](driver& d) {
        connect_options o = options();
        o.manual_acks = true;
        up(d, "", o);
        d.server("34 0a 00 03 61 2f 62 00 05 00 68 69");
        d.server("32 0a 00 03 61 2f 62 00 06 00 68 69");
        d.server("34 0a 00 03 61 2f 62 00 07 00 68 69");
        CHECK(d.events().size() == 3);
        REQUIRE(d.c().ack(7));
        REQUIRE(d.c().ack(6));
        CHECK(d.sent() == "");
        REQUIRE(d.c().ack(5));
        CHECK(d.sent() == "50 02 00 05 40 02 00 06 50 02 00 07");
    });
}

TEST_CASE("v5 [MQTT-4.6.0-4] PUBRELs go out in the order the PUBRECs arrived") {
    run_script([](driver& d) {
        up(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(pub(d, hi(qos::exactly_once)) == 3);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69 "
                          "34 0a 00 03 61 2f 62 00 03 00 68 69");
        d.server("50 02 00 03");
        d.server("50 02 00 01");
        d.server("50 02 00 02");
        CHECK(d.sent() == "62 02 00 03 62 02 00 01 62 02 00 02");
    });
}

TEST_CASE("v5 [MQTT-4.6.0-4] PUBRELs resent on a resumed session keep the order of the PUBRECs") {
    // Not implemented: the session store keeps messages in publish order, and resends PUBRELs in it.
    run_script([](driver& d) {
        up_session(d);
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(pub(d, hi(qos::exactly_once)) == 2);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69 34 0a 00 03 61 2f 62 00 02 00 68 69");
        d.server("50 02 00 02");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 02 62 02 00 01");
        resume(d, true);
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "62 02 00 02 62 02 00 01");
    });
}

// ---- 4.9 Flow control -------------------------------------------------------------------------

TEST_CASE("v5 [MQTT-4.9.0-1] the send quota starts at the server's Receive Maximum on every connection") {
    run_script([](driver& d) {
        up_session(d, "21 00 03");
        for (std::uint16_t id = 1; id <= 4; ++id) CHECK(pub(d, hi(qos::at_least_once)) == id);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69 32 0a 00 03 61 2f 62 00 02 00 68 69 "
                          "32 0a 00 03 61 2f 62 00 03 00 68 69");
        CHECK(d.c().messages_in_flight() == 3);
        resume(d, true, "21 00 01");
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3a 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("40 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.sent() == "3a 0a 00 03 61 2f 62 00 02 00 68 69");
        resume(d, true);  // no Receive Maximum: 65,535
        CHECK(d.events() == lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "3a 0a 00 03 61 2f 62 00 02 00 68 69 3a 0a 00 03 61 2f 62 00 03 00 68 69 "
                          "32 0a 00 03 61 2f 62 00 04 00 68 69");
    });
}

TEST_CASE("v5 [MQTT-4.9.0-2] each QoS 1 and 2 PUBLISH uses quota until PUBACK or PUBCOMP; none is sent at zero") {
    run_script([](driver& d) {
        up(d, "21 00 02");
        CHECK(pub(d, hi(qos::exactly_once)) == 1);
        CHECK(pub(d, hi(qos::at_least_once)) == 2);
        CHECK(pub(d, hi(qos::at_least_once)) == 3);
        CHECK(pub(d, hi(qos::exactly_once)) == 4);
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 01 00 68 69 32 0a 00 03 61 2f 62 00 02 00 68 69");
        d.server("50 02 00 01");
        CHECK(d.sent() == "62 02 00 01");  // PUBREC: the quota is still used
        d.server("70 02 00 01");
        CHECK(d.events() == lines{"completed id=1 q=2 rc=0x00"});
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 03 00 68 69");
        d.server("40 03 00 02 80");  // a failure frees quota too
        CHECK(d.events() == lines{"failed id=2 q=1 rc=0x80"});
        CHECK(d.sent() == "34 0a 00 03 61 2f 62 00 04 00 68 69");
        d.server("50 03 00 04 97");  // PUBREC 0x80 or more frees it
        CHECK(d.events() == lines{"failed id=4 q=2 rc=0x97"});
        CHECK(d.c().messages_in_flight() == 1);
    });
}

TEST_CASE("v5 [MQTT-4.9.0-3] at zero send quota the client still handles and answers every other packet") {
    run_script([](driver& d) {
        up(d, "21 00 01");
        CHECK(pub(d, hi(qos::at_least_once)) == 1);
        CHECK(pub(d, hi(qos::at_least_once)) == 2);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("32 0a 00 03 61 2f 62 00 09 00 68 69");
        CHECK(d.sent() == "40 02 00 09");
        d.server("34 0a 00 03 61 2f 62 00 0a 00 68 69");
        CHECK(d.sent() == "50 02 00 0a");
        d.server("62 02 00 0a");
        CHECK(d.sent() == "70 02 00 0a");
        d.server("50 02 00 0b");
        CHECK(d.sent() == "62 03 00 0b 92");
        CHECK(d.events() == lines{"message t=a/b q=1 id=9 p=hi", "message t=a/b q=2 id=10 p=hi"});
        const auto s = d.c().subscribe(sub("a/+"));
        REQUIRE(s);
        CHECK(d.sent() == "82 09 00 03 00 00 03 61 2f 2b 01");
        d.server("90 04 00 03 00 01");
        CHECK(d.events() == lines{"suback id=3 rc=01"});
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        d.server("d0 00");
        CHECK(d.c().messages_in_store() == 2);
        CHECK(d.c().messages_in_flight() == 1);
    });
}

// ---- SUBACK and UNSUBACK ----------------------------------------------------------------------

TEST_CASE("v5 [MQTT-3.8.4-6] a SUBACK with another number of reason codes than filters is a protocol error") {
    run_script([](driver& d) {
        up(d);
        REQUIRE(d.c().subscribe(sub("a/+")));
        CHECK(d.sent() == "82 09 00 01 00 00 03 61 2f 2b 01");
        d.server("90 05 00 01 00 01 01");
        CHECK(d.events() == lines{"error suback_count_mismatch rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
    run_script([](driver& d) {
        up(d);
        REQUIRE(d.c().subscribe(sub("a/+")));
        CHECK(d.sent() == "82 09 00 01 00 00 03 61 2f 2b 01");
        d.server("90 04 00 01 00 01");
        CHECK(d.events() == lines{"suback id=1 rc=01"});
    });
}

TEST_CASE("v5 [client] an UNSUBACK with another number of reason codes than filters is a protocol error") {
    run_script([](driver& d) {
        up(d);
        const std::array<text_view, 1> filters{"a/+"};
        REQUIRE(d.c().unsubscribe(filters));
        CHECK(d.sent() == "a2 08 00 01 00 00 03 61 2f 2b");
        d.server("b0 05 00 01 00 00 11");
        CHECK(d.events() == lines{"error unsuback_count_mismatch rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
    run_script([](driver& d) {
        up(d);
        const std::array<text_view, 1> filters{"a/+"};
        REQUIRE(d.c().unsubscribe(filters));
        CHECK(d.sent() == "a2 08 00 01 00 00 03 61 2f 2b");
        d.server("b0 04 00 01 00 11");
        CHECK(d.events() == lines{"unsuback id=1 rc=11"});
    });
}

// ---- 4.12 Enhanced authentication -------------------------------------------------------------

TEST_CASE("v5 [MQTT-4.12.0-3] during connect the client answers AUTH with Continue authentication (0x18) only") {
    run_script([](driver& d) {
        d.open();
        REQUIRE(d.c().connect(auth_options()));
        CHECK(d.sent() == connect_hex(0x02, auth_limits));
        d.server("f0 0b 18 09 15 00 01 4d 16 00 02 63 64");
        CHECK(d.events() == lines{"auth rc=0x18 data=cd"});
        CHECK(refused(d.c().auth(reason_code::success, bytes_view("ef"))) == errc::auth_reason_code_invalid);
        CHECK(refused(d.c().auth(reason_code::re_authenticate, bytes_view("ef"))) == errc::auth_reason_code_invalid);
        CHECK(d.sent() == "");
        REQUIRE(d.c().auth(reason_code::continue_authentication, bytes_view("ef")));
        CHECK(d.sent() == "f0 0b 18 09 15 00 01 4d 16 00 02 65 66");
        d.server(connack_v5(false, 0, "15 00 01 4d 16 00 02 67 68"));
        CHECK(d.events() == lines{"connected sp=0 ka=30"});
        CHECK(d.c().state() == client_state::connected);
    });
}

TEST_CASE("v5 [MQTT-4.12.0-5] every AUTH the client sends carries the CONNECT's Authentication Method") {
    run_script([](driver& d) {
        d.open();
        connect_options o = auth_options();
        o.authentication_data = bytes_view("ab");
        REQUIRE(d.c().connect(o));
        CHECK(d.sent() == connect_hex(0x02, "21 00 04 22 00 03 15 00 01 4d 16 00 02 61 62"));
        d.server("f0 06 18 04 15 00 01 4d");  // Continue, no data
        CHECK(d.events() == lines{"auth rc=0x18 data="});
        REQUIRE(d.c().auth(reason_code::continue_authentication, bytes_view()));
        CHECK(d.sent() == "f0 06 18 04 15 00 01 4d");
        d.server(connack_v5(false, 0, "15 00 01 4d"));
        CHECK(d.events() == lines{"connected sp=0 ka=30"});
        const bytes both = hex("15 00 01 4e");
        CHECK(refused(d.c().auth(reason_code::re_authenticate, bytes_view(), properties(view(both)))) ==
              errc::property_duplicate);
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view("x")));
        CHECK(d.sent() == "f0 0a 19 08 15 00 01 4d 16 00 01 78");
    });
}

TEST_CASE("v5 [MQTT-4.12.0-5] a server AUTH with another Authentication Method is a protocol error") {
    run_script([](driver& d) {  // during connect
        d.open();
        REQUIRE(d.c().connect(auth_options()));
        CHECK(d.sent() == connect_hex(0x02, auth_limits));
        d.server("f0 06 18 04 15 00 01 4e");
        CHECK(d.events() == lines{"error authentication_method_mismatch rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
    run_script([](driver& d) {  // during re-authentication
        up(d, "15 00 01 4d", auth_options(), connect_hex(0x02, auth_limits));
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view()));
        CHECK(d.sent() == "f0 06 19 04 15 00 01 4d");
        d.server("f0 06 00 04 15 00 01 4e");
        CHECK(d.events() == lines{"error authentication_method_mismatch rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
}

TEST_CASE("v5 [MQTT-4.12.0-5] a successful CONNACK without the CONNECT's Authentication Method is a protocol error") {
    for (const std::string_view props : {std::string_view(""), std::string_view("15 00 01 4e")}) {
        run_script([props](driver& d) {
            d.open();
            REQUIRE(d.c().connect(auth_options()));
            CHECK(d.sent() == connect_hex(0x02, auth_limits));
            d.server(connack_v5(false, 0, props));
            CHECK(d.events() == lines{"error authentication_method_mismatch rc=0x82"});
            CHECK(d.sent() == "e0 01 82");
            check_failed(d);
        });
    }
}

TEST_CASE("v5 [MQTT-4.12.0-7] without an Authentication Method in CONNECT the client sends no AUTH") {
    run_script([](driver& d) {
        d.open();
        REQUIRE(d.c().connect(options()));
        CHECK(d.sent() == connect_hex(0x02));
        CHECK(refused(d.c().auth(reason_code::continue_authentication, bytes_view("ab"))) ==
              errc::authentication_not_started);
        d.server(connack_v5());
        CHECK(d.events() == lines{"connected sp=0 ka=30"});
        CHECK(refused(d.c().auth(reason_code::re_authenticate, bytes_view())) == errc::authentication_not_started);
        CHECK(refused(d.c().auth(reason_code::continue_authentication, bytes_view())) == errc::authentication_not_started);
        CHECK(d.sent() == "");
        // A server AUTH is unexpected then.
        d.server("f0 06 18 04 15 00 01 4d");
        CHECK(d.events() == lines{"error packet_unexpected rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
    });
    run_script([](driver& d) {  // and so is an Authentication Method in CONNACK
        d.open();
        REQUIRE(d.c().connect(options()));
        CHECK(d.sent() == connect_hex(0x02));
        d.server(connack_v5(false, 0, "15 00 01 4d"));
        CHECK(d.events() == lines{"error packet_unexpected rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
    });
}

TEST_CASE("v5 [MQTT-4.12.1-1] re-authentication (0x19) uses the Authentication Method of the CONNECT") {
    run_script([](driver& d) {
        up(d, "15 00 01 4d", auth_options(), connect_hex(0x02, auth_limits));
        CHECK(refused(d.c().auth(reason_code::continue_authentication, bytes_view())) == errc::auth_reason_code_invalid);
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view("gh")));
        CHECK(d.sent() == "f0 0b 19 09 15 00 01 4d 16 00 02 67 68");
        CHECK(refused(d.c().auth(reason_code::re_authenticate, bytes_view())) == errc::auth_reason_code_invalid);
        d.server("f0 0b 18 09 15 00 01 4d 16 00 02 69 6a");
        CHECK(d.events() == lines{"auth rc=0x18 data=ij"});
        // The session goes on meanwhile.
        CHECK(pub(d, hi(qos::at_most_once)) == 0);
        CHECK(d.sent() == "30 08 00 03 61 2f 62 00 68 69");
        REQUIRE(d.c().auth(reason_code::continue_authentication, bytes_view("kl")));
        CHECK(d.sent() == "f0 0b 18 09 15 00 01 4d 16 00 02 6b 6c");
        d.server("f0 06 00 04 15 00 01 4d");
        CHECK(d.events() == lines{"auth rc=0x00 data="});
        CHECK(refused(d.c().auth(reason_code::continue_authentication, bytes_view())) == errc::auth_reason_code_invalid);
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view()));  // again
        CHECK(d.sent() == "f0 06 19 04 15 00 01 4d");
    });
}

TEST_CASE("v5 [MQTT-4.12.1-2] a failed re-authentication ends the connection") {
    run_script([](driver& d) {  // the server says so with DISCONNECT
        up(d, "15 00 01 4d", auth_options(), connect_hex(0x02, auth_limits));
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view()));
        CHECK(d.sent() == "f0 06 19 04 15 00 01 4d");
        d.server("e0 01 87");
        CHECK(d.events() == lines{"disconnected rc=0x87"});
        CHECK(d.sent() == "");
        check_failed(d);
    });
    run_script([](driver& d) {  // the server breaks the exchange (0x19 is the client's): we send DISCONNECT 0x82
        up(d, "15 00 01 4d", auth_options(), connect_hex(0x02, auth_limits));
        REQUIRE(d.c().auth(reason_code::re_authenticate, bytes_view()));
        CHECK(d.sent() == "f0 06 19 04 15 00 01 4d");
        d.server("f0 06 19 04 15 00 01 4d");
        CHECK(d.events() == lines{"error auth_reason_code_invalid rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
        check_failed(d);
    });
    run_script([](driver& d) {  // a server AUTH while no re-authentication runs
        up(d, "15 00 01 4d", auth_options(), connect_hex(0x02, auth_limits));
        d.server("f0 06 00 04 15 00 01 4d");
        CHECK(d.events() == lines{"error packet_unexpected rc=0x82"});
        CHECK(d.sent() == "e0 01 82");
    });
}
