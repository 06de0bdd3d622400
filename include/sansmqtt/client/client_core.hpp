// sansmqtt: the sans-I/O MQTT client session, over caller-provided storage.
//
// client_core is the whole client state machine for MQTT 3.1.1 and 5.0. It never reads a clock,
// never blocks, never does I/O and never allocates. The application moves bytes and time:
//
//   transport up      -> transport_opened(), then connect(options)
//   bytes received    -> receive(bytes)                 (or write into rx_window(), then rx_commit(n))
//   events            <- poll_event() until it returns nothing
//   bytes to send     <- tx_data(), then tx_consume(n) for the bytes the transport took
//   time              -> tick(now_ms); call again at next_deadline() at the latest
//   transport down    -> transport_closed()
//
// Received bytes are processed by poll_event(), one packet at a time, so the views in an event
// stay valid until the next poll_event(), receive() or rx_window(). Acknowledgements and other
// answers are queued in the transmit buffer as packets are processed; poll_event() waits (returns
// nothing) while the transmit buffer lacks room for an answer, so drain tx_data() first.
//
// A command that is not allowed now returns an error of category `local` and changes nothing. A
// server that breaks a rule ends the session with connection_failed_event: in 5.0 a DISCONNECT
// with the fitting reason code is queued, and nothing else is sent until transport_closed().
//
// client<Config> (client.hpp) owns the storage sized at compile time; use it rather than this
// class directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "sansmqtt/client/events.hpp"
#include "sansmqtt/client/session_store.hpp"
#include "sansmqtt/client/topic_alias_table.hpp"
#include "sansmqtt/codec/decode.hpp"
#include "sansmqtt/codec/encode.hpp"
#include "sansmqtt/codec/framer.hpp"
#include "sansmqtt/codec/packet.hpp"
#include "sansmqtt/codec/properties.hpp"
#include "sansmqtt/codec/reason_code.hpp"
#include "sansmqtt/codec/topic.hpp"
#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"

namespace sansmqtt {

enum class client_state : std::uint8_t {
    idle,           // no transport
    open,           // transport up, CONNECT not sent yet
    connecting,     // CONNECT sent, waiting for CONNACK (and AUTH exchanges)
    connected,      // CONNACK 0x00 received
    disconnecting,  // we sent DISCONNECT: nothing more is sent; close the transport
    closed,         // the session ended (refused, server DISCONNECT, failure): close the transport
};

// What publish() does when the server's Receive Maximum of unacknowledged messages is reached.
enum class when_quota_exhausted : std::uint8_t {
    wait,    // keep the message in the session store; it is sent when an acknowledgement frees the quota
    refuse,  // refuse the call with send_quota_exhausted
};

struct connect_options {
    sansmqtt::protocol_version protocol_version = protocol_version::v5;
    text_view client_id;                  // may be empty in 5.0 (the server assigns one)
    bool clean_start = true;              // Clean Session in 3.1.1
    std::uint16_t keep_alive = 60;        // seconds; 0 turns keep alive off
    std::optional<will_message> will;
    std::optional<text_view> username;
    std::optional<bytes_view> password;
    std::uint32_t session_expiry_interval = 0;  // 5.0; seconds
    text_view authentication_method;      // 5.0 enhanced authentication; empty for none
    bytes_view authentication_data;
    sansmqtt::properties properties;      // more CONNECT properties (User Property, Request Problem Information, ...)
    bool manual_acks = false;             // the application acknowledges QoS 1 and 2 messages with ack()
    std::uint32_t response_timeout_ms = 10'000;  // for CONNACK after CONNECT and PINGRESP after PINGREQ
};

// What the server allows, from its CONNACK (defaults when it says nothing, and for 3.1.1).
struct server_limits {
    sansmqtt::qos maximum_qos = qos::exactly_once;
    bool retain_available = true;
    std::uint32_t maximum_packet_size = largest_packet_size;
    std::uint16_t receive_maximum = 65'535;
    std::uint16_t topic_alias_maximum = 0;
    bool wildcard_subscription_available = true;
    bool subscription_identifier_available = true;
    bool shared_subscription_available = true;
};

// A SUBSCRIBE or UNSUBSCRIBE waiting for its answer.
struct pending_request {
    std::uint16_t packet_id = 0;
    packet_type type = packet_type::subscribe;
    std::uint16_t count = 0;  // Topic Filters sent
};

// A received QoS 1 or 2 message waiting for the application's ack() (manual acknowledgement).
struct pending_ack {
    std::uint16_t packet_id = 0;
    sansmqtt::qos qos = qos::at_least_once;
    bool acked = false;
    sansmqtt::reason_code reason_code = reason_code::success;
};

// Everything client_core works in. client<Config> provides it.
struct client_storage {
    mutable_bytes rx;                      // receive buffer: the largest packet taken whole
    mutable_bytes tx;                      // transmit buffer: the largest packet sent
    pending_request* requests = nullptr;   // SUBSCRIBE / UNSUBSCRIBE awaiting SUBACK / UNSUBACK
    std::size_t request_capacity = 0;
    pending_ack* acks = nullptr;           // manual acknowledgements, in arrival order
    std::size_t ack_capacity = 0;
    topic_alias_table aliases_out;         // Topic Aliases we send
    topic_alias_table aliases_in;          // Topic Aliases the server sends (our Topic Alias Maximum)
    mutable_bytes authentication_method;   // a copy of CONNECT's Authentication Method
    session_store* store = nullptr;
};

struct client_settings {
    std::uint16_t receive_maximum = 65'535;  // advertised in 5.0 CONNECT (capped by the tables)
    std::uint32_t maximum_packet_size = 0;   // advertised in 5.0; 0: the receive buffer, or the largest when streaming
    bool stream_large_messages = false;      // deliver PUBLISH packets larger than rx in pieces
    bool v3_1_1_enabled = true;              // also MQTT 3.1
    bool v5_enabled = true;
};

class client_core {
public:
    client_core(const client_storage& storage, const client_settings& settings) noexcept
        : s_(storage), settings_(settings) {}
    client_core(const client_core&) = delete;
    client_core& operator=(const client_core&) = delete;

    // ---- state ----------------------------------------------------------------------------
    client_state state() const noexcept { return state_; }
    protocol_version version() const noexcept { return version_; }
    const server_limits& server() const noexcept { return server_; }
    std::uint16_t keep_alive() const noexcept { return keep_alive_; }
    // QoS 1 and 2 messages of ours in the session store (waiting, in flight or being released).
    std::size_t messages_in_store() const noexcept { return s_.store->size(); }
    // Of those, the ones sent on this connection and not yet completed (counted against the quota).
    std::size_t messages_in_flight() const noexcept { return cursor_; }
    // The Receive Maximum and Maximum Packet Size this client advertises in 5.0.
    // With manual acknowledgement the ack table bounds it too.
    std::uint16_t receive_maximum() const noexcept { return receive_maximum(manual_acks_); }
    std::uint32_t maximum_packet_size() const noexcept {
        if (settings_.maximum_packet_size != 0) return settings_.maximum_packet_size;
        return settings_.stream_large_messages ? largest_packet_size : static_cast<std::uint32_t>(s_.rx.size());
    }

    // ---- transport ------------------------------------------------------------------------
    // The network connection is up: the next command must be connect(). Refused unless idle.
    result<void> transport_opened() noexcept {
        if (state_ != client_state::idle) return local(errc::state_invalid);
        state_ = client_state::open;
        rx_begin_ = rx_end_ = 0;
        tx_begin_ = tx_end_ = 0;
        stream_ = inbound_stream{};
        ping_outstanding_ = false;
        s_.aliases_out.clear();
        s_.aliases_in.clear();
        return {};
    }

