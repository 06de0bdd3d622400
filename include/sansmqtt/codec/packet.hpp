// sansmqtt: the control packets, one struct each, and `packet`, which holds any of them.
//
// Fields are views. A decoded packet's views point into the bytes it was decoded from and stay
// valid as long as those bytes do; nothing is copied. To encode, fill the fields with views of
// your own data (string literals, std::string_view, byte arrays). The same struct serves both
// protocol versions: fields that 3.1.1 lacks (properties, most reason codes) are empty or 0 there.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <variant>

#include "sansmqtt/codec/packet_type.hpp"
#include "sansmqtt/codec/properties.hpp"
#include "sansmqtt/codec/reason_code.hpp"
#include "sansmqtt/protocol.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/reader.hpp"

namespace sansmqtt {

enum class qos : std::uint8_t {
    at_most_once = 0,
    at_least_once = 1,
    exactly_once = 2,
};

// Subscription option Retain Handling (MQTT 5.0, 3.8.3.1).
enum class retain_handling : std::uint8_t {
    send_on_subscribe = 0,
    send_if_new_subscription = 1,
    do_not_send = 2,
};

// One Topic Filter of a SUBSCRIBE with its options. In 3.1.1 only `qos` exists on the wire.
struct subscription {
    text_view topic_filter;
    sansmqtt::qos qos = qos::at_most_once;  // the maximum QoS requested
    bool no_local = false;
    bool retain_as_published = false;
    sansmqtt::retain_handling retain_handling = retain_handling::send_on_subscribe;

    // The Subscription Options byte.
    constexpr std::uint8_t options() const noexcept {
        return static_cast<std::uint8_t>(static_cast<unsigned>(qos) | (no_local ? 0x04u : 0u) |
                                         (retain_as_published ? 0x08u : 0u) |
                                         (static_cast<unsigned>(retain_handling) << 4));
    }
    friend constexpr bool operator==(const subscription& a, const subscription& b) noexcept {
        return a.topic_filter == b.topic_filter && a.options() == b.options();
    }
    friend constexpr bool operator!=(const subscription& a, const subscription& b) noexcept { return !(a == b); }
};

namespace detail {

// A list that is either the wire form of a packet's payload (after decoding) or an array of the
// caller's (for encoding). Iterating yields elements by value in order. `Element` says how to read
// one element from the wire and how big it is there.
template <class Element>
class wire_or_array_list {
public:
    using value_type = typename Element::value_type;

    constexpr wire_or_array_list() noexcept = default;
    constexpr wire_or_array_list(const value_type* items, std::size_t count) noexcept : items_(items), count_(count) {}
    template <std::size_t N>
    constexpr wire_or_array_list(const value_type (&items)[N]) noexcept : items_(items), count_(N) {}
    template <std::size_t N>
    constexpr wire_or_array_list(const std::array<value_type, N>& items) noexcept : items_(items.data()), count_(N) {}

    // A list over checked wire bytes holding `count` elements.
    static constexpr wire_or_array_list from_wire(const bytes_view& wire, std::size_t count) noexcept {
        wire_or_array_list l;
        l.wire_ = wire;
        l.count_ = count;
        return l;
    }

    constexpr std::size_t size() const noexcept { return count_; }
    constexpr bool empty() const noexcept { return count_ == 0; }
    constexpr bool is_wire() const noexcept { return items_ == nullptr; }
    constexpr const bytes_view& wire() const noexcept { return wire_; }

    class iterator {
    public:
        constexpr iterator(const wire_or_array_list* list, std::size_t index, std::size_t pos) noexcept
            : list_(list), index_(index), pos_(pos) {}
        constexpr value_type operator*() const noexcept {
            if (!list_->is_wire()) return list_->items_[index_];
            return Element::read(list_->wire_, pos_);
        }
        constexpr iterator& operator++() noexcept {
            if (list_->is_wire()) pos_ += Element::wire_size(list_->wire_, pos_);
            ++index_;
            return *this;
        }
        friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept { return a.index_ == b.index_; }
        friend constexpr bool operator!=(const iterator& a, const iterator& b) noexcept { return a.index_ != b.index_; }

    private:
        const wire_or_array_list* list_;
        std::size_t index_;
        std::size_t pos_;
    };

    constexpr iterator begin() const noexcept { return iterator(this, 0, 0); }
    constexpr iterator end() const noexcept { return iterator(this, count_, 0); }

