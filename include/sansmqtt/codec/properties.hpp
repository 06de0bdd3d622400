// sansmqtt: MQTT 5.0 properties (section 2.2.2): the table of all 27, a typed view over an
// encoded property block, the per-packet checks, and a builder.
//
// A property block is kept in its wire form, with the index of the one walk that checked it
// (where each property first stands; which occur, which repeat): reading a property is O(1), and
// a block checked once is checked for another packet by masks. Decoding makes the index while it
// checks the block; the builder writes the wire form into a caller's buffer and indexes it in
// build(), so a decoded block and a built one are the same kind of value and encode the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sansmqtt/codec/topic.hpp"
#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/reader.hpp"
#include "sansmqtt/wire/writer.hpp"

namespace sansmqtt {

enum class property_id : std::uint8_t {
    payload_format_indicator = 0x01,
    message_expiry_interval = 0x02,
    content_type = 0x03,
    response_topic = 0x08,
    correlation_data = 0x09,
    subscription_identifier = 0x0B,
    session_expiry_interval = 0x11,
    assigned_client_identifier = 0x12,
    server_keep_alive = 0x13,
    authentication_method = 0x15,
    authentication_data = 0x16,
    request_problem_information = 0x17,
    will_delay_interval = 0x18,
    request_response_information = 0x19,
    response_information = 0x1A,
    server_reference = 0x1C,
    reason_string = 0x1F,
    receive_maximum = 0x21,
    topic_alias_maximum = 0x22,
    topic_alias = 0x23,
    maximum_qos = 0x24,
    retain_available = 0x25,
    user_property = 0x26,
    maximum_packet_size = 0x27,
    wildcard_subscription_available = 0x28,
    subscription_identifier_available = 0x29,
    shared_subscription_available = 0x2A,
};

enum class property_type : std::uint8_t {
    byte,
    two_byte_integer,
    four_byte_integer,
    variable_byte_integer,
    utf8_string,
    binary_data,
    utf8_string_pair,
};

// Where a property block sits: the packet type, or the Will Properties of a CONNECT.
enum class property_context : std::uint8_t {
    connect,
    connack,
    publish,
    will,
    puback,
    pubrec,
    pubrel,
    pubcomp,
    subscribe,
    suback,
    unsubscribe,
    unsuback,
    disconnect,
    auth,
};

struct property_info {
    property_id id;
    property_type type;
    std::uint16_t contexts;  // bit (1 << property_context) for each place the property may appear
    std::string_view name;   // snake_case, as in mqtt-inspect's JSON
};

namespace detail {

constexpr std::uint16_t bit(property_context c) noexcept {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c));
}

template <class... C>
constexpr std::uint16_t bits(C... c) noexcept {
    return static_cast<std::uint16_t>((bit(c) | ...));
}

using pc = property_context;
using pt = property_type;
using pi = property_id;

inline constexpr std::uint16_t publish_and_will = bits(pc::publish, pc::will);
inline constexpr std::uint16_t reason_string_contexts = bits(pc::connack, pc::puback, pc::pubrec, pc::pubrel,
                                                             pc::pubcomp, pc::suback, pc::unsuback, pc::disconnect,
                                                             pc::auth);
inline constexpr std::uint16_t all_contexts = 0x3FFF;

// MQTT 5.0 Table 2-4.
inline constexpr property_info property_table[] = {
    {pi::payload_format_indicator, pt::byte, publish_and_will, "payload_format_indicator"},
    {pi::message_expiry_interval, pt::four_byte_integer, publish_and_will, "message_expiry_interval"},
    {pi::content_type, pt::utf8_string, publish_and_will, "content_type"},
    {pi::response_topic, pt::utf8_string, publish_and_will, "response_topic"},
    {pi::correlation_data, pt::binary_data, publish_and_will, "correlation_data"},
    {pi::subscription_identifier, pt::variable_byte_integer, bits(pc::publish, pc::subscribe),
     "subscription_identifier"},
    {pi::session_expiry_interval, pt::four_byte_integer, bits(pc::connect, pc::connack, pc::disconnect),
     "session_expiry_interval"},
    {pi::assigned_client_identifier, pt::utf8_string, bits(pc::connack), "assigned_client_identifier"},
    {pi::server_keep_alive, pt::two_byte_integer, bits(pc::connack), "server_keep_alive"},
    {pi::authentication_method, pt::utf8_string, bits(pc::connect, pc::connack, pc::auth), "authentication_method"},
    {pi::authentication_data, pt::binary_data, bits(pc::connect, pc::connack, pc::auth), "authentication_data"},
    {pi::request_problem_information, pt::byte, bits(pc::connect), "request_problem_information"},
    {pi::will_delay_interval, pt::four_byte_integer, bits(pc::will), "will_delay_interval"},
    {pi::request_response_information, pt::byte, bits(pc::connect), "request_response_information"},
    {pi::response_information, pt::utf8_string, bits(pc::connack), "response_information"},
    {pi::server_reference, pt::utf8_string, bits(pc::connack, pc::disconnect), "server_reference"},
    {pi::reason_string, pt::utf8_string, reason_string_contexts, "reason_string"},
    {pi::receive_maximum, pt::two_byte_integer, bits(pc::connect, pc::connack), "receive_maximum"},
    {pi::topic_alias_maximum, pt::two_byte_integer, bits(pc::connect, pc::connack), "topic_alias_maximum"},
    {pi::topic_alias, pt::two_byte_integer, bits(pc::publish), "topic_alias"},
    {pi::maximum_qos, pt::byte, bits(pc::connack), "maximum_qos"},
    {pi::retain_available, pt::byte, bits(pc::connack), "retain_available"},
    {pi::user_property, pt::utf8_string_pair, all_contexts, "user_property"},
    {pi::maximum_packet_size, pt::four_byte_integer, bits(pc::connect, pc::connack), "maximum_packet_size"},
    {pi::wildcard_subscription_available, pt::byte, bits(pc::connack), "wildcard_subscription_available"},
    {pi::subscription_identifier_available, pt::byte, bits(pc::connack), "subscription_identifier_available"},
    {pi::shared_subscription_available, pt::byte, bits(pc::connack), "shared_subscription_available"},
};

}  // namespace detail

