// Interoperability: the sansmqtt client against Debian's mosquitto 2.0, over BearSSL TLS with
// mutual authentication, in both protocol versions. Every test starts its own broker (broker.hpp)
// on a free loopback port, with certificates from scripts/gen-certs.sh.
//
// The clients are driven by pump() below: one poll() over several (stream, client) pairs, so two
// clients talk through the broker in one thread; every wait has a deadline, so nothing hangs.
// On a failure the test prints each client's event transcript and the broker's log.
//
// Environment (set by tests/interop/meson.build; defaults compiled in):
//   SANSMQTT_GEN_CERTS  scripts/gen-certs.sh     SANSMQTT_CERT_DIR  where it writes the certificates
//   SANSMQTT_MOSQUITTO  the mosquitto binary
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sansmqtt/sansmqtt.hpp>

#include "broker.hpp"
#include "transport/bearssl/tls_stream.hpp"
#include "transport/client_loop.hpp"
#include "transport/posix/tcp_stream.hpp"

using namespace sansmqtt;
using sansmqtt::examples::io_result;
using sansmqtt::examples::io_state;
using sansmqtt::examples::tcp_stream;
using sansmqtt::examples::tls_options;
using sansmqtt::examples::tls_stream;
using sansmqtt::interop::broker;
using sansmqtt::interop::broker_options;

namespace {

// ---- configuration ----------------------------------------------------------------------------

struct interop_config : default_config {
    static constexpr std::size_t rx_buffer_size = 16 * 1024;
    static constexpr std::size_t tx_buffer_size = 16 * 1024;
    static constexpr std::size_t max_stored_messages = 64;
    static constexpr std::size_t session_store_bytes = 64 * 1024;
    static constexpr std::uint16_t receive_maximum = 32;
    static constexpr std::size_t max_pending_requests = 8;
    static constexpr std::size_t topic_aliases_out = 8;
    static constexpr std::size_t topic_aliases_in = 8;
    static constexpr std::size_t topic_alias_length = 128;
};

// Advertises a Maximum Packet Size of 512 bytes (5.0): the broker must not send larger packets.
struct small_packets_config : interop_config {
    static constexpr std::uint32_t maximum_packet_size = 512;
};

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

// The certificates, made once per run.
const std::string& cert_dir() {
    static const std::string dir = [] {
        const std::string out = env_or("SANSMQTT_CERT_DIR", SANSMQTT_INTEROP_CERT_DIR);
        const std::string script = env_or("SANSMQTT_GEN_CERTS", SANSMQTT_INTEROP_GEN_CERTS);
        const std::string command = "'" + script + "' '" + out + "'";
        if (std::system(command.c_str()) != 0) FAIL("gen-certs.sh failed: " << command);
        return out;
    }();
    return dir;
}

std::string cert(const std::string& name) { return cert_dir() + "/" + name; }

std::uint64_t now_ms() { return examples::monotonic_ms(); }

std::string printable(std::string_view s) {
    std::string out;
    for (const char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (u >= 0x20 && u < 0x7f) {
            out += ch;
        } else {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0x0f];
        }
    }
    return out;
}

std::string hex2(unsigned v) {
    static const char hex[] = "0123456789abcdef";
    return std::string("0x") + hex[(v >> 4) & 0xf] + hex[v & 0xf];
}

// Case-insensitive, and '_' matches ' ' ("unknown_ca" contains "unknown CA").
bool contains(const std::string& text, const std::string& words) {
    const auto fold = [](std::string x) {
        for (char& ch : x) ch = ch == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return x;
    };
    return fold(text).find(fold(words)) != std::string::npos;
}

