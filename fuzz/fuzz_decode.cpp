// fuzz_decode: decode() on one packet, then the round trip.
//
// Input: one selector byte, then the packet. Selector bit 0: protocol version (0: 3.1.1, 1: 5.0);
// (selector >> 1) % 3: the sender (any, client, server).
//
// A refused packet must name a known error at an offset inside the input. An accepted packet must
// encode into exactly encoded_size() bytes, no more than it came in (encode() writes the shortest
// form the specification allows; the same size means the same bytes), decode again to an equal
// packet, and encode again to the same bytes. Every property block and every list of the packet
// is walked on the way.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

void walk_subscriptions(const subscription_list& list, protocol_version v) {
    std::size_t n = 0;
    for (const subscription& s : list) {
        require(check_topic_filter(s.topic_filter, v).has_value());
        require(static_cast<unsigned>(s.qos) <= 2);
        if (is_v5(v)) {
            require(static_cast<unsigned>(s.retain_handling) <= 2);
            require(!(s.no_local && parse_shared_subscription(s.topic_filter)));
        } else {
            require(!s.no_local && !s.retain_as_published && s.retain_handling == retain_handling::send_on_subscribe);
        }
        ++n;
    }
    require(n == list.size() && n > 0);
}

void walk_filters(const topic_filter_list& list, protocol_version v) {
    std::size_t n = 0;
    for (const text_view filter : list) {
        require(check_topic_filter(filter, v).has_value());
        ++n;
    }
    require(n == list.size() && n > 0);
}

void walk_codes(const reason_code_list& list, packet_type t, protocol_version v) {
    std::size_t n = 0;
    for (const reason_code code : list) {
        require(is_allowed_reason_code(t, static_cast<std::uint8_t>(code), v, sender::server));
        ++n;
    }
    require(n == list.size());
}

template <packet_type T>
void walk_ack(const publish_response<T>& a, protocol_version v, sender from) {
    require(a.packet_id != 0);
    require(is_allowed_reason_code(T, static_cast<std::uint8_t>(a.reason_code), v, from));
    const auto where = static_cast<property_context>(static_cast<unsigned>(T) - static_cast<unsigned>(packet_type::puback) +
                                                     static_cast<unsigned>(property_context::puback));
    checked_block(a.properties, where, from);
}

// Walks everything a decoded packet holds. `v` is the version the packet was decoded in.
void walk_packet(const packet& p, protocol_version v, sender from) {
    if (const auto* c = std::get_if<connect>(&p)) {
        require(check_utf8(c->client_id.bytes()).has_value());
        checked_block(c->properties, property_context::connect, sender::client);
        if (c->will) {
            require(check_topic_name(c->will->topic).has_value());
            require(static_cast<unsigned>(c->will->qos) <= 2);
            checked_block(c->will->properties, property_context::will, sender::client);
        }
        if (c->username) require(check_utf8(c->username->bytes()).has_value());
        if (!is_v5(c->protocol_version)) require(!(c->password && !c->username));
    } else if (const auto* ca = std::get_if<connack>(&p)) {
        checked_block(ca->properties, property_context::connack, sender::server);
    } else if (const auto* pub = std::get_if<publish>(&p)) {
        if (!pub->topic.empty()) require(check_topic_name(pub->topic).has_value());
        if (pub->topic.empty()) require(is_v5(v) && pub->properties.topic_alias().has_value());
        require((pub->qos == qos::at_most_once) == (pub->packet_id == 0));
        checked_block(pub->properties, property_context::publish, from);
        sink(check_payload_format(*pub).has_value() ? 1 : 0);
    } else if (const auto* a1 = std::get_if<puback>(&p)) {
        walk_ack(*a1, v, from);
    } else if (const auto* a2 = std::get_if<pubrec>(&p)) {
        walk_ack(*a2, v, from);
    } else if (const auto* a3 = std::get_if<pubrel>(&p)) {
        walk_ack(*a3, v, from);
    } else if (const auto* a4 = std::get_if<pubcomp>(&p)) {
        walk_ack(*a4, v, from);
    } else if (const auto* s = std::get_if<subscribe>(&p)) {
        require(s->packet_id != 0);
        walk_subscriptions(s->subscriptions, v);
        checked_block(s->properties, property_context::subscribe, sender::client);
    } else if (const auto* sa = std::get_if<suback>(&p)) {
        require(sa->packet_id != 0 && !sa->reason_codes.empty());
        walk_codes(sa->reason_codes, packet_type::suback, v);
        checked_block(sa->properties, property_context::suback, sender::server);
    } else if (const auto* u = std::get_if<unsubscribe>(&p)) {
        require(u->packet_id != 0);
        walk_filters(u->topic_filters, v);
        checked_block(u->properties, property_context::unsubscribe, sender::client);
    } else if (const auto* ua = std::get_if<unsuback>(&p)) {
        require(ua->packet_id != 0);
        require(is_v5(v) != ua->reason_codes.empty());
        walk_codes(ua->reason_codes, packet_type::unsuback, v);
        checked_block(ua->properties, property_context::unsuback, sender::server);
    } else if (const auto* d = std::get_if<disconnect>(&p)) {
        require(is_allowed_reason_code(packet_type::disconnect, static_cast<std::uint8_t>(d->reason_code), v, from));
        checked_block(d->properties, property_context::disconnect, from);
    } else if (const auto* au = std::get_if<auth>(&p)) {
        require(is_v5(v));
        require(is_allowed_reason_code(packet_type::auth, static_cast<std::uint8_t>(au->reason_code), v, from));
        checked_block(au->properties, property_context::auth, from);
    }
}

