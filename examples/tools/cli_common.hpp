// What mqtt-pub and mqtt-sub share: the command line (mosquitto_pub / mosquitto_sub's flags),
// the MQTT 5.0 properties given with -D, the CONNECT options, opening TCP or TLS, and the -d
// packet trace.
//
// Examples only: this code uses the heap, stdio and the OS; the library never includes it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sansmqtt/sansmqtt.hpp>

#include "../transport/client_loop.hpp"
#include "../transport/stream.hpp"

namespace sansmqtt::examples::cli {

enum class tool { pub, sub };

// Where mqtt-pub's message comes from.
enum class payload_source {
    none,
    message,  // -m
    file,     // -f: the whole file
    lines,    // -l: each line of standard input
    null,     // -n: an empty message
    whole_stdin,  // -s: all of standard input as one message
};

// One -D command identifier value [value].
struct property_arg {
    std::string command;     // connect, publish, subscribe, unsubscribe, disconnect, will
    std::string identifier;  // mosquitto's names: message-expiry-interval, user-property, ...
    std::string value;
    std::string value2;      // user-property: the value (`value` is the name)
};

struct options {
    tool which = tool::pub;
    std::string host = "localhost";
    int port = 0;  // 0: 1883, or 8883 with TLS
    std::vector<std::string> topics;
    protocol_version version = protocol_version::v3_1_1;
    std::string client_id;  // empty: "mqtt-pub-<pid>" / "mqtt-sub-<pid>" (or id_prefix + pid)
    std::string id_prefix;  // -I
    std::optional<std::string> username;
    std::optional<std::string> password;
    int keepalive = 60;
    int qos = 0;
    bool clean_session = true;                  // -c turns it off
    std::optional<std::uint32_t> session_expiry;  // -x
    bool debug = false;
    bool quiet = false;

    // Will.
    std::string will_topic;
    std::string will_payload;
    int will_qos = 0;
    bool will_retain = false;
    bool will_payload_given = false;
    bool will_qos_given = false;

    // TLS.
    std::string cafile;
    std::string cert;
    std::string key;
    std::string tls_server_name;  // --tls-server-name (not in mosquitto): SNI and the name checked
    bool insecure = false;
    // --insecure alone does not turn TLS on (as with mosquitto_pub: it stays on plain TCP).
    bool tls() const { return !cafile.empty() || !cert.empty() || !key.empty(); }
    std::uint16_t effective_port() const {
        return static_cast<std::uint16_t>(port != 0 ? port : (tls() ? 8883 : 1883));
    }

    std::vector<property_arg> properties;

    // mqtt-pub.
    payload_source source = payload_source::none;
    std::string message;
    std::string file;
    bool retain = false;
    std::size_t max_inflight = 0;  // -M: at most this many QoS 1/2 messages in the session store (0: the store's size)

    // mqtt-sub.
    long count = 0;  // -C: exit after this many messages (0: never)
    bool verbose = false;        // -v: "topic payload"
    bool no_eol = false;         // -N
    bool no_retained = false;    // -R: skip messages with the retain flag
    bool exit_after_sub = false; // -E
    std::vector<std::string> filter_out;   // -T
    std::vector<std::string> unsubscribe;  // -U
    int timeout_s = 0;           // -W
};

enum class parse_status { ok, help, error };

// Parses argv into `out`. On error `error` holds the message (without "Error: ").
parse_status parse_command_line(tool which, int argc, char** argv, options& out, std::string& error);
void print_usage(tool which, std::FILE* to);
const char* tool_name(tool which);

// The Client Identifier to use: -i, or -I prefix + pid, or "mqtt-pub-<pid>" / "mqtt-sub-<pid>".
std::string client_identifier(const options& o);

// The -D properties, built into blocks per packet, plus the values the client takes as fields.
struct property_blocks {
    properties connect;
    properties will;
    properties publish;
    properties subscribe;
    properties unsubscribe;
    properties disconnect;
    std::optional<std::uint32_t> connect_session_expiry;  // -D connect session-expiry-interval

    std::vector<std::uint8_t> storage[6];  // the bytes the views above point into
};

// Builds the -D properties; false with `error` set when one is unknown, malformed, not allowed in
// its packet, or set by the client itself (Receive Maximum, Topic Alias, ...).
bool build_properties(const options& o, property_blocks& out, std::string& error);

// CONNECT for `o`. The views point into `o`, `client_id` and `props`, which must outlive it.
connect_options make_connect_options(const options& o, const std::string& client_id, const property_blocks& props);

// Whether this build has TLS (BearSSL).
bool tls_available();

// The stream under the client: TCP, or TLS over TCP when TLS options are given.
struct opened_stream {
    std::unique_ptr<stream> net;
    const stream* tls = nullptr;  // the TLS layer when there is one (net may wrap it for -d)
    // True while a TLS handshake has not finished: a failure then is a TLS failure.
    bool tls_handshake_pending() const;
};

// Connects. On failure `net` is null and `error` says why (without "Error: ").
opened_stream open_stream(const options& o, std::string& error);


// Wraps a stream and prints every packet sent and received to stderr, mosquitto's -d style:
//   Client mqtt-pub-42 sending PUBLISH (d0, q1, r0, m1, 'topic', ... (5 bytes))
std::unique_ptr<stream> make_debug_stream(std::unique_ptr<stream> inner, std::string client_id,
                                          protocol_version version);

// The event in words, for -d.
std::string describe_event(const event& e);

// "Connection refused: not authorised." for a CONNACK that refused the connection.
std::string connack_refusal_text(protocol_version v, reason_code code);

// Reads a whole file; false with `error` set.
bool read_file(const std::string& path, std::string& out, std::string& error);

// Prints "Error: <message>" (and for usage errors the --help hint) to stderr unless quiet.
void print_error(const options& o, const std::string& message);

// What both tools do between parsing and their loop: build the -D properties, connect (TCP or
// TLS, wrapped for -d), and queue CONNECT in a new client. On failure prints the error and
// returns false. The client is on the heap: with the tools' Configs it is large.
template <class Config>
struct session {
    property_blocks props;
    std::string client_id;
    opened_stream net;
    std::unique_ptr<client<Config>> mqtt;
};

template <class Config>
bool start_session(const options& o, session<Config>& s) {
    std::string error;
    if (!build_properties(o, s.props, error)) {
        print_error(o, error);
        return false;
    }
    s.client_id = client_identifier(o);
    const connect_options connect = make_connect_options(o, s.client_id, s.props);
    s.net = open_stream(o, error);
    if (!s.net.net) {
        print_error(o, error);
        return false;
    }
    if (o.debug) s.net.net = make_debug_stream(std::move(s.net.net), s.client_id, o.version);
    s.mqtt = std::make_unique<client<Config>>();
    (void)s.mqtt->transport_opened();
    s.mqtt->tick(examples::monotonic_ms());
    if (const auto ok = s.mqtt->connect(connect); !ok) {
        s.net.net->close();
        print_error(o, "cannot connect: " + std::string(ok.error().message()));
        return false;
    }
    return true;
}

}  // namespace sansmqtt::examples::cli
