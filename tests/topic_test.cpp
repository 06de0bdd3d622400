// Topic Names, Topic Filters, Shared Subscriptions and filter matching (MQTT 5.0 4.7, 4.8).
#include "support.hpp"

#include <string>
#include <tuple>

using namespace test;

TEST_CASE("v5 [MQTT-4.7.2-1] topic matching: the specification's examples") {
    struct match_case {
        const char* filter;
        const char* name;
        bool matches;
    };
    const match_case cases[] = {
        {"sport/tennis/player1/#", "sport/tennis/player1", true},
        {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
        {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
        {"sport/#", "sport", true},
        {"#", "sport/tennis", true},
        {"sport/tennis/+", "sport/tennis/player1", true},
        {"sport/tennis/+", "sport/tennis/player1/ranking", false},
        {"sport/+", "sport", false},
        {"sport/+", "sport/", true},
        {"+/+", "/finance", true},
        {"/+", "/finance", true},
        {"+", "/finance", false},
        {"+", "finance", true},
        {"sport/tennis", "sport/tennis", true},
        {"sport/tennis", "sport/tennis/", false},
        {"sport/tennis", "Sport/Tennis", false},
        {"a//b", "a//b", true},
        {"a/+/b", "a//b", true},
        {"+/+/+", "a/b", false},
        {"a/b/#", "a", false},
        // Names starting with '$' are not matched by filters starting with a wildcard.
        {"#", "$SYS/broker", false},
        {"+/monitor/Clients", "$SYS/monitor/Clients", false},
        {"$SYS/#", "$SYS/monitor/Clients", true},
        {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
        {"+", "$", false},
    };
    for (const match_case& c : cases) {
        INFO(c.filter << " vs " << c.name);
        CHECK(check_topic_filter(c.filter).has_value());
        CHECK(check_topic_name(c.name).has_value());
        CHECK(topic_matches(c.filter, c.name) == c.matches);
    }
}

TEST_CASE("v5 [MQTT-4.8.2-1] shared subscriptions match by their Topic Filter part; 3.1.1 takes $share literally") {
    CHECK(topic_matches("$share/group/sport/+", "sport/tennis"));
    CHECK_FALSE(topic_matches("$share/group/sport/+", "$share/group/sport/tennis"));
    if (v3_1_1_compiled_in) {
        CHECK(topic_matches("$share/group/sport/+", "$share/group/sport/tennis", protocol_version::v3_1_1));
        CHECK_FALSE(topic_matches("$share/group/sport/+", "sport/tennis", protocol_version::v3_1_1));
    }
    const auto shared = parse_shared_subscription("$share/consumer1/sport/#");
    REQUIRE(shared.has_value());
    CHECK(shared->share_name == "consumer1");
    CHECK(shared->topic_filter == "sport/#");
    CHECK_FALSE(parse_shared_subscription("$sharex/a/b").has_value());
    CHECK_FALSE(parse_shared_subscription("$share/a").has_value());
    CHECK_FALSE(parse_shared_subscription("$share//a").has_value());
    CHECK_FALSE(parse_shared_subscription("$share/a+/b").has_value());
}

TEST_CASE("v5 [MQTT-4.7.1-1] [MQTT-4.7.1-2] topic filter syntax: valid and invalid wildcards with offsets") {
    for (const char* ok : {"#", "+", "+/+", "a/#", "/#", "a/+/b", "+/", "/", "//", "a/b c", "$SYS/#"}) {
        INFO(ok);
        CHECK(check_topic_filter(ok).has_value());
    }
    const std::tuple<const char*, errc, std::uint32_t> bad[] = {
        {"a#", errc::topic_filter_multi_level_wildcard, 1},
        {"#/a", errc::topic_filter_multi_level_wildcard, 0},
        {"a/#/b", errc::topic_filter_multi_level_wildcard, 2},
        {"a/b#", errc::topic_filter_multi_level_wildcard, 3},
        {"a+", errc::topic_filter_single_level_wildcard, 1},
        {"+a", errc::topic_filter_single_level_wildcard, 0},
        {"a/+b/c", errc::topic_filter_single_level_wildcard, 2},
        {"", errc::topic_empty, 0},
    };
    for (const auto& entry : bad) {
        const auto& [filter, code, offset] = entry;
        INFO(std::get<0>(entry));
        const auto r = check_topic_filter(filter);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == code);
        CHECK(r.error().offset == offset);
    }
}

TEST_CASE("v5 [MQTT-4.8.2-2] shared subscription syntax is checked in 5.0 only") {
    const std::tuple<const char*, errc> bad[] = {
        {"$share/", errc::share_name_empty},
        {"$share//a", errc::share_name_empty},
        {"$share/g", errc::share_name_invalid},
        {"$share/g/", errc::share_name_invalid},
        {"$share/g+/a", errc::share_name_invalid},
        {"$share/g#/a", errc::share_name_invalid},
        {"$share/g/a#", errc::topic_filter_multi_level_wildcard},
    };
    for (const auto& entry : bad) {
        const auto& [filter, code] = entry;
        INFO(std::get<0>(entry));
        const auto r = check_topic_filter(filter, protocol_version::v5);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == code);
    }
    if (v3_1_1_compiled_in) CHECK(check_topic_filter("$share/g", protocol_version::v3_1_1).has_value());
    CHECK(check_topic_filter("$share/g/+/x", protocol_version::v5).has_value());
}

TEST_CASE("v5 [MQTT-4.7.3-3] a topic longer than 65,535 bytes is refused before anything else") {
    const std::string long_name(65536, 'a');
    CHECK(check_topic_name(long_name).error().code == errc::topic_too_long);
    CHECK(check_topic_filter(long_name).error().code == errc::topic_too_long);
    const std::string longest(65535, 'a');
    CHECK(check_topic_name(longest).has_value());
}

TEST_CASE("v5 [MQTT-4.7.3-2] topics are checked as UTF-8: U+0000 and ill-formed bytes are refused") {
    CHECK(check_topic_name(text_view("a\0b", 3)).error().code == errc::utf8_null_character);
    CHECK(check_topic_filter(text_view("a/\xff", 3)).error().code == errc::utf8_ill_formed);
}

TEST_CASE("v5 [MQTT-4.7.3-4] topic matching compares bytes without normalising") {
    // U+00E9 precomposed vs e + combining acute: different bytes, no match.
    CHECK_FALSE(topic_matches("caf\xc3\xa9", "cafe\xcc\x81"));
    CHECK(topic_matches("caf\xc3\xa9", "caf\xc3\xa9"));
    CHECK_FALSE(topic_matches("A", "a"));
    CHECK_FALSE(topic_matches("a ", "a"));
}
