// sansmqtt: decoding one control packet.
//
//   decode(bytes, version, from) -> result<packet>
//
// `bytes` must hold exactly one whole packet (use frame() or framer to find it). Every wire rule of
// the version is checked; `from` names the sender for the rules that depend on direction. A CONNECT
// is decoded by the protocol level inside it, whatever `version` says. The packet's fields are views
// into `bytes`. On failure the error names the rule, its byte offset in `bytes`, and the reason code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/codec/framer.hpp"
#include "sansmqtt/codec/packet.hpp"
#include "sansmqtt/codec/packet_type.hpp"
#include "sansmqtt/codec/properties.hpp"
#include "sansmqtt/codec/reason_code.hpp"
#include "sansmqtt/codec/topic.hpp"
#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/reader.hpp"

namespace sansmqtt {

namespace detail {

inline constexpr text_view protocol_name_mqtt = "MQTT";
inline constexpr text_view protocol_name_mqisdp = "MQIsdp";

// Reads a Property Length and the block it announces, and checks the block.
constexpr result<properties> read_properties(byte_reader& r, property_context where, sender from) noexcept {
    const std::size_t at = r.position();
    if (r.at_end()) return make_error(errc::property_length_missing, at);
    const auto length = r.read_variable_byte_integer(true);
    if (!length) {
        return make_error(length.error().code == errc::truncated ? errc::property_length_invalid : length.error().code, at);
    }
    if (*length > r.remaining()) return make_error(errc::property_length_invalid, at);
    const std::size_t begin = r.position();
    detail::property_index index;
    if (auto ok = check_properties(r.input(), begin, begin + *length, where, from, &index); !ok) return ok.error();
    return properties(*r.read_bytes(*length), index);
}

constexpr result<std::uint16_t> read_packet_id(byte_reader& r) noexcept {
    const std::size_t at = r.position();
    const auto id = r.read_u16();
    if (!id) return id.error();
    if (*id == 0) return make_error(errc::packet_id_zero, at);
    return id;
}

constexpr result<void> expect_end(const byte_reader& r) noexcept {
    if (!r.at_end()) return make_error(errc::trailing_bytes, r.position());
    return {};
}

constexpr result<void> check_reason_code(packet_type t, std::uint8_t code, std::size_t at, protocol_version v,
                                         sender from) noexcept {
    if (!is_allowed_reason_code(t, code, v, from)) return make_error(invalid_reason_code_errc(t), at);
    return {};
}

// Reads a Will Topic: a UTF-8 Topic Name, not empty, checked in one pass. (A PUBLISH reads its
// Topic Name in decode_publish_into(), where 5.0 allows it empty with a Topic Alias.)
constexpr result<text_view> read_will_topic(byte_reader& r) noexcept {
    const std::size_t at = r.position();
    const auto name = r.read_utf8(false);  // the length; the text is checked below
    if (!name) return name;
    if (name->empty()) return make_error(errc::topic_empty, at + 2);
    if (auto ok = check_utf8_without_wildcards(name->bytes(), errc::topic_name_wildcard); !ok) {
        return make_error(ok.error().code, at + 2 + ok.error().offset);
    }
    return name;
}

constexpr result<text_view> read_topic_filter(byte_reader& r, protocol_version v) noexcept {
    const std::size_t at = r.position();
    const auto filter = r.read_utf8();
    if (!filter) return filter;
    if (auto ok = check_topic_filter_syntax(*filter, v); !ok) {
        return make_error(ok.error().code, at + 2 + ok.error().offset);
    }
    return filter;
}

constexpr error with_version(error e, protocol_version v) noexcept {
    e.version = v;
    return e;
}

constexpr result<packet> decode_connect(const bytes_view& in, const fixed_header& h, protocol_version asked) noexcept {
    byte_reader r(in, h.size, in.size());
    const auto fail = [&](const sansmqtt::error& e, protocol_version v) { return with_version(e, v); };

    const auto name = r.read_utf8();
    if (!name) return fail(name.error(), asked);
    const std::size_t level_at = r.position();
    const auto level = r.read_u8();
    if (!level) return fail(level.error(), asked);

    protocol_version v = asked;
    if (*name == protocol_name_mqtt) {
        if (*level != 4 && *level != 5) return fail(make_error(errc::protocol_version_unsupported, level_at), asked);
        v = static_cast<protocol_version>(*level);
    } else if (*name == protocol_name_mqisdp) {
        if (*level != 3) return fail(make_error(errc::protocol_version_unsupported, level_at), asked);
        v = protocol_version::v3_1;
    } else {
        return fail(make_error(errc::protocol_name_invalid, h.size), asked);
    }
    if (!is_compiled_in(v)) return fail(make_error(errc::version_compiled_out, level_at), asked);
    if (h.flags != 0) return fail(make_error(errc::reserved_flags_invalid, 0), v);

    // Fields are collected first and the CONNECT is built at the end: std::optional can be
    // constructed, but not assigned, in a C++17 constant expression.
    const std::size_t flags_at = r.position();
    const auto flags = r.read_u8();
    if (!flags) return fail(flags.error(), v);
    const bool will_flag = (*flags & 0x04u) != 0;
    const auto will_qos = static_cast<std::uint8_t>((*flags >> 3) & 0x03u);
    const bool will_retain = (*flags & 0x20u) != 0;
    const bool password_flag = (*flags & 0x40u) != 0;
    const bool username_flag = (*flags & 0x80u) != 0;
    if ((*flags & 0x01u) != 0) return fail(make_error(errc::connect_reserved_flag, flags_at), v);
    if (!will_flag && will_qos != 0) return fail(make_error(errc::will_qos_without_will, flags_at), v);
    if (!will_flag && will_retain) return fail(make_error(errc::will_retain_without_will, flags_at), v);
    if (will_flag && will_qos == 3) return fail(make_error(errc::will_qos_invalid, flags_at), v);
    if (!is_v5(v) && password_flag && !username_flag) {
        return fail(make_error(errc::password_without_username, flags_at), v);
    }

    const auto keep_alive = r.read_u16();
    if (!keep_alive) return fail(keep_alive.error(), v);

    properties props;
    if (is_v5(v)) {
        const auto p = read_properties(r, property_context::connect, sender::client);
        if (!p) return fail(p.error(), v);
        props = *p;
    }

    // Payload, in the order of [MQTT-3.1.3-1].
    if (r.at_end()) return fail(make_error(errc::client_id_missing, r.position()), v);
    const auto client_id = r.read_utf8();
    if (!client_id) return fail(client_id.error(), v);

    will_message w;
    if (will_flag) {
        w.qos = static_cast<sansmqtt::qos>(will_qos);
        w.retain = will_retain;
        if (r.at_end()) return fail(make_error(errc::will_missing, r.position()), v);
        if (is_v5(v)) {
            const auto p = read_properties(r, property_context::will, sender::client);
            if (!p) return fail(p.error(), v);
            w.properties = *p;
            if (r.at_end()) return fail(make_error(errc::will_missing, r.position()), v);
        }
        const auto topic = read_will_topic(r);
        if (!topic) return fail(topic.error(), v);
        w.topic = *topic;
        if (r.at_end()) return fail(make_error(errc::will_missing, r.position()), v);
        const auto payload = r.read_binary();
        if (!payload) return fail(payload.error(), v);
        w.payload = *payload;
    }
    text_view username;
    if (username_flag) {
        if (r.at_end()) return fail(make_error(errc::username_missing, r.position()), v);
        const auto u = r.read_utf8();
        if (!u) return fail(u.error(), v);
        username = *u;
    }
    bytes_view password;
    if (password_flag) {
        if (r.at_end()) return fail(make_error(errc::password_missing, r.position()), v);
        const auto p = r.read_binary();
        if (!p) return fail(p.error(), v);
        password = *p;
    }
    if (!r.at_end()) {
        const errc code = !username_flag && !password_flag ? errc::username_unexpected
                          : !password_flag                 ? errc::password_unexpected
                                                           : errc::trailing_bytes;
        return fail(make_error(code, r.position()), v);
    }
    return result<packet>(std::in_place, connect{
        v,
        (*flags & 0x02u) != 0,
        *keep_alive,
        *client_id,
        will_flag ? std::optional<will_message>(w) : std::optional<will_message>(),
        username_flag ? std::optional<text_view>(username) : std::optional<text_view>(),
        password_flag ? std::optional<bytes_view>(password) : std::optional<bytes_view>(),
        props,
    });
}

constexpr result<packet> decode_connack(byte_reader& r, protocol_version v) noexcept {
    connack c;
    const std::size_t flags_at = r.position();
    const auto flags = r.read_u8();
    if (!flags) return flags.error();
    if ((*flags & 0xFEu) != 0) return make_error(errc::connack_flags_reserved, flags_at);
    c.session_present = (*flags & 0x01u) != 0;
    const std::size_t code_at = r.position();
    const auto code = r.read_u8();
    if (!code) return code.error();
    if (auto ok = check_reason_code(packet_type::connack, *code, code_at, v, sender::server); !ok) return ok.error();
    c.reason_code = static_cast<reason_code>(*code);
    if (c.session_present && *code != 0) return make_error(errc::session_present_with_error, flags_at);
    if (is_v5(v)) {
        const auto props = read_properties(r, property_context::connack, sender::server);
        if (!props) return props.error();
        c.properties = *props;
    }
    if (auto ok = expect_end(r); !ok) return ok.error();
    return result<packet>(std::in_place, c);
}

// Decodes the PUBLISH in[begin, end) (begin: the first byte after the fixed header `h`) into `p`,
// which the caller owns: the client and decode_publish_head() decode in place, with no packet
// variant. Reads the bytes directly, checks the Topic Name in one pass.
constexpr result<void> decode_publish_into(publish& p, const bytes_view& in, std::size_t begin, std::size_t end,
                                           const fixed_header& h, protocol_version v, sender from) noexcept {
    const auto q = static_cast<std::uint8_t>((h.flags >> 1) & 0x03u);
    if (q == 3) return make_error(errc::publish_qos_invalid, 0);
    p.qos = static_cast<sansmqtt::qos>(q);
    p.dup = (h.flags & 0x08u) != 0;
    p.retain = (h.flags & 0x01u) != 0;
    if (p.qos == qos::at_most_once && p.dup) return make_error(errc::publish_dup_at_qos0, 0);

    // Topic Name. An empty one is reported at its length field, as encode() does.
    const std::size_t topic_at = begin;
    if (end - topic_at < 2) return make_error(errc::truncated, topic_at);
    const std::size_t length = std::size_t{in[topic_at]} << 8 | in[topic_at + 1];
    std::size_t pos = topic_at + 2;
    if (end - pos < length) return make_error(errc::truncated, topic_at);
    p.topic = text_view(in.subview(pos, length));
    if (length != 0) {
        if (auto ok = check_utf8_without_wildcards(p.topic.bytes(), errc::topic_name_wildcard); !ok) {
            return make_error(ok.error().code, pos + ok.error().offset);
        }
    } else if (!is_v5(v)) {
        return make_error(errc::topic_empty, topic_at);
    }
    pos += length;
    if (p.qos != qos::at_most_once) {
        if (end - pos < 2) return make_error(errc::truncated, pos);
        p.packet_id = static_cast<std::uint16_t>(in[pos] << 8 | in[pos + 1]);
        if (p.packet_id == 0) return make_error(errc::packet_id_zero, pos);
        pos += 2;
    }
    byte_reader r(in, pos, end);
    if (is_v5(v)) {
        const auto props = read_properties(r, property_context::publish, from);
        if (!props) return props.error();
        p.properties = *props;
        // An empty Topic Name is valid only with a Topic Alias.
        if (p.topic.empty() && !p.properties.topic_alias()) return make_error(errc::topic_empty, topic_at);
    }
    p.payload = r.read_rest();
    return {};
}

constexpr result<packet> decode_publish(const bytes_view& in, const fixed_header& h, protocol_version v,
                                        sender from) noexcept {
    publish p;
    if (auto ok = decode_publish_into(p, in, h.size, in.size(), h, v, from); !ok) return ok.error();
    return result<packet>(std::in_place, p);
}

// The acknowledgement family (PUBACK, PUBREC, PUBREL, PUBCOMP): one decoder of the fields for the
// four, by packet type; the template only builds the packet type's struct around them.
constexpr result<void> decode_ack_fields(byte_reader& r, packet_type t, protocol_version v, sender from,
                                         std::uint16_t& packet_id, reason_code& code, properties& props) noexcept {
    const auto id = read_packet_id(r);
    if (!id) return id.error();
    packet_id = *id;
    if (is_v5(v) && !r.at_end()) {
        // Remaining Length 2: Success and no properties; 3: a reason code and no properties.
        const std::size_t code_at = r.position();
        const std::uint8_t c = *r.read_u8();
        if (auto ok = check_reason_code(t, c, code_at, v, from); !ok) return ok;
        code = static_cast<reason_code>(c);
        if (!r.at_end()) {
            const auto where = static_cast<property_context>(static_cast<unsigned>(t) -
                                                             static_cast<unsigned>(packet_type::puback) +
                                                             static_cast<unsigned>(property_context::puback));
            const auto p = read_properties(r, where, from);
            if (!p) return p.error();
            props = *p;
        }
    }
    return expect_end(r);
}

template <class Ack>
constexpr result<packet> decode_publish_response(byte_reader& r, protocol_version v, sender from) noexcept {
    Ack a;
    if (auto ok = decode_ack_fields(r, Ack::type, v, from, a.packet_id, a.reason_code, a.properties); !ok) {
        return ok.error();
    }
    return result<packet>(std::in_place, a);
}

constexpr result<packet> decode_subscribe(byte_reader& r, protocol_version v) noexcept {
    subscribe s;
    const auto id = read_packet_id(r);
    if (!id) return id.error();
    s.packet_id = *id;
    if (is_v5(v)) {
        const auto props = read_properties(r, property_context::subscribe, sender::client);
        if (!props) return props.error();
        s.properties = *props;
    }
    if (r.at_end()) return make_error(errc::subscribe_empty, r.position());
    const std::size_t payload_at = r.position();
    std::size_t count = 0;
    while (!r.at_end()) {
        const auto filter = read_topic_filter(r, v);
        if (!filter) return filter.error();
        const std::size_t options_at = r.position();
        const auto options = r.read_u8();
        if (!options) return options.error();
        const auto q = static_cast<std::uint8_t>(*options & 0x03u);
        if (is_v5(v)) {
            if ((*options & 0xC0u) != 0) return make_error(errc::subscription_options_reserved, options_at);
            if (q == 3) return make_error(errc::subscription_qos_invalid, options_at);
            if (((*options >> 4) & 0x03u) == 3) return make_error(errc::retain_handling_invalid, options_at);
            if ((*options & 0x04u) != 0 && parse_shared_subscription(*filter)) {
                return make_error(errc::shared_subscription_no_local, options_at);
            }
        } else {
            if ((*options & 0xFCu) != 0) return make_error(errc::subscription_options_reserved, options_at);
            if (q == 3) return make_error(errc::subscription_qos_invalid, options_at);
        }
        ++count;
    }
    s.subscriptions = subscription_list::from_wire(r.input().subview(payload_at, r.position() - payload_at), count);
    return result<packet>(std::in_place, s);
}

constexpr result<packet> decode_unsubscribe(byte_reader& r, protocol_version v) noexcept {
    unsubscribe u;
    const auto id = read_packet_id(r);
    if (!id) return id.error();
    u.packet_id = *id;
    if (is_v5(v)) {
        const auto props = read_properties(r, property_context::unsubscribe, sender::client);
        if (!props) return props.error();
        u.properties = *props;
    }
    if (r.at_end()) return make_error(errc::unsubscribe_empty, r.position());
    const std::size_t payload_at = r.position();
    std::size_t count = 0;
    while (!r.at_end()) {
        const auto filter = read_topic_filter(r, v);
        if (!filter) return filter.error();
        ++count;
    }
    u.topic_filters = topic_filter_list::from_wire(r.input().subview(payload_at, r.position() - payload_at), count);
    return result<packet>(std::in_place, u);
}

// SUBACK and UNSUBACK: a packet identifier, properties (5.0) and one reason code per filter.
template <class Ack>
constexpr result<packet> decode_subscribe_response(byte_reader& r, packet_type t, protocol_version v) noexcept {
    Ack a;
    const auto id = read_packet_id(r);
    if (!id) return id.error();
    a.packet_id = *id;
    if (t == packet_type::unsuback && !is_v5(v)) {
        if (auto ok = expect_end(r); !ok) return ok.error();
        return result<packet>(std::in_place, a);
    }
    if (is_v5(v)) {
        const auto where = t == packet_type::suback ? property_context::suback : property_context::unsuback;
        const auto props = read_properties(r, where, sender::server);
        if (!props) return props.error();
        a.properties = *props;
    }
    if (r.at_end()) {
        return make_error(t == packet_type::suback ? errc::suback_reason_codes_missing
                                                   : errc::unsuback_reason_codes_missing,
                          r.position());
    }
    const std::size_t payload_at = r.position();
    while (!r.at_end()) {
        const std::size_t at = r.position();
        if (auto ok = check_reason_code(t, *r.read_u8(), at, v, sender::server); !ok) return ok.error();
    }
    a.reason_codes = reason_code_list::from_wire(r.input().subview(payload_at), r.position() - payload_at);
    return result<packet>(std::in_place, a);
}

// DISCONNECT (5.0) and AUTH: Remaining Length 0 means reason code 0 and no properties. An AUTH
// always needs its Authentication Method [MQTT-4.12.0-5], so for AUTH that short form is refused
// (as the written-out form f0 02 00 00 is): 3.15.2.1 permits the form, 4.12.0-5 rules it out.
template <class P>
constexpr result<packet> decode_reason_and_properties(byte_reader& r, packet_type t, protocol_version v,
                                                      sender from) noexcept {
    P p;
    if (t == packet_type::auth && r.at_end()) return make_error(errc::authentication_method_missing, r.position());
    const std::size_t code_at = r.position();
    const std::uint8_t code = r.at_end() ? 0 : *r.read_u8();
    if (auto ok = check_reason_code(t, code, code_at, v, from); !ok) return ok.error();
    if (r.at_end() && code_at == r.position()) return result<packet>(std::in_place, p);
    p.reason_code = static_cast<reason_code>(code);
    const bool is_auth = t == packet_type::auth;
    // DISCONNECT may stop after the reason code; AUTH may not.
    if (!r.at_end() || is_auth) {
        const std::size_t props_at = r.position();
        const auto props =
            read_properties(r, is_auth ? property_context::auth : property_context::disconnect, from);
        if (!props) return props.error();
        p.properties = *props;
        if (is_auth && !p.properties.authentication_method()) {
            return make_error(errc::authentication_method_missing, props_at);
        }
    }
    if (auto ok = expect_end(r); !ok) return ok.error();
    return result<packet>(std::in_place, p);
}

// The flags a packet type must carry, or -1 for PUBLISH, whose flags carry DUP, QoS and RETAIN.
constexpr int required_flags(packet_type t) noexcept {
    switch (t) {
        case packet_type::publish: return -1;
        case packet_type::pubrel:
        case packet_type::subscribe:
        case packet_type::unsubscribe: return 0x02;
        default: return 0;
    }
}

constexpr errc flags_errc(packet_type t) noexcept {
    switch (t) {
        case packet_type::pubrel: return errc::pubrel_flags_invalid;
        case packet_type::subscribe: return errc::subscribe_flags_invalid;
        case packet_type::unsubscribe: return errc::unsubscribe_flags_invalid;
        case packet_type::disconnect: return errc::disconnect_flags_invalid;
        case packet_type::auth: return errc::auth_flags_invalid;
        default: return errc::reserved_flags_invalid;
    }
}

// `Only`: sender::any decodes every packet type; sender::server / sender::client compile in only
// the decoders of the packets that side may send (decode_from<>()). The caller has already
// refused a packet from the wrong side (may_send), so the cases left out are never reached.
template <sender Only = sender::any>
constexpr result<packet> decode_body(const bytes_view& in, const fixed_header& h, protocol_version v,
                                     sender from) noexcept {
    constexpr bool client_packets = Only != sender::server;  // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ
    constexpr bool server_packets = Only != sender::client;  // CONNACK, SUBACK, UNSUBACK, PINGRESP
    const int flags = required_flags(h.type);
    if (flags >= 0 && h.flags != flags) return make_error(flags_errc(h.type), 0);

    byte_reader r(in, h.size, in.size());
    switch (h.type) {
        case packet_type::connect: break;  // decoded by decode_connect()
        case packet_type::connack:
            if constexpr (server_packets) return decode_connack(r, v);
            break;
        case packet_type::publish: return decode_publish(in, h, v, from);
        case packet_type::puback: return decode_publish_response<puback>(r, v, from);
        case packet_type::pubrec: return decode_publish_response<pubrec>(r, v, from);
        case packet_type::pubrel: return decode_publish_response<pubrel>(r, v, from);
        case packet_type::pubcomp: return decode_publish_response<pubcomp>(r, v, from);
        case packet_type::subscribe:
            if constexpr (client_packets) return decode_subscribe(r, v);
            break;
        case packet_type::suback:
            if constexpr (server_packets) return decode_subscribe_response<suback>(r, packet_type::suback, v);
            break;
        case packet_type::unsubscribe:
            if constexpr (client_packets) return decode_unsubscribe(r, v);
            break;
        case packet_type::unsuback:
            if constexpr (server_packets) return decode_subscribe_response<unsuback>(r, packet_type::unsuback, v);
            break;
        case packet_type::pingreq:
            if constexpr (client_packets) {
                if (auto ok = expect_end(r); !ok) return ok.error();
                return result<packet>(std::in_place, pingreq{});
            }
            break;
        case packet_type::pingresp:
            if constexpr (server_packets) {
                if (auto ok = expect_end(r); !ok) return ok.error();
                return result<packet>(std::in_place, pingresp{});
            }
            break;
        case packet_type::disconnect:
            if (!is_v5(v)) {
                if (auto ok = expect_end(r); !ok) return ok.error();
                return result<packet>(std::in_place, disconnect{});
            }
            return decode_reason_and_properties<disconnect>(r, packet_type::disconnect, v, from);
        case packet_type::auth:
            if (is_v5(v)) return decode_reason_and_properties<auth>(r, packet_type::auth, v, from);
            break;  // 3.1.1: refused by frame() as a reserved type
    }
    return make_error(errc::packet_type_invalid, 0);
}

// decode_body() with the version in its error. One named result and one return: the packet is
// built once, in the caller's place.
template <sender Only>
constexpr result<packet> decode_body_versioned(const bytes_view& in, const fixed_header& h, protocol_version v,
                                               sender from) noexcept {
    result<packet> p = decode_body<Only>(in, h, v, from);
    p.set_error_version(v);
    return p;
}

// The packet `bytes` (exactly h.packet_size() bytes), whose fixed header frame() has read.
template <sender Only>
constexpr result<packet> decode_framed_packet(const bytes_view& bytes, const fixed_header& h, protocol_version version,
                                              sender from) noexcept {
    if (!may_send(h.type, from, version)) return with_version(make_error(errc::packet_direction_invalid, 0), version);
    // A CONNECT names its own version, and its errors carry it.
    if constexpr (Only != sender::server) {
        if (h.type == packet_type::connect) return decode_connect(bytes, h, version);
    }
    return decode_body_versioned<Only>(bytes, h, version, from);
}

template <sender Only>
constexpr result<packet> decode_packet(const bytes_view& bytes, protocol_version version, sender from) noexcept {
    const auto f = frame(bytes, largest_packet_size, version);
    if (!f) return with_version(f.error(), version);
    if (!f->complete) return with_version(make_error(errc::truncated, bytes.size()), version);
    if (f->header.packet_size() != bytes.size()) {
        return with_version(make_error(errc::trailing_bytes, f->header.packet_size()), version);
    }
    return decode_framed_packet<Only>(bytes, f->header, version, from);
}

}  // namespace detail

// Decodes the one packet that `bytes` holds. Errors: every rule of the version, `truncated` when
// `bytes` ends inside the packet, `trailing_bytes` when bytes follow it.
constexpr result<packet> decode(const bytes_view& bytes, protocol_version version,
                                sender from = sender::any) noexcept {
    return detail::decode_packet<sender::any>(bytes, version, from);
}

// decode(bytes, version, From), with only the decoders of the packets `From` may send compiled in:
// a client decodes with decode_from<sender::server>() and links no CONNECT, SUBSCRIBE or
// UNSUBSCRIBE decoder. Same results as decode() for every input.
template <sender From>
constexpr result<packet> decode_from(const bytes_view& bytes, protocol_version version) noexcept {
    static_assert(From != sender::any, "decode_from<> names the sender; decode() is for any sender");
    return detail::decode_packet<From>(bytes, version, From);
}

// decode() of a packet already framed by frame() or framer, so a stream is not framed twice: `h` is
// the header frame() returned for it and `bytes` its h.packet_size() bytes. `From` as in
// decode_from<>() (sender::any: every decoder).
template <sender From = sender::any>
constexpr result<packet> decode_framed(const bytes_view& bytes, const fixed_header& h, protocol_version version,
                                       sender from = From) noexcept {
    return detail::decode_framed_packet<From>(bytes, h, version, from);
}

// decode() of one PUBLISH, already framed, into `p` (no packet variant is built): what a receiver
// that handles PUBLISH apart from the rest uses. The same checks and errors as decode().
constexpr result<void> decode_publish(const bytes_view& bytes, const fixed_header& h, protocol_version version,
                                      sender from, publish& p) noexcept {
    if (!is_compiled_in(version)) return detail::with_version(make_error(errc::version_compiled_out, 0), version);
    if (h.type != packet_type::publish) return detail::with_version(make_error(errc::packet_type_invalid, 0), version);
    result<void> r = detail::decode_publish_into(p, bytes, h.size, bytes.size(), h, version, from);
    if (!r) return detail::with_version(r.error(), version);
    return r;
}

// The head of a PUBLISH: every field before the payload. A receiver whose buffer cannot hold a
// large PUBLISH decodes the head as soon as it has arrived and takes the payload in pieces.
struct publish_head {
    publish packet;         // all fields but the payload, which is empty here
    std::size_t size = 0;   // bytes from the packet's first byte to its payload; 0: more bytes are needed
    std::uint32_t payload_size = 0;
};

// Decodes the head of the PUBLISH whose fixed header is `h` from the first bytes of the packet
// (`received` may end anywhere; it may also hold the whole packet). The head is checked with every
// rule decode() applies to it; a head that runs past the Remaining Length is `truncated`.
constexpr result<publish_head> decode_publish_head(const bytes_view& received, const fixed_header& h,
                                                   protocol_version v, sender from = sender::any) noexcept {
    if (!is_compiled_in(v)) return detail::with_version(make_error(errc::version_compiled_out, 0), v);
    publish_head head;
    const std::size_t packet_size = h.packet_size();
    std::size_t pos = h.size;
    if (pos + 2 > packet_size) return detail::with_version(make_error(errc::truncated, packet_size), v);
    if (pos + 2 > received.size()) return head;
    pos += 2 + static_cast<std::size_t>((received[pos] << 8) | received[pos + 1]);
    if (((h.flags >> 1) & 0x03u) != 0) pos += 2;
    if (is_v5(v)) {
        if (pos > packet_size) return detail::with_version(make_error(errc::truncated, packet_size), v);
        const std::size_t upto = received.size() < packet_size ? received.size() : packet_size;
        if (pos >= upto) return head;
        const auto length = read_variable_byte_integer(received.subview(0, upto), pos, true);
        if (!length) return detail::with_version(length.error(), v);
        if (!length->complete()) return head;
        pos += length->length + std::size_t{length->value};
    }
    if (pos > packet_size) return detail::with_version(make_error(errc::truncated, packet_size), v);
    if (pos > received.size()) return head;
    if (auto ok = detail::decode_publish_into(head.packet, received, h.size, pos, h, v, from); !ok) {
        return detail::with_version(ok.error(), v);
    }
    head.size = pos;
    head.payload_size = static_cast<std::uint32_t>(packet_size - pos);
    return head;
}

}  // namespace sansmqtt