namespace detail {

// property_table index by identifier (0x00..0x2A), -1 where no property is defined.
struct property_id_index {
    std::int8_t at[0x2B] = {};
    constexpr property_id_index() noexcept {
        for (auto& a : at) a = -1;
        for (std::size_t i = 0; i < sizeof property_table / sizeof property_table[0]; ++i) {
            at[static_cast<std::uint8_t>(property_table[i].id)] = static_cast<std::int8_t>(i);
        }
    }
};
inline constexpr property_id_index property_index_table{};

}  // namespace detail

// The table entry of a property identifier, or nullptr when MQTT 5.0 defines no such property.
constexpr const property_info* find_property_info(std::uint32_t id) noexcept {
    if (id >= sizeof detail::property_index_table.at) return nullptr;
    const std::int8_t i = detail::property_index_table.at[id];
    return i < 0 ? nullptr : &detail::property_table[i];
}

namespace detail {

inline constexpr std::size_t property_count = sizeof property_table / sizeof property_table[0];
static_assert(property_count <= 32, "one bit per property in a 32-bit mask");

constexpr std::uint32_t property_bit(property_id id) noexcept {
    return std::uint32_t{1} << property_index_table.at[static_cast<std::uint8_t>(id)];
}

// Where each property of a block first stands, made by the one walk over the block (decode's
// check, the builder's build(), or the walk of properties(bytes)), so that reading a property is
// O(1). `first` holds 1 + the offset of the first occurrence by property_table index; 0: absent;
// far_offset: at offset 254 or beyond (found by a walk: a block whose earlier properties fill
// 254 bytes).
inline constexpr std::uint8_t far_offset = 0xFF;

struct property_index {
    std::uint32_t present = 0;   // bit i: property_table[i] occurs
    std::uint32_t repeated = 0;  // bit i: it occurs more than once
    std::uint8_t first[property_count] = {};
    // Every rule that does not depend on the packet holds (encoding, UTF-8, value ranges,
    // Authentication Data with its Method): check_properties() then only compares masks.
    bool checked = false;

    constexpr void note(std::size_t table_index, std::size_t offset) noexcept {
        const std::uint32_t b = std::uint32_t{1} << table_index;
        if ((present & b) != 0) {
            repeated |= b;
            return;
        }
        present |= b;
        first[table_index] = static_cast<std::uint8_t>(offset < far_offset - 1 ? offset + 1 : far_offset);
    }
};

// The properties allowed in each context, as masks over property_table indexes.
struct allowed_masks {
    static constexpr std::size_t contexts = static_cast<std::size_t>(property_context::auth) + 1;
    std::uint32_t in[contexts] = {};
    constexpr allowed_masks() noexcept {
        for (std::size_t c = 0; c < contexts; ++c) {
            for (std::size_t i = 0; i < property_count; ++i) {
                if ((property_table[i].contexts & (1u << c)) != 0) in[c] |= std::uint32_t{1} << i;
            }
        }
    }
};
inline constexpr allowed_masks allowed_properties{};

}  // namespace detail

constexpr property_type type_of(property_id id) noexcept { return find_property_info(static_cast<std::uint8_t>(id))->type; }

constexpr bool is_allowed(property_id id, property_context where) noexcept {
    const property_info* info = find_property_info(static_cast<std::uint8_t>(id));
    return info != nullptr && (info->contexts & detail::bit(where)) != 0;
}

