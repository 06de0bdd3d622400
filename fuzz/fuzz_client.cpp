// fuzz_client: the client session driven by a fuzz-chosen script of commands, server bytes and time.
//
// Input: a setup byte, then a stream of operations, each an opcode byte and its argument bytes
// (missing bytes read as 0). Setup bits 0-1 pick the client: client<small_config> (tiny buffers,
// streaming, aliases, AUTH), client<default_config>, client<v311_config> (3.1.1 only, no
// streaming), or a client_core over heap buffers of exactly the sizes the next five bytes choose,
// so that AddressSanitizer sees any access past one of them. Opcodes (op % 13):
//
//    0 transport_opened          1 transport_closed       2 connect (3 bytes)
//    3 publish (2 bytes)         4 subscribe (2 bytes)    5 unsubscribe (1 byte)
//    6 ack (2 bytes)             7 auth (1 byte)          8 disconnect (1 byte)
//    9 tick (1 byte: the step)  10 server packet (4 bytes: kind and parameters, built with encode())
//   11 raw server bytes (length byte, then the bytes)    12 settings (1 byte: receive and send
//      piece sizes, rx_window() or receive(), hold the transmit buffer, batch server packets)
//
// After every operation the harness drains tx_data() (in the chosen piece size, unless held) and
// poll_event() until neither makes progress, and checks:
//   - every byte the client sends frames and decodes with sender::client in the connection's
//     version; the first packet on a connection is CONNECT and no other CONNECT follows; a Topic
//     Alias is within the server's Topic Alias Maximum and an empty topic uses an alias sent before;
//     PUBLISH, SUBSCRIBE and UNSUBSCRIBE fit the server's Maximum Packet Size;
//   - the transmit data never exceeds the buffer, and nothing new is queued after a terminal event
//     (connection_failed, connect_refused, disconnected) or our DISCONNECT until transport_closed();
//   - no event follows a terminal event until transport_closed(); state() follows the model;
//   - a refused command changes neither the transmit data nor the session store;
//   - publish completions and failures name a message we published, with its QoS, and
//     messages_in_store() equals the messages not yet ended; SUBACK / UNSUBACK / request_failed
//     name an outstanding request, with as many reason codes as filters; none is left after
//     transport_closed();
//   - messages have valid topics; streamed payloads arrive as begin, chunks at consecutive
//     offsets adding up to the announced size, then end;
//   - the drain loop ends (no endless stream of events).
//
// FUZZ_CLIENT_TRACE=1 prints the operations, the events and the packets sent, to read an input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

// Tiny buffers: most paths hit a limit (streaming, full tables, full transmit buffer).
struct small_config : default_config {
    static constexpr std::size_t rx_buffer_size = 64;
    static constexpr std::size_t tx_buffer_size = 128;
    static constexpr std::size_t max_stored_messages = 4;
    static constexpr std::size_t session_store_bytes = 512;
    static constexpr std::uint16_t receive_maximum = 3;
    static constexpr std::size_t max_pending_requests = 2;
    static constexpr std::size_t topic_aliases_out = 2;
    static constexpr std::size_t topic_aliases_in = 2;
    static constexpr std::size_t topic_alias_length = 16;
    static constexpr std::size_t authentication_method_length = 8;
};

struct v311_config : default_config {
    static constexpr std::size_t rx_buffer_size = 128;
    static constexpr std::size_t tx_buffer_size = 160;
    static constexpr std::size_t max_stored_messages = 3;
    static constexpr std::size_t session_store_bytes = 256;
    static constexpr std::uint16_t receive_maximum = 2;
    static constexpr std::size_t max_pending_requests = 2;
    static constexpr std::size_t topic_aliases_out = 0;
    static constexpr std::size_t topic_aliases_in = 0;
    static constexpr std::size_t authentication_method_length = 0;
    static constexpr bool stream_large_messages = false;
    static constexpr bool enable_v5 = false;
};