// Waits (at most timeout_ms) until the broker's log holds `text`: it writes after the socket work.
bool wait_for_log(const broker& b, const std::string& text, int timeout_ms = 2000) {
    const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    while (b.log().find(text) == std::string::npos) {
        if (now_ms() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// ---- one client and its stream ----------------------------------------------------------------

// A received message, copied out of the client's buffer.
struct message_copy {
    std::string topic;
    std::string payload;
    qos q = qos::at_most_once;
    bool retain = false;
    bool dup = false;
    std::optional<std::string> response_topic;
    std::optional<std::string> correlation_data;
    std::optional<std::uint32_t> message_expiry;
};

struct peer {
    std::string name;
    std::shared_ptr<void> owner;  // the client<Config>
    client_core* mqtt = nullptr;
    std::unique_ptr<examples::stream> net;
    bool open = false;  // a stream is attached

    // What happened, in order; counters for the waits.
    std::vector<std::string> transcript;
    std::vector<message_copy> messages;
    std::vector<publish_completed_event> completed;
    std::vector<publish_failed_event> failed;
    int connects = 0;
    int refusals = 0;
    int subacks = 0;
    int unsubacks = 0;
    std::vector<std::uint8_t> last_suback;
    bool session_present = false;
    std::string error;          // the first stream or session failure
    std::size_t bytes_sent = 0;  // MQTT bytes the stream took
    std::size_t max_in_flight = 0;
    bool write_stalled = false;  // the stream took none of tx_data() on the last turn
    std::function<void(peer&, const message_copy&)> on_message;

    template <class Config = interop_config>
    static std::unique_ptr<peer> make(std::string name) {
        auto p = std::make_unique<peer>();
        p->name = std::move(name);
        auto c = std::make_shared<client<Config>>();
        p->mqtt = c.get();
        p->owner = c;
        return p;
    }

    void note(const std::string& line) { transcript.push_back(line); }
    void fail(const std::string& why) {
        if (error.empty()) error = why;
        note("error: " + why);
    }
    int count(const std::string& topic) const {
        return static_cast<int>(std::count_if(messages.begin(), messages.end(),
                                              [&](const message_copy& m) { return m.topic == topic; }));
    }
    const message_copy* find(const std::string& topic) const {
        for (const message_copy& m : messages) {
            if (m.topic == topic) return &m;
        }
        return nullptr;
    }

    // Ends the stream (TLS close_notify, then close) and tells the client.
    void end_stream(const std::string& why) {
        if (!why.empty()) fail(why);
        if (net) net->close();
        net.reset();
        if (open) mqtt->transport_closed();
        open = false;
    }
    // The connection breaks without DISCONNECT and without close_notify: as if the device lost power.
    void drop_connection() {
        if (net) ::shutdown(net->fd(), SHUT_RDWR);
        note("connection dropped by the test");
        end_stream("");
    }

    void record(const event& e) {
        if (const auto* c = std::get_if<connected_event>(&e)) {
            ++connects;
            session_present = c->session_present;
            note("connected session_present=" + std::to_string(c->session_present));
        } else if (const auto* r = std::get_if<connect_refused_event>(&e)) {
            ++refusals;
            fail("CONNACK refused " + hex2(static_cast<unsigned>(r->reason_code)));
        } else if (const auto* m = std::get_if<message_event>(&e)) {
            message_copy copy;
            copy.topic = std::string(m->packet.topic.as_string_view());
            copy.payload = std::string(m->packet.payload.as_string_view());
            copy.q = m->packet.qos;
            copy.retain = m->packet.retain;
            copy.dup = m->packet.dup;
            if (const auto t = m->packet.properties.response_topic()) copy.response_topic = std::string(t->as_string_view());
            if (const auto d = m->packet.properties.correlation_data()) copy.correlation_data = std::string(d->as_string_view());
            copy.message_expiry = m->packet.properties.message_expiry_interval();
            note("message '" + copy.topic + "' q" + std::to_string(static_cast<int>(copy.q)) +
                 (copy.retain ? " retain" : "") + (copy.dup ? " dup" : "") + " '" +
                 printable(copy.payload.substr(0, 40)) + "' (" + std::to_string(copy.payload.size()) + " B)");
            messages.push_back(copy);
            if (on_message) on_message(*this, messages.back());
        } else if (std::get_if<message_begin_event>(&e) != nullptr) {
            note("message begin (streamed)");
        } else if (const auto* c2 = std::get_if<publish_completed_event>(&e)) {
            completed.push_back(*c2);
            note("completed id=" + std::to_string(c2->packet_id) + " q" + std::to_string(static_cast<int>(c2->qos)) +
                 " rc=" + hex2(static_cast<unsigned>(c2->reason_code)));
        } else if (const auto* f = std::get_if<publish_failed_event>(&e)) {
            failed.push_back(*f);
            note("publish failed id=" + std::to_string(f->packet_id) + " rc=" + hex2(static_cast<unsigned>(f->reason_code)) +
                 (f->session_lost ? " session lost" : ""));
        } else if (const auto* s = std::get_if<subscribe_completed_event>(&e)) {
            ++subacks;
            last_suback.clear();
            std::string codes;
            for (const reason_code rc : s->packet.reason_codes) {
                last_suback.push_back(static_cast<std::uint8_t>(rc));
                codes += " " + hex2(static_cast<unsigned>(rc));
            }
            note("suback" + codes);
        } else if (std::get_if<unsubscribe_completed_event>(&e) != nullptr) {
            ++unsubacks;
            note("unsuback");
        } else if (const auto* rf = std::get_if<request_failed_event>(&e)) {
            note("request failed id=" + std::to_string(rf->packet_id));
        } else if (const auto* d = std::get_if<disconnected_event>(&e)) {
            fail("server DISCONNECT " + hex2(static_cast<unsigned>(d->reason_code)));
        } else if (const auto* cf = std::get_if<connection_failed_event>(&e)) {
            fail("connection failed: " + std::string(cf->error.message()));
        } else {
            note("other event");
        }
    }

    // One turn of the loop of examples/transport/client_loop.hpp, without the wait. `write` false:
    // received bytes and events only (the test holds our packets back).
    void turn(bool write = true) {
        while (open) {
            const mutable_bytes window = mqtt->rx_window();
            if (window.empty()) break;
            const io_result r = net->read(window.data(), window.size());
            if (r.state == io_state::ok) {
                mqtt->rx_commit(r.bytes);
                if (r.bytes == 0) break;
                continue;
            }
            end_stream(r.state == io_state::closed ? "the server closed the connection" : net->error());
        }
        while (const std::optional<event> e = mqtt->poll_event()) record(*e);
        write_stalled = false;
        if (open && write) {
            for (bytes_view pending = mqtt->tx_data(); !pending.empty(); pending = mqtt->tx_data()) {
                const io_result w = net->write(pending.data(), pending.size());
                if (w.state != io_state::ok) {
                    end_stream(net->error());
                    break;
                }
                if (w.bytes == 0) {  // full socket, or the TLS handshake still runs: wanted_events() says when
                    write_stalled = true;
                    break;
                }
                bytes_sent += w.bytes;
                mqtt->tx_consume(w.bytes);
            }
            if (open && !net->flush()) end_stream(net->error());
        }
        max_in_flight = std::max(max_in_flight, mqtt->messages_in_flight());
        const client_state s = mqtt->state();
        if (open && (s == client_state::disconnecting || s == client_state::closed) && mqtt->tx_data().empty() &&
            !net->has_pending_output()) {
            note(s == client_state::disconnecting ? "closed after DISCONNECT" : "closed");
            end_stream("");
            while (const std::optional<event> e = mqtt->poll_event()) record(*e);
        }
        mqtt->tick(now_ms());
    }
};

// Drives every open peer until done() holds or timeout_ms passes; returns done().
bool pump(const std::vector<peer*>& peers, const std::function<bool()>& done, int timeout_ms = 5000,
          bool write = true) {
    const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    while (true) {
        for (peer* p : peers) p->turn(write);
        if (done()) return true;
        const std::uint64_t now = now_ms();
        if (now >= deadline) return false;
        std::vector<pollfd> fds;
        int timeout = static_cast<int>(std::min<std::uint64_t>(deadline - now, 20));
        for (peer* p : peers) {
            if (!p->open) continue;
            pollfd f{};
            f.fd = p->net->fd();
            f.events = p->net->wanted_events();
            if (write && ((!p->mqtt->tx_data().empty() && !p->write_stalled) || p->net->has_pending_output())) {
                f.events |= POLLOUT;
            }
            if (p->mqtt->rx_pending() != 0) timeout = 0;
            fds.push_back(f);
        }
        if (fds.empty()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(timeout));
        } else {
            (void)::poll(fds.data(), fds.size(), timeout);
        }
    }
}
// Lets `ms` pass while the peers run (to see that nothing more arrives).
void settle(const std::vector<peer*>& peers, int ms) { (void)pump(peers, [] { return false; }, ms); }

// ---- the scene of one test: a broker and its clients ------------------------------------------

struct client_identity {
    std::string cert;  // "wearable-01" -> wearable-01.pem / .key; empty: none
    std::string ca = "ca.pem";
};

tls_options tls_for(const client_identity& id) {
    tls_options o;
    o.ca_file = cert(id.ca);
    if (!id.cert.empty()) {
        o.cert_file = cert(id.cert + ".pem");
        o.key_file = cert(id.cert + ".key");
    }
    o.server_name = "localhost";  // we connect to 127.0.0.1; the broker certificate names localhost
    return o;
}

struct scene {
    broker brk;
    std::vector<std::unique_ptr<peer>> peers;

    explicit scene(broker_options o) : brk(with_certs(std::move(o))) {
        std::string error;
        const bool ok = brk.start(error);
        REQUIRE_MESSAGE(ok, "mosquitto did not start: " << error);
    }
    static broker_options with_certs(broker_options o) {
        o.cert_dir = cert_dir();
        return o;
    }

    template <class Config = interop_config>
    peer& add(const std::string& name) {
        peers.push_back(peer::make<Config>(name));
        return *peers.back();
    }

    std::vector<peer*> all() {
        std::vector<peer*> out;
        for (auto& p : peers) out.push_back(p.get());
        return out;
    }

    // TCP + TLS to the broker's TLS port; the handshake runs in pump().
    bool open(peer& p, const client_identity& id) {
        std::string error;
        auto tcp = tcp_stream::connect("127.0.0.1", brk.tls_port(), 5000, error);
        if (!tcp) {
            p.fail("tcp: " + error);
            return false;
        }
        auto tls = tls_stream::start(std::move(tcp), tls_for(id), error);
        if (!tls) {
            p.fail("tls: " + error);
            return false;
        }
        p.net = std::move(tls);
        p.open = true;
        p.error.clear();
        (void)p.mqtt->transport_opened();
        p.note("stream open to port " + std::to_string(brk.tls_port()));
        return true;
    }

    // Opens the stream, sends CONNECT and waits for CONNACK. false: p.error says why.
    bool connect(peer& p, const connect_options& o, const client_identity& id = {"wearable-01"}) {
        if (!open(p, id)) return false;
        p.mqtt->tick(now_ms());  // the CONNACK timeout counts from the client's last known time
        if (auto ok = p.mqtt->connect(o); !ok) {
            p.fail("connect(): " + std::string(ok.error().message()));
            p.end_stream("");
            return false;
        }
        const int before = p.connects;
        const bool done = pump(all(), [&] { return p.connects > before || !p.open; }, 8000);
        if (!done) p.fail("no CONNACK within 8 s");
        return p.connects > before && p.open;
    }

    bool subscribe(peer& p, const std::string& filter, qos q) {
        const subscription subs[] = {{text_view(filter), q}};
        if (auto ok = p.mqtt->subscribe(subs); !ok) {
            p.fail("subscribe(): " + std::string(ok.error().message()));
            return false;
        }
        const int before = p.subacks;
        return pump(all(), [&] { return p.subacks > before || !p.open; }) && p.subacks > before;
    }

    bool disconnect(peer& p) {
        if (auto ok = p.mqtt->disconnect(); !ok) {
            p.fail("disconnect(): " + std::string(ok.error().message()));
            return false;
        }
        return pump(all(), [&] { return !p.open; }) && p.mqtt->state() == client_state::idle;
    }

    // Publishes and waits until it is sent (QoS 0) or completed (QoS 1 and 2).
    bool publish(peer& p, const publish& message) {
        const std::size_t completions = p.completed.size();
        if (auto id = p.mqtt->publish(message); !id) {
            p.fail("publish(): " + std::string(id.error().message()));
            return false;
        }
        if (message.qos == qos::at_most_once) return pump(all(), [&] { return p.mqtt->tx_data().empty(); });
        return pump(all(), [&] { return p.completed.size() > completions || !p.open; }) &&
               p.completed.size() > completions;
    }

    // Waits until `p` holds `n` messages (in all).
    bool wait_messages(peer& p, std::size_t n, int timeout_ms = 5000) {
        return pump(all(), [&] { return p.messages.size() >= n; }, timeout_ms);
    }
};

std::ostream& operator<<(std::ostream& os, const scene& s) {
    for (const auto& p : s.peers) {
        os << "---- client " << p->name << " (" << p->transcript.size() << " events)\n";
        for (const std::string& line : p->transcript) os << "  " << line << "\n";
    }
    os << "---- mosquitto log (" << s.brk.log_path() << ")\n" << s.brk.log();
    return os;
}

connect_options options_for(protocol_version v, const char* client_id, bool clean_start = true,
                            std::uint32_t session_expiry = 0) {
    connect_options o;
    o.protocol_version = v;
    o.client_id = client_id;
    o.clean_start = clean_start;
    o.keep_alive = 30;
    if (v == protocol_version::v5) o.session_expiry_interval = session_expiry;
    return o;
}
// A session the broker keeps while we are away: Clean Start 0 (3.1.1 Clean Session 0), and in 5.0
// a Session Expiry Interval of 300 s. Clean Start stays 0 even on the first connection: mosquitto
// 2.0.11 writes to its persistence file only the sessions whose CONNECT had Clean Start 0, so a
// 5.0 session begun with Clean Start 1 and an expiry would be lost in a restart while offline.
connect_options persistent(protocol_version v, const char* client_id) { return options_for(v, client_id, false, 300); }

// A message whose topic and payload are views of the strings given: keep them alive until publish().
publish message(const std::string& topic, const std::string& payload, qos q, bool retain = false) {
    publish p;
    p.topic = text_view(topic);
    p.payload = bytes_view(payload);
    p.qos = q;
    p.retain = retain;
    return p;
}

const char* version_name(protocol_version v) { return v == protocol_version::v5 ? "5.0" : "3.1.1"; }

// ---- the tests, written once for both versions --------------------------------------------------

void connect_and_disconnect(protocol_version v) {
    scene s({});
    INFO(s);
    peer& ec = s.add("wearable-01");
    peer& rsa = s.add("hospital-display");
    REQUIRE(s.connect(ec, options_for(v, "wearable-01"), {"wearable-01"}));
    REQUIRE(s.connect(rsa, options_for(v, "hospital-display"), {"hospital-display"}));
    CHECK(ec.mqtt->version() == v);
    CHECK_FALSE(ec.session_present);
    // The broker took the certificates' Common Names as user names.
    CHECK(wait_for_log(s.brk, "as wearable-01 (p" + std::string(v == protocol_version::v5 ? "5" : "2") + ", c1, k30, u'wearable-01')"));
    CHECK(wait_for_log(s.brk, "u'hospital-display'"));
    // A keep-alive round trip: PINGREQ when keep alive is due, PINGRESP in time.
    connect_options quick = options_for(v, "pinger");
    quick.keep_alive = 1;
    peer& pinger = s.add("pinger");
    REQUIRE(s.connect(pinger, quick));
    settle(s.all(), 2500);
    CHECK(pinger.open);
    CHECK(pinger.error.empty());
    CHECK(s.disconnect(ec));
    CHECK(s.disconnect(rsa));
    CHECK(s.disconnect(pinger));
    CHECK(ec.error.empty());
    CHECK(rsa.error.empty());
    CHECK(wait_for_log(s.brk, "Client wearable-01 disconnected."));
}

void qos_both_directions(protocol_version v) {
    scene s({});
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(a, options_for(v, "a"), {"wearable-01"}));
    REQUIRE(s.connect(b, options_for(v, "b"), {"hospital-display"}));
    REQUIRE(s.subscribe(a, "to-a/#", qos::exactly_once));
    REQUIRE(s.subscribe(b, "to-b/#", qos::exactly_once));
    CHECK(a.last_suback == std::vector<std::uint8_t>{2});
    for (int q = 0; q <= 2; ++q) {
        const auto level = static_cast<qos>(q);
        const std::string n = std::to_string(q);
        REQUIRE(s.publish(a, message("to-b/q" + n, "from a at QoS " + n, level)));
        REQUIRE(s.publish(b, message("to-a/q" + n, "from b at QoS " + n, level)));
    }
    REQUIRE(s.wait_messages(a, 3));
    REQUIRE(s.wait_messages(b, 3));
    settle(s.all(), 200);
    REQUIRE(a.messages.size() == 3);
    REQUIRE(b.messages.size() == 3);
    for (int q = 0; q <= 2; ++q) {
        const std::string n = std::to_string(q);
        const message_copy* to_b = b.find("to-b/q" + n);
        const message_copy* to_a = a.find("to-a/q" + n);
        REQUIRE(to_b != nullptr);
        REQUIRE(to_a != nullptr);
        CHECK(to_b->payload == "from a at QoS " + n);
        CHECK(to_a->payload == "from b at QoS " + n);
        CHECK(static_cast<int>(to_b->q) == q);
        CHECK(static_cast<int>(to_a->q) == q);
        CHECK_FALSE(to_b->dup);
    }
    // QoS 1 and 2 ended with PUBACK and PUBCOMP: nothing left in either store.
    CHECK(a.completed.size() == 2);
    CHECK(b.completed.size() == 2);
    CHECK(a.mqtt->messages_in_store() == 0);
    CHECK(b.mqtt->messages_in_store() == 0);
    // A subscription's maximum QoS caps delivery: QoS 2 on a QoS 1 subscription arrives at QoS 1.
    REQUIRE(s.subscribe(a, "capped/#", qos::at_least_once));
    REQUIRE(s.publish(b, message("capped/x", "two", qos::exactly_once)));
    REQUIRE(s.wait_messages(a, 4));
    CHECK(a.messages.back().q == qos::at_least_once);
    CHECK(s.disconnect(a));
    CHECK(s.disconnect(b));
}

void retained_messages(protocol_version v) {
    scene s({});
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(a, options_for(v, "a")));
    REQUIRE(s.publish(a, message("status/ward-3", "online", qos::at_least_once, true)));
    REQUIRE(s.publish(a, message("status/ward-4", "busy", qos::at_most_once, true)));
    REQUIRE(s.connect(b, options_for(v, "b"), {"hospital-display"}));
    REQUIRE(s.subscribe(b, "status/+", qos::at_least_once));
    REQUIRE(s.wait_messages(b, 2));
    const message_copy* m3 = b.find("status/ward-3");
    const message_copy* m4 = b.find("status/ward-4");
    REQUIRE(m3 != nullptr);
    REQUIRE(m4 != nullptr);
    CHECK(m3->retain);
    CHECK(m3->payload == "online");
    CHECK(m3->q == qos::at_least_once);
    CHECK(m4->retain);
    CHECK(m4->payload == "busy");
    // A live message to a subscriber is not marked retained, even when published retained.
    REQUIRE(s.publish(a, message("status/ward-3", "offline", qos::at_least_once, true)));
    REQUIRE(s.wait_messages(b, 3));
    CHECK(b.messages.back().payload == "offline");
    CHECK_FALSE(b.messages.back().retain);
    // An empty retained message clears it: a new subscriber gets only ward-4.
    REQUIRE(s.publish(a, message("status/ward-3", "", qos::at_least_once, true)));
    peer& c = s.add("c");
    REQUIRE(s.connect(c, options_for(v, "c")));
    REQUIRE(s.subscribe(c, "status/+", qos::at_least_once));
    REQUIRE(s.wait_messages(c, 1));
    settle(s.all(), 200);
    CHECK(c.messages.size() == 1);
    CHECK(c.messages.front().topic == "status/ward-4");
}

