// A model-based random test of the client: thousands of random sequences of application commands,
// time, broker traffic and broken connections, against a small model broker written here.
//
// The world of one sequence is a client<model_config>, a model broker and two byte pipes between
// them (TCP: ordered, but delivered in pieces of any size, and cut at any byte when the connection
// drops). Each step does one random thing: the application publishes (QoS 0/1/2, waiting for or
// refusing a full send quota), subscribes, unsubscribes, acknowledges (in sequences with manual
// acknowledgement; in 5.0 now and then with an error code), disconnects or lets time pass; bytes
// move some way along a pipe (into the client by receive() or rx_window()/rx_commit()); the
// broker answers (holding its answers back for a while, in order), publishes to the client, or
// closes; the connection breaks. The application polls some events, not always all. A closed
// connection is opened again with a CONNECT that usually resumes the session (and sometimes
// starts clean, ends the session with the connection, or finds that the broker forgot it). At the
// end the world settles: one last connection resumes the session and runs until nothing is in
// flight, and the final invariants are checked.
//
// The broker decodes everything the client sends with decode(..., sender::client) and keeps the
// session state a broker keeps: QoS 1/2 both ways, its own Receive Maximum and Topic Alias Maximum
// (in 5.0, and now and then a lower Maximum QoS or Maximum Packet Size than before), the client's
// Receive Maximum and Topic Alias Maximum for what it sends (aliases set, used and remapped),
// resending its unacknowledged messages (DUP) and PUBRELs after a reconnect, and reusing its own
// Packet Identifiers quickly. Messages larger than the client's receive buffer arrive streamed.
// Now and then the client's Packet Identifier counter is run round while messages and requests
// are in flight (see burn_packet_ids()).
//
// Invariants (any breach ends the sequence; the seed and a trace of its last steps are printed):
//  - the broker never sees a malformed packet, a packet other than CONNECT first (DISCONNECT
//    aside), bytes after DISCONNECT, a topic alias it did not allow or does not know, more
//    unacknowledged QoS 1/2 PUBLISH packets than its Receive Maximum (5.0), a PUBLISH above its
//    Maximum QoS or Maximum Packet Size, a new PUBLISH/SUBSCRIBE/UNSUBSCRIBE with a Packet
//    Identifier still in flight, a message sent again without DUP, a QoS 2 message taken twice,
//    messages out of order [MQTT-4.6.0-1], PUBACKs or PUBRECs out of the order of its PUBLISH
//    packets [MQTT-4.6.0-2, -3], or PUBRELs out of the order of its PUBRECs [MQTT-4.6.0-4];
//  - every QoS 1/2 message publish() accepted ends in exactly one publish_completed_event or
//    publish_failed_event, with the code the broker sent for that message; a failure is a refusal
//    the broker chose, session_lost after a real session loss, or 0x95/0x9B for a message this
//    connection's broker does not take (never a QoS 2 message the broker holds); no message of a
//    lost session completes;
//  - every QoS 1/2 message the broker sent in a session that was kept reaches the application at
//    least once, before the broker gets its PUBACK/PUBREC (and, with manual acknowledgement, after
//    ack() with the code the application chose); QoS 2 and QoS 0 at most once (a QoS 2 message the
//    application had not yet acknowledged when the connection closed comes again); topic and
//    payload arrive intact, streamed or whole;
//  - SUBSCRIBE/UNSUBSCRIBE end in exactly one answer event with the broker's reason codes, or
//    request_failed after the connection closed;
//  - the client's session store holds exactly the accepted, unfinished messages; a refused command
//    changes nothing; nothing is queued after DISCONNECT or after the session closed; no session
//    fails except by a timer the broker let run out.
//
// Left out, as no client can tell: a session that the broker created (Session Present 0) on a
// connection whose CONNACK the client never read, then resumed (Session Present 1) by the next
// connection while the client still holds the old session's state. The model broker lets such a
// session go again, as if it expired (see broker_connection_lost()).
#include "client_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace test;

namespace {

struct model_config : default_config {
    static constexpr std::size_t rx_buffer_size = 256;  // broker messages of up to ~700 bytes arrive streamed
    static constexpr std::size_t tx_buffer_size = 512;
    static constexpr std::size_t max_stored_messages = 8;
    static constexpr std::size_t session_store_bytes = 1024;
    static constexpr std::uint16_t receive_maximum = 4;
    static constexpr std::size_t max_pending_requests = 3;
    static constexpr std::size_t topic_aliases_out = v5_compiled_in ? 2 : 0;
    static constexpr std::size_t topic_aliases_in = v5_compiled_in ? 3 : 0;
    static constexpr std::size_t topic_alias_length = 16;
};
using model_client = client<model_config>;

constexpr std::uint32_t no_seq = 0xFFFFFFFFu;
constexpr std::uint16_t broker_id_range = 10;  // the broker reuses its Packet Identifiers quickly

// Payloads name their message: "m12:..." (from the client) or "s12:..." (from the broker).
std::vector<std::uint8_t> make_payload(char tag, std::uint32_t seq, std::size_t size) {
    const std::string head = tag + std::to_string(seq) + ":";
    std::vector<std::uint8_t> out(head.begin(), head.end());
    while (out.size() < size) out.push_back(static_cast<std::uint8_t>('a' + (seq + out.size()) % 26));
    return out;
}

std::optional<std::uint32_t> payload_seq(char tag, const bytes_view& p) {
    if (p.size() < 3 || p[0] != static_cast<std::uint8_t>(tag)) return std::nullopt;
    std::uint32_t seq = 0;
    std::size_t i = 1;
    for (; i < p.size() && p[i] >= '0' && p[i] <= '9' && i < 10; ++i) seq = seq * 10 + (p[i] - '0');
    if (i == 1 || i >= p.size() || p[i] != ':') return std::nullopt;
    return seq;
}

std::string text_of(const text_view& t) { return std::string(t.as_string_view()); }
std::vector<std::uint8_t> bytes_of(const bytes_view& b) {
    std::vector<std::uint8_t> out(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) out[i] = b[i];
    return out;
}

std::string brief(const packet& p) {
    std::string s(to_string(type_of(p)));
    if (const auto* q = std::get_if<publish>(&p)) {
        s += " q=" + std::to_string(static_cast<int>(q->qos)) + " id=" + std::to_string(q->packet_id) +
             (q->dup ? " dup" : "") + " t=" + text_of(q->topic) + " len=" + std::to_string(q->payload.size());
        if (const auto a = q->properties.topic_alias()) s += " alias=" + std::to_string(*a);
        if (const auto seq = payload_seq(q->payload.size() > 0 && q->payload[0] == 'm' ? 'm' : 's', q->payload)) {
            s += " seq=" + std::to_string(*seq);
        }
    }
    const auto ack = [&s](std::uint16_t id, reason_code c) {
        s += " id=" + std::to_string(id) + " rc=" + std::to_string(static_cast<unsigned>(c));
    };
    if (const auto* a = std::get_if<puback>(&p)) ack(a->packet_id, a->reason_code);
    if (const auto* a = std::get_if<pubrec>(&p)) ack(a->packet_id, a->reason_code);
    if (const auto* a = std::get_if<pubrel>(&p)) ack(a->packet_id, a->reason_code);
    if (const auto* a = std::get_if<pubcomp>(&p)) ack(a->packet_id, a->reason_code);
    if (const auto* a = std::get_if<subscribe>(&p)) s += " id=" + std::to_string(a->packet_id);
    if (const auto* a = std::get_if<unsubscribe>(&p)) s += " id=" + std::to_string(a->packet_id);
    if (const auto* a = std::get_if<suback>(&p)) s += " id=" + std::to_string(a->packet_id);
    if (const auto* a = std::get_if<unsuback>(&p)) s += " id=" + std::to_string(a->packet_id);
    if (const auto* a = std::get_if<connect>(&p)) s += a->clean_start ? " clean" : " resume";
    if (const auto* a = std::get_if<connack>(&p)) s += a->session_present ? " sp=1" : " sp=0";
    if (const auto* a = std::get_if<disconnect>(&p)) s += " rc=" + std::to_string(static_cast<unsigned>(a->reason_code));
    return s;
}

// ---- records of every message, kept by the test (which sees both sides) ----------------------

struct client_message {  // published by the application
    qos q = qos::at_most_once;
    std::string topic;
    std::vector<std::uint8_t> payload;
    unsigned seen_by_broker = 0;      // PUBLISH packets of it the broker received
    unsigned accepted_by_broker = 0;  // times the broker took it as a new message (not a duplicate)
    std::vector<std::pair<packet_type, std::uint8_t>> answers;  // PUBACK/PUBREC/PUBCOMP the broker wrote for it
};

struct broker_message {  // published by the broker to the client
    qos q = qos::at_most_once;
    std::string topic;
    std::vector<std::uint8_t> payload;
    unsigned delivered = 0;    // message events the application got
    bool may_be_lost = false;  // its session was discarded before the message completed
    bool done = false;         // acknowledged (QoS 1 PUBACK, QoS 2 PUBREC)
    std::uint64_t delivered_on = 0;  // the connection of the last delivery
    unsigned acked = 0;              // ack() calls with success the client accepted (manual acknowledgement)
    std::uint8_t ack_code = 0;       // the code of the last of them
};

struct app_ack {  // a delivered message the application has yet to acknowledge (manual acknowledgement)
    std::uint16_t id = 0;
    std::uint32_t seq = 0;
};

struct outstanding_publish {
    std::uint32_t seq = 0;
    qos q = qos::at_least_once;
    std::uint64_t epoch = 0;  // the session it was accepted in
};

struct outstanding_request {
    packet_type type = packet_type::subscribe;
    std::size_t count = 0;
    std::uint64_t connection = 0;
};

// ---- the model broker's state ---------------------------------------------------------------

enum class out_state : std::uint8_t { queued, publish_sent, pubrel_sent };

struct outbound {  // a QoS 1/2 message of the broker's session for the client
    std::uint32_t seq = 0;
    std::uint16_t id = 0;
    out_state state = out_state::queued;
    bool sent_here = false;       // PUBLISH (or, in pubrel_sent, PUBREL) sent on this connection
    bool published_here = false;  // PUBLISH sent on this connection: counts against the client's Receive Maximum
};

struct broker_session {
    bool exists = false;
    std::deque<outbound> out;                         // in the order first sent
    std::map<std::uint16_t, std::uint32_t> qos2_in;   // PUBREC sent; waiting for PUBREL
    std::map<std::uint16_t, std::uint32_t> released;  // PUBREL seen (a PUBREL sent again gets PUBCOMP)
    std::uint16_t next_id = 1;
};

struct answer {  // an answer the broker holds back for a while (all answers leave in order)
    packet_type type = packet_type::puback;
    std::uint16_t id = 0;
    std::uint8_t code = 0;
    std::uint32_t seq = no_seq;
    std::vector<reason_code> codes;
    bool session_present = false;
    std::vector<std::uint8_t> properties;
};

struct broker_connection {
    bool up = false;
    bool got_connect = false;
    bool connack_written = false;
    bool got_disconnect = false;
    bool closing = false;  // the broker sent DISCONNECT or decided to close: it writes nothing more
    bool ends_session = false;
    bool new_session = false;      // CONNACK said Session Present 0 (a session created on this connection)
    bool client_connected = false;  // the application got connected_event on this connection
    std::vector<std::uint8_t> in;
    std::uint16_t client_receive_maximum = 65'535;
    std::uint16_t client_alias_maximum = 0;
    std::uint16_t receive_maximum = 65'535;
    std::uint16_t alias_maximum = 0;
    std::map<std::uint16_t, std::string> aliases_in;
    std::map<std::string, std::uint16_t> aliases_out;
    std::deque<answer> held;
    std::set<std::uint16_t> quota;  // QoS 1/2 PUBLISH received here whose flow has not ended
    std::map<std::uint16_t, std::vector<reason_code>> subacks;  // written here, by Packet Identifier
    std::deque<std::uint32_t> sent_order[2];  // QoS 1 and QoS 2 PUBLISH sent here and not yet answered
    std::deque<std::uint16_t> pubrec_order;   // PUBREC (success) written here, not yet released
    std::uint32_t last_seq_in = 0;            // the last QoS 1/2 message the client sent here (+1)
    std::uint8_t maximum_qos = 2;
    std::uint32_t maximum_packet_size = largest_packet_size;
    std::set<std::size_t> boundaries{0};  // where the broker's packets end in its byte stream
    std::size_t written = 0;              // bytes the broker wrote here
    std::size_t taken_by_client = 0;      // of those, bytes the client took
};

// What the sequences did, summed (printed once per test case).
struct model_stats {
    std::size_t steps = 0, connections = 0, drops = 0, accepted = 0, completed = 0, refused = 0, lost = 0;
    std::size_t delivered = 0, streamed = 0, duplicates_dropped = 0, requests = 0, requests_failed = 0;
    std::size_t in_state[6] = {};
    std::size_t burns = 0;
};

// ---- one sequence -----------------------------------------------------------------------------

class world {
public:
    world(protocol_version v, std::uint32_t seed, bool tracing) : v_(v), rng_(seed), tracing_(tracing) {
        c_ = std::make_unique<model_client>();
        keep_alive_ = pick<std::uint16_t>({0, 3, 20, 60});
        manual_acks_ = chance(0.3);
        limits_change_ = five() && chance(0.3);
    }

