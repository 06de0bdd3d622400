// sansmqtt: the control packet types and who may send each.
#pragma once

#include <cstdint>
#include <string_view>

#include "sansmqtt/protocol.hpp"

namespace sansmqtt {

// The value is the packet type in bits 7-4 of the fixed header.
enum class packet_type : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
    auth = 15,  // MQTT 5.0 only
};

constexpr std::string_view to_string(packet_type t) noexcept {
    switch (t) {
        case packet_type::connect: return "connect";
        case packet_type::connack: return "connack";
        case packet_type::publish: return "publish";
        case packet_type::puback: return "puback";
        case packet_type::pubrec: return "pubrec";
        case packet_type::pubrel: return "pubrel";
        case packet_type::pubcomp: return "pubcomp";
        case packet_type::subscribe: return "subscribe";
        case packet_type::suback: return "suback";
        case packet_type::unsubscribe: return "unsubscribe";
        case packet_type::unsuback: return "unsuback";
        case packet_type::pingreq: return "pingreq";
        case packet_type::pingresp: return "pingresp";
        case packet_type::disconnect: return "disconnect";
        case packet_type::auth: return "auth";
    }
    return "reserved";
}

// Whether a packet type exists in a protocol version (type 0 is reserved; AUTH is 5.0 only).
constexpr bool is_defined(std::uint8_t type, protocol_version v) noexcept {
    return type >= 1 && (type <= 14 || (type == 15 && is_v5(v)));
}

// Whether `from` may send a packet of this type ("Direction of flow", MQTT 5.0 Table 2-1,
// 3.1.1 Table 2.1). In 3.1.1 only the Client sends DISCONNECT.
constexpr bool may_send(packet_type t, sender from, protocol_version v) noexcept {
    if (from == sender::any) return true;
    const bool client = from == sender::client;
    switch (t) {
        case packet_type::connect:
        case packet_type::subscribe:
        case packet_type::unsubscribe:
        case packet_type::pingreq:
            return client;
        case packet_type::connack:
        case packet_type::suback:
        case packet_type::unsuback:
        case packet_type::pingresp:
            return !client;
        case packet_type::disconnect:
            return client || is_v5(v);
        case packet_type::publish:
        case packet_type::puback:
        case packet_type::pubrec:
        case packet_type::pubrel:
        case packet_type::pubcomp:
        case packet_type::auth:
            return true;
    }
    return false;
}

}  // namespace sansmqtt
