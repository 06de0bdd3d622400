// The framer: frame() over the bytes received so far, and the incremental framer.
#include "support.hpp"

#include <array>

using namespace test;

TEST_CASE("v5 frame: says how many bytes are missing, then that the packet is complete") {
    const bytes b = hex("30 05 00 01 74 68 69");
    for (std::size_t k = 0; k < b.size(); ++k) {
        INFO(k);
        const auto f = frame(bytes_view(b.data(), k), largest_packet_size, protocol_version::v5);
        REQUIRE(f.has_value());
        CHECK_FALSE(f->complete);
        if (k >= 2) {
            CHECK(f->header_known);
            CHECK(f->needed == b.size() - k);
        } else {
            CHECK(f->needed >= 1);
        }
    }
    const auto f = frame(view(b), largest_packet_size, protocol_version::v5);
    REQUIRE(f.has_value());
    CHECK(f->complete);
    CHECK(f->header.type == packet_type::publish);
    CHECK(f->header.remaining_length == 5);
    CHECK(f->header.size == 2);
    CHECK(f->header.packet_size() == 7);
}

TEST_CASE("v5 frame: a reserved packet type is refused on the first byte") {
    const bytes zero = hex("00");
    CHECK(frame(view(zero), largest_packet_size, protocol_version::v5).error().code == errc::packet_type_invalid);
    const bytes auth311 = hex("f0");
    if (v3_1_1_compiled_in) {
        CHECK(frame(view(auth311), largest_packet_size, protocol_version::v3_1_1).error().code == errc::packet_type_invalid);
    }
    CHECK(frame(view(auth311), largest_packet_size, protocol_version::v5).has_value());
}

TEST_CASE("v5 frame: a packet over the maximum size is refused as soon as the length bytes show it") {
    // 30 ff ff ff 7f: 268,435,455 bytes announced; refused after 5 bytes with a 1 MiB limit.
    const bytes huge = hex("30 ff ff ff 7f");
    const auto f = frame(view(huge), 1 << 20, protocol_version::v5);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().code == errc::packet_too_large);
    CHECK(f.error().reason_code() == 0x95);
    // Even before the length is complete: 30 ff ff ff means at least 2,097,152 + ... bytes.
    const bytes partial = hex("30 ff ff ff");
    CHECK(frame(view(partial), 1 << 20, protocol_version::v5).error().code == errc::packet_too_large);
    // Exactly at the limit is fine.
    const bytes at_limit = hex("30 7d");
    CHECK(frame(view(at_limit), 127, protocol_version::v5).has_value());
    CHECK(frame(view(at_limit), 126, protocol_version::v5).error().code == errc::packet_too_large);
}

TEST_CASE("v5 framer: a stream of mixed packets comes out whole for every piece size") {
    const bytes stream = concat({hex("30 05 00 01 74 68 69"), hex("c0 00"), hex("40 02 00 01"),
                                 hex("32 09 00 03 61 2f 62 00 07 00 78"), hex("d0 00"), hex("e0 00")});
    const std::vector<bytes> expected = {hex("30 05 00 01 74 68 69"), hex("c0 00"), hex("40 02 00 01"),
                                         hex("32 09 00 03 61 2f 62 00 07 00 78"), hex("d0 00"), hex("e0 00")};
    for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
        INFO("piece " << piece);
        CHECK(frame_all(stream, piece, protocol_version::v5) == expected);
    }
}

TEST_CASE("v5 framer: a packet that arrives whole is returned without a copy") {
    const bytes b = hex("c0 00 d0 00");
    std::uint8_t storage[8];
    framer f(storage, sizeof storage);
    const auto st = f.feed(view(b));
    REQUIRE(st.has_value());
    CHECK(st->complete);
    CHECK(st->consumed == 2);
    CHECK(st->packet.data() == b.data());
}

TEST_CASE("v5 framer: after an error nothing of the rejected packet remains") {
    std::uint8_t storage[16];
    framer f(storage, sizeof storage);
    const bytes start = hex("30 0a 00");  // a PUBLISH of 12 bytes, buffered in part
    const auto a = f.feed(view(start));
    REQUIRE(a.has_value());
    CHECK(f.buffered() == 3);
    f.reset();
    CHECK(f.buffered() == 0);

    const bytes bad = hex("30 80 80 80 80");  // five-byte length
    const auto e = f.feed(view(bad));
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == errc::variable_byte_integer_too_long);
    CHECK(f.buffered() == 0);
    const bytes good = hex("c0 00");
    CHECK(frame_all(good, 1, protocol_version::v5) == std::vector<bytes>{good});
    const auto g = f.feed(view(good));
    REQUIRE(g.has_value());
    CHECK(g->complete);
    CHECK(test::bytes(g->packet.data(), g->packet.data() + g->packet.size()) == good);
}

TEST_CASE("v5 framer: a split packet larger than the storage is refused as soon as its length is known") {
    std::uint8_t storage[8];
    framer f(storage, 1u << 20);
    const bytes part = hex("30 20 00");
    const auto r = f.feed(view(part));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::buffer_too_small);
    CHECK(r.error().category == error_category::resource);
    CHECK(f.buffered() == 0);
}

TEST_CASE("v3.1.1 framer: over-long remaining length forms are accepted in 3.1.1 and refused in 5.0") {
    const bytes b = hex("c0 80 00");
    CHECK(frame(view(b), largest_packet_size, protocol_version::v3_1_1)->complete);
    if (v5_compiled_in) {  // else: refused as version_compiled_out (compile_out_test.cpp)
        CHECK(frame(view(b), largest_packet_size, protocol_version::v5).error().code ==
              errc::variable_byte_integer_not_minimal);
    }
}

TEST_CASE("v5 framer: header() is the fixed header of the packet a complete step returned, at every piece size") {
    const bytes stream = concat({hex("30 05 00 01 74 68 69"), hex("c0 00"), hex("62 02 00 01"),
                                 hex("32 09 00 03 61 2f 62 00 07 00 78"), hex("d0 00")});
    for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
        INFO("piece " << piece);
        std::array<std::uint8_t, 64> storage{};
        framer f(mutable_bytes(storage.data(), storage.size()), 64, protocol_version::v5);
        std::size_t packets = 0;
        for (std::size_t pos = 0; pos < stream.size(); pos += piece) {
            bytes_view chunk = view(stream).subview(pos, piece);
            while (!chunk.empty()) {
                const auto st = f.feed(chunk);
                REQUIRE(st.has_value());
                if (st->complete) {
                    ++packets;
                    const auto framed = frame(st->packet, 64, protocol_version::v5);
                    REQUIRE(framed.has_value());
                    CHECK(f.header().type == framed->header.type);
                    CHECK(f.header().flags == framed->header.flags);
                    CHECK(f.header().remaining_length == framed->header.remaining_length);
                    CHECK(f.header().size == framed->header.size);
                    const auto a = decode_framed(st->packet, f.header(), protocol_version::v5);
                    const auto b = decode(st->packet, protocol_version::v5);
                    REQUIRE(a.has_value() == b.has_value());
                    if (a) CHECK(*a == *b);
                }
                chunk = chunk.subview(st->consumed);
            }
        }
        CHECK(packets == 5);
    }
}
