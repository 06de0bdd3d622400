// sansmqtt: result<T>, error codes and errors. No exceptions anywhere.
//
// Every error names the rule it enforces: `error::rule()` gives the statement id of the
// specification version in use ("MQTT-3.3.1-4"), or an empty string where the rule has no id;
// `error::reason_code()` gives the MQTT 5.0 reason code the error maps to (0x81 Malformed Packet,
// 0x82 Protocol Error, ...); `error::offset` is the byte offset in the packet (decode) or in the
// output (encode) where the problem was found.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sansmqtt/protocol.hpp"

namespace sansmqtt {

// What kind of failure an error is. A `protocol` error means the peer's bytes broke a rule: the
// connection must close (in 5.0 after a DISCONNECT with the error's reason code). A `local` error
// means the caller asked for something the protocol forbids: the call is refused and nothing changes.
// `resource`: a buffer or table is too small. `transport`: the byte stream failed.
enum class error_category : std::uint8_t {
    protocol,
    local,
    resource,
    transport,
};

enum class errc : std::uint8_t {
    // Framing and primitive fields.
    truncated,
    trailing_bytes,
    packet_type_invalid,
    packet_direction_invalid,
    packet_too_large,
    variable_byte_integer_too_long,
    variable_byte_integer_not_minimal,
    utf8_ill_formed,
    utf8_null_character,
    field_too_long,
    value_out_of_range,
    // Fixed header flags.
    reserved_flags_invalid,
    pubrel_flags_invalid,
    subscribe_flags_invalid,
    unsubscribe_flags_invalid,
    disconnect_flags_invalid,
    auth_flags_invalid,
    // Packet identifiers.
    packet_id_zero,
    packet_id_at_qos0,
    // MQTT 5.0 properties.
    property_length_missing,
    property_length_invalid,
    property_truncated,
    property_unknown,
    property_not_allowed,
    property_duplicate,
    property_type_mismatch,
    property_byte_invalid,
    receive_maximum_zero,
    maximum_packet_size_zero,
    subscription_identifier_zero,
    topic_alias_zero,
    authentication_data_without_method,
    authentication_method_missing,
    response_topic_wildcard,
    subscription_identifier_from_client,
    session_expiry_from_server,
    // CONNECT.
    protocol_name_invalid,
    protocol_version_unsupported,
    connect_reserved_flag,
    will_qos_without_will,
    will_retain_without_will,
    will_qos_invalid,
    will_missing,
    client_id_missing,
    username_missing,
    username_unexpected,
    password_missing,
    password_unexpected,
    password_without_username,
    // CONNACK.
    connack_flags_reserved,
    session_present_with_error,
    connack_reason_code_invalid,
    // PUBLISH and topics.
    publish_qos_invalid,
    publish_dup_at_qos0,
    topic_empty,
    topic_too_long,
    topic_name_wildcard,
    topic_filter_multi_level_wildcard,
    topic_filter_single_level_wildcard,
    share_name_empty,
    share_name_invalid,
    payload_format_invalid,
    // Acknowledgements and their reason codes.
    puback_reason_code_invalid,
    pubrec_reason_code_invalid,
    pubrel_reason_code_invalid,
    pubcomp_reason_code_invalid,
    suback_reason_code_invalid,
    unsuback_reason_code_invalid,
    disconnect_reason_code_invalid,
    auth_reason_code_invalid,
    suback_reason_codes_missing,
    unsuback_reason_codes_missing,
    suback_count_mismatch,
    unsuback_count_mismatch,
    ack_packet_id_mismatch,
    // SUBSCRIBE and UNSUBSCRIBE.
    subscribe_empty,
    subscription_options_reserved,
    subscription_qos_invalid,
    retain_handling_invalid,
    shared_subscription_no_local,
    unsubscribe_empty,
    // Local and resource errors.
    buffer_too_small,
    version_unsupported,
    version_compiled_out,
    // The client session (client/): the server's behaviour across packets.
    packet_unexpected,
    session_present_unexpected,
    topic_alias_invalid,
    topic_alias_unknown,
    receive_maximum_exceeded,
    incoming_packet_too_large,
    authentication_method_mismatch,
    packet_id_unknown,
    connack_timeout,
    ping_timeout,
    // The client session: commands refused (local) and full tables (resource).
    state_invalid,
    qos_not_supported,
    retain_not_supported,
    wildcard_subscription_not_supported,
    shared_subscription_not_supported,
    subscription_identifier_not_supported,
    authentication_not_started,
    packet_id_not_pending,
    send_quota_exhausted,
    session_store_full,
    request_table_full,
    tx_buffer_full,
    field_too_large_for_client,
    session_client_id_mismatch,
};

// The last enumerator: keep it in step when adding codes.
inline constexpr errc last_errc = errc::session_client_id_mismatch;

// The facts behind one error code.
struct errc_info {
    std::string_view name;       // the enumerator's name, e.g. "publish_qos_invalid"
    std::string_view rule_v5;    // statement id in MQTT 5.0, or empty
    std::string_view rule_v311;  // statement id in MQTT 3.1.1 (and 3.1), or empty
    std::uint8_t reason_code;    // the MQTT 5.0 reason code the error maps to
    std::string_view message;    // one sentence naming the rule
};

constexpr errc_info describe(errc code) noexcept {
    constexpr std::uint8_t malformed = 0x81;
    constexpr std::uint8_t protocol_error = 0x82;
    switch (code) {
        case errc::truncated:
            return {"truncated", "", "", malformed, "The packet ends before a field that must be present."};
        case errc::trailing_bytes:
            return {"trailing_bytes", "", "", malformed, "Bytes remain after the last field of the packet."};
        case errc::packet_type_invalid:
            return {"packet_type_invalid", "", "", malformed,
                    "The packet type is reserved (0, or 15 before MQTT 5.0)."};
        case errc::packet_direction_invalid:
            return {"packet_direction_invalid", "", "", protocol_error,
                    "This packet type is never sent by that side of the connection."};
        case errc::packet_too_large:
            return {"packet_too_large", "", "", 0x95, "The packet is larger than the maximum packet size."};
        case errc::variable_byte_integer_too_long:
            return {"variable_byte_integer_too_long", "", "", malformed,
                    "A Variable Byte Integer uses more than four bytes."};
        case errc::variable_byte_integer_not_minimal:
            return {"variable_byte_integer_not_minimal", "MQTT-1.5.5-1", "", malformed,
                    "A Variable Byte Integer must use the fewest bytes that can hold its value."};
        case errc::utf8_ill_formed:
            return {"utf8_ill_formed", "MQTT-1.5.4-1", "MQTT-1.5.3-1", malformed,
                    "A UTF-8 string must be well-formed and must not encode surrogates U+D800..U+DFFF."};
        case errc::utf8_null_character:
            return {"utf8_null_character", "MQTT-1.5.4-2", "MQTT-1.5.3-2", malformed,
                    "A UTF-8 string must not contain U+0000."};
        case errc::field_too_long:
            return {"field_too_long", "", "", malformed,
                    "A string or binary field is longer than 65,535 bytes, or a packet longer than 268,435,455."};
        case errc::value_out_of_range:
            return {"value_out_of_range", "", "", malformed,
                    "A value is outside the range its field can carry."};
        case errc::reserved_flags_invalid:
            return {"reserved_flags_invalid", "MQTT-2.1.3-1", "MQTT-2.2.2-1", malformed,
                    "Reserved fixed header flag bits must hold the value the specification lists."};
        case errc::pubrel_flags_invalid:
            return {"pubrel_flags_invalid", "MQTT-3.6.1-1", "MQTT-3.6.1-1", malformed,
                    "PUBREL fixed header flags must be 0010."};
        case errc::subscribe_flags_invalid:
            return {"subscribe_flags_invalid", "MQTT-3.8.1-1", "MQTT-3.8.1-1", malformed,
                    "SUBSCRIBE fixed header flags must be 0010."};
        case errc::unsubscribe_flags_invalid:
            return {"unsubscribe_flags_invalid", "MQTT-3.10.1-1", "MQTT-3.10.1-1", malformed,
                    "UNSUBSCRIBE fixed header flags must be 0010."};
        case errc::disconnect_flags_invalid:
            return {"disconnect_flags_invalid", "MQTT-3.14.1-1", "MQTT-3.14.1-1", malformed,
                    "DISCONNECT fixed header flags must be 0000."};
        case errc::auth_flags_invalid:
            return {"auth_flags_invalid", "MQTT-3.15.1-1", "", malformed, "AUTH fixed header flags must be 0000."};
        case errc::packet_id_zero:
            return {"packet_id_zero", "MQTT-2.2.1-3", "MQTT-2.3.1-1", protocol_error,
                    "SUBSCRIBE, UNSUBSCRIBE, QoS 1/2 PUBLISH and their acknowledgements need a non-zero Packet Identifier."};
        case errc::packet_id_at_qos0:
            return {"packet_id_at_qos0", "MQTT-2.2.1-2", "MQTT-2.3.1-5", malformed,
                    "A QoS 0 PUBLISH must not carry a Packet Identifier."};
        case errc::property_length_missing:
            return {"property_length_missing", "MQTT-2.2.2-1", "", malformed,
                    "A Property Length must be present even when there are no properties."};
        case errc::property_length_invalid:
            return {"property_length_invalid", "", "", malformed,
                    "The Property Length runs past the end of the packet."};
        case errc::property_truncated:
            return {"property_truncated", "", "", malformed,
                    "A property's value runs past the end of its property block."};
        case errc::property_unknown:
            return {"property_unknown", "", "", malformed, "The property identifier is not defined by MQTT 5.0."};
        case errc::property_not_allowed:
            return {"property_not_allowed", "", "", malformed, "The property is not allowed in this packet."};
        case errc::property_duplicate:
            return {"property_duplicate", "", "", protocol_error,
                    "The property may appear only once in this packet."};
        case errc::property_type_mismatch:
            return {"property_type_mismatch", "", "", malformed,
                    "The property's value is not of the property's data type."};
        case errc::property_byte_invalid:
            return {"property_byte_invalid", "", "", protocol_error,
                    "This Byte property must be 0 or 1."};
        case errc::receive_maximum_zero:
            return {"receive_maximum_zero", "", "", protocol_error, "Receive Maximum must not be 0."};
        case errc::maximum_packet_size_zero:
            return {"maximum_packet_size_zero", "", "", protocol_error, "Maximum Packet Size must not be 0."};
        case errc::subscription_identifier_zero:
            return {"subscription_identifier_zero", "", "", protocol_error,
                    "Subscription Identifier must be 1 to 268,435,455."};
        case errc::topic_alias_zero:
            return {"topic_alias_zero", "MQTT-3.3.2-8", "", 0x94, "A Topic Alias of 0 must not be sent."};
        case errc::authentication_data_without_method:
            return {"authentication_data_without_method", "", "", protocol_error,
                    "Authentication Data requires an Authentication Method."};
        case errc::authentication_method_missing:
            return {"authentication_method_missing", "MQTT-4.12.0-5", "", protocol_error,
                    "Every AUTH packet must carry the Authentication Method, so it is never empty."};
        case errc::response_topic_wildcard:
            return {"response_topic_wildcard", "MQTT-3.3.2-14", "", protocol_error,
                    "A Response Topic must not contain wildcard characters."};
        case errc::subscription_identifier_from_client:
            return {"subscription_identifier_from_client", "MQTT-3.3.4-6", "", protocol_error,
                    "A PUBLISH from Client to Server must not contain a Subscription Identifier."};
        case errc::session_expiry_from_server:
            return {"session_expiry_from_server", "MQTT-3.14.2-2", "", protocol_error,
                    "A DISCONNECT sent by the Server must not contain Session Expiry Interval."};
        case errc::protocol_name_invalid:
            return {"protocol_name_invalid", "MQTT-3.1.2-1", "MQTT-3.1.2-1", 0x84,
                    "The CONNECT Protocol Name must be \"MQTT\" (or \"MQIsdp\" for MQTT 3.1)."};
        case errc::protocol_version_unsupported:
            return {"protocol_version_unsupported", "MQTT-3.1.2-2", "MQTT-3.1.2-2", 0x84,
                    "The CONNECT Protocol Version is not 3, 4 or 5, or does not fit the Protocol Name."};
        case errc::connect_reserved_flag:
            return {"connect_reserved_flag", "MQTT-3.1.2-3", "MQTT-3.1.2-3", malformed,
                    "The reserved bit 0 of the CONNECT Connect Flags must be 0."};
        case errc::will_qos_without_will:
            return {"will_qos_without_will", "MQTT-3.1.2-11", "MQTT-3.1.2-13", malformed,
                    "With Will Flag 0 the Will QoS must be 0."};
        case errc::will_retain_without_will:
            return {"will_retain_without_will", "MQTT-3.1.2-13", "MQTT-3.1.2-15", malformed,
                    "With Will Flag 0 the Will Retain flag must be 0."};
        case errc::will_qos_invalid:
            return {"will_qos_invalid", "MQTT-3.1.2-12", "MQTT-3.1.2-14", malformed, "The Will QoS must not be 3."};
        case errc::will_missing:
            return {"will_missing", "MQTT-3.1.2-9", "MQTT-3.1.2-9", malformed,
                    "With Will Flag 1 the payload must contain the Will Topic and Will Payload."};
        case errc::client_id_missing:
            return {"client_id_missing", "MQTT-3.1.3-3", "MQTT-3.1.3-3", malformed,
                    "The Client Identifier must be present as the first field of the CONNECT payload."};
        case errc::username_missing:
            return {"username_missing", "MQTT-3.1.2-17", "MQTT-3.1.2-19", malformed,
                    "With User Name Flag 1 the payload must contain a User Name."};
        case errc::username_unexpected:
            return {"username_unexpected", "MQTT-3.1.2-16", "MQTT-3.1.2-18", malformed,
                    "With User Name Flag 0 the payload must not contain a User Name."};
        case errc::password_missing:
            return {"password_missing", "MQTT-3.1.2-19", "MQTT-3.1.2-21", malformed,
                    "With Password Flag 1 the payload must contain a Password."};
        case errc::password_unexpected:
            return {"password_unexpected", "MQTT-3.1.2-18", "MQTT-3.1.2-20", malformed,
                    "With Password Flag 0 the payload must not contain a Password."};
        case errc::password_without_username:
            return {"password_without_username", "", "MQTT-3.1.2-22", malformed,
                    "In MQTT 3.1.1 the Password Flag must be 0 when the User Name Flag is 0."};
        case errc::connack_flags_reserved:
            return {"connack_flags_reserved", "MQTT-3.2.2-1", "", malformed,
                    "Bits 7 to 1 of the CONNACK Acknowledge Flags are reserved and must be 0."};
        case errc::session_present_with_error:
            return {"session_present_with_error", "MQTT-3.2.2-6", "MQTT-3.2.2-4", protocol_error,
                    "A CONNACK with a non-zero reason code must have Session Present 0."};
        case errc::connack_reason_code_invalid:
            return {"connack_reason_code_invalid", "MQTT-3.2.2-8", "", protocol_error,
                    "The CONNACK reason code (3.1.1: return code) must be one of the defined values."};
        case errc::publish_qos_invalid:
            return {"publish_qos_invalid", "MQTT-3.3.1-4", "MQTT-3.3.1-4", malformed,
                    "A PUBLISH must not have both QoS bits set."};
        case errc::publish_dup_at_qos0:
            return {"publish_dup_at_qos0", "MQTT-3.3.1-2", "MQTT-3.3.1-2", malformed,
                    "A QoS 0 PUBLISH must have DUP 0."};
        case errc::topic_empty:
            return {"topic_empty", "MQTT-4.7.3-1", "MQTT-4.7.3-1", protocol_error,
                    "A Topic Name or Topic Filter must be at least one character long (5.0: an empty PUBLISH topic needs a Topic Alias)."};
        case errc::topic_too_long:
            return {"topic_too_long", "MQTT-4.7.3-3", "MQTT-4.7.3-3", malformed,
                    "A Topic Name or Topic Filter must not exceed 65,535 bytes."};
        case errc::topic_name_wildcard:
            return {"topic_name_wildcard", "MQTT-3.3.2-2", "MQTT-3.3.2-2", protocol_error,
                    "A Topic Name must not contain the wildcard characters + or #."};
        case errc::topic_filter_multi_level_wildcard:
            return {"topic_filter_multi_level_wildcard", "MQTT-4.7.1-1", "MQTT-4.7.1-2", protocol_error,
                    "The # wildcard must stand alone as the last level of a Topic Filter."};
        case errc::topic_filter_single_level_wildcard:
            return {"topic_filter_single_level_wildcard", "MQTT-4.7.1-2", "MQTT-4.7.1-3", protocol_error,
                    "The + wildcard must occupy a whole level of a Topic Filter."};
        case errc::share_name_empty:
            return {"share_name_empty", "MQTT-4.8.2-1", "", protocol_error,
                    "A Shared Subscription needs a ShareName of at least one character after $share/."};
        case errc::share_name_invalid:
            return {"share_name_invalid", "MQTT-4.8.2-2", "", protocol_error,
                    "A ShareName must not contain / + or # and must be followed by / and a Topic Filter."};
        case errc::payload_format_invalid:
            return {"payload_format_invalid", "", "", 0x99,
                    "The payload is not valid UTF-8 although its Payload Format Indicator is 1."};
        case errc::puback_reason_code_invalid:
            return {"puback_reason_code_invalid", "MQTT-3.4.2-1", "", protocol_error,
                    "The PUBACK reason code must be one of the PUBACK values."};
        case errc::pubrec_reason_code_invalid:
            return {"pubrec_reason_code_invalid", "MQTT-3.5.2-1", "", protocol_error,
                    "The PUBREC reason code must be one of the PUBREC values."};
        case errc::pubrel_reason_code_invalid:
            return {"pubrel_reason_code_invalid", "MQTT-3.6.2-1", "", protocol_error,
                    "The PUBREL reason code must be 0x00 or 0x92."};
        case errc::pubcomp_reason_code_invalid:
            return {"pubcomp_reason_code_invalid", "MQTT-3.7.2-1", "", protocol_error,
                    "The PUBCOMP reason code must be 0x00 or 0x92."};
        case errc::suback_reason_code_invalid:
            return {"suback_reason_code_invalid", "MQTT-3.9.3-2", "MQTT-3.9.3-2", protocol_error,
                    "Each SUBACK reason code (3.1.1: return code 0, 1, 2 or 0x80) must be a defined value."};
        case errc::unsuback_reason_code_invalid:
            return {"unsuback_reason_code_invalid", "MQTT-3.11.3-2", "", protocol_error,
                    "Each UNSUBACK reason code must be one of the UNSUBACK values."};
        case errc::disconnect_reason_code_invalid:
            return {"disconnect_reason_code_invalid", "MQTT-3.14.2-1", "", protocol_error,
                    "The DISCONNECT reason code must be one of the values its sender may use."};
        case errc::auth_reason_code_invalid:
            return {"auth_reason_code_invalid", "MQTT-3.15.2-1", "", protocol_error,
                    "The AUTH reason code must be one of the values its sender may use (0x00, 0x18, 0x19)."};
        case errc::suback_reason_codes_missing:
            return {"suback_reason_codes_missing", "MQTT-3.9.3-2", "MQTT-3.9.3-2", protocol_error,
                    "A SUBACK must carry one reason code per Topic Filter, so at least one."};
        case errc::unsuback_reason_codes_missing:
            return {"unsuback_reason_codes_missing", "MQTT-3.11.3-2", "", protocol_error,
                    "An UNSUBACK must carry one reason code per Topic Filter, so at least one."};
        case errc::suback_count_mismatch:
            return {"suback_count_mismatch", "MQTT-3.9.3-2", "MQTT-3.8.4-5", protocol_error,
                    "A SUBACK must carry exactly one reason code per Topic Filter of its SUBSCRIBE."};
        case errc::unsuback_count_mismatch:
            return {"unsuback_count_mismatch", "MQTT-3.11.3-2", "", protocol_error,
                    "An UNSUBACK must carry exactly one reason code per Topic Filter of its UNSUBSCRIBE."};
        case errc::ack_packet_id_mismatch:
            return {"ack_packet_id_mismatch", "MQTT-2.2.1-6", "MQTT-2.3.1-7", protocol_error,
                    "An acknowledgement must carry the Packet Identifier of the packet it answers."};
        case errc::subscribe_empty:
            return {"subscribe_empty", "MQTT-3.8.3-2", "MQTT-3.8.3-3", protocol_error,
                    "A SUBSCRIBE must contain at least one Topic Filter."};
        case errc::subscription_options_reserved:
            return {"subscription_options_reserved", "MQTT-3.8.3-5", "MQTT-3.8.3-4", malformed,
                    "Reserved bits of the Subscription Options (3.1.1: Requested QoS) byte must be 0."};
        case errc::subscription_qos_invalid:
            return {"subscription_qos_invalid", "", "MQTT-3.8.3-4", protocol_error,
                    "The requested maximum QoS of a subscription must not be 3."};
        case errc::retain_handling_invalid:
            return {"retain_handling_invalid", "", "", protocol_error, "Retain Handling must not be 3."};
        case errc::shared_subscription_no_local:
            return {"shared_subscription_no_local", "MQTT-3.8.3-4", "", protocol_error,
                    "No Local must not be set on a Shared Subscription."};
        case errc::unsubscribe_empty:
            return {"unsubscribe_empty", "MQTT-3.10.3-2", "MQTT-3.10.3-2", protocol_error,
                    "An UNSUBSCRIBE must contain at least one Topic Filter."};
        case errc::buffer_too_small:
            return {"buffer_too_small", "", "", 0x83, "The buffer is too small for the packet."};
        case errc::version_compiled_out:
            return {"version_compiled_out", "", "", 0x84,
                    "This build leaves that protocol version out (SANSMQTT_ENABLE_V3_1_1 or SANSMQTT_ENABLE_V5 is 0)."};
        case errc::version_unsupported:
            return {"version_unsupported", "", "", 0x84,
                    "That packet or field does not exist in this protocol version."};
        case errc::packet_unexpected:
            return {"packet_unexpected", "MQTT-3.2.0-1", "MQTT-3.2.0-1", protocol_error,
                    "The server sent a packet the session does not allow now (before CONNACK: only CONNACK or AUTH)."};
        case errc::session_present_unexpected:
            return {"session_present_unexpected", "MQTT-3.2.2-4", "MQTT-3.2.2-1", protocol_error,
                    "Session Present is 1 although the client started a clean session."};
        case errc::topic_alias_invalid:
            return {"topic_alias_invalid", "MQTT-3.3.2-11", "", 0x94,
                    "A Topic Alias must not exceed the Topic Alias Maximum the client sent in CONNECT."};
        case errc::topic_alias_unknown:
            return {"topic_alias_unknown", "", "", protocol_error,
                    "A PUBLISH with an empty Topic Name must use a Topic Alias that is already mapped."};
        case errc::receive_maximum_exceeded:
            return {"receive_maximum_exceeded", "MQTT-3.3.4-9", "", 0x93,
                    "The server sent more unacknowledged QoS 1 and 2 PUBLISH packets than the client's Receive Maximum."};
        case errc::incoming_packet_too_large:
            return {"incoming_packet_too_large", "MQTT-3.1.2-24", "", 0x95,
                    "The server sent a packet larger than the client can take (its Maximum Packet Size or receive buffer)."};
        case errc::authentication_method_mismatch:
            return {"authentication_method_mismatch", "MQTT-4.12.0-5", "", protocol_error,
                    "AUTH and a successful CONNACK must carry the Authentication Method of the CONNECT."};
        case errc::packet_id_unknown:
            return {"packet_id_unknown", "", "", protocol_error,
                    "The acknowledgement answers no request the client has outstanding."};
        case errc::connack_timeout:
            return {"connack_timeout", "", "", 0x88, "No CONNACK arrived in time after CONNECT."};
        case errc::ping_timeout:
            return {"ping_timeout", "", "", 0x8D, "No PINGRESP arrived in time after PINGREQ."};
        case errc::state_invalid:
            return {"state_invalid", "", "", 0x83, "The command is not allowed in the client's current state."};
        case errc::qos_not_supported:
            return {"qos_not_supported", "MQTT-3.2.2-11", "", 0x9B,
                    "The QoS is above the Maximum QoS the server sent in CONNACK."};
        case errc::retain_not_supported:
            return {"retain_not_supported", "MQTT-3.2.2-14", "", 0x9A,
                    "The server said Retain Available = 0, so RETAIN must not be set."};
        case errc::wildcard_subscription_not_supported:
            return {"wildcard_subscription_not_supported", "", "", 0xA2,
                    "The server said Wildcard Subscription Available = 0."};
        case errc::shared_subscription_not_supported:
            return {"shared_subscription_not_supported", "", "", 0x9E,
                    "The server said Shared Subscription Available = 0."};
        case errc::subscription_identifier_not_supported:
            return {"subscription_identifier_not_supported", "", "", 0xA1,
                    "The server said Subscription Identifier Available = 0."};
        case errc::authentication_not_started:
            return {"authentication_not_started", "MQTT-4.12.0-7", "", protocol_error,
                    "AUTH is only for a session whose CONNECT carried an Authentication Method."};
        case errc::packet_id_not_pending:
            return {"packet_id_not_pending", "", "", 0x92, "No received message with that Packet Identifier awaits an acknowledgement."};
        case errc::send_quota_exhausted:
            return {"send_quota_exhausted", "MQTT-3.3.4-7", "", 0x93,
                    "The server's Receive Maximum of unacknowledged QoS 1 and 2 messages is reached."};
        case errc::session_store_full:
            return {"session_store_full", "", "", 0x97, "The session store has no room for another QoS 1 or 2 message."};
        case errc::request_table_full:
            return {"request_table_full", "", "", 0x97,
                    "Too many SUBSCRIBE, UNSUBSCRIBE or unacknowledged messages are outstanding for the client's tables."};
        case errc::tx_buffer_full:
            return {"tx_buffer_full", "", "", 0x97,
                    "The transmit buffer has no room for the packet now; send what it holds (tx_data) and retry."};
        case errc::session_client_id_mismatch:
            return {"session_client_id_mismatch", "MQTT-3.1.3-2", "MQTT-3.1.3-2", 0x85,
                    "The session store holds another Client Identifier's session: resume it with that identifier, or start clean."};
        case errc::field_too_large_for_client:
            return {"field_too_large_for_client", "", "", 0x83,
                    "A value is longer than the client's configured capacity for it."};
    }
    return {"unknown", "", "", malformed, "Unknown error."};
}

namespace detail {

// describe(code).reason_code for every code, computed at compile time, so that code that only
// needs an error's reason code (the client, for its DISCONNECT) does not link the name and message
// strings of every error.
inline constexpr std::size_t errc_count = static_cast<std::size_t>(last_errc) + 1;

struct errc_reason_code_table {
    std::uint8_t codes[errc_count];
};

constexpr errc_reason_code_table make_errc_reason_codes() noexcept {
    errc_reason_code_table t{};
    for (std::size_t i = 0; i < errc_count; ++i) t.codes[i] = describe(static_cast<errc>(i)).reason_code;
    return t;
}

inline constexpr errc_reason_code_table errc_reason_codes = make_errc_reason_codes();

}  // namespace detail

struct error {
    errc code{};
    error_category category = error_category::protocol;
    protocol_version version = protocol_version::v5;
    std::uint32_t offset = 0;

