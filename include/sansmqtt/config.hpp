// sansmqtt: compile-time configuration of client<Config>.
//
// A Config is a type with the static constexpr members of default_config; derive from it and
// override what you need. Every capacity is fixed here, so sizeof(client<Config>) is the client's
// whole RAM cost. check_config<Config>() (run by client<Config>) rejects inconsistent values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/protocol.hpp"

namespace sansmqtt {

struct default_config {
    // Receive buffer: the largest packet taken whole. Larger PUBLISH packets arrive in pieces
    // when stream_large_messages is true and are refused otherwise (5.0 advertises this size as
    // the client's Maximum Packet Size).
    static constexpr std::size_t rx_buffer_size = 2048;
    // Transmit buffer: the largest packet the client sends.
    static constexpr std::size_t tx_buffer_size = 2048;
    // Our QoS 1 and 2 messages the built-in session store holds (waiting or in flight), and the
    // bytes it has for their packets.
    static constexpr std::size_t max_stored_messages = 16;
    static constexpr std::size_t session_store_bytes = 8192;
    // Incoming QoS 1 and 2 messages unacknowledged at once: the Receive Maximum sent in 5.0
    // CONNECT, the size of the QoS 2 table and of the manual-acknowledgement queue.
    static constexpr std::uint16_t receive_maximum = 16;
    // SUBSCRIBE and UNSUBSCRIBE requests waiting for their answer.
    static constexpr std::size_t max_pending_requests = 4;
    // Topic Aliases we send and accept (5.0), and the longest topic one alias holds. The 5.0-only
    // tables are 0 in a build without 5.0.
    static constexpr std::size_t topic_aliases_out = v5_compiled_in ? 8 : 0;
    static constexpr std::size_t topic_aliases_in = v5_compiled_in ? 8 : 0;
    static constexpr std::size_t topic_alias_length = 64;
    // Longest Authentication Method (5.0 enhanced authentication); 0 turns AUTH off.
    static constexpr std::size_t authentication_method_length = v5_compiled_in ? 32 : 0;
    // Advertised Maximum Packet Size (5.0); 0: the receive buffer, or the largest when streaming.
    static constexpr std::uint32_t maximum_packet_size = 0;
    static constexpr bool stream_large_messages = true;
    // false: the client takes a session_store& in its constructor (e.g. one kept in flash) and
    // has no RAM store of its own.
    static constexpr bool builtin_session_store = true;
    // The protocol versions connect() accepts (3.1.1 includes 3.1). Turning 5.0 off lets the
    // 5.0-only tables (Topic Aliases, AUTH) be 0 bytes. The code of a version leaves the program
    // only with the build option SANSMQTT_ENABLE_V5=0 or SANSMQTT_ENABLE_V3_1_1=0 (protocol.hpp):
    // the codec, which holds most of it, is shared by every client of the program.
    static constexpr bool enable_v3_1_1 = v3_1_1_compiled_in;
    static constexpr bool enable_v5 = v5_compiled_in;
};

template <class Config>
constexpr bool check_config() noexcept {
    static_assert(Config::enable_v3_1_1 || Config::enable_v5, "enable at least one protocol version");
    static_assert(!Config::enable_v5 || v5_compiled_in, "this build leaves MQTT 5.0 out (SANSMQTT_ENABLE_V5=0)");
    static_assert(!Config::enable_v3_1_1 || v3_1_1_compiled_in, "this build leaves MQTT 3.1.1 out (SANSMQTT_ENABLE_V3_1_1=0)");
    static_assert(Config::rx_buffer_size >= 16, "the receive buffer must hold at least a CONNACK with a few properties");
    static_assert(Config::tx_buffer_size >= 32, "the transmit buffer must hold at least a small CONNECT");
    static_assert(Config::receive_maximum >= 1, "Receive Maximum must be at least 1: 0 is a Protocol Error");
    static_assert(!Config::builtin_session_store || Config::max_stored_messages == 0 ||
                      Config::session_store_bytes >= 8,
                  "a session store that holds messages needs bytes for their packets");
    static_assert(Config::maximum_packet_size == 0 || Config::stream_large_messages ||
                      Config::maximum_packet_size <= Config::rx_buffer_size,
                  "without streaming, the advertised Maximum Packet Size cannot exceed the receive buffer");
    static_assert(Config::maximum_packet_size <= largest_packet_size, "larger than any MQTT packet");
    static_assert(Config::topic_aliases_in <= 65'535 && Config::topic_aliases_out <= 65'535, "Topic Alias is 16 bits");
    static_assert((Config::topic_aliases_in == 0 && Config::topic_aliases_out == 0) || Config::topic_alias_length >= 1,
                  "topic alias slots need room for a topic");
    static_assert(Config::enable_v5 || (Config::topic_aliases_in == 0 && Config::topic_aliases_out == 0 &&
                                        Config::authentication_method_length == 0),
                  "topic aliases and AUTH exist only in MQTT 5.0");
    return true;
}

}  // namespace sansmqtt