    // The network connection is gone (closed by either side, or failed). Always accepted.
    // Outstanding SUBSCRIBE / UNSUBSCRIBE requests are reported failed; QoS 1 and 2 messages stay
    // in the session store for the next connection.
    void transport_closed() noexcept {
        state_ = client_state::idle;
        cursor_ = 0;
        // QoS 2 messages the application accepted with ack() whose PUBREC was still held back
        // behind an earlier message: the next connection's copy is a duplicate [MQTT-4.3.3-10].
        for (std::size_t i = 0; i < acks_size_; ++i) {
            const pending_ack& a = s_.acks[i];
            if (a.acked && a.qos == qos::exactly_once && !is_failure(a.reason_code)) {
                (void)s_.store->add_incoming(a.packet_id);  // room: incoming + acks <= receive_maximum()
            }
        }
        acks_size_ = 0;
        stream_ = inbound_stream{};
        ping_outstanding_ = false;
        reauthenticating_ = false;
        rx_begin_ = rx_end_ = 0;
        tx_begin_ = tx_end_ = 0;
        drain_requests_ = requests_size_ != 0;
    }

    // ---- receive --------------------------------------------------------------------------
    // Copies as much of `bytes` as the receive buffer takes and returns how many it took; poll
    // events to make room for the rest. Bytes arriving when the session cannot use them (closed,
    // or after DISCONNECT) are taken and dropped.
    std::size_t receive(const bytes_view& bytes) noexcept {
        if (!receiving()) return bytes.size();
        const mutable_bytes window = rx_window();
        const std::size_t n = bytes.size() < window.size() ? bytes.size() : window.size();
        copy_bytes(bytes.subview(0, n), window.data());
        rx_commit(n);
        return n;
    }
    // The free part of the receive buffer, to read into directly; then rx_commit(bytes read).
    mutable_bytes rx_window() noexcept {
        if (rx_begin_ != 0) {
            std::memmove(s_.rx.data(), s_.rx.data() + rx_begin_, rx_end_ - rx_begin_);
            rx_end_ -= rx_begin_;
            rx_begin_ = 0;
        }
        return s_.rx.subspan(rx_end_);
    }
    void rx_commit(std::size_t n) noexcept {
        if (!receiving()) return;
        rx_end_ += n <= s_.rx.size() - rx_end_ ? n : s_.rx.size() - rx_end_;
    }
    // Received bytes not yet processed by poll_event().
    std::size_t rx_pending() const noexcept { return rx_end_ - rx_begin_; }

    // ---- transmit -------------------------------------------------------------------------
    // The bytes to send, valid until the next call of a non-const member.
    bytes_view tx_data() const noexcept { return bytes_view(s_.tx.data() + tx_begin_, tx_end_ - tx_begin_); }
    // The transport took the first `n` bytes of tx_data(). This is "sending" for keep alive.
    void tx_consume(std::size_t n) noexcept {
        const std::size_t pending = tx_end_ - tx_begin_;
        tx_begin_ += n < pending ? n : pending;
        if (tx_begin_ == tx_end_) tx_begin_ = tx_end_ = 0;
        if (n != 0) last_sent_ms_ = now_ms_;
        if (state_ == client_state::connected) flush_acks();  // ack() calls that found no room
        pump();
    }

    // ---- time -----------------------------------------------------------------------------
    // The monotonic time in milliseconds. Sends PINGREQ when keep alive is due and fails the
    // session when CONNACK or PINGRESP is overdue.
    void tick(std::uint64_t now_ms) noexcept {
        if (!clock_started_) {
            // Commands given before the first tick() happened at its time: a CONNECT sent before
            // any tick() gets its whole response timeout from the caller's first clock reading.
            clock_started_ = true;
            response_deadline_ms_ += now_ms;
            last_sent_ms_ += now_ms;
        }
        now_ms_ = now_ms;
        if (state_ == client_state::connecting && now_ms_ >= response_deadline_ms_) {
            pending_event_ = fail(client_error(errc::connack_timeout, error_category::transport));
            return;
        }
        if (state_ != client_state::connected) return;
        if (ping_outstanding_) {
            if (now_ms_ >= response_deadline_ms_) {
                pending_event_ = fail(client_error(errc::ping_timeout, error_category::transport));
            }
            return;
        }
        if (keep_alive_ != 0 && now_ms_ >= last_sent_ms_ + keep_alive_ms()) {
            if (write_packet(pingreq{})) {  // [MQTT-3.1.2-20] / 3.1.1 [MQTT-3.1.2-23]
                ping_outstanding_ = true;
                response_deadline_ms_ = now_ms_ + response_timeout_ms_;
            }
        }
    }
    // When tick() must be called next at the latest; nullopt when no timer runs.
    std::optional<std::uint64_t> next_deadline() const noexcept {
        if (state_ == client_state::connecting) return response_deadline_ms_;
        if (state_ != client_state::connected) return std::nullopt;
        if (ping_outstanding_) return response_deadline_ms_;
        if (keep_alive_ == 0) return std::nullopt;
        return last_sent_ms_ + keep_alive_ms();
    }

    // ---- events ---------------------------------------------------------------------------
    // The next event, or nothing when there is none now (or when the transmit buffer must be
    // drained before the next received packet can be answered).
    std::optional<event> poll_event() noexcept {
        if (pending_event_) {
            std::optional<event> e = pending_event_;
            pending_event_.reset();
            return e;
        }
        if (drain_requests_) {
            if (requests_size_ != 0) {
                const pending_request r = s_.requests[0];  // in the order they were sent
                remove_request(0);
                return event(request_failed_event{r.packet_id, r.type});
            }
            drain_requests_ = false;
        }
        if (drain_session_ != 0) {
            const stored_message m = s_.store->at(0);
            const publish_failed_event e{m.packet_id, stored_qos(m), reason_code::unspecified_error, true};
            s_.store->erase(0);
            if (--drain_session_ == 0) pump();
            return event(e);
        }
        if (std::optional<event> e = drop_oversized()) return e;
        if (!receiving() || state_ == client_state::open) {
            if (state_ == client_state::open && rx_pending() != 0) {
                return fail(protocol_error(errc::packet_unexpected, 0));
            }
            return std::nullopt;
        }
        while (state_ == client_state::connecting || state_ == client_state::connected) {
            // Every answer to one packet fits in this much room; wait for it rather than drop one.
            if (tx_room() < answer_room) return std::nullopt;
            if (stream_.active) return stream_step();
            std::optional<event> e;
            if (!next_packet(e)) return e;
            if (e) return e;
        }
        return std::nullopt;
    }

