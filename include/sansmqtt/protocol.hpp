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

// Build options: define SANSMQTT_ENABLE_V5=0 or SANSMQTT_ENABLE_V3_1_1=0 (for every translation
// unit, e.g. -DSANSMQTT_ENABLE_V5=0) to leave that version's code out of the program: is_v5()
// becomes a constant, so the compiler drops every branch of the other version in the codec and the
// client, and the codec refuses the version with errc::version_compiled_out. Per client, a Config
// can further refuse a version that the build keeps (config.hpp).
#ifndef SANSMQTT_ENABLE_V3_1_1
#define SANSMQTT_ENABLE_V3_1_1 1
#endif
#ifndef SANSMQTT_ENABLE_V5
#define SANSMQTT_ENABLE_V5 1
#endif
#if !SANSMQTT_ENABLE_V3_1_1 && !SANSMQTT_ENABLE_V5
#error "sansmqtt: SANSMQTT_ENABLE_V3_1_1 and SANSMQTT_ENABLE_V5 are both 0; keep at least one protocol version"
#endif

inline constexpr bool v3_1_1_compiled_in = SANSMQTT_ENABLE_V3_1_1 != 0;  // 3.1.1 and 3.1
inline constexpr bool v5_compiled_in = SANSMQTT_ENABLE_V5 != 0;

constexpr bool is_v5(protocol_version v) noexcept {
    if constexpr (!v5_compiled_in) {
        return false;
    } else if constexpr (!v3_1_1_compiled_in) {
        return true;
    } else {
        return v == protocol_version::v5;
    }
}

// Whether this build keeps the code of `v` (3.1 goes with 3.1.1).
constexpr bool is_compiled_in(protocol_version v) noexcept {
    return v == protocol_version::v5 ? v5_compiled_in : v3_1_1_compiled_in;
}

// Largest value of a Variable Byte Integer, and so of a Remaining Length (268,435,455).
inline constexpr std::uint32_t largest_variable_byte_integer = 268'435'455;

// Largest whole packet: one type byte, four length bytes and the largest Remaining Length.
inline constexpr std::uint32_t largest_packet_size = 1 + 4 + largest_variable_byte_integer;

// Largest UTF-8 string or binary data field (its length prefix is two bytes).
inline constexpr std::uint32_t largest_field_size = 65'535;

}  // namespace sansmqtt