void will_on_abnormal_close(protocol_version v) {
    scene s({});
    INFO(s);
    peer& watcher = s.add("watcher");
    peer& device = s.add("device");
    peer& polite = s.add("polite");
    REQUIRE(s.connect(watcher, options_for(v, "watcher"), {"hospital-display"}));
    REQUIRE(s.subscribe(watcher, "wills/#", qos::exactly_once));
    connect_options o = options_for(v, "device");
    will_message will;
    will.topic = "wills/device";
    will.payload = bytes_view(std::string_view("device lost"));
    will.qos = qos::at_least_once;
    o.will = will;
    REQUIRE(s.connect(device, o));
    // A DISCONNECT discards the will.
    connect_options po = options_for(v, "polite");
    will_message polite_will = will;
    polite_will.topic = "wills/polite";
    po.will = polite_will;
    REQUIRE(s.connect(polite, po));
    REQUIRE(s.disconnect(polite));
    // The device vanishes without DISCONNECT.
    device.drop_connection();
    REQUIRE(s.wait_messages(watcher, 1));
    settle(s.all(), 300);
    REQUIRE(watcher.messages.size() == 1);
    CHECK(watcher.messages[0].topic == "wills/device");
    CHECK(watcher.messages[0].payload == "device lost");
    CHECK(watcher.messages[0].q == qos::at_least_once);
    CHECK(watcher.count("wills/polite") == 0);
}