struct string_pair {
    text_view name;
    text_view value;
    friend constexpr bool operator==(const string_pair& a, const string_pair& b) noexcept {
        return a.name == b.name && a.value == b.value;
    }
};

// One decoded property. Which member holds the value depends on the property's type:
// Byte, Two/Four Byte and Variable Byte Integers: `integer`; UTF-8 string: `string`;
// Binary Data: `binary`; UTF-8 String Pair (User Property): `pair`.
struct property {
    property_id id{};
    std::uint32_t integer = 0;
    text_view string;
    bytes_view binary;
    string_pair pair;

    constexpr property_type type() const noexcept { return type_of(id); }
};

namespace detail {

// A UTF-8 string or Binary Data at in[pos, end): its two-byte length and bytes, read in place;
// `pos` moves past it. Running out of bytes is property_truncated at the length field.
constexpr result<void> read_property_field(const bytes_view& in, std::size_t& pos, std::size_t end,
                                           bytes_view& out) noexcept {
    if (end - pos < 2) return make_error(errc::property_truncated, pos);
    const std::size_t length = std::size_t{in[pos]} << 8 | in[pos + 1];
    if (end - pos - 2 < length) return make_error(errc::property_truncated, pos);
    out = in.subview(pos + 2, length);
    pos += 2 + length;
    return {};
}

constexpr result<void> read_property_text(const bytes_view& in, std::size_t& pos, std::size_t end, bool check_text,
                                          text_view& out) noexcept {
    const std::size_t at = pos;
    bytes_view b;
    if (auto ok = read_property_field(in, pos, end, b); !ok) return ok;
    if (check_text) {
        if (auto ok = check_utf8(b); !ok) return make_error(ok.error().code, at + 2 + ok.error().offset);
    }
    out = text_view(b);
    return {};
}

// Reads the property at in[pos, end) into `p` without applying any rule beyond its encoding, and
// returns the position after it. Every defined identifier is below 0x80, so a one-byte identifier
// is read directly; a longer one is read as a Variable Byte Integer only to report it right.
// Errors: variable_byte_integer_*, property_unknown, property_truncated, and utf8_* when
// `check_text` (a block that was checked already, a decoded packet's, skips the UTF-8 check;
// lengths are always bounds-checked). Only the member of `p` for the property's type is written.
constexpr result<std::size_t> read_property_at(const bytes_view& in, std::size_t pos, std::size_t end, property& p,
                                               bool check_text) noexcept {
    const std::size_t at = pos;
    if (pos >= end) return make_error(errc::property_truncated, at);
    std::uint32_t id = in[pos];
    if (id < 0x80) {
        ++pos;
    } else {
        const auto v = read_variable_byte_integer(in.subview(0, end), pos, true);
        if (!v) return make_error(v.error().code, at);
        if (!v->complete()) return make_error(errc::property_truncated, at);
        id = v->value;
        pos += v->length;
    }
    const property_info* info = find_property_info(id);
    if (info == nullptr) return make_error(errc::property_unknown, at);
    p.id = info->id;
    const std::size_t left = end - pos;
    switch (info->type) {
        case property_type::byte:
            if (left < 1) return make_error(errc::property_truncated, pos);
            p.integer = in[pos];
            return pos + 1;
        case property_type::two_byte_integer:
            if (left < 2) return make_error(errc::property_truncated, pos);
            p.integer = std::uint32_t{in[pos]} << 8 | in[pos + 1];
            return pos + 2;
        case property_type::four_byte_integer:
            if (left < 4) return make_error(errc::property_truncated, pos);
            p.integer = std::uint32_t{in[pos]} << 24 | std::uint32_t{in[pos + 1]} << 16 | std::uint32_t{in[pos + 2]} << 8 |
                        in[pos + 3];
            return pos + 4;
        case property_type::variable_byte_integer: {
            const auto v = read_variable_byte_integer(in.subview(0, end), pos, true);
            if (!v) return v.error();
            if (!v->complete()) return make_error(errc::property_truncated, pos);
            p.integer = v->value;
            return pos + v->length;
        }
        case property_type::utf8_string:
            if (auto ok = read_property_text(in, pos, end, check_text, p.string); !ok) return ok.error();
            return pos;
        case property_type::binary_data:
            if (auto ok = read_property_field(in, pos, end, p.binary); !ok) return ok.error();
            return pos;
        case property_type::utf8_string_pair:
            if (auto ok = read_property_text(in, pos, end, check_text, p.pair.name); !ok) return ok.error();
            if (auto ok = read_property_text(in, pos, end, check_text, p.pair.value); !ok) return ok.error();
            return pos;
    }
    return make_error(errc::property_unknown, at);  // not reached: every type is handled above
}

// read_property_at() at r's position; r moves past the property.
constexpr result<property> read_property(byte_reader& r, bool check_text = true) noexcept {
    property p;
    const auto next = read_property_at(r.input(), r.position(), r.end(), p, check_text);
    if (!next) return next.error();
    r = byte_reader(r.input(), *next, r.end());
    return p;
}

}  // namespace detail