// The operation stream; reads past the end yield 0.
class input {
public:
    input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    bytes_view take(std::size_t n) {
        const std::size_t k = std::min(n, size_ - std::min(pos_, size_));
        const bytes_view b(data_ + pos_, k);
        pos_ += k;
        return b;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// A client_core over heap buffers of exactly the chosen sizes.
struct heap_client {
    std::vector<std::uint8_t> rx, tx;
    std::vector<pending_request> requests;
    std::vector<pending_ack> acks;
    std::vector<std::uint8_t> alias_out_topics, alias_in_topics, authentication_method;
    std::vector<std::uint16_t> alias_out_lengths, alias_in_lengths;
    std::vector<ram_session_store::record> records;
    std::vector<std::uint8_t> arena;
    std::vector<std::uint16_t> incoming;
    std::unique_ptr<ram_session_store> store;
    std::unique_ptr<client_core> core;

    explicit heap_client(input& in) {
        const std::uint8_t b0 = in.byte(), b1 = in.byte(), b2 = in.byte(), b3 = in.byte(), b4 = in.byte();
        rx.resize(16 + std::size_t{b0} * 2);
        tx.resize(32 + std::size_t{b1} * 2);
        records.resize(b2 & 7u);
        requests.resize(1 + ((b2 >> 3) & 3u));
        arena.resize(static_cast<std::size_t>(b2 >> 5) * 128);
        const std::size_t aliases_in = b3 & 3u, aliases_out = (b3 >> 2) & 3u;
        const std::size_t alias_length = 1 + ((b3 >> 4) & 3u) * 12;
        authentication_method.resize(static_cast<std::size_t>(b3 >> 6) * 6);
        const std::size_t receive_maximum = 1 + (b4 & 7u);
        // client<Config> never has an empty acknowledgement table or QoS 2 table: keep that.
        acks.resize(receive_maximum);
        incoming.resize(receive_maximum);
        alias_in_topics.resize(aliases_in * alias_length);
        alias_in_lengths.resize(aliases_in);
        alias_out_topics.resize(aliases_out * alias_length);
        alias_out_lengths.resize(aliases_out);
        store = std::make_unique<ram_session_store>(records.data(), records.size(), span(arena), incoming.data(),
                                                    incoming.size());
        client_storage s;
        s.rx = span(rx);
        s.tx = span(tx);
        s.requests = requests.data();
        s.request_capacity = requests.size();
        s.acks = acks.data();
        s.ack_capacity = acks.size();
        s.aliases_out = topic_alias_table(span(alias_out_topics), alias_out_lengths.data(), aliases_out, alias_length);
        s.aliases_in = topic_alias_table(span(alias_in_topics), alias_in_lengths.data(), aliases_in, alias_length);
        s.authentication_method = span(authentication_method);
        s.store = store.get();
        client_settings settings;
        settings.receive_maximum = static_cast<std::uint16_t>(receive_maximum);
        settings.stream_large_messages = (b4 & 8u) != 0;
        switch ((b4 >> 4) & 3u) {
            case 0: settings.maximum_packet_size = 0; break;
            case 1: settings.maximum_packet_size = static_cast<std::uint32_t>(rx.size()); break;
            case 2: settings.maximum_packet_size = static_cast<std::uint32_t>(rx.size() / 2); break;
            default: settings.maximum_packet_size = settings.stream_large_messages ? 100'000 : 0; break;
        }
        settings.v5_enabled = (b4 >> 6) != 2;
        settings.v3_1_1_enabled = (b4 >> 6) != 1;
        core = std::make_unique<client_core>(s, settings);
    }
};

// Property blocks, built once; the views stay valid for the whole run.
struct property_blocks {
    std::vector<std::uint8_t> storage = std::vector<std::uint8_t>(4096);
    std::size_t used = 0;
    std::vector<std::uint8_t> long_value = std::vector<std::uint8_t>(150, 'u');

    template <class Fill>
    properties build(Fill fill) {
        property_builder b(mutable_bytes(storage.data() + used, storage.size() - used));
        fill(b);
        const auto r = b.build();
        require(r.has_value());
        used += r->wire().size();
        return *r;
    }
    text_view long_text() const { return text_view(bytes_view(long_value.data(), long_value.size())); }
};

constexpr std::string_view topics[] = {"a", "a/b", "sensors/temperature/room-1", "x/very/long/topic/name/over/sixteen",
                                       "", "bad/+", "$SYS/uptime", "a/b"};
constexpr std::string_view filters[] = {"a/#", "+/b", "$share/g/a", "x", "bad/#/x", "#", "$share/g/+/c", "a/b"};
constexpr std::string_view client_ids[] = {"", "fuzz", "client-identifier-of-some-length", "c"};
constexpr std::string_view methods[] = {"m", "method-longer-than-8"};
constexpr std::size_t payload_sizes[] = {0, 1, 16, 60, 100, 200, 1000, 5000};
constexpr std::size_t server_payload_sizes[] = {0, 3, 20, 60, 120, 250, 700, 3000};
constexpr std::uint64_t tick_steps[] = {0, 1, 499, 1000, 5000, 30'000, 61'000, 1'000'000};
constexpr reason_code ack_codes[] = {reason_code::success, reason_code::no_matching_subscribers,
                                     reason_code::unspecified_error, reason_code::not_authorized,
                                     reason_code::packet_identifier_in_use, reason_code::quota_exceeded,
                                     reason_code::packet_identifier_not_found, reason_code::malformed_packet};
constexpr std::uint8_t connack_refusals_v5[] = {0x80, 0x84, 0x85, 0x86, 0x87, 0x8C, 0x9C, 0x9F};
constexpr std::uint8_t suback_codes[] = {0x00, 0x01, 0x02, 0x80, 0x87, 0x8F, 0x9E, 0xA2};
constexpr std::uint8_t disconnect_codes[] = {0x00, 0x04, 0x80, 0x81, 0x8B, 0x8E, 0x9C, 0x93};

enum class model_state { idle, open, connecting, connected, closed, disconnecting };

struct sent_request {
    std::uint16_t id;
    packet_type type;
    std::size_t count;
};

class harness {
public:
    harness(client_core& c, std::size_t rx_size, std::size_t tx_size, std::size_t aliases_out, input& in)
        : c_(c), rx_size_(rx_size), tx_size_(tx_size), aliases_out_(aliases_out), in_(in), payload_(6000) {
        for (std::size_t i = 0; i < payload_.size(); ++i) payload_[i] = static_cast<std::uint8_t>('a' + i % 26);
        pub_expiry_ = props_.build([](property_builder& b) { b.message_expiry_interval(60).content_type("text/plain"); });
        pub_alias_ = props_.build([](property_builder& b) { b.topic_alias(1); });
        pub_user_ = props_.build([this](property_builder& b) { b.user_property("k", props_.long_text()); });
        sub_id_ = props_.build([](property_builder& b) { b.subscription_identifier(7); });
        connect_props_ = props_.build([](property_builder& b) { b.user_property("k", "v").request_problem_information(false); });
        will_props_ = props_.build([](property_builder& b) { b.will_delay_interval(5); });
        reason_props_ = props_.build([this](property_builder& b) { b.reason_string("bye").user_property("k", props_.long_text()); });
        bad_auth_props_ = props_.build([](property_builder& b) { b.authentication_method("x"); });
        disconnect_expiry_ = props_.build([](property_builder& b) { b.session_expiry_interval(10); });
        trace_ = std::getenv("FUZZ_CLIENT_TRACE") != nullptr;
    }

    void run() {
        while (!in_.done()) {
            step(in_.byte());
            drain();
            check_state();
        }
        // The end of the input closes the transport: every request fails, nothing is left.
        close();
        drain();
        check_state();
    }

private:
    // ---- operations ---------------------------------------------------------------------------
    void step(std::uint8_t op) {
        if (trace_) std::fprintf(stderr, "op %u (state %u)\n", op % 13u, static_cast<unsigned>(c_.state()));
        switch (op % 13) {
            case 0: open(); break;
            case 1: close(); break;
            case 2: do_connect(); break;
            case 3: do_publish(); break;
            case 4: do_subscribe(); break;
            case 5: do_unsubscribe(); break;
            case 6: do_ack(); break;
            case 7: do_auth(); break;
            case 8: do_disconnect(); break;
            case 9:
                now_ += tick_steps[in_.byte() & 7u];
                c_.tick(now_);
                break;
            case 10: server_packet(); break;
            case 11: {
                const bytes_view b = in_.take(in_.byte());
                server_bytes(b);
                break;
            }
            default: settings(in_.byte()); break;
        }
    }

    void open() {
        const bool was_idle = c_.state() == client_state::idle;
        const auto r = c_.transport_opened();
        require(r.has_value() == was_idle);
        if (!r) return;
        require(model_ == model_state::idle);
        model_ = model_state::open;
        require(c_.tx_data().empty() && c_.rx_pending() == 0);
        sent_.clear();
        connect_sent_ = false;
        alias_map_.assign(aliases_out_ + 1, std::string());
    }

    void close() {
        c_.transport_closed();
        model_ = model_state::idle;
        quiet_ = false;
        terminal_ = false;
        in_stream_ = false;
        manual_pending_.clear();
        sent_.clear();
        pending_server_.clear();
        require(c_.state() == client_state::idle && c_.tx_data().empty() && c_.rx_pending() == 0);
        drain();
        // Every SUBSCRIBE / UNSUBSCRIBE was reported failed.
        require(requests_.empty());
    }

    // A refused command changes nothing that can be seen.
    template <class R>
    void refused_changes_nothing(const R& r, std::size_t tx_before, std::size_t store_before, client_state s) {
        if (r) return;
        require(r.error().category == error_category::local || r.error().category == error_category::resource);
        require(c_.tx_data().size() == tx_before);
        require(c_.messages_in_store() == store_before);
        require(c_.state() == s);
    }

    void do_connect() {
        const std::uint8_t f = in_.byte(), g = in_.byte(), h = in_.byte();
        connect_options o;
        switch (f & 3u) {
            case 1: o.protocol_version = protocol_version::v3_1_1; break;
            case 2: o.protocol_version = protocol_version::v3_1; break;
            default: o.protocol_version = protocol_version::v5; break;
        }
        o.clean_start = (f & 4u) != 0;
        o.client_id = client_ids[(f >> 3) & 3u];
        if ((f & 0x20u) != 0) {
            will_message w;
            w.topic = "will/t";
            w.payload = bytes_view(payload_.data(), h & 0x1Fu);
            w.qos = static_cast<qos>((h >> 5) % 3);
            w.retain = (h & 0x80u) != 0;
            if ((g & 0x01u) != 0 && o.protocol_version == protocol_version::v5) w.properties = will_props_;
            o.will = w;
        }
        if ((f & 0x40u) != 0) o.username = text_view("user");
        if ((f & 0x80u) != 0) o.password = bytes_view(payload_.data(), 4);
        constexpr std::uint16_t keep_alives[] = {0, 1, 5, 60};
        o.keep_alive = keep_alives[(g >> 1) & 3u];
        o.manual_acks = (g & 8u) != 0;
        if ((g & 0x10u) != 0) {
            o.authentication_method = methods[(h >> 3) & 1u];
            if ((h & 4u) != 0) o.authentication_data = bytes_view(payload_.data(), 3);
        }
        if ((g & 0x20u) != 0) o.session_expiry_interval = 100;
        if ((g & 0x40u) != 0) o.properties = connect_props_;
        o.response_timeout_ms = (g & 0x80u) != 0 ? 500 : 10'000;

        const std::size_t tx_before = c_.tx_data().size(), store_before = c_.messages_in_store();
        const client_state s = c_.state();
        const auto r = c_.connect(o);
        refused_changes_nothing(r, tx_before, store_before, s);
        if (!r) return;
        require(model_ == model_state::open && c_.state() == client_state::connecting);
        model_ = model_state::connecting;
        version_ = c_.version();
        require(version_ == o.protocol_version);
        manual_ = o.manual_acks;
        method_ = std::string(o.authentication_method.as_string_view());
    }

    void do_publish() {
        const std::uint8_t a = in_.byte(), b = in_.byte();
        publish p;
        p.qos = static_cast<qos>(a & 3u);  // 3 is refused
        const auto when = (a & 4u) != 0 ? when_quota_exhausted::refuse : when_quota_exhausted::wait;
        p.retain = (a & 8u) != 0;
        p.topic = topics[(a >> 4) & 7u];
        p.payload = bytes_view(payload_.data(), payload_sizes[b & 7u]);
        switch ((b >> 3) & 3u) {
            case 1: p.properties = pub_expiry_; break;
            case 2: p.properties = pub_alias_; break;  // aliases are the client's: refused
            case 3: p.properties = pub_user_; break;
            default: break;
        }
        p.dup = (b & 0x20u) != 0;        // ignored by the client
        p.packet_id = (b & 0x40u) != 0 ? 9 : 0;

        const std::size_t tx_before = c_.tx_data().size(), store_before = c_.messages_in_store();
        const client_state s = c_.state();
        const auto r = c_.publish(p, when);
        refused_changes_nothing(r, tx_before, store_before, s);
        if (!r) return;
        require(model_ == model_state::connected);
        if (p.qos == qos::at_most_once) {
            require(*r == 0);
            require(c_.messages_in_store() == store_before);
            return;
        }
        require(*r != 0);
        for (const auto& m : publishes_) require(m.first != *r);
        publishes_.emplace_back(*r, p.qos);
        require(c_.messages_in_store() == publishes_.size());
    }

    void do_subscribe() {
        const std::uint8_t a = in_.byte(), b = in_.byte();
        const std::size_t count = 1 + a % 3;
        subscription subs[3];
        for (std::size_t i = 0; i < count; ++i) {
            subs[i].topic_filter = filters[(b + i * 3) & 7u];
            subs[i].qos = static_cast<qos>(((a >> 2) + i) % 3);
            subs[i].no_local = (a & 0x10u) != 0 && i == 0;
            subs[i].retain_as_published = (a & 0x20u) != 0;
            subs[i].retain_handling = static_cast<retain_handling>((a >> 6) % 3);
        }
        const properties props = (b & 0x80u) != 0 ? sub_id_ : properties();
        const std::size_t tx_before = c_.tx_data().size(), store_before = c_.messages_in_store();
        const client_state s = c_.state();
        const auto r = c_.subscribe(subscription_list(subs, count), props);
        refused_changes_nothing(r, tx_before, store_before, s);
        if (!r) return;
        add_request(*r, packet_type::subscribe, count);
    }

    void do_unsubscribe() {
        const std::uint8_t a = in_.byte();
        const std::size_t count = 1 + a % 3;
        text_view list[3];
        for (std::size_t i = 0; i < count; ++i) list[i] = filters[((a >> 2) + i) & 7u];
        const properties props = (a & 0x80u) != 0 ? reason_props_ : properties();  // a Reason String is refused
        const std::size_t tx_before = c_.tx_data().size(), store_before = c_.messages_in_store();
        const client_state s = c_.state();
        const auto r = c_.unsubscribe(topic_filter_list(list, count), props);
        refused_changes_nothing(r, tx_before, store_before, s);
        if (!r) return;
        add_request(*r, packet_type::unsubscribe, count);
    }

    void add_request(std::uint16_t id, packet_type t, std::size_t count) {
        require(model_ == model_state::connected && id != 0);
        for (const auto& q : requests_) require(q.id != id);
        for (const auto& m : publishes_) require(m.first != id);  // [MQTT-2.2.1-3]
        requests_.push_back({id, t, count});
    }

    void do_ack() {
        const std::uint8_t a = in_.byte(), b = in_.byte();
        std::uint16_t id = a;
        const bool known = !manual_pending_.empty() && (a & 0x80u) == 0;
        if (known) id = manual_pending_[a % manual_pending_.size()].first;
        const reason_code code = ack_codes[b & 7u];
        const std::size_t tx_before = c_.tx_data().size(), store_before = c_.messages_in_store();
        const client_state s = c_.state();
        const auto r = c_.ack(id, code);
        refused_changes_nothing(r, tx_before, store_before, s);
        if (r) {
            const auto it = std::find_if(manual_pending_.begin(), manual_pending_.end(),
                                         [id](const std::pair<std::uint16_t, qos>& m) { return m.first == id; });
            require(it != manual_pending_.end());
            manual_pending_.erase(it);
        } else if (known && code == reason_code::success && c_.state() == client_state::connected) {
            require(false);  // a delivered message waiting for ack() must take Success
        }
    }

    void do_auth() {
        const std::uint8_t a = in_.byte();
        constexpr reason_code codes[] = {reason_code::continue_authentication, reason_code::re_authenticate,
                                         reason_code::success, reason_code::continue_authentication};
        const bytes_view data = (a & 4u) != 0 ? bytes_view(payload_.data(), (a >> 3) & 0x1Fu) : bytes_view();
        properties props;
        if ((a & 0x80u) != 0) props = reason_props_;
        if ((a & 0xC0u) == 0x40u) props = bad_auth_props_;  // refused: the client adds the method
        const std::size_t tx_before = c_.tx_data().size(), store_before = c_.messages_in_store();
        const client_state s = c_.state();
        const auto r = c_.auth(codes[a & 3u], data, props);
        refused_changes_nothing(r, tx_before, store_before, s);
        if (r) require(is_v5(version_) && !method_.empty());
    }

    void do_disconnect() {
        const std::uint8_t a = in_.byte();
        const reason_code code = static_cast<reason_code>(disconnect_codes[a & 7u]);
        properties props;
        if ((a & 0x18u) == 0x08u) props = reason_props_;
        if ((a & 0x18u) == 0x10u) props = disconnect_expiry_;
        const std::size_t tx_before = c_.tx_data().size(), store_before = c_.messages_in_store();
        const client_state s = c_.state();
        const auto r = c_.disconnect(code, props);
        refused_changes_nothing(r, tx_before, store_before, s);
        if (!r) return;
        require(model_ == model_state::connecting || model_ == model_state::connected);
        require(c_.state() == client_state::disconnecting);
        model_ = model_state::disconnecting;
        quiet_ = true;
        quiet_tx_ = c_.tx_data().size();
    }

    void settings(std::uint8_t a) {
        constexpr std::size_t pieces[] = {0, 1, 2, 3, 7, 16, 50, 0};
        rx_piece_ = pieces[a & 7u];
        tx_piece_ = pieces[(a >> 3) & 7u];
        use_window_ = (a & 0x40u) != 0;
        const bool hold = (a & 0x80u) != 0;
        const bool batch = (a & 0x38u) == 0x38u;  // tx piece 7 means "batch server packets"
        hold_tx_ = hold;
        if (batch_ && !batch) flush_server();
        batch_ = batch;
    }

    // ---- server bytes -------------------------------------------------------------------------
    template <class P>
    void server_encode(const P& p, protocol_version v) {
        const auto size = encoded_size(p, v);
        if (!size || *size > 20'000) return;
        std::vector<std::uint8_t> out(*size);
        const auto n = encode(p, span(out), v, sender::server);
        if (!n) return;  // a combination the codec refuses: the server sends nothing
        require(*n == out.size());
        server_bytes(view(out));
    }

    void server_bytes(const bytes_view& b) {
        pending_server_.insert(pending_server_.end(), b.data(), b.data() + b.size());
        if (!batch_) flush_server();
    }

    void flush_server() {
        std::vector<std::uint8_t> data;
        data.swap(pending_server_);
        std::size_t off = 0;
        int stalls = 0;
        while (off < data.size()) {
            const std::size_t want = rx_piece_ == 0 ? data.size() - off : std::min(rx_piece_, data.size() - off);
            std::size_t took = 0;
            if (use_window_) {
                const mutable_bytes w = c_.rx_window();
                require(w.size() <= rx_size_);
                took = std::min(want, w.size());
                if (took != 0) std::memcpy(w.data(), data.data() + off, took);
                c_.rx_commit(took);
            } else {
                took = c_.receive(bytes_view(data.data() + off, want));
            }
            require(took <= want);
            require(c_.rx_pending() <= rx_size_);
            off += took;
            drain();
            if (took == 0) {
                if (++stalls > 2) break;  // the client cannot take more now: the rest is lost
            } else {
                stalls = 0;
            }
        }
    }

    std::uint16_t pick_publish_id(std::uint8_t k) const {
        if ((k & 0x80u) != 0 || publishes_.empty()) return static_cast<std::uint16_t>(1 + (k & 7u));
        return publishes_[k % publishes_.size()].first;
    }

    void server_packet() {
        const std::uint8_t kind = in_.byte(), a = in_.byte(), b = in_.byte(), d = in_.byte();
        protocol_version v = version_;
        if ((kind & 0x80u) != 0) v = is_v5(v) ? protocol_version::v3_1_1 : protocol_version::v5;  // the wrong version
        std::vector<std::uint8_t> props_buf(512);
        property_builder pb(span(props_buf));
        const auto build = [&pb]() {
            const auto r = pb.build();
            return r ? *r : properties();
        };
        switch (kind % 12) {
            case 0: {  // CONNACK, success
                connack ca;
                ca.session_present = (a & 1u) != 0;
                if (is_v5(v)) {
                    if ((a & 0x02u) != 0) pb.maximum_qos(d & 1u);
                    if ((a & 0x04u) != 0) pb.retain_available(false);
                    if ((a & 0x08u) != 0) {
                        constexpr std::uint32_t sizes[] = {20, 64, 200, 1000};
                        pb.maximum_packet_size(sizes[(d >> 1) & 3u]);
                    }
                    if ((a & 0x10u) != 0) pb.receive_maximum(static_cast<std::uint16_t>(1 + ((d >> 3) & 3u)));
                    if ((a & 0x20u) != 0) pb.topic_alias_maximum(static_cast<std::uint16_t>((d >> 5) & 7u));
                    if ((a & 0x40u) != 0) pb.server_keep_alive(static_cast<std::uint16_t>(b & 3u));
                    if ((a & 0x80u) != 0) pb.assigned_client_identifier("srv-id");
                    if ((b & 0x04u) != 0) pb.authentication_method((b & 0x08u) != 0 ? text_view("other") : text_view(method_));
                    if ((b & 0x10u) != 0) pb.wildcard_subscription_available(false);
                    if ((b & 0x20u) != 0) pb.subscription_identifier_available(false);
                    if ((b & 0x40u) != 0) pb.shared_subscription_available(false);
                    if ((b & 0x80u) != 0) pb.authentication_data(bytes_view(payload_.data(), 2));
                    ca.properties = build();
                }
                server_encode(ca, v);
                break;
            }
            case 1: {  // CONNACK, refused
                connack ca;
                ca.session_present = false;
                ca.reason_code = static_cast<reason_code>(is_v5(v) ? connack_refusals_v5[a & 7u] : 1 + a % 5);
                if (is_v5(v) && (b & 1u) != 0) {
                    pb.server_reference("other-server");
                    ca.properties = build();
                }
                server_encode(ca, v);
                break;
            }
            case 2: {  // PUBLISH
                publish p;
                p.qos = static_cast<qos>(a & 3u);
                p.dup = (a & 4u) != 0 && p.qos != qos::at_most_once;
                p.retain = (a & 8u) != 0;
                p.topic = topics[(a >> 4) & 7u];
                p.payload = bytes_view(payload_.data(), server_payload_sizes[b & 7u]);
                if (p.qos != qos::at_most_once) p.packet_id = static_cast<std::uint16_t>(1 + ((b >> 3) & 7u));
                if (is_v5(v)) {
                    const auto alias = static_cast<std::uint16_t>(d & 7u);
                    if (alias != 0) pb.topic_alias(alias);
                    if ((d & 8u) != 0) p.topic = text_view();
                    if ((d & 0x10u) != 0) pb.message_expiry_interval(30);
                    if ((d & 0x20u) != 0) pb.subscription_identifier(7);
                    if ((d & 0x40u) != 0) pb.user_property("k", props_.long_text());
                    if ((d & 0x80u) != 0) pb.payload_format_indicator(1);
                    p.properties = build();
                }
                server_encode(p, v);
                break;
            }
            case 3:
            case 4:
            case 6: {  // PUBACK, PUBREC, PUBCOMP for one of our messages (or another identifier)
                const std::uint16_t id = pick_publish_id(a);
                const reason_code code = ack_codes[b & 7u];
                if (is_v5(v) && (d & 1u) != 0) pb.reason_string("r");
                const properties props = is_v5(v) ? build() : properties();
                if (kind % 12 == 3) server_encode(puback{id, code, props}, v);
                if (kind % 12 == 4) server_encode(pubrec{id, code, props}, v);
                if (kind % 12 == 6) server_encode(pubcomp{id, code, props}, v);
                break;
            }
            case 5: {  // PUBREL for one of the server's identifiers
                const auto id = static_cast<std::uint16_t>(1 + (a & 7u));
                const reason_code code = (b & 1u) != 0 ? reason_code::packet_identifier_not_found : reason_code::success;
                server_encode(pubrel{id, code, properties()}, v);
                break;
            }
            case 7:
            case 8: {  // SUBACK / UNSUBACK
                const packet_type t = kind % 12 == 7 ? packet_type::subscribe : packet_type::unsubscribe;
                std::uint16_t id = static_cast<std::uint16_t>(1 + (a & 7u));
                std::size_t count = 1;
                std::vector<const sent_request*> mine;
                for (const auto& q : requests_) {
                    if (q.type == t) mine.push_back(&q);
                }
                if ((a & 0x80u) == 0 && !mine.empty()) {
                    id = mine[a % mine.size()]->id;
                    count = mine[a % mine.size()]->count;
                }
                if ((b & 3u) == 1) ++count;
                if ((b & 3u) == 2 && count > 0) --count;
                reason_code codes[4];
                for (std::size_t i = 0; i < 4; ++i) codes[i] = static_cast<reason_code>(suback_codes[(d + i) & 7u]);
                if (t == packet_type::subscribe) {
                    suback s;
                    s.packet_id = id;
                    s.reason_codes = reason_code_list(codes, std::min<std::size_t>(count, 4));
                    server_encode(s, v);
                } else {
                    unsuback u;
                    u.packet_id = id;
                    for (auto& code : codes) code = (d & 1u) != 0 ? reason_code::success : reason_code::no_subscription_existed;
                    if (is_v5(v)) u.reason_codes = reason_code_list(codes, std::min<std::size_t>(count, 4));
                    server_encode(u, v);
                }
                break;
            }
            case 9: server_encode(pingresp{}, v); break;
            case 10: {  // DISCONNECT
                sansmqtt::disconnect dc;
                dc.reason_code = static_cast<reason_code>(disconnect_codes[a & 7u]);
                if (is_v5(v) && (b & 1u) != 0) {
                    pb.server_reference("elsewhere");
                    dc.properties = build();
                }
                server_encode(dc, v);
                break;
            }
            default: {  // AUTH
                auth au;
                constexpr reason_code codes[] = {reason_code::continue_authentication, reason_code::success,
                                                 reason_code::re_authenticate, reason_code::continue_authentication};
                au.reason_code = codes[a & 3u];
                if ((a & 4u) == 0) pb.authentication_method((a & 8u) != 0 ? text_view("other") : text_view(method_));
                if ((a & 0x10u) != 0) pb.authentication_data(bytes_view(payload_.data(), 5));
                au.properties = build();
                server_encode(au, v);
                break;
            }
        }
    }

    // ---- draining and checks ------------------------------------------------------------------
    void drain() {
        for (int rounds = 0;; ++rounds) {
            require(rounds < 200'000);  // the client must not produce events forever
            bool progress = false;
            require(c_.tx_data().size() <= tx_size_);
            if (quiet_) require(c_.tx_data().size() <= quiet_tx_);  // nothing new after the end
            if (!hold_tx_) progress = send_some();
            const auto e = c_.poll_event();
            require(c_.tx_data().size() <= tx_size_);
            require(c_.rx_pending() <= rx_size_);
            if (e) {
                on_event(*e);
                progress = true;
            }
            if (!progress) break;
        }
    }

    // Takes tx_data() in the chosen piece size and checks the packets it completes.
    bool send_some() {
        const bytes_view tx = c_.tx_data();
        if (tx.empty()) return false;
        const std::size_t n = tx_piece_ == 0 ? tx.size() : std::min(tx_piece_, tx.size());
        sent_.insert(sent_.end(), tx.data(), tx.data() + n);
        c_.tx_consume(n);
        if (quiet_) quiet_tx_ -= std::min(quiet_tx_, n);
        if (quiet_) require(c_.tx_data().size() <= quiet_tx_);
        check_sent();
        return true;
    }

    void check_sent() {
        std::size_t pos = 0;
        while (pos < sent_.size()) {
            const bytes_view rest(sent_.data() + pos, sent_.size() - pos);
            const auto f = frame(rest, largest_packet_size, version_);
            require(f.has_value());
            if (!f->complete) break;
            const bytes_view bytes = rest.subview(0, f->header.packet_size());
            const auto p = decode(bytes, version_, sender::client);
            require(p.has_value());
            check_packet(*p, bytes.size());
            pos += bytes.size();
        }
        sent_.erase(sent_.begin(), sent_.begin() + static_cast<std::ptrdiff_t>(pos));
    }

    void check_packet(const packet& p, std::size_t size) {
        const packet_type t = type_of(p);
        if (trace_) std::fprintf(stderr, "  sent type %u, %zu bytes\n", static_cast<unsigned>(t), size);
        // CONNECT first, and only once on a connection.
        require((t == packet_type::connect) == !connect_sent_);
        connect_sent_ = true;
        const std::uint32_t limit = c_.server().maximum_packet_size;
        if (const auto* pub = std::get_if<publish>(&p)) {
            require(size <= limit);  // [MQTT-3.2.2-15]
            if (const auto alias = pub->properties.topic_alias()) {
                require(*alias != 0 && *alias <= c_.server().topic_alias_maximum && *alias <= aliases_out_);
                std::string& known = alias_map_[*alias];
                if (pub->topic.empty()) {
                    require(!known.empty());
                } else {
                    known = std::string(pub->topic.as_string_view());
                }
            } else {
                require(!pub->topic.empty());
            }
        } else if (t == packet_type::subscribe || t == packet_type::unsubscribe) {
            require(size <= limit);
        }
    }

    // An event must be possible in the model's state; terminal events end all events until
    // transport_closed().
    void on_event(const event& e) {
        if (trace_) {
            std::fprintf(stderr, "  event %zu", e.index());
            if (const auto* f = std::get_if<connection_failed_event>(&e)) std::fprintf(stderr, " %s", f->error.name().data());
            std::fprintf(stderr, "\n");
        }
        require(!terminal_);
        if (const auto* ce = std::get_if<connected_event>(&e)) {
            require(model_ == model_state::connecting && c_.state() == client_state::connected);
            model_ = model_state::connected;
            require(ce->keep_alive == c_.keep_alive());
        } else if (const auto* r = std::get_if<connect_refused_event>(&e)) {
            require(model_ == model_state::connecting && c_.state() == client_state::closed);
            require(r->reason_code != reason_code::success);
            end_session(model_state::closed);
        } else if (const auto* au = std::get_if<auth_event>(&e)) {
            require(is_v5(version_) && !method_.empty());
            require(model_ == model_state::connecting || model_ == model_state::connected);
            require(au->reason_code == reason_code::continue_authentication || au->reason_code == reason_code::success);
        } else if (const auto* m = std::get_if<message_event>(&e)) {
            require(model_ == model_state::connected && !in_stream_);
            check_message(m->packet);
            require(m->packet.payload.size() < rx_size_);
            delivered(m->packet.packet_id, m->packet.qos);
        } else if (const auto* mb = std::get_if<message_begin_event>(&e)) {
            require(model_ == model_state::connected && !in_stream_);
            check_message(mb->packet);
            require(mb->packet.payload.empty());
            in_stream_ = true;
            stream_id_ = mb->packet.packet_id;
            stream_qos_ = mb->packet.qos;
            stream_size_ = mb->payload_size;
            stream_offset_ = 0;
        } else if (const auto* ch = std::get_if<message_chunk_event>(&e)) {
            require(in_stream_ && ch->packet_id == stream_id_ && ch->offset == stream_offset_);
            require(!ch->data.empty() && ch->data.size() <= rx_size_);
            stream_offset_ += ch->data.size();
            require(stream_offset_ <= stream_size_);
            sink(ch->data[ch->data.size() - 1]);
        } else if (const auto* me = std::get_if<message_end_event>(&e)) {
            require(in_stream_ && me->packet_id == stream_id_ && me->qos == stream_qos_);
            require(stream_offset_ == stream_size_);
            in_stream_ = false;
            delivered(me->packet_id, me->qos);
        } else if (const auto* pc = std::get_if<publish_completed_event>(&e)) {
            require(!is_failure(pc->reason_code));
            end_publish(pc->packet_id, pc->qos);
        } else if (const auto* pf = std::get_if<publish_failed_event>(&e)) {
            if (!pf->session_lost) require(is_failure(pf->reason_code));
            end_publish(pf->packet_id, pf->qos);
        } else if (const auto* sc = std::get_if<subscribe_completed_event>(&e)) {
            require(model_ == model_state::connected);
            const std::size_t count = end_request(sc->packet_id, packet_type::subscribe);
            require(sc->packet.reason_codes.size() == count);
        } else if (const auto* uc = std::get_if<unsubscribe_completed_event>(&e)) {
            require(model_ == model_state::connected);
            const std::size_t count = end_request(uc->packet_id, packet_type::unsubscribe);
            require(uc->packet.reason_codes.size() == (is_v5(version_) ? count : 0));
        } else if (const auto* rf = std::get_if<request_failed_event>(&e)) {
            require(c_.state() == client_state::idle);
            (void)end_request(rf->packet_id, rf->type);
        } else if (std::get_if<disconnected_event>(&e) != nullptr) {
            require(is_v5(version_) && c_.state() == client_state::closed);
            require(model_ == model_state::connected || model_ == model_state::connecting);
            end_session(model_state::closed);
        } else if (const auto* cf = std::get_if<connection_failed_event>(&e)) {
            require(c_.state() == client_state::closed);
            require(model_ == model_state::open || model_ == model_state::connecting || model_ == model_state::connected);
            require(cf->error.category != error_category::local);
            end_session(model_state::closed);
        }
        require(c_.messages_in_store() == publishes_.size());
    }

    void check_message(const publish& p) {
        require(!p.topic.empty() && check_topic_name(p.topic).has_value());
        require((p.qos == qos::at_most_once) == (p.packet_id == 0));
    }

    void delivered(std::uint16_t id, qos q) {
        if (manual_ && q != qos::at_most_once) manual_pending_.emplace_back(id, q);
    }

    void end_session(model_state s) {
        model_ = s;
        terminal_ = true;
        in_stream_ = false;
        quiet_ = true;
        quiet_tx_ = c_.tx_data().size();
    }

    void end_publish(std::uint16_t id, qos q) {
        const auto it = std::find_if(publishes_.begin(), publishes_.end(),
                                     [id](const std::pair<std::uint16_t, qos>& m) { return m.first == id; });
        require(it != publishes_.end() && it->second == q);
        publishes_.erase(it);
    }

    std::size_t end_request(std::uint16_t id, packet_type t) {
        const auto it = std::find_if(requests_.begin(), requests_.end(),
                                     [id, t](const sent_request& q) { return q.id == id && q.type == t; });
        require(it != requests_.end());
        const std::size_t count = it->count;
        requests_.erase(it);
        return count;
    }

    void check_state() {
        const client_state s = c_.state();
        switch (model_) {
            case model_state::idle: require(s == client_state::idle); break;
            case model_state::open: require(s == client_state::open); break;
            case model_state::connecting: require(s == client_state::connecting); break;
            case model_state::connected: require(s == client_state::connected); break;
            case model_state::closed: require(s == client_state::closed); break;
            case model_state::disconnecting: require(s == client_state::disconnecting); break;
        }
        require(c_.messages_in_store() == publishes_.size());
        require(c_.messages_in_flight() <= c_.messages_in_store());
        // No message waits forever: with the transmit buffer empty and quota left, every stored
        // message has been sent [MQTT-4.9.0-2].
        if (s == client_state::connected && !hold_tx_ && c_.tx_data().empty() &&
            c_.messages_in_flight() < c_.server().receive_maximum) {
            require(c_.messages_in_flight() == c_.messages_in_store());
        }
        if (const auto d = c_.next_deadline()) sink(static_cast<std::size_t>(*d));
    }

    client_core& c_;
    std::size_t rx_size_, tx_size_, aliases_out_;
    input& in_;
    std::vector<std::uint8_t> payload_;
    property_blocks props_;
    properties pub_expiry_, pub_alias_, pub_user_, sub_id_, connect_props_, will_props_, reason_props_, bad_auth_props_,
        disconnect_expiry_;

    // Settings.
    std::size_t rx_piece_ = 0, tx_piece_ = 0;
    bool use_window_ = false, hold_tx_ = false, batch_ = false;
    bool trace_ = false;
    std::vector<std::uint8_t> pending_server_;

    // The model.
    model_state model_ = model_state::idle;
    protocol_version version_ = protocol_version::v5;
    bool manual_ = false;
    std::string method_;
    std::uint64_t now_ = 0;
    bool terminal_ = false;
    bool quiet_ = false;
    std::size_t quiet_tx_ = 0;
    std::vector<std::pair<std::uint16_t, qos>> publishes_;   // our QoS 1 and 2 messages not ended
    std::vector<sent_request> requests_;                     // SUBSCRIBE / UNSUBSCRIBE not answered
    std::vector<std::pair<std::uint16_t, qos>> manual_pending_;  // delivered, waiting for ack()
    bool in_stream_ = false;
    std::uint16_t stream_id_ = 0;
    qos stream_qos_ = qos::at_most_once;
    std::size_t stream_size_ = 0, stream_offset_ = 0;

    // What the client sent on this connection.
    std::vector<std::uint8_t> sent_;  // bytes taken from tx, not yet a whole packet
    bool connect_sent_ = false;
    std::vector<std::string> alias_map_;  // Topic Aliases we sent, by alias
};

template <class Config>
void run_config(input& in) {
    auto c = std::make_unique<client<Config>>();
    harness h(*c, Config::rx_buffer_size, Config::tx_buffer_size, Config::topic_aliases_out, in);
    h.run();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    input in(data + 1, size - 1);
    switch (data[0] & 3u) {
        case 0: run_config<small_config>(in); break;
        case 1: run_config<default_config>(in); break;
        case 2: run_config<v311_config>(in); break;
        default: {
            heap_client hc(in);
            harness h(*hc.core, hc.rx.size(), hc.tx.size(), hc.alias_out_lengths.size(), in);
            h.run();
            break;
        }
    }
    return 0;
}
