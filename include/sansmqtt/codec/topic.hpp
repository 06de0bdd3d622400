// sansmqtt: Topic Names, Topic Filters, Shared Subscriptions and filter matching (section 4.7, 4.8).
#pragma once

#include <cstddef>
#include <optional>

#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/utf8.hpp"

namespace sansmqtt {

// "$share/" + ShareName + "/" + Topic Filter, split into its parts (MQTT 5.0 section 4.8.2).
struct shared_subscription {
    text_view share_name;
    text_view topic_filter;
};

namespace detail {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

constexpr std::size_t find_byte(const text_view& s, std::uint8_t c, std::size_t from) noexcept {
    for (std::size_t i = from; i < s.size(); ++i) {
        if (s[i] == c) return i;
    }
    return npos;
}

// Topic Name rules other than UTF-8 well-formedness: not empty, no wildcard characters.
constexpr result<void> check_topic_name_syntax(const text_view& name, errc wildcard = errc::topic_name_wildcard) noexcept {
    if (name.empty()) return make_error(errc::topic_empty, 0);
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '+' || name[i] == '#') return make_error(wildcard, i);
    }
    return {};
}

// Wildcard rules of a (non-shared) Topic Filter; `base` is added to error offsets.
constexpr result<void> check_filter_levels(const text_view& filter, std::size_t base) noexcept {
    if (filter.empty()) return make_error(errc::topic_empty, base);
    std::size_t level = 0;  // first byte of the current level
    for (std::size_t i = 0; i < filter.size(); ++i) {
        const std::uint8_t c = filter[i];
        if (c == '/') {
            level = i + 1;
        } else if (c == '#') {
            // '#' must be the whole level and the last character [MQTT-4.7.1-1].
            if (i != level || i + 1 != filter.size()) {
                return make_error(errc::topic_filter_multi_level_wildcard, base + i);
            }
        } else if (c == '+') {
            // '+' must be the whole level [MQTT-4.7.1-2].
            const bool ends_level = i + 1 == filter.size() || filter[i + 1] == '/';
            if (i != level || !ends_level) return make_error(errc::topic_filter_single_level_wildcard, base + i);
        }
    }
    return {};
}

inline constexpr text_view share_prefix = "$share/";

}  // namespace detail

// Splits a Shared Subscription filter. Returns nullopt when `filter` does not start with "$share/"
// or does not follow the ShareName rules (check_topic_filter() says which rule).
constexpr std::optional<shared_subscription> parse_shared_subscription(const text_view& filter) noexcept {
    if (!filter.starts_with(detail::share_prefix)) return std::nullopt;
    const std::size_t name_begin = detail::share_prefix.size();
    const std::size_t slash = detail::find_byte(filter, '/', name_begin);
    if (slash == detail::npos || slash == name_begin || slash + 1 == filter.size()) return std::nullopt;
    const text_view share_name = filter.subview(name_begin, slash - name_begin);
    for (std::size_t i = 0; i < share_name.size(); ++i) {
        if (share_name[i] == '+' || share_name[i] == '#') return std::nullopt;
    }
    return shared_subscription{share_name, filter.subview(slash + 1)};
}

// Checks a Topic Name: well-formed UTF-8 without U+0000, 1 to 65,535 bytes, no '+' or '#'
// [MQTT-4.7.3-1] [MQTT-4.7.3-2] [MQTT-4.7.3-3] [MQTT-3.3.2-2]. Error offsets are relative to `name`.
constexpr result<void> check_topic_name(const text_view& name) noexcept {
    if (name.size() > largest_field_size) return make_error(errc::topic_too_long, 0);
    if (name.empty()) return make_error(errc::topic_empty, 0);
    return check_utf8_without_wildcards(name.bytes(), errc::topic_name_wildcard);
}

namespace detail {

// Topic Filter rules other than UTF-8 well-formedness.
constexpr result<void> check_topic_filter_syntax(const text_view& filter, protocol_version v) noexcept {
    if (is_v5(v) && filter.starts_with(share_prefix)) {
        const std::size_t name_begin = share_prefix.size();
        const std::size_t slash = find_byte(filter, '/', name_begin);
        if (slash == name_begin || (slash == npos && filter.size() == name_begin)) {
            return make_error(errc::share_name_empty, name_begin);  // [MQTT-4.8.2-1]
        }
        const std::size_t name_end = slash == npos ? filter.size() : slash;
        for (std::size_t i = name_begin; i < name_end; ++i) {
            if (filter[i] == '+' || filter[i] == '#') return make_error(errc::share_name_invalid, i);
        }
        if (slash == npos || slash + 1 == filter.size()) {
            return make_error(errc::share_name_invalid, name_end);  // [MQTT-4.8.2-2]
        }
        return check_filter_levels(filter.subview(slash + 1), slash + 1);
    }
    return check_filter_levels(filter, 0);
}

}  // namespace detail

// Checks a Topic Filter: UTF-8 rules, 1 to 65,535 bytes, wildcards each a whole level, '#' last
// [MQTT-4.7.1-1] [MQTT-4.7.1-2]; in MQTT 5.0 also the Shared Subscription syntax [MQTT-4.8.2-1]
// [MQTT-4.8.2-2]. Error offsets are relative to `filter`.
constexpr result<void> check_topic_filter(const text_view& filter, protocol_version v = protocol_version::v5) noexcept {
    if (!is_compiled_in(v)) return make_error(errc::version_compiled_out, 0);
    if (filter.size() > largest_field_size) return make_error(errc::topic_too_long, 0);
    if (auto ok = check_utf8(filter.bytes()); !ok) return ok;
    return detail::check_topic_filter_syntax(filter, v);
}

// Whether a Topic Name matches a Topic Filter (section 4.7). '+' matches exactly one level (which
// may be empty), '#' matches its parent level and any number of levels below it, and a filter that
// starts with a wildcard does not match a name that starts with '$' [MQTT-4.7.2-1]. In MQTT 5.0 a
// Shared Subscription filter matches by its Topic Filter part. Both arguments are assumed valid (a
// build without `v`'s code matches with the rules of the version it keeps).
constexpr bool topic_matches(const text_view& filter_in, const text_view& name,
                             protocol_version v = protocol_version::v5) noexcept {
    text_view filter = filter_in;
    if (is_v5(v)) {
        if (const auto shared = parse_shared_subscription(filter)) filter = shared->topic_filter;
    }
    if (filter.empty() || name.empty()) return false;
    if (name[0] == '$' && (filter[0] == '+' || filter[0] == '#')) return false;

    std::size_t f = 0;  // start of the current filter level
    std::size_t n = 0;  // start of the current name level
    bool name_done = false;
    for (;;) {
        std::size_t f_end = detail::find_byte(filter, '/', f);
        if (f_end == detail::npos) f_end = filter.size();
        const bool f_last = f_end == filter.size();
        if (f_end - f == 1 && filter[f] == '#') return true;
        if (name_done) return false;

        std::size_t n_end = detail::find_byte(name, '/', n);
        if (n_end == detail::npos) n_end = name.size();
        const bool n_last = n_end == name.size();

        const bool plus = f_end - f == 1 && filter[f] == '+';
        if (!plus && filter.subview(f, f_end - f) != name.subview(n, n_end - n)) return false;

        if (f_last) return n_last;
        f = f_end + 1;
        if (n_last) {
            name_done = true;
        } else {
            n = n_end + 1;
        }
    }
}

}  // namespace sansmqtt
