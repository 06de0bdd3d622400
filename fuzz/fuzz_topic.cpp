// fuzz_topic: check_topic_name(), check_topic_filter(), parse_shared_subscription() and
// topic_matches() against each other and against a plain level-by-level matcher written here.
//
// Input: byte 0 bit 0 the protocol version (0: 3.1.1, 1: 5.0); the rest is a filter and a name
// separated by the first 0xFF byte (which never occurs in UTF-8). Without 0xFF the rest is both.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

std::vector<std::string_view> levels(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t from = 0;
    for (;;) {
        const std::size_t slash = s.find('/', from);
        if (slash == std::string_view::npos) {
            out.push_back(s.substr(from));
            return out;
        }
        out.push_back(s.substr(from, slash - from));
        from = slash + 1;
    }
}

// Section 4.7 read plainly. Both arguments valid.
bool reference_match(std::string_view filter, std::string_view name, bool v5) {
    constexpr std::string_view share = "$share/";
    if (v5 && filter.substr(0, share.size()) == share) {
        const std::size_t slash = filter.find('/', share.size());
        filter = filter.substr(slash + 1);
    }
    if (name[0] == '$' && (filter[0] == '+' || filter[0] == '#')) return false;
    const auto f = levels(filter);
    const auto n = levels(name);
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#") return true;  // this level and everything below, including the parent
        if (i >= n.size()) return false;
        if (f[i] != "+" && f[i] != n[i]) return false;
    }
    return f.size() == n.size();
}

bool has_byte(const text_view& s, std::uint8_t c) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == c) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const protocol_version v = (data[0] & 1u) != 0 ? protocol_version::v5 : protocol_version::v3_1_1;
    const bool v5 = is_v5(v);
    const bytes_view rest(data + 1, size - 1);
    std::size_t split = rest.size();
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == 0xFF) {
            split = i;
            break;
        }
    }
    const text_view filter(rest.subview(0, split));
    const text_view name(split == rest.size() ? rest : rest.subview(split + 1));

    const auto filter_ok = check_topic_filter(filter, v);
    const auto name_ok = check_topic_name(name);
    if (!filter_ok) require(filter_ok.error().offset <= filter.size());
    if (!name_ok) require(name_ok.error().offset <= name.size());

    const text_view share_prefix("$share/");
    if (filter_ok) {
        require(!filter.empty());
        // What is valid in 5.0 is valid in 3.1.1, where "$share/" is no prefix.
        require(check_topic_filter(filter, protocol_version::v3_1_1).has_value());
        const auto shared = parse_shared_subscription(filter);
        if (v5 && filter.starts_with(share_prefix)) {
            require(shared.has_value());
            require(!shared->share_name.empty() && !has_byte(shared->share_name, '/') &&
                    !has_byte(shared->share_name, '+') && !has_byte(shared->share_name, '#'));
            require(check_topic_filter(shared->topic_filter, protocol_version::v3_1_1).has_value());
        }
    }
    if (name_ok) {
        require(!name.empty() && !has_byte(name, '+') && !has_byte(name, '#'));
        const std::string_view n = name.as_string_view();
        const bool dollar = name[0] == '$';
        // A name is a filter that matches itself, unless 5.0 reads it as a Shared Subscription.
        if (!(v5 && name.starts_with(share_prefix))) {
            require(check_topic_filter(name, v).has_value());
            require(topic_matches(name, name, v));
        }
        // '#' matches every name but those starting with '$'; so does '+' for one-level names.
        require(topic_matches("#", name, v) == !dollar);
        require(topic_matches("+", name, v) == (!dollar && !has_byte(name, '/')));
        for (const std::string_view f : {"+/#", "+/+", "/#", "+/+/#", "$SYS/#", "a/+/c"}) {
            require(topic_matches(f, name, v) == reference_match(f, n, v5));
        }
        if (filter_ok) {
            const bool got = topic_matches(filter, name, v);
            require(got == reference_match(filter.as_string_view(), n, v5));
        }
    }
    return 0;
}
