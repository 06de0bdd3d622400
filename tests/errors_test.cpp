// The error table: every error code has a name, a sentence and a 5.0 reason code, and every
// statement id it cites exists in the specification of that version (tests/spec/*.tsv, copied
// from the project's statement lists).
#include "support.hpp"

#include <fstream>
#include <set>
#include <string>

using namespace test;

namespace {

std::set<std::string> statement_ids(const std::string& file) {
    std::ifstream in(std::string(SANSMQTT_SPEC_DIR) + "/" + file);
    REQUIRE_MESSAGE(in.good(), "cannot read " << file);
    std::set<std::string> ids;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) ids.insert(line.substr(0, line.find('\t')));
    return ids;
}

}  // namespace

TEST_CASE("v5 errors: every error code has a unique name, a sentence and a failure reason code") {
    std::set<std::string_view> names;
    for (unsigned i = 0; i <= static_cast<unsigned>(last_errc); ++i) {
        const errc_info info = describe(static_cast<errc>(i));
        INFO(i << " " << info.name);
        CHECK(info.name != "unknown");
        CHECK(names.insert(info.name).second);
        CHECK(info.message.size() > 10);
        CHECK(info.message.back() == '.');
        CHECK(info.reason_code >= 0x80);
        CHECK(make_error(static_cast<errc>(i), 0).reason_code() == info.reason_code);
    }
    // last_errc is the last code: one past it is unknown.
    CHECK(describe(static_cast<errc>(static_cast<unsigned>(last_errc) + 1)).name == "unknown");
}

TEST_CASE("v5 errors: every cited statement id exists in MQTT 5.0, and every 3.1.1 one in MQTT 3.1.1") {
    const auto v5 = statement_ids("mqtt-5.0-statements.tsv");
    const auto v311 = statement_ids("mqtt-3.1.1-statements.tsv");
    CHECK(v5.size() == 251);
    CHECK(v311.size() == 141);
    for (unsigned i = 0; i <= static_cast<unsigned>(last_errc); ++i) {
        const errc_info info = describe(static_cast<errc>(i));
        INFO(info.name);
        if (!info.rule_v5.empty()) CHECK(v5.count(std::string(info.rule_v5)) == 1);
        if (!info.rule_v311.empty()) CHECK(v311.count(std::string(info.rule_v311)) == 1);
    }
}

TEST_CASE("v3.1.1 errors: rule() follows the error's protocol version") {
    error e = make_error(errc::reserved_flags_invalid, 0);
    e.version = protocol_version::v5;
    CHECK(e.rule() == "MQTT-2.1.3-1");
    e.version = protocol_version::v3_1_1;
    CHECK(e.rule() == "MQTT-2.2.2-1");
    e.version = protocol_version::v3_1;
    CHECK(e.rule() == "MQTT-2.2.2-1");
    CHECK(e.reason_code() == 0x81);
    CHECK(e.name() == "reserved_flags_invalid");
}

TEST_CASE("v5 errors: decode reports the version it applied, and a CONNECT the version inside it") {
    const bytes bad_publish = hex("36 05 00 01 74 00 01");
    if (v3_1_1_compiled_in) CHECK(decode(view(bad_publish), protocol_version::v3_1_1).error().version == protocol_version::v3_1_1);
    CHECK(decode(view(bad_publish), protocol_version::v5).error().version == protocol_version::v5);
    if (!v3_1_1_compiled_in || !v5_compiled_in) return;
    // A 3.1.1 CONNECT with the reserved flag set, decoded while the caller expects 5.0.
    const bytes bad_connect = hex("10 0c 00 04 4d 51 54 54 04 03 00 00 00 00");
    const error e = decode(view(bad_connect), protocol_version::v5).error();
    CHECK(e.code == errc::connect_reserved_flag);
    CHECK(e.version == protocol_version::v3_1_1);
    CHECK(e.rule() == "MQTT-3.1.2-3");
    CHECK(e.offset == 9);
}

TEST_CASE("v5 reason codes: every code a 5.0 packet may carry has its Table 2-6 name") {
    const packet_type types[] = {packet_type::connack, packet_type::puback, packet_type::pubrec, packet_type::pubrel,
                                 packet_type::pubcomp, packet_type::suback, packet_type::unsuback,
                                 packet_type::disconnect, packet_type::auth};
    int named = 0;
    for (const packet_type t : types) {
        for (unsigned code = 0; code < 256; ++code) {
            if (!is_allowed_reason_code(t, static_cast<std::uint8_t>(code), protocol_version::v5)) continue;
            INFO(to_string(t) << " " << code);
            CHECK(reason_code_name(static_cast<reason_code>(code), t) != "Unknown reason code");
            ++named;
        }
    }
    CHECK(named == 22 + 9 + 9 + 2 + 2 + 12 + 7 + 30 + 3);
    CHECK(reason_code_name(reason_code::success, packet_type::disconnect) == "Normal disconnection");
    CHECK(reason_code_name(reason_code::granted_qos_0, packet_type::suback) == "Granted QoS 0");
    CHECK(reason_code_name(reason_code::packet_identifier_not_found) == "Packet Identifier not found");
    CHECK(reason_code_name(static_cast<reason_code>(0x03)) == "Unknown reason code");
    CHECK(is_failure(reason_code::unspecified_error));
    CHECK_FALSE(is_failure(reason_code::no_matching_subscribers));
}

TEST_CASE("v3.1.1 CONNACK return codes 0-5 have their names, 6 and above are reserved") {
    CHECK(connect_return_code_name(connect_return_code::accepted) == "Connection accepted");
    CHECK(connect_return_code_name(connect_return_code::not_authorized) == "Not authorized");
    CHECK(connect_return_code_name(static_cast<connect_return_code>(6)) == "Reserved return code");
}
