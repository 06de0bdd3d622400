// sansmqtt: MQTT 5.0 reason codes, MQTT 3.1.1 return codes, and which packet may carry which.
#pragma once

#include <cstdint>
#include <string_view>

#include "sansmqtt/codec/packet_type.hpp"
#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"

namespace sansmqtt {

// MQTT 5.0 reason codes (Table 2-6). Below 0x80 is success, 0x80 and above is failure. Several
// names share a value because the meaning depends on the packet.
enum class reason_code : std::uint8_t {
    success = 0x00,
    normal_disconnection = 0x00,
    granted_qos_0 = 0x00,
    granted_qos_1 = 0x01,
    granted_qos_2 = 0x02,
    disconnect_with_will_message = 0x04,
    no_matching_subscribers = 0x10,
    no_subscription_existed = 0x11,
    continue_authentication = 0x18,
    re_authenticate = 0x19,
    unspecified_error = 0x80,
    malformed_packet = 0x81,
    protocol_error = 0x82,
    implementation_specific_error = 0x83,
    unsupported_protocol_version = 0x84,
    client_identifier_not_valid = 0x85,
    bad_user_name_or_password = 0x86,
    not_authorized = 0x87,
    server_unavailable = 0x88,
    server_busy = 0x89,
    banned = 0x8A,
    server_shutting_down = 0x8B,
    bad_authentication_method = 0x8C,
    keep_alive_timeout = 0x8D,
    session_taken_over = 0x8E,
    topic_filter_invalid = 0x8F,
    topic_name_invalid = 0x90,
    packet_identifier_in_use = 0x91,
    packet_identifier_not_found = 0x92,
    receive_maximum_exceeded = 0x93,
    topic_alias_invalid = 0x94,
    packet_too_large = 0x95,
    message_rate_too_high = 0x96,
    quota_exceeded = 0x97,
    administrative_action = 0x98,
    payload_format_invalid = 0x99,
    retain_not_supported = 0x9A,
    qos_not_supported = 0x9B,
    use_another_server = 0x9C,
    server_moved = 0x9D,
    shared_subscriptions_not_supported = 0x9E,
    connection_rate_exceeded = 0x9F,
    maximum_connect_time = 0xA0,
    subscription_identifiers_not_supported = 0xA1,
    wildcard_subscriptions_not_supported = 0xA2,
};

// MQTT 3.1.1 CONNACK return codes (3.2.2.3). A 3.1.1 CONNACK carries one of these in its
// `reason_code` field, unchanged.
enum class connect_return_code : std::uint8_t {
    accepted = 0x00,
    unacceptable_protocol_version = 0x01,
    identifier_rejected = 0x02,
    server_unavailable = 0x03,
    bad_user_name_or_password = 0x04,
    not_authorized = 0x05,
};

constexpr bool is_failure(reason_code c) noexcept { return static_cast<std::uint8_t>(c) >= 0x80; }

namespace detail {

// A set of byte values, usable in constant expressions.
struct code_set {
    std::uint64_t bits[4] = {};
    template <std::size_t N>
    constexpr explicit code_set(const std::uint8_t (&codes)[N]) noexcept {
        for (std::uint8_t c : codes) bits[c / 64] |= std::uint64_t{1} << (c % 64);
    }
    constexpr bool contains(std::uint8_t c) const noexcept { return (bits[c / 64] >> (c % 64)) & 1u; }
};

inline constexpr std::uint8_t connack_codes[] = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                                                 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
inline constexpr std::uint8_t puback_codes[] = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
inline constexpr std::uint8_t pubrel_codes[] = {0x00, 0x92};
inline constexpr std::uint8_t suback_codes[] = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
inline constexpr std::uint8_t suback_codes_v311[] = {0x00, 0x01, 0x02, 0x80};
inline constexpr std::uint8_t unsuback_codes[] = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
// DISCONNECT (3.14.2.1), by sender. 0x8C Bad authentication method is listed for DISCONNECT in
// Table 2-6 though not in 3.14.2.1; it is accepted from the Server.
inline constexpr std::uint8_t disconnect_codes_client[] = {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x90,
                                                           0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99};
inline constexpr std::uint8_t disconnect_codes_server[] = {0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D,
                                                           0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
                                                           0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
// AUTH (3.15.2.1): 0x00 is sent by the Server, 0x19 by the Client, 0x18 by both.
inline constexpr std::uint8_t auth_codes_any[] = {0x00, 0x18, 0x19};
inline constexpr std::uint8_t auth_codes_client[] = {0x18, 0x19};
inline constexpr std::uint8_t auth_codes_server[] = {0x00, 0x18};

inline constexpr code_set connack_set{connack_codes};
inline constexpr code_set puback_set{puback_codes};
inline constexpr code_set pubrel_set{pubrel_codes};
inline constexpr code_set suback_set{suback_codes};
inline constexpr code_set suback_set_v311{suback_codes_v311};
inline constexpr code_set unsuback_set{unsuback_codes};
inline constexpr code_set disconnect_set_client{disconnect_codes_client};
inline constexpr code_set disconnect_set_server{disconnect_codes_server};
inline constexpr code_set auth_set_any{auth_codes_any};
inline constexpr code_set auth_set_client{auth_codes_client};
inline constexpr code_set auth_set_server{auth_codes_server};

}  // namespace detail

// Whether `code` may appear in a packet of type `t` sent by `from` (sender::any: by either side).
// For 3.1.1 this covers the CONNACK return codes 0-5 and the SUBACK return codes 0, 1, 2, 0x80.
constexpr bool is_allowed_reason_code(packet_type t, std::uint8_t code, protocol_version v,
                                      sender from = sender::any) noexcept {
    using namespace detail;
    if (!is_v5(v)) {
        if (t == packet_type::connack) return code <= 0x05;
        if (t == packet_type::suback) return suback_set_v311.contains(code);
        return code == 0;
    }
    switch (t) {
        case packet_type::connack: return connack_set.contains(code);
        case packet_type::puback:
        case packet_type::pubrec: return puback_set.contains(code);
        case packet_type::pubrel:
        case packet_type::pubcomp: return pubrel_set.contains(code);
        case packet_type::suback: return suback_set.contains(code);
        case packet_type::unsuback: return unsuback_set.contains(code);
        case packet_type::disconnect:
            if (from == sender::client) return disconnect_set_client.contains(code);
            if (from == sender::server) return disconnect_set_server.contains(code);
            return disconnect_set_client.contains(code) ||
                   disconnect_set_server.contains(code);
        case packet_type::auth:
            if (from == sender::client) return auth_set_client.contains(code);
            if (from == sender::server) return auth_set_server.contains(code);
            return auth_set_any.contains(code);
        default: return code == 0;
    }
}

// The error reported when a packet of type `t` carries a reason code it may not.
constexpr errc invalid_reason_code_errc(packet_type t) noexcept {
    switch (t) {
        case packet_type::connack: return errc::connack_reason_code_invalid;
        case packet_type::puback: return errc::puback_reason_code_invalid;
        case packet_type::pubrec: return errc::pubrec_reason_code_invalid;
        case packet_type::pubrel: return errc::pubrel_reason_code_invalid;
        case packet_type::pubcomp: return errc::pubcomp_reason_code_invalid;
        case packet_type::suback: return errc::suback_reason_code_invalid;
        case packet_type::unsuback: return errc::unsuback_reason_code_invalid;
        case packet_type::disconnect: return errc::disconnect_reason_code_invalid;
        default: return errc::auth_reason_code_invalid;
    }
}

// The specification's name of a reason code, e.g. "Packet Identifier not found". The codes below
// 0x03 are named by packet ("Granted QoS 1" in SUBACK, "Normal disconnection" in DISCONNECT).
constexpr std::string_view reason_code_name(reason_code code, packet_type t = packet_type::puback) noexcept {
    switch (static_cast<std::uint8_t>(code)) {
        case 0x00:
            return t == packet_type::disconnect ? "Normal disconnection"
                   : t == packet_type::suback   ? "Granted QoS 0"
                                                : "Success";
        case 0x01: return "Granted QoS 1";
        case 0x02: return "Granted QoS 2";
        case 0x04: return "Disconnect with Will Message";
        case 0x10: return "No matching subscribers";
        case 0x11: return "No subscription existed";
        case 0x18: return "Continue authentication";
        case 0x19: return "Re-authenticate";
        case 0x80: return "Unspecified error";
        case 0x81: return "Malformed Packet";
        case 0x82: return "Protocol Error";
        case 0x83: return "Implementation specific error";
        case 0x84: return "Unsupported Protocol Version";
        case 0x85: return "Client Identifier not valid";
        case 0x86: return "Bad User Name or Password";
        case 0x87: return "Not authorized";
        case 0x88: return "Server unavailable";
        case 0x89: return "Server busy";
        case 0x8A: return "Banned";
        case 0x8B: return "Server shutting down";
        case 0x8C: return "Bad authentication method";
        case 0x8D: return "Keep Alive timeout";
        case 0x8E: return "Session taken over";
        case 0x8F: return "Topic Filter invalid";
        case 0x90: return "Topic Name invalid";
        case 0x91: return "Packet Identifier in use";
        case 0x92: return "Packet Identifier not found";
        case 0x93: return "Receive Maximum exceeded";
        case 0x94: return "Topic Alias invalid";
        case 0x95: return "Packet too large";
        case 0x96: return "Message rate too high";
        case 0x97: return "Quota exceeded";
        case 0x98: return "Administrative action";
        case 0x99: return "Payload format invalid";
        case 0x9A: return "Retain not supported";
        case 0x9B: return "QoS not supported";
        case 0x9C: return "Use another server";
        case 0x9D: return "Server moved";
        case 0x9E: return "Shared Subscriptions not supported";
        case 0x9F: return "Connection rate exceeded";
        case 0xA0: return "Maximum connect time";
        case 0xA1: return "Subscription Identifiers not supported";
        case 0xA2: return "Wildcard Subscriptions not supported";
        default: return "Unknown reason code";
    }
}

// The 3.1.1 name of a CONNACK return code.
constexpr std::string_view connect_return_code_name(connect_return_code code) noexcept {
    switch (code) {
        case connect_return_code::accepted: return "Connection accepted";
        case connect_return_code::unacceptable_protocol_version: return "Unacceptable protocol version";
        case connect_return_code::identifier_rejected: return "Identifier rejected";
        case connect_return_code::server_unavailable: return "Server unavailable";
        case connect_return_code::bad_user_name_or_password: return "Bad user name or password";
        case connect_return_code::not_authorized: return "Not authorized";
    }
    return "Reserved return code";
}

}  // namespace sansmqtt