// A view of an encoded property block (the bytes after the Property Length). Iterating yields the
// properties in wire order; the typed accessors return the first occurrence. The view is meant for
// checked blocks (from decode(), property_builder, or check_properties()), so iterating does not
// check UTF-8 again. On unchecked bytes it is still memory-safe: it stops at the first property
// whose identifier or lengths are malformed and never reads past the block.
class properties {
public:
    constexpr properties() noexcept = default;
    // A block of the caller's: indexed here by one walk (encoding only; the rules are checked by
    // check_properties(), or when a packet holding it is encoded).
    constexpr explicit properties(const bytes_view& wire) noexcept : wire_(wire), index_(index_of(wire)) {}
    // In a build without 5.0 (SANSMQTT_ENABLE_V5=0) no property code is linked: the index stays
    // empty and the accessors find nothing, as 3.1.1 has no properties.
    // A block with the index the walk that checked it made (decode, property_builder).
    constexpr properties(const bytes_view& wire, const detail::property_index& index) noexcept
        : wire_(wire), index_(index) {}

    constexpr const bytes_view& wire() const noexcept { return wire_; }
    constexpr bool empty() const noexcept { return wire_.empty(); }
    constexpr const detail::property_index& index() const noexcept { return index_; }

    class iterator {
    public:
        constexpr iterator() noexcept = default;
        constexpr iterator(const bytes_view& wire, std::size_t pos) noexcept : wire_(wire), next_(pos) { advance(); }
        constexpr const property& operator*() const noexcept { return current_; }
        constexpr const property* operator->() const noexcept { return &current_; }
        constexpr iterator& operator++() noexcept {
            advance();
            return *this;
        }
        friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept { return a.at_ == b.at_; }
        friend constexpr bool operator!=(const iterator& a, const iterator& b) noexcept { return a.at_ != b.at_; }

    private:
        static constexpr std::size_t end_pos = static_cast<std::size_t>(-1);
        constexpr void advance() noexcept {
            if (next_ >= wire_.size()) {
                at_ = end_pos;
                return;
            }
            current_ = property{};
            const auto after = detail::read_property_at(wire_, next_, wire_.size(), current_, false);
            if (!after) {
                at_ = next_ = end_pos;
                return;
            }
            at_ = next_;
            next_ = *after;
        }

        bytes_view wire_;
        std::size_t at_ = end_pos;
        std::size_t next_ = end_pos;
        property current_;
    };

    constexpr iterator begin() const noexcept { return iterator(wire_, 0); }
    constexpr iterator end() const noexcept { return iterator(); }

    // The properties with one identifier, in wire order (e.g. every User Property).
    class filtered {
    public:
        class iterator {
        public:
            constexpr iterator(properties::iterator it, property_id id) noexcept : it_(it), id_(id) { skip(); }
            constexpr const property& operator*() const noexcept { return *it_; }
            constexpr const property* operator->() const noexcept { return &*it_; }
            constexpr iterator& operator++() noexcept {
                ++it_;
                skip();
                return *this;
            }
            friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept { return a.it_ == b.it_; }
            friend constexpr bool operator!=(const iterator& a, const iterator& b) noexcept { return a.it_ != b.it_; }

        private:
            constexpr void skip() noexcept {
                while (it_ != properties::iterator() && it_->id != id_) ++it_;
            }
            properties::iterator it_;
            property_id id_;
        };
        // From `start`, the first occurrence's offset (or wire.size() when there is none).
        constexpr filtered(const bytes_view& wire, property_id id, std::size_t start = 0) noexcept
            : wire_(wire), id_(id), start_(start) {}
        constexpr iterator begin() const noexcept { return iterator(properties::iterator(wire_, start_), id_); }
        constexpr iterator end() const noexcept { return iterator(properties::iterator(), id_); }

    private:
        bytes_view wire_;
        property_id id_;
        std::size_t start_;
    };

    constexpr filtered all(property_id id) const noexcept {
        const std::size_t k = table_index(id);
        if ((index_.present >> k & 1u) == 0) return filtered(wire_, id, wire_.size());
        const std::uint8_t first = index_.first[k];
        return filtered(wire_, id, first == detail::far_offset ? 0 : first - std::size_t{1});
    }
    constexpr filtered user_properties() const noexcept { return all(property_id::user_property); }
    constexpr filtered subscription_identifiers() const noexcept { return all(property_id::subscription_identifier); }