    // The statement id of the rule in the error's protocol version, or "" when the rule has none.
    constexpr std::string_view rule() const noexcept {
        const errc_info info = describe(code);
        return version == protocol_version::v5 ? info.rule_v5 : info.rule_v311;
    }
    constexpr std::uint8_t reason_code() const noexcept {
        const auto i = static_cast<std::size_t>(code);
        return i < detail::errc_count ? detail::errc_reason_codes.codes[i] : std::uint8_t{0x81};  // unknown: malformed
    }
    constexpr std::string_view message() const noexcept { return describe(code).message; }
    constexpr std::string_view name() const noexcept { return describe(code).name; }

    friend constexpr bool operator==(const error& a, const error& b) noexcept {
        return a.code == b.code && a.category == b.category && a.version == b.version && a.offset == b.offset;
    }
    friend constexpr bool operator!=(const error& a, const error& b) noexcept { return !(a == b); }
};

constexpr error make_error(errc code, std::size_t offset,
                           error_category category = error_category::protocol) noexcept {
    return error{code, category, protocol_version::v5, static_cast<std::uint32_t>(offset)};
}

// A value or an error, in one place: the error path builds no T and the value path no error. T
// is a trivially copyable, trivially destructible value type (every codec type is: fields are
// views), which keeps result<T> trivially copyable and usable in constant expressions. The value
// of a result that holds an error is never read (asserted).
template <class T>
class [[nodiscard]] result {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                  "result<T> holds views and plain values only");

public:
    // GCC 12 at -O2/-O3 reports the copy of a std::variant (packet) whose active alternative is
    // smaller than the variant as "may be used uninitialized": a trivially copyable variant is
    // copied whole, bytes its alternative never set included. Those bytes are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    constexpr result(const T& value) noexcept : value_(value), has_value_(true) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    constexpr result(const sansmqtt::error& e) noexcept : error_(e), has_value_(false) {}
    // Builds the value in place (a packet from one packet type's struct, without a copy between).
    template <class... Args>
    constexpr explicit result(std::in_place_t, Args&&... args) noexcept
        : value_(std::forward<Args>(args)...), has_value_(true) {}