    const std::string& failure() const { return failure_; }
    const model_stats& stats() const { return stats_; }
    const std::vector<std::string>& trace() const { return trace_; }

    void run() {
        const int steps = between(80, 800);
        bool burn = chance(0.02);
        for (int i = 0; i < steps && failure_.empty(); ++i) {
            if (burn && (!outstanding_.empty() || !requests_.empty()) && chance(0.3)) {
                burn = !burn_packet_ids();
                stats_.burns += burn ? 0 : 1;
            }
            ++stats_.steps;
            ++stats_.in_state[static_cast<int>(c_->state())];
            step();
        }
        if (failure_.empty()) settle();
    }

private:
    // ---- randomness ----
    int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p; }
    template <class T>
    T pick(std::initializer_list<T> items) {
        return *(items.begin() + between(0, static_cast<int>(items.size()) - 1));
    }
    std::size_t upto(std::size_t n) {  // 1..n, often all of it
        if (n <= 1 || chance(0.4)) return n;
        return static_cast<std::size_t>(between(1, static_cast<int>(n)));
    }

    // ---- reporting ----
    template <class F>
    void note(F&& f) {
        if (tracing_) trace_.push_back(std::to_string(now_) + "ms " + f());
    }
    bool expect(bool ok, const std::string& what) {
        if (!ok && failure_.empty()) {
            failure_ = what;
            if (tracing_) trace_.push_back("FAILED: " + what);
        }
        return ok;
    }
    bool five() const { return is_v5(v_); }

