// mqtt-inspect: the packet debugger of sansmqtt. Paste MQTT packets as hex, read them back as JSON.
//
//   mqtt-inspect [--protocol 3.1|3.1.1|5] [--from client|server|any] [--roundtrip] [FILE]
//
// The contract (command line, input, JSON form, exit statuses) is inspect-json.md; tests and
// other tools rely on it. In short: each input line holds hex digits forming one or more complete,
// concatenated packets, and gives one line of JSON:
//   {"ok":true,"packets":[{"type":"publish",...,"encoded":"<hex>"}, ...]}
//   {"ok":false,"error":"<name>","offset":<byte in the line>,"reason_code":<5.0 code>,"message":"..."}
// Exit status: 0 if every line decoded, 1 if any line did not, 2 on a usage error.
//
// Choices the contract leaves open, made here:
// - Input. Spaces, tabs and colons are ignored wherever they appear (so "3 0" is the byte 0x30).
//   A trailing carriage return (CRLF files) is dropped. Skipped without output: empty lines,
//   lines holding only spaces, tabs and colons, and lines whose first character other than a
//   space or tab is '#'. FILE "-" is standard input; "--" ends the options; "--help" prints the
//   usage to standard output and exits 0.
// - Usage errors (exit 2, a message on standard error, nothing more read): an unknown option, a
//   missing or unknown --protocol or --from value, more than one FILE, a FILE that cannot be
//   opened or read.
// - Errors that are not sansmqtt errc values, each an error for its line (exit status 1):
//     "hex_invalid"         a character other than a hex digit, space, tab or colon; the offset is
//                           the byte the character would have started; the message gives its column.
//     "hex_odd_length"      an odd number of hex digits; the offset is the incomplete last byte.
//     "encode_failed"       sansmqtt's encoder refused a packet its decoder accepted (a codec bug);
//                           the offset is the packet's first byte, the message names the encoder's error.
//     "roundtrip_mismatch"  with --roundtrip: decoding "encoded" failed or gave a different packet
//                           (a codec bug); the offset is the packet's first byte.
//   Their reason_code is 129 (Malformed Packet) for the two input errors and 131 (Implementation
//   specific error) for the two codec errors.
// - Bytes after the last whole packet of a line are framed as the start of another packet: they
//   fail as "truncated" (offset = end of the line) or with the error their first bytes show
//   (e.g. "packet_type_invalid").
// - Property values: Byte properties that are yes/no flags (request_problem_information,
//   request_response_information, retain_available, wildcard_subscription_available,
//   subscription_identifier_available, shared_subscription_available) are JSON booleans;
//   payload_format_indicator and maximum_qos are numbers. Keys appear in wire order of first
//   occurrence. Strings escape '"', '\' and control characters as \u00xx; UTF-8 passes through.
#include <sansmqtt/sansmqtt.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

namespace mq = sansmqtt;

constexpr const char* usage_text =
    "usage: mqtt-inspect [--protocol 3.1|3.1.1|5] [--from client|server|any] [--roundtrip] [FILE]\n";

// ---- JSON output ---------------------------------------------------------------------------

// Appends JSON text to a string. Commas between members and elements are written automatically.
class json_writer {
public:
    json_writer& begin_object() { return open('{'); }
    json_writer& end_object() { return close('}'); }
    json_writer& begin_array() { return open('['); }
    json_writer& end_array() { return close(']'); }

    json_writer& key(std::string_view name) {
        string(name);
        out_ += ':';
        after_key_ = true;
        return *this;
    }
    json_writer& string(std::string_view s) {
        separate();
        out_ += '"';
        for (const char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            if (c == '"' || c == '\\') {
                out_ += '\\';
                out_ += ch;
            } else if (c < 0x20) {
                static constexpr char digits[] = "0123456789abcdef";
                out_ += "\\u00";
                out_ += digits[c >> 4];
                out_ += digits[c & 0x0F];
            } else {
                out_ += ch;  // UTF-8 passes through; the decoder has checked it
            }
        }
        out_ += '"';
        return *this;
    }
    json_writer& text(const mq::text_view& s) { return string(s.as_string_view()); }
    json_writer& hex(const mq::bytes_view& b) {
        separate();
        out_ += '"';
        append_hex(out_, b);
        out_ += '"';
        return *this;
    }
    json_writer& number(std::uint64_t n) {
        separate();
        out_ += std::to_string(n);
        return *this;
    }
    json_writer& boolean(bool b) {
        separate();
        out_ += b ? "true" : "false";
        return *this;
    }
    json_writer& null() {
        separate();
        out_ += "null";
        return *this;
    }
    // Inserts already formed JSON as one value.
    json_writer& raw(std::string_view json) {
        separate();
        out_ += json;
        return *this;
    }

