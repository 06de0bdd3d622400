// fuzz_properties: check_properties(), the lazy view and property_builder on a raw block.
//
// Input: byte 0 the context (property_context, value % 14), byte 1 the sender (value % 3: any,
// client, server), then the property block (the bytes after a Property Length).
//
// Any block: walking the view stays inside it. A block check_properties() refuses: the error
// points inside it. A block it accepts: the rules hold when re-derived from the walk, the builder
// fed the walked properties writes the same bytes, and a 5.0 packet carrying the block in that
// place encodes and decodes back to the same block.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

constexpr std::size_t context_count = 14;

// The rules of check_properties(), derived again from the walk of an accepted block.
void rules_hold(const properties& props, property_context where, sender from) {
    std::array<std::size_t, 256> counts{};
    for (const property& p : props) {
        require(is_allowed(p.id, where));
        ++counts[static_cast<std::uint8_t>(p.id)];
        switch (p.id) {
            case property_id::receive_maximum:
            case property_id::maximum_packet_size:
            case property_id::topic_alias:
            case property_id::subscription_identifier: require(p.integer != 0); break;
            case property_id::response_topic: require(check_topic_name(p.string).has_value()); break;
            default: break;
        }
        if (p.type() == property_type::byte) require(p.integer <= 1);
    }
    for (std::size_t id = 0; id < counts.size(); ++id) {
        const bool may_repeat = id == static_cast<std::uint8_t>(property_id::user_property) ||
                                (id == static_cast<std::uint8_t>(property_id::subscription_identifier) &&
                                 where == property_context::publish);
        if (!may_repeat) require(counts[id] <= 1);
    }
    if (props.authentication_data()) require(props.authentication_method().has_value());
    if (where == property_context::publish && from == sender::client) require(!props.subscription_identifier());
    if (where == property_context::disconnect && from == sender::server) require(!props.session_expiry_interval());
}

// The block in its place in a 5.0 packet: it encodes, and decodes back to the same bytes.
void in_a_packet(const properties& props, property_context where, sender from) {
    using pc = property_context;
    static constexpr subscription subs[] = {{text_view("t")}};
    static constexpr text_view filters[] = {text_view("t")};
    static constexpr reason_code codes[] = {reason_code::success};
    packet p;
    sender by = from;
    switch (where) {
        case pc::connect: {
            connect c;
            c.client_id = "c";
            c.properties = props;
            p = c;
            by = sender::client;
            break;
        }
        case pc::will: {
            will_message w;
            w.topic = "t";
            w.properties = props;
            connect c;
            c.will = w;
            c.properties = properties();
            p = c;
            by = sender::client;
            break;
        }
        case pc::connack: p = connack{false, reason_code::success, props}; by = sender::server; break;
        case pc::publish: {
            publish pub;
            pub.topic = "t";
            pub.qos = qos::at_least_once;
            pub.packet_id = 1;
            pub.properties = props;
            p = pub;
            break;
        }
        case pc::puback: p = puback{1, reason_code::success, props}; break;
        case pc::pubrec: p = pubrec{1, reason_code::success, props}; break;
        case pc::pubrel: p = pubrel{1, reason_code::success, props}; break;
        case pc::pubcomp: p = pubcomp{1, reason_code::success, props}; break;
        case pc::subscribe: p = subscribe{1, subscription_list(subs), props}; by = sender::client; break;
        case pc::suback: p = suback{1, reason_code_list(codes), props}; by = sender::server; break;
        case pc::unsubscribe: p = unsubscribe{1, topic_filter_list(filters), props}; by = sender::client; break;
        case pc::unsuback: p = unsuback{1, reason_code_list(codes), props}; by = sender::server; break;
        case pc::disconnect: p = disconnect{reason_code::normal_disconnection, props}; break;
        case pc::auth: p = auth{reason_code::continue_authentication, props}; break;
    }
    const auto size = encoded_size(p, protocol_version::v5);
    require(size.has_value());
    std::vector<std::uint8_t> out(*size);
    const auto written = encode(p, span(out), protocol_version::v5, by);
    if (where == pc::auth && !props.authentication_method()) {
        // AUTH needs an Authentication Method, which is a packet rule, not a block rule.
        require(!written.has_value() && written.error().code == errc::authentication_method_missing);
        return;
    }
    require(written.has_value() && *written == *size);
    const auto decoded = decode(view(out), protocol_version::v5, by);
    require(decoded.has_value());
    require(*decoded == p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto where = static_cast<property_context>(data[0] % context_count);
    const auto from = static_cast<sender>(data[1] % 3);
    const properties props(bytes_view(data + 2, size - 2));

    // Unchecked bytes: the view stays inside the block.
    walk(props, false);

    const auto checked = check_properties(props, where, from);
    if (!checked) {
        const error& e = checked.error();
        require(e.offset <= props.wire().size());
        require(e.name() != "unknown");
        return 0;
    }
    walk(props, true);
    rules_hold(props, where, from);
    rebuild_must_match(props);
    in_a_packet(props, where, from);
    return 0;
}