void unsubscribe_stops_messages(protocol_version v) {
    scene s({});
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(a, options_for(v, "a")));
    REQUIRE(s.connect(b, options_for(v, "b"), {"hospital-display"}));
    REQUIRE(s.subscribe(b, "vitals/#", qos::at_least_once));
    REQUIRE(s.subscribe(b, "control", qos::at_least_once));
    REQUIRE(s.publish(a, message("vitals/pulse", "72", qos::at_least_once)));
    REQUIRE(s.wait_messages(b, 1));
    const topic_filter_list::value_type filters[] = {text_view("vitals/#")};
    REQUIRE(b.mqtt->unsubscribe(topic_filter_list(filters, 1)));
    REQUIRE(pump(s.all(), [&] { return b.unsubacks == 1; }));
    // Published in this order by one client: had "vitals/#" still matched, that message would come first.
    REQUIRE(s.publish(a, message("vitals/pulse", "80", qos::at_least_once)));
    REQUIRE(s.publish(a, message("control", "marker", qos::at_least_once)));
    REQUIRE(pump(s.all(), [&] { return b.count("control") == 1; }));
    settle(s.all(), 200);
    CHECK(b.count("vitals/pulse") == 1);
    CHECK(b.messages.back().topic == "control");
}

// B's persistent session holds messages published while B is away, across a broker restart.
void session_resume_after_restart(protocol_version v) {
    broker_options bo;
    bo.persistence = true;
    scene s(bo);
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(b, persistent(v, "display-b"), {"hospital-display"}));
    REQUIRE(s.subscribe(b, "ward/#", qos::exactly_once));
    REQUIRE(s.disconnect(b));
    REQUIRE(s.connect(a, options_for(v, "a")));
    REQUIRE(s.publish(a, message("ward/1", "q1 while away", qos::at_least_once)));
    REQUIRE(s.publish(a, message("ward/2", "q2 while away", qos::exactly_once)));
    REQUIRE(s.publish(a, message("ward/0", "q0 while away: dropped", qos::at_most_once)));
    CHECK(a.completed.size() == 2);
    std::string error;
    REQUIRE_MESSAGE(s.brk.restart(error), error);
    pump(s.all(), [&] { return !a.open; }, 2000);  // a sees the broker go
    REQUIRE(s.connect(b, persistent(v, "display-b"), {"hospital-display"}));
    CHECK(b.session_present);
    REQUIRE(s.wait_messages(b, 2));
    settle(s.all(), 300);
    CHECK(b.count("ward/1") == 1);
    CHECK(b.count("ward/2") == 1);
    CHECK(b.count("ward/0") == 0);
    if (const message_copy* m = b.find("ward/2")) {
        CHECK(m->payload == "q2 while away");
        CHECK(m->q == qos::exactly_once);
    }
    // The subscription itself survived too.
    REQUIRE(s.connect(a, options_for(v, "a")));
    REQUIRE(s.publish(a, message("ward/3", "after restart", qos::at_least_once)));
    REQUIRE(s.wait_messages(b, 3));
    CHECK(b.messages.back().topic == "ward/3");
}