    const std::string& str() const { return out_; }

    static void append_hex(std::string& out, const mq::bytes_view& b) {
        static constexpr char digits[] = "0123456789abcdef";
        for (std::size_t i = 0; i < b.size(); ++i) {
            out += digits[b[i] >> 4];
            out += digits[b[i] & 0x0F];
        }
    }

private:
    void separate() {
        if (after_key_) {
            after_key_ = false;
        } else if (!first_.empty()) {
            if (!first_.back()) out_ += ',';
            first_.back() = false;
        }
    }
    json_writer& open(char c) {
        separate();
        out_ += c;
        first_.push_back(true);
        return *this;
    }
    json_writer& close(char c) {
        out_ += c;
        first_.pop_back();
        return *this;
    }

    std::string out_;
    std::vector<bool> first_;  // per open container: nothing written in it yet
    bool after_key_ = false;
};

// The Byte properties that hold a yes/no value (the library reads them as bool).
bool is_flag(mq::property_id id) {
    switch (id) {
        case mq::property_id::request_problem_information:
        case mq::property_id::request_response_information:
        case mq::property_id::retain_available:
        case mq::property_id::wildcard_subscription_available:
        case mq::property_id::subscription_identifier_available:
        case mq::property_id::shared_subscription_available:
            return true;
        default:
            return false;
    }
}

// `properties`: only what is on the wire, keys in the order they first appear there.
void write_properties(json_writer& j, const mq::properties& props) {
    j.begin_object();
    std::vector<mq::property_id> written;
    for (const mq::property& p : props) {
        if (std::find(written.begin(), written.end(), p.id) != written.end()) continue;
        written.push_back(p.id);
        if (p.id == mq::property_id::user_property) {
            j.key("user_properties").begin_array();
            for (const mq::property& u : props.user_properties()) {
                j.begin_array().text(u.pair.name).text(u.pair.value).end_array();
            }
            j.end_array();
            continue;
        }
        if (p.id == mq::property_id::subscription_identifier) {
            j.key("subscription_identifiers").begin_array();
            for (const mq::property& s : props.subscription_identifiers()) j.number(s.integer);
            j.end_array();
            continue;
        }
        const mq::property_info* info = mq::find_property_info(static_cast<std::uint32_t>(p.id));
        j.key(info->name);
        switch (info->type) {
            case mq::property_type::byte:
                if (is_flag(p.id)) {
                    j.boolean(p.integer != 0);
                } else {
                    j.number(p.integer);
                }
                break;
            case mq::property_type::two_byte_integer:
            case mq::property_type::four_byte_integer:
            case mq::property_type::variable_byte_integer: j.number(p.integer); break;
            case mq::property_type::utf8_string: j.text(p.string); break;
            case mq::property_type::binary_data: j.hex(p.binary); break;
            case mq::property_type::utf8_string_pair: break;  // user_property, handled above
        }
    }
    j.end_object();
}

unsigned code(mq::reason_code c) { return static_cast<unsigned>(c); }
unsigned level(mq::qos q) { return static_cast<unsigned>(q); }

// The fields of each packet type, after "type", in the order of the contract's table.
void write_fields(json_writer& j, const mq::connect& c) {
    j.key("protocol_name").string(c.protocol_version == mq::protocol_version::v3_1 ? "MQIsdp" : "MQTT");
    j.key("protocol_version").number(static_cast<unsigned>(c.protocol_version));
    j.key("clean_start").boolean(c.clean_start);
    j.key("keep_alive").number(c.keep_alive);
    j.key("client_id").text(c.client_id);
    j.key("will");
    if (c.will) {
        j.begin_object();
        j.key("topic").text(c.will->topic);
        j.key("payload").hex(c.will->payload);
        j.key("qos").number(level(c.will->qos));
        j.key("retain").boolean(c.will->retain);
        j.key("properties");
        write_properties(j, c.will->properties);
        j.end_object();
    } else {
        j.null();
    }
    j.key("username");
    if (c.username) {
        j.text(*c.username);
    } else {
        j.null();
    }
    j.key("password");
    if (c.password) {
        j.hex(*c.password);
    } else {
        j.null();
    }
    j.key("properties");
    write_properties(j, c.properties);
}

