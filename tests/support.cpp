#include "support.hpp"

#include <cstdio>

namespace test {

bytes hex(std::string_view text) {
    bytes out;
    int high = -1;
    for (const char c : text) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    REQUIRE_MESSAGE(high < 0, "odd number of hex digits");
    return out;
}

std::string to_hex(const bytes_view& b) {
    std::string s;
    char buf[4];
    for (std::size_t i = 0; i < b.size(); ++i) {
        std::snprintf(buf, sizeof buf, i == 0 ? "%02x" : " %02x", b[i]);
        s += buf;
    }
    return s;
}

bytes concat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

bytes variable_byte_integer_bytes(std::size_t n) {
    bytes out;
    do {
        auto b = static_cast<std::uint8_t>(n % 128);
        n /= 128;
        if (n != 0) b = static_cast<std::uint8_t>(b | 0x80u);
        out.push_back(b);
    } while (n != 0);
    return out;
}

bytes packet_of(std::uint8_t first, const bytes& body) {
    return concat({bytes{first}, variable_byte_integer_bytes(body.size()), body});
}

bytes field(const bytes& content) {
    return concat({bytes{static_cast<std::uint8_t>(content.size() >> 8), static_cast<std::uint8_t>(content.size() & 0xFF)},
                   content});
}

bytes field(std::string_view content) { return field(text(content)); }

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

std::vector<bytes> frame_all(const bytes& stream, std::size_t piece, protocol_version v,
                             std::uint32_t maximum_packet_size) {
    bytes storage(stream.size() + 1);
    framer f(mutable_bytes(storage.data(), storage.size()), maximum_packet_size, v);
    std::vector<bytes> packets;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        const std::size_t n = std::min(piece, stream.size() - at);
        bytes_view input(stream.data() + at, n);
        while (!input.empty()) {
            const auto st = f.feed(input);
            REQUIRE_MESSAGE(st.has_value(), "framer refused: " << st.error().name());
            REQUIRE(st->consumed > 0);
            input = input.subview(st->consumed);
            if (st->complete) packets.emplace_back(st->packet.data(), st->packet.data() + st->packet.size());
        }
    }
    CHECK(f.buffered() == 0);
    return packets;
}

namespace {

// The framer must return exactly `b` whatever the split: every two-piece split, byte by byte, and
// two copies back to back.
void check_framing(const bytes& b, protocol_version v) {
    for (std::size_t k = 0; k <= b.size(); ++k) {
        INFO("split at " << k);
        bytes storage(b.size());
        framer f(mutable_bytes(storage.data(), storage.size()), largest_packet_size, v);
        std::vector<bytes> got;
        for (const bytes_view part : {bytes_view(b.data(), k), bytes_view(b.data() + k, b.size() - k)}) {
            bytes_view input = part;
            while (!input.empty()) {
                const auto st = f.feed(input);
                REQUIRE_MESSAGE(st.has_value(), "framer refused: " << st.error().name());
                input = input.subview(st->consumed);
                if (st->complete) got.emplace_back(st->packet.data(), st->packet.data() + st->packet.size());
            }
        }
        REQUIRE(got.size() == 1);
        CHECK(got[0] == b);
    }
    CHECK(frame_all(b, 1, v) == std::vector<bytes>{b});
    CHECK(frame_all(concat({b, b}), 7, v) == std::vector<bytes>{b, b});
}

protocol_version version_of(const packet& p, protocol_version v) {
    if (const auto* c = std::get_if<connect>(&p)) return c->protocol_version;
    return v;
}

}  // namespace

packet decode_valid(const bytes& b, protocol_version v, sender from) {
    INFO("packet: " << to_hex(view(b)));
    const auto d = decode(view(b), v, from);
    REQUIRE_MESSAGE(d.has_value(), "decode failed: " << d.error().name() << " at " << d.error().offset);
    const packet p = *d;
    const protocol_version pv = version_of(p, v);
    check_framing(b, pv);

    const auto size = encoded_size(p, pv);
    REQUIRE_MESSAGE(size.has_value(), "encoded_size failed: " << size.error().name());
    bytes again(*size);
    const auto n = encode(p, mutable_bytes(again.data(), again.size()), pv, from);
    REQUIRE_MESSAGE(n.has_value(), "re-encode failed: " << n.error().name() << " at " << n.error().offset);
    CHECK(*n == *size);
    const auto d2 = decode(view(again), pv, from);
    REQUIRE_MESSAGE(d2.has_value(), "decode of re-encoded failed: " << d2.error().name());
    CHECK(*d2 == p);
    return p;
}

error decode_invalid(const bytes& b, protocol_version v, errc code, sender from) {
    INFO("packet: " << to_hex(view(b)));
    const auto d = decode(view(b), v, from);
    REQUIRE_MESSAGE(!d.has_value(), "decode accepted bytes that must be refused");
    CHECK_MESSAGE(d.error().code == code, "got " << d.error().name() << ", expected " << describe(code).name);
    CHECK(d.error().category == error_category::protocol);
    CHECK(d.error().offset <= b.size());
    return d.error();
}

bytes encode_valid(const packet& p, protocol_version v, sender from) {
    const protocol_version pv = version_of(p, v);
    const auto size = encoded_size(p, pv);
    REQUIRE_MESSAGE(size.has_value(), "encoded_size failed: " << size.error().name());
    bytes out(*size);
    const auto n = encode(p, mutable_bytes(out.data(), out.size()), pv, from);
    REQUIRE_MESSAGE(n.has_value(), "encode failed: " << n.error().name() << " at " << n.error().offset);
    CHECK(*n == out.size());
    const auto d = decode(view(out), pv, from);
    REQUIRE_MESSAGE(d.has_value(), "decode of encoded failed: " << d.error().name() << " at " << d.error().offset);
    CHECK(*d == p);
    return out;
}

error encode_invalid(const packet& p, protocol_version v, errc code, sender from) {
    bytes out(1 << 16);
    const auto n = encode(p, mutable_bytes(out.data(), out.size()), v, from);
    REQUIRE_MESSAGE(!n.has_value(), "encode accepted a packet that must be refused");
    CHECK_MESSAGE(n.error().code == code, "got " << n.error().name() << ", expected " << describe(code).name);
    CHECK(n.error().category != error_category::protocol);
    return n.error();
}

}  // namespace test