    // The first occurrence of `id`: O(1) by the index (a walk only when it stands 254 bytes or
    // more into the block).
    constexpr std::optional<property> find(property_id id) const noexcept {
        const std::size_t k = table_index(id);
        if ((index_.present >> k & 1u) == 0) return std::nullopt;
        const std::uint8_t first = index_.first[k];
        if (first != detail::far_offset) {
            property p;
            if (!detail::read_property_at(wire_, first - std::size_t{1}, wire_.size(), p, false)) return std::nullopt;
            return p;
        }
        for (const property& p : *this) {
            if (p.id == id) return p;
        }
        return std::nullopt;
    }
    constexpr bool contains(property_id id) const noexcept { return (index_.present >> table_index(id) & 1u) != 0; }
    constexpr std::size_t count(property_id id) const noexcept {
        if (!contains(id)) return 0;
        if ((index_.repeated >> table_index(id) & 1u) == 0) return 1;
        std::size_t n = 0;
        for (const property& p : all(id)) n += p.id == id ? 1 : 0;
        return n;
    }

    constexpr std::optional<std::uint8_t> payload_format_indicator() const noexcept { return u8(property_id::payload_format_indicator); }
    constexpr std::optional<std::uint32_t> message_expiry_interval() const noexcept { return u32(property_id::message_expiry_interval); }
    constexpr std::optional<text_view> content_type() const noexcept { return text(property_id::content_type); }
    constexpr std::optional<text_view> response_topic() const noexcept { return text(property_id::response_topic); }
    constexpr std::optional<bytes_view> correlation_data() const noexcept { return binary(property_id::correlation_data); }
    constexpr std::optional<std::uint32_t> subscription_identifier() const noexcept { return u32(property_id::subscription_identifier); }
    constexpr std::optional<std::uint32_t> session_expiry_interval() const noexcept { return u32(property_id::session_expiry_interval); }
    constexpr std::optional<text_view> assigned_client_identifier() const noexcept { return text(property_id::assigned_client_identifier); }
    constexpr std::optional<std::uint16_t> server_keep_alive() const noexcept { return u16(property_id::server_keep_alive); }
    constexpr std::optional<text_view> authentication_method() const noexcept { return text(property_id::authentication_method); }
    constexpr std::optional<bytes_view> authentication_data() const noexcept { return binary(property_id::authentication_data); }
    constexpr std::optional<bool> request_problem_information() const noexcept { return flag(property_id::request_problem_information); }
    constexpr std::optional<std::uint32_t> will_delay_interval() const noexcept { return u32(property_id::will_delay_interval); }
    constexpr std::optional<bool> request_response_information() const noexcept { return flag(property_id::request_response_information); }
    constexpr std::optional<text_view> response_information() const noexcept { return text(property_id::response_information); }
    constexpr std::optional<text_view> server_reference() const noexcept { return text(property_id::server_reference); }
    constexpr std::optional<text_view> reason_string() const noexcept { return text(property_id::reason_string); }
    constexpr std::optional<std::uint16_t> receive_maximum() const noexcept { return u16(property_id::receive_maximum); }
    constexpr std::optional<std::uint16_t> topic_alias_maximum() const noexcept { return u16(property_id::topic_alias_maximum); }
    constexpr std::optional<std::uint16_t> topic_alias() const noexcept { return u16(property_id::topic_alias); }
    constexpr std::optional<std::uint8_t> maximum_qos() const noexcept { return u8(property_id::maximum_qos); }
    constexpr std::optional<bool> retain_available() const noexcept { return flag(property_id::retain_available); }
    constexpr std::optional<std::uint32_t> maximum_packet_size() const noexcept { return u32(property_id::maximum_packet_size); }
    constexpr std::optional<bool> wildcard_subscription_available() const noexcept { return flag(property_id::wildcard_subscription_available); }
    constexpr std::optional<bool> subscription_identifier_available() const noexcept { return flag(property_id::subscription_identifier_available); }
    constexpr std::optional<bool> shared_subscription_available() const noexcept { return flag(property_id::shared_subscription_available); }

