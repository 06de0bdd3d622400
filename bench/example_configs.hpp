// Three example Configs for client<Config>, from a small 3.1.1 sensor to a full 5.0 gateway.
//
// bench/client_bench.cpp prints sizeof(client<Config>) for each (the client's whole RAM cost);
// README.md and bench/README.md quote those figures. Derive your own the same way: start from
// default_config and override what you need (see include/sansmqtt/config.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/config.hpp"

namespace sansmqtt::examples {

// A small device on MQTT 3.1.1 publishing and receiving at QoS 0 and 1: 256-byte buffers, four
// messages in flight, no 5.0 features.
struct minimal_config : default_config {
    static constexpr std::size_t rx_buffer_size = 256;
    static constexpr std::size_t tx_buffer_size = 256;
    static constexpr std::size_t max_stored_messages = 4;
    static constexpr std::size_t session_store_bytes = 512;
    static constexpr std::uint16_t receive_maximum = 4;
    static constexpr std::size_t max_pending_requests = 2;
    static constexpr std::size_t topic_aliases_out = 0;
    static constexpr std::size_t topic_aliases_in = 0;
    static constexpr std::size_t topic_alias_length = 0;
    static constexpr std::size_t authentication_method_length = 0;
    static constexpr bool stream_large_messages = false;
    static constexpr bool enable_v3_1_1 = true;
    static constexpr bool enable_v5 = false;
};

// default_config itself: both versions, 2 KiB buffers, 16 stored messages in 8 KiB, 8 Topic
// Aliases each way, streaming, AUTH.
using default_example_config = default_config;

// A 5.0 gateway: 16 KiB buffers, 64 stored messages in 64 KiB, 32 Topic Aliases each way of up
// to 128 bytes, streaming of larger messages, enhanced authentication.
struct full_v5_config : default_config {
    static constexpr std::size_t rx_buffer_size = 16 * 1024;
    static constexpr std::size_t tx_buffer_size = 16 * 1024;
    static constexpr std::size_t max_stored_messages = 64;
    static constexpr std::size_t session_store_bytes = 64 * 1024;
    static constexpr std::uint16_t receive_maximum = 64;
    static constexpr std::size_t max_pending_requests = 16;
    static constexpr std::size_t topic_aliases_out = 32;
    static constexpr std::size_t topic_aliases_in = 32;
    static constexpr std::size_t topic_alias_length = 128;
    static constexpr std::size_t authentication_method_length = 64;
    static constexpr bool stream_large_messages = true;
    static constexpr bool enable_v3_1_1 = false;
    static constexpr bool enable_v5 = true;
};

}  // namespace sansmqtt::examples