void write_fields(json_writer& j, const mq::connack& c) {
    j.key("session_present").boolean(c.session_present);
    j.key("reason_code").number(code(c.reason_code));
    j.key("properties");
    write_properties(j, c.properties);
}

void write_fields(json_writer& j, const mq::publish& p) {
    j.key("topic").text(p.topic);
    j.key("payload").hex(p.payload);
    j.key("qos").number(level(p.qos));
    j.key("retain").boolean(p.retain);
    j.key("dup").boolean(p.dup);
    j.key("packet_id");
    if (p.qos == mq::qos::at_most_once) {
        j.null();
    } else {
        j.number(p.packet_id);
    }
    j.key("properties");
    write_properties(j, p.properties);
}

template <mq::packet_type T>
void write_fields(json_writer& j, const mq::publish_response<T>& a) {
    j.key("packet_id").number(a.packet_id);
    j.key("reason_code").number(code(a.reason_code));
    j.key("properties");
    write_properties(j, a.properties);
}

void write_fields(json_writer& j, const mq::subscribe& s) {
    j.key("packet_id").number(s.packet_id);
    j.key("subscriptions").begin_array();
    for (const mq::subscription& sub : s.subscriptions) {
        j.begin_object();
        j.key("topic_filter").text(sub.topic_filter);
        j.key("qos").number(level(sub.qos));
        j.key("no_local").boolean(sub.no_local);
        j.key("retain_as_published").boolean(sub.retain_as_published);
        j.key("retain_handling").number(static_cast<unsigned>(sub.retain_handling));
        j.end_object();
    }
    j.end_array();
    j.key("properties");
    write_properties(j, s.properties);
}

void write_reason_codes(json_writer& j, const mq::reason_code_list& codes) {
    j.key("reason_codes").begin_array();
    for (const mq::reason_code c : codes) j.number(code(c));
    j.end_array();
}

void write_fields(json_writer& j, const mq::suback& a) {
    j.key("packet_id").number(a.packet_id);
    write_reason_codes(j, a.reason_codes);
    j.key("properties");
    write_properties(j, a.properties);
}

void write_fields(json_writer& j, const mq::unsubscribe& u) {
    j.key("packet_id").number(u.packet_id);
    j.key("topic_filters").begin_array();
    for (const mq::text_view filter : u.topic_filters) j.text(filter);
    j.end_array();
    j.key("properties");
    write_properties(j, u.properties);
}

void write_fields(json_writer& j, const mq::unsuback& a) {
    j.key("packet_id").number(a.packet_id);
    write_reason_codes(j, a.reason_codes);
    j.key("properties");
    write_properties(j, a.properties);
}

template <mq::packet_type T>
void write_fields(json_writer&, const mq::empty_packet<T>&) {}

void write_fields(json_writer& j, const mq::disconnect& d) {
    j.key("reason_code").number(code(d.reason_code));
    j.key("properties");
    write_properties(j, d.properties);
}

void write_fields(json_writer& j, const mq::auth& a) {
    j.key("reason_code").number(code(a.reason_code));
    j.key("properties");
    write_properties(j, a.properties);
}

// ---- One input line ------------------------------------------------------------------------

struct line_error {
    std::string name;
    std::size_t offset = 0;
    unsigned reason_code = 0;
    std::string message;
};

// A codec error found in the packet that starts at byte `packet_start` of the line.
line_error codec_error(const mq::error& e, std::size_t packet_start) {
    line_error le;
    le.name = std::string(e.name());
    le.offset = packet_start + e.offset;
    le.reason_code = e.reason_code();
    le.message = std::string(e.message());
    if (!e.rule().empty()) le.message += " [" + std::string(e.rule()) + "]";
    return le;
}