    friend constexpr bool operator==(const properties& a, const properties& b) noexcept { return a.wire_ == b.wire_; }
    friend constexpr bool operator!=(const properties& a, const properties& b) noexcept { return !(a == b); }

private:
    constexpr std::optional<std::uint32_t> u32(property_id id) const noexcept {
        const auto p = find(id);
        return p ? std::optional<std::uint32_t>(p->integer) : std::nullopt;
    }
    constexpr std::optional<std::uint16_t> u16(property_id id) const noexcept {
        const auto p = find(id);
        return p ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(p->integer)) : std::nullopt;
    }
    constexpr std::optional<std::uint8_t> u8(property_id id) const noexcept {
        const auto p = find(id);
        return p ? std::optional<std::uint8_t>(static_cast<std::uint8_t>(p->integer)) : std::nullopt;
    }
    constexpr std::optional<bool> flag(property_id id) const noexcept {
        const auto p = find(id);
        return p ? std::optional<bool>(p->integer != 0) : std::nullopt;
    }
    constexpr std::optional<text_view> text(property_id id) const noexcept {
        const auto p = find(id);
        return p ? std::optional<text_view>(p->string) : std::nullopt;
    }
    constexpr std::optional<bytes_view> binary(property_id id) const noexcept {
        const auto p = find(id);
        return p ? std::optional<bytes_view>(p->binary) : std::nullopt;
    }

    static constexpr std::size_t table_index(property_id id) noexcept {
        return static_cast<std::size_t>(detail::property_index_table.at[static_cast<std::uint8_t>(id)]);
    }
    // The index of a block nobody checked: its properties' places, up to the first malformed one.
    static constexpr detail::property_index index_of(const bytes_view& wire) noexcept {
        detail::property_index index;
        if (!v5_compiled_in) return index;  // 3.1.1 has no properties: nothing reads the index
        property p;
        for (std::size_t pos = 0; pos < wire.size();) {
            const auto next = detail::read_property_at(wire, pos, wire.size(), p, false);
            if (!next) break;
            index.note(table_index(p.id), pos);
            pos = *next;
        }
        return index;
    }

    bytes_view wire_;
    detail::property_index index_;
};

namespace detail {

// Checks the property block in[begin, end) for a packet or Will: every property defined and
// allowed there, at most once unless it may repeat, values in range. Offsets are positions in `in`.
// With `index`, also fills it (checked once the whole block passes). `context_free` checks only
// the rules that do not depend on the packet (property_builder::build()).
constexpr result<void> check_properties(const bytes_view& in, std::size_t begin, std::size_t end,
                                        property_context where, sender from, property_index* index = nullptr,
                                        bool context_free = false) noexcept {
    std::uint64_t seen = 0;
    bool has_method = false;
    std::size_t data_at = 0;
    bool has_data = false;
    property p;  // read in place, one property after the other
    for (std::size_t pos = begin; pos < end;) {
        const std::size_t at = pos;
        const auto next = read_property_at(in, pos, end, p, true);
        if (!next) return next.error();
        pos = *next;
        const auto id = static_cast<std::uint8_t>(p.id);
        const property_info& info = *find_property_info(id);
        if (!context_free && (info.contexts & bit(where)) == 0) return make_error(errc::property_not_allowed, at);

        // Only User Property repeats, and Subscription Identifier in a PUBLISH from the Server.
        const std::uint64_t mask = std::uint64_t{1} << id;
        const bool may_repeat = p.id == property_id::user_property ||
                                (p.id == property_id::subscription_identifier && where == property_context::publish);
        if (!context_free && (seen & mask) != 0 && !may_repeat) return make_error(errc::property_duplicate, at);
        seen |= mask;

        switch (p.id) {
            case property_id::subscription_identifier:
                if (p.integer == 0) return make_error(errc::subscription_identifier_zero, at);
                if (!context_free && where == property_context::publish && from == sender::client) {
                    return make_error(errc::subscription_identifier_from_client, at);
                }
                break;
            case property_id::receive_maximum:
                if (p.integer == 0) return make_error(errc::receive_maximum_zero, at);
                break;
            case property_id::maximum_packet_size:
                if (p.integer == 0) return make_error(errc::maximum_packet_size_zero, at);
                break;
            case property_id::topic_alias:
                if (p.integer == 0) return make_error(errc::topic_alias_zero, at);
                break;
            case property_id::response_topic: {
                const auto ok = check_topic_name_syntax(p.string, errc::response_topic_wildcard);
                if (!ok) return make_error(ok.error().code, at + 3 + ok.error().offset);
                break;
            }
            case property_id::session_expiry_interval:
                if (!context_free && where == property_context::disconnect && from == sender::server) {
                    return make_error(errc::session_expiry_from_server, at);
                }
                break;
            case property_id::authentication_method:
                has_method = true;
                break;
            case property_id::authentication_data:
                has_data = true;
                data_at = at;
                break;
            default:
                break;
        }
        if (info.type == property_type::byte && p.integer > 1) return make_error(errc::property_byte_invalid, at);
        if (index != nullptr) index->note(static_cast<std::size_t>(property_index_table.at[id]), at - begin);
    }
    if (has_data && !has_method) return make_error(errc::authentication_data_without_method, data_at);
    if (index != nullptr) index->checked = true;
    return {};
}

// Whether a block whose packet-independent rules hold (index.checked) also keeps those of
// `where` and `from`: allowed there, repeated only where it may, the direction rules. Masks only.
constexpr bool keeps_context_rules(const property_index& index, property_context where, sender from) noexcept {
    if ((index.present & ~allowed_properties.in[static_cast<std::size_t>(where)]) != 0) return false;
    std::uint32_t may_repeat = property_bit(property_id::user_property);
    if (where == property_context::publish) may_repeat |= property_bit(property_id::subscription_identifier);
    if ((index.repeated & ~may_repeat) != 0) return false;
    if (where == property_context::publish && from == sender::client &&
        (index.present & property_bit(property_id::subscription_identifier)) != 0) {
        return false;
    }
    if (where == property_context::disconnect && from == sender::server &&
        (index.present & property_bit(property_id::session_expiry_interval)) != 0) {
        return false;
    }
    return true;
}

}  // namespace detail