// Our own QoS 1 and 2 messages survive the loss of the connection and a broker restart in the
// client's session store: two were sent but their acknowledgements never read, two were never
// sent. After reconnecting (Clean Start 0) the client sends them again: QoS 2 arrives exactly
// once, QoS 1 at least once.
void own_messages_survive_restart(protocol_version v) {
    broker_options bo;
    bo.persistence = true;
    scene s(bo);
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(b, persistent(v, "display-b"), {"hospital-display"}));
    REQUIRE(s.subscribe(b, "orders/#", qos::exactly_once));
    REQUIRE(s.disconnect(b));

    REQUIRE(s.connect(a, persistent(v, "sender-a")));
    REQUIRE(a.mqtt->publish(message("orders/sent-q1", "one", qos::at_least_once)));
    REQUIRE(a.mqtt->publish(message("orders/sent-q2", "two", qos::exactly_once)));
    // Sent, but nothing is read: the PUBACK and PUBREC stay unread in our socket.
    const std::vector<peer*> only_a{&a};
    REQUIRE(pump(only_a, [&] { return a.mqtt->tx_data().empty() && !a.net->has_pending_output(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // mosquitto takes them
    REQUIRE(a.mqtt->publish(message("orders/unsent-q1", "three", qos::at_least_once)));
    REQUIRE(a.mqtt->publish(message("orders/unsent-q2", "four", qos::exactly_once)));
    CHECK(a.mqtt->messages_in_store() == 4);
    std::string error;
    s.brk.stop();
    a.drop_connection();  // the client never reads the acknowledgements
    CHECK(a.mqtt->messages_in_store() == 4);
    CHECK(a.completed.empty());
    REQUIRE_MESSAGE(s.brk.restart(error), error);

    REQUIRE(s.connect(a, persistent(v, "sender-a")));
    CHECK(a.session_present);
    REQUIRE(pump(s.all(), [&] { return a.completed.size() == 4 || !a.open; }));
    CHECK(a.failed.empty());
    CHECK(a.mqtt->messages_in_store() == 0);
    REQUIRE(s.connect(b, persistent(v, "display-b"), {"hospital-display"}));
    REQUIRE(s.wait_messages(b, 4));
    settle(s.all(), 500);
    CHECK(b.count("orders/sent-q1") >= 1);
    CHECK(b.count("orders/sent-q2") == 1);
    CHECK(b.count("orders/unsent-q1") >= 1);
    CHECK(b.count("orders/unsent-q2") == 1);
    if (const message_copy* m = b.find("orders/unsent-q2")) CHECK(m->payload == "four");
}

}  // namespace

// ---- both versions ------------------------------------------------------------------------------

TEST_CASE("v5 [interop] connect and disconnect over mutual TLS (EC and RSA client certificates)") {
    connect_and_disconnect(protocol_version::v5);
}
TEST_CASE("v3.1.1 [interop] connect and disconnect over mutual TLS (EC and RSA client certificates)") {
    connect_and_disconnect(protocol_version::v3_1_1);
}
TEST_CASE("v5 [interop] QoS 0, 1 and 2 in both directions") { qos_both_directions(protocol_version::v5); }
TEST_CASE("v3.1.1 [interop] QoS 0, 1 and 2 in both directions") { qos_both_directions(protocol_version::v3_1_1); }
TEST_CASE("v5 [interop] retained messages") { retained_messages(protocol_version::v5); }
TEST_CASE("v3.1.1 [interop] retained messages") { retained_messages(protocol_version::v3_1_1); }
TEST_CASE("v5 [interop] will message on abnormal close, none after DISCONNECT") {
    will_on_abnormal_close(protocol_version::v5);
}
TEST_CASE("v3.1.1 [interop] will message on abnormal close, none after DISCONNECT") {
    will_on_abnormal_close(protocol_version::v3_1_1);
}
TEST_CASE("v5 [interop] no more messages after UNSUBACK") { unsubscribe_stops_messages(protocol_version::v5); }
TEST_CASE("v3.1.1 [interop] no more messages after UNSUBACK") { unsubscribe_stops_messages(protocol_version::v3_1_1); }
TEST_CASE("v5 [interop] persistent session keeps queued messages across a broker restart") {
    session_resume_after_restart(protocol_version::v5);
}
TEST_CASE("v3.1.1 [interop] persistent session keeps queued messages across a broker restart") {
    session_resume_after_restart(protocol_version::v3_1_1);
}
TEST_CASE("v5 [interop] our unacknowledged and unsent QoS 1/2 messages survive a broker restart") {
    own_messages_survive_restart(protocol_version::v5);
}
TEST_CASE("v3.1.1 [interop] our unacknowledged and unsent QoS 1/2 messages survive a broker restart") {
    own_messages_survive_restart(protocol_version::v3_1_1);
}

// ---- 5.0 only -----------------------------------------------------------------------------------

TEST_CASE("v5 [interop] topic aliases: we use the broker's Topic Alias Maximum, the receiver sees the topics") {
    broker_options bo;
    bo.max_topic_alias = 2;
    scene s(bo);
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(a, options_for(protocol_version::v5, "a")));
    REQUIRE(s.connect(b, options_for(protocol_version::v5, "b"), {"hospital-display"}));
    CHECK(a.mqtt->server().topic_alias_maximum == 2);
    REQUIRE(s.subscribe(b, "telemetry/#", qos::at_least_once));
    const std::string long_name(80, 'x');
    const std::vector<std::string> topics = {"telemetry/" + long_name + "/1", "telemetry/" + long_name + "/2",
                                             "telemetry/" + long_name + "/3"};
    // QoS 0: the PUBLISH is encoded at once; its size tells whether the topic went along.
    std::vector<std::size_t> sizes;
    const std::vector<int> order = {0, 0, 1, 1, 0, 2, 2, 0, 1};  // three topics through two aliases
    for (const int i : order) {
        const std::string payload = "n" + std::to_string(sizes.size());
        REQUIRE(a.mqtt->tx_data().empty());
        REQUIRE(a.mqtt->publish(message(topics[static_cast<std::size_t>(i)], payload, qos::at_most_once)));
        sizes.push_back(a.mqtt->tx_data().size());
        REQUIRE(pump(s.all(), [&] { return a.mqtt->tx_data().empty(); }));
    }
    INFO("PUBLISH sizes: " << [&] {
        std::string out;
        for (const std::size_t n : sizes) out += std::to_string(n) + " ";
        return out;
    }());
    CHECK(sizes[1] + long_name.size() < sizes[0]);  // the second to topic 1: alias only
    CHECK(sizes[3] + long_name.size() < sizes[2]);  // the second to topic 2: alias only
    REQUIRE(s.wait_messages(b, order.size()));
    settle(s.all(), 200);
    REQUIRE(b.messages.size() == order.size());
    for (std::size_t n = 0; n < order.size(); ++n) {
        CHECK(b.messages[n].topic == topics[static_cast<std::size_t>(order[n])]);
        CHECK(b.messages[n].payload == "n" + std::to_string(n));
    }
    CHECK(a.error.empty());
    // The same at QoS 1, where the stored packet carries the topic and the alias is added on sending.
    for (const int i : order) REQUIRE(a.mqtt->publish(message(topics[static_cast<std::size_t>(i)], "q1", qos::at_least_once)));
    REQUIRE(pump(s.all(), [&] { return a.completed.size() == order.size(); }));
    REQUIRE(s.wait_messages(b, 2 * order.size()));
    for (std::size_t n = 0; n < order.size(); ++n) {
        CHECK(b.messages[order.size() + n].topic == topics[static_cast<std::size_t>(order[n])]);
    }
    CHECK(a.error.empty());
}

TEST_CASE("v5 [interop] the broker's Receive Maximum: more QoS 1 and 2 messages than it allows in flight all complete") {
    broker_options bo;
    bo.max_inflight_messages = 3;
    scene s(bo);
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(a, options_for(protocol_version::v5, "a")));
    REQUIRE(s.connect(b, options_for(protocol_version::v5, "b"), {"hospital-display"}));
    CHECK(a.mqtt->server().receive_maximum == 3);
    REQUIRE(s.subscribe(b, "burst/#", qos::exactly_once));
    constexpr int count = 24;
    std::vector<std::string> payloads;
    for (int n = 0; n < count; ++n) payloads.push_back("message " + std::to_string(n));
    for (int n = 0; n < count; ++n) {
        const qos q = n % 2 == 0 ? qos::at_least_once : qos::exactly_once;
        REQUIRE(a.mqtt->publish(message("burst/" + std::to_string(n), payloads[static_cast<std::size_t>(n)], q)));
    }
    CHECK(a.mqtt->messages_in_flight() <= 3);
    REQUIRE(pump(s.all(), [&] { return a.completed.size() == count || !a.open; }, 10000));
    CHECK(a.max_in_flight <= 3);
    CHECK(a.max_in_flight >= 1);
    REQUIRE(s.wait_messages(b, count));
    settle(s.all(), 200);
    REQUIRE(b.messages.size() == count);
    // In order within each QoS (mosquitto forwards QoS 1 at PUBLISH and QoS 2 at PUBREL, so the
    // two interleave differently), each exactly once.
    int next[3] = {0, 0, 1};  // by QoS: the next message number expected
    for (const message_copy& m : b.messages) {
        const int q = static_cast<int>(m.q);
        REQUIRE((q == 1 || q == 2));
        int& n = next[q];
        CHECK(m.topic == "burst/" + std::to_string(n));
        CHECK(m.payload == payloads[static_cast<std::size_t>(n)]);
        CHECK(q == (n % 2 == 0 ? 1 : 2));
        n += 2;
    }
    // The refusing mode: with the quota used up, publish() says so instead of queueing.
    for (int n = 0; n < 3; ++n) REQUIRE(a.mqtt->publish(message("burst/more", "x", qos::at_least_once)));
    const auto refused = a.mqtt->publish(message("burst/more", "x", qos::at_least_once), when_quota_exhausted::refuse);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::send_quota_exhausted);
    REQUIRE(pump(s.all(), [&] { return a.completed.size() == count + 3; }));
    CHECK(a.error.empty());
}

