// sansmqtt: the events the client emits, one struct each, and `event`, which holds any of them.
//
// client_core::poll_event() returns one event at a time. Views in an event (topics, payloads,
// properties, reason code lists) point into the client's receive buffer or tables: they stay valid
// until the next call to poll_event(), receive() or rx_window() on that client. Copy what you keep.
#pragma once

#include <cstdint>
#include <variant>

#include "sansmqtt/codec/packet.hpp"
#include "sansmqtt/codec/reason_code.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"

namespace sansmqtt {

// A successful CONNACK: the session is up and commands that send messages are allowed.
struct connected_event {
    bool session_present = false;
    std::uint16_t keep_alive = 0;  // the keep alive in force: the Server Keep Alive if the server sent one
    text_view assigned_client_id;  // 5.0 Assigned Client Identifier, empty if none
    connack packet;                // everything else the server said (its limits are applied already)
};

// A CONNACK that refuses the connection. `reason_code` is the 5.0 reason code, or the 3.1.1 return
// code unchanged (see connect_return_code). The client is closed: close the transport.
struct connect_refused_event {
    sansmqtt::reason_code reason_code = reason_code::unspecified_error;
    connack packet;
};

// The server's AUTH: Continue authentication (0x18) during connect or re-authentication, or
// Success (0x00) ending a re-authentication. Answer a Continue with client_core::auth().
struct auth_event {
    sansmqtt::reason_code reason_code = reason_code::success;
    bytes_view authentication_data;
    auth packet;
};

// A whole application message. The topic is resolved from a Topic Alias when the server used one.
// With manual acknowledgement and QoS 1 or 2, call client_core::ack(packet.packet_id) when done.
struct message_event {
    publish packet;
};

// A message whose packet is larger than the receive buffer arrives in three steps (when the
// Config enables it): begin (every field but the payload), chunks of the payload in order, end.
// The client acknowledges it only after the end (or, with manual acknowledgement, at ack()).
struct message_begin_event {
    publish packet;  // payload empty
    std::uint32_t payload_size = 0;
};
struct message_chunk_event {
    std::uint16_t packet_id = 0;
    std::uint32_t offset = 0;  // of `data` within the payload
    bytes_view data;
};
struct message_end_event {
    std::uint16_t packet_id = 0;
    sansmqtt::qos qos = qos::at_most_once;
};

// A QoS 1 or 2 message of ours reached its end: PUBACK (QoS 1) or PUBCOMP (QoS 2) with a success
// reason code.
struct publish_completed_event {
    std::uint16_t packet_id = 0;
    sansmqtt::qos qos = qos::at_least_once;
    sansmqtt::reason_code reason_code = reason_code::success;
};

// A QoS 1 or 2 message of ours will never be delivered by this session: the server refused it
// (PUBACK or PUBREC 0x80 or above, PUBCOMP 0x92), the server of a later connection accepts no
// packet that large (0x95 Packet too large) or no such QoS (0x9B QoS not supported; it is not
// sent), or the session that held it was discarded
// (clean start, or Session Present 0), in which case `session_lost` is true.
struct publish_failed_event {
    std::uint16_t packet_id = 0;
    sansmqtt::qos qos = qos::at_least_once;
    sansmqtt::reason_code reason_code = reason_code::unspecified_error;
    bool session_lost = false;
};

// SUBACK and UNSUBACK, already checked against the request (same count of reason codes).
// In 3.1.1 an UNSUBACK has no reason codes.
struct subscribe_completed_event {
    std::uint16_t packet_id = 0;
    suback packet;
};
struct unsubscribe_completed_event {
    std::uint16_t packet_id = 0;
    unsuback packet;
};

// A SUBSCRIBE or UNSUBSCRIBE whose answer will never come: the connection closed first.
struct request_failed_event {
    std::uint16_t packet_id = 0;
    packet_type type = packet_type::subscribe;
};

// The server sent DISCONNECT (5.0). The client sends nothing more: close the transport.
struct disconnected_event {
    sansmqtt::reason_code reason_code = reason_code::normal_disconnection;
    text_view server_reference;  // empty if none
    disconnect packet;
};

// The session failed: the server broke a rule (category protocol), a timer ran out, or the
// client's tables could not take what the server sent (resource). In 5.0 the client has queued a
// DISCONNECT with the error's reason code; send tx_data() and close the transport. Nothing else
// is sent or received until transport_closed().
struct connection_failed_event {
    sansmqtt::error error;
};

using event = std::variant<connected_event, connect_refused_event, auth_event, message_event,
                           message_begin_event, message_chunk_event, message_end_event,
                           publish_completed_event, publish_failed_event, subscribe_completed_event,
                           unsubscribe_completed_event, request_failed_event, disconnected_event,
                           connection_failed_event>;

}  // namespace sansmqtt
