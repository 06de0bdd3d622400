// The client's behaviour over time and across connections, in both protocol versions: keep alive,
// timeouts, commands refused in the wrong state, session resume and loss, a session store of the
// application's own that outlives the client object, manual acknowledgement, streamed messages and
// transmit back-pressure. Scripted transcripts, replayed at every split of the server bytes.
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "client_support.hpp"

using namespace test;

namespace {


using deadline = std::optional<std::uint64_t>;

// What differs between the two versions in these scripts.
struct version_case {
    protocol_version v;

    bool v5() const { return is_v5(v); }

    // Client id "c1", keep alive 30; a session that survives the connection asks for Session
    // Expiry 3600 s in 5.0.
    connect_options options(bool clean_start = true) const {
        connect_options o;
        o.protocol_version = v;
        o.client_id = "c1";
        o.keep_alive = 30;
        o.clean_start = clean_start;
        if (!clean_start && v5()) o.session_expiry_interval = 3600;
        return o;
    }
    // The CONNECT of options(clean_start) with test_config: 5.0 adds Receive Maximum 4 and Topic
    // Alias Maximum 3 (and Session Expiry Interval 3600 without clean start).
    std::string connect_hex(bool clean_start = true) const {
        if (!v5()) {
            return clean_start ? "10 0e 00 04 4d 51 54 54 04 02 00 1e 00 02 63 31"
                               : "10 0e 00 04 4d 51 54 54 04 00 00 1e 00 02 63 31";
        }
        return clean_start ? "10 15 00 04 4d 51 54 54 05 02 00 1e 06 21 00 04 22 00 03 00 02 63 31"
                           : "10 1a 00 04 4d 51 54 54 05 00 00 1e 0b 11 00 00 0e 10 21 00 04 22 00 03 00 02 63 31";
    }
    std::string connack(bool session_present = false, std::string_view props = "") const {
        if (v5()) return connack_v5(session_present, 0, props);
        return session_present ? "20 02 01 00" : std::string(connack_v311_ok);
    }
    // A PUBLISH built by hand (no properties in 5.0).
    std::string publish_hex(std::uint8_t first, std::string_view topic, std::uint16_t id, std::string_view payload) const {
        bytes body = field(topic);
        if (((first >> 1) & 0x03u) != 0) {
            body.push_back(static_cast<std::uint8_t>(id >> 8));
            body.push_back(static_cast<std::uint8_t>(id & 0xFFu));
        }
        if (v5()) body.push_back(0);
        const bytes p = text(payload);
        body.insert(body.end(), p.begin(), p.end());
        return to_hex(view(packet_of(first, body)));
    }
    // What the client sends when it ends the session over an error: 5.0 DISCONNECT with the
    // reason code, nothing in 3.1.1.
    std::string failure_disconnect(std::string_view code) const {
        return v5() ? "e0 01 " + std::string(code) : std::string();
    }
};

constexpr version_case v311{protocol_version::v3_1_1};
constexpr version_case v5{protocol_version::v5};

void connect_ok(driver& d, const version_case& vc, bool clean_start = true) {
    CHECK(connect_with(d, vc.options(clean_start), vc.connect_hex(clean_start), vc.connack()) ==
          lines{"connected sp=0 ka=30"});
    REQUIRE(d.c().state() == client_state::connected);
}


template <class R>
void check_refused(driver& d, const R& r, errc code = errc::state_invalid) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == code);
    CHECK(r.error().category == error_category::local);
    CHECK(d.c().tx_data().empty());
}

const subscription sub_a{"a/#", qos::at_least_once};
const text_view filter_a = "a/#";

// run_script for clients the script builds itself (a different Config, an external store):
// calls `script` with each feed mode.
void for_each_feed_mode(const std::function<void(feed_mode)>& script, std::size_t max_split = 64) {
    {
        INFO("server bytes fed whole");
        script(feed_mode{});
    }
    for (std::size_t k = 1; k <= max_split; ++k) {
        INFO("server bytes split at " << k);
        script(feed_mode{k, false});
    }
    {
        INFO("server bytes fed byte by byte");
        script(feed_mode{0, true});
    }
}

std::string repeated(std::string_view s, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += s;
    return out;
}

}  // namespace

// ---- keep alive ---------------------------------------------------------------------------