    friend constexpr bool operator==(const wire_or_array_list& a, const wire_or_array_list& b) noexcept {
        if (a.size() != b.size()) return false;
        auto j = b.begin();
        for (auto i = a.begin(); i != a.end(); ++i, ++j) {
            if (!(*i == *j)) return false;
        }
        return true;
    }
    friend constexpr bool operator!=(const wire_or_array_list& a, const wire_or_array_list& b) noexcept {
        return !(a == b);
    }

private:
    bytes_view wire_;
    const value_type* items_ = nullptr;
    std::size_t count_ = 0;
};

constexpr std::size_t string_field_size(const bytes_view& wire, std::size_t pos) noexcept {
    return 2 + static_cast<std::size_t>((wire[pos] << 8) | wire[pos + 1]);
}

struct subscription_element {
    using value_type = subscription;
    static constexpr std::size_t wire_size(const bytes_view& wire, std::size_t pos) noexcept {
        return string_field_size(wire, pos) + 1;
    }
    static constexpr subscription read(const bytes_view& wire, std::size_t pos) noexcept {
        const std::size_t len = string_field_size(wire, pos) - 2;
        const std::uint8_t options = wire[pos + 2 + len];
        subscription s;
        s.topic_filter = text_view(wire.subview(pos + 2, len));
        s.qos = static_cast<sansmqtt::qos>(options & 0x03u);
        s.no_local = (options & 0x04u) != 0;
        s.retain_as_published = (options & 0x08u) != 0;
        s.retain_handling = static_cast<sansmqtt::retain_handling>((options >> 4) & 0x03u);
        return s;
    }
};

struct topic_filter_element {
    using value_type = text_view;
    static constexpr std::size_t wire_size(const bytes_view& wire, std::size_t pos) noexcept {
        return string_field_size(wire, pos);
    }
    static constexpr text_view read(const bytes_view& wire, std::size_t pos) noexcept {
        return text_view(wire.subview(pos + 2, string_field_size(wire, pos) - 2));
    }
};

struct reason_code_element {
    using value_type = reason_code;
    static constexpr std::size_t wire_size(const bytes_view&, std::size_t) noexcept { return 1; }
    static constexpr reason_code read(const bytes_view& wire, std::size_t pos) noexcept {
        return static_cast<reason_code>(wire[pos]);
    }
};

}  // namespace detail

using subscription_list = detail::wire_or_array_list<detail::subscription_element>;
using topic_filter_list = detail::wire_or_array_list<detail::topic_filter_element>;
using reason_code_list = detail::wire_or_array_list<detail::reason_code_element>;

struct will_message {
    text_view topic;
    bytes_view payload;
    sansmqtt::qos qos = qos::at_most_once;
    bool retain = false;
    sansmqtt::properties properties;  // Will Properties (5.0)

    friend constexpr bool operator==(const will_message& a, const will_message& b) noexcept {
        return a.topic == b.topic && a.payload == b.payload && a.qos == b.qos && a.retain == b.retain &&
               a.properties == b.properties;
    }
};

// CONNECT. Decoding takes the protocol version from the packet; encoding writes `protocol_version`
// ("MQIsdp" level 3, or "MQTT" level 4 or 5).
struct connect {
    sansmqtt::protocol_version protocol_version = protocol_version::v5;
    bool clean_start = true;  // Clean Session in 3.1.1
    std::uint16_t keep_alive = 0;
    text_view client_id;
    std::optional<will_message> will;
    std::optional<text_view> username;
    std::optional<bytes_view> password;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const connect& a, const connect& b) noexcept {
        return a.protocol_version == b.protocol_version && a.clean_start == b.clean_start &&
               a.keep_alive == b.keep_alive && a.client_id == b.client_id && a.will == b.will &&
               a.username == b.username && a.password == b.password && a.properties == b.properties;
    }
};

// CONNACK. In 3.1.1 `reason_code` holds the return code unchanged (see connect_return_code).
struct connack {
    bool session_present = false;
    sansmqtt::reason_code reason_code = reason_code::success;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const connack& a, const connack& b) noexcept {
        return a.session_present == b.session_present && a.reason_code == b.reason_code &&
               a.properties == b.properties;
    }
};

