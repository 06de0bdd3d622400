// sansmqtt: rules that need more than one packet, or that the specification leaves to the receiver.
//
// decode() checks everything a single packet's bytes can show. These checks need a second packet
// (an acknowledgement against its request) or are optional for the receiver (the payload of a
// PUBLISH that says it is UTF-8). The client layer applies them; they are here so that any other
// user of the codec can too.
#pragma once

#include <cstddef>

#include "sansmqtt/codec/packet.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/utf8.hpp"

namespace sansmqtt {

namespace detail {

// An error of these checks, carrying the version so that rule() cites that version's statement.
constexpr error check_error(errc code, protocol_version v) noexcept {
    error e = make_error(code, 0);
    e.version = v;
    return e;
}

}  // namespace detail

// A SUBACK answers a SUBSCRIBE: same Packet Identifier, one reason code per Topic Filter
// [MQTT-3.9.3-2] (3.1.1: [MQTT-3.8.4-5]). Offsets are 0: the rule concerns whole packets.
constexpr result<void> check_suback(const subscribe& request, const suback& response,
                                    protocol_version v) noexcept {
    if (request.packet_id != response.packet_id) return detail::check_error(errc::ack_packet_id_mismatch, v);
    if (request.subscriptions.size() != response.reason_codes.size()) {
        return detail::check_error(errc::suback_count_mismatch, v);
    }
    return {};
}

// An UNSUBACK answers an UNSUBSCRIBE: same Packet Identifier and, in 5.0, one reason code per
// Topic Filter [MQTT-3.11.3-2]. A 3.1.1 UNSUBACK has no reason codes.
constexpr result<void> check_unsuback(const unsubscribe& request, const unsuback& response,
                                      protocol_version v) noexcept {
    if (request.packet_id != response.packet_id) return detail::check_error(errc::ack_packet_id_mismatch, v);
    const std::size_t expected = is_v5(v) ? request.topic_filters.size() : 0;
    if (response.reason_codes.size() != expected) return detail::check_error(errc::unsuback_count_mismatch, v);
    return {};
}

// With Payload Format Indicator 1 the payload is UTF-8 text; a receiver MAY check it and answer
// 0x99 Payload format invalid (MQTT 5.0, 3.3.2.3.2). The offset is the payload's bad byte.
constexpr result<void> check_payload_format(const publish& p) noexcept {
    const auto indicator = p.properties.payload_format_indicator();
    if (!indicator || *indicator != 1) return {};
    if (auto ok = check_utf8(p.payload); !ok) return make_error(errc::payload_format_invalid, ok.error().offset);
    return {};
}

}  // namespace sansmqtt