    // Packet Identifiers come from a counter that wraps after 65,535: without help a sequence
    // never reaches one still in use. Now and then, while messages and requests are in flight
    // (held by the broker), the client spends identifiers on QoS 1 messages that go straight to
    // a scripted acknowledgement, bypassing the broker, until the counter is about to wrap; the
    // identifiers in flight must then be skipped.
    bool burn_packet_ids() {
        // The scripted PUBLISH and PUBACK must not land inside another packet, nor wait in the
        // session store behind messages that the send quota holds back.
        if (c_->state() != client_state::connected || c_->server().maximum_qos == qos::at_most_once ||
            !c_->tx_data().empty() || c_->rx_pending() != 0 || stream_.active ||
            conn_.boundaries.count(conn_.taken_by_client) == 0 || c_->messages_in_store() != c_->messages_in_flight() ||
            c_->messages_in_flight() >= c_->server().receive_maximum ||
            c_->messages_in_store() >= model_config::max_stored_messages) {
            return false;
        }
        note([] { return std::string("burning Packet Identifiers"); });
        publish p;
        p.topic = "b";
        p.qos = qos::at_least_once;
        const std::uint16_t stop = static_cast<std::uint16_t>(65'535 - between(0, 10));
        for (std::uint16_t last = 0; last < stop && failure_.empty();) {
            const auto id = c_->publish(p);
            if (!expect(id.has_value() && !id_in_use(*id), "burning identifiers: publish refused or reused an identifier")) {
                return true;
            }
            const bool wrapped = *id < last;  // identifiers in use near the end were skipped
            last = *id;
            if (!expect(!c_->tx_data().empty(), "burning identifiers: not sent at once")) return true;
            c_->tx_consume(c_->tx_data().size());
            const std::uint8_t ack[] = {0x40, 0x02, static_cast<std::uint8_t>(last >> 8),
                                        static_cast<std::uint8_t>(last & 0xFF)};
            if (!expect(c_->receive(bytes_view(ack, sizeof ack)) == 4, "burning identifiers: PUBACK not taken")) return true;
            const auto e = c_->poll_event();
            const auto* done = e ? std::get_if<publish_completed_event>(&*e) : nullptr;
            if (!expect(done != nullptr && done->packet_id == last && !c_->poll_event(),
                        "burning identifiers: no completion for " + std::to_string(last) + " but " +
                            (e ? describe(*e) : std::string("nothing")))) {
                return true;
            }
            if (wrapped) break;
        }
        note([] { return std::string("burnt"); });
        return true;
    }

    // ---- the step -------------------------------------------------------------------------
    void step() {
        const client_state st = c_->state();
        if (st == client_state::idle) {
            if (chance(0.4)) reconnect(false);
            else if (chance(0.3)) broker_step();
            else tick();
            return;
        }
        if ((st == client_state::closed || st == client_state::disconnecting) && c_->tx_data().empty()) {
            close_gracefully();
            return;
        }
        if (conn_.up && conn_.closing && to_client_.empty() && chance(0.5)) {
            drop("the broker closed the connection");
            return;
        }
        if (st == client_state::connecting && chance(0.6)) {
            // Hurry the handshake along (still in pieces): its steps are not very interesting.
            if (!c_->tx_data().empty()) client_to_pipe();
            else if (!to_broker_.empty()) pipe_to_broker();
            else if (!conn_.held.empty()) broker_step();
            else pipe_to_client();
            return;
        }
        const int r = between(0, 999);
        if (r < 120) command();
        else if (r < 300) client_to_pipe();
        else if (r < 480) pipe_to_broker();
        else if (r < 640) broker_step();
        else if (r < 830) pipe_to_client();
        else if (r < 880) poll(static_cast<std::size_t>(between(1, 4)));
        else if (r < 985) tick();
        else if (r < 994) drop("the connection broke");
        else if (r < 996) broker_closes();
        else if (r < 998) app_disconnects();
        else poll(1000);
        check_tx_after_close();
    }

    // The application closes the transport once a closed client has sent what it had: the pipe to
    // the broker is delivered first (TCP sends queued data before FIN), unless it breaks.
    void close_gracefully() {
        if (chance(0.8)) {
            while (!to_broker_.empty() && failure_.empty()) pipe_to_broker(to_broker_.size());
        }
        drop("the application closed the transport");
    }

    void drop(const char* why) {
        note([&] { return std::string("DROP: ") + why; });
        if (c_->state() != client_state::idle) c_->transport_closed();
        broker_connection_lost();
        to_broker_.clear();
        to_client_.clear();
        ++connection_;
        ++stats_.drops;
        app_acks_.clear();  // the client forgets them; the broker sends the messages again
        tx_closed_size_.reset();
        timed_out_ = false;
        stream_ = inbound_stream{};
        poll(static_cast<std::size_t>(between(0, 3)));
    }

    void reconnect(bool settling) {
        note([] { return std::string("transport opened"); });
        c_->tick(now_);
        expect(c_->transport_opened().has_value(), "transport_opened refused");
        broker_connection_opened();
        ++stats_.connections;
        connect_options o;
        o.protocol_version = v_;
        o.client_id = "model";
        o.keep_alive = keep_alive_;
        o.manual_acks = manual_acks_;
        o.clean_start = settling ? false : (first_connect_ ? chance(0.5) : chance(0.05));
        if (five()) o.session_expiry_interval = (settling || chance(0.9)) ? 3600 : 0;
        first_connect_ = false;
        // A clean start that got no CONNACK is repeated by the client, whatever is asked.
        clean_start_ = o.clean_start || clean_unconfirmed_;
        settling_ = settling;
        note([&] {
            return std::string("connect ") + (o.clean_start ? "clean" : clean_start_ ? "resume (clean again)" : "resume") +
                   " expiry=" + std::to_string(o.session_expiry_interval) + " ka=" + std::to_string(o.keep_alive);
        });
        const auto ok = c_->connect(o);
        if (!expect(ok.has_value(), "connect refused")) return;
        if (clean_start_) {
            ++epoch_;  // the old session's messages fail (session_lost)
            clean_unconfirmed_ = true;
        }
        check_store();
    }

    // ---- application commands ---------------------------------------------------------------
    void command() {
        if (!app_acks_.empty() && chance(0.4)) {
            app_ack_one(static_cast<std::size_t>(between(0, static_cast<int>(app_acks_.size()) - 1)));
            return;
        }
        const int r = between(0, 99);
        if (r < 70) app_publish();
        else if (r < 85) app_subscribe();
        else app_unsubscribe();
        check_store();
    }

    void app_publish() {
        const qos q = pick({qos::at_most_once, qos::at_least_once, qos::at_least_once, qos::exactly_once,
                            qos::exactly_once});
        const std::uint32_t seq = next_client_seq_++;
        client_message m;
        m.q = q;
        m.topic = "t/" + std::to_string(between(0, 3));
        std::size_t size = static_cast<std::size_t>(between(0, 40));
        if (chance(0.05)) size = static_cast<std::size_t>(between(150, 480));
        m.payload = make_payload('m', seq, size);
        publish p;
        p.topic = m.topic;
        p.payload = bytes_view(m.payload.data(), m.payload.size());
        p.qos = q;
        const bool wait = chance(0.6);
        const std::size_t stored = c_->messages_in_store();
        const auto id = c_->publish(p, wait ? when_quota_exhausted::wait : when_quota_exhausted::refuse);
        client_messages_.emplace(seq, std::move(m));
        note([&] {
            return "publish seq=" + std::to_string(seq) + " q=" + std::to_string(static_cast<int>(q)) +
                   (wait ? " wait" : " refuse") + " -> " +
                   (id ? "id=" + std::to_string(*id) : std::string(id.error().name()));
        });
        if (!id) {
            expect(id.error().category == error_category::local || id.error().category == error_category::resource,
                   "publish failed with a non-local error: " + std::string(id.error().name()));
            expect(c_->messages_in_store() == stored, "a refused publish changed the session store");
            if (id.error().code == errc::send_quota_exhausted) {
                expect(!wait && c_->messages_in_flight() >= c_->server().receive_maximum,
                       "send_quota_exhausted with quota left");
            }
            return;
        }
        if (q == qos::at_most_once) {
            expect(*id == 0, "QoS 0 publish returned a Packet Identifier");
            return;
        }
        if (!expect(*id != 0 && !id_in_use(*id), "publish returned Packet Identifier " + std::to_string(*id) +
                                                     " still in use")) {
            return;
        }
        outstanding_[*id] = outstanding_publish{seq, q, epoch_};
        ++stats_.accepted;
    }

    // Manual acknowledgement, in any order (the client sends them in arrival order); in 5.0 now and
    // then with an error code.
    void app_ack_one(std::size_t index) {
        const app_ack a = app_acks_[index];
        broker_message& m = broker_messages_[a.seq];
        std::uint8_t code = 0;
        if (five() && chance(0.1)) code = pick<std::uint8_t>({0x80, 0x87, 0x97});
        const auto ok = c_->ack(a.id, static_cast<reason_code>(code));
        note([&] {
            return "ack id=" + std::to_string(a.id) + " seq=" + std::to_string(a.seq) + " rc=" + std::to_string(code) +
                   " -> " + (ok ? "ok" : ok.error().name().data());
        });
        if (!expect(ok.has_value() || c_->state() != client_state::connected,
                    "ack() refused: " + std::string(ok ? "" : ok.error().name().data()))) {
            return;
        }
        if (!ok) return;
        if (code < 0x80) ++m.acked;  // accepted: never offered again at QoS 2
        m.ack_code = code;
        app_acks_.erase(app_acks_.begin() + static_cast<std::ptrdiff_t>(index));
    }

    bool id_in_use(std::uint16_t id) const { return outstanding_.count(id) != 0 || requests_.count(id) != 0; }

    void app_subscribe() {
        static const char* const filters[] = {"s/#", "s/+", "s/1", "t/+", "x/y"};
        const std::size_t n = static_cast<std::size_t>(between(1, 2));
        subscription subs[2];
        for (std::size_t i = 0; i < n; ++i) {
            subs[i].topic_filter = filters[between(0, 4)];
            subs[i].qos = static_cast<qos>(between(0, 2));
        }
        const auto id = c_->subscribe(subscription_list(subs, n));
        note([&] { return "subscribe -> " + (id ? "id=" + std::to_string(*id) : std::string(id.error().name())); });
        if (!id) return;
        if (!expect(!id_in_use(*id), "subscribe returned Packet Identifier " + std::to_string(*id) + " still in use")) {
            return;
        }
        requests_[*id] = outstanding_request{packet_type::subscribe, n, connection_};
        ++stats_.requests;
    }

    void app_unsubscribe() {
        static const char* const filters[] = {"s/#", "s/+", "t/+"};
        const std::size_t n = static_cast<std::size_t>(between(1, 2));
        text_view list[2];
        for (std::size_t i = 0; i < n; ++i) list[i] = filters[between(0, 2)];
        const auto id = c_->unsubscribe(topic_filter_list(list, n));
        note([&] { return "unsubscribe -> " + (id ? "id=" + std::to_string(*id) : std::string(id.error().name())); });
        if (!id) return;
        if (!expect(!id_in_use(*id), "unsubscribe returned Packet Identifier " + std::to_string(*id) + " still in use")) {
            return;
        }
        requests_[*id] = outstanding_request{packet_type::unsubscribe, n, connection_};
        ++stats_.requests;
    }

    void app_disconnect_now() {
        const auto ok = c_->disconnect();
        note([&] { return std::string("disconnect -> ") + (ok ? "ok" : ok.error().name().data()); });
        if (ok) tx_closed_size_ = c_->tx_data().size();
    }
    void app_disconnects() {
        const client_state st = c_->state();
        if (st == client_state::connected || st == client_state::connecting) app_disconnect_now();
    }

    // Nothing is queued after DISCONNECT or after the session closed.
    void check_tx_after_close() {
        const client_state st = c_->state();
        if (st != client_state::closed && st != client_state::disconnecting) return;
        const std::size_t n = c_->tx_data().size();
        if (tx_closed_size_) expect(n <= *tx_closed_size_, "bytes queued after the session closed");
        tx_closed_size_ = n;
    }

    // The session store holds exactly the accepted messages that have not ended.
    void check_store() {
        expect(c_->messages_in_store() == outstanding_.size(),
               "the session store holds " + std::to_string(c_->messages_in_store()) + " messages, the application " +
                   std::to_string(outstanding_.size()) + " unfinished ones");
    }

    // ---- moving bytes -------------------------------------------------------------------------
    void client_to_pipe() {
        const bytes_view tx = c_->tx_data();
        if (tx.empty()) return;
        const std::size_t n = upto(tx.size());
        for (std::size_t i = 0; i < n; ++i) to_broker_.push_back(tx[i]);
        c_->tx_consume(n);
        check_tx_after_close();
        check_store();
    }

    void pipe_to_broker(std::size_t limit = 0) {
        if (to_broker_.empty()) return;
        const std::size_t n = limit != 0 ? limit : upto(to_broker_.size());
        std::vector<std::uint8_t> piece(to_broker_.begin(), to_broker_.begin() + static_cast<std::ptrdiff_t>(n));
        to_broker_.erase(to_broker_.begin(), to_broker_.begin() + static_cast<std::ptrdiff_t>(n));
        broker_receive(piece);
    }

    void pipe_to_client() {
        if (to_client_.empty()) return;
        std::size_t n = upto(to_client_.size());
        std::size_t taken = 0;
        if (chance(0.5)) {
            std::vector<std::uint8_t> piece(to_client_.begin(), to_client_.begin() + static_cast<std::ptrdiff_t>(n));
            taken = c_->receive(bytes_view(piece.data(), piece.size()));
            expect(taken <= n, "receive took more than it was given");
        } else {
            // Reading straight into the client's buffer.
            const mutable_bytes window = c_->rx_window();
            taken = std::min(n, window.size());
            for (std::size_t i = 0; i < taken; ++i) window[i] = to_client_[i];
            c_->rx_commit(taken);
        }
        to_client_.erase(to_client_.begin(), to_client_.begin() + static_cast<std::ptrdiff_t>(taken));
        conn_.taken_by_client += taken;
        poll(chance(0.7) ? 1000 : static_cast<std::size_t>(between(0, 3)));
    }

    void tick() {
        std::uint64_t dt = static_cast<std::uint64_t>(between(0, 1500));
        if (chance(0.05)) dt = static_cast<std::uint64_t>(between(5'000, 30'000));
        now_ += dt;
        c_->tick(now_);
        poll(1000);
    }

    // ---- events -------------------------------------------------------------------------------
    void poll(std::size_t most) {
        for (std::size_t i = 0; i < most && failure_.empty(); ++i) {
            const auto e = c_->poll_event();
            if (!e) {
                // The client waits for transmit room before it answers the next packet.
                if (c_->rx_pending() != 0 && !c_->tx_data().empty() && chance(0.5)) {
                    client_to_pipe();
                    continue;
                }
                return;
            }
            on_event(*e);
            check_store();
        }
    }

    void on_event(const event& e) {
        note([&] {
            if (const auto* b = std::get_if<message_begin_event>(&e)) {
                return "event message_begin id=" + std::to_string(b->packet.packet_id) + " size=" + std::to_string(b->payload_size);
            }
            if (const auto* k = std::get_if<message_chunk_event>(&e)) {
                return "event message_chunk at=" + std::to_string(k->offset) + " len=" + std::to_string(k->data.size());
            }
            if (const auto* end = std::get_if<message_end_event>(&e)) return "event message_end id=" + std::to_string(end->packet_id);
            return "event " + describe(e);
        });
        if (const auto* c = std::get_if<connected_event>(&e)) {
            expect(c->session_present == last_session_present_, "connected_event disagrees with CONNACK's Session Present");
            if (!c->session_present && !clean_start_) ++epoch_;  // [MQTT-3.2.2-5]: the session is gone
            clean_unconfirmed_ = false;
            conn_.client_connected = true;
            return;
        }
        if (std::get_if<connect_refused_event>(&e) != nullptr) {
            expect(false, "connect refused, but the broker refuses nothing");
            return;
        }
        if (const auto* m = std::get_if<message_event>(&e)) {
            deliver(text_of(m->packet.topic), m->packet.qos, m->packet.packet_id, bytes_of(m->packet.payload));
            return;
        }
        if (const auto* b = std::get_if<message_begin_event>(&e)) {
            expect(!stream_.active, "message_begin inside a streamed message");
            stream_ = inbound_stream{true, b->packet.packet_id, b->packet.qos, text_of(b->packet.topic), {}, b->payload_size};
            return;
        }
        if (const auto* k = std::get_if<message_chunk_event>(&e)) {
            expect(stream_.active && k->packet_id == stream_.id && k->offset == stream_.data.size(),
                   "message_chunk out of place");
            for (std::size_t i = 0; i < k->data.size(); ++i) stream_.data.push_back(k->data[i]);
            return;
        }
        if (const auto* end = std::get_if<message_end_event>(&e)) {
            if (!expect(stream_.active && end->packet_id == stream_.id && end->qos == stream_.q &&
                            stream_.data.size() == stream_.size,
                        "message_end out of place or short")) {
                return;
            }
            ++stats_.streamed;
            const inbound_stream s = std::move(stream_);
            stream_ = inbound_stream{};
            deliver(s.topic, s.q, s.id, s.data);
            return;
        }
        if (const auto* d = std::get_if<publish_completed_event>(&e)) {
            const auto it = outstanding_.find(d->packet_id);
            if (!expect(it != outstanding_.end(), "completed for Packet Identifier " + std::to_string(d->packet_id) +
                                                      " that has no unfinished message")) {
                return;
            }
            const outstanding_publish o = it->second;
            outstanding_.erase(it);
            ++stats_.completed;
            expect(d->qos == o.q, "completed with the wrong QoS");
            expect(o.epoch == epoch_, "a message of a lost session completed (seq " + std::to_string(o.seq) + ")");
            expect(!is_failure(d->reason_code), "completed with a failure code");
            const packet_type t = o.q == qos::at_least_once ? packet_type::puback : packet_type::pubcomp;
            expect(answered(o.seq, t, static_cast<std::uint8_t>(d->reason_code)),
                   "completed seq " + std::to_string(o.seq) + " with a code the broker did not send for it");
            expect(client_messages_[o.seq].accepted_by_broker >= 1, "completed a message the broker never took");
            return;
        }
        if (const auto* f = std::get_if<publish_failed_event>(&e)) {
            const auto it = outstanding_.find(f->packet_id);
            if (!expect(it != outstanding_.end(), "failed for Packet Identifier " + std::to_string(f->packet_id) +
                                                      " that has no unfinished message")) {
                return;
            }
            const outstanding_publish o = it->second;
            outstanding_.erase(it);
            expect(f->qos == o.q, "failed with the wrong QoS");
            ++(f->session_lost ? stats_.lost : stats_.refused);
            if (f->session_lost) {
                expect(o.epoch < epoch_, "session_lost failure without a session loss (seq " + std::to_string(o.seq) + ")");
                return;
            }
            const std::uint8_t code = static_cast<std::uint8_t>(f->reason_code);
            if (code == 0x95 || code == 0x9B) {
                // Not sent: this connection's server takes no packet that large, or no such QoS.
                const client_message& m = client_messages_[o.seq];
                publish p;
                p.topic = m.topic;
                p.payload = bytes_view(m.payload.data(), m.payload.size());
                p.qos = m.q;
                p.packet_id = f->packet_id;
                const auto size = encoded_size(p, v_);
                const bool fits = size && *size <= c_->server().maximum_packet_size;
                const bool qos_ok = static_cast<std::uint8_t>(m.q) <= static_cast<std::uint8_t>(c_->server().maximum_qos);
                expect(code == 0x95 ? !fits : !qos_ok, "failed seq " + std::to_string(o.seq) + " with " +
                                                           std::to_string(code) + " for no reason");
                // A QoS 2 message the broker may hold is released (PUBREL), not dropped: else
                // the broker keeps its identifier, and takes the next message with it for a copy.
                expect(m.q != qos::exactly_once || m.seen_by_broker == 0,
                       "failed QoS 2 seq " + std::to_string(o.seq) + " that the broker has");
                return;
            }
            const bool ok = o.q == qos::at_least_once
                                ? answered(o.seq, packet_type::puback, code)
                                : answered(o.seq, packet_type::pubrec, code) || answered(o.seq, packet_type::pubcomp, code);
            expect(is_failure(f->reason_code) && ok,
                   "failed seq " + std::to_string(o.seq) + " with a code the broker did not send for it");
            return;
        }
        if (const auto* s = std::get_if<subscribe_completed_event>(&e)) {
            answer_request(s->packet_id, packet_type::subscribe, s->packet.reason_codes);
            return;
        }
        if (const auto* u = std::get_if<unsubscribe_completed_event>(&e)) {
            answer_request(u->packet_id, packet_type::unsubscribe, u->packet.reason_codes);
            return;
        }
        if (const auto* q = std::get_if<request_failed_event>(&e)) {
            const auto it = requests_.find(q->packet_id);
            if (!expect(it != requests_.end() && it->second.type == q->type, "request_failed for no request")) return;
            ++stats_.requests_failed;
            expect(it->second.connection < connection_, "request_failed while its connection is up");
            requests_.erase(it);
            return;
        }
        if (std::get_if<disconnected_event>(&e) != nullptr) {
            expect(broker_sent_disconnect_, "disconnected_event without a DISCONNECT from the broker");
            return;
        }
        if (const auto* f = std::get_if<connection_failed_event>(&e)) {
            timed_out_ = true;
            expect(f->error.code == errc::ping_timeout || f->error.code == errc::connack_timeout,
                   "the session failed: " + std::string(f->error.name()));
            return;
        }
        expect(false, "unexpected event " + describe(e));
    }

    bool answered(std::uint32_t seq, packet_type t, std::uint8_t code) {
        const auto& a = client_messages_[seq].answers;
        return std::find(a.begin(), a.end(), std::make_pair(t, code)) != a.end();
    }

    void answer_request(std::uint16_t id, packet_type t, const reason_code_list& codes) {
        const auto it = requests_.find(id);
        if (!expect(it != requests_.end() && it->second.type == t,
                    "an answer for no " + std::string(to_string(t)) + " request (id " + std::to_string(id) + ")")) {
            return;
        }
        expect(it->second.connection == connection_, "an answer from another connection");
        const auto sent = conn_.subacks.find(id);
        if (expect(sent != conn_.subacks.end(), "an answer the broker did not send")) {
            std::vector<reason_code> got;
            for (const reason_code c : codes) got.push_back(c);
            expect(got == sent->second, "the answer's reason codes differ from the broker's");
            conn_.subacks.erase(sent);
        }
        requests_.erase(it);
    }

    void deliver(const std::string& topic, qos q, std::uint16_t id, const std::vector<std::uint8_t>& payload) {
        const auto seq = payload_seq('s', bytes_view(payload.data(), payload.size()));
        if (!expect(seq && broker_messages_.count(*seq) != 0, "a message the broker never published")) return;
        broker_message& m = broker_messages_[*seq];
        ++stats_.delivered;
        expect(m.q == q && m.topic == topic && m.payload == payload,
               "message seq " + std::to_string(*seq) + " arrived changed (topic " + topic + ")");
        ++m.delivered;
        // With manual acknowledgement, a QoS 2 message the application had not acknowledged when
        // the connection closed is offered again: the client never answered it.
        const bool again_ok = q == qos::exactly_once && manual_acks_ && m.acked == 0 && m.delivered_on < connection_;
        expect(q == qos::at_least_once || m.delivered == 1 || again_ok,
               "QoS " + std::to_string(static_cast<int>(q)) + " message seq " + std::to_string(*seq) + " delivered twice");
        m.delivered_on = connection_;
        if (manual_acks_ && q != qos::at_most_once) app_acks_.push_back(app_ack{id, *seq});
    }

    // ---- the broker -------------------------------------------------------------------------
    void broker_connection_opened() {
        conn_ = broker_connection{};
        conn_.up = true;
        broker_sent_disconnect_ = false;
    }

    void broker_connection_lost() {
        if (!conn_.up) return;
        if (conn_.got_connect && conn_.ends_session) {
            discard_session("the session ends with the connection");
        } else if (conn_.got_connect && conn_.new_session && !conn_.client_connected) {
            // Left out, as no client can tell: a session the server created (Session Present 0)
            // but whose CONNACK the client never read, resumed by the next connection with
            // Session Present 1, while the client still holds the old session's state. The model
            // broker lets such a session go again, as if it expired.
            discard_session("its CONNACK never reached the client");
        }
        conn_ = broker_connection{};
    }

    void discard_session(const char* why) {
        note([&] { return std::string("broker discards the session: ") + why; });
        for (const outbound& o : session_.out) broker_messages_[o.seq].may_be_lost = true;
        session_ = broker_session{};
    }

    void broker_receive(const std::vector<std::uint8_t>& bytes) {
        if (!conn_.up || (conn_.closing && !conn_.got_disconnect)) return;  // the broker closed: it reads no more
        if (conn_.got_disconnect) {
            expect(bytes.empty(), "the client sent bytes after DISCONNECT");
            return;
        }
        conn_.in.insert(conn_.in.end(), bytes.begin(), bytes.end());
        while (failure_.empty() && !conn_.in.empty()) {
            const bytes_view received(conn_.in.data(), conn_.in.size());
            const auto f = frame(received, conn_.maximum_packet_size, v_);
            if (!expect(f.has_value(), "the broker cannot frame the client's bytes (" +
                                           std::string(f ? "" : f.error().name().data()) + ")")) {
                return;
            }
            if (!f->complete) return;
            const std::size_t size = f->header.packet_size();
            const auto p = decode(received.subview(0, size), v_, sender::client);
            if (!expect(p.has_value(), "malformed packet from the client: " +
                                           std::string(p ? "" : p.error().name().data()))) {
                return;
            }
            note([&] { return "broker <- " + brief(*p); });
            broker_handle(*p);
            conn_.in.erase(conn_.in.begin(), conn_.in.begin() + static_cast<std::ptrdiff_t>(size));
            if (conn_.got_disconnect && !conn_.in.empty()) {
                expect(false, "the client sent bytes after DISCONNECT");
                return;
            }
        }
    }

    // A Packet Identifier the broker still holds for the client's flows.
    bool broker_holds(std::uint16_t id) const {
        if (session_.qos2_in.count(id) != 0) return true;
        for (const answer& a : conn_.held) {
            if (a.id == id && a.type != packet_type::pubrel && a.type != packet_type::connack &&
                a.type != packet_type::pingresp && a.type != packet_type::disconnect) {
                return true;
            }
        }
        return false;
    }

    void broker_handle(const packet& p) {
        const packet_type t = type_of(p);
        if (t == packet_type::connect) {
            broker_on_connect(std::get<connect>(p));
            return;
        }
        if (!expect(conn_.got_connect, "a packet before CONNECT")) return;
        // This client sends nothing but DISCONNECT (after a timeout) before CONNACK.
        if (!expect(conn_.connack_written || t == packet_type::disconnect, "a packet before CONNACK was sent")) return;
        switch (t) {
            case packet_type::publish: broker_on_publish(std::get<publish>(p)); return;
            case packet_type::pubrel: broker_on_pubrel(std::get<pubrel>(p)); return;
            case packet_type::puback: broker_on_puback(std::get<puback>(p)); return;
            case packet_type::pubrec: broker_on_pubrec(std::get<pubrec>(p)); return;
            case packet_type::pubcomp: broker_on_pubcomp(std::get<pubcomp>(p)); return;
            case packet_type::subscribe: {
                const auto& s = std::get<subscribe>(p);
                if (!expect(!broker_holds(s.packet_id), "SUBSCRIBE with Packet Identifier " +
                                                            std::to_string(s.packet_id) + " still in flight")) {
                    return;
                }
                answer a;
                a.type = packet_type::suback;
                a.id = s.packet_id;
                for (const subscription sub : s.subscriptions) {
                    if (five() && chance(0.1)) a.codes.push_back(pick({reason_code::not_authorized, reason_code::quota_exceeded}));
                    else if (!five() && chance(0.1)) a.codes.push_back(reason_code::unspecified_error);
                    else a.codes.push_back(static_cast<reason_code>(between(0, static_cast<int>(sub.qos))));
                }
                conn_.held.push_back(a);
                return;
            }
            case packet_type::unsubscribe: {
                const auto& u = std::get<unsubscribe>(p);
                if (!expect(!broker_holds(u.packet_id), "UNSUBSCRIBE with Packet Identifier " +
                                                            std::to_string(u.packet_id) + " still in flight")) {
                    return;
                }
                answer a;
                a.type = packet_type::unsuback;
                a.id = u.packet_id;
                if (five()) {
                    for (std::size_t i = 0; i < u.topic_filters.size(); ++i) {
                        a.codes.push_back(pick({reason_code::success, reason_code::success, reason_code::no_subscription_existed}));
                    }
                }
                conn_.held.push_back(a);
                return;
            }
            case packet_type::pingreq: {
                answer a;
                a.type = packet_type::pingresp;
                conn_.held.push_back(a);
                return;
            }
            case packet_type::disconnect:
                expect(std::get<disconnect>(p).reason_code == reason_code::normal_disconnection || timed_out_,
                       "the client disconnected with an error");
                conn_.got_disconnect = true;
                conn_.closing = true;
                return;
            default: expect(false, "unexpected packet from the client: " + brief(p)); return;
        }
    }

    void broker_on_connect(const connect& c) {
        if (!expect(!conn_.got_connect, "a second CONNECT")) return;
        conn_.got_connect = true;
        expect(c.protocol_version == v_, "CONNECT names another protocol version");
        expect(c.client_id == text_view("model"), "CONNECT with another client id");
        expect(c.clean_start == clean_start_, "CONNECT's clean start is not the one asked for");
        std::uint32_t expiry = 0;
        if (five()) {
            if (const auto x = c.properties.receive_maximum()) conn_.client_receive_maximum = *x;
            if (const auto x = c.properties.topic_alias_maximum()) conn_.client_alias_maximum = *x;
            // The client streams what its buffer cannot hold: it advertises no Maximum Packet Size.
            expect(!c.properties.maximum_packet_size(), "a streaming client advertised a Maximum Packet Size");
            if (const auto x = c.properties.session_expiry_interval()) expiry = *x;
        } else {
            conn_.client_receive_maximum = model_config::receive_maximum;  // the broker is configured for this client
        }
        const bool forget = !c.clean_start && !settling_ && chance(0.05);
        if (c.clean_start) discard_session("clean start");
        else if (forget && session_.exists) discard_session("the broker forgot it");
        const bool present = !c.clean_start && session_.exists;
        conn_.new_session = !present;
        session_.exists = true;
        conn_.ends_session = five() ? expiry == 0 : c.clean_start;
        for (outbound& o : session_.out) o.sent_here = o.published_here = false;
        answer a;
        a.type = packet_type::connack;
        a.session_present = present;
        if (five()) {
            std::uint8_t storage[32];
            property_builder b(storage);
            if (chance(0.7)) {
                conn_.receive_maximum = static_cast<std::uint16_t>(between(1, 5));
                b.receive_maximum(conn_.receive_maximum);
            }
            if (chance(0.5)) {
                conn_.alias_maximum = static_cast<std::uint16_t>(between(1, 3));
                b.topic_alias_maximum(conn_.alias_maximum);
            }
            if (limits_change_ && chance(0.4)) {
                conn_.maximum_qos = static_cast<std::uint8_t>(between(0, 1));
                b.maximum_qos(conn_.maximum_qos);
            }
            if (limits_change_ && chance(0.4)) {
                conn_.maximum_packet_size = static_cast<std::uint32_t>(between(60, 400));
                b.maximum_packet_size(conn_.maximum_packet_size);
            }
            const auto built = b.build();
            expect(built.has_value(), "CONNACK properties");
            if (built) a.properties = bytes_of(built->wire());
        }
        last_session_present_ = present;
        conn_.held.push_back(a);
    }

    void broker_on_publish(const publish& p) {
        // Topic aliases the broker allowed.
        std::string topic = text_of(p.topic);
        if (const auto alias = p.properties.topic_alias()) {
            if (!expect(*alias >= 1 && *alias <= conn_.alias_maximum, "Topic Alias " + std::to_string(*alias) +
                                                                          " above the broker's maximum")) {
                return;
            }
            if (topic.empty()) {
                const auto it = conn_.aliases_in.find(*alias);
                if (!expect(it != conn_.aliases_in.end(), "Topic Alias " + std::to_string(*alias) + " never set")) return;
                topic = it->second;
            } else {
                conn_.aliases_in[*alias] = topic;
            }
        }
        const auto seq = payload_seq('m', p.payload);
        if (!expect(seq && client_messages_.count(*seq) != 0, "a PUBLISH the application never published")) return;
        client_message& m = client_messages_[*seq];
        expect(m.topic == topic && m.q == p.qos && m.payload == bytes_of(p.payload),
               "message seq " + std::to_string(*seq) + " arrived changed (topic " + topic + ")");
        ++m.seen_by_broker;
        expect(static_cast<std::uint8_t>(p.qos) <= conn_.maximum_qos, "a PUBLISH above the broker's Maximum QoS");
        if (p.qos == qos::at_most_once) {
            ++m.accepted_by_broker;
            expect(m.accepted_by_broker == 1, "a QoS 0 message arrived twice");
            return;
        }
        // [MQTT-4.6.0-1]: sent (and sent again) in the order they were published.
        expect(*seq + 1 > conn_.last_seq_in, "seq " + std::to_string(*seq) + " sent after a later message");
        conn_.last_seq_in = *seq + 1;
        const std::uint16_t id = p.packet_id;
        // [MQTT-3.3.1-1]: a PUBLISH sent again has DUP 1, so DUP 0 means a first attempt.
        if (!p.dup) {
            expect(m.seen_by_broker == 1,
                   "seq " + std::to_string(*seq) + " sent again without DUP");
        }
        if (session_.qos2_in.count(id) != 0) {
            if (!expect(session_.qos2_in[id] == *seq && p.dup, "Packet Identifier " + std::to_string(id) +
                                                                   " reused while the broker holds it for QoS 2")) {
                return;
            }
            ++stats_.duplicates_dropped;
        } else if (!p.dup) {
            if (!expect(!broker_holds(id), "PUBLISH with Packet Identifier " + std::to_string(id) + " still in flight")) {
                return;
            }
        }
        if (five()) {
            conn_.quota.insert(id);
            expect(conn_.quota.size() <= conn_.receive_maximum, "the client broke the broker's Receive Maximum");
        }
        answer a;
        a.id = id;
        a.seq = *seq;
        if (p.qos == qos::at_least_once) {
            a.type = packet_type::puback;
            ++m.accepted_by_broker;
            if (five() && chance(0.05)) {
                a.code = pick<std::uint8_t>({0x80, 0x87, 0x97});
                --m.accepted_by_broker;
            } else if (five() && chance(0.1)) {
                a.code = 0x10;  // no matching subscribers: still a success
            }
            conn_.held.push_back(a);
            return;
        }
        a.type = packet_type::pubrec;
        if (session_.qos2_in.count(id) == 0) {
            session_.released.erase(id);
            if (five() && chance(0.05)) {
                a.code = pick<std::uint8_t>({0x80, 0x83, 0x97});  // refused: not taken, the flow ends
            } else {
                ++m.accepted_by_broker;
                expect(m.accepted_by_broker == 1, "QoS 2 message seq " + std::to_string(*seq) + " taken twice");
                session_.qos2_in[id] = *seq;
            }
        }
        conn_.held.push_back(a);
    }

    void broker_on_pubrel(const pubrel& r) {
        // [MQTT-4.6.0-4]: PUBRELs in the order of the PUBRECs (those written on this connection).
        auto& order = conn_.pubrec_order;
        const auto at = std::find(order.begin(), order.end(), r.packet_id);
        if (at != order.end()) {
            expect(at == order.begin(), "PUBREL " + std::to_string(r.packet_id) + " before an earlier one");
            order.erase(at);
        }
        answer a;
        a.type = packet_type::pubcomp;
        a.id = r.packet_id;
        const auto in = session_.qos2_in.find(r.packet_id);
        if (in != session_.qos2_in.end()) {
            a.seq = in->second;
            session_.released[r.packet_id] = in->second;
            session_.qos2_in.erase(in);
        } else {
            // The test looks at the client's side to tell which message this is (for its records;
            // on the wire the broker answers as a broker without that state would).
            const auto old = session_.released.find(r.packet_id);
            const auto mine = outstanding_.find(r.packet_id);
            if (old != session_.released.end() && mine != outstanding_.end() && mine->second.seq == old->second) {
                // Sent again after a reconnect: the broker has released it already.
                a.seq = old->second;
                if (five() && chance(0.5)) a.code = 0x92;  // "not an error during recovery"
            } else {
                // A 5.0 client releases a QoS 2 message it may no longer send (a lower Maximum QoS
                // or Maximum Packet Size) though the broker never took it: 0x92 says so.
                if (!expect(five() && mine != outstanding_.end() && mine->second.q == qos::exactly_once,
                            "PUBREL for Packet Identifier " + std::to_string(r.packet_id) + " the broker never had")) {
                    return;
                }
                a.seq = mine->second.seq;
                a.code = 0x92;
            }
        }
        conn_.held.push_back(a);
    }

    outbound* find_out(std::uint16_t id) {
        for (outbound& o : session_.out) {
            if (o.id == id && o.state != out_state::queued) return &o;
        }
        return nullptr;
    }
    void erase_out(const outbound* o) {
        for (auto it = session_.out.begin(); it != session_.out.end(); ++it) {
            if (&*it == o) {
                session_.out.erase(it);
                return;
            }
        }
    }

    void broker_on_puback(const puback& a) {
        outbound* o = find_out(a.packet_id);
        if (!expect(o != nullptr && o->state == out_state::publish_sent && broker_messages_[o->seq].q == qos::at_least_once,
                    "PUBACK for no QoS 1 message in flight")) {
            return;
        }
        broker_message& m = broker_messages_[o->seq];
        expect(m.delivered >= 1, "PUBACK for seq " + std::to_string(o->seq) + " before the application got it");
        expect(static_cast<std::uint8_t>(a.reason_code) == (manual_acks_ ? m.ack_code : 0),
               "PUBACK with a code the application did not choose");
        check_answer_order(o->seq, qos::at_least_once);
        m.done = true;
        erase_out(o);
    }

    void broker_on_pubrec(const pubrec& a) {
        outbound* o = find_out(a.packet_id);
        if (!expect(o != nullptr && o->state == out_state::publish_sent && broker_messages_[o->seq].q == qos::exactly_once,
                    "PUBREC for no QoS 2 PUBLISH in flight")) {
            return;
        }
        broker_message& m = broker_messages_[o->seq];
        expect(m.delivered >= 1, "PUBREC for seq " + std::to_string(o->seq) + " before the application got it");
        expect(m.acked != 0 || m.ack_code >= 0x80 || !manual_acks_, "PUBREC for seq " + std::to_string(o->seq) + " before the application acknowledged it");
        expect(static_cast<std::uint8_t>(a.reason_code) == (manual_acks_ ? m.ack_code : 0),
               "PUBREC with a code the application did not choose");
        check_answer_order(o->seq, qos::exactly_once);
        m.done = true;
        if (is_failure(a.reason_code)) {  // the client refused it: the flow ends [MQTT-4.3.3-9]
            erase_out(o);
            return;
        }
        o->state = out_state::pubrel_sent;
        o->sent_here = true;
        answer r;
        r.type = packet_type::pubrel;
        r.id = a.packet_id;
        conn_.held.push_back(r);
    }

    // [MQTT-4.6.0-2, -3]: PUBACKs, and PUBRECs, come in the order of the PUBLISH packets sent on
    // this connection.
    void check_answer_order(std::uint32_t seq, qos q) {
        auto& order = conn_.sent_order[q == qos::at_least_once ? 0 : 1];
        const auto it = std::find(order.begin(), order.end(), seq);
        if (it == order.end()) return;  // not sent on this connection: answered a copy from before
        expect(it == order.begin(), "seq " + std::to_string(seq) + " acknowledged before an earlier QoS " +
                                        std::to_string(static_cast<int>(q)) + " message");
        order.erase(it);
    }

    void broker_on_pubcomp(const pubcomp& a) {
        outbound* o = find_out(a.packet_id);
        if (!expect(o != nullptr && o->state == out_state::pubrel_sent, "PUBCOMP for no PUBREL in flight")) return;
        erase_out(o);
    }

    // Answers leave in order; some are held back for a while.
    void broker_step() {
        if (conn_.up && !conn_.closing) {
            std::size_t n = conn_.held.empty() ? 0 : upto(conn_.held.size());
            if (chance(0.2)) n = 0;
            for (std::size_t i = 0; i < n && failure_.empty(); ++i) release_answer();
        }
        if (session_.exists && chance(0.3)) broker_publishes();
        broker_pump();
    }

    void release_answer() {
        const answer a = conn_.held.front();
        conn_.held.pop_front();
        switch (a.type) {
            case packet_type::connack: {
                connack c;
                c.session_present = a.session_present;
                c.properties = properties(bytes_view(a.properties.data(), a.properties.size()));
                write(c);
                conn_.connack_written = true;
                return;
            }
            case packet_type::puback: write(puback{a.id, static_cast<reason_code>(a.code), {}}); break;
            case packet_type::pubrec:
                write(pubrec{a.id, static_cast<reason_code>(a.code), {}});
                if (a.code < 0x80 &&
                    std::find(conn_.pubrec_order.begin(), conn_.pubrec_order.end(), a.id) == conn_.pubrec_order.end()) {
                    conn_.pubrec_order.push_back(a.id);
                }
                break;
            case packet_type::pubcomp: write(pubcomp{a.id, static_cast<reason_code>(a.code), {}}); break;
            case packet_type::pubrel: write(pubrel{a.id, reason_code::success, {}}); return;
            case packet_type::suback:
                write(suback{a.id, reason_code_list(a.codes.data(), a.codes.size()), {}});
                conn_.subacks[a.id] = a.codes;
                return;
            case packet_type::unsuback:
                write(unsuback{a.id, reason_code_list(a.codes.data(), a.codes.size()), {}});
                conn_.subacks[a.id] = a.codes;
                return;
            case packet_type::pingresp: write(pingresp{}); return;
            default: expect(false, "the broker holds an odd answer"); return;
        }
        // PUBACK, PUBREC, PUBCOMP: what the client will see for that message; the end of a flow frees quota.
        client_messages_[a.seq].answers.emplace_back(a.type, a.code);
        if (a.type == packet_type::puback || a.type == packet_type::pubcomp ||
            (a.type == packet_type::pubrec && a.code >= 0x80)) {
            conn_.quota.erase(a.id);
        }
    }

    template <class P>
    void write(const P& p) {
        const auto size = encoded_size(p, v_);
        if (!expect(size.has_value(), "the broker cannot size its packet")) return;
        std::vector<std::uint8_t> out(*size);
        const auto n = encode(p, mutable_bytes(out.data(), out.size()), v_, sender::server);
        if (!expect(n.has_value() && *n == out.size(), "the broker cannot encode its packet")) return;
        note([&] { return "broker -> " + brief(packet(p)); });
        to_client_.insert(to_client_.end(), out.begin(), out.end());
        conn_.written += out.size();
        conn_.boundaries.insert(conn_.written);
    }

    bool broker_may_send() const { return conn_.up && conn_.connack_written && !conn_.closing; }

    void broker_publishes() {
        const std::uint32_t seq = next_broker_seq_++;
        broker_message m;
        m.q = pick({qos::at_most_once, qos::at_least_once, qos::at_least_once, qos::exactly_once, qos::exactly_once});
        m.topic = "s/" + std::to_string(between(0, 4));
        std::size_t size = static_cast<std::size_t>(between(0, 60));
        if (chance(0.08)) size = static_cast<std::size_t>(between(240, 700));
        m.payload = make_payload('s', seq, size);
        const qos q = m.q;
        broker_messages_.emplace(seq, std::move(m));
        note([&] { return "broker publishes seq=" + std::to_string(seq) + " q=" + std::to_string(static_cast<int>(q)); });
        if (q == qos::at_most_once) {
            if (broker_may_send()) send_publish(seq, 0, false);
            return;
        }
        outbound o;
        o.seq = seq;
        session_.out.push_back(o);
    }

    std::uint16_t broker_free_id() {
        for (;;) {
            const std::uint16_t id = session_.next_id;
            session_.next_id = static_cast<std::uint16_t>(id % broker_id_range + 1);
            if (find_out(id) == nullptr) return id;
        }
    }

    // Sends what the session has: PUBRELs and PUBLISHes sent on an earlier connection again (DUP),
    // then new ones, in order, within the client's Receive Maximum.
    void broker_pump() {
        if (!broker_may_send()) return;
        std::size_t in_flight = 0;  // PUBLISH sent here whose flow has not ended (PUBREL sent here counts too)
        for (const outbound& o : session_.out) {
            if (o.published_here) ++in_flight;
        }
        for (outbound& o : session_.out) {
            if (failure_.size() != 0) return;
            if (o.state == out_state::pubrel_sent) {
                if (!o.sent_here) {
                    write(pubrel{o.id, reason_code::success, {}});
                    o.sent_here = true;
                }
                continue;
            }
            if (o.state == out_state::publish_sent && o.sent_here) continue;
            if (in_flight >= conn_.client_receive_maximum) return;
            const bool again = o.state == out_state::publish_sent;
            if (!again) o.id = broker_free_id();
            o.state = out_state::publish_sent;
            o.sent_here = true;
            o.published_here = true;
            ++in_flight;
            send_publish(o.seq, o.id, again);
        }
    }

    void send_publish(std::uint32_t seq, std::uint16_t id, bool dup) {
        const broker_message& m = broker_messages_[seq];
        if (m.q != qos::at_most_once) {
            auto& order = conn_.sent_order[m.q == qos::at_least_once ? 0 : 1];
            order.erase(std::remove(order.begin(), order.end(), seq), order.end());
            order.push_back(seq);
        }
        publish p;
        p.qos = m.q;
        p.packet_id = id;
        p.dup = dup;
        p.payload = bytes_view(m.payload.data(), m.payload.size());
        p.topic = m.topic;
        std::uint8_t storage[8];
        if (conn_.client_alias_maximum != 0 && chance(0.7)) {
            std::uint16_t alias = 0;
            const auto known = conn_.aliases_out.find(m.topic);
            if (known != conn_.aliases_out.end()) {
                alias = known->second;
                if (chance(0.8)) p.topic = text_view();
            } else if (conn_.aliases_out.size() < conn_.client_alias_maximum) {
                alias = static_cast<std::uint16_t>(conn_.aliases_out.size() + 1);
                conn_.aliases_out[m.topic] = alias;
            } else if (chance(0.3)) {
                // Every alias is taken: map one of them to this topic instead.
                alias = static_cast<std::uint16_t>(between(1, conn_.client_alias_maximum));
                for (auto it = conn_.aliases_out.begin(); it != conn_.aliases_out.end(); ++it) {
                    if (it->second == alias) {
                        conn_.aliases_out.erase(it);
                        break;
                    }
                }
                conn_.aliases_out[m.topic] = alias;
            }
            if (alias != 0) {
                property_builder b(storage);
                b.topic_alias(alias);
                const auto built = b.build();
                if (built) p.properties = *built;
            }
        }
        write(p);
    }

    // The broker ends the connection: DISCONNECT in 5.0, then it closes once that is sent.
    void broker_closes() {
        if (!conn_.up || conn_.closing) return;
        if (five() && conn_.connack_written) {
            write(disconnect{pick({reason_code::server_shutting_down, reason_code::administrative_action,
                                   reason_code::server_busy}),
                             {}});
            broker_sent_disconnect_ = true;
            conn_.closing = true;
            return;
        }
        drop("the broker closed the connection");
    }

    // ---- the end ----------------------------------------------------------------------------
    // One last connection resumes the session and runs, without losses, until nothing is in flight.
    void settle() {
        note([] { return std::string("---- settle ----"); });
        for (int round = 0; round < 400 && failure_.empty(); ++round) {
            const client_state st = c_->state();
            if (st == client_state::idle) {
                reconnect(true);
                continue;
            }
            if (st == client_state::closed || st == client_state::disconnecting) {
                while (!c_->tx_data().empty()) client_to_pipe();
                while (!to_broker_.empty() && failure_.empty()) pipe_to_broker(to_broker_.size());
                drop("the application closed the transport");
                continue;
            }
            if (conn_.closing && to_client_.empty()) {
                drop("the broker closed the connection");
                continue;
            }
            if (st == client_state::connected && quiet()) break;
            while (!app_acks_.empty() && st == client_state::connected && failure_.empty()) app_ack_one(0);
            while (!c_->tx_data().empty()) client_to_pipe();
            if (!to_broker_.empty()) pipe_to_broker(to_broker_.size());
            if (conn_.up && !conn_.closing) {
                while (!conn_.held.empty() && failure_.empty()) release_answer();
            }
            broker_pump();
            while (!to_client_.empty() && failure_.empty()) {
                const std::size_t before = to_client_.size();
                pipe_to_client_all();
                if (to_client_.size() == before) break;
            }
            poll(100000);
            now_ += 200;
            c_->tick(now_);
            poll(100000);
        }
        if (!failure_.empty()) return;
        expect(c_->state() == client_state::connected && quiet(),
               "the world did not settle: state " + std::to_string(static_cast<int>(c_->state())) + ", " +
                   std::to_string(outstanding_.size()) + " messages and " + std::to_string(requests_.size()) +
                   " requests unfinished, " + std::to_string(app_acks_.size()) + " acks to give, " +
                   std::to_string(session_.out.size()) + " broker messages in flight, " +
                   std::to_string(conn_.held.size()) + " answers held, pipes " + std::to_string(to_broker_.size()) + "/" +
                   std::to_string(to_client_.size()) + ", tx " + std::to_string(c_->tx_data().size()) + ", rx " +
                   std::to_string(c_->rx_pending()) + ", store " + std::to_string(c_->messages_in_store()));
        expect(outstanding_.empty(), std::to_string(outstanding_.size()) + " accepted messages never ended");
        expect(requests_.empty(), std::to_string(requests_.size()) + " requests never ended");
        for (const auto& [seq, m] : broker_messages_) {
            if (m.q != qos::at_most_once && !m.may_be_lost) {
                expect(m.done && m.delivered >= 1, "broker message seq " + std::to_string(seq) + " was lost");
            }
        }
    }

    void pipe_to_client_all() {
        std::vector<std::uint8_t> piece(to_client_.begin(), to_client_.end());
        const std::size_t taken = c_->receive(bytes_view(piece.data(), piece.size()));
        to_client_.erase(to_client_.begin(), to_client_.begin() + static_cast<std::ptrdiff_t>(taken));
        conn_.taken_by_client += taken;
        poll(100000);
    }

    bool quiet() const {
        return outstanding_.empty() && requests_.empty() && app_acks_.empty() && session_.out.empty() && conn_.held.empty() &&
               to_broker_.empty() && to_client_.empty() && c_->tx_data().empty() && c_->rx_pending() == 0 &&
               c_->messages_in_store() == 0;
    }

    struct inbound_stream {
        bool active = false;
        std::uint16_t id = 0;
        qos q = qos::at_most_once;
        std::string topic;
        std::vector<std::uint8_t> data;
        std::uint32_t size = 0;
    };

    protocol_version v_;
    std::mt19937 rng_;
    bool tracing_;
    std::string failure_;
    std::vector<std::string> trace_;
    model_stats stats_;

    std::unique_ptr<model_client> c_;
    std::uint64_t now_ = 0;
    std::uint16_t keep_alive_ = 0;
    bool first_connect_ = true;
    bool clean_start_ = true;
    bool manual_acks_ = false;
    bool limits_change_ = false;  // 5.0: the broker's Maximum QoS and Maximum Packet Size change between connections
    std::vector<app_ack> app_acks_;
    bool clean_unconfirmed_ = false;
    bool settling_ = false;
    std::uint64_t epoch_ = 0;
    std::uint64_t connection_ = 0;
    std::optional<std::size_t> tx_closed_size_;
    std::map<std::uint16_t, outstanding_publish> outstanding_;
    std::map<std::uint16_t, outstanding_request> requests_;
    inbound_stream stream_;
    std::deque<std::uint8_t> to_broker_;
    std::deque<std::uint8_t> to_client_;

    std::map<std::uint32_t, client_message> client_messages_;
    std::map<std::uint32_t, broker_message> broker_messages_;
    std::uint32_t next_client_seq_ = 0;
    std::uint32_t next_broker_seq_ = 0;
    broker_session session_;
    broker_connection conn_;
    bool last_session_present_ = false;
    bool broker_sent_disconnect_ = false;
    bool timed_out_ = false;
};

std::size_t sequences() {
    if (const char* n = std::getenv("SANSMQTT_MODEL_SEQUENCES")) return static_cast<std::size_t>(std::strtoul(n, nullptr, 10));
    return 2000;
}
std::uint32_t first_seed() {
    if (const char* n = std::getenv("SANSMQTT_MODEL_SEED")) return static_cast<std::uint32_t>(std::strtoul(n, nullptr, 10));
    return 1;
}

// Runs the sequences; a failing one runs again with its trace, which the failure prints.
void run_model(protocol_version v) {
    const std::size_t n = sequences();
    const std::uint32_t first = first_seed();
    model_stats sum;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t seed = first + static_cast<std::uint32_t>(i);
        world w(v, seed, false);
        w.run();
        const model_stats& s = w.stats();
        sum.steps += s.steps;
        sum.connections += s.connections;
        sum.drops += s.drops;
        sum.accepted += s.accepted;
        sum.completed += s.completed;
        sum.refused += s.refused;
        sum.lost += s.lost;
        sum.delivered += s.delivered;
        sum.streamed += s.streamed;
        sum.duplicates_dropped += s.duplicates_dropped;
        sum.requests += s.requests;
        sum.requests_failed += s.requests_failed;
        for (int k = 0; k < 6; ++k) sum.in_state[k] += s.in_state[k];
        sum.burns += s.burns;
        if (i + 1 == n) {
            MESSAGE(n << " sequences, " << sum.steps << " steps, " << sum.connections << " connections, " << sum.drops
                      << " closed; QoS 1/2 published " << sum.accepted << ": " << sum.completed << " completed, "
                      << sum.refused << " refused, " << sum.lost << " lost with their session; " << sum.delivered
                      << " messages delivered (" << sum.streamed << " streamed); " << sum.duplicates_dropped
                      << " QoS 2 resends at the broker; " << sum.requests << " (un)subscribes, " << sum.requests_failed
                      << " failed by a closed connection; steps idle/open/connecting/connected/disconnecting/closed: "
                      << sum.in_state[0] << "/" << sum.in_state[1] << "/" << sum.in_state[2] << "/" << sum.in_state[3]
                      << "/" << sum.in_state[4] << "/" << sum.in_state[5] << "; " << sum.burns
                      << " ran the Packet Identifier counter round");
        }
        if (w.failure().empty()) continue;
        world replay(v, seed, true);
        replay.run();
        std::string tail;
        const auto& t = replay.trace();
        const std::size_t lines = std::getenv("SANSMQTT_MODEL_TRACE") != nullptr ? t.size() : 150;
        for (std::size_t k = t.size() > lines ? t.size() - lines : 0; k < t.size(); ++k) tail += t[k] + "\n";
        INFO("seed " << seed << " (sequence " << i << "; rerun with SANSMQTT_MODEL_SEED=" << seed
                     << " SANSMQTT_MODEL_SEQUENCES=1)");
        INFO("trace (last steps):\n" << tail);
        CHECK_MESSAGE(w.failure().empty(), w.failure());
        return;
    }
}

}  // namespace

TEST_CASE("v5 [client] model broker: random sequences keep QoS 1/2 guarantees across reconnects") {
    run_model(protocol_version::v5);
}

TEST_CASE("v3.1.1 [client] model broker: random sequences keep QoS 1/2 guarantees across reconnects") {
    run_model(protocol_version::v3_1_1);
}
