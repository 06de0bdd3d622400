// Client test support: driving a client against a scripted server.
//
// A test is a script: a function of a `driver` that gives commands, feeds server bytes and checks
// what the client sent and which events it emitted. run_script() runs the script once with every
// server chunk fed whole, then again with every chunk split at each position 1..n-1, and once
// byte by byte; the script's checks must hold in every run. Events are recorded as text lines
// ("message t=a/b q=1 id=7 p=hi"), so the checks read like the transcript.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sansmqtt/sansmqtt.hpp"
#include "support.hpp"

namespace test {

// Small capacities, so tests reach the limits quickly.
struct test_config : default_config {
    static constexpr std::size_t rx_buffer_size = 256;
    static constexpr std::size_t tx_buffer_size = 512;
    static constexpr std::size_t max_stored_messages = 8;
    static constexpr std::size_t session_store_bytes = 1024;
    static constexpr std::uint16_t receive_maximum = 4;
    static constexpr std::size_t max_pending_requests = 4;
    static constexpr std::size_t topic_aliases_out = v5_compiled_in ? 2 : 0;
    static constexpr std::size_t topic_aliases_in = v5_compiled_in ? 3 : 0;
    static constexpr std::size_t topic_alias_length = 32;
    static constexpr std::size_t authentication_method_length = v5_compiled_in ? 16 : 0;
};

// One line of text per event. Payload and data are shown as text when printable, else as hex.
std::string describe(const event& e);

// How server bytes are fed: whole, split once at `split` (if inside the chunk), or byte by byte.
struct feed_mode {
    std::size_t split = 0;  // 0: whole
    bool byte_by_byte = false;
};

class driver {
public:
    using client_type = client<test_config>;

    explicit driver(feed_mode mode, client_core* external = nullptr);

    client_core& c() { return *client_; }

    // Opens the transport and, unless `options` is null, connects; the CONNECT is taken from tx.
    void open();
    // Feeds server bytes (hex), polling events between pieces; events go to events().
    void server(std::string_view hex_bytes);
    void server(const bytes& b);
    // Polls until no event is left; returns how many were recorded.
    std::size_t poll();
    // Everything the client queued since the last call, as spaced hex ("30 05 ..."); consumes it.
    std::string sent();
    // Recorded event lines since the last call; clears them.
    std::vector<std::string> events();
    // The last event line (empty if none) and clears the list.
    std::string event_line();
    void tick(std::uint64_t now_ms) {
        now_ = now_ms;
        client_->tick(now_ms);
    }
    std::uint64_t now() const { return now_; }

    // Streamed payload data, joined: message_begin ... message_end appear as one event line
    // "message t=.. q=.. id=.. p=<all chunks>" with a "streamed" marker.
    feed_mode mode() const { return mode_; }

private:
    void record(const event& e);

    feed_mode mode_;
    std::unique_ptr<client_type> own_;
    client_core* client_;
    std::vector<std::string> events_;
    std::string sent_;  // bytes taken from tx while polling, as hex
    std::string stream_head_;
    bytes stream_data_;
    std::uint64_t now_ = 0;
};

// Event lines, printable in doctest's messages: CHECK(events(d) == lines{"connected sp=0 ka=30"}).
struct lines : std::vector<std::string> {
    using std::vector<std::string>::vector;
    lines(std::vector<std::string> v) : std::vector<std::string>(std::move(v)) {}
};
std::ostream& operator<<(std::ostream& os, const lines& l);
inline lines events(driver& d) { return lines(d.events()); }

// Opens the transport, sends CONNECT (checked against `connect_bytes`, spaced hex), feeds the
// server's `connack` (hex) and returns the events that followed.
lines connect_with(driver& d, const connect_options& o, std::string_view connect_bytes, std::string_view connack);

// An application message to publish.
publish message(std::string_view payload, qos q, std::string_view topic = "a/b");

// Runs `script` whole, split at every position up to the longest server chunk, and byte by byte.
void run_script(const std::function<void(driver&)>& script, std::size_t max_split = 64);

// Hex of a CONNACK with optional properties (5.0) or a 3.1.1 one.
std::string connack_v5(bool session_present = false, std::uint8_t code = 0, std::string_view props_hex = "");
inline constexpr std::string_view connack_v311_ok = "20 02 00 00";

}  // namespace test
