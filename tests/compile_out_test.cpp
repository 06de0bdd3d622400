// Builds that leave a protocol version out (SANSMQTT_ENABLE_V5=0 or SANSMQTT_ENABLE_V3_1_1=0, see
// protocol.hpp). tests/meson.build compiles the suite once per kept version and runs that
// version's test cases; here the version left out must be refused by every entry point, never
// handled with the kept version's rules.
#include <doctest/doctest.h>

#include <sansmqtt/sansmqtt.hpp>

#include "client_support.hpp"
#include "support.hpp"

using namespace sansmqtt;
using namespace test;

#if !SANSMQTT_ENABLE_V5 || !SANSMQTT_ENABLE_V3_1_1
namespace {

// Every codec and client entry point refuses `gone` with version_compiled_out (0x84).
void check_refused_everywhere(protocol_version gone, protocol_version kept) {
    CHECK_FALSE(is_compiled_in(gone));
    CHECK(is_compiled_in(kept));

    const bytes ping = hex("c0 00");
    const auto f = frame(view(ping), largest_packet_size, gone);
    REQUIRE_FALSE(f);
    CHECK(f.error().code == errc::version_compiled_out);
    CHECK(f.error().reason_code() == 0x84);
    CHECK(frame(view(ping), largest_packet_size, kept).has_value());

    const auto d = decode(view(ping), gone);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == errc::version_compiled_out);
    CHECK(decode(view(ping), kept).has_value());

    std::uint8_t out[16] = {};
    const auto e = encode(pingreq{}, mutable_bytes(out, sizeof out), gone);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == errc::version_compiled_out);
    CHECK(encode(pingreq{}, mutable_bytes(out, sizeof out), kept).has_value());
    const auto size = encoded_size(pingreq{}, gone);
    REQUIRE_FALSE(size);
    CHECK(size.error().code == errc::version_compiled_out);

    const auto t = check_topic_filter("a/+", gone);
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::version_compiled_out);

    // A CONNECT naming the version left out, decoded by a server built without it.
    const bytes connect_gone = gone == protocol_version::v5 ? hex("10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00")
                                                            : hex("10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00");
    const auto c = decode(view(connect_gone), kept, sender::client);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == errc::version_compiled_out);
    CHECK(c.error().offset == 8);  // the Protocol Level byte

    // The client: connect() refuses it, changes nothing, and then connects with the kept version.
    client<test_config> mqtt;
    REQUIRE(mqtt.transport_opened());
    connect_options o;
    o.client_id = "c";
    o.protocol_version = gone;
    const auto r = mqtt.connect(o);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::version_compiled_out);
    CHECK(r.error().category == error_category::local);
    CHECK(mqtt.state() == client_state::open);
    CHECK(mqtt.tx_data().empty());
    o.protocol_version = kept;
    CHECK(mqtt.connect(o));
    CHECK(mqtt.state() == client_state::connecting);
}

}  // namespace
#endif

#if !SANSMQTT_ENABLE_V5
TEST_CASE("v3.1.1 [build] SANSMQTT_ENABLE_V5=0 compiles 5.0 out: codec and client refuse it as version_compiled_out") {
    static_assert(!default_config::enable_v5 && default_config::topic_aliases_out == 0 &&
                  default_config::authentication_method_length == 0);
    check_refused_everywhere(protocol_version::v5, protocol_version::v3_1_1);
    CHECK(decode(view(hex("c0 00")), protocol_version::v3_1).has_value());  // 3.1 goes with 3.1.1
}
#endif

#if !SANSMQTT_ENABLE_V3_1_1
TEST_CASE("v5 [build] SANSMQTT_ENABLE_V3_1_1=0 compiles 3.1.1 (and 3.1) out: codec and client refuse them as version_compiled_out") {
    static_assert(!default_config::enable_v3_1_1);
    check_refused_everywhere(protocol_version::v3_1_1, protocol_version::v5);
    const auto d = decode(view(hex("c0 00")), protocol_version::v3_1);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == errc::version_compiled_out);
}
#endif

#if SANSMQTT_ENABLE_V5 && SANSMQTT_ENABLE_V3_1_1
TEST_CASE("v5 [build] the default build keeps both versions") {
    CHECK(is_compiled_in(protocol_version::v5));
    CHECK(is_compiled_in(protocol_version::v3_1_1));
    CHECK(is_compiled_in(protocol_version::v3_1));
    CHECK(default_config::enable_v5);
    CHECK(default_config::enable_v3_1_1);
}
#endif
