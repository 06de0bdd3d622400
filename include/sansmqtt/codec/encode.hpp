// sansmqtt: encoding control packets into a caller's buffer.
//
//   encoded_size(p, version)            -> result<size_t>   bytes the packet needs
//   encode(p, out, version, from)       -> result<size_t>   bytes written
//
// `p` is any packet struct (publish, subscribe, ...) or a `packet`. encode() refuses a packet that
// breaks a wire rule of the version, with the same error codes decode() reports (category `local`,
// offset = where in `out` the offending field would start); the content of `out` is then
// unspecified. encoded_size() checks only what the size depends on (field and packet length
// limits). A CONNECT is encoded in its own `protocol_version`; `version` is not used for it.
//
// Where the specification allows a shorter form, encode() writes it: a 5.0 PUBACK-family packet
// with reason 0 and no properties has Remaining Length 2, one with no properties 3; a 5.0
// DISCONNECT or AUTH with reason 0 and no properties has Remaining Length 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

#include "sansmqtt/codec/packet.hpp"
#include "sansmqtt/codec/packet_type.hpp"
#include "sansmqtt/codec/properties.hpp"
#include "sansmqtt/codec/reason_code.hpp"
#include "sansmqtt/codec/topic.hpp"
#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/utf8.hpp"
#include "sansmqtt/wire/variable_byte_integer.hpp"
#include "sansmqtt/wire/writer.hpp"

