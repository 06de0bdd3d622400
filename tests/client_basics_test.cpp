// The client's basic flows, each as a scripted transcript replayed at every split of the server bytes.
#include "client_support.hpp"

using namespace test;

namespace {

connect_options v5_options() {
    connect_options o;
    o.protocol_version = protocol_version::v5;
    o.client_id = "c1";
    o.keep_alive = 30;
    return o;
}

}  // namespace

TEST_CASE("v5 [MQTT-3.1.0-1] CONNECT is the first packet, CONNACK connects, QoS 1 publish completes") {
    run_script([](driver& d) {
        d.open();
        REQUIRE(d.c().connect(v5_options()));
        // CONNECT: MQTT 5, clean start, keep alive 30, properties: Receive Maximum 4, Maximum
        // Packet Size 0xffffff0f? no: streaming default -> none; Topic Alias Maximum 3.
        CHECK(d.sent() == "10 15 00 04 4d 51 54 54 05 02 00 1e 06 21 00 04 22 00 03 00 02 63 31");
        d.server(connack_v5());
        CHECK(d.events() == std::vector<std::string>{"connected sp=0 ka=30"});
        publish m;
        m.topic = "a/b";
        m.payload = "hi";
        m.qos = qos::at_least_once;
        const auto id = d.c().publish(m);
        REQUIRE(id);
        CHECK(*id == 1);
        CHECK(d.sent() == "32 0a 00 03 61 2f 62 00 01 00 68 69");
        d.server("40 02 00 01");
        CHECK(d.events() == std::vector<std::string>{"completed id=1 q=1 rc=0x00"});
        CHECK(d.c().messages_in_store() == 0);
    });
}