TEST_CASE("v5 [interop] Maximum Packet Size: ours is refused locally above the broker's, the broker drops what exceeds ours") {
    broker_options bo;
    bo.max_packet_size = 1024;
    scene s(bo);
    INFO(s);
    peer& a = s.add("a");
    peer& small = s.add<small_packets_config>("small");
    REQUIRE(s.connect(a, options_for(protocol_version::v5, "a")));
    REQUIRE(s.connect(small, options_for(protocol_version::v5, "small"), {"hospital-display"}));
    CHECK(a.mqtt->server().maximum_packet_size == 1024);
    CHECK(small.mqtt->maximum_packet_size() == 512);
    REQUIRE(s.subscribe(small, "img/#", qos::at_least_once));

    // Above the broker's limit: refused by publish(), nothing stored or sent.
    const std::string huge(2000, 'h');
    for (const qos q : {qos::at_most_once, qos::at_least_once, qos::exactly_once}) {
        const auto r = a.mqtt->publish(message("img/huge", huge, q));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::packet_too_large);
        CHECK(r.error().category == error_category::local);
    }
    CHECK(a.mqtt->messages_in_store() == 0);
    CHECK(a.mqtt->tx_data().empty());

    // Under the broker's limit but above ours: the broker does not forward it to us.
    REQUIRE(s.publish(a, message("img/medium", std::string(800, 'm'), qos::at_least_once)));
    REQUIRE(s.publish(a, message("img/small", "s", qos::at_least_once)));
    REQUIRE(pump(s.all(), [&] { return small.count("img/small") == 1; }));
    settle(s.all(), 200);
    CHECK(small.count("img/medium") == 0);
    CHECK(small.open);
    CHECK(small.error.empty());
    CHECK(a.error.empty());
    CHECK(a.open);  // the refused ones never reached the broker, which would have disconnected us
}