std::string error_json(const line_error& e) {
    json_writer j;
    j.begin_object();
    j.key("ok").boolean(false);
    j.key("error").string(e.name);
    j.key("offset").number(e.offset);
    j.key("reason_code").number(e.reason_code);
    j.key("message").string(e.message);
    j.end_object();
    return j.str();
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_separator(char c) { return c == ' ' || c == '\t' || c == ':'; }

// Whether the line is skipped: empty, only separators, or a comment.
bool is_skipped(std::string_view line) {
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') return true;
    return std::all_of(line.begin(), line.end(), is_separator);
}

// The bytes the hex digits of a line spell, or the line's error.
std::variant<std::vector<std::uint8_t>, line_error> parse_hex(std::string_view line) {
    std::vector<std::uint8_t> bytes;
    int high = -1;  // the first digit of a byte, while waiting for its second
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (is_separator(c)) continue;
        const int d = hex_value(c);
        if (d < 0) {
            const auto u = static_cast<unsigned char>(c);
            char shown[16];
            if (u >= 0x21 && u < 0x7F) {
                std::snprintf(shown, sizeof shown, "'%c'", c);
            } else {
                std::snprintf(shown, sizeof shown, "byte 0x%02x", u);
            }
            return line_error{"hex_invalid", bytes.size(), 0x81,
                              "Column " + std::to_string(i + 1) + " holds " + shown +
                                  ", which is not a hex digit (a line holds only hex digits, spaces, tabs and colons)."};
        }
        if (high < 0) {
            high = d;
        } else {
            bytes.push_back(static_cast<std::uint8_t>((high << 4) | d));
            high = -1;
        }
    }
    if (high >= 0) {
        return line_error{"hex_odd_length", bytes.size(), 0x81,
                          "The line holds an odd number of hex digits, so its last byte is incomplete."};
    }
    return bytes;
}

struct options {
    mq::protocol_version version = mq::protocol_version::v5;
    mq::sender from = mq::sender::any;
    bool roundtrip = false;
    std::string file;  // empty or "-": standard input
};

// Decodes one line; returns its JSON and whether every byte decoded.
std::pair<std::string, bool> inspect_line(std::string_view line, const options& opt) {
    auto parsed = parse_hex(line);
    if (auto* e = std::get_if<line_error>(&parsed)) return {error_json(*e), false};
    const std::vector<std::uint8_t>& bytes = std::get<std::vector<std::uint8_t>>(parsed);
    const mq::bytes_view all(bytes.data(), bytes.size());

    mq::protocol_version version = opt.version;  // a CONNECT changes it for the rest of the line
    json_writer j;
    j.begin_object().key("ok").boolean(true).key("packets").begin_array();
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        const mq::bytes_view rest = all.subview(pos);
        const auto framed = mq::frame(rest, mq::largest_packet_size, version);
        if (!framed) {
            mq::error e = framed.error();
            e.version = version;
            return {error_json(codec_error(e, pos)), false};
        }
        if (!framed->complete) {
            mq::error e = mq::make_error(mq::errc::truncated, rest.size());
            e.version = version;
            return {error_json(codec_error(e, pos)), false};
        }
        const mq::bytes_view wire = rest.subview(0, framed->header.packet_size());
        const auto decoded = mq::decode(wire, version, opt.from);
        if (!decoded) return {error_json(codec_error(decoded.error(), pos)), false};
        const mq::packet& p = *decoded;
        if (const auto* c = std::get_if<mq::connect>(&p)) version = c->protocol_version;

        // Encode again from the decoded form.
        std::vector<std::uint8_t> buffer;
        const auto size = mq::encoded_size(p, version);
        std::optional<mq::error> refused;
        if (!size) {
            refused = size.error();
        } else {
            buffer.resize(*size);
            const auto written = mq::encode(p, mq::mutable_bytes(buffer.data(), buffer.size()), version, opt.from);
            if (!written) refused = written.error();
        }
        if (refused) {
            line_error e = codec_error(*refused, pos);
            e.name = "encode_failed";
            e.offset = pos;
            e.reason_code = 0x83;
            e.message = "sansmqtt's encoder refused the decoded packet with " + std::string(refused->name()) +
                        " at byte " + std::to_string(refused->offset) + " of its output: " + e.message;
            return {error_json(e), false};
        }
        const mq::bytes_view encoded(buffer.data(), buffer.size());

        if (opt.roundtrip) {
            const auto again = mq::decode(encoded, version, opt.from);
            std::string why;
            if (!again) {
                why = "Decoding the re-encoded packet failed with " + std::string(again.error().name()) +
                      " at byte " + std::to_string(again.error().offset) + ".";
            } else if (!(*again == p)) {
                why = "Decoding the re-encoded packet gave a packet different from the one decoded from the input.";
            }
            if (!why.empty()) return {error_json(line_error{"roundtrip_mismatch", pos, 0x83, why}), false};
        }

        j.begin_object();
        j.key("type").string(mq::to_string(mq::type_of(p)));
        std::visit([&j](const auto& alternative) { write_fields(j, alternative); }, p);
        j.key("encoded").hex(encoded);
        j.end_object();
        pos += wire.size();
    }
    j.end_array().end_object();
    return {j.str(), true};
}