// Checks an encoded property block for the packet (or Will) it belongs to. `from` enables the
// direction rules: no Subscription Identifier in a PUBLISH from the Client [MQTT-3.3.4-6], no
// Session Expiry Interval in a DISCONNECT from the Server [MQTT-3.14.2-2]. Offsets are relative to
// the block.
constexpr result<void> check_properties(const properties& block, property_context where,
                                        sender from = sender::any) noexcept {
    // A block checked once (decoded, or built by property_builder) is checked again by its masks;
    // any other block, or one the masks refuse, by the walk, which also names the rule and offset.
    if (block.index().checked && detail::keeps_context_rules(block.index(), where, from)) return {};
    return detail::check_properties(block.wire(), 0, block.wire().size(), where, from);
}

// Writes properties in wire form into a caller's buffer. Each add checks the value against the
// property's type; the first failure (a type mismatch, or no room) is kept and returned by build().
// The rules that depend on the packet (allowed, duplicates, direction) and the value ranges are
// checked when the block is encoded into a packet, or by check_properties().
class property_builder {
public:
    constexpr explicit property_builder(mutable_bytes storage) noexcept : storage_(storage), writer_(storage) {}

    // Byte, Two Byte, Four Byte and Variable Byte Integer properties.
    constexpr property_builder& add_integer(property_id id, std::uint32_t value) noexcept {
        const property_type t = type_of(id);
        std::uint32_t limit = 0;
        std::size_t size = 0;
        switch (t) {
            case property_type::byte: limit = 0xFFu, size = 1; break;
            case property_type::two_byte_integer: limit = 0xFFFFu, size = 2; break;
            case property_type::four_byte_integer: limit = 0xFFFF'FFFFu, size = 4; break;
            case property_type::variable_byte_integer:
                limit = largest_variable_byte_integer, size = variable_byte_integer_size(value);
                break;
            default: return fail(errc::property_type_mismatch);
        }
        if (value > limit) return fail(errc::value_out_of_range);
        if (!begin(id, size)) return *this;
        switch (t) {
            case property_type::byte: writer_.write_u8(static_cast<std::uint8_t>(value)); break;
            case property_type::two_byte_integer: writer_.write_u16(static_cast<std::uint16_t>(value)); break;
            case property_type::four_byte_integer: writer_.write_u32(value); break;
            default: writer_.write_variable_byte_integer(value); break;
        }
        return *this;
    }

    // UTF-8 string properties; the text is checked against the UTF-8 rules.
    constexpr property_builder& add_string(property_id id, const text_view& value) noexcept {
        if (type_of(id) != property_type::utf8_string) return fail(errc::property_type_mismatch);
        if (value.size() > largest_field_size) return fail(errc::field_too_long);
        if (auto ok = check_utf8(value.bytes()); !ok) return fail(ok.error().code);
        if (begin(id, 2 + value.size())) writer_.write_utf8(value);
        return *this;
    }

    // Binary Data properties.
    constexpr property_builder& add_binary(property_id id, const bytes_view& value) noexcept {
        if (type_of(id) != property_type::binary_data) return fail(errc::property_type_mismatch);
        if (value.size() > largest_field_size) return fail(errc::field_too_long);
        if (begin(id, 2 + value.size())) writer_.write_binary(value);
        return *this;
    }

    constexpr property_builder& add_user_property(const text_view& name, const text_view& value) noexcept {
        if (name.size() > largest_field_size || value.size() > largest_field_size) return fail(errc::field_too_long);
        if (auto ok = check_utf8(name.bytes()); !ok) return fail(ok.error().code);
        if (auto ok = check_utf8(value.bytes()); !ok) return fail(ok.error().code);
        if (begin(property_id::user_property, 4 + name.size() + value.size())) {
            writer_.write_utf8(name);
            writer_.write_utf8(value);
        }
        return *this;
    }