TEST_CASE("v5 [interop] Message Expiry Interval: an expired queued message is not delivered") {
    broker_options bo;
    bo.persistence = true;
    scene s(bo);
    INFO(s);
    peer& a = s.add("a");
    peer& b = s.add("b");
    REQUIRE(s.connect(b, persistent(protocol_version::v5, "display-b"), {"hospital-display"}));
    REQUIRE(s.subscribe(b, "alerts/#", qos::at_least_once));
    REQUIRE(s.disconnect(b));
    REQUIRE(s.connect(a, options_for(protocol_version::v5, "a")));
    const std::string alarm = "alarm";
    const auto with_expiry = [&alarm](const std::string& topic, std::uint32_t seconds, std::array<std::uint8_t, 16>& storage) {
        publish p = message(topic, alarm, qos::at_least_once);
        property_builder pb{mutable_bytes(storage.data(), storage.size())};
        pb.message_expiry_interval(seconds);
        p.properties = *pb.build();
        return p;
    };
    std::array<std::uint8_t, 16> short_props{};
    std::array<std::uint8_t, 16> long_props{};
    REQUIRE(s.publish(a, with_expiry("alerts/short", 1, short_props)));
    REQUIRE(s.publish(a, with_expiry("alerts/long", 60, long_props)));
    REQUIRE(s.publish(a, message("alerts/forever", "alarm", qos::at_least_once)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));
    REQUIRE(s.connect(b, persistent(protocol_version::v5, "display-b"), {"hospital-display"}));
    CHECK(b.session_present);
    REQUIRE(s.wait_messages(b, 2));
    settle(s.all(), 300);
    CHECK(b.count("alerts/short") == 0);
    CHECK(b.count("alerts/long") == 1);
    CHECK(b.count("alerts/forever") == 1);
    if (const message_copy* m = b.find("alerts/long")) {
        REQUIRE(m->message_expiry.has_value());
        CHECK(*m->message_expiry <= 58);  // the time it waited is taken off [MQTT-3.3.2-6]
        CHECK(*m->message_expiry >= 50);
    }
    if (const message_copy* m = b.find("alerts/forever")) CHECK_FALSE(m->message_expiry.has_value());
}