// ---- Command line --------------------------------------------------------------------------

// Exit status 2: a message on standard error, with the usage line when the command line was wrong.
int usage_error(const std::string& what, bool show_usage = true) {
    std::fprintf(stderr, "mqtt-inspect: %s\n%s", what.c_str(), show_usage ? usage_text : "");
    return 2;
}

// Reads one line without its '\n'; false at the end of the input.
bool read_line(std::FILE* in, std::string& line) {
    line.clear();
    int c = 0;
    bool any = false;
    while ((c = std::getc(in)) != EOF) {
        any = true;
        if (c == '\n') return true;
        line += static_cast<char>(c);
    }
    return any;
}

}  // namespace

int main(int argc, char** argv) {
    options opt;
    bool have_file = false;
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (!options_done && arg == "--") {
            options_done = true;
        } else if (!options_done && (arg == "--help" || arg == "-h")) {
            std::fputs(usage_text, stdout);
            return 0;
        } else if (!options_done && (arg == "--protocol" || arg == "--from")) {
            if (i + 1 >= argc) return usage_error("option " + std::string(arg) + " needs a value");
            const std::string_view value = argv[++i];
            if (arg == "--protocol") {
                if (value == "3.1") {
                    opt.version = mq::protocol_version::v3_1;
                } else if (value == "3.1.1") {
                    opt.version = mq::protocol_version::v3_1_1;
                } else if (value == "5") {
                    opt.version = mq::protocol_version::v5;
                } else {
                    return usage_error("unknown --protocol value '" + std::string(value) + "' (3.1, 3.1.1 or 5)");
                }
            } else {
                if (value == "client") {
                    opt.from = mq::sender::client;
                } else if (value == "server") {
                    opt.from = mq::sender::server;
                } else if (value == "any") {
                    opt.from = mq::sender::any;
                } else {
                    return usage_error("unknown --from value '" + std::string(value) + "' (client, server or any)");
                }
            }
        } else if (!options_done && arg == "--roundtrip") {
            opt.roundtrip = true;
        } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
            return usage_error("unknown option '" + std::string(arg) + "'");
        } else if (have_file) {
            return usage_error("more than one FILE");
        } else {
            opt.file = std::string(arg);
            have_file = true;
        }
    }

    const bool from_stdin = opt.file.empty() || opt.file == "-";
    std::FILE* in = from_stdin ? stdin : std::fopen(opt.file.c_str(), "rb");
    if (in == nullptr) return usage_error("cannot open " + opt.file + ": " + std::strerror(errno), false);

    bool all_ok = true;
    std::string line;
    while (read_line(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (is_skipped(line)) continue;
        const auto [json, ok] = inspect_line(line, opt);
        std::fputs(json.c_str(), stdout);
        std::fputc('\n', stdout);
        all_ok = all_ok && ok;
    }
    if (std::ferror(in)) {
        const int err = errno;
        return usage_error("cannot read " + (from_stdin ? std::string("standard input") : opt.file) + ": " +
                           std::strerror(err), false);
    }
    if (!from_stdin) std::fclose(in);
    return all_ok ? 0 : 1;
}
