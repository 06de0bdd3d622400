// Shared by the fuzz targets: the crash check, and the walk and rebuild of a property block.
//
// Fuzz targets may use the heap: buffers are std::vectors of the exact size a call may use, so
// that AddressSanitizer sees any byte written or read past the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "sansmqtt/sansmqtt.hpp"

namespace fuzz {

using namespace sansmqtt;

// A broken invariant is a crash, so that libFuzzer keeps the input.
inline void require(bool ok) {
    if (!ok) __builtin_trap();
}

inline bytes_view view(const std::vector<std::uint8_t>& b) { return bytes_view(b.data(), b.size()); }
inline mutable_bytes span(std::vector<std::uint8_t>& b) { return mutable_bytes(b.data(), b.size()); }

// Keeps values alive so that the optimiser cannot drop the reads that produce them.
inline void sink(std::size_t v) {
    static volatile std::size_t s;
    s = s + v;
}

template <class T, class Get>
void same_as_find(const std::optional<T>& typed, const std::optional<property>& found, Get get) {
    require(typed.has_value() == found.has_value());
    if (typed) require(*typed == get(*found));
}

// Walks a property block: iteration, the filtered views, count(), find() and every typed accessor,
// each checked against the plain iteration. On an unchecked block (`checked` false) the view
// checks lengths but not UTF-8, so the walk only has to stay inside the block and agree with itself.
inline void walk(const properties& props, bool checked) {
    std::vector<property> first;  // the first occurrence of each identifier, in wire order
    std::array<std::size_t, 256> counts{};
    std::size_t n = 0;
    for (const property& p : props) {
        const property_info* info = find_property_info(static_cast<std::uint8_t>(p.id));
        require(info != nullptr);
        require(p.type() == info->type);
        const auto id = static_cast<std::uint8_t>(p.id);
        if (counts[id] == 0) first.push_back(p);
        ++counts[id];
        ++n;
        sink(p.integer + p.string.size() + p.binary.size() + p.pair.name.size() + p.pair.value.size());
        switch (p.type()) {
            case property_type::byte: require(p.integer <= 0xFFu); break;
            case property_type::two_byte_integer: require(p.integer <= 0xFFFFu); break;
            case property_type::variable_byte_integer: require(p.integer <= largest_variable_byte_integer); break;
            case property_type::utf8_string: require(!checked || check_utf8(p.string.bytes()).has_value()); break;
            case property_type::utf8_string_pair:
                require(!checked || check_utf8(p.pair.name.bytes()).has_value());
                require(!checked || check_utf8(p.pair.value.bytes()).has_value());
                break;
            default: break;
        }
        require(n <= props.wire().size());  // every property takes at least two bytes
    }
    for (const property_info& info : detail::property_table) {
        const auto id = static_cast<std::uint8_t>(info.id);
        const auto found = props.find(info.id);
        require(found.has_value() == (counts[id] != 0));
        if (found) {
            const property* want = nullptr;
            for (const property& f : first) want = f.id == info.id ? &f : want;
            require(want != nullptr);
            require(found->id == info.id && found->integer == want->integer && found->string == want->string &&
                    found->binary == want->binary && found->pair == want->pair);
        }
        require(props.count(info.id) == counts[id]);
        std::size_t filtered = 0;
        for (const property& p : props.all(info.id)) {
            require(p.id == info.id);
            ++filtered;
        }
        require(filtered == counts[id]);
    }
    std::size_t users = 0;
    for (const property& p : props.user_properties()) {
        require(p.id == property_id::user_property);
        ++users;
    }
    require(users == counts[static_cast<std::uint8_t>(property_id::user_property)]);
    std::size_t ids = 0;
    for (const property& p : props.subscription_identifiers()) {
        require(p.id == property_id::subscription_identifier);
        ++ids;
    }
    require(ids == counts[static_cast<std::uint8_t>(property_id::subscription_identifier)]);

    using pi = property_id;
    const auto u8 = [](const property& p) { return static_cast<std::uint8_t>(p.integer); };
    const auto u16 = [](const property& p) { return static_cast<std::uint16_t>(p.integer); };
    const auto u32 = [](const property& p) { return p.integer; };
    const auto flag = [](const property& p) { return p.integer != 0; };
    const auto text = [](const property& p) { return p.string; };
    const auto bin = [](const property& p) { return p.binary; };
    same_as_find(props.payload_format_indicator(), props.find(pi::payload_format_indicator), u8);
    same_as_find(props.message_expiry_interval(), props.find(pi::message_expiry_interval), u32);
    same_as_find(props.content_type(), props.find(pi::content_type), text);
    same_as_find(props.response_topic(), props.find(pi::response_topic), text);
    same_as_find(props.correlation_data(), props.find(pi::correlation_data), bin);
    same_as_find(props.subscription_identifier(), props.find(pi::subscription_identifier), u32);
    same_as_find(props.session_expiry_interval(), props.find(pi::session_expiry_interval), u32);
    same_as_find(props.assigned_client_identifier(), props.find(pi::assigned_client_identifier), text);
    same_as_find(props.server_keep_alive(), props.find(pi::server_keep_alive), u16);
    same_as_find(props.authentication_method(), props.find(pi::authentication_method), text);
    same_as_find(props.authentication_data(), props.find(pi::authentication_data), bin);
    same_as_find(props.request_problem_information(), props.find(pi::request_problem_information), flag);
    same_as_find(props.will_delay_interval(), props.find(pi::will_delay_interval), u32);
    same_as_find(props.request_response_information(), props.find(pi::request_response_information), flag);
    same_as_find(props.response_information(), props.find(pi::response_information), text);
    same_as_find(props.server_reference(), props.find(pi::server_reference), text);
    same_as_find(props.reason_string(), props.find(pi::reason_string), text);
    same_as_find(props.receive_maximum(), props.find(pi::receive_maximum), u16);
    same_as_find(props.topic_alias_maximum(), props.find(pi::topic_alias_maximum), u16);
    same_as_find(props.topic_alias(), props.find(pi::topic_alias), u16);
    same_as_find(props.maximum_qos(), props.find(pi::maximum_qos), u8);
    same_as_find(props.retain_available(), props.find(pi::retain_available), flag);
    same_as_find(props.maximum_packet_size(), props.find(pi::maximum_packet_size), u32);
    same_as_find(props.wildcard_subscription_available(), props.find(pi::wildcard_subscription_available), flag);
    same_as_find(props.subscription_identifier_available(), props.find(pi::subscription_identifier_available), flag);
    same_as_find(props.shared_subscription_available(), props.find(pi::shared_subscription_available), flag);
}

// Adds every property of `props` to a builder over `storage`, by type.
inline result<properties> rebuild(const properties& props, std::vector<std::uint8_t>& storage) {
    property_builder b(span(storage));
    for (const property& p : props) {
        switch (p.type()) {
            case property_type::byte:
            case property_type::two_byte_integer:
            case property_type::four_byte_integer:
            case property_type::variable_byte_integer: b.add_integer(p.id, p.integer); break;
            case property_type::utf8_string: b.add_string(p.id, p.string); break;
            case property_type::binary_data: b.add_binary(p.id, p.binary); break;
            case property_type::utf8_string_pair: b.add_user_property(p.pair.name, p.pair.value); break;
        }
    }
    return b.build();
}

// For a checked block: the builder, fed the properties the view yields, writes the same bytes,
// into storage of exactly that size; one byte less is refused with buffer_too_small.
inline void rebuild_must_match(const properties& props) {
    const bytes_view wire = props.wire();
    std::vector<std::uint8_t> exact(wire.size());
    const auto built = rebuild(props, exact);
    require(built.has_value());
    require(built->wire() == wire);
    if (!wire.empty()) {
        std::vector<std::uint8_t> short_by_one(wire.size() - 1);
        const auto refused = rebuild(props, short_by_one);
        require(!refused.has_value());
        require(refused.error().code == errc::buffer_too_small);
    }
}

// A block that decode() accepted: it passes check_properties() where it was found, and the walk
// and the rebuild agree with it.
inline void checked_block(const properties& props, property_context where, sender from) {
    require(check_properties(props, where, from).has_value());
    walk(props, true);
    rebuild_must_match(props);
}

}  // namespace fuzz
