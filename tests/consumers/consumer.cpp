// A program that uses sansmqtt the way a user's project would: encode a PUBLISH, decode it back.
#include <sansmqtt/sansmqtt.hpp>

#include <cstdio>

int main() {
    using namespace sansmqtt;
    publish p;
    p.topic = "home/thermostat/setpoint";
    p.payload = "21.5";
    p.qos = qos::at_least_once;
    p.packet_id = 1;
    std::uint8_t out[64];
    const auto n = encode(p, out, protocol_version::v5);
    if (!n) return 1;
    const auto d = decode(bytes_view(out, *n), protocol_version::v5);
    if (!d || !(std::get<publish>(*d) == p)) return 1;
    std::printf("consumer: encoded and decoded a %zu-byte PUBLISH\n", *n);
    return 0;
}