    constexpr bool has_value() const noexcept { return has_value_; }
    constexpr explicit operator bool() const noexcept { return has_value_; }

    // Names the protocol version in the error, if there is one.
    constexpr void set_error_version(protocol_version v) noexcept {
        if (!has_value_) error_.version = v;
    }

    constexpr const T& value() const& noexcept {
        assert(has_value_);
        return value_;
    }
    constexpr T& value() & noexcept {
        assert(has_value_);
        return value_;
    }
    constexpr const T& operator*() const& noexcept { return value(); }
    constexpr T& operator*() & noexcept { return value(); }
    constexpr const T* operator->() const noexcept { return &value(); }
    constexpr T* operator->() noexcept { return &value(); }

    // The error; a default error (errc 0) when the result holds a value.
    constexpr sansmqtt::error error() const noexcept { return has_value_ ? sansmqtt::error{} : error_; }

private:
    union {
        T value_;
        sansmqtt::error error_;
    };
    bool has_value_;
};

template <>
class [[nodiscard]] result<void> {
public:
    constexpr result() noexcept = default;
    constexpr result(const sansmqtt::error& e) noexcept : error_(e), has_value_(false) {}

    constexpr bool has_value() const noexcept { return has_value_; }
    constexpr explicit operator bool() const noexcept { return has_value_; }
    constexpr const sansmqtt::error& error() const noexcept { return error_; }

private:
    sansmqtt::error error_{};
    bool has_value_ = true;
};

}  // namespace sansmqtt