std::vector<std::uint8_t> encode_exact(const packet& p, protocol_version v, sender from) {
    const auto size = encoded_size(p, v);
    require(size.has_value());
    std::vector<std::uint8_t> out(*size);
    const auto written = encode(p, span(out), v, from);
    require(written.has_value());
    require(*written == *size);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const protocol_version v = (data[0] & 1u) != 0 ? protocol_version::v5 : protocol_version::v3_1_1;
    const auto from = static_cast<sender>((data[0] >> 1) % 3);
    const bytes_view in(data + 1, size - 1);

    const auto decoded = decode(in, v, from);
    // decode_from<>() links fewer decoders and gives the same answers.
    if (from != sender::any) {
        const auto only = from == sender::server ? decode_from<sender::server>(in, v) : decode_from<sender::client>(in, v);
        require(only.has_value() == decoded.has_value());
        if (!only) require(only.error() == decoded.error());
        if (only) require(*only == *decoded);
    }
    // decode_framed() and decode_publish() skip the framing that frame() did: same answers.
    if (const auto f = frame(in, largest_packet_size, v); f && f->complete && f->header.packet_size() == in.size()) {
        const auto framed = decode_framed(in, f->header, v, from);
        require(framed.has_value() == decoded.has_value());
        if (!framed) require(framed.error() == decoded.error());
        if (framed) require(*framed == *decoded);
        if (f->header.type == packet_type::publish) {
            publish p;
            const auto ok = decode_publish(in, f->header, v, from, p);
            require(ok.has_value() == decoded.has_value());
            if (!ok) require(ok.error() == decoded.error());
            if (ok) require(p == *std::get_if<publish>(&*decoded));
        }
    }
    if (!decoded) {
        const error& e = decoded.error();
        require(e.category == error_category::protocol);
        require(e.offset <= in.size());
        require(e.name() != "unknown");
        return 0;
    }
    const packet& p = *decoded;
    require(static_cast<unsigned>(type_of(p)) == (in[0] >> 4));
    // A CONNECT carries its own version; everything else is in the version asked for.
    const protocol_version pv = std::holds_alternative<connect>(p) ? std::get_if<connect>(&p)->protocol_version : v;
    walk_packet(p, pv, from);

    const std::vector<std::uint8_t> once = encode_exact(p, v, from);
    require(once.size() <= in.size());
    if (once.size() == in.size()) require(view(once) == in);

    const auto again = decode(view(once), v, from);
    require(again.has_value());
    require(*again == p);
    walk_packet(*again, pv, from);

    const std::vector<std::uint8_t> twice = encode_exact(*again, v, from);
    require(twice == once);
    return 0;
}