namespace sansmqtt {

namespace detail {

// ---- Sizes ---------------------------------------------------------------------------------

class size_counter {
public:
    constexpr void add(std::size_t n) noexcept { total_ += n; }
    // A length-prefixed field (UTF-8 string or Binary Data).
    constexpr void field(std::size_t n, errc too_long = errc::field_too_long) noexcept {
        if (n > largest_field_size) fail(too_long);
        total_ += 2 + n;
    }
    // A Property Length and its block (5.0 only; nothing in 3.1.1).
    constexpr void block(const properties& p, protocol_version v) noexcept {
        if (!is_v5(v)) return;
        const std::size_t n = p.wire().size();
        if (n > largest_variable_byte_integer) return fail(errc::field_too_long);
        total_ += variable_byte_integer_size(static_cast<std::uint32_t>(n)) + n;
    }
    constexpr result<std::uint32_t> remaining_length() const noexcept {
        if (failed_) return make_error(failure_, 0);
        if (total_ > largest_variable_byte_integer) return make_error(errc::packet_too_large, 0);
        return static_cast<std::uint32_t>(total_);
    }

private:
    constexpr void fail(errc code) noexcept {
        if (!failed_) failure_ = code;
        failed_ = true;
    }
    std::uint64_t total_ = 0;
    bool failed_ = false;
    errc failure_{};
};

constexpr bool v5_ack_is_short(reason_code code, const properties& p) noexcept {
    return code == reason_code::success && p.empty();
}

constexpr result<std::uint32_t> body_size(const connect& c, protocol_version v) noexcept {
    size_counter n;
    n.add(v == protocol_version::v3_1 ? 2 + 6 : 2 + 4);  // Protocol Name
    n.add(1 + 1 + 2);                                    // level, flags, Keep Alive
    n.block(c.properties, v);
    n.field(c.client_id.size());
    if (c.will) {
        n.block(c.will->properties, v);
        n.field(c.will->topic.size(), errc::topic_too_long);
        n.field(c.will->payload.size());
    }
    if (c.username) n.field(c.username->size());
    if (c.password) n.field(c.password->size());
    return n.remaining_length();
}

constexpr result<std::uint32_t> body_size(const connack& c, protocol_version v) noexcept {
    size_counter n;
    n.add(2);
    n.block(c.properties, v);
    return n.remaining_length();
}

constexpr result<std::uint32_t> body_size(const publish& p, protocol_version v) noexcept {
    size_counter n;
    n.field(p.topic.size(), errc::topic_too_long);
    if (p.qos != qos::at_most_once) n.add(2);
    n.block(p.properties, v);
    n.add(p.payload.size());
    return n.remaining_length();
}

// The acknowledgement family (PUBACK, PUBREC, PUBREL, PUBCOMP) shares one size function and one
// body encoder, by packet type: the four templates below only forward to them.
constexpr result<std::uint32_t> ack_body_size(reason_code code, const properties& props, protocol_version v) noexcept {
    size_counter n;
    n.add(2);
    if (is_v5(v) && !v5_ack_is_short(code, props)) {
        n.add(1);
        if (!props.empty()) n.block(props, v);
    }
    return n.remaining_length();
}

template <packet_type T>
constexpr result<std::uint32_t> body_size(const publish_response<T>& a, protocol_version v) noexcept {
    return ack_body_size(a.reason_code, a.properties, v);
}

constexpr result<std::uint32_t> body_size(const subscribe& s, protocol_version v) noexcept {
    size_counter n;
    n.add(2);
    n.block(s.properties, v);
    for (const subscription& sub : s.subscriptions) {
        n.field(sub.topic_filter.size(), errc::topic_too_long);
        n.add(1);
    }
    return n.remaining_length();
}

constexpr result<std::uint32_t> body_size(const suback& a, protocol_version v) noexcept {
    size_counter n;
    n.add(2);
    n.block(a.properties, v);
    n.add(a.reason_codes.size());
    return n.remaining_length();
}

constexpr result<std::uint32_t> body_size(const unsubscribe& u, protocol_version v) noexcept {
    size_counter n;
    n.add(2);
    n.block(u.properties, v);
    for (const text_view filter : u.topic_filters) n.field(filter.size(), errc::topic_too_long);
    return n.remaining_length();
}

constexpr result<std::uint32_t> body_size(const unsuback& a, protocol_version v) noexcept {
    size_counter n;
    n.add(2);
    if (is_v5(v)) {
        n.block(a.properties, v);
        n.add(a.reason_codes.size());
    }
    return n.remaining_length();
}

template <packet_type T>
constexpr result<std::uint32_t> body_size(const empty_packet<T>&, protocol_version) noexcept {
    return std::uint32_t{0};
}

// DISCONNECT and AUTH.
constexpr result<std::uint32_t> body_size(const disconnect& d, protocol_version v) noexcept {
    size_counter n;
    if (is_v5(v) && !v5_ack_is_short(d.reason_code, d.properties)) {
        n.add(1);
        if (!d.properties.empty()) n.block(d.properties, v);
    }
    return n.remaining_length();
}
// AUTH always has a reason code and properties (the Authentication Method is required).
constexpr result<std::uint32_t> body_size(const auth& a, protocol_version v) noexcept {
    size_counter n;
    n.add(1);
    n.block(a.properties, v);
    return n.remaining_length();
}

// ---- Field writers that check the rules first ---------------------------------------------

constexpr error at(errc code, const byte_writer& w, std::size_t plus = 0) noexcept {
    return make_error(code, w.position() + plus, error_category::local);
}

constexpr result<void> put_utf8(byte_writer& w, const text_view& s) noexcept {
    if (s.size() > largest_field_size) return at(errc::field_too_long, w);
    if (auto ok = check_utf8(s.bytes()); !ok) return at(ok.error().code, w, 2 + ok.error().offset);
    w.write_utf8(s);
    return {};
}

constexpr result<void> put_binary(byte_writer& w, const bytes_view& b) noexcept {
    if (b.size() > largest_field_size) return at(errc::field_too_long, w);
    w.write_binary(b);
    return {};
}

constexpr result<void> put_topic_name(byte_writer& w, const text_view& name, bool allow_empty) noexcept {
    if (!(allow_empty && name.empty())) {
        if (auto ok = check_topic_name(name); !ok) return at(ok.error().code, w, ok.error().code == errc::topic_too_long ? 0 : 2 + ok.error().offset);
    }
    w.write_utf8(name);
    return {};
}

constexpr result<void> put_topic_filter(byte_writer& w, const text_view& filter, protocol_version v) noexcept {
    if (auto ok = check_topic_filter(filter, v); !ok) {
        return at(ok.error().code, w, ok.error().code == errc::topic_too_long ? 0 : 2 + ok.error().offset);
    }
    w.write_utf8(filter);
    return {};
}

constexpr result<void> put_properties(byte_writer& w, const properties& p, property_context where, sender from,
                                      protocol_version v) noexcept {
    const std::size_t n = p.wire().size();
    if (!is_v5(v)) {
        if (n != 0) return at(errc::version_unsupported, w);
        return {};
    }
    const std::size_t length_size = variable_byte_integer_size(static_cast<std::uint32_t>(n));
    if (auto ok = check_properties(p, where, from); !ok) {  // by masks when the block was checked once
        return at(ok.error().code, w, length_size + ok.error().offset);
    }
    w.write_variable_byte_integer(static_cast<std::uint32_t>(n));
    w.write_bytes(p.wire());
    return {};
}

constexpr result<void> put_packet_id(byte_writer& w, std::uint16_t id) noexcept {
    if (id == 0) return at(errc::packet_id_zero, w);
    w.write_u16(id);
    return {};
}

constexpr result<void> put_reason_code(byte_writer& w, packet_type t, reason_code code, protocol_version v,
                                       sender from) noexcept {
    const auto c = static_cast<std::uint8_t>(code);
    if (!is_allowed_reason_code(t, c, v, from)) return at(invalid_reason_code_errc(t), w);
    w.write_u8(c);
    return {};
}

// ---- Bodies -------------------------------------------------------------------------------

constexpr result<void> encode_body(byte_writer& w, const connect& c, protocol_version v, sender) noexcept {
    w.write_utf8(v == protocol_version::v3_1 ? text_view("MQIsdp") : text_view("MQTT"));
    w.write_u8(static_cast<std::uint8_t>(v));
    std::uint8_t flags = c.clean_start ? 0x02 : 0x00;
    if (c.will) {
        if (static_cast<std::uint8_t>(c.will->qos) > 2) return at(errc::will_qos_invalid, w);
        flags = static_cast<std::uint8_t>(flags | 0x04u | (static_cast<unsigned>(c.will->qos) << 3) |
                                          (c.will->retain ? 0x20u : 0u));
    }
    if (c.password) flags = static_cast<std::uint8_t>(flags | 0x40u);
    if (c.username) flags = static_cast<std::uint8_t>(flags | 0x80u);
    if (!is_v5(v) && c.password && !c.username) return at(errc::password_without_username, w);
    w.write_u8(flags);
    w.write_u16(c.keep_alive);
    if (auto ok = put_properties(w, c.properties, property_context::connect, sender::client, v); !ok) return ok;
    if (auto ok = put_utf8(w, c.client_id); !ok) return ok;
    if (c.will) {
        if (auto ok = put_properties(w, c.will->properties, property_context::will, sender::client, v); !ok) return ok;
        if (auto ok = put_topic_name(w, c.will->topic, false); !ok) return ok;
        if (auto ok = put_binary(w, c.will->payload); !ok) return ok;
    }
    if (c.username) {
        if (auto ok = put_utf8(w, *c.username); !ok) return ok;
    }
    if (c.password) {
        if (auto ok = put_binary(w, *c.password); !ok) return ok;
    }
    return {};
}

constexpr result<void> encode_body(byte_writer& w, const connack& c, protocol_version v, sender from) noexcept {
    if (c.session_present && c.reason_code != reason_code::success) return at(errc::session_present_with_error, w);
    w.write_u8(c.session_present ? 1 : 0);
    if (auto ok = put_reason_code(w, packet_type::connack, c.reason_code, v, from); !ok) return ok;
    return put_properties(w, c.properties, property_context::connack, from, v);
}

constexpr result<void> encode_body(byte_writer& w, const publish& p, protocol_version v, sender from) noexcept {
    // DUP, QoS and the Packet Identifier at QoS 0 were checked by first_byte().
    // An empty Topic Name needs a Topic Alias; only then is the property block searched.
    const bool alias = p.topic.empty() && is_v5(v) && p.properties.topic_alias().has_value();
    if (p.topic.empty() && !alias) return at(errc::topic_empty, w);
    if (auto ok = put_topic_name(w, p.topic, alias); !ok) return ok;
    if (p.qos != qos::at_most_once) {
        if (auto ok = put_packet_id(w, p.packet_id); !ok) return ok;
    }
    if (auto ok = put_properties(w, p.properties, property_context::publish, from, v); !ok) return ok;
    w.write_bytes(p.payload);
    return {};
}

constexpr result<void> encode_ack_body(byte_writer& w, packet_type t, std::uint16_t packet_id, reason_code code,
                                       const properties& props, protocol_version v, sender from) noexcept {
    if (auto ok = put_packet_id(w, packet_id); !ok) return ok;
    if (!is_v5(v)) {
        if (code != reason_code::success) return at(invalid_reason_code_errc(t), w);
        return put_properties(w, props, property_context::puback, from, v);
    }
    if (v5_ack_is_short(code, props)) return {};
    if (auto ok = put_reason_code(w, t, code, v, from); !ok) return ok;
    if (props.empty()) return {};
    const auto where = static_cast<property_context>(static_cast<unsigned>(t) - static_cast<unsigned>(packet_type::puback) +
                                                     static_cast<unsigned>(property_context::puback));
    return put_properties(w, props, where, from, v);
}

template <packet_type T>
constexpr result<void> encode_body(byte_writer& w, const publish_response<T>& a, protocol_version v,
                                   sender from) noexcept {
    return encode_ack_body(w, T, a.packet_id, a.reason_code, a.properties, v, from);
}

// The four acknowledgements as one type, so that encode() and encoded_size() are instantiated
// once for the family rather than once per packet type.
struct ack_view {
    packet_type type;
    std::uint16_t packet_id;
    reason_code code;
    const properties* props;
};

template <packet_type T>
constexpr ack_view view_of(const publish_response<T>& a) noexcept {
    return ack_view{T, a.packet_id, a.reason_code, &a.properties};
}

template <class P>
inline constexpr bool is_ack = false;
template <packet_type T>
inline constexpr bool is_ack<publish_response<T>> = true;

constexpr result<std::uint32_t> body_size(const ack_view& a, protocol_version v) noexcept {
    return ack_body_size(a.code, *a.props, v);
}
constexpr result<void> encode_body(byte_writer& w, const ack_view& a, protocol_version v, sender from) noexcept {
    return encode_ack_body(w, a.type, a.packet_id, a.code, *a.props, v, from);
}

// The packet type of a packet struct (of an ack_view: the one it stands for).
template <class P>
constexpr packet_type type_of_struct(const P&) noexcept {
    return packet_type_of<P>;
}
constexpr packet_type type_of_struct(const ack_view& a) noexcept { return a.type; }

constexpr result<void> encode_body(byte_writer& w, const subscribe& s, protocol_version v, sender from) noexcept {
    if (auto ok = put_packet_id(w, s.packet_id); !ok) return ok;
    if (auto ok = put_properties(w, s.properties, property_context::subscribe, from, v); !ok) return ok;
    if (s.subscriptions.empty()) return at(errc::subscribe_empty, w);
    for (const subscription& sub : s.subscriptions) {
        if (auto ok = put_topic_filter(w, sub.topic_filter, v); !ok) return ok;
        if (static_cast<std::uint8_t>(sub.qos) > 2) return at(errc::subscription_qos_invalid, w);
        if (is_v5(v)) {
            if (static_cast<std::uint8_t>(sub.retain_handling) > 2) return at(errc::retain_handling_invalid, w);
            if (sub.no_local && parse_shared_subscription(sub.topic_filter)) {
                return at(errc::shared_subscription_no_local, w);
            }
        } else if (sub.no_local || sub.retain_as_published || sub.retain_handling != retain_handling::send_on_subscribe) {
            return at(errc::subscription_options_reserved, w);
        }
        w.write_u8(sub.options());
    }
    return {};
}

template <class Ack>
constexpr result<void> encode_subscribe_response(byte_writer& w, const Ack& a, packet_type t, protocol_version v,
                                                 sender from) noexcept {
    if (auto ok = put_packet_id(w, a.packet_id); !ok) return ok;
    if (t == packet_type::unsuback && !is_v5(v)) {
        if (!a.reason_codes.empty()) return at(errc::version_unsupported, w);
        return put_properties(w, a.properties, property_context::unsuback, from, v);
    }
    const auto where = t == packet_type::suback ? property_context::suback : property_context::unsuback;
    if (auto ok = put_properties(w, a.properties, where, from, v); !ok) return ok;
    if (a.reason_codes.empty()) {
        return at(t == packet_type::suback ? errc::suback_reason_codes_missing : errc::unsuback_reason_codes_missing, w);
    }
    for (const reason_code code : a.reason_codes) {
        if (auto ok = put_reason_code(w, t, code, v, from); !ok) return ok;
    }
    return {};
}

constexpr result<void> encode_body(byte_writer& w, const suback& a, protocol_version v, sender from) noexcept {
    return encode_subscribe_response(w, a, packet_type::suback, v, from);
}

constexpr result<void> encode_body(byte_writer& w, const unsuback& a, protocol_version v, sender from) noexcept {
    return encode_subscribe_response(w, a, packet_type::unsuback, v, from);
}

constexpr result<void> encode_body(byte_writer& w, const unsubscribe& u, protocol_version v, sender from) noexcept {
    if (auto ok = put_packet_id(w, u.packet_id); !ok) return ok;
    if (auto ok = put_properties(w, u.properties, property_context::unsubscribe, from, v); !ok) return ok;
    if (u.topic_filters.empty()) return at(errc::unsubscribe_empty, w);
    for (const text_view filter : u.topic_filters) {
        if (auto ok = put_topic_filter(w, filter, v); !ok) return ok;
    }
    return {};
}

template <packet_type T>
constexpr result<void> encode_body(byte_writer&, const empty_packet<T>&, protocol_version, sender) noexcept {
    return {};
}

constexpr result<void> encode_body(byte_writer& w, const disconnect& d, protocol_version v, sender from) noexcept {
    if (!is_v5(v)) {
        if (d.reason_code != reason_code::normal_disconnection) return at(errc::disconnect_reason_code_invalid, w);
        return put_properties(w, d.properties, property_context::disconnect, from, v);
    }
    if (v5_ack_is_short(d.reason_code, d.properties)) return {};
    if (auto ok = put_reason_code(w, packet_type::disconnect, d.reason_code, v, from); !ok) return ok;
    if (d.properties.empty()) return {};
    return put_properties(w, d.properties, property_context::disconnect, from, v);
}

constexpr result<void> encode_body(byte_writer& w, const auth& a, protocol_version v, sender from) noexcept {
    if (!is_v5(v)) return at(errc::version_unsupported, w);
    if (!is_allowed_reason_code(packet_type::auth, static_cast<std::uint8_t>(a.reason_code), v, from)) {
        return at(errc::auth_reason_code_invalid, w);
    }
    // Reported where the property block starts, after the reason code, as decode() reports it.
    if (!a.properties.authentication_method()) return at(errc::authentication_method_missing, w, 1);
    w.write_u8(static_cast<std::uint8_t>(a.reason_code));
    return put_properties(w, a.properties, property_context::auth, from, v);
}

// ---- Fixed header --------------------------------------------------------------------------

template <class P>
constexpr result<std::uint8_t> first_byte(const P& p) noexcept {
    const packet_type t = type_of_struct(p);
    auto type_bits = static_cast<std::uint8_t>(static_cast<unsigned>(t) << 4);
    if constexpr (std::is_same_v<P, publish>) {
        const auto q = static_cast<std::uint8_t>(p.qos);
        if (q > 2) return make_error(errc::publish_qos_invalid, 0, error_category::local);
        if (p.qos == qos::at_most_once && p.dup) return make_error(errc::publish_dup_at_qos0, 0, error_category::local);
        if (p.qos == qos::at_most_once && p.packet_id != 0) {
            return make_error(errc::packet_id_at_qos0, 0, error_category::local);
        }
        return static_cast<std::uint8_t>(type_bits | (p.dup ? 0x08u : 0u) | (unsigned{q} << 1) | (p.retain ? 0x01u : 0u));
    } else {
        (void)p;
        if (t == packet_type::pubrel || t == packet_type::subscribe || t == packet_type::unsubscribe) {
            type_bits = static_cast<std::uint8_t>(type_bits | 0x02u);
        }
        return type_bits;
    }
}

template <class P>
constexpr protocol_version version_for(const P& p, protocol_version v) noexcept {
    if constexpr (std::is_same_v<P, connect>) {
        (void)v;
        return p.protocol_version;
    } else {
        (void)p;
        return v;
    }
}

constexpr bool is_known_version(protocol_version v) noexcept {
    return v == protocol_version::v3_1 || v == protocol_version::v3_1_1 || v == protocol_version::v5;
}

constexpr error finish_error(error e, protocol_version v) noexcept {
    e.version = v;
    e.category = e.code == errc::buffer_too_small ? error_category::resource : error_category::local;
    return e;
}

// Calls f(alternative) for the packet's alternative, without std::visit (which may throw).
template <class F>
constexpr decltype(auto) visit_packet(const packet& p, F&& f) noexcept {
    switch (p.index()) {
        case 0: return f(*std::get_if<0>(&p));
        case 1: return f(*std::get_if<1>(&p));
        case 2: return f(*std::get_if<2>(&p));
        case 3: return f(*std::get_if<3>(&p));
        case 4: return f(*std::get_if<4>(&p));
        case 5: return f(*std::get_if<5>(&p));
        case 6: return f(*std::get_if<6>(&p));
        case 7: return f(*std::get_if<7>(&p));
        case 8: return f(*std::get_if<8>(&p));
        case 9: return f(*std::get_if<9>(&p));
        case 10: return f(*std::get_if<10>(&p));
        case 11: return f(*std::get_if<11>(&p));
        case 12: return f(*std::get_if<12>(&p));
        case 13: return f(*std::get_if<13>(&p));
        default: return f(*std::get_if<14>(&p));
    }
}

}  // namespace detail

// Bytes needed to encode `p`: fixed header plus Remaining Length.
template <class P>
constexpr result<std::size_t> encoded_size(const P& p, protocol_version version) noexcept {
    if constexpr (detail::is_ack<P>) {
        return encoded_size(detail::view_of(p), version);
    }
    const protocol_version v = detail::version_for(p, version);
    if (!detail::is_known_version(v)) return detail::finish_error(make_error(errc::version_unsupported, 0), v);
    if (!is_compiled_in(v)) return detail::finish_error(make_error(errc::version_compiled_out, 0), v);
    const auto body = detail::body_size(p, v);
    if (!body) return detail::finish_error(body.error(), v);
    return std::size_t{1} + variable_byte_integer_size(*body) + *body;
}

constexpr result<std::size_t> encoded_size(const packet& p, protocol_version version) noexcept {
    return detail::visit_packet(p, [version](const auto& alternative) { return encoded_size(alternative, version); });
}

// Encodes `p` into `out` and returns the number of bytes written.
template <class P>
constexpr result<std::size_t> encode(const P& p, mutable_bytes out, protocol_version version,
                                     sender from = sender::any) noexcept {
    if constexpr (detail::is_ack<P>) {
        return encode(detail::view_of(p), out, version, from);
    }
    const protocol_version v = detail::version_for(p, version);
    if (!detail::is_known_version(v)) return detail::finish_error(make_error(errc::version_unsupported, 0), v);
    if (!is_compiled_in(v)) return detail::finish_error(make_error(errc::version_compiled_out, 0), v);
    const packet_type t = detail::type_of_struct(p);
    if (!is_defined(static_cast<std::uint8_t>(t), v)) return detail::finish_error(make_error(errc::version_unsupported, 0), v);
    if (!may_send(t, from, v)) return detail::finish_error(make_error(errc::packet_direction_invalid, 0), v);
    const auto first = detail::first_byte(p);
    if (!first) return detail::finish_error(first.error(), v);
    const auto body = detail::body_size(p, v);
    if (!body) return detail::finish_error(body.error(), v);
    const std::size_t total = 1 + variable_byte_integer_size(*body) + *body;
    if (out.size() < total) return detail::finish_error(make_error(errc::buffer_too_small, 0), v);

    byte_writer w(out);
    w.write_u8(*first);
    w.write_variable_byte_integer(*body);
    if (auto ok = detail::encode_body(w, p, v, from); !ok) return detail::finish_error(ok.error(), v);
    // body_size() and encode_body() agree on every field; the writer never runs out of room.
    if (w.overflowed() || w.position() != total) {
        return detail::finish_error(make_error(errc::buffer_too_small, w.position()), v);
    }
    return total;
}

constexpr result<std::size_t> encode(const packet& p, mutable_bytes out, protocol_version version,
                                     sender from = sender::any) noexcept {
    return detail::visit_packet(p, [&](const auto& alternative) { return encode(alternative, out, version, from); });
}

}  // namespace sansmqtt