TEST_CASE("v5 [interop] request/response: Response Topic and Correlation Data are carried through") {
    scene s({});
    INFO(s);
    peer& requester = s.add("requester");
    peer& responder = s.add("responder");
    REQUIRE(s.connect(requester, options_for(protocol_version::v5, "requester")));
    REQUIRE(s.connect(responder, options_for(protocol_version::v5, "responder"), {"hospital-display"}));
    REQUIRE(s.subscribe(responder, "requests/#", qos::at_least_once));
    REQUIRE(s.subscribe(requester, "replies/requester", qos::at_least_once));
    const std::string correlation("\x01\x02\x00\xff id-7", 9);

    // The responder answers every request on its Response Topic with its Correlation Data.
    std::array<std::uint8_t, 256> reply_props{};
    responder.on_message = [&](peer& p, const message_copy& m) {
        if (!m.response_topic) return;
        property_builder pb{mutable_bytes(reply_props.data(), reply_props.size())};
        if (m.correlation_data) pb.correlation_data(bytes_view(*m.correlation_data));
        const auto built = pb.build();
        REQUIRE(built);
        const std::string payload = "reply to " + m.payload;  // publish() copies it into the session store
        publish reply = message(*m.response_topic, payload, qos::at_least_once);
        reply.properties = *built;
        REQUIRE(p.mqtt->publish(reply));
    };

    std::array<std::uint8_t, 256> request_props{};
    property_builder pb{mutable_bytes(request_props.data(), request_props.size())};
    pb.response_topic("replies/requester").correlation_data(bytes_view(correlation));
    const std::string request_topic = "requests/blood-pressure";
    const std::string request_payload = "bp?";
    publish request = message(request_topic, request_payload, qos::at_least_once);
    request.properties = *pb.build();
    REQUIRE(s.publish(requester, request));
    REQUIRE(s.wait_messages(requester, 1));
    REQUIRE(responder.messages.size() == 1);
    CHECK(responder.messages[0].response_topic == std::optional<std::string>("replies/requester"));
    CHECK(responder.messages[0].correlation_data == std::optional<std::string>(correlation));
    const message_copy& reply = requester.messages[0];
    CHECK(reply.topic == "replies/requester");
    CHECK(reply.payload == "reply to bp?");
    CHECK(reply.correlation_data == std::optional<std::string>(correlation));
    CHECK_FALSE(reply.response_topic.has_value());
}

// ---- TLS failures: each ends with a clear error, never a hang ------------------------------------

namespace {

// Connects once with `id` to a broker with `bo`; returns the client's error (empty if it connected).
std::string tls_failure(broker_options bo, const client_identity& id, scene*& out, std::unique_ptr<scene>& holder) {
    holder = std::make_unique<scene>(std::move(bo));
    out = holder.get();
    peer& p = holder->add("device");
    const std::uint64_t began = now_ms();
    const bool connected = holder->connect(p, options_for(protocol_version::v5, "device"), id);
    CHECK(now_ms() - began < 3000);  // the failure is seen at once, not by a timeout
    CHECK_FALSE(connected);
    CHECK_FALSE(p.open);
    CHECK(p.connects == 0);
    return p.error;
}


}  // namespace

TEST_CASE("v3.1.1 and v5 [interop] TLS: a broker certificate from an unknown CA is refused") {
    std::unique_ptr<scene> holder;
    scene* s = nullptr;
    client_identity id{"wearable-01", "rogue-ca.pem"};  // we trust only the rogue CA
    const std::string error = tls_failure({}, id, s, holder);
    INFO(*s);
    INFO("client error: " << error);
    CHECK(contains(error, "unknown CA"));
    CHECK_FALSE(contains(error, "refused our certificate"));  // our verdict, not the broker's
}

TEST_CASE("v3.1.1 and v5 [interop] TLS: a broker certificate for another host name is refused") {
    std::unique_ptr<scene> holder;
    scene* s = nullptr;
    broker_options bo;
    bo.certfile = "broker-wrong-host.pem";
    bo.keyfile = "broker-wrong-host.key";
    const std::string error = tls_failure(bo, {"wearable-01"}, s, holder);
    INFO(*s);
    INFO("client error: " << error);
    CHECK(contains(error, "name mismatch"));
}

TEST_CASE("v3.1.1 and v5 [interop] TLS: an expired broker certificate is refused") {
    std::unique_ptr<scene> holder;
    scene* s = nullptr;
    broker_options bo;
    bo.certfile = "broker-expired.pem";
    bo.keyfile = "broker-expired.key";
    const std::string error = tls_failure(bo, {"wearable-01"}, s, holder);
    INFO(*s);
    INFO("client error: " << error);
    CHECK(contains(error, "expired"));
}

TEST_CASE("v3.1.1 and v5 [interop] TLS: the broker refuses a client without a certificate") {
    std::unique_ptr<scene> holder;
    scene* s = nullptr;
    const std::string error = tls_failure({}, {""}, s, holder);
    INFO(*s);
    INFO("client error: " << error);
    CHECK(contains(error, "the server refused our certificate or demanded one"));
    CHECK(contains(error, "handshake failure"));
    CHECK(wait_for_log(s->brk, "peer did not return a certificate"));
}

TEST_CASE("v3.1.1 and v5 [interop] TLS: the broker refuses a client certificate from another CA") {
    std::unique_ptr<scene> holder;
    scene* s = nullptr;
    const std::string error = tls_failure({}, {"rogue-device"}, s, holder);
    INFO(*s);
    INFO("client error: " << error);
    CHECK(contains(error, "the server refused our certificate"));
    CHECK(contains(error, "unknown CA"));
    CHECK(wait_for_log(s->brk, "certificate verify failed"));
}

TEST_CASE("v3.1.1 and v5 [interop] TLS: server authentication only, when the broker does not ask for a certificate") {
    broker_options bo;
    bo.require_certificate = false;
    scene s(bo);
    INFO(s);
    peer& p = s.add("anonymous");
    for (const protocol_version v : {protocol_version::v5, protocol_version::v3_1_1}) {
        CAPTURE(version_name(v));
        REQUIRE(s.connect(p, options_for(v, "anonymous"), {""}));
        REQUIRE(s.disconnect(p));
    }
}
