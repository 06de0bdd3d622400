// What mqtt-pub and mqtt-sub share; see cli_common.hpp.
#include "cli_common.hpp"

#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <string_view>
#include <utility>
#include <variant>

#include "../transport/posix/tcp_stream.hpp"
// tls_transport_dep (examples/transport/meson.build) defines SANSMQTT_EXAMPLES_TLS=1 when BearSSL,
// and so tls_stream, is available.
#if defined(SANSMQTT_EXAMPLES_TLS) && SANSMQTT_EXAMPLES_TLS
#define SANSMQTT_TOOLS_TLS 1
#else
#define SANSMQTT_TOOLS_TLS 0
#endif
#if SANSMQTT_TOOLS_TLS
#include "../transport/bearssl/tls_stream.hpp"
#endif

namespace sansmqtt::examples::cli {

namespace {

// ---- usage ---------------------------------------------------------------------------------

constexpr const char* pub_usage =
    "mqtt-pub: publish one message, a file or each line of standard input, over TCP or TLS.\n"
    "sansmqtt's counterpart of mosquitto_pub (same flags where they exist).\n"
    "\n"
    "Usage: mqtt-pub [-h host] [-p port] [-u username [-P password]] -t topic\n"
    "                {-m message | -f file | -l | -s | -n}\n"
    "                [-q qos] [-r] [-c] [-x session-expiry] [-k keepalive] [-i id | -I id-prefix]\n"
    "                [-V 31|311|5] [-M max-inflight] [-d] [--quiet]\n"
    "                [--will-topic topic [--will-payload payload] [--will-qos qos] [--will-retain]]\n"
    "                [--cafile file [--cert file --key file] [--insecure] [--tls-server-name name]]\n"
    "                [-D command identifier value]...\n"
    "       mqtt-pub --help\n"
    "\n"
    " -h : host to connect to. Defaults to localhost.\n"
    " -p : port. Defaults to 1883, or 8883 when TLS options are given.\n"
    " -t : topic to publish to.\n"
    " -m : the message.\n"
    " -f : send the contents of a file as the message (up to 256 KiB).\n"
    " -l : read standard input and send each line as a message; exits once every message\n"
    "      was sent (QoS 0) or acknowledged (QoS 1 and 2), or fails saying how many were not.\n"
    " -s : send all of standard input as one message.\n"
    " -n : send a null (zero length) message.\n"
    " -q : quality of service: 0, 1 or 2. Defaults to 0.\n"
    " -r : the message is retained.\n"
    " -c : disable clean session (resume the session of this client id).\n"
    " -x : session expiry interval in seconds (MQTT 5.0); -1 for never. Defaults to -1 with -c, else 0.\n"
    " -k : keep alive in seconds (0 turns it off). Defaults to 60.\n"
    " -i : client id. Defaults to mqtt-pub-<pid>.\n"
    " -I : client id prefix: the id is the prefix followed by the process id.\n"
    " -u : username.  -P : password.\n"
    " -V : MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5). Defaults to 311.\n"
    " -M : the most QoS 1 and 2 messages kept unacknowledged at once (default: 256).\n"
    " -d : print the packets sent and received, and the client's events, to standard error.\n"
    " -D : an MQTT 5.0 property: -D command identifier value, where command is connect,\n"
    "      publish, disconnect or will, and identifier is mosquitto's name (message-expiry-interval,\n"
    "      content-type, response-topic, correlation-data, payload-format-indicator,\n"
    "      user-property name value, session-expiry-interval, will-delay-interval,\n"
    "      request-problem-information, request-response-information, reason-string).\n"
    " --will-topic, --will-payload, --will-qos, --will-retain : the client's Will.\n"
    " --cafile : PEM file of the certificate authorities to trust; enables TLS.\n"
    " --cert, --key : our certificate chain and private key (PEM) for mutual TLS.\n"
    " --insecure : do not check that the server certificate's name matches the host (it is still\n"
    "              checked against --cafile). Without --cafile it is ignored: no TLS.\n"
    " --tls-server-name : the name sent in SNI and checked in the certificate (default: the host).\n"
    " --quiet : print no error messages.\n";

constexpr const char* sub_usage =
    "mqtt-sub: subscribe to topics and print the messages received, over TCP or TLS.\n"
    "sansmqtt's counterpart of mosquitto_sub (same flags where they exist).\n"
    "\n"
    "Usage: mqtt-sub [-h host] [-p port] [-u username [-P password]] -t topic ...\n"
    "                [-q qos] [-c] [-x session-expiry] [-k keepalive] [-i id | -I id-prefix]\n"
    "                [-V 31|311|5] [-C count] [-W timeout] [-v] [-N] [-R] [-E] [-T filter-out]...\n"
    "                [-U unsubscribe]... [-d] [--quiet]\n"
    "                [--will-topic topic [--will-payload payload] [--will-qos qos] [--will-retain]]\n"
    "                [--cafile file [--cert file --key file] [--insecure] [--tls-server-name name]]\n"
    "                [-D command identifier value]...\n"
    "       mqtt-sub --help\n"
    "\n"
    " -h : host to connect to. Defaults to localhost.\n"
    " -p : port. Defaults to 1883, or 8883 when TLS options are given.\n"
    " -t : topic filter to subscribe to; repeat for more.\n"
    " -q : the maximum QoS to subscribe with: 0, 1 or 2. Defaults to 0.\n"
    " -C : disconnect and exit after receiving this many messages.\n"
    " -W : exit (status 27, \"Timed out\") after this many seconds.\n"
    " -v : print \"topic payload\" (an empty payload prints as \"(null)\").\n"
    " -N : do not print a newline after the payload.\n"
    " -R : do not print stale messages (those with the retain flag).\n"
    " -E : exit once the subscriptions are acknowledged.\n"
    " -T : a topic filter whose messages are not printed; repeat for more.\n"
    " -U : a topic filter to unsubscribe from; repeat for more.\n"
    " -c : disable clean session (resume the session of this client id).\n"
    " -x : session expiry interval in seconds (MQTT 5.0); -1 for never. Defaults to -1 with -c, else 0.\n"
    " -k : keep alive in seconds (0 turns it off). Defaults to 60.\n"
    " -i : client id. Defaults to mqtt-sub-<pid>.\n"
    " -I : client id prefix: the id is the prefix followed by the process id.\n"
    " -u : username.  -P : password.\n"
    " -V : MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5). Defaults to 311.\n"
    " -d : print the packets sent and received, and the client's events, to standard error.\n"
    " -D : an MQTT 5.0 property: -D command identifier value, where command is connect,\n"
    "      subscribe, unsubscribe, disconnect or will (e.g. -D subscribe subscription-identifier 7,\n"
    "      -D connect user-property name value, -D connect session-expiry-interval 60).\n"
    " --will-topic, --will-payload, --will-qos, --will-retain : the client's Will.\n"
    " --cafile : PEM file of the certificate authorities to trust; enables TLS.\n"
    " --cert, --key : our certificate chain and private key (PEM) for mutual TLS.\n"
    " --insecure : do not check that the server certificate's name matches the host (it is still\n"
    "              checked against --cafile). Without --cafile it is ignored: no TLS.\n"
    " --tls-server-name : the name sent in SNI and checked in the certificate (default: the host).\n"
    " --quiet : print no error messages.\n";

// ---- numbers -------------------------------------------------------------------------------

bool parse_unsigned(std::string_view text, std::uint64_t max, std::uint64_t& out) {
    if (text.empty() || text.size() > 20) return false;
    std::uint64_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (v > (max - digit) / 10) return false;
        v = v * 10 + digit;
    }
    out = v;
    return true;
}

bool parse_int(std::string_view text, int min, int max, int& out) {
    bool negative = false;
    if (!text.empty() && text[0] == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    std::uint64_t v = 0;
    if (!parse_unsigned(text, 1'000'000'000, v)) return false;
    const long long signed_v = negative ? -static_cast<long long>(v) : static_cast<long long>(v);
    if (signed_v < min || signed_v > max) return false;
    out = static_cast<int>(signed_v);
    return true;
}

// -x: seconds, or -1 / 4294967295 / "∞" for a session that does not expire.
bool parse_session_expiry(std::string_view text, std::uint32_t& out) {
    if (text == "-1" || text == "\u221e") {
        out = 0xFFFF'FFFFu;
        return true;
    }
    std::uint64_t v = 0;
    if (!parse_unsigned(text, 0xFFFF'FFFFu, v)) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
}

// ---- -D properties -------------------------------------------------------------------------

struct property_name {
    std::string_view name;
    property_id id;
};

constexpr property_name property_names[] = {
    {"payload-format-indicator", property_id::payload_format_indicator},
    {"message-expiry-interval", property_id::message_expiry_interval},
    {"content-type", property_id::content_type},
    {"response-topic", property_id::response_topic},
    {"correlation-data", property_id::correlation_data},
    {"subscription-identifier", property_id::subscription_identifier},
    {"session-expiry-interval", property_id::session_expiry_interval},
    {"assigned-client-identifier", property_id::assigned_client_identifier},
    {"server-keep-alive", property_id::server_keep_alive},
    {"authentication-method", property_id::authentication_method},
    {"authentication-data", property_id::authentication_data},
    {"request-problem-information", property_id::request_problem_information},
    {"will-delay-interval", property_id::will_delay_interval},
    {"request-response-information", property_id::request_response_information},
    {"response-information", property_id::response_information},
    {"server-reference", property_id::server_reference},
    {"reason-string", property_id::reason_string},
    {"receive-maximum", property_id::receive_maximum},
    {"topic-alias-maximum", property_id::topic_alias_maximum},
    {"topic-alias", property_id::topic_alias},
    {"maximum-qos", property_id::maximum_qos},
    {"retain-available", property_id::retain_available},
    {"user-property", property_id::user_property},
    {"maximum-packet-size", property_id::maximum_packet_size},
    {"wildcard-subscription-available", property_id::wildcard_subscription_available},
    {"subscription-identifier-available", property_id::subscription_identifier_available},
    {"shared-subscription-available", property_id::shared_subscription_available},
};

// The commands each tool takes, their block index in property_blocks::storage, and context.
struct property_command {
    std::string_view name;
    std::size_t block;
    property_context context;
    bool pub;
    bool sub;
};

constexpr property_command property_commands[] = {
    {"connect", 0, property_context::connect, true, true},
    {"will", 1, property_context::will, true, true},
    {"publish", 2, property_context::publish, true, false},
    {"subscribe", 3, property_context::subscribe, false, true},
    {"unsubscribe", 4, property_context::unsubscribe, false, true},
    {"disconnect", 5, property_context::disconnect, true, true},
};

// Properties the client sets itself from its Config or its own state: -D may not set them.
bool set_by_client(property_context where, property_id id) {
    if (where == property_context::connect) {
        return id == property_id::receive_maximum || id == property_id::maximum_packet_size ||
               id == property_id::topic_alias_maximum || id == property_id::authentication_method ||
               id == property_id::authentication_data;
    }
    if (where == property_context::publish) return id == property_id::topic_alias;
    return false;
}

// Appends one property to `b`; false with `error` when the value does not fit its type.
bool add_property(property_builder& b, property_id id, const property_arg& a, std::string& error) {
    std::uint64_t v = 0;
    switch (type_of(id)) {
        case property_type::byte:
            if (!parse_unsigned(a.value, 0xFF, v)) break;
            b.add_integer(id, static_cast<std::uint32_t>(v));
            return true;
        case property_type::two_byte_integer:
            if (!parse_unsigned(a.value, 0xFFFF, v)) break;
            b.add_integer(id, static_cast<std::uint32_t>(v));
            return true;
        case property_type::four_byte_integer:
            if (!parse_unsigned(a.value, 0xFFFF'FFFFu, v)) break;
            b.add_integer(id, static_cast<std::uint32_t>(v));
            return true;
        case property_type::variable_byte_integer:
            if (!parse_unsigned(a.value, largest_variable_byte_integer, v)) break;
            b.add_integer(id, static_cast<std::uint32_t>(v));
            return true;
        case property_type::utf8_string: b.add_string(id, text_view(a.value)); return true;
        case property_type::binary_data: b.add_binary(id, bytes_view(a.value)); return true;
        case property_type::utf8_string_pair:
            b.add_user_property(text_view(a.value), text_view(a.value2));
            return true;
    }
    error = "invalid value '" + a.value + "' for property " + a.identifier + ".";
    return false;
}

// ---- the -d trace --------------------------------------------------------------------------

std::string quoted_topic(const text_view& t) { return "'" + std::string(t.as_string_view()) + "'"; }

std::string describe_packet(const packet& p, bool sending) {
    char line[160];
    std::string out = sending ? "sending " : "received ";
    switch (type_of(p)) {
        case packet_type::connect: out += "CONNECT"; break;
        case packet_type::connack: {
            const auto& c = std::get<connack>(p);
            std::snprintf(line, sizeof line, "CONNACK (%u)", static_cast<unsigned>(c.reason_code));
            out += line;
            break;
        }
        case packet_type::publish: {
            const auto& m = std::get<publish>(p);
            std::snprintf(line, sizeof line, "PUBLISH (d%d, q%u, r%d, m%u, ", m.dup ? 1 : 0,
                          static_cast<unsigned>(m.qos), m.retain ? 1 : 0, static_cast<unsigned>(m.packet_id));
            out += line;
            out += quoted_topic(m.topic);
            std::snprintf(line, sizeof line, ", ... (%zu bytes))", m.payload.size());
            out += line;
            break;
        }
        case packet_type::puback: {
            const auto& a = std::get<puback>(p);
            std::snprintf(line, sizeof line, sending ? "PUBACK (m%u, rc%u)" : "PUBACK (Mid: %u, RC:%u)",
                          static_cast<unsigned>(a.packet_id), static_cast<unsigned>(a.reason_code));
            out += line;
            break;
        }
        case packet_type::pubrec: {
            const auto& a = std::get<pubrec>(p);
            std::snprintf(line, sizeof line, sending ? "PUBREC (m%u, rc%u)" : "PUBREC (Mid: %u, RC:%u)",
                          static_cast<unsigned>(a.packet_id), static_cast<unsigned>(a.reason_code));
            out += line;
            break;
        }
        case packet_type::pubrel: {
            const auto& a = std::get<pubrel>(p);
            std::snprintf(line, sizeof line, sending ? "PUBREL (m%u)" : "PUBREL (Mid: %u)",
                          static_cast<unsigned>(a.packet_id));
            out += line;
            break;
        }
        case packet_type::pubcomp: {
            const auto& a = std::get<pubcomp>(p);
            std::snprintf(line, sizeof line, sending ? "PUBCOMP (m%u)" : "PUBCOMP (Mid: %u, RC:%u)",
                          static_cast<unsigned>(a.packet_id), static_cast<unsigned>(a.reason_code));
            out += line;
            break;
        }
        case packet_type::subscribe: {
            const auto& s = std::get<subscribe>(p);
            bool first = true;
            for (const subscription sub : s.subscriptions) {
                if (!first) out += "\n  ";
                first = false;
                std::snprintf(line, sizeof line, "SUBSCRIBE (Mid: %u, Topic: ", static_cast<unsigned>(s.packet_id));
                out += line;
                out += sub.topic_filter.as_string_view();
                std::snprintf(line, sizeof line, ", QoS: %u, Options: 0x%02x)", static_cast<unsigned>(sub.qos),
                              static_cast<unsigned>(sub.options()));
                out += line;
            }
            break;
        }
        case packet_type::suback: {
            const auto& s = std::get<suback>(p);
            std::snprintf(line, sizeof line, "SUBACK (Mid: %u, codes:", static_cast<unsigned>(s.packet_id));
            out += line;
            for (const reason_code c : s.reason_codes) {
                std::snprintf(line, sizeof line, " %u", static_cast<unsigned>(c));
                out += line;
            }
            out += ")";
            break;
        }
        case packet_type::unsubscribe: {
            const auto& u = std::get<unsubscribe>(p);
            for (const text_view t : u.topic_filters) {
                std::snprintf(line, sizeof line, "UNSUBSCRIBE (Mid: %u, Topic: ", static_cast<unsigned>(u.packet_id));
                out += line;
                out += t.as_string_view();
                out += ")";
            }
            break;
        }
        case packet_type::unsuback: {
            std::snprintf(line, sizeof line, "UNSUBACK (Mid: %u)", static_cast<unsigned>(std::get<unsuback>(p).packet_id));
            out += line;
            break;
        }
        case packet_type::pingreq: out += "PINGREQ"; break;
        case packet_type::pingresp: out += "PINGRESP"; break;
        case packet_type::disconnect: {
            std::snprintf(line, sizeof line, "DISCONNECT (%u)",
                          static_cast<unsigned>(std::get<disconnect>(p).reason_code));
            out += line;
            break;
        }
        case packet_type::auth: {
            std::snprintf(line, sizeof line, "AUTH (%u)", static_cast<unsigned>(std::get<auth>(p).reason_code));
            out += line;
            break;
        }
    }
    return out;
}

// A stream that passes everything through and prints each whole packet that crosses it.
class debug_stream final : public stream {
public:
    debug_stream(std::unique_ptr<stream> inner, std::string client_id, protocol_version version)
        : inner_(std::move(inner)), id_(std::move(client_id)), version_(version) {}

    io_result read(std::uint8_t* out, std::size_t max) override {
        const io_result r = inner_->read(out, max);
        if (r.state == io_state::ok && r.bytes != 0) trace(in_, out, r.bytes, false);
        return r;
    }
    io_result write(const std::uint8_t* data, std::size_t size) override {
        const io_result r = inner_->write(data, size);
        if (r.state == io_state::ok && r.bytes != 0) trace(out_, data, r.bytes, true);
        return r;
    }
    bool flush() override { return inner_->flush(); }
    bool has_pending_output() const override { return inner_->has_pending_output(); }
    int fd() const override { return inner_->fd(); }
    short wanted_events() const override { return inner_->wanted_events(); }
    void close() override { inner_->close(); }
    const std::string& error() const override { return inner_->error(); }

private:
    struct direction {
        std::vector<std::uint8_t> bytes;
        std::size_t at = 0;  // bytes before `at` were printed
        bool broken = false;
    };

    void trace(direction& d, const std::uint8_t* data, std::size_t n, bool sending) {
        if (d.broken) return;
        d.bytes.insert(d.bytes.end(), data, data + n);
        while (d.at < d.bytes.size()) {
            const bytes_view rest(d.bytes.data() + d.at, d.bytes.size() - d.at);
            const auto f = frame(rest, largest_packet_size, version_);
            if (!f) {
                std::fprintf(stderr, "Client %s %s bytes that are not MQTT: %s\n", id_.c_str(),
                             sending ? "sending" : "received", std::string(f.error().message()).c_str());
                d.broken = true;
                return;
            }
            if (!f->complete) break;
            const bytes_view one = rest.subview(0, f->header.packet_size());
            const auto p = decode(one, version_, sending ? sender::client : sender::server);
            if (p) {
                std::fprintf(stderr, "Client %s %s\n", id_.c_str(), describe_packet(*p, sending).c_str());
            } else {
                std::fprintf(stderr, "Client %s %s a malformed %s packet: %s\n", id_.c_str(),
                             sending ? "sending" : "received", std::string(to_string(f->header.type)).c_str(),
                             std::string(p.error().message()).c_str());
            }
            d.at += one.size();
        }
        if (d.at == d.bytes.size()) {
            d.bytes.clear();
            d.at = 0;
        } else if (d.at > 65'536) {
            d.bytes.erase(d.bytes.begin(), d.bytes.begin() + static_cast<std::ptrdiff_t>(d.at));
            d.at = 0;
        }
    }

    std::unique_ptr<stream> inner_;
    std::string id_;
    protocol_version version_;
    direction in_;
    direction out_;
};

}  // namespace

// ---- command line --------------------------------------------------------------------------

const char* tool_name(tool which) { return which == tool::pub ? "mqtt-pub" : "mqtt-sub"; }

void print_usage(tool which, std::FILE* to) { std::fputs(which == tool::pub ? pub_usage : sub_usage, to); }

parse_status parse_command_line(tool which, int argc, char** argv, options& o, std::string& error) {
    o.which = which;
    const bool pub = which == tool::pub;
    const auto set_source = [&](payload_source s) {
        if (o.source != payload_source::none) {
            error = "Only one type of message can be sent at once.";
            return false;
        }
        o.source = s;
        return true;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        // The value of a flag that takes one.
        const auto value = [&](std::string& out) {
            if (i + 1 >= argc) {
                error = std::string(arg) + " argument given but no value specified.";
                return false;
            }
            out = argv[++i];
            return true;
        };
        std::string v;
        const auto is = [&arg](std::string_view s, std::string_view l = {}) { return arg == s || (!l.empty() && arg == l); };
        if (is("--help")) return parse_status::help;
        if (is("-h", "--host")) {
            if (!value(o.host)) return parse_status::error;
        } else if (is("-p", "--port")) {
            if (!value(v)) return parse_status::error;
            if (!parse_int(v, 1, 65'535, o.port)) {
                error = "Invalid port given: " + v;
                return parse_status::error;
            }
        } else if (is("-t", "--topic")) {
            if (!value(v)) return parse_status::error;
            if (pub) o.topics.clear();  // mqtt-pub publishes to one topic: the last -t, as mosquitto_pub
            o.topics.push_back(v);
        } else if (is("-q", "--qos")) {
            if (!value(v)) return parse_status::error;
            if (!parse_int(v, 0, 2, o.qos)) {
                error = "Invalid QoS given: " + v;
                return parse_status::error;
            }
        } else if (is("-i", "--id")) {
            if (!value(o.client_id)) return parse_status::error;
        } else if (is("-I", "--id-prefix")) {
            if (!value(o.id_prefix)) return parse_status::error;
        } else if (is("-u", "--username")) {
            if (!value(v)) return parse_status::error;
            o.username = v;
        } else if (is("-P", "--pw")) {
            if (!value(v)) return parse_status::error;
            o.password = v;
        } else if (is("-k", "--keepalive")) {
            if (!value(v)) return parse_status::error;
            if (!parse_int(v, 0, 65'535, o.keepalive)) {
                error = "Invalid keepalive given, it must be between 0 and 65535 inclusive.";
                return parse_status::error;
            }
        } else if (is("-V", "--protocol-version")) {
            if (!value(v)) return parse_status::error;
            if (v == "31" || v == "mqttv31") {
                o.version = protocol_version::v3_1;
            } else if (v == "311" || v == "mqttv311") {
                o.version = protocol_version::v3_1_1;
            } else if (v == "5" || v == "mqttv5") {
                o.version = protocol_version::v5;
            } else {
                error = "Invalid protocol version argument given: " + v + " (31, 311 or 5).";
                return parse_status::error;
            }
        } else if (is("-c", "--disable-clean-session")) {
            o.clean_session = false;
        } else if (is("-x", "--session-expiry-interval")) {
            if (!value(v)) return parse_status::error;
            std::uint32_t x = 0;
            if (!parse_session_expiry(v, x)) {
                error = "Invalid session-expiry-interval given: " + v;
                return parse_status::error;
            }
            o.session_expiry = x;
        } else if (is("-d", "--debug")) {
            o.debug = true;
        } else if (is("--quiet")) {
            o.quiet = true;
        } else if (is("-D", "--property")) {
            property_arg a;
            if (i + 3 >= argc) {
                error = "-D argument given but not enough values: -D command identifier value.";
                return parse_status::error;
            }
            a.command = argv[++i];
            a.identifier = argv[++i];
            a.value = argv[++i];
            if (a.identifier == "user-property") {
                if (i + 1 >= argc) {
                    error = "-D ... user-property needs a name and a value.";
                    return parse_status::error;
                }
                a.value2 = argv[++i];
            }
            o.properties.push_back(a);
        } else if (is("--will-topic")) {
            if (!value(o.will_topic)) return parse_status::error;
        } else if (is("--will-payload")) {
            if (!value(o.will_payload)) return parse_status::error;
            o.will_payload_given = true;
        } else if (is("--will-qos")) {
            if (!value(v)) return parse_status::error;
            if (!parse_int(v, 0, 2, o.will_qos)) {
                error = "Invalid will QoS given: " + v;
                return parse_status::error;
            }
            o.will_qos_given = true;
        } else if (is("--will-retain")) {
            o.will_retain = true;
        } else if (is("--cafile")) {
            if (!value(o.cafile)) return parse_status::error;
        } else if (is("--cert")) {
            if (!value(o.cert)) return parse_status::error;
        } else if (is("--key")) {
            if (!value(o.key)) return parse_status::error;
        } else if (is("--insecure")) {
            o.insecure = true;
        } else if (is("--tls-server-name")) {
            if (!value(o.tls_server_name)) return parse_status::error;
        } else if (pub && is("-m", "--message")) {
            if (!value(o.message) || !set_source(payload_source::message)) return parse_status::error;
        } else if (pub && is("-f", "--file")) {
            if (!value(o.file) || !set_source(payload_source::file)) return parse_status::error;
        } else if (pub && is("-l", "--stdin-line")) {
            if (!set_source(payload_source::lines)) return parse_status::error;
        } else if (pub && is("-s", "--stdin-file")) {
            if (!set_source(payload_source::whole_stdin)) return parse_status::error;
        } else if (pub && is("-n", "--null-message")) {
            if (!set_source(payload_source::null)) return parse_status::error;
        } else if (pub && is("-r", "--retain")) {
            o.retain = true;
        } else if (pub && is("-M")) {
            if (!value(v)) return parse_status::error;
            int m = 0;
            if (!parse_int(v, 1, 65'535, m)) {
                error = "Invalid max inflight given: " + v;
                return parse_status::error;
            }
            o.max_inflight = static_cast<std::size_t>(m);
        } else if (!pub && is("-C")) {
            if (!value(v)) return parse_status::error;
            int c = 0;
            if (!parse_int(v, 1, 2'000'000'000, c)) {
                error = "Invalid message count given: " + v;
                return parse_status::error;
            }
            o.count = c;
        } else if (!pub && is("-W")) {
            if (!value(v)) return parse_status::error;
            if (!parse_int(v, 1, 3'600'000, o.timeout_s)) {
                error = "Invalid timeout given: " + v;
                return parse_status::error;
            }
        } else if (!pub && is("-v", "--verbose")) {
            o.verbose = true;
        } else if (!pub && is("-N")) {
            o.no_eol = true;
        } else if (!pub && is("-R")) {
            o.no_retained = true;
        } else if (!pub && is("-E")) {
            o.exit_after_sub = true;
        } else if (!pub && is("-T", "--filter-out")) {
            if (!value(v)) return parse_status::error;
            if (!check_topic_filter(text_view(v), o.version)) {
                error = "Invalid filter topic '" + v + "', are all '+' and '#' wildcards correct?";
                return parse_status::error;
            }
            o.filter_out.push_back(v);
        } else if (!pub && is("-U", "--unsubscribe")) {
            if (!value(v)) return parse_status::error;
            o.unsubscribe.push_back(v);
        } else {
            error = "Unknown option '" + std::string(arg) + "'.";
            return parse_status::error;
        }
    }

    // Checks across flags.
    if (pub) {
        if (o.topics.empty() || o.source == payload_source::none) {
            error = "Both topic and message must be supplied.";
            return parse_status::error;
        }
        if (!check_topic_name(text_view(o.topics[0]))) {
            error = "Invalid publish topic '" + o.topics[0] + "', does it contain '+' or '#'?";
            return parse_status::error;
        }
    } else {
        if (o.topics.empty() && o.unsubscribe.empty()) {
            error = "You must specify a topic to subscribe to.";
            return parse_status::error;
        }
        for (const std::string& t : o.topics) {
            if (!check_topic_filter(text_view(t), o.version)) {
                error = "Invalid subscription topic '" + t + "', are all '+' and '#' wildcards correct?";
                return parse_status::error;
            }
        }
        for (const std::string& t : o.unsubscribe) {
            if (!check_topic_filter(text_view(t), o.version)) {
                error = "Invalid unsubscribe topic '" + t + "', are all '+' and '#' wildcards correct?";
                return parse_status::error;
            }
        }
    }
    if (o.will_topic.empty() && (o.will_payload_given || o.will_qos_given || o.will_retain)) {
        error = "Will payload, QoS or retain given, but no will topic given.";
        return parse_status::error;
    }
    if (!o.will_topic.empty() && !check_topic_name(text_view(o.will_topic))) {
        error = "Invalid will topic '" + o.will_topic + "', does it contain '+' or '#'?";
        return parse_status::error;
    }
    if (o.password && !o.username && o.version != protocol_version::v5) {
        error = "A password needs a username before MQTT 5.0 (-u).";
        return parse_status::error;
    }
    if (o.version != protocol_version::v5) {
        if (!o.properties.empty()) {
            error = "-D properties need MQTT 5.0 (-V 5).";
            return parse_status::error;
        }
        if (o.session_expiry && *o.session_expiry != 0) {
            error = "-x (session expiry interval) needs MQTT 5.0 (-V 5); with 3.1.1 use -c alone.";
            return parse_status::error;
        }
    }
    if (o.cert.empty() != o.key.empty()) {
        error = "Both certfile and keyfile must be provided if one of them is set.";
        return parse_status::error;
    }
    if (o.tls() && o.cafile.empty()) {
        error = "--cert and --key need --cafile (the authorities to check the server with).";
        return parse_status::error;
    }
    if (o.tls() && !tls_available()) {
        error = "TLS options given, but this build has no TLS (BearSSL was not found).";
        return parse_status::error;
    }
    return parse_status::ok;
}

std::string client_identifier(const options& o) {
    if (!o.client_id.empty()) return o.client_id;
    const std::string pid = std::to_string(static_cast<long>(::getpid()));
    if (!o.id_prefix.empty()) return o.id_prefix + pid;
    return std::string(tool_name(o.which)) + "-" + pid;
}

bool build_properties(const options& o, property_blocks& out, std::string& error) {
    // Room for each block: every property's largest encoding.
    std::size_t room[6] = {};
    for (const property_arg& a : o.properties) {
        for (std::size_t b = 0; b < 6; ++b) room[b] += 1 + 4 + 2 + a.value.size() + 2 + a.value2.size();
    }
    for (std::size_t b = 0; b < 6; ++b) out.storage[b].assign(room[b], 0);
    std::optional<property_builder> builders[6];
    for (std::size_t b = 0; b < 6; ++b) {
        builders[b].emplace(mutable_bytes(out.storage[b].data(), out.storage[b].size()));
    }

    const bool pub = o.which == tool::pub;
    for (const property_arg& a : o.properties) {
        const property_command* cmd = nullptr;
        for (const property_command& c : property_commands) {
            if (c.name == a.command && (pub ? c.pub : c.sub)) cmd = &c;
        }
        if (cmd == nullptr) {
            error = "Invalid command '" + a.command + "' given for -D; " +
                    (pub ? "mqtt-pub takes connect, publish, disconnect or will."
                         : "mqtt-sub takes connect, subscribe, unsubscribe, disconnect or will.");
            return false;
        }
        const property_name* name = nullptr;
        for (const property_name& n : property_names) {
            if (n.name == a.identifier) name = &n;
        }
        if (name == nullptr) {
            error = "Invalid property identifier '" + a.identifier + "' given for -D.";
            return false;
        }
        if (set_by_client(cmd->context, name->id)) {
            error = "Property " + a.identifier + " is set by the client itself; -D " + a.command + " cannot set it.";
            return false;
        }
        // One property alone, to check that its packet allows it and that its value is valid.
        std::vector<std::uint8_t> one(1 + 4 + 2 + a.value.size() + 2 + a.value2.size());
        property_builder single(mutable_bytes(one.data(), one.size()));
        if (!add_property(single, name->id, a, error)) return false;
        const auto built = single.build();
        if (!built) {
            error = "Invalid value for property " + a.identifier + ": " + std::string(built.error().message());
            return false;
        }
        if (auto ok = check_properties(*built, cmd->context, sender::client); !ok) {
            error = "Property " + a.identifier + " is not allowed in " + a.command + " (" +
                    std::string(ok.error().message()) + ")";
            return false;
        }
        if (cmd->context == property_context::connect && name->id == property_id::session_expiry_interval) {
            std::uint64_t seconds = 0;
            (void)parse_unsigned(a.value, 0xFFFF'FFFFu, seconds);  // checked by add_property above
            out.connect_session_expiry = static_cast<std::uint32_t>(seconds);  // the client adds it
            continue;
        }
        if (!add_property(*builders[cmd->block], name->id, a, error)) return false;
    }
    properties* blocks[6] = {&out.connect, &out.will, &out.publish, &out.subscribe, &out.unsubscribe, &out.disconnect};
    const property_context contexts[6] = {property_context::connect, property_context::will,
                                          property_context::publish, property_context::subscribe,
                                          property_context::unsubscribe, property_context::disconnect};
    for (std::size_t b = 0; b < 6; ++b) {
        const auto built = builders[b]->build();
        if (!built) {
            error = "Invalid -D properties: " + std::string(built.error().message());
            return false;
        }
        if (auto ok = check_properties(*built, contexts[b], sender::client); !ok) {
            error = "Invalid -D properties for " + std::string(property_commands[b].name) + ": " +
                    std::string(ok.error().message());
            return false;
        }
        *blocks[b] = *built;
    }
    return true;
}

connect_options make_connect_options(const options& o, const std::string& client_id, const property_blocks& props) {
    connect_options c;
    c.protocol_version = o.version;
    c.client_id = text_view(client_id);
    c.clean_start = o.clean_session;
    c.keep_alive = static_cast<std::uint16_t>(o.keepalive);
    if (o.username) c.username = text_view(*o.username);
    if (o.password) c.password = bytes_view(*o.password);
    if (o.version == protocol_version::v5) {
        // As mosquitto: -x, else -D connect session-expiry-interval, else never with -c and 0 without.
        if (o.session_expiry) {
            c.session_expiry_interval = *o.session_expiry;
        } else if (props.connect_session_expiry) {
            c.session_expiry_interval = *props.connect_session_expiry;
        } else {
            c.session_expiry_interval = o.clean_session ? 0 : 0xFFFF'FFFFu;
        }
        c.properties = props.connect;
    }
    if (!o.will_topic.empty()) {
        will_message w;
        w.topic = text_view(o.will_topic);
        w.payload = bytes_view(o.will_payload);
        w.qos = static_cast<qos>(o.will_qos);
        w.retain = o.will_retain;
        w.properties = props.will;
        c.will = w;
    }
    return c;
}

// ---- opening the stream --------------------------------------------------------------------

bool tls_available() { return SANSMQTT_TOOLS_TLS != 0; }

bool opened_stream::tls_handshake_pending() const {
#if SANSMQTT_TOOLS_TLS
    return tls != nullptr && !static_cast<const tls_stream*>(tls)->handshake_done();
#else
    return false;
#endif
}

opened_stream open_stream(const options& o, std::string& error) {
    opened_stream out;
    std::unique_ptr<tcp_stream> tcp = tcp_stream::connect(o.host, o.effective_port(), 10'000, error);
    if (!tcp) return out;
    if (!o.tls()) {
        out.net = std::move(tcp);
        return out;
    }
#if SANSMQTT_TOOLS_TLS
    tls_options t;
    t.ca_file = o.cafile;
    t.cert_file = o.cert;
    t.key_file = o.key;
    t.server_name = o.tls_server_name;
    t.insecure = o.insecure;
    std::unique_ptr<tls_stream> tls = tls_stream::start(std::move(tcp), t, error);
    if (!tls) {
        if (error.rfind("TLS", 0) != 0) error = "TLS: " + error;
        return out;
    }
    out.tls = tls.get();
    out.net = std::move(tls);
#else
    error = "this build has no TLS";
#endif
    return out;
}

std::unique_ptr<stream> make_debug_stream(std::unique_ptr<stream> inner, std::string client_id,
                                          protocol_version version) {
    return std::make_unique<debug_stream>(std::move(inner), std::move(client_id), version);
}

// ---- words -----------------------------------------------------------------------------------

std::string describe_event(const event& e) {
    char line[200];
    if (const auto* c = std::get_if<connected_event>(&e)) {
        std::snprintf(line, sizeof line, "connected (session present %d, keep alive %u s)", c->session_present ? 1 : 0,
                      static_cast<unsigned>(c->keep_alive));
        std::string s = line;
        if (!c->assigned_client_id.empty()) s += ", assigned client id " + std::string(c->assigned_client_id.as_string_view());
        return s;
    }
    if (const auto* r = std::get_if<connect_refused_event>(&e)) {
        std::snprintf(line, sizeof line, "connect refused (0x%02x)", static_cast<unsigned>(r->reason_code));
        return line;
    }
    if (std::get_if<auth_event>(&e)) return "auth";
    if (const auto* m = std::get_if<message_event>(&e)) {
        std::snprintf(line, sizeof line, "message (q%u, r%d, %zu bytes) on ", static_cast<unsigned>(m->packet.qos),
                      m->packet.retain ? 1 : 0, m->packet.payload.size());
        return line + quoted_topic(m->packet.topic);
    }
    if (const auto* m = std::get_if<message_begin_event>(&e)) {
        std::snprintf(line, sizeof line, "message begins (q%u, r%d, %" PRIu32 " bytes) on ",
                      static_cast<unsigned>(m->packet.qos), m->packet.retain ? 1 : 0, m->payload_size);
        return line + quoted_topic(m->packet.topic);
    }
    if (const auto* m = std::get_if<message_chunk_event>(&e)) {
        std::snprintf(line, sizeof line, "message chunk (%zu bytes at %" PRIu32 ")", m->data.size(), m->offset);
        return line;
    }
    if (std::get_if<message_end_event>(&e)) return "message ends";
    if (const auto* p = std::get_if<publish_completed_event>(&e)) {
        std::snprintf(line, sizeof line, "publish completed (m%u, q%u, rc 0x%02x)", static_cast<unsigned>(p->packet_id),
                      static_cast<unsigned>(p->qos), static_cast<unsigned>(p->reason_code));
        return line;
    }
    if (const auto* p = std::get_if<publish_failed_event>(&e)) {
        std::snprintf(line, sizeof line, "publish failed (m%u, q%u, rc 0x%02x%s)", static_cast<unsigned>(p->packet_id),
                      static_cast<unsigned>(p->qos), static_cast<unsigned>(p->reason_code),
                      p->session_lost ? ", session lost" : "");
        return line;
    }
    if (const auto* s = std::get_if<subscribe_completed_event>(&e)) {
        std::snprintf(line, sizeof line, "subscribe completed (m%u)", static_cast<unsigned>(s->packet_id));
        return line;
    }
    if (const auto* s = std::get_if<unsubscribe_completed_event>(&e)) {
        std::snprintf(line, sizeof line, "unsubscribe completed (m%u)", static_cast<unsigned>(s->packet_id));
        return line;
    }
    if (const auto* r = std::get_if<request_failed_event>(&e)) {
        std::snprintf(line, sizeof line, "request failed (m%u)", static_cast<unsigned>(r->packet_id));
        return line;
    }
    if (const auto* d = std::get_if<disconnected_event>(&e)) {
        std::snprintf(line, sizeof line, "disconnected by the server (0x%02x)", static_cast<unsigned>(d->reason_code));
        return line;
    }
    if (const auto* f = std::get_if<connection_failed_event>(&e)) {
        return "connection failed: " + std::string(f->error.message());
    }
    return "event";
}

std::string connack_refusal_text(protocol_version v, reason_code code) {
    const auto c = static_cast<unsigned>(code);
    std::string why;
    if (v != protocol_version::v5) {
        switch (c) {
            case 1: why = "unacceptable protocol version"; break;
            case 2: why = "identifier rejected"; break;
            case 3: why = "broker unavailable"; break;
            case 4: why = "bad user name or password"; break;
            case 5: why = "not authorised"; break;
            default: why = "unknown reason"; break;
        }
    } else {
        switch (c) {
            case 0x84: why = "unacceptable protocol version"; break;
            case 0x85: why = "identifier rejected"; break;
            case 0x86: why = "bad user name or password"; break;
            case 0x87: why = "not authorised"; break;
            case 0x88: why = "broker unavailable"; break;
            default: {
                why = std::string(reason_code_name(code, packet_type::connack));
                char hex[16];
                std::snprintf(hex, sizeof hex, " (0x%02x)", c);
                why += hex;
            }
        }
    }
    return "Connection refused: " + why + ".";
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        error = "Unable to read file \"" + path + "\": " + std::strerror(errno) + ".";
        return false;
    }
    out.clear();
    char buf[65'536];
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        out.append(buf, n);
        if (n < sizeof buf) break;
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) {
        error = "Unable to read file \"" + path + "\".";
        return false;
    }
    return true;
}

void print_error(const options& o, const std::string& message) {
    if (o.quiet) return;
    std::fprintf(stderr, "Error: %s\n", message.c_str());
}

}  // namespace sansmqtt::examples::cli