    constexpr property_builder& payload_format_indicator(std::uint8_t v) noexcept { return add_integer(property_id::payload_format_indicator, v); }
    constexpr property_builder& message_expiry_interval(std::uint32_t v) noexcept { return add_integer(property_id::message_expiry_interval, v); }
    constexpr property_builder& content_type(const text_view& v) noexcept { return add_string(property_id::content_type, v); }
    constexpr property_builder& response_topic(const text_view& v) noexcept { return add_string(property_id::response_topic, v); }
    constexpr property_builder& correlation_data(const bytes_view& v) noexcept { return add_binary(property_id::correlation_data, v); }
    constexpr property_builder& subscription_identifier(std::uint32_t v) noexcept { return add_integer(property_id::subscription_identifier, v); }
    constexpr property_builder& session_expiry_interval(std::uint32_t v) noexcept { return add_integer(property_id::session_expiry_interval, v); }
    constexpr property_builder& assigned_client_identifier(const text_view& v) noexcept { return add_string(property_id::assigned_client_identifier, v); }
    constexpr property_builder& server_keep_alive(std::uint16_t v) noexcept { return add_integer(property_id::server_keep_alive, v); }
    constexpr property_builder& authentication_method(const text_view& v) noexcept { return add_string(property_id::authentication_method, v); }
    constexpr property_builder& authentication_data(const bytes_view& v) noexcept { return add_binary(property_id::authentication_data, v); }
    constexpr property_builder& request_problem_information(bool v) noexcept { return add_integer(property_id::request_problem_information, v ? 1 : 0); }
    constexpr property_builder& will_delay_interval(std::uint32_t v) noexcept { return add_integer(property_id::will_delay_interval, v); }
    constexpr property_builder& request_response_information(bool v) noexcept { return add_integer(property_id::request_response_information, v ? 1 : 0); }
    constexpr property_builder& response_information(const text_view& v) noexcept { return add_string(property_id::response_information, v); }
    constexpr property_builder& server_reference(const text_view& v) noexcept { return add_string(property_id::server_reference, v); }
    constexpr property_builder& reason_string(const text_view& v) noexcept { return add_string(property_id::reason_string, v); }
    constexpr property_builder& receive_maximum(std::uint16_t v) noexcept { return add_integer(property_id::receive_maximum, v); }
    constexpr property_builder& topic_alias_maximum(std::uint16_t v) noexcept { return add_integer(property_id::topic_alias_maximum, v); }
    constexpr property_builder& topic_alias(std::uint16_t v) noexcept { return add_integer(property_id::topic_alias, v); }
    constexpr property_builder& maximum_qos(std::uint8_t v) noexcept { return add_integer(property_id::maximum_qos, v); }
    constexpr property_builder& retain_available(bool v) noexcept { return add_integer(property_id::retain_available, v ? 1 : 0); }
    constexpr property_builder& user_property(const text_view& name, const text_view& value) noexcept { return add_user_property(name, value); }
    constexpr property_builder& maximum_packet_size(std::uint32_t v) noexcept { return add_integer(property_id::maximum_packet_size, v); }
    constexpr property_builder& wildcard_subscription_available(bool v) noexcept { return add_integer(property_id::wildcard_subscription_available, v ? 1 : 0); }
    constexpr property_builder& subscription_identifier_available(bool v) noexcept { return add_integer(property_id::subscription_identifier_available, v ? 1 : 0); }
    constexpr property_builder& shared_subscription_available(bool v) noexcept { return add_integer(property_id::shared_subscription_available, v ? 1 : 0); }

    // The block written so far, or the first error.
    // The block is walked once here: its index makes reads O(1), and a block whose rules that do not
    // depend on the packet hold is checked by masks alone when it is encoded.
    constexpr result<properties> build() const noexcept {
        if (failed_) return error_;
        const bytes_view wire(storage_.data(), writer_.position());
        detail::property_index index;
        if (!detail::check_properties(wire, 0, wire.size(), property_context::connect, sender::any, &index, true)) {
            return properties(wire);  // kept as it is: the packet's encode() reports the broken rule
        }
        return properties(wire, index);
    }

private:
    constexpr property_builder& fail(errc code) noexcept {
        if (!failed_) {
            failed_ = true;
            error_ = make_error(code, writer_.position(), code == errc::buffer_too_small ? error_category::resource
                                                                                          : error_category::local);
        }
        return *this;
    }
    // Writes the identifier if the whole property fits; all identifiers are one byte.
    constexpr bool begin(property_id id, std::size_t value_size) noexcept {
        if (failed_) return false;
        if (storage_.size() - writer_.position() < 1 + value_size) {
            fail(errc::buffer_too_small);
            return false;
        }
        writer_.write_u8(static_cast<std::uint8_t>(id));
        return true;
    }

    mutable_bytes storage_;
    byte_writer writer_;
    bool failed_ = false;
    sansmqtt::error error_{};
};

}  // namespace sansmqtt
