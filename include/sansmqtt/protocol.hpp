// sansmqtt: protocol versions, packet senders and the protocol's fixed limits.
#pragma once

#include <cstdint>

namespace sansmqtt {

// The protocol level byte of CONNECT. MQTT 3.1 ("MQIsdp", level 3) is decoded and encoded with the
// rules of 3.1.1; everything else about it is the same wire format.
enum class protocol_version : std::uint8_t {
    v3_1 = 3,
    v3_1_1 = 4,
    v5 = 5,
};

// Who sent a packet. Some rules hold in one direction only ("a Server MUST NOT send Session Expiry
// Interval in DISCONNECT"); they are applied when the caller names the sender. `any` applies only the
// rules that hold for both directions.
enum class sender : std::uint8_t {
    any,
    client,
    server,
};

constexpr bool is_v5(protocol_version v) noexcept { return v == protocol_version::v5; }

// Largest value of a Variable Byte Integer, and so of a Remaining Length (268,435,455).
inline constexpr std::uint32_t largest_variable_byte_integer = 268'435'455;

// Largest whole packet: one type byte, four length bytes and the largest Remaining Length.
inline constexpr std::uint32_t largest_packet_size = 1 + 4 + largest_variable_byte_integer;

// Largest UTF-8 string or binary data field (its length prefix is two bytes).
inline constexpr std::uint32_t largest_field_size = 65'535;

}  // namespace sansmqtt