namespace {

void keep_alive_script(const version_case& vc) {
    run_script([vc](driver& d) {
        CHECK(d.c().next_deadline() == deadline());
        d.open();
        CHECK(d.c().next_deadline() == deadline());
        d.tick(1'000);
        REQUIRE(d.c().connect(vc.options()));
        // Waiting for CONNACK: the response timeout (10 s by default).
        CHECK(d.c().next_deadline() == deadline(11'000));
        CHECK(d.sent() == vc.connect_hex());
        d.tick(2'000);
        d.server(vc.connack());
        CHECK(events(d) == lines{"connected sp=0 ka=30"});
        // Keep alive counts from the last packet sent: CONNECT, taken at 1 s.
        CHECK(d.c().keep_alive() == 30);
        CHECK(d.c().next_deadline() == deadline(31'000));
        // A packet sent restarts the interval; one received does not.
        d.tick(20'000);
        REQUIRE(d.c().publish(message("hi", qos::at_least_once)));
        (void)d.sent();
        CHECK(d.c().next_deadline() == deadline(50'000));
        d.tick(25'000);
        d.server(vc.publish_hex(0x30, "t", 0, "x"));
        CHECK(events(d) == lines{"message t=t q=0 id=0 p=x"});
        CHECK(d.c().next_deadline() == deadline(50'000));
        d.tick(49'999);
        CHECK(d.sent().empty());
        d.tick(50'000);
        CHECK(d.sent() == "c0 00");
        CHECK(d.c().next_deadline() == deadline(60'000));
        // Only one PINGREQ at a time.
        d.tick(55'000);
        CHECK(d.sent().empty());
        d.server("d0 00");
        CHECK(events(d).empty());
        CHECK(d.c().next_deadline() == deadline(80'000));
        // An acknowledgement the client sends counts as sending too.
        d.tick(70'000);
        d.server("40 02 00 01");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.c().next_deadline() == deadline(80'000));
        d.server(vc.publish_hex(0x32, "t", 9, "x"));
        CHECK(events(d) == lines{"message t=t q=1 id=9 p=x"});
        CHECK(d.sent() == "40 02 00 09");
        CHECK(d.c().next_deadline() == deadline(100'000));
        d.tick(100'000);
        CHECK(d.sent() == "c0 00");
    });
}

void keep_alive_off_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_options o = vc.options();
        o.keep_alive = 0;
        const std::string connect_bytes = vc.v5() ? "10 15 00 04 4d 51 54 54 05 02 00 00 06 21 00 04 22 00 03 00 02 63 31"
                                                  : "10 0e 00 04 4d 51 54 54 04 02 00 00 00 02 63 31";
        CHECK(connect_with(d, o, connect_bytes, vc.connack()) == lines{"connected sp=0 ka=0"});
        CHECK(d.c().next_deadline() == deadline());
        d.tick(10'000'000);
        CHECK(d.sent().empty());
        CHECK(d.c().state() == client_state::connected);
    });
}

void ping_timeout_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_options o = vc.options();
        o.response_timeout_ms = 2'000;
        CHECK(connect_with(d, o, vc.connect_hex(), vc.connack()) == lines{"connected sp=0 ka=30"});
        d.tick(30'000);
        CHECK(d.sent() == "c0 00");
        CHECK(d.c().next_deadline() == deadline(32'000));
        d.tick(31'999);
        CHECK(events(d).empty());
        CHECK(d.sent().empty());
        d.tick(32'000);
        CHECK(events(d) == lines{"error ping_timeout rc=0x8d"});
        // 0x8D is the server's code: the client's DISCONNECT says Unspecified error.
        CHECK(d.sent() == vc.failure_disconnect("80"));
        CHECK(d.c().state() == client_state::closed);
        CHECK(d.c().next_deadline() == deadline());
        // A late PINGRESP changes nothing.
        d.server("d0 00");
        CHECK(events(d).empty());
        d.tick(100'000);
        CHECK(events(d).empty());
        CHECK(d.sent().empty());
    });
}

void connack_timeout_script(const version_case& vc) {
    run_script([vc](driver& d) {
        d.open();
        d.tick(500);
        connect_options o = vc.options();
        o.response_timeout_ms = 5'000;
        REQUIRE(d.c().connect(o));
        CHECK(d.sent() == vc.connect_hex());
        CHECK(d.c().next_deadline() == deadline(5'500));
        d.tick(5'499);
        CHECK(events(d).empty());
        d.tick(5'500);
        CHECK(events(d) == lines{"error connack_timeout rc=0x88"});
        CHECK(d.sent() == vc.failure_disconnect("80"));
        CHECK(d.c().state() == client_state::closed);
        CHECK(d.c().next_deadline() == deadline());
        // The CONNACK arriving late is dropped.
        d.server(vc.connack());
        CHECK(events(d).empty());
        CHECK(d.sent().empty());
        // A new connection starts over.
        d.c().transport_closed();
        connect_ok(d, vc);
    });
}

}  // namespace

TEST_CASE("v5 [MQTT-3.1.2-20] keep alive: PINGREQ after Keep Alive seconds without sending; sending restarts it") {
    keep_alive_script(v5);
}
TEST_CASE("v3.1.1 [client] keep alive: PINGREQ after Keep Alive seconds without sending; sending restarts it") {
    keep_alive_script(v311);
}
TEST_CASE("v5 [client] keep alive 0 runs no timer") { keep_alive_off_script(v5); }
TEST_CASE("v3.1.1 [client] keep alive 0 runs no timer") { keep_alive_off_script(v311); }

TEST_CASE("v5 [MQTT-3.1.2-21] [MQTT-3.2.2-21] Server Keep Alive in CONNACK replaces the Keep Alive the client asked for") {
    run_script([](driver& d) {
        d.tick(0);
        CHECK(connect_with(d, v5.options(), v5.connect_hex(), v5.connack(false, "13 00 05")) ==
              lines{"connected sp=0 ka=5"});
        CHECK(d.c().keep_alive() == 5);
        CHECK(d.c().next_deadline() == deadline(5'000));
        d.tick(4'999);
        CHECK(d.sent().empty());
        d.tick(5'000);
        CHECK(d.sent() == "c0 00");
        d.server("d0 00");
        CHECK(d.c().next_deadline() == deadline(10'000));
        d.c().transport_closed();
        // Server Keep Alive 0 turns keep alive off.
        CHECK(connect_with(d, v5.options(), v5.connect_hex(), v5.connack(false, "13 00 00")) ==
              lines{"connected sp=0 ka=0"});
        CHECK(d.c().next_deadline() == deadline());
        d.tick(1'000'000);
        CHECK(d.sent().empty());
    });
}

TEST_CASE("v5 [client] no PINGRESP within the response timeout: connection_failed_event ping_timeout and DISCONNECT") {
    ping_timeout_script(v5);
}
TEST_CASE("v3.1.1 [client] no PINGRESP within the response timeout: connection_failed_event ping_timeout") {
    ping_timeout_script(v311);
}
namespace {

void connect_before_first_tick(protocol_version v) {
    client<test_config> c;
    REQUIRE(c.transport_opened());
    connect_options o;
    o.protocol_version = v;
    o.client_id = "c";
    o.response_timeout_ms = 5'000;
    REQUIRE(c.connect(o));
    const std::uint64_t boot = 1'000'000'000'000;  // a monotonic clock far from 0
    c.tick(boot);
    CHECK_FALSE(c.poll_event().has_value());
    CHECK(c.state() == client_state::connecting);
    CHECK(c.next_deadline() == std::optional<std::uint64_t>(boot + 5'000));
    c.tick(boot + 4'999);
    CHECK_FALSE(c.poll_event().has_value());
    c.tick(boot + 5'000);
    const auto e = c.poll_event();
    REQUIRE(e.has_value());
    const auto* failed = std::get_if<connection_failed_event>(&*e);
    REQUIRE(failed != nullptr);
    CHECK(failed->error.code == errc::connack_timeout);
}

}  // namespace

TEST_CASE("v5 [client] a CONNECT sent before the first tick() gets its whole response timeout from the first clock reading") {
    connect_before_first_tick(protocol_version::v5);
}
TEST_CASE("v3.1.1 [client] a CONNECT sent before the first tick() gets its whole response timeout from the first clock reading") {
    connect_before_first_tick(protocol_version::v3_1_1);
}

TEST_CASE("v5 [client] no CONNACK within the response timeout: connection_failed_event connack_timeout") {
    connack_timeout_script(v5);
}
TEST_CASE("v3.1.1 [client] no CONNACK within the response timeout: connection_failed_event connack_timeout") {
    connack_timeout_script(v311);
}

// ---- commands in the wrong state ----------------------------------------------------------

namespace {

void wrong_state_script(const version_case& vc) {
    run_script([vc](driver& d) {
        client_core& c = d.c();
        const auto refuse_all_sending = [&] {
            check_refused(d, c.publish(message("hi", qos::at_most_once)));
            check_refused(d, c.publish(message("hi", qos::at_least_once)));
            check_refused(d, c.subscribe(subscription_list(&sub_a, 1)));
            check_refused(d, c.unsubscribe(topic_filter_list(&filter_a, 1)));
            check_refused(d, c.ack(1));
            CHECK(c.messages_in_store() == 0);
        };
        // Idle: no transport.
        CHECK(c.state() == client_state::idle);
        check_refused(d, c.connect(vc.options()));
        check_refused(d, c.disconnect());
        refuse_all_sending();
        CHECK(c.state() == client_state::idle);
        // Open: only connect().
        d.open();
        check_refused(d, c.transport_opened());
        check_refused(d, c.disconnect());
        refuse_all_sending();
        CHECK(c.state() == client_state::open);
        CHECK(d.sent().empty());
        // Connecting: CONNECT once.
        REQUIRE(c.connect(vc.options()));
        CHECK(d.sent() == vc.connect_hex());
        check_refused(d, c.connect(vc.options()));
        check_refused(d, c.transport_opened());
        refuse_all_sending();
        CHECK(c.state() == client_state::connecting);
        // Connected: no second CONNECT, no second transport.
        d.server(vc.connack());
        CHECK(events(d) == lines{"connected sp=0 ka=30"});
        check_refused(d, c.connect(vc.options()));
        check_refused(d, c.transport_opened());
        check_refused(d, c.ack(1), errc::packet_id_not_pending);
        CHECK(c.state() == client_state::connected);
        CHECK(d.sent().empty());
        // Still fully usable.
        REQUIRE(c.publish(message("hi", qos::at_least_once)));
        CHECK(d.sent() == vc.publish_hex(0x32, "a/b", 1, "hi"));
        // Closed by the server: nothing is allowed until the transport is closed.
        d.server(vc.v5() ? "e0 01 8b" : "20 02 00 00");
        CHECK(events(d) == (vc.v5() ? lines{"disconnected rc=0x8b"} : lines{"error packet_unexpected rc=0x82"}));
        CHECK(c.state() == client_state::closed);
        check_refused(d, c.connect(vc.options()));
        check_refused(d, c.transport_opened());
        check_refused(d, c.disconnect());
        check_refused(d, c.publish(message("hi", qos::at_most_once)));
        check_refused(d, c.subscribe(subscription_list(&sub_a, 1)));
        CHECK(c.messages_in_store() == 1);
        CHECK(c.state() == client_state::closed);
        CHECK(d.sent().empty());
        c.transport_closed();
        CHECK(c.state() == client_state::idle);
    });
}

}  // namespace

TEST_CASE("v5 [client] commands refused in the wrong state with state_invalid change nothing") {
    wrong_state_script(v5);
}
TEST_CASE("v3.1.1 [client] commands refused in the wrong state with state_invalid change nothing") {
    wrong_state_script(v311);
}

// ---- session resume and loss --------------------------------------------------------------

namespace {

void resume_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_ok(d, vc, false);
        REQUIRE(d.c().publish(message("a", qos::at_least_once)));
        REQUIRE(d.c().publish(message("b", qos::exactly_once)));
        REQUIRE(d.c().publish(message("c", qos::exactly_once)));
        REQUIRE(d.c().publish(message("d", qos::at_least_once)));
        CHECK(d.sent() == vc.publish_hex(0x32, "a/b", 1, "a") + " " + vc.publish_hex(0x34, "a/b", 2, "b") + " " +
                              vc.publish_hex(0x34, "a/b", 3, "c") + " " + vc.publish_hex(0x32, "a/b", 4, "d"));
        d.server("50 02 00 02");
        CHECK(d.sent() == "62 02 00 02");
        d.server("40 02 00 04");
        CHECK(events(d) == lines{"completed id=4 q=1 rc=0x00"});
        CHECK(d.c().messages_in_store() == 3);
        // The connection is lost.
        d.c().transport_closed();
        CHECK(events(d).empty());
        CHECK(d.c().messages_in_store() == 3);
        CHECK(connect_with(d, vc.options(false), vc.connect_hex(false), vc.connack(true)) ==
              lines{"connected sp=1 ka=30"});
        // PUBRELs first (in the order of the PUBRECs), then the PUBLISH packets with DUP in their order.
        CHECK(d.sent() == "62 02 00 02 " + vc.publish_hex(0x3a, "a/b", 1, "a") + " " + vc.publish_hex(0x3c, "a/b", 3, "c"));
        d.server("40 02 00 01 70 02 00 02 50 02 00 03");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00", "completed id=2 q=2 rc=0x00"});
        CHECK(d.sent() == "62 02 00 03");
        d.server("70 02 00 03");
        CHECK(events(d) == lines{"completed id=3 q=2 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}

void session_lost_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_ok(d, vc, false);
        REQUIRE(d.c().publish(message("a", qos::at_least_once)));
        REQUIRE(d.c().publish(message("b", qos::exactly_once)));
        REQUIRE(d.c().publish(message("c", qos::exactly_once)));
        (void)d.sent();
        d.server("50 02 00 02");
        CHECK(d.sent() == "62 02 00 02");
        d.server(vc.publish_hex(0x34, "s", 9, "x"));
        CHECK(events(d) == lines{"message t=s q=2 id=9 p=x"});
        CHECK(d.sent() == "50 02 00 09");
        d.c().transport_closed();
        // The server has no session: every stored message is reported lost, nothing is resent.
        CHECK(connect_with(d, vc.options(false), vc.connect_hex(false), vc.connack(false)) ==
              lines{"connected sp=0 ka=30", "failed id=2 q=2 rc=0x80 lost", "failed id=1 q=1 rc=0x80 lost",
                    "failed id=3 q=2 rc=0x80 lost"});
        CHECK(d.sent().empty());
        CHECK(d.c().messages_in_store() == 0);
        // The server's QoS 2 id is forgotten too: the same id is a new message.
        d.server(vc.publish_hex(0x34, "s", 9, "y"));
        CHECK(events(d) == lines{"message t=s q=2 id=9 p=y"});
        CHECK(d.sent() == "50 02 00 09");
        // The new session works.
        const auto id = d.c().publish(message("e", qos::at_least_once));
        REQUIRE(id);
        CHECK(d.sent() == vc.publish_hex(0x32, "a/b", *id, "e"));
    });
}

void clean_start_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_ok(d, vc, false);
        REQUIRE(d.c().publish(message("a", qos::at_least_once)));
        REQUIRE(d.c().publish(message("b", qos::exactly_once)));
        (void)d.sent();
        d.c().transport_closed();
        d.open();
        REQUIRE(d.c().connect(vc.options(true)));
        CHECK(d.sent() == vc.connect_hex(true));
        // Reported as soon as CONNECT is accepted: the old session is gone whatever the server says.
        CHECK(events(d) == lines{"failed id=1 q=1 rc=0x80 lost", "failed id=2 q=2 rc=0x80 lost"});
        CHECK(d.c().messages_in_store() == 0);
        d.server(vc.connack());
        CHECK(events(d) == lines{"connected sp=0 ka=30"});
        CHECK(d.sent().empty());
    });
}

void requests_failed_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_ok(d, vc);
        const auto s = d.c().subscribe(subscription_list(&sub_a, 1));
        const auto u = d.c().unsubscribe(topic_filter_list(&filter_a, 1));
        REQUIRE(s);
        REQUIRE(u);
        (void)d.sent();
        d.c().transport_closed();
        CHECK(events(d) == lines{"request_failed id=1 subscribe", "request_failed id=2 unsubscribe"});
        // Answers to them on the next connection are not answers to anything.
        connect_ok(d, vc);
        d.server(vc.v5() ? "90 04 00 01 00 01" : "90 03 00 01 01");
        CHECK(events(d) == lines{"error packet_id_unknown rc=0x82"});
        CHECK(d.sent() == vc.failure_disconnect("82"));
        d.c().transport_closed();
        CHECK(events(d).empty());
        // The same after the client's own DISCONNECT.
        connect_ok(d, vc);
        const auto again = d.c().subscribe(subscription_list(&sub_a, 1));
        REQUIRE(again);
        (void)d.sent();
        REQUIRE(d.c().disconnect());
        CHECK(d.sent() == "e0 00");
        d.c().transport_closed();
        CHECK(events(d) == lines{"request_failed id=" + std::to_string(*again) + " subscribe"});
    });
}

}  // namespace

TEST_CASE("v5 [MQTT-4.4.0-1] session resume: after a lost connection, Session Present 1 resends PUBLISH with DUP and PUBREL in order") {
    resume_script(v5);
}
TEST_CASE("v3.1.1 [client] session resume: after a lost connection, Session Present 1 resends PUBLISH with DUP and PUBREL in order") {
    resume_script(v311);
}

TEST_CASE("v5 [MQTT-4.9.0-2] session resume: a message held back by the send quota is sent first time with DUP 0") {
    run_script([](driver& d) {
        // Receive Maximum 1: one QoS 1 or 2 message in flight.
        CHECK(connect_with(d, v5.options(false), v5.connect_hex(false), v5.connack(false, "21 00 01")) ==
              lines{"connected sp=0 ka=30"});
        REQUIRE(d.c().publish(message("a", qos::at_least_once)));
        REQUIRE(d.c().publish(message("b", qos::at_least_once)));
        CHECK(d.sent() == v5.publish_hex(0x32, "a/b", 1, "a"));
        CHECK(d.c().messages_in_flight() == 1);
        CHECK(d.c().messages_in_store() == 2);
        d.c().transport_closed();
        CHECK(connect_with(d, v5.options(false), v5.connect_hex(false), v5.connack(true, "21 00 01")) ==
              lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == v5.publish_hex(0x3a, "a/b", 1, "a"));
        d.server("40 02 00 01");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00"});
        CHECK(d.sent() == v5.publish_hex(0x32, "a/b", 2, "b"));
        d.server("40 02 00 02");
        CHECK(events(d) == lines{"completed id=2 q=1 rc=0x00"});
    });
}

TEST_CASE("v5 [MQTT-3.2.2-5] Session Present 0: every stored message is reported publish_failed_event with session_lost") {
    session_lost_script(v5);
}
TEST_CASE("v3.1.1 [client] Session Present 0: every stored message is reported publish_failed_event with session_lost") {
    session_lost_script(v311);
}
TEST_CASE("v5 [MQTT-3.1.2-4] clean start with stored messages reports each of them failed") {
    clean_start_script(v5);
}
TEST_CASE("v3.1.1 [client] clean session with stored messages reports each of them failed") {
    clean_start_script(v311);
}
TEST_CASE("v5 [client] SUBSCRIBE and UNSUBSCRIBE pending when the connection closes end with request_failed_event") {
    requests_failed_script(v5);
}
TEST_CASE("v3.1.1 [client] SUBSCRIBE and UNSUBSCRIBE pending when the connection closes end with request_failed_event") {
    requests_failed_script(v311);
}

// ---- a session store of the application's own ---------------------------------------------

namespace {

// A store laid out like a small flash device: fixed-size slots, each holding one packet, a
// journal of the slots in order, and a table of the server's QoS 2 ids. It outlives the client.
class flash_store final : public session_store {
public:
    static constexpr std::size_t slot_count = 4;
    static constexpr std::size_t slot_size = 64;
    static constexpr std::size_t incoming_slots = 4;

    std::size_t size() const noexcept override { return count_; }
    stored_message at(std::size_t index) const noexcept override {
        const slot& s = slots_[order_[index]];
        return stored_message{s.packet_id, s.state, bytes_view(s.bytes.data(), s.length)};
    }
    bool append(std::uint16_t packet_id, const bytes_view& encoded) noexcept override {
        if (count_ == slot_count || encoded.size() > slot_size) return false;
        std::size_t free = 0;
        while (slots_[free].used) ++free;
        slot& s = slots_[free];
        s.used = true;
        s.packet_id = packet_id;
        s.state = message_state::queued;
        s.length = static_cast<std::uint8_t>(encoded.size());
        for (std::size_t i = 0; i < encoded.size(); ++i) s.bytes[i] = encoded[i];
        order_[count_++] = static_cast<std::uint8_t>(free);
        ++writes_;
        return true;
    }
    void set_state(std::size_t index, message_state state) noexcept override {
        slot& s = slots_[order_[index]];
        s.state = state;
        ++writes_;
        if (state != message_state::released) return;
        s.length = 0;  // the PUBLISH is not needed any more
        // Released messages go first, in the order they were released (the interface's rule).
        std::size_t first = 0;
        while (first < index && slots_[order_[first]].state == message_state::released) ++first;
        const std::uint8_t moved = order_[index];
        for (std::size_t i = index; i > first; --i) order_[i] = order_[i - 1];
        order_[first] = moved;
    }
    void erase(std::size_t index) noexcept override {
        slots_[order_[index]].used = false;
        for (std::size_t i = index; i + 1 < count_; ++i) order_[i] = order_[i + 1];
        --count_;
        ++writes_;
    }
    bool add_incoming(std::uint16_t packet_id) noexcept override {
        if (has_incoming(packet_id)) return true;
        for (std::uint16_t& id : incoming_) {
            if (id == 0) {
                id = packet_id;
                ++writes_;
                return true;
            }
        }
        return false;
    }
    bool has_incoming(std::uint16_t packet_id) const noexcept override {
        for (const std::uint16_t id : incoming_) {
            if (id == packet_id) return true;
        }
        return false;
    }
    void remove_incoming(std::uint16_t packet_id) noexcept override {
        for (std::uint16_t& id : incoming_) {
            if (id == packet_id) id = 0;
        }
        ++writes_;
    }
    std::size_t incoming_size() const noexcept override {
        std::size_t n = 0;
        for (const std::uint16_t id : incoming_) n += id != 0 ? 1 : 0;
        return n;
    }
    std::size_t incoming_capacity() const noexcept override { return incoming_slots; }
    void clear_incoming() noexcept override { incoming_.fill(0); }
    void clear() noexcept override {
        for (slot& s : slots_) s.used = false;
        count_ = 0;
        incoming_.fill(0);
    }

    std::size_t writes() const noexcept { return writes_; }
    // Flash gone bad: the packet of message `index` becomes `bytes`.
    void damage(std::size_t index, const bytes& b) {
        slot& s = slots_[order_[index]];
        s.length = static_cast<std::uint8_t>(b.size());
        for (std::size_t i = 0; i < b.size(); ++i) s.bytes[i] = b[i];
    }

private:
    struct slot {
        bool used = false;
        std::uint16_t packet_id = 0;
        message_state state = message_state::queued;
        std::uint8_t length = 0;
        std::array<std::uint8_t, slot_size> bytes{};
    };
    std::array<slot, slot_count> slots_{};
    std::array<std::uint8_t, slot_count> order_{};
    std::size_t count_ = 0;
    std::array<std::uint16_t, incoming_slots> incoming_{};
    std::size_t writes_ = 0;
};

struct external_store_config : test_config {
    static constexpr bool builtin_session_store = false;
};
using flash_client = client<external_store_config>;

void reboot_script(const version_case& vc) {
    for_each_feed_mode([vc](feed_mode mode) {
        flash_store store;
        {
            auto before = std::make_unique<flash_client>(store);
            driver d(mode, before.get());
            connect_ok(d, vc, false);
            REQUIRE(d.c().publish(message("a", qos::at_least_once)));
            REQUIRE(d.c().publish(message("b", qos::exactly_once)));
            REQUIRE(d.c().publish(message("c", qos::exactly_once)));
            (void)d.sent();
            d.server("50 02 00 02");
            CHECK(d.sent() == "62 02 00 02");
            d.server(vc.publish_hex(0x34, "s", 9, "x"));
            CHECK(events(d) == lines{"message t=s q=2 id=9 p=x"});
            CHECK(d.sent() == "50 02 00 09");
            // A message too large for a slot is refused; the session goes on.
            const auto big = d.c().publish(message(repeated("z", 64), qos::at_least_once));
            REQUIRE_FALSE(big.has_value());
            CHECK(big.error().code == errc::session_store_full);
            CHECK(big.error().category == error_category::resource);
            CHECK(store.size() == 3);
            CHECK(store.writes() != 0);
            // Power off: the client object is gone, the store keeps its contents.
        }
        auto after = std::make_unique<flash_client>(store);
        driver d(mode, after.get());
        CHECK(d.c().messages_in_store() == 3);
        CHECK(connect_with(d, vc.options(false), vc.connect_hex(false), vc.connack(true)) ==
              lines{"connected sp=1 ka=30"});
        CHECK(d.sent() == "62 02 00 02 " + vc.publish_hex(0x3a, "a/b", 1, "a") + " " + vc.publish_hex(0x3c, "a/b", 3, "c"));
        // New messages do not take the ids the store holds.
        const auto id = d.c().publish(message("d", qos::at_least_once));
        REQUIRE(id);
        CHECK(*id == 4);
        CHECK(d.sent() == vc.publish_hex(0x32, "a/b", 4, "d"));
        // The server's QoS 2 message 9 is remembered across the reboot: not delivered twice.
        d.server(vc.publish_hex(0x3c, "s", 9, "x"));
        CHECK(events(d).empty());
        CHECK(d.sent() == "50 02 00 09");
        d.server("62 02 00 09");
        CHECK(d.sent() == "70 02 00 09");
        d.server("40 02 00 01 70 02 00 02 50 02 00 03 40 02 00 04");
        CHECK(events(d) == lines{"completed id=1 q=1 rc=0x00", "completed id=2 q=2 rc=0x00", "completed id=4 q=1 rc=0x00"});
        CHECK(d.sent() == "62 02 00 03");
        d.server("70 02 00 03");
        CHECK(events(d) == lines{"completed id=3 q=2 rc=0x00"});
        CHECK(store.size() == 0);
        CHECK(store.incoming_size() == 0);
    });
}

void damaged_store_script(const version_case& vc) {
    for_each_feed_mode([vc](feed_mode mode) {
        flash_store store;
        {
            auto before = std::make_unique<flash_client>(store);
            driver d(mode, before.get());
            connect_ok(d, vc, false);
            for (const char* payload : {"a", "b", "c", "d"}) REQUIRE(d.c().publish(message(payload, qos::at_least_once)));
            (void)d.sent();
        }
        // Message 1 now holds a PINGREQ, message 3 half of its PUBLISH, message 4 a QoS 3 PUBLISH.
        store.damage(0, hex("c0 00"));
        const bytes third = hex(vc.publish_hex(0x32, "a/b", 3, "c"));
        store.damage(2, bytes(third.begin(), third.begin() + 4));
        bytes fourth = hex(vc.publish_hex(0x32, "a/b", 4, "d"));
        fourth[0] = 0x36;
        store.damage(3, fourth);
        auto after = std::make_unique<flash_client>(store);
        driver d(mode, after.get());
        // Each damaged message fails with 0x83 and is never sent; the intact one is resent. (The
        // QoS reported is what the damaged first byte says: 0 for the PINGREQ, 3 read as 2.)
        CHECK(connect_with(d, vc.options(false), vc.connect_hex(false), vc.connack(true)) ==
              lines{"connected sp=1 ka=30", "failed id=1 q=0 rc=0x83", "failed id=3 q=1 rc=0x83",
                    "failed id=4 q=2 rc=0x83"});
        CHECK(d.sent() == vc.publish_hex(0x3a, "a/b", 2, "b"));
        CHECK(store.size() == 1);
        d.server("40 02 00 02");
        CHECK(events(d) == lines{"completed id=2 q=1 rc=0x00"});
        CHECK(d.c().state() == client_state::connected);
    });
}

}  // namespace

TEST_CASE("v5 [client] a session store that hands back damaged packets loses those messages (0x83), never sends them, and the session goes on") {
    damaged_store_script(v5);
}
TEST_CASE("v3.1.1 [client] a session store that hands back damaged packets loses those messages, never sends them, and the session goes on") {
    damaged_store_script(v311);
}

TEST_CASE("v5 [MQTT-3.1.2-23] an application session store outlives the client object: after a reboot the stored messages are resent") {
    static_assert(sizeof(flash_client) < sizeof(client<test_config>), "no built-in store is paid for");
    reboot_script(v5);
}
TEST_CASE("v3.1.1 [MQTT-3.1.2-4] an application session store outlives the client object: after a reboot the stored messages are resent") {
    reboot_script(v311);
}

// ---- manual acknowledgement ---------------------------------------------------------------

namespace {

void manual_acks_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_options o = vc.options();
        o.manual_acks = true;
        CHECK(connect_with(d, o, vc.connect_hex(), vc.connack()) == lines{"connected sp=0 ka=30"});
        d.server(vc.publish_hex(0x32, "t", 1, "a") + vc.publish_hex(0x34, "t", 2, "b") +
                 vc.publish_hex(0x30, "t", 0, "c") + vc.publish_hex(0x32, "t", 3, "d"));
        CHECK(events(d) == lines{"message t=t q=1 id=1 p=a", "message t=t q=2 id=2 p=b", "message t=t q=0 id=0 p=c",
                                 "message t=t q=1 id=3 p=d"});
        // Nothing until ack(); then in arrival order whatever the order of the calls.
        CHECK(d.sent().empty());
        REQUIRE(d.c().ack(3));
        CHECK(d.sent().empty());
        REQUIRE(d.c().ack(1));
        CHECK(d.sent() == "40 02 00 01");
        REQUIRE(d.c().ack(2));
        CHECK(d.sent() == "50 02 00 02 40 02 00 03");
        check_refused(d, d.c().ack(2), errc::packet_id_not_pending);
        // A QoS 2 repeat before PUBREL: PUBREC again at once, not delivered again.
        d.server(vc.publish_hex(0x3c, "t", 2, "b"));
        CHECK(events(d).empty());
        CHECK(d.sent() == "50 02 00 02");
        d.server("62 02 00 02");
        CHECK(d.sent() == "70 02 00 02");
        // A repeat of a message not acknowledged yet is not delivered again, and its ack waits.
        d.server(vc.publish_hex(0x34, "t", 4, "e"));
        CHECK(events(d) == lines{"message t=t q=2 id=4 p=e"});
        d.server(vc.publish_hex(0x3c, "t", 4, "e"));
        CHECK(events(d).empty());
        CHECK(d.sent().empty());
        REQUIRE(d.c().ack(4));
        CHECK(d.sent() == "50 02 00 04");
        if (vc.v5()) {
            // 5.0: the application may refuse a message with a reason code.
            d.server(vc.publish_hex(0x32, "t", 5, "f") + vc.publish_hex(0x34, "t", 6, "g"));
            CHECK(events(d) == lines{"message t=t q=1 id=5 p=f", "message t=t q=2 id=6 p=g"});
            REQUIRE(d.c().ack(5, reason_code::not_authorized));
            REQUIRE(d.c().ack(6, reason_code::quota_exceeded));
            CHECK(d.sent() == "40 03 00 05 87 50 03 00 06 97");
            // PUBREC 0x80 or more ends the exchange: id 6 is a new message next time.
            d.server(vc.publish_hex(0x34, "t", 6, "h"));
            CHECK(events(d) == lines{"message t=t q=2 id=6 p=h"});
            REQUIRE(d.c().ack(6));
            CHECK(d.sent() == "50 02 00 06");
        } else {
            d.server(vc.publish_hex(0x32, "t", 5, "f"));
            CHECK(events(d) == lines{"message t=t q=1 id=5 p=f"});
            check_refused(d, d.c().ack(5, reason_code::not_authorized), errc::puback_reason_code_invalid);
            REQUIRE(d.c().ack(5));
            CHECK(d.sent() == "40 02 00 05");
        }
    });
}

}  // namespace

TEST_CASE("v5 [MQTT-4.6.0-2] [MQTT-4.6.0-3] manual acknowledgement: acks are sent at ack(), in arrival order") {
    manual_acks_script(v5);
}
TEST_CASE("v3.1.1 [client] manual acknowledgement: acks are sent at ack(), in arrival order") {
    manual_acks_script(v311);
}

TEST_CASE("v5 [MQTT-3.3.4-9] manual acknowledgement: more unacknowledged messages than the Receive Maximum is a protocol error") {
    run_script([](driver& d) {
        connect_options o = v5.options();
        o.manual_acks = true;
        CHECK(connect_with(d, o, v5.connect_hex(), v5.connack()) == lines{"connected sp=0 ka=30"});
        std::string four;
        for (std::uint16_t id = 1; id <= 4; ++id) four += v5.publish_hex(0x32, "t", id, "x");
        d.server(four);
        CHECK(events(d).size() == 4);
        d.server(v5.publish_hex(0x32, "t", 5, "x"));
        CHECK(events(d) == lines{"error receive_maximum_exceeded rc=0x93"});
        CHECK(d.sent() == "e0 01 93");
    });
}

// ---- streamed messages --------------------------------------------------------------------

namespace {

void streaming_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_ok(d, vc);
        const std::string payload = repeated("0123456789", 40);
        const bytes big = hex(vc.publish_hex(0x32, "big/topic", 7, payload));
        REQUIRE(big.size() > 256);
        // All but the last byte: no acknowledgement yet.
        d.server(bytes(big.begin(), big.end() - 1));
        CHECK(events(d).empty());
        CHECK(d.sent().empty());
        d.server(bytes(big.end() - 1, big.end()));
        CHECK(events(d) == lines{"message t=big/topic q=1 id=7 p=" + payload + " streamed"});
        CHECK(d.sent() == "40 02 00 07");
        // QoS 2, and a repeat of it that is read through and not delivered.
        const std::string big2 = vc.publish_hex(0x34, "big/topic", 8, payload);
        d.server(big2);
        CHECK(events(d) == lines{"message t=big/topic q=2 id=8 p=" + payload + " streamed"});
        CHECK(d.sent() == "50 02 00 08");
        d.server(vc.publish_hex(0x3c, "big/topic", 8, payload) + vc.publish_hex(0x30, "small", 0, "s"));
        CHECK(events(d) == lines{"message t=small q=0 id=0 p=s"});
        CHECK(d.sent() == "50 02 00 08");
        d.server("62 02 00 08");
        CHECK(d.sent() == "70 02 00 08");
    });
}

struct no_stream_config : test_config {
    static constexpr bool stream_large_messages = false;
};

void no_stream_script(const version_case& vc) {
    for_each_feed_mode([vc](feed_mode mode) {
        client<no_stream_config> c;
        driver d(mode, &c);
        // 5.0 advertises the receive buffer as its Maximum Packet Size (256).
        const std::string connect_bytes =
            vc.v5() ? "10 1a 00 04 4d 51 54 54 05 02 00 1e 0b 21 00 04 27 00 00 01 00 22 00 03 00 02 63 31"
                    : vc.connect_hex();
        CHECK(connect_with(d, vc.options(), connect_bytes, vc.connack()) == lines{"connected sp=0 ka=30"});
        d.server(vc.publish_hex(0x32, "big/topic", 7, repeated("0123456789", 40)));
        CHECK(events(d) == lines{"error incoming_packet_too_large rc=0x95"});
        CHECK(d.sent() == vc.failure_disconnect("95"));
        CHECK(d.c().state() == client_state::closed);
    });
}

}  // namespace

TEST_CASE("v5 [client] a PUBLISH larger than the receive buffer arrives in pieces and is acknowledged after its end") {
    streaming_script(v5);
}
TEST_CASE("v3.1.1 [client] a PUBLISH larger than the receive buffer arrives in pieces and is acknowledged after its end") {
    streaming_script(v311);
}
TEST_CASE("v5 [client] without streaming a PUBLISH larger than the receive buffer ends the session with DISCONNECT 0x95") {
    no_stream_script(v5);
}
TEST_CASE("v3.1.1 [client] without streaming a PUBLISH larger than the receive buffer ends the session") {
    no_stream_script(v311);
}

// ---- transmit back-pressure ---------------------------------------------------------------

namespace {

void back_pressure_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_ok(d, vc);
        client_core& c = d.c();
        // Fill the transmit buffer without sending it.
        std::size_t queued = 0;
        for (;;) {
            const auto r = c.publish(message("x", qos::at_most_once));
            if (!r) {
                CHECK(r.error().code == errc::tx_buffer_full);
                CHECK(r.error().category == error_category::resource);
                break;
            }
            ++queued;
        }
        const std::size_t packet_size = vc.v5() ? 9 : 8;  // "30 07 00 03 61 2f 62 00 78" in 5.0
        REQUIRE(queued != 0);
        CHECK(c.tx_data().size() == queued * packet_size);
        CHECK(512 - c.tx_data().size() < packet_size);
        // The server's QoS 1 and QoS 2 messages wait: their answers have no room.
        const bytes in = hex(vc.publish_hex(0x32, "t", 1, "a") + vc.publish_hex(0x34, "t", 2, "b"));
        CHECK(c.receive(view(in)) == in.size());
        CHECK_FALSE(c.poll_event().has_value());
        CHECK(c.rx_pending() == in.size());
        CHECK(c.tx_data().size() == queued * packet_size);
        // The transport takes part of it: still not enough room for an answer.
        c.tx_consume(1);
        CHECK_FALSE(c.poll_event().has_value());
        CHECK(c.rx_pending() == in.size());
        // Room again: the messages come through and every acknowledgement is there, after the
        // QoS 0 packets, none of which was lost.
        CHECK(c.tx_data().size() == queued * packet_size - 1);
        c.tx_consume(c.tx_data().size());
        CHECK(events(d) == lines{"message t=t q=1 id=1 p=a", "message t=t q=2 id=2 p=b"});
        CHECK(d.sent() == "40 02 00 01 50 02 00 02");
        CHECK(c.state() == client_state::connected);
    });
}

void back_pressure_ack_script(const version_case& vc) {
    run_script([vc](driver& d) {
        connect_options o = vc.options();
        o.manual_acks = true;
        CHECK(connect_with(d, o, vc.connect_hex(), vc.connack()) == lines{"connected sp=0 ka=30"});
        d.server(vc.publish_hex(0x32, "t", 1, "a") + vc.publish_hex(0x34, "t", 2, "b"));
        CHECK(events(d) == lines{"message t=t q=1 id=1 p=a", "message t=t q=2 id=2 p=b"});
        client_core& c = d.c();
        while (c.publish(message("x", qos::at_most_once))) {
        }
        const std::size_t full = c.tx_data().size();
        // Accepted now, sent when the transport has taken enough to make room.
        REQUIRE(c.ack(2));
        REQUIRE(c.ack(1));
        CHECK(c.tx_data().size() == full);
        c.tx_consume(full);
        CHECK(to_hex(c.tx_data()) == "40 02 00 01 50 02 00 02");
        c.tx_consume(c.tx_data().size());
        d.server("62 02 00 02");
        CHECK(d.sent() == "70 02 00 02");
    });
}

}  // namespace

TEST_CASE("v5 [client] transmit back-pressure: with the transmit buffer full poll_event() waits instead of dropping an ack") {
    back_pressure_script(v5);
}
TEST_CASE("v3.1.1 [client] transmit back-pressure: with the transmit buffer full poll_event() waits instead of dropping an ack") {
    back_pressure_script(v311);
}
TEST_CASE("v5 [client] transmit back-pressure: an ack() made while the transmit buffer is full is sent once there is room") {
    back_pressure_ack_script(v5);
}
TEST_CASE("v3.1.1 [client] transmit back-pressure: an ack() made while the transmit buffer is full is sent once there is room") {
    back_pressure_ack_script(v311);
}

TEST_CASE("v5 [MQTT-3.3.4-8] resumed with a lower Receive Maximum, a PUBREL is not held back behind PUBLISH packets waiting for quota") {
    run_script([](driver& d) {
        connect_ok(d, v5, false);
        REQUIRE(d.c().publish(message("a", qos::at_least_once)));
        REQUIRE(d.c().publish(message("b", qos::at_least_once)));
        REQUIRE(d.c().publish(message("c", qos::exactly_once)));
        (void)d.sent();
        d.server("50 02 00 03");
        CHECK(d.sent() == "62 02 00 03");
        d.c().transport_closed();
        // Now the server takes one message at a time.
        CHECK(connect_with(d, v5.options(false), v5.connect_hex(false), v5.connack(true, "21 00 01")) ==
              lines{"connected sp=1 ka=30"});
        // The PUBREL of 3 goes at once; whether PUBLISH 1 goes before PUBCOMP 3 depends on whether
        // the released message still counts against the quota. PUBLISH 2 waits in either case.
        const std::string publish1 = v5.publish_hex(0x3a, "a/b", 1, "a");
        const std::string sent = d.sent();
        INFO("sent: " << sent);
        CHECK((sent == "62 02 00 03" || sent == "62 02 00 03 " + publish1 || sent == publish1 + " 62 02 00 03"));
    });
}

// ---- a Config without a protocol version -----------------------------------------------------
// (in a build that keeps both; compile_out_test.cpp covers builds that leave one out)
#if SANSMQTT_ENABLE_V3_1_1 && SANSMQTT_ENABLE_V5

namespace {

struct v311_only_config : test_config {
    static constexpr bool enable_v5 = false;
    static constexpr std::size_t topic_aliases_out = 0;
    static constexpr std::size_t topic_aliases_in = 0;
    static constexpr std::size_t authentication_method_length = 0;
};

struct v5_only_config : test_config {
    static constexpr bool enable_v3_1_1 = false;
};

template <class Client>
void check_refused(Client& c, protocol_version refused, protocol_version accepted) {
    REQUIRE(c.transport_opened());
    connect_options o;
    o.client_id = "c";
    o.protocol_version = refused;
    const auto bad = c.connect(o);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == errc::version_unsupported);
    CHECK(bad.error().category == error_category::local);
    CHECK(c.state() == client_state::open);
    CHECK(c.tx_data().empty());
    o.protocol_version = accepted;
    CHECK(c.connect(o));
    CHECK(c.state() == client_state::connecting);
}

}  // namespace

TEST_CASE("v5 [client] a Config without MQTT 5.0 refuses a 5.0 connect and has no Topic Alias or AUTH storage") {
    client<v311_only_config> c;
    check_refused(c, protocol_version::v5, protocol_version::v3_1_1);
    CHECK(sizeof(client<v311_only_config>) + 3 * 32 + 16 <= sizeof(client<test_config>));
}

TEST_CASE("v3.1.1 [client] a Config without MQTT 3.1.1 refuses a 3.1.1 (and 3.1) connect") {
    client<v5_only_config> c;
    check_refused(c, protocol_version::v3_1_1, protocol_version::v5);
    client<v5_only_config> c31;
    check_refused(c31, protocol_version::v3_1, protocol_version::v5);
}

#endif