    // ---- commands -------------------------------------------------------------------------
    // Sends CONNECT. Allowed once the transport is open. With clean start, messages left in the
    // session store are reported failed (publish_failed_event with session_lost); so are they when
    // this connection's version has another wire format (3.1.1 <-> 5.0) than the previous one's.
    result<void> connect(const connect_options& o) noexcept {
        if (state_ != client_state::open) return local(errc::state_invalid);
        const protocol_version v = o.protocol_version;
        if (v != protocol_version::v5 && v != protocol_version::v3_1_1 && v != protocol_version::v3_1) {
            return local(errc::version_unsupported, v);
        }
        if (!is_compiled_in(v)) return local(errc::version_compiled_out, v);
        if (v == protocol_version::v5 ? !settings_.v5_enabled : !settings_.v3_1_1_enabled) {
            return local(errc::version_unsupported, v);
        }
        if (!is_v5(v) && o.client_id.empty() && !o.clean_start) {
            return local(errc::client_id_missing, v);  // 3.1.1 [MQTT-3.1.3-7]
        }
        if (!is_v5(v) && (!o.authentication_method.empty() || !o.properties.empty() || o.session_expiry_interval != 0)) {
            return local(errc::version_unsupported, v);
        }
        if (o.authentication_method.size() > s_.authentication_method.size()) {
            return local(errc::field_too_large_for_client, v);
        }
        if (!o.authentication_data.empty() && o.authentication_method.empty()) {
            return local(errc::authentication_data_without_method, v);
        }
        // Session state is keyed on the Client Identifier [MQTT-3.1.3-2]: stored messages of one
        // identifier's session are never resumed under another.
        if (!o.clean_start && session_id_known_ && client_id_hash(o.client_id) != session_id_hash_ &&
            s_.store->size() + s_.store->incoming_size() != 0) {
            return local(errc::session_client_id_mismatch, v);
        }

        sansmqtt::connect c;
        c.protocol_version = v;
        // A clean start the server may never have seen (no CONNACK came) is repeated: this client
        // discarded its session then, so it must not resume the server's [MQTT-3.1.2-4].
        c.clean_start = o.clean_start || clean_start_unconfirmed_;
        c.keep_alive = o.keep_alive;
        c.client_id = o.client_id;
        c.will = o.will;
        c.username = o.username;
        c.password = o.password;
        // The CONNECT properties are built at the far end of the free transmit space.
        mutable_bytes space = tx_space();
        if (is_v5(v)) {
            const std::size_t props_size = o.properties.wire().size() + 5 + 3 + 5 + 3 +
                                           (o.authentication_method.empty() ? 0 : 3 + o.authentication_method.size()) +
                                           (o.authentication_data.empty() ? 0 : 3 + o.authentication_data.size());
            if (props_size > space.size()) return local(errc::tx_buffer_full, v, error_category::resource);
            mutable_bytes scratch = space.subspan(space.size() - props_size);
            copy_bytes(o.properties.wire(), scratch.data());
            property_builder b(scratch.subspan(o.properties.wire().size()));
            if (o.session_expiry_interval != 0) b.session_expiry_interval(o.session_expiry_interval);
            if (receive_maximum(o.manual_acks) != 65'535) b.receive_maximum(receive_maximum(o.manual_acks));
            if (maximum_packet_size() < largest_packet_size) b.maximum_packet_size(maximum_packet_size());
            if (s_.aliases_in.capacity() != 0) b.topic_alias_maximum(s_.aliases_in.capacity());
            if (!o.authentication_method.empty()) b.authentication_method(o.authentication_method);
            if (!o.authentication_data.empty()) b.authentication_data(o.authentication_data);
            const auto built = b.build();
            if (!built) return local(built.error().code, v);
            c.properties = properties(bytes_view(scratch.data(), o.properties.wire().size() + built->wire().size()));
            if (auto ok = check_properties(c.properties, property_context::connect, sender::client); !ok) {
                return local(ok.error().code, v);
            }
            space = space.subspan(0, space.size() - props_size);
        }
        const auto n = encode(c, space, v, sender::client);
        if (!n) return local_from(n.error(), v);

        // Accepted: from here on nothing fails.
        // Stored PUBLISH packets are in the wire format of the connection that took them: a session
        // resumed in the other format (3.1.1 <-> 5.0) cannot resend them, so they fail as lost.
        const bool format_changed = session_format_known_ && is_v5(v) != is_v5(version_);
        session_format_known_ = true;
        version_ = v;
        manual_acks_ = o.manual_acks;
        tx_end_ += *n;
        state_ = client_state::connecting;
        response_timeout_ms_ = o.response_timeout_ms;
        response_deadline_ms_ = now_ms_ + o.response_timeout_ms;
        last_sent_ms_ = now_ms_;
        keep_alive_ = o.keep_alive;
        clean_start_ = c.clean_start;
        server_ = server_limits{};
        reauthenticating_ = false;
        copy_bytes(o.authentication_method.bytes(), s_.authentication_method.data());
        authentication_method_size_ = o.authentication_method.size();
        connect_id_hash_ = client_id_hash(o.client_id);
        if (c.clean_start) {
            // [MQTT-3.1.2-4] (3.1.1 [MQTT-3.1.2-6]): a new session; the old one's messages fail.
            clean_start_unconfirmed_ = true;
            s_.store->clear_incoming();
            drain_session_ = s_.store->size();
        } else if (format_changed) {
            drain_session_ = s_.store->size();
        }
        return {};
    }

    // Publishes a message; returns its Packet Identifier (0 at QoS 0). QoS 1 and 2 messages enter
    // the session store and end with publish_completed_event or publish_failed_event. Set the
    // fields topic, payload, qos, retain and properties; dup and packet_id are the client's.
    result<std::uint16_t> publish(const sansmqtt::publish& message, when_quota_exhausted when_full = when_quota_exhausted::wait) noexcept {
        if (state_ != client_state::connected) return local(errc::state_invalid);
        if (static_cast<std::uint8_t>(message.qos) > static_cast<std::uint8_t>(server_.maximum_qos)) {
            return local(errc::qos_not_supported);  // [MQTT-3.2.2-11]
        }
        if (message.retain && !server_.retain_available) return local(errc::retain_not_supported);  // [MQTT-3.2.2-14]
        if (is_v5(version_)) {
            if (message.properties.topic_alias()) return local(errc::property_not_allowed);  // aliases are the client's
            if (auto ok = check_properties(message.properties, property_context::publish, sender::client); !ok) {
                return local(ok.error().code);
            }
        } else if (!message.properties.empty()) {
            return local(errc::version_unsupported);
        }
        sansmqtt::publish p = message;
        p.dup = false;
        p.packet_id = 0;
        if (p.qos == qos::at_most_once) {
            const auto sent = send_publish(p);  // [MQTT-4.3.1-1]
            if (!sent) return sent.error();
            return std::uint16_t{0};
        }
        if (when_full == when_quota_exhausted::refuse && !quota_available()) return local(errc::send_quota_exhausted);
        const std::uint16_t id = free_packet_id();  // [MQTT-2.2.1-3] / 3.1.1 [MQTT-2.3.1-2]
        if (id == 0) return local(errc::session_store_full, version_, error_category::resource);
        p.packet_id = id;
        const auto size = encoded_size(p, version_);
        if (!size) return local_from(size.error(), version_);
        if (*size > server_.maximum_packet_size) return local(errc::packet_too_large);  // [MQTT-3.2.2-15]
        mutable_bytes space = tx_space();
        if (*size > space.size()) {
            return local(*size > s_.tx.size() ? errc::buffer_too_small : errc::tx_buffer_full, version_,
                         error_category::resource);
        }
        const auto n = encode(p, space, version_, sender::client);
        if (!n) return local_from(n.error(), version_);
        if (!s_.store->append(id, bytes_view(space.data(), *n))) {
            return local(errc::session_store_full, version_, error_category::resource);
        }
        pump();
        return id;
    }

    // Subscribes; returns the Packet Identifier. Ends with subscribe_completed_event (or
    // request_failed_event if the connection closes first).
    result<std::uint16_t> subscribe(const subscription_list& subscriptions,
                                    const properties& props = properties()) noexcept {
        if (state_ != client_state::connected) return local(errc::state_invalid);
        // What a 5.0 server said it lacks (a 3.1.1 server has every feature it knows).
        for (const subscription s : subscriptions) {
            if (!is_v5(version_)) break;
            const auto shared = parse_shared_subscription(s.topic_filter);
            if (shared && !server_.shared_subscription_available) return local(errc::shared_subscription_not_supported);
            const text_view filter = shared ? shared->topic_filter : s.topic_filter;
            if (has_wildcard(filter) && !server_.wildcard_subscription_available) {
                return local(errc::wildcard_subscription_not_supported);
            }
        }
        if (is_v5(version_) && props.subscription_identifier() && !server_.subscription_identifier_available) {
            return local(errc::subscription_identifier_not_supported);
        }
        sansmqtt::subscribe s;
        s.subscriptions = subscriptions;
        s.properties = props;
        return send_request(s, packet_type::subscribe, subscriptions.size());
    }

    result<std::uint16_t> unsubscribe(const topic_filter_list& topic_filters, const properties& props = properties()) noexcept {
        if (state_ != client_state::connected) return local(errc::state_invalid);
        sansmqtt::unsubscribe u;
        u.topic_filters = topic_filters;
        u.properties = props;
        return send_request(u, packet_type::unsubscribe, topic_filters.size());
    }

    // Acknowledges a received QoS 1 or 2 message (manual acknowledgement). Acknowledgements are
    // sent in the order the messages arrived [MQTT-4.6.0-2, MQTT-4.6.0-3]: an earlier message not
    // yet acknowledged holds later ones back. A QoS 2 reason code of 0x80 or more ends the exchange
    // (the server may send the same Packet Identifier again as a new message) [MQTT-4.3.3-9].
    result<void> ack(std::uint16_t packet_id, sansmqtt::reason_code code = reason_code::success) noexcept {
        if (state_ != client_state::connected) return local(errc::state_invalid);
        for (std::size_t i = 0; i < acks_size_; ++i) {
            pending_ack& a = s_.acks[i];
            if (a.packet_id != packet_id || a.acked) continue;
            const packet_type t = a.qos == qos::at_least_once ? packet_type::puback : packet_type::pubrec;
            if (!is_allowed_reason_code(t, static_cast<std::uint8_t>(code), version_, sender::client) ||
                (!is_v5(version_) && code != reason_code::success)) {
                return local(invalid_reason_code_errc(t));
            }
            a.acked = true;
            a.reason_code = code;
            flush_acks();
            return {};
        }
        return local(errc::packet_id_not_pending);
    }

    // Starts (0x19, after CONNACK) or continues (0x18) enhanced authentication. The client adds
    // the Authentication Method of CONNECT [MQTT-4.12.0-5, MQTT-4.12.1-1].
    result<void> auth(sansmqtt::reason_code code, const bytes_view& authentication_data,
                      const properties& props = properties()) noexcept {
        if (!is_v5(version_) || authentication_method_size_ == 0) return local(errc::authentication_not_started);  // [MQTT-4.12.0-7]
        if (state_ == client_state::connecting) {
            if (code != reason_code::continue_authentication) return local(errc::auth_reason_code_invalid);  // [MQTT-4.12.0-3]
        } else if (state_ == client_state::connected) {
            if (code == reason_code::re_authenticate ? reauthenticating_
                                                     : (code != reason_code::continue_authentication || !reauthenticating_)) {
                return local(errc::auth_reason_code_invalid);
            }
        } else {
            return local(errc::state_invalid);
        }
        if (props.authentication_method() || props.authentication_data()) return local(errc::property_duplicate);
        mutable_bytes space = tx_space();
        const std::size_t props_size = props.wire().size() + 3 + authentication_method_size_ +
                                       (authentication_data.empty() ? 0 : 3 + authentication_data.size());
        if (props_size > space.size()) return local(errc::tx_buffer_full, version_, error_category::resource);
        mutable_bytes scratch = space.subspan(space.size() - props_size);
        property_builder b(scratch);
        b.authentication_method(authentication_method());
        if (!authentication_data.empty()) b.authentication_data(authentication_data);
        const auto built = b.build();
        if (!built) return local(built.error().code);
        copy_bytes(props.wire(), scratch.data() + built->wire().size());
        sansmqtt::auth a;
        a.reason_code = code;
        a.properties = properties(bytes_view(scratch.data(), built->wire().size() + props.wire().size()));
        if (auto ok = check_properties(a.properties, property_context::auth, sender::client); !ok) return local(ok.error().code);
        const auto written = write_dropping(a, space.subspan(0, space.size() - props_size));
        if (!written) return written;
        if (code == reason_code::re_authenticate) reauthenticating_ = true;
        return {};
    }

    // Sends DISCONNECT and stops sending [MQTT-3.14.4-1]; close the transport once tx_data() is
    // sent [MQTT-3.14.4-2]. In 3.1.1 the reason code must be 0x00 and there are no properties.
    result<void> disconnect(sansmqtt::reason_code code = reason_code::normal_disconnection,
                            const properties& props = properties()) noexcept {
        if (state_ != client_state::connecting && state_ != client_state::connected) return local(errc::state_invalid);
        if (!is_v5(version_) && (code != reason_code::normal_disconnection || !props.empty())) {
            return local(errc::version_unsupported);
        }
        sansmqtt::disconnect d;
        d.reason_code = code;
        d.properties = props;
        const auto written = write_dropping(d, tx_space());
        if (!written) return written;
        state_ = client_state::disconnecting;
        return {};
    }

private:
    static constexpr std::size_t answer_room = 16;  // the largest answer to one packet (DISCONNECT 0x95: 4 bytes)

    struct inbound_stream {
        bool active = false;
        bool deliver = false;       // false: a QoS 2 duplicate, read and dropped
        bool payload_done = false;  // all chunks delivered; the end event is next
        sansmqtt::qos qos = qos::at_most_once;
        std::uint16_t packet_id = 0;
        std::uint32_t offset = 0;
        std::uint32_t remaining = 0;
    };

    // ---- helpers: errors ------------------------------------------------------------------
    error local(errc code, protocol_version v, error_category c = error_category::local) const noexcept {
        error e = make_error(code, 0, c);
        e.version = v;
        return e;
    }
    error local(errc code) const noexcept { return local(code, version_); }
    error local_from(error e, protocol_version v) const noexcept {
        if (e.category == error_category::protocol) e.category = error_category::local;
        e.version = v;
        return e;
    }
    error protocol_error(errc code, std::size_t offset) const noexcept {
        error e = make_error(code, offset);
        e.version = version_;
        return e;
    }
    error client_error(errc code, error_category c) const noexcept { return local(code, version_, c); }

    std::uint16_t receive_maximum(bool manual) const noexcept {
        std::size_t m = settings_.receive_maximum;
        if (s_.store->incoming_capacity() < m) m = s_.store->incoming_capacity();
        if (manual && s_.ack_capacity < m) m = s_.ack_capacity;
        return static_cast<std::uint16_t>(m == 0 ? 1 : m);
    }
    // FNV-1a: tells Client Identifiers apart without keeping a copy of them.
    static std::uint32_t client_id_hash(const text_view& id) noexcept {
        std::uint32_t h = 2'166'136'261u;
        for (std::size_t i = 0; i < id.size(); ++i) h = (h ^ id[i]) * 16'777'619u;
        return h;
    }
    static bool has_wildcard(const text_view& filter) noexcept {
        for (std::size_t i = 0; i < filter.size(); ++i) {
            if (filter[i] == '+' || filter[i] == '#') return true;
        }
        return false;
    }
    bool receiving() const noexcept {
        return state_ == client_state::open || state_ == client_state::connecting || state_ == client_state::connected;
    }
    std::uint64_t keep_alive_ms() const noexcept { return std::uint64_t{keep_alive_} * 1000u; }
    text_view authentication_method() const noexcept {
        return text_view(bytes_view(s_.authentication_method.data(), authentication_method_size_));
    }
    static sansmqtt::qos stored_qos(const stored_message& m) noexcept {
        if (m.packet.empty()) return qos::exactly_once;
        const unsigned q = (m.packet[0] >> 1) & 0x03u;
        return q > 2 ? qos::exactly_once : static_cast<sansmqtt::qos>(q);  // 3: damaged (see intact())
    }

    // Ends the session: in 5.0 queues DISCONNECT with the error's reason code (or 0x80 where the
    // client may not send that code) when there is room, and reports the error once.
    event fail(const error& e) noexcept {
        if (is_v5(version_) && (state_ == client_state::connecting || state_ == client_state::connected)) {
            std::uint8_t code = e.reason_code();
            if (!is_allowed_reason_code(packet_type::disconnect, code, version_, sender::client) || code < 0x80) {
                code = 0x80;
            }
            sansmqtt::disconnect d;
            d.reason_code = static_cast<sansmqtt::reason_code>(code);
            (void)write_packet(d);  // 4 bytes at most; the reserved answer room holds it
        }
        state_ = client_state::closed;
        stream_ = inbound_stream{};
        return event(connection_failed_event{e});
    }

    // ---- helpers: transmit ----------------------------------------------------------------
    std::size_t tx_room() const noexcept { return s_.tx.size() - (tx_end_ - tx_begin_); }
    // The free transmit space, made contiguous.
    mutable_bytes tx_space() noexcept {
        if (tx_begin_ != 0) {
            std::memmove(s_.tx.data(), s_.tx.data() + tx_begin_, tx_end_ - tx_begin_);
            tx_end_ -= tx_begin_;
            tx_begin_ = 0;
        }
        return s_.tx.subspan(tx_end_);
    }
    // PUBACK, PUBREC, PUBREL or PUBCOMP without properties: one encoder for the four, and no
    // packet struct on the stack.
    result<void> write_ack(packet_type t, std::uint16_t id, reason_code code = reason_code::success) noexcept {
        static constexpr properties none{};
        return write_packet(detail::ack_view{t, id, code, &none});
    }
    template <class P>
    result<void> write_packet(const P& p) noexcept {
        const auto n = encode(p, tx_space(), version_, sender::client);
        if (!n) return local_from(n.error(), version_);
        tx_end_ += *n;
        return {};
    }
    // Writes a packet whose Reason String and User Properties may be left out when the packet
    // would exceed the server's Maximum Packet Size [MQTT-3.4.2-2, -3 and the same rule of PUBREC,
    // PUBREL, PUBCOMP, DISCONNECT (3.14.2-3, -4) and AUTH (3.15.2-2, -3)]. `space` is where to write.
    template <class P>
    result<void> write_dropping(P p, mutable_bytes space) noexcept {
        auto size = encoded_size(p, version_);
        if (!size) return local_from(size.error(), version_);
        if (is_v5(version_) && *size > server_.maximum_packet_size && !p.properties.empty()) {
            // 5.0 only (3.1.1 has no properties): keep the other properties; they are copied to
            // the far end of `space`.
            const bytes_view block = p.properties.wire();
            const auto each_kept = [&block](auto&& f) {
                byte_reader r(block);
                while (!r.at_end()) {
                    const std::size_t begin = r.position();
                    const auto q = detail::read_property(r, false);
                    if (!q) return;  // checked blocks only reach here
                    if (q->id != property_id::reason_string && q->id != property_id::user_property) {
                        f(block.subview(begin, r.position() - begin));
                    }
                }
            };
            std::size_t kept = 0;
            each_kept([&kept](const bytes_view& w) { kept += w.size(); });
            if (kept > space.size()) return local(errc::tx_buffer_full, version_, error_category::resource);
            mutable_bytes scratch = space.subspan(space.size() - kept);
            std::size_t at = 0;
            each_kept([&scratch, &at](const bytes_view& w) {
                copy_bytes(w, scratch.data() + at);
                at += w.size();
            });
            p.properties = properties(bytes_view(scratch.data(), kept));
            space = space.subspan(0, space.size() - kept);
            size = encoded_size(p, version_);
            if (!size) return local_from(size.error(), version_);
        }
        if (*size > server_.maximum_packet_size) return local(errc::packet_too_large);
        if (*size > space.size()) return local(errc::tx_buffer_full, version_, error_category::resource);
        const auto n = encode(p, space, version_, sender::client);
        if (!n) return local_from(n.error(), version_);
        tx_end_ += *n;
        return {};
    }

    // A QoS 0 PUBLISH, or a stored one being sent: with a Topic Alias when the server allows them
    // and a table slot is (or can be) given to the topic [MQTT-3.2.2-17, -18, MQTT-3.3.2-9].
    // A packet that could never be sent with the alias (too large for the server or the transmit
    // buffer) goes with its topic and no alias.
    result<void> send_publish(const sansmqtt::publish& p, bool use_alias = true) noexcept {
        sansmqtt::publish out = p;
        std::uint16_t alias = 0;
        bool alias_known = false;
        if (use_alias && aliases_possible() && !p.topic.empty()) {
            alias = s_.aliases_out.find(p.topic);
            alias_known = alias != 0;
            if (!alias_known) alias = s_.aliases_out.assign(p.topic, server_.topic_alias_maximum);
        }
        mutable_bytes space = tx_space();
        if (alias != 0) {
            // The properties plus a Topic Alias, at the far end of the free space.
            const std::size_t props_size = p.properties.wire().size() + 3;
            if (props_size > space.size()) return undo_alias(alias, alias_known);
            mutable_bytes scratch = space.subspan(space.size() - props_size);
            copy_bytes(p.properties.wire(), scratch.data());
            scratch[props_size - 3] = static_cast<std::uint8_t>(property_id::topic_alias);
            scratch[props_size - 2] = static_cast<std::uint8_t>(alias >> 8);
            scratch[props_size - 1] = static_cast<std::uint8_t>(alias & 0xFFu);
            out.properties = properties(bytes_view(scratch.data(), props_size));
            if (alias_known) out.topic = text_view();
            space = space.subspan(0, space.size() - props_size);
        }
        const auto size = encoded_size(out, version_);
        if (!size) return local_from(size.error(), version_);
        if (alias != 0 &&
            (*size > server_.maximum_packet_size || *size + p.properties.wire().size() + 3 > s_.tx.size())) {
            if (!alias_known) s_.aliases_out.set_unused(alias);
            return send_publish(p, false);
        }
        if (*size > server_.maximum_packet_size) {
            if (alias != 0 && !alias_known) s_.aliases_out.set_unused(alias);
            return local(errc::packet_too_large);  // [MQTT-3.2.2-15]
        }
        if (*size > space.size()) {
            if (alias != 0 && !alias_known) s_.aliases_out.set_unused(alias);
            return local(*size > s_.tx.size() ? errc::buffer_too_small : errc::tx_buffer_full, version_,
                         error_category::resource);
        }
        const auto n = encode(out, space, version_, sender::client);
        if (!n) {
            if (alias != 0 && !alias_known) s_.aliases_out.set_unused(alias);
            return local_from(n.error(), version_);
        }
        tx_end_ += *n;
        return {};
    }
    error undo_alias(std::uint16_t alias, bool known) noexcept {
        if (!known) s_.aliases_out.set_unused(alias);
        return local(errc::tx_buffer_full, version_, error_category::resource);
    }

    template <class P>
    result<std::uint16_t> send_request(P& p, packet_type t, std::size_t count) noexcept {
        if (requests_size_ == s_.request_capacity) return local(errc::request_table_full, version_, error_category::resource);
        const std::uint16_t id = free_packet_id();
        if (id == 0) return local(errc::request_table_full, version_, error_category::resource);
        p.packet_id = id;
        const auto size = encoded_size(p, version_);
        if (!size) return local_from(size.error(), version_);
        if (*size > server_.maximum_packet_size) return local(errc::packet_too_large);  // [MQTT-3.2.2-15]
        if (auto ok = write_packet(p); !ok) {
            error e = ok.error();
            if (e.code == errc::buffer_too_small && *size <= s_.tx.size()) e.code = errc::tx_buffer_full;
            return e;
        }
        s_.requests[requests_size_++] = pending_request{id, t, static_cast<std::uint16_t>(count)};
        return id;
    }

    // A Packet Identifier used by no stored message and no outstanding request [MQTT-2.2.1-3].
    std::uint16_t free_packet_id() noexcept {
        for (std::uint32_t tries = 0; tries < 65'535u; ++tries) {
            const std::uint16_t id = next_packet_id_;
            next_packet_id_ = static_cast<std::uint16_t>(next_packet_id_ == 65'535 ? 1 : next_packet_id_ + 1);
            if (!packet_id_in_use(id)) return id;
        }
        return 0;
    }
    bool packet_id_in_use(std::uint16_t id) const noexcept {
        for (std::size_t i = 0; i < s_.store->size(); ++i) {
            if (s_.store->at(i).packet_id == id) return true;
        }
        for (std::size_t i = 0; i < requests_size_; ++i) {
            if (s_.requests[i].packet_id == id) return true;
        }
        return false;
    }

    bool aliases_possible() const noexcept {
        return is_v5(version_) && server_.topic_alias_maximum != 0 && s_.aliases_out.capacity() != 0;
    }
    bool quota_available() const noexcept { return cursor_ < server_.receive_maximum; }

    // Sends stored messages, in order, while the quota and the transmit buffer allow
    // [MQTT-4.6.0-1, MQTT-4.9.0-2]. Messages before `cursor_` were sent on this connection.
    void pump() noexcept {
        if (state_ != client_state::connected || drain_session_ != 0) return;
        while (cursor_ < s_.store->size()) {
            const stored_message m = s_.store->at(cursor_);
            if (m.state == message_state::released) {
                if (!write_ack(packet_type::pubrel, m.packet_id)) return;  // [MQTT-4.4.0-1] PUBREL resent after reconnect
                ++cursor_;
                continue;
            }
            if (!quota_available()) return;  // [MQTT-3.3.4-7]
            if (!sendable(m)) return;  // poll_event() fails it: drop_oversized()
            if (m.state == message_state::sent) {
                // Sent on an earlier connection: resend it as it was, with DUP 1 [MQTT-3.3.1-1, MQTT-4.4.0-1].
                if (tx_room() < m.packet.size()) return;
                mutable_bytes space = tx_space();
                copy_bytes(m.packet, space.data());
                space[0] = static_cast<std::uint8_t>(space[0] | 0x08u);
                tx_end_ += m.packet.size();
            } else {
                if (!aliases_possible()) {
                    // Sent as stored: copy it.
                    if (tx_room() < m.packet.size()) return;
                    copy_bytes(m.packet, tx_space().data());
                    tx_end_ += m.packet.size();
                    s_.store->set_state(cursor_, message_state::sent);
                    ++cursor_;
                    continue;
                }
                const std::optional<sansmqtt::publish> p = stored_publish(m.packet);
                if (!p || !send_publish(*p)) return;  // intact: sendable() checked it  // [MQTT-4.3.2-2, MQTT-4.3.3-2]: DUP 0
                s_.store->set_state(cursor_, message_state::sent);
            }
            ++cursor_;
        }
    }

    // A stored packet parsed back: a whole PUBLISH of this connection's version, or nothing (a
    // store may hand back damaged bytes). Only the PUBLISH decoder is linked for it.
    std::optional<sansmqtt::publish> stored_publish(const bytes_view& bytes) const noexcept {
        const auto f = frame(bytes, largest_packet_size, version_);
        if (!f || !f->complete || f->header.type != packet_type::publish || f->header.packet_size() != bytes.size()) {
            return std::nullopt;
        }
        const auto head = decode_publish_head(bytes, f->header, version_, sender::client);
        if (!head || head->size == 0) return std::nullopt;
        sansmqtt::publish p = head->packet;
        p.payload = bytes.subview(head->size);
        return p;
    }

    // Whether this connection's server takes the stored PUBLISH: it may allow less than the one
    // it was published under, in Maximum Packet Size [MQTT-3.2.2-15] or Maximum QoS [MQTT-3.2.2-11].
    bool sendable(const stored_message& m) const noexcept {
        return intact(m) && m.packet.size() <= server_.maximum_packet_size &&
               static_cast<std::uint8_t>(stored_qos(m)) <= static_cast<std::uint8_t>(server_.maximum_qos);
    }
    // Whether a stored packet is a whole PUBLISH of this connection's version: a store (flash) may
    // hand back damaged bytes, which are never sent.
    bool intact(const stored_message& m) const noexcept { return stored_publish(m.packet).has_value(); }

    // A stored message this connection's server does not take is never sent: it fails with 0x95
    // (too large) or 0x9B (QoS not supported), a damaged one with 0x83, and the messages after it
    // go on.
    // A QoS 2 message sent before may be held by the server (its PUBREC lost), which would take
    // the identifier, reused, for a duplicate: it is released instead (PUBREL), and its PUBCOMP
    // tells whether it had arrived (0x92: it had not).
    std::optional<event> drop_oversized() noexcept {
        if (state_ != client_state::connected || drain_session_ != 0) return std::nullopt;
        for (;;) {
            if (cursor_ >= s_.store->size()) return std::nullopt;
            const stored_message m = s_.store->at(cursor_);
            if (m.state == message_state::released || sendable(m)) return std::nullopt;
            if (m.state != message_state::sent || stored_qos(m) != qos::exactly_once || !intact(m)) break;
            if (tx_room() < answer_room) return std::nullopt;  // the PUBREL needs room: next time
            // The store may move it in front of the messages not released: it joins those sent
            // on this connection [0, cursor_) either way.
            s_.store->set_state(cursor_, message_state::released);
            (void)write_ack(packet_type::pubrel, m.packet_id);
            ++cursor_;
            pump();
        }
        const stored_message m = s_.store->at(cursor_);
        const reason_code code = !intact(m)                                      ? reason_code::implementation_specific_error
                                 : m.packet.size() > server_.maximum_packet_size ? reason_code::packet_too_large
                                                                                 : reason_code::qos_not_supported;
        const publish_failed_event e{m.packet_id, stored_qos(m), code, false};
        s_.store->erase(cursor_);
        pump();
        return event(e);
    }

    // The manual acknowledgements that are done and not held back by an earlier one.
    void flush_acks() noexcept {
        std::size_t done = 0;
        while (done < acks_size_ && s_.acks[done].acked) {
            const pending_ack& a = s_.acks[done];
            if (tx_room() < answer_room) break;
            if (a.qos == qos::exactly_once && !is_failure(a.reason_code)) (void)s_.store->add_incoming(a.packet_id);
            (void)write_ack(a.qos == qos::at_least_once ? packet_type::puback : packet_type::pubrec, a.packet_id,
                            a.reason_code);
            ++done;
        }
        for (std::size_t i = done; i < acks_size_; ++i) s_.acks[i - done] = s_.acks[i];
        acks_size_ -= done;
    }
    bool ack_pending(std::uint16_t id) const noexcept {
        for (std::size_t i = 0; i < acks_size_; ++i) {
            if (s_.acks[i].packet_id == id) return true;
        }
        return false;
    }

    // ---- receive path ---------------------------------------------------------------------
    // Frames and handles the next packet. Returns false when no whole packet is there (or the
    // session failed, with `e` set); true with `e` set or empty when a packet was handled.
    bool next_packet(std::optional<event>& e) noexcept {
        const bytes_view received(s_.rx.data() + rx_begin_, rx_end_ - rx_begin_);
        if (received.empty()) return false;
        const std::uint32_t limit = is_v5(version_) ? maximum_packet_size() : largest_packet_size;
        const auto f = frame(received, limit, version_);
        if (!f) {
            e = fail(f.error().code == errc::packet_too_large ? protocol_error(errc::incoming_packet_too_large, 1)
                                                               : f.error());
            return false;
        }
        if (!f->complete) {
            if (!f->header_known || f->header.packet_size() <= s_.rx.size()) return false;
            // Larger than the receive buffer: only a PUBLISH can be taken, in pieces.
            if (f->header.type != packet_type::publish || !settings_.stream_large_messages) {
                e = fail(protocol_error(errc::incoming_packet_too_large, 1));
                return false;
            }
            if (state_ == client_state::connecting) {
                e = fail(protocol_error(errc::packet_unexpected, 0));  // [MQTT-3.2.0-1], as dispatch() does
                return false;
            }
            return begin_stream(f->header, received, e);
        }
        const bytes_view bytes = received.subview(0, f->header.packet_size());
        rx_begin_ += bytes.size();
        if (f->header.type == packet_type::publish) {  // the common case: decoded in place, no packet variant
            sansmqtt::publish message;
            if (const auto ok = decode_publish(bytes, f->header, version_, sender::server, message); !ok) {
                e = fail(ok.error());
                return false;
            }
            e = state_ == client_state::connecting ? fail(protocol_error(errc::packet_unexpected, 0))  // [MQTT-3.2.0-1]
                                                   : on_publish(message, false);
            return true;
        }
        const auto p = decode_framed<sender::server>(bytes, f->header, version_);
        if (!p) {
            e = fail(p.error());
            return false;
        }
        e = dispatch(*p);
        return true;
    }

    std::optional<event> dispatch(const packet& p) noexcept {
        const packet_type t = type_of(p);
        if (state_ == client_state::connecting && t != packet_type::connack && t != packet_type::auth) {
            return fail(protocol_error(errc::packet_unexpected, 0));  // [MQTT-3.2.0-1]
        }
        switch (t) {
            case packet_type::connack: return on_connack(std::get<connack>(p));
            // PUBLISH is decoded and handled in next_packet(), without a packet variant.
            case packet_type::puback: return on_puback(std::get<puback>(p));
            case packet_type::pubrec: return on_pubrec(std::get<pubrec>(p));
            case packet_type::pubrel: return on_pubrel(std::get<pubrel>(p));
            case packet_type::pubcomp: return on_pubcomp(std::get<pubcomp>(p));
            case packet_type::suback: return on_suback(std::get<suback>(p));
            case packet_type::unsuback: return on_unsuback(std::get<unsuback>(p));
            case packet_type::pingresp: ping_outstanding_ = false; return std::nullopt;
            case packet_type::disconnect: return on_disconnect(std::get<sansmqtt::disconnect>(p));
            case packet_type::auth:
                if (is_v5(version_)) return on_auth(std::get<sansmqtt::auth>(p));
                return fail(protocol_error(errc::packet_direction_invalid, 0));  // decode() refuses it first
            default: return fail(protocol_error(errc::packet_direction_invalid, 0));
        }
    }

    std::optional<event> on_connack(const connack& c) noexcept {
        if (state_ != client_state::connecting) return fail(protocol_error(errc::packet_unexpected, 0));
        if (c.reason_code != reason_code::success) {
            state_ = client_state::closed;  // [MQTT-4.13.2-1]
            return event(connect_refused_event{c.reason_code, c});
        }
        if (c.session_present && clean_start_) {
            return fail(protocol_error(errc::session_present_unexpected, 0));  // [MQTT-3.2.2-4]
        }
        const properties& q = c.properties;
        decltype(q.assigned_client_identifier()) assigned;
        if (is_v5(version_)) {  // a 3.1.1 CONNACK has no properties
            if (authentication_method_size_ != 0 && q.authentication_method() != authentication_method()) {
                return fail(protocol_error(errc::authentication_method_mismatch, 0));  // [MQTT-4.12.0-5]
            }
            if (authentication_method_size_ == 0 && q.authentication_method()) {
                return fail(protocol_error(errc::packet_unexpected, 0));
            }
            if (const auto v = q.maximum_qos()) server_.maximum_qos = static_cast<sansmqtt::qos>(*v);
            if (const auto v = q.retain_available()) server_.retain_available = *v;
            if (const auto v = q.maximum_packet_size()) server_.maximum_packet_size = *v;
            if (const auto v = q.receive_maximum()) server_.receive_maximum = *v;
            if (const auto v = q.topic_alias_maximum()) server_.topic_alias_maximum = *v;
            if (const auto v = q.wildcard_subscription_available()) server_.wildcard_subscription_available = *v;
            if (const auto v = q.subscription_identifier_available()) server_.subscription_identifier_available = *v;
            if (const auto v = q.shared_subscription_available()) server_.shared_subscription_available = *v;
            if (const auto v = q.server_keep_alive()) keep_alive_ = *v;  // [MQTT-3.1.2-21, MQTT-3.2.2-21]
            assigned = q.assigned_client_identifier();
        }
        state_ = client_state::connected;
        clean_start_unconfirmed_ = false;
        session_id_hash_ = assigned ? client_id_hash(*assigned) : connect_id_hash_;
        session_id_known_ = true;
        ping_outstanding_ = false;
        cursor_ = 0;
        if (!c.session_present && s_.store->size() + s_.store->incoming_size() != 0 && drain_session_ == 0) {
            // [MQTT-3.2.2-5]: the server has no session, so ours is discarded.
            s_.store->clear_incoming();
            drain_session_ = s_.store->size();
        }
        pump();  // [MQTT-4.4.0-1]: resend in order
        connected_event e;
        e.session_present = c.session_present;
        e.keep_alive = keep_alive_;
        if (assigned) e.assigned_client_id = *assigned;
        e.packet = c;
        return event(e);
    }

    // A PUBLISH, whole (`streamed` false) or the head of a streamed one.
    // `p` is the caller's decoded packet (not copied); its topic is set here from a Topic Alias.
    std::optional<event> on_publish(sansmqtt::publish& p, bool streamed, std::uint32_t payload_size = 0) noexcept {
        if (const auto alias = is_v5(version_) ? p.properties.topic_alias() : std::nullopt) {
            if (*alias > s_.aliases_in.capacity()) {
                return fail(protocol_error(errc::topic_alias_invalid, 0));  // [MQTT-3.3.2-10] accepted up to ours only
            }
            if (p.topic.empty()) {
                const auto topic = s_.aliases_in.get(*alias);
                if (!topic) return fail(protocol_error(errc::topic_alias_unknown, 0));
                p.topic = *topic;
            } else if (!s_.aliases_in.set(*alias, p.topic)) {
                return fail(client_error(errc::field_too_large_for_client, error_category::resource));
            }
        }
        bool deliver = true;
        if (p.qos != qos::at_most_once) {
            const bool duplicate = p.qos == qos::exactly_once &&
                                   (s_.store->has_incoming(p.packet_id) || ack_pending(p.packet_id));
            if (duplicate) {
                // [MQTT-4.3.3-10]: not delivered again; PUBREC again once it was sent.
                deliver = false;
            } else if (inbound_unacknowledged() >= receive_maximum()) {
                // 5.0: the server broke our Receive Maximum (0x93). 3.1.1 has none: our tables are full.
                if (is_v5(version_)) return fail(protocol_error(errc::receive_maximum_exceeded, 0));
                return fail(client_error(errc::request_table_full, error_category::resource));
            }
        }
        if (streamed) {
            stream_ = inbound_stream{true, deliver, payload_size == 0, p.qos, p.packet_id, 0, payload_size};
            if (!deliver) return std::nullopt;
            return event(message_begin_event{p, payload_size});
        }
        if (!deliver) {
            answer_duplicate(p.packet_id);
            return std::nullopt;
        }
        acknowledge(p.qos, p.packet_id);
        return event(message_event{p});
    }
    // Received QoS 1/2 messages not yet acknowledged (manual) or released (QoS 2 after PUBREC); a
    // duplicate's PUBREC queued behind earlier acknowledgements is one of the released ones.
    std::size_t inbound_unacknowledged() const noexcept {
        std::size_t n = s_.store->incoming_size() + acks_size_;
        for (std::size_t i = 0; i < acks_size_; ++i) {
            if (s_.acks[i].qos == qos::exactly_once && s_.store->has_incoming(s_.acks[i].packet_id)) --n;
        }
        return n;
    }
    // A QoS 2 duplicate gets PUBREC again once its first copy was answered [MQTT-4.3.3-10], in
    // order behind the acknowledgements still held for earlier messages [MQTT-4.6.0-3].
    void answer_duplicate(std::uint16_t id) noexcept {
        if (!s_.store->has_incoming(id) || ack_pending(id)) return;  // its ack() (or PUBREC) is still to come
        if (acks_size_ == 0 || acks_size_ == s_.ack_capacity) {
            (void)write_ack(packet_type::pubrec, id);
            return;
        }
        s_.acks[acks_size_++] = pending_ack{id, qos::exactly_once, true, reason_code::success};
        flush_acks();
    }
    // The acknowledgement a received message needs [MQTT-3.3.4-1, MQTT-4.5.0-2], now or, with
    // manual acknowledgement, at ack().
    void acknowledge(sansmqtt::qos q, std::uint16_t id) noexcept {
        if (q == qos::at_most_once) return;
        if (manual_acks_) {
            s_.acks[acks_size_++] = pending_ack{id, q, false, reason_code::success};
            return;
        }
        if (q == qos::at_least_once) {
            (void)write_ack(packet_type::puback, id);  // [MQTT-4.3.2-4]
        } else {
            (void)s_.store->add_incoming(id);  // room checked against the Receive Maximum
            (void)write_ack(packet_type::pubrec, id);  // [MQTT-4.3.3-8]
        }
    }

    bool begin_stream(const fixed_header& h, const bytes_view& received, std::optional<event>& e) noexcept {
        auto head = decode_publish_head(received, h, version_, sender::server);
        if (!head) {
            e = fail(head.error());
            return false;
        }
        if (head->size == 0) {
            // The head itself must fit in the buffer.
            if (received.size() == s_.rx.size()) e = fail(protocol_error(errc::incoming_packet_too_large, 1));
            return false;
        }
        rx_begin_ += head->size;
        e = on_publish(head->packet, true, head->payload_size);
        return true;
    }

    std::optional<event> stream_step() noexcept {
        if (stream_.payload_done) {
            const message_end_event end{stream_.packet_id, stream_.qos};
            const bool deliver = stream_.deliver;
            stream_ = inbound_stream{};
            if (!deliver) {
                answer_duplicate(end.packet_id);
                return std::nullopt;
            }
            acknowledge(end.qos, end.packet_id);
            return event(end);
        }
        const std::size_t available = rx_end_ - rx_begin_;
        if (available == 0) return std::nullopt;
        const std::size_t n = available < stream_.remaining ? available : stream_.remaining;
        const message_chunk_event chunk{stream_.packet_id, stream_.offset, bytes_view(s_.rx.data() + rx_begin_, n)};
        rx_begin_ += n;
        stream_.offset += static_cast<std::uint32_t>(n);
        stream_.remaining -= static_cast<std::uint32_t>(n);
        if (stream_.remaining == 0) stream_.payload_done = true;
        if (!stream_.deliver) return poll_event();
        return event(chunk);
    }

    // Finds our stored message `id` among those sent on this connection.
    std::optional<std::size_t> find_sent(std::uint16_t id) const noexcept {
        for (std::size_t i = 0; i < cursor_; ++i) {
            if (s_.store->at(i).packet_id == id) return i;
        }
        return std::nullopt;
    }
    event complete(std::size_t index, sansmqtt::qos q, std::uint16_t id, sansmqtt::reason_code code) noexcept {
        s_.store->erase(index);
        --cursor_;
        pump();
        if (is_failure(code)) return event(publish_failed_event{id, q, code, false});  // [MQTT-4.4.0-2]
        return event(publish_completed_event{id, q, code});
    }

    std::optional<event> on_puback(const puback& a) noexcept {
        const auto i = find_sent(a.packet_id);
        if (!i) return std::nullopt;  // not ours (any more): nothing to do
        const stored_message m = s_.store->at(*i);
        if (m.state != message_state::sent || stored_qos(m) != qos::at_least_once) {
            return fail(protocol_error(errc::packet_unexpected, 0));
        }
        return complete(*i, qos::at_least_once, a.packet_id, a.reason_code);  // [MQTT-4.3.2-3]
    }

    std::optional<event> on_pubrec(const pubrec& a) noexcept {
        const auto i = find_sent(a.packet_id);
        if (!i) {
            // Unknown: release it anyway, so the server's state ends (5.0: 0x92).
            (void)write_ack(packet_type::pubrel, a.packet_id,
                            is_v5(version_) ? reason_code::packet_identifier_not_found : reason_code::success);
            return std::nullopt;
        }
        const stored_message m = s_.store->at(*i);
        if (stored_qos(m) != qos::exactly_once) return fail(protocol_error(errc::packet_unexpected, 0));
        if (is_failure(a.reason_code)) return complete(*i, qos::exactly_once, a.packet_id, a.reason_code);
        // [MQTT-4.3.3-4]: PUBREL, in the order of the PUBRECs [MQTT-4.6.0-4]; the PUBLISH is not
        // sent again from now on [MQTT-4.3.3-6].
        if (m.state == message_state::sent) s_.store->set_state(*i, message_state::released);
        (void)write_ack(packet_type::pubrel, a.packet_id);
        return std::nullopt;
    }

    std::optional<event> on_pubcomp(const pubcomp& a) noexcept {
        const auto i = find_sent(a.packet_id);
        if (!i) return std::nullopt;
        const stored_message m = s_.store->at(*i);
        if (m.state != message_state::released) return fail(protocol_error(errc::packet_unexpected, 0));
        return complete(*i, qos::exactly_once, a.packet_id, a.reason_code);  // [MQTT-4.3.3-5]
    }

    std::optional<event> on_pubrel(const pubrel& a) noexcept {
        // [MQTT-4.3.3-11]: PUBCOMP with the same identifier; an unknown one gets 0x92 and never wedges.
        reason_code code = reason_code::success;
        if (s_.store->has_incoming(a.packet_id)) {
            s_.store->remove_incoming(a.packet_id);  // [MQTT-4.3.3-12]: the identifier is free again
        } else if (is_v5(version_)) {
            code = reason_code::packet_identifier_not_found;
        }
        (void)write_ack(packet_type::pubcomp, a.packet_id, code);
        return std::nullopt;
    }

    std::optional<std::size_t> find_request(std::uint16_t id, packet_type t) const noexcept {
        for (std::size_t i = 0; i < requests_size_; ++i) {
            if (s_.requests[i].packet_id == id && s_.requests[i].type == t) return i;
        }
        return std::nullopt;
    }
    void remove_request(std::size_t i) noexcept {
        for (std::size_t j = i; j + 1 < requests_size_; ++j) s_.requests[j] = s_.requests[j + 1];
        --requests_size_;
    }

    std::optional<event> on_suback(const suback& a) noexcept {
        const auto i = find_request(a.packet_id, packet_type::subscribe);
        if (!i) return fail(protocol_error(errc::packet_id_unknown, 0));
        if (a.reason_codes.size() != s_.requests[*i].count) {
            return fail(protocol_error(errc::suback_count_mismatch, 0));  // 5.0 [MQTT-3.9.3-2] / 3.1.1 [MQTT-3.8.4-5]
        }
        remove_request(*i);
        return event(subscribe_completed_event{a.packet_id, a});
    }

    std::optional<event> on_unsuback(const unsuback& a) noexcept {
        const auto i = find_request(a.packet_id, packet_type::unsubscribe);
        if (!i) return fail(protocol_error(errc::packet_id_unknown, 0));
        const std::size_t expected = is_v5(version_) ? s_.requests[*i].count : 0;
        if (a.reason_codes.size() != expected) return fail(protocol_error(errc::unsuback_count_mismatch, 0));
        remove_request(*i);
        return event(unsubscribe_completed_event{a.packet_id, a});
    }

    std::optional<event> on_disconnect(const sansmqtt::disconnect& d) noexcept {
        state_ = client_state::closed;  // [MQTT-4.13.2-1]: close whatever the code
        disconnected_event e;
        e.reason_code = d.reason_code;
        if (is_v5(version_)) {
            if (const auto ref = d.properties.server_reference()) e.server_reference = *ref;
        }
        e.packet = d;
        return event(e);
    }

    std::optional<event> on_auth(const sansmqtt::auth& a) noexcept {
        if (authentication_method_size_ == 0) return fail(protocol_error(errc::packet_unexpected, 0));
        if (a.properties.authentication_method() != authentication_method()) {
            return fail(protocol_error(errc::authentication_method_mismatch, 0));  // [MQTT-4.12.0-5]
        }
        if (state_ == client_state::connecting) {
            if (a.reason_code != reason_code::continue_authentication) return fail(protocol_error(errc::packet_unexpected, 0));
        } else if (!reauthenticating_ || a.reason_code == reason_code::re_authenticate) {
            return fail(protocol_error(errc::packet_unexpected, 0));
        } else if (a.reason_code == reason_code::success) {
            reauthenticating_ = false;
        }
        auth_event e;
        e.reason_code = a.reason_code;
        if (const auto data = a.properties.authentication_data()) e.authentication_data = *data;
        e.packet = a;
        return event(e);
    }

    client_storage s_;
    client_settings settings_;
    client_state state_ = client_state::idle;
    protocol_version version_ = protocol_version::v5;
    server_limits server_;
    bool manual_acks_ = false;
    bool clean_start_ = true;
    bool clean_start_unconfirmed_ = false;  // a clean start without CONNACK yet: the next CONNECT starts clean too
    bool reauthenticating_ = false;
    bool ping_outstanding_ = false;
    bool session_format_known_ = false;  // a connect() was accepted: version_ is the stored packets' format
    bool session_id_known_ = false;      // a CONNACK accepted a session: session_id_hash_ names its owner
    std::uint32_t session_id_hash_ = 0;
    std::uint32_t connect_id_hash_ = 0;  // of the Client Identifier in the last CONNECT
    bool drain_requests_ = false;
    std::size_t drain_session_ = 0;  // stored messages still to report failed (from the front)
    std::size_t authentication_method_size_ = 0;
    std::size_t rx_begin_ = 0;
    std::size_t rx_end_ = 0;
    std::size_t tx_begin_ = 0;
    std::size_t tx_end_ = 0;
    std::size_t cursor_ = 0;  // stored messages [0, cursor_) were sent on this connection
    std::size_t requests_size_ = 0;
    std::size_t acks_size_ = 0;
    std::uint16_t next_packet_id_ = 1;
    std::uint16_t keep_alive_ = 0;
    std::uint32_t response_timeout_ms_ = 10'000;
    std::uint64_t now_ms_ = 0;
    bool clock_started_ = false;  // tick() was called once: now_ms_ is the caller's clock
    std::uint64_t last_sent_ms_ = 0;
    std::uint64_t response_deadline_ms_ = 0;
    inbound_stream stream_;
    std::optional<event> pending_event_;
};

}  // namespace sansmqtt