struct publish {
    text_view topic;
    bytes_view payload;
    sansmqtt::qos qos = qos::at_most_once;
    bool retain = false;
    bool dup = false;
    std::uint16_t packet_id = 0;  // 0 at QoS 0, where the packet has none
    sansmqtt::properties properties;

    friend constexpr bool operator==(const publish& a, const publish& b) noexcept {
        return a.topic == b.topic && a.payload == b.payload && a.qos == b.qos && a.retain == b.retain &&
               a.dup == b.dup && a.packet_id == b.packet_id && a.properties == b.properties;
    }
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape.
template <packet_type Type>
struct publish_response {
    static constexpr packet_type type = Type;
    std::uint16_t packet_id = 0;
    sansmqtt::reason_code reason_code = reason_code::success;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const publish_response& a, const publish_response& b) noexcept {
        return a.packet_id == b.packet_id && a.reason_code == b.reason_code && a.properties == b.properties;
    }
};

using puback = publish_response<packet_type::puback>;
using pubrec = publish_response<packet_type::pubrec>;
using pubrel = publish_response<packet_type::pubrel>;
using pubcomp = publish_response<packet_type::pubcomp>;

struct subscribe {
    std::uint16_t packet_id = 0;
    subscription_list subscriptions;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const subscribe& a, const subscribe& b) noexcept {
        return a.packet_id == b.packet_id && a.subscriptions == b.subscriptions && a.properties == b.properties;
    }
};

// SUBACK. In 3.1.1 the reason codes are the return codes 0x00, 0x01, 0x02 and 0x80.
struct suback {
    std::uint16_t packet_id = 0;
    reason_code_list reason_codes;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const suback& a, const suback& b) noexcept {
        return a.packet_id == b.packet_id && a.reason_codes == b.reason_codes && a.properties == b.properties;
    }
};

struct unsubscribe {
    std::uint16_t packet_id = 0;
    topic_filter_list topic_filters;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const unsubscribe& a, const unsubscribe& b) noexcept {
        return a.packet_id == b.packet_id && a.topic_filters == b.topic_filters && a.properties == b.properties;
    }
};

// UNSUBACK. In 3.1.1 it has no reason codes.
struct unsuback {
    std::uint16_t packet_id = 0;
    reason_code_list reason_codes;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const unsuback& a, const unsuback& b) noexcept {
        return a.packet_id == b.packet_id && a.reason_codes == b.reason_codes && a.properties == b.properties;
    }
};

// PINGREQ and PINGRESP carry nothing.
template <packet_type Type>
struct empty_packet {
    static constexpr packet_type type = Type;
    friend constexpr bool operator==(const empty_packet&, const empty_packet&) noexcept { return true; }
};

using pingreq = empty_packet<packet_type::pingreq>;
using pingresp = empty_packet<packet_type::pingresp>;

struct disconnect {
    sansmqtt::reason_code reason_code = reason_code::normal_disconnection;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const disconnect& a, const disconnect& b) noexcept {
        return a.reason_code == b.reason_code && a.properties == b.properties;
    }
};

// AUTH (MQTT 5.0 only).
struct auth {
    sansmqtt::reason_code reason_code = reason_code::success;
    sansmqtt::properties properties;

    friend constexpr bool operator==(const auth& a, const auth& b) noexcept {
        return a.reason_code == b.reason_code && a.properties == b.properties;
    }
};

// Any control packet. The alternatives are in packet type order, so index() + 1 is the type.
using packet = std::variant<connect, connack, publish, puback, pubrec, pubrel, pubcomp, subscribe, suback,
                            unsubscribe, unsuback, pingreq, pingresp, disconnect, auth>;

constexpr packet_type type_of(const packet& p) noexcept { return static_cast<packet_type>(p.index() + 1); }

namespace detail {

template <class P, class Variant>
struct alternative_index;

template <class P, class... Ts>
struct alternative_index<P, std::variant<Ts...>> {
    static constexpr std::size_t value = [] {
        std::size_t i = 0;
        bool found = false;
        ((found = found || std::is_same_v<P, Ts>, i += found ? 0 : 1), ...);
        return i;
    }();
    static_assert(value < sizeof...(Ts), "not a packet struct");
};

}  // namespace detail

// The packet type of a packet struct: packet_type_of<publish> == packet_type::publish.
template <class P>
inline constexpr packet_type packet_type_of =
    static_cast<packet_type>(detail::alternative_index<P, packet>::value + 1);

}  // namespace sansmqtt
