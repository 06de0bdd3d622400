// Regression tests for inputs that broke other MQTT parsers (/work/shared/bad-inputs.md, classes
// A to E; class F concerns the client). Every input is refused with a clear error by decode() and
// by a framer that is fed it whole and in pieces of 1, 2 and 3 bytes (each packet the framer
// completes is decoded, as a receiver would). After the error the same framer must hand back the
// next valid packet exactly: nothing of the rejected input stays behind.
#include "support.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

using namespace test;

namespace {

constexpr protocol_version v311 = protocol_version::v3_1_1;
constexpr protocol_version v5 = protocol_version::v5;
const protocol_version both[] = {v311, v5};

// ---- Building packets ------------------------------------------------------------------------

// A Property Length and the block.
bytes props(const bytes& block) { return concat({variable_byte_integer_bytes(block.size()), block}); }

// CONNECT: name "MQTT", the level, flags, Keep Alive 60, properties (5.0 only) and the payload.
bytes connect_packet(protocol_version v, std::uint8_t flags, const bytes& properties, const bytes& payload) {
    return packet_of(0x10, concat({hex("00 04 4d 51 54 54"), bytes{static_cast<std::uint8_t>(v)}, bytes{flags},
                                   hex("00 3c"), is_v5(v) ? props(properties) : bytes{}, payload}));
}
bytes publish_v5(const bytes& properties, std::string_view topic = "t") {
    return packet_of(0x30, concat({field(topic), props(properties), text("payload")}));
}
bytes connack_v5(const bytes& properties) { return packet_of(0x20, concat({hex("00 00"), props(properties)})); }
bytes subscribe_v5(const bytes& properties) { return packet_of(0x82, concat({hex("00 01"), props(properties), field("a/b"), hex("01")})); }
bytes puback_v5(const bytes& properties) { return packet_of(0x40, concat({hex("00 01 00"), props(properties)})); }
bytes disconnect_v5(const bytes& properties) { return packet_of(0xe0, concat({hex("00"), props(properties)})); }
// A PUBLISH whose empty property block has its length 0 written in two bytes.
bytes publish_v5_overlong_length() { return packet_of(0x30, concat({field("t"), hex("80 00"), text("x")})); }

// Where `needle` first occurs in `hay` after the fixed header's first two bytes (which could
// match by chance).
std::size_t find(const bytes& hay, const bytes& needle) {
    const auto it = std::search(hay.begin() + 2, hay.end(), needle.begin(), needle.end());
    REQUIRE(it != hay.end());
    return static_cast<std::size_t>(it - hay.begin());
}

// The valid packet fed after each bad input: a QoS 1 PUBLISH with topic "a/b", id 7, payload "x".
bytes good_packet(protocol_version v) {
    return is_v5(v) ? hex("32 09 00 03 61 2f 62 00 07 00 78") : hex("32 08 00 03 61 2f 62 00 07 78");
}

// ---- Feeding a framer ------------------------------------------------------------------------

struct fed {
    std::optional<error> first_error;  // from the framer, or from decode() of a packet it completed
    std::vector<bytes> packets;        // packets completed and decoded without error
};

// Feeds `stream` to `f` in pieces of `piece` bytes, decoding every packet it completes. Stops at
// the first error, as a receiver closing the connection would.
fed feed_all(framer& f, const bytes& stream, std::size_t piece, protocol_version v, sender from = sender::any) {
    fed out;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        bytes_view input(stream.data() + at, std::min(piece, stream.size() - at));
        while (!input.empty()) {
            const auto st = f.feed(input);
            if (!st) {
                out.first_error = st.error();
                return out;
            }
            REQUIRE(st->consumed > 0);
            input = input.subview(st->consumed);
            if (st->complete) {
                const auto d = decode(st->packet, v, from);
                if (!d) {
                    out.first_error = d.error();
                    return out;
                }
                out.packets.emplace_back(st->packet.data(), st->packet.data() + st->packet.size());
            }
        }
    }
    return out;
}

// The framer holds nothing: the next valid packet, fed in the same pieces, comes back exactly.
void check_clean(framer& f, protocol_version v, std::size_t piece) {
    CHECK(f.buffered() == 0);
    const bytes good = good_packet(v);
    const fed r = feed_all(f, concat({good, good}), piece, v);
    CHECK_MESSAGE(!r.first_error.has_value(), "after the error the framer refused a valid packet: "
                                                  << (r.first_error ? r.first_error->name() : ""));
    CHECK(r.packets == std::vector<bytes>{good, good});
    CHECK(f.buffered() == 0);
}

constexpr std::size_t small_storage = 128;

std::vector<std::size_t> pieces_for(const bytes& b) { return {b.size(), 1, 2, 3}; }

// `bad` is refused with `code` by decode() and by a framer over small storage fed it in pieces
// (same code, same offset); after that the framer is clean. Returns decode()'s error.
error refused(const bytes& bad, protocol_version v, errc code, sender from = sender::any) {
    const error e = decode_invalid(bad, v, code, from);
    for (const std::size_t piece : pieces_for(bad)) {
        INFO("fed in pieces of " << piece << ": " << to_hex(view(bad)));
        std::array<std::uint8_t, small_storage> storage{};
        framer f(storage, largest_packet_size, v);
        const fed r = feed_all(f, bad, piece, v, from);
        CHECK(r.packets.empty());
        REQUIRE_MESSAGE(r.first_error.has_value(), "framer and decoder accepted it");
        CHECK_MESSAGE(r.first_error->code == code, "got " << r.first_error->name());
        CHECK(r.first_error->offset == e.offset);
        CHECK(r.first_error->category == error_category::protocol);
        CHECK(r.first_error->version == e.version);
        check_clean(f, v, piece);
    }
    return e;
}

// `bad` is refused by decode() and by the framer path with the same error, whatever it is (for
// sweeps over many cut-off packets). Returns the error.
error refused_somehow(const bytes& bad, protocol_version v, sender from = sender::any) {
    INFO("packet: " << to_hex(view(bad)));
    const auto d = decode(view(bad), v, from);
    REQUIRE_MESSAGE(!d.has_value(), "decode accepted it");
    return refused(bad, v, d.error().code, from);
}

// `partial` is the start of a packet: decode() says truncated, a framer waits for more without
// error, and after reset() (the connection closed) it is clean.
void stays_incomplete(const bytes& partial, protocol_version v) {
    const error e = decode_invalid(partial, v, errc::truncated);
    CHECK(e.offset == partial.size());
    for (const std::size_t piece : pieces_for(partial)) {
        INFO("fed in pieces of " << piece << ": " << to_hex(view(partial)));
        std::array<std::uint8_t, small_storage> storage{};
        framer f(storage, largest_packet_size, v);
        const fed r = feed_all(f, partial, piece, v);
        CHECK(!r.first_error.has_value());
        CHECK(r.packets.empty());
        CHECK(f.buffered() == partial.size());
        f.reset();
        check_clean(f, v, piece);
    }
}

std::string name(protocol_version v) { return is_v5(v) ? "v5" : "v3.1.1"; }

}  // namespace

// ---- A. Remaining Length / Variable Byte Integer ------------------------------------------------

TEST_CASE("bad-input A1 five-byte remaining length (Zephyr CVE-2020-10062, CVE-2020-10070) v5") {
    for (const char* wire : {"30 ff ff ff ff 7f", "30 ff ff ff ff ff", "30 80 80 80 80 01", "c0 80 80 80 80 00"}) {
        const error e = refused(hex(wire), v5, errc::variable_byte_integer_too_long);
        CHECK(e.offset == 1);
        CHECK(e.reason_code() == 0x81);
    }
}

TEST_CASE("bad-input A1 five-byte remaining length (Zephyr CVE-2020-10062, CVE-2020-10070) v3.1.1") {
    for (const char* wire : {"30 ff ff ff ff 7f", "30 ff ff ff ff ff", "30 80 80 80 80 01", "c0 80 80 80 80 00"}) {
        const error e = refused(hex(wire), v311, errc::variable_byte_integer_too_long);
        CHECK(e.offset == 1);
        CHECK(e.reason_code() == 0x81);
    }
}

TEST_CASE("bad-input A2 signed shift at the fifth length byte (esp-mqtt) v5 and v3.1.1") {
    const bytes bad = hex("ff fb ff ff ff ff");
    // 5.0: type 15 is AUTH, so the length is read, and it is one byte too long.
    CHECK(refused(bad, v5, errc::variable_byte_integer_too_long).offset == 1);
    // 3.1.1: type 15 is reserved; refused on the first byte.
    CHECK(refused(bad, v311, errc::packet_type_invalid).offset == 0);
    // Every other packet type with that length.
    for (unsigned type = 1; type <= 14; ++type) {
        bytes b = bad;
        b[0] = static_cast<std::uint8_t>(type << 4);
        for (const protocol_version v : both) refused(b, v, errc::variable_byte_integer_too_long);
    }
}

TEST_CASE("bad-input A3 huge declared length refused once the length is read (mosquitto CVE-2017-7651, CVE-2023-0809)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        const bytes huge = hex("30 ff ff ff 7f 00 01 61");  // 268,435,455 declared, 3 bytes present

        // frame() with a smaller maximum: refused from the length bytes alone, without any body.
        const auto fr = frame(bytes_view(huge.data(), 5), 1024, v);
        REQUIRE(!fr.has_value());
        CHECK(fr.error().code == errc::packet_too_large);
        CHECK(fr.error().offset == 1);
        CHECK(fr.error().reason_code() == 0x95);

        // A framer with maximum packet size 1024 (less than its storage would need): refused while
        // the length bytes arrive, before any byte of the body.
        for (const std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{5}, huge.size()}) {
            INFO("pieces of " << piece);
            std::array<std::uint8_t, small_storage> storage{};
            framer f(storage, 1024, v);
            std::size_t fed_bytes = 0;
            std::optional<error> err;
            for (std::size_t at = 0; at < huge.size() && !err; at += piece) {
                const std::size_t n = std::min(piece, huge.size() - at);
                const auto st = f.feed(bytes_view(huge.data() + at, n));
                fed_bytes = at + n;
                if (!st) err = st.error();
                else CHECK(!st->complete);
            }
            REQUIRE(err.has_value());
            CHECK(err->code == errc::packet_too_large);
            CHECK(err->reason_code() == 0x95);
            CHECK(err->offset == 1);
            // The error came with the length bytes (at most 5 header bytes), never after body bytes.
            CHECK(fed_bytes <= std::max<std::size_t>(piece, 5));
            check_clean(f, v, piece);
        }

        // Byte by byte it takes only the first two length bytes to know: 127 + 127 * 128 > 1024.
        {
            std::array<std::uint8_t, small_storage> storage{};
            framer f(storage, 1024, v);
            CHECK(f.feed(bytes_view(huge.data(), 1)).has_value());
            CHECK(f.feed(bytes_view(huge.data() + 1, 1)).has_value());
            const auto st = f.feed(bytes_view(huge.data() + 2, 1));
            REQUIRE(!st.has_value());
            CHECK(st.error().code == errc::packet_too_large);
            check_clean(f, v, 1);
        }

        // With the protocol maximum, the framer's storage decides: buffer_too_small as soon as the
        // length is known, nothing reserved, nothing waited for.
        {
            std::array<std::uint8_t, small_storage> storage{};
            framer f(storage, largest_packet_size, v);
            const auto st = f.feed(bytes_view(huge.data(), 5));
            REQUIRE(!st.has_value());
            CHECK(st.error().code == errc::buffer_too_small);
            CHECK(st.error().category == error_category::resource);
            check_clean(f, v, 5);
        }

        // decode() with the bytes that are there: truncated, nothing read past them.
        CHECK(decode_invalid(huge, v, errc::truncated).offset == huge.size());

        // The largest value is a valid length: frame() reads it and asks for the rest.
        const auto largest = frame(bytes_view(huge.data(), 5), largest_packet_size, v);
        REQUIRE(largest.has_value());
        CHECK(largest->header_known);
        CHECK(!largest->complete);
        CHECK(largest->header.remaining_length == 268'435'455u);
        CHECK(largest->header.size == 5);
        CHECK(largest->needed == 268'435'455u);
        // And one byte less than it needs for the maximum is refused.
        CHECK(frame(bytes_view(huge.data(), 5), largest_packet_size - 1, v).error().code == errc::packet_too_large);
    }
}

TEST_CASE("bad-input A4 two-byte input 70 80 is read without going past it (wolfMQTT #545)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        // Exactly two bytes in the buffer: the length says another byte follows.
        const bytes two = hex("70 80");
        stays_incomplete(two, v);
        const auto fr = frame(view(two), largest_packet_size, v);
        REQUIRE(fr.has_value());
        CHECK(!fr->header_known);
        CHECK(fr->needed >= 1);
        // One byte and none.
        stays_incomplete(hex("70"), v);
        CHECK(decode_invalid(bytes{}, v, errc::truncated).offset == 0);
    }
    // When the stream goes on: 5.0 refuses the over-long zero; 3.1.1 takes it as length 0 and the
    // PUBCOMP without a packet identifier is refused.
    CHECK(refused(hex("70 80 00"), v5, errc::variable_byte_integer_not_minimal).offset == 1);
    CHECK(refused(hex("70 80 00"), v311, errc::truncated).offset == 3);
    for (const protocol_version v : both) refused(hex("70 80 80 80 80"), v, errc::variable_byte_integer_too_long);
}

TEST_CASE("bad-input A5 over-long remaining length encodings v5 [MQTT-1.5.5-1]") {
    for (const char* wire : {"c0 80 00", "c0 80 80 00", "c0 80 80 80 00", "30 83 00 00 01 61", "30 85 80 00 00 01 61 62 63"}) {
        const error e = refused(hex(wire), v5, errc::variable_byte_integer_not_minimal);
        CHECK(e.offset == 1);
        CHECK(e.rule() == "MQTT-1.5.5-1");
        CHECK(e.reason_code() == 0x81);
    }
    // The framer refuses as soon as the final 00 arrives, before any body byte.
    std::array<std::uint8_t, small_storage> storage{};
    framer f(storage, largest_packet_size, v5);
    const bytes b = hex("30 83 00 00 01 61");
    CHECK(f.feed(bytes_view(b.data(), 2)).has_value());
    CHECK(!f.feed(bytes_view(b.data() + 2, 1)).has_value());
    check_clean(f, v5, 1);
}

TEST_CASE("bad-input A5 over-long remaining length encodings are accepted in v3.1.1") {
    for (const char* wire : {"c0 80 00", "c0 80 80 00", "c0 80 80 80 00"}) {
        const bytes b = hex(wire);
        decode_valid(b, v311);
    }
    const bytes pub = hex("30 83 00 00 01 61");
    CHECK(decode_valid_as<publish>(pub, v311).topic == "a");
}

TEST_CASE("bad-input A5 ff 7f is the shortest form of 16,383, and ff ff ff 7f of 268,435,455") {
    for (const protocol_version v : both) {
        INFO(name(v));
        const bytes header = hex("30 ff 7f");
        const auto fr = frame(view(header), largest_packet_size, v);
        REQUIRE(fr.has_value());
        CHECK(fr->header_known);
        CHECK(fr->header.remaining_length == 16'383u);
        CHECK(fr->header.size == 3);
        CHECK(fr->needed == 16'383u);

        // A whole PUBLISH of that length decodes, frames at every split and round-trips.
        const std::size_t properties_size = is_v5(v) ? 1 : 0;
        const bytes pub = concat({header, field("a"), bytes(properties_size, 0), bytes(16'383 - 3 - properties_size, 'p')});
        REQUIRE(pub.size() == 3 + 16'383);
        const publish p = decode_valid_as<publish>(pub, v);
        CHECK(p.payload.size() == 16'383 - 3 - properties_size);
        CHECK(encode_valid(p, v) == pub);

        const bytes largest = hex("30 ff ff ff 7f");
        const auto fl = frame(view(largest), largest_packet_size, v);
        REQUIRE(fl.has_value());
        CHECK(fl->header.remaining_length == largest_variable_byte_integer);
    }
}

// ---- B. Length fields inside a packet ------------------------------------------------------

TEST_CASE("bad-input B6 PUBLISH topic length larger than the packet (MQTT-C)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        const error e = refused(hex("30 07 ff ff 41 42 43 44 45"), v, errc::truncated);
        CHECK(e.offset == 2);
        CHECK(e.reason_code() == 0x81);
        // QoS 1 and a length one past the end.
        CHECK(refused(hex("32 07 00 06 41 42 43 44 45"), v, errc::truncated).offset == 2);
    }
}

TEST_CASE("bad-input B7 every length-prefixed read checks the bytes left (Mbed OS CVE-2019-17210)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        const std::size_t payload_at = is_v5(v) ? 13 : 12;
        struct bad_case {
            std::uint8_t flags;
            bytes payload;
            std::size_t field_at;  // relative to the payload
        };
        for (const bad_case& c : {
                 bad_case{0x02, hex("00 05 61"), 0},                                         // Client Identifier
                 bad_case{0x02, hex("00"), 0},                                               // half a length
                 bad_case{0x82, concat({field("a"), hex("00 09 75")}), 3},                   // User Name
                 bad_case{0xc2, concat({field("a"), field("u"), hex("00 02 70")}), 6},       // Password
                 bad_case{0x06, concat({field("a"), hex("00 03 77")}), 3},                   // Will Topic
                 bad_case{0x06, concat({field("a"), field("w"), hex("00 04 6d")}), 6},       // Will Message
             }) {
            bytes payload = c.payload;
            std::size_t at = c.field_at;
            if (is_v5(v) && (c.flags & 0x04) != 0) {
                // Will Properties (empty) sit before the Will Topic.
                payload.insert(payload.begin() + 3, 0x00);
                if (c.field_at >= 3) at = c.field_at + 1;
            }
            const bytes b = connect_packet(v, c.flags, {}, payload);
            const error e = refused(b, v, errc::truncated, sender::client);
            CHECK(e.offset == payload_at + at);
        }
        // The Protocol Name.
        CHECK(refused(hex("10 04 00 09 4d 51"), v, errc::truncated).offset == 2);
        // SUBSCRIBE and UNSUBSCRIBE filters.
        const bytes none = is_v5(v) ? hex("00") : bytes{};
        const std::size_t filter_at = 4 + none.size();
        CHECK(refused(packet_of(0x82, concat({hex("00 01"), none, hex("00 08 61 01")})), v, errc::truncated).offset ==
              filter_at);
        CHECK(refused(packet_of(0xa2, concat({hex("00 01"), none, field("a"), hex("00 02 62")})), v, errc::truncated)
                  .offset == filter_at + 3);
        // A PUBLISH topic, and a QoS 1 packet identifier cut short.
        CHECK(refused(hex("30 02 00 01"), v, errc::truncated).offset == 2);
        CHECK(refused(hex("32 04 00 01 61 00"), v, errc::truncated).offset == 5);
    }
    // 5.0 property strings and binary data: the read stops at the end of the property block.
    const bytes reason = hex("1f 00 09 72 65");            // Reason String of 9 bytes, 2 present
    error e = refused(puback_v5(reason), v5, errc::property_truncated);
    CHECK(e.offset == find(puback_v5(reason), reason) + 1);
    const bytes user = hex("26 00 01 6b 00 05 76");      // User Property whose value runs out
    e = refused(puback_v5(user), v5, errc::property_truncated);
    CHECK(e.offset == find(puback_v5(user), user) + 4);
    const bytes correlation = hex("09 00 04 01 02");     // Correlation Data of 4 bytes, 2 present
    e = refused(publish_v5(correlation), v5, errc::property_truncated);
    CHECK(e.offset == find(publish_v5(correlation), correlation) + 1);

    // Every cut-off of a CONNECT that uses every field is refused, in both versions.
    for (const protocol_version v : both) {
        INFO(name(v));
        const bytes will_props = is_v5(v) ? hex("02 01 01") : bytes{};
        const bytes full = connect_packet(v, 0xee, is_v5(v) ? hex("11 00 00 00 0a") : bytes{},
                                          concat({field("client"), will_props, field("will/topic"), field("bye"),
                                                  field("user"), field("password")}));
        decode_valid(full, v, sender::client);
        const std::size_t body_at = 2;
        for (std::size_t keep = 0; keep < full.size() - body_at; ++keep) {
            const bytes cut = packet_of(0x10, bytes(full.begin() + body_at, full.begin() + static_cast<std::ptrdiff_t>(body_at + keep)));
            refused_somehow(cut, v, sender::client);
        }
    }
}

TEST_CASE("bad-input B8 remaining length larger than the receive buffer (Paho CVE-2021-41036)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        // A 40-byte PUBLISH for a framer with 16 bytes of storage.
        const bytes big = packet_of(0x30, concat({field("t"), is_v5(v) ? hex("00") : bytes{}, bytes(40, 'x')}));
        for (const std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{7}}) {
            INFO("pieces of " << piece);
            std::array<std::uint8_t, 16> storage{};
            framer f(storage, largest_packet_size, v);
            const fed r = feed_all(f, big, piece, v);
            REQUIRE(r.first_error.has_value());
            CHECK(r.first_error->code == errc::buffer_too_small);
            CHECK(r.first_error->category == error_category::resource);
            check_clean(f, v, piece);
        }
        // Refused as soon as the length is known: after the two header bytes, not after 16.
        {
            std::array<std::uint8_t, 16> storage{};
            framer f(storage, largest_packet_size, v);
            CHECK(f.feed(bytes_view(big.data(), 1)).has_value());
            CHECK(!f.feed(bytes_view(big.data() + 1, 1)).has_value());
            check_clean(f, v, 1);
        }
        // With the maximum packet size set to the storage size: packet_too_large, reason 0x95.
        {
            std::array<std::uint8_t, 16> storage{};
            framer f(storage, 16, v);
            const fed r = feed_all(f, big, 3, v);
            REQUIRE(r.first_error.has_value());
            CHECK(r.first_error->code == errc::packet_too_large);
            CHECK(r.first_error->reason_code() == 0x95);
            check_clean(f, v, 3);
        }
        // A packet that arrives whole is returned as a view of the input: nothing is copied, so the
        // storage size does not matter.
        {
            std::array<std::uint8_t, 16> storage{};
            framer f(storage, largest_packet_size, v);
            const auto st = f.feed(view(big));
            REQUIRE(st.has_value());
            CHECK(st->complete);
            CHECK(st->packet.data() == big.data());
            CHECK(st->consumed == big.size());
        }
        // decode() of a length larger than the bytes given.
        CHECK(decode_invalid(hex("30 28 00 01 74 78"), v, errc::truncated).offset == 6);
    }
}

TEST_CASE("bad-input B9 truncated CONNACK (wolfMQTT #545)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        // Remaining Length 2 with fewer bytes behind it.
        stays_incomplete(hex("20 02 00"), v);
        stays_incomplete(hex("20 02"), v);
        // Remaining Length shorter than the fields.
        CHECK(refused(hex("20 01 00"), v, errc::truncated, sender::server).offset == 3);
        CHECK(refused(hex("20 00"), v, errc::truncated, sender::server).offset == 2);
    }
    // 5.0 needs a Property Length after the two fields, and one that fits.
    CHECK(refused(hex("20 02 00 00"), v5, errc::property_length_missing).offset == 4);
    CHECK(refused(hex("20 03 00 00 05"), v5, errc::property_length_invalid).offset == 4);
    CHECK(refused(hex("20 04 00 00 02 21"), v5, errc::property_length_invalid).offset == 4);
    CHECK(refused(hex("20 05 00 00 02 21 00"), v5, errc::property_truncated).offset == 6);
    CHECK(refused(hex("20 04 00 00 01 21"), v5, errc::property_truncated).offset == 6);
    const bytes ok = hex("20 02 00 00");
    decode_valid(ok, v311);
}

TEST_CASE("bad-input B10 a rejected oversized packet leaves nothing in the framer (Contiki-NG #3217)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        std::array<std::uint8_t, 32> storage{};
        framer f(storage, largest_packet_size, v);
        // First segment: a header announcing 100 bytes and the start of the body.
        const bytes segment = concat({hex("30 64 00 01 74"), bytes(20, 'x')});
        const fed r = feed_all(f, segment, segment.size(), v);
        REQUIRE(r.first_error.has_value());
        CHECK(r.first_error->code == errc::buffer_too_small);
        CHECK(f.buffered() == 0);
        // Next segments: a packet that fills the storage exactly, byte by byte, then one split.
        const bytes full = packet_of(0x30, concat({field("t"), is_v5(v) ? hex("00") : bytes{}, bytes(32 - 5 - (is_v5(v) ? 1 : 0), 'y')}));
        REQUIRE(full.size() == storage.size());
        const fed r2 = feed_all(f, concat({full, good_packet(v)}), 1, v);
        CHECK(!r2.first_error.has_value());
        CHECK(r2.packets == (std::vector<bytes>{full, good_packet(v)}));
        check_clean(f, v, 5);
    }
    // A fixed header longer than the storage: refused before writing past it.
    for (const protocol_version v : both) {
        bytes tiny_storage(2);
        framer f(mutable_bytes(tiny_storage.data(), tiny_storage.size()), largest_packet_size, v);
        const bytes long_header = hex("30 80 01");
        const fed r = feed_all(f, long_header, 1, v);
        REQUIRE(r.first_error.has_value());
        CHECK(r.first_error->code == errc::buffer_too_small);
        CHECK(f.buffered() == 0);
        const bytes ping = hex("c0 00");
        const fed r2 = feed_all(f, concat({ping, ping}), 1, v);
        CHECK(!r2.first_error.has_value());
        CHECK(r2.packets == (std::vector<bytes>{ping, ping}));
    }
    // decode() keeps no state: an oversized field, then a valid packet.
    for (const protocol_version v : both) {
        decode_invalid(hex("30 07 ff ff 41 42 43 44 45"), v, errc::truncated);
        const bytes good = good_packet(v);
        decode_valid(good, v);
    }
}

// ---- C. MQTT 5.0 properties ---------------------------------------------------------------

TEST_CASE("bad-input C11 property length larger than the remaining length (coreMQTT v5.0.0 SUBACK) v5") {
    CHECK(refused(hex("90 04 00 01 05 00"), v5, errc::property_length_invalid, sender::server).offset == 4);
    CHECK(refused(hex("90 07 00 01 ff ff ff 7f 00"), v5, errc::property_length_invalid, sender::server).offset == 4);
    CHECK(refused(hex("20 03 00 00 09"), v5, errc::property_length_invalid).offset == 4);
    CHECK(refused(hex("30 06 00 01 61 7f 00 00"), v5, errc::property_length_invalid).offset == 5);
    CHECK(refused(hex("40 04 00 01 00 05"), v5, errc::property_length_invalid).offset == 5);
    CHECK(refused(hex("e0 02 00 05"), v5, errc::property_length_invalid).offset == 3);
    CHECK(refused(hex("f0 02 18 05"), v5, errc::property_length_invalid).offset == 3);
    CHECK(refused(hex("82 06 00 01 09 00 01 61"), v5, errc::property_length_invalid).offset == 4);
    CHECK(refused(hex("b0 04 00 01 02 00"), v5, errc::property_length_invalid).offset == 4);
    // A Property Length that is itself cut off.
    CHECK(refused(hex("90 03 00 01 80"), v5, errc::property_length_invalid).offset == 4);
}

TEST_CASE("bad-input C11 the same SUBACK bytes in v3.1.1 carry a return code that does not exist") {
    CHECK(refused(hex("90 04 00 01 05 00"), v311, errc::suback_reason_code_invalid).offset == 4);
}

TEST_CASE("bad-input C12 property blocks in DISCONNECT and CONNECT that end mid-property v5") {
    // DISCONNECT: Session Expiry Interval with 2 of its 4 bytes inside the block.
    CHECK(refused(hex("e0 05 00 03 11 00 00"), v5, errc::property_truncated, sender::client).offset == 5);
    // A User Property whose value length is cut in half.
    CHECK(refused(hex("e0 07 00 05 26 00 01 6b 00"), v5, errc::property_truncated).offset == 8);
    // A Reason String whose text runs out.
    CHECK(refused(hex("e0 06 00 04 1f 00 05 61"), v5, errc::property_truncated).offset == 5);
    // A property identifier that is cut off.
    CHECK(refused(hex("e0 03 00 01 80"), v5, errc::property_truncated).offset == 4);
    // A Server Reference that is only an identifier.
    CHECK(refused(hex("e0 03 9c 01 1c"), v5, errc::property_truncated, sender::server).offset == 5);

    // CONNECT: the block ends inside Receive Maximum; the Client Identifier after it is not read as
    // the rest of the value.
    bytes b = connect_packet(v5, 0x02, hex("21 00"), field("a"));
    CHECK(refused(b, v5, errc::property_truncated, sender::client).offset == 14);
    // Inside a User Property name.
    b = connect_packet(v5, 0x02, hex("26 00 04 6b"), field("a"));
    CHECK(refused(b, v5, errc::property_truncated, sender::client).offset == 14);
    // Will Properties ending inside Will Delay Interval.
    const bytes will_props = hex("03 18 00 00");
    b = connect_packet(v5, 0x06, {}, concat({field("a"), will_props, field("w"), field("m")}));
    CHECK(refused(b, v5, errc::property_truncated, sender::client).offset == find(b, will_props) + 2);
    // Will Properties whose length runs past the packet.
    b = connect_packet(v5, 0x06, {}, concat({field("a"), hex("20 01 01")}));
    CHECK(refused(b, v5, errc::property_length_invalid, sender::client).offset == 16);
}

TEST_CASE("bad-input C12 a 3.1.1 DISCONNECT has no body at all") {
    CHECK(refused(hex("e0 05 00 03 11 00 00"), v311, errc::trailing_bytes, sender::client).offset == 2);
    CHECK(refused(hex("e0 01 00"), v311, errc::trailing_bytes, sender::client).offset == 2);
}

TEST_CASE("bad-input C13 malformed CONNACK properties and invalid Will Property types (mosquitto CVE-2021-28166, CVE-2023-3592) v5") {
    struct bad_case {
        const char* block;
        errc code;
        std::size_t at;  // offset in the block
    };
    for (const bad_case& c : {
             bad_case{"00", errc::property_unknown, 0},
             bad_case{"7f 00", errc::property_unknown, 0},
             bad_case{"81 01 00", errc::property_unknown, 0},                  // identifier 129
             bad_case{"a1 00 00 05", errc::variable_byte_integer_not_minimal, 0},  // 0x21 written in two bytes
             bad_case{"01 01", errc::property_not_allowed, 0},                 // Payload Format Indicator
             bad_case{"0b 01", errc::property_not_allowed, 0},                 // Subscription Identifier
             bad_case{"23 00 01", errc::property_not_allowed, 0},              // Topic Alias
             bad_case{"17 01", errc::property_not_allowed, 0},                 // Request Problem Information
             bad_case{"12 00 02 c0 80", errc::utf8_ill_formed, 3},             // Assigned Client Identifier
             bad_case{"1f 00 02 61 00", errc::utf8_null_character, 4},         // Reason String
             bad_case{"24 02", errc::property_byte_invalid, 0},                // Maximum QoS 2
             bad_case{"25 ff", errc::property_byte_invalid, 0},                // Retain Available
             bad_case{"28 02", errc::property_byte_invalid, 0},                // Wildcard Subscription Available
             bad_case{"29 02", errc::property_byte_invalid, 0},                // Subscription Identifier Available
             bad_case{"2a 02", errc::property_byte_invalid, 0},                // Shared Subscription Available
             bad_case{"21 00 0a 21 00 0b", errc::property_duplicate, 3},       // Receive Maximum twice
             bad_case{"21 00 00", errc::receive_maximum_zero, 0},
             bad_case{"27 00 00 00 00", errc::maximum_packet_size_zero, 0},
             bad_case{"16 00 01 78", errc::authentication_data_without_method, 0},
             bad_case{"13 00", errc::property_truncated, 1},                   // Server Keep Alive cut short
         }) {
        INFO(std::string(c.block));
        const bytes block = hex(c.block);
        const bytes b = connack_v5(block);
        const error e = refused(b, v5, c.code, sender::server);
        CHECK(e.offset == find(b, props(block)) + 1 + c.at);
    }

    // Will Properties: only the PUBLISH message properties and Will Delay Interval belong there.
    for (const bad_case& c : {
             bad_case{"11 00 00 00 01", errc::property_not_allowed, 0},  // Session Expiry Interval
             bad_case{"24 01", errc::property_not_allowed, 0},           // Maximum QoS
             bad_case{"23 00 01", errc::property_not_allowed, 0},        // Topic Alias
             bad_case{"0b 01", errc::property_not_allowed, 0},           // Subscription Identifier
             bad_case{"15 00 01 61", errc::property_not_allowed, 0},     // Authentication Method
             bad_case{"01 02", errc::property_byte_invalid, 0},          // Payload Format Indicator 2
             bad_case{"03 00 01 ff", errc::utf8_ill_formed, 3},          // Content Type
             bad_case{"08 00 03 61 2f 23", errc::response_topic_wildcard, 5},
             bad_case{"18 00 00 00 01 18 00 00 00 02", errc::property_duplicate, 5},
             bad_case{"09 00", errc::property_truncated, 1},             // Correlation Data cut short
         }) {
        INFO(std::string(c.block));
        const bytes block = hex(c.block);
        const bytes b = connect_packet(v5, 0x06, {}, concat({field("a"), props(block), field("w"), field("m")}));
        const error e = refused(b, v5, c.code, sender::client);
        CHECK(e.offset == find(b, block) + c.at);
    }
    // The valid counterparts.
    const bytes connack_ok = connack_v5(hex("24 01 25 00 21 00 0a 27 00 00 04 00 12 00 01 63"));
    decode_valid(connack_ok, v5, sender::server);
    const bytes will_ok =
        connect_packet(v5, 0x06, {}, concat({field("a"), props(hex("01 01 18 00 00 00 05 03 00 01 74")), field("w"), field("m")}));
    decode_valid(will_ok, v5, sender::client);
}

TEST_CASE("bad-input C14 property rules: duplicates, placement, zero values, booleans, authentication v5") {
    struct bad_case {
        const char* what;
        bytes packet;
        bytes block;
        errc code;
        std::size_t at;
        sender from;
    };
    const bad_case cases[] = {
        {"duplicate Message Expiry Interval", publish_v5(hex("02 00 00 00 01 02 00 00 00 02")), hex("02 00 00 00 01 02"),
         errc::property_duplicate, 5, sender::any},
        {"duplicate Content Type", publish_v5(hex("03 00 01 61 03 00 01 62")), hex("03 00 01 61 03"),
         errc::property_duplicate, 4, sender::any},
        {"duplicate Reason String", puback_v5(hex("1f 00 00 1f 00 00")), hex("1f 00 00 1f"), errc::property_duplicate, 3,
         sender::any},
        {"duplicate Subscription Identifier in SUBSCRIBE", subscribe_v5(hex("0b 01 0b 02")), hex("0b 01 0b 02"),
         errc::property_duplicate, 2, sender::client},
        {"Session Expiry Interval in PUBLISH", publish_v5(hex("11 00 00 00 01")), hex("11 00 00 00 01"),
         errc::property_not_allowed, 0, sender::any},
        {"Topic Alias in SUBSCRIBE", subscribe_v5(hex("23 00 01")), hex("23 00 01"), errc::property_not_allowed, 0,
         sender::client},
        {"Reason String in PUBLISH", publish_v5(hex("1f 00 00")), hex("1f 00 00"), errc::property_not_allowed, 0,
         sender::any},
        {"Receive Maximum 0 in CONNECT", connect_packet(v5, 0x02, hex("21 00 00"), field("a")), hex("21 00 00"),
         errc::receive_maximum_zero, 0, sender::client},
        {"Maximum Packet Size 0 in CONNECT", connect_packet(v5, 0x02, hex("27 00 00 00 00"), field("a")),
         hex("27 00 00 00 00"), errc::maximum_packet_size_zero, 0, sender::client},
        {"Subscription Identifier 0 in SUBSCRIBE", subscribe_v5(hex("0b 00")), hex("0b 00"),
         errc::subscription_identifier_zero, 0, sender::client},
        {"Subscription Identifier 0 in PUBLISH", publish_v5(hex("0b 00")), hex("0b 00"),
         errc::subscription_identifier_zero, 0, sender::server},
        {"Topic Alias 0", publish_v5(hex("23 00 00")), hex("23 00 00"), errc::topic_alias_zero, 0, sender::any},
        {"Request Problem Information 2", connect_packet(v5, 0x02, hex("17 02"), field("a")), hex("17 02"),
         errc::property_byte_invalid, 0, sender::client},
        {"Request Response Information 2", connect_packet(v5, 0x02, hex("19 02"), field("a")), hex("19 02"),
         errc::property_byte_invalid, 0, sender::client},
        {"Payload Format Indicator 2", publish_v5(hex("01 02")), hex("01 02"), errc::property_byte_invalid, 0,
         sender::any},
        {"Authentication Data without Method in CONNECT", connect_packet(v5, 0x02, hex("16 00 01 78"), field("a")),
         hex("16 00 01 78"), errc::authentication_data_without_method, 0, sender::client},
        {"AUTH without Authentication Method", packet_of(0xf0, hex("18 04 16 00 01 78")), hex("16 00 01 78"),
         errc::authentication_data_without_method, 0, sender::any},
        {"Property Length 0 written in two bytes", publish_v5_overlong_length(), hex("80 00"),
         errc::variable_byte_integer_not_minimal, 0, sender::any},
        {"Property Length in five bytes", packet_of(0x30, concat({field("t"), hex("80 80 80 80 00")})),
         hex("80 80 80 80 00"), errc::variable_byte_integer_too_long, 0, sender::any},
        {"Subscription Identifier 1 written in two bytes", subscribe_v5(hex("0b 81 00")), hex("0b 81 00"),
         errc::variable_byte_integer_not_minimal, 1, sender::client},
        {"Subscription Identifier in a client's PUBLISH", publish_v5(hex("0b 01")), hex("0b 01"),
         errc::subscription_identifier_from_client, 0, sender::client},
    };
    for (const bad_case& c : cases) {
        INFO(std::string(c.what));
        const error e = refused(c.packet, v5, c.code, c.from);
        CHECK(e.offset == find(c.packet, c.block) + c.at);
    }
    // Topic Alias above the Topic Alias Maximum depends on the value negotiated in CONNECT/CONNACK:
    // a single packet cannot show it, so it is the client's check (bad-inputs class F territory).
    const bytes alias = publish_v5(hex("23 ff ff"), "");
    decode_valid(alias, v5);

    // Zero-length User Property names and values are valid, in every packet that takes them.
    const bytes empty_pair = hex("26 00 00 00 00");
    for (const bytes& b : {publish_v5(empty_pair), puback_v5(empty_pair), connack_v5(empty_pair), subscribe_v5(empty_pair),
                           disconnect_v5(empty_pair), connect_packet(v5, 0x02, empty_pair, field("a"))}) {
        const packet p = decode_valid(b, v5);
        (void)p;
    }
    const bytes pub = publish_v5(concat({empty_pair, empty_pair}));
    const publish p = decode_valid_as<publish>(pub, v5);
    std::size_t n = 0;
    for (const property& up : p.properties.user_properties()) {
        CHECK(up.pair.name.empty());
        CHECK(up.pair.value.empty());
        ++n;
    }
    CHECK(n == 2);

    // The encoder refuses the same blocks.
    bytes storage;
    connect c;
    c.client_id = "a";
    c.properties = build_properties(storage, [](property_builder& b) { b.receive_maximum(0); });
    encode_invalid(c, v5, errc::receive_maximum_zero, sender::client);
    publish q;
    q.topic = "t";
    q.properties = build_properties(storage, [](property_builder& b) { b.topic_alias(0); });
    encode_invalid(q, v5, errc::topic_alias_zero);
    q.properties = build_properties(storage, [](property_builder& b) { b.content_type("a").content_type("b"); });
    encode_invalid(q, v5, errc::property_duplicate);
    q.properties = build_properties(storage, [](property_builder& b) { b.session_expiry_interval(1); });
    encode_invalid(q, v5, errc::property_not_allowed);
}

// ---- D. Reason codes and payload arrays ---------------------------------------------------

TEST_CASE("bad-input D15 SUBACK with fewer reason codes than the SUBSCRIBE had filters (mosquitto 2.0.19)") {
    for (const protocol_version v : both) {
        INFO(name(v));
        const bytes none = is_v5(v) ? hex("00") : bytes{};
        const bytes sub_wire = packet_of(0x82, concat({hex("00 05"), none, field("a"), hex("00"), field("b"), hex("01"),
                                                       field("c"), hex("02")}));
        const bytes two = packet_of(0x90, concat({hex("00 05"), none, hex("00 01")}));
        const bytes three = packet_of(0x90, concat({hex("00 05"), none, hex("00 01 02")}));
        const bytes four = packet_of(0x90, concat({hex("00 05"), none, hex("00 01 02 80")}));
        const bytes other_id = packet_of(0x90, concat({hex("00 06"), none, hex("00 01 02")}));

        // Each packet is valid on its own; the mismatch is between two packets.
        const subscribe request = decode_valid_as<subscribe>(sub_wire, v, sender::client);
        CHECK(request.subscriptions.size() == 3);
        const auto check = [&](const bytes& response_wire) {
            const suback response = decode_valid_as<suback>(response_wire, v, sender::server);
            return check_suback(request, response, v);
        };
        CHECK(check(three).has_value());
        for (const bytes* wrong : {&two, &four}) {
            const auto r = check(*wrong);
            REQUIRE(!r.has_value());
            CHECK(r.error().code == errc::suback_count_mismatch);
            CHECK(r.error().reason_code() == 0x82);
            CHECK(r.error().version == v);
            CHECK(r.error().rule() == (is_v5(v) ? "MQTT-3.9.3-2" : "MQTT-3.8.4-5"));
        }
        const auto r = check(other_id);
        REQUIRE(!r.has_value());
        CHECK(r.error().code == errc::ack_packet_id_mismatch);
        CHECK(r.error().rule() == (is_v5(v) ? "MQTT-2.2.1-6" : "MQTT-2.3.1-7"));

        // Through one framer, as a client would see them: the SUBACK is complete and decodes, the
        // check refuses it, and the framer goes on with the next packet.
        std::array<std::uint8_t, small_storage> storage{};
        framer f(storage, largest_packet_size, v);
        const fed got = feed_all(f, two, 1, v, sender::server);
        REQUIRE(got.packets.size() == 1);
        const auto d = decode(view(got.packets[0]), v, sender::server);
        REQUIRE(d.has_value());
        const suback* s = std::get_if<suback>(&*d);
        REQUIRE(s != nullptr);
        CHECK(s->reason_codes.size() == 2);
        CHECK(check_suback(request, *s, v).error().code == errc::suback_count_mismatch);
        check_clean(f, v, 1);

        // An empty list is refused by decode() itself.
        refused(packet_of(0x90, concat({hex("00 05"), none})), v, errc::suback_reason_codes_missing, sender::server);
    }
    // 5.0 UNSUBACK: one reason code per filter too; a 3.1.1 UNSUBACK has none.
    const bytes unsub = packet_of(0xa2, concat({hex("00 09 00"), field("a"), field("b")}));
    const unsubscribe u = decode_valid_as<unsubscribe>(unsub, v5, sender::client);
    const bytes one_code = hex("b0 04 00 09 00 00");
    const unsuback ua = decode_valid_as<unsuback>(one_code, v5, sender::server);
    CHECK(check_unsuback(u, ua, v5).error().code == errc::unsuback_count_mismatch);
    CHECK(check_unsuback(u, ua, v5).error().rule() == "MQTT-3.11.3-2");
    // In 3.1.1 the UNSUBACK has no reason codes; the check then needs none, and cites no 5.0 id.
    const bytes unsub311 = packet_of(0xa2, concat({hex("00 09"), field("a"), field("b")}));
    const unsubscribe u311 = decode_valid_as<unsubscribe>(unsub311, v311, sender::client);
    const bytes ack311 = hex("b0 02 00 09"), other311 = hex("b0 02 00 08");
    CHECK(check_unsuback(u311, decode_valid_as<unsuback>(ack311, v311), v311).has_value());
    const auto wrong_id = check_unsuback(u311, decode_valid_as<unsuback>(other311, v311), v311);
    REQUIRE(!wrong_id.has_value());
    CHECK(wrong_id.error().code == errc::ack_packet_id_mismatch);
    CHECK(wrong_id.error().rule() == "MQTT-2.3.1-7");
    refused(hex("b0 03 00 09 00"), v5, errc::unsuback_reason_codes_missing, sender::server);
}

TEST_CASE("bad-input D16 SUBACK return codes outside 0x00, 0x01, 0x02, 0x80 (wolfMQTT #521) v3.1.1") {
    for (unsigned code = 0; code < 256; ++code) {
        INFO(code);
        const bytes b{0x90, 0x04, 0x00, 0x01, 0x00, static_cast<std::uint8_t>(code)};
        if (code <= 2 || code == 0x80) {
            decode_valid(b, v311, sender::server);
        } else {
            const error e = refused(b, v311, errc::suback_reason_code_invalid, sender::server);
            CHECK(e.offset == 5);
            CHECK(e.rule() == "MQTT-3.9.3-2");
        }
    }
    // And the CONNACK return codes above 5.
    for (unsigned code = 6; code < 256; ++code) {
        refused(bytes{0x20, 0x02, 0x00, static_cast<std::uint8_t>(code)}, v311, errc::connack_reason_code_invalid);
    }
}

TEST_CASE("bad-input D16 reason codes outside each packet's allowed set v5") {
    // The allowed sets, from the per-packet tables of MQTT 5.0 (spec/README.md).
    const std::vector<unsigned> connack_set = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                                               0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
    const std::vector<unsigned> puback_set = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
    const std::vector<unsigned> pubrel_set = {0x00, 0x92};
    const std::vector<unsigned> suback_set = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
    const std::vector<unsigned> unsuback_set = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
    // DISCONNECT from either side: the 3.14.2.1 table plus 0x8C, which Table 2-6 lists for DISCONNECT.
    const std::vector<unsigned> disconnect_set = {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C,
                                                  0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
                                                  0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
    const std::vector<unsigned> auth_set = {0x00, 0x18, 0x19};

    struct packet_case {
        const char* what;
        bytes (*make)(std::uint8_t);
        const std::vector<unsigned>* allowed;
        errc code;
        std::uint32_t offset;
        const char* rule;
    };
    const packet_case cases[] = {
        {"CONNACK", [](std::uint8_t c) { return bytes{0x20, 0x03, 0x00, c, 0x00}; }, &connack_set,
         errc::connack_reason_code_invalid, 3, "MQTT-3.2.2-8"},
        {"PUBACK", [](std::uint8_t c) { return bytes{0x40, 0x03, 0x00, 0x01, c}; }, &puback_set,
         errc::puback_reason_code_invalid, 4, "MQTT-3.4.2-1"},
        {"PUBREC", [](std::uint8_t c) { return bytes{0x50, 0x04, 0x00, 0x01, c, 0x00}; }, &puback_set,
         errc::pubrec_reason_code_invalid, 4, "MQTT-3.5.2-1"},
        {"PUBREL", [](std::uint8_t c) { return bytes{0x62, 0x03, 0x00, 0x01, c}; }, &pubrel_set,
         errc::pubrel_reason_code_invalid, 4, "MQTT-3.6.2-1"},
        {"PUBCOMP", [](std::uint8_t c) { return bytes{0x70, 0x03, 0x00, 0x01, c}; }, &pubrel_set,
         errc::pubcomp_reason_code_invalid, 4, "MQTT-3.7.2-1"},
        {"SUBACK", [](std::uint8_t c) { return bytes{0x90, 0x05, 0x00, 0x01, 0x00, 0x00, c}; }, &suback_set,
         errc::suback_reason_code_invalid, 6, "MQTT-3.9.3-2"},
        {"UNSUBACK", [](std::uint8_t c) { return bytes{0xb0, 0x04, 0x00, 0x01, 0x00, c}; }, &unsuback_set,
         errc::unsuback_reason_code_invalid, 5, "MQTT-3.11.3-2"},
        {"DISCONNECT", [](std::uint8_t c) { return bytes{0xe0, 0x01, c}; }, &disconnect_set,
         errc::disconnect_reason_code_invalid, 2, "MQTT-3.14.2-1"},
        {"AUTH", [](std::uint8_t c) { return bytes{0xf0, 0x06, c, 0x04, 0x15, 0x00, 0x01, 0x61}; }, &auth_set,
         errc::auth_reason_code_invalid, 2, "MQTT-3.15.2-1"},
    };
    for (const packet_case& pc : cases) {
        for (unsigned code = 0; code < 256; ++code) {
            INFO(pc.what << " reason code " << code);
            const bytes b = pc.make(static_cast<std::uint8_t>(code));
            const bool allowed = std::find(pc.allowed->begin(), pc.allowed->end(), code) != pc.allowed->end();
            if (allowed) {
                decode_valid(b, v5);
            } else {
                const error e = refused(b, v5, pc.code);
                CHECK(e.offset == pc.offset);
                CHECK(e.rule() == pc.rule);
            }
        }
    }
    // Direction: a Client does not send DISCONNECT 0x8B Server shutting down, a Server does not send
    // 0x04 Disconnect with Will Message; AUTH 0x00 comes from the Server, 0x19 from the Client.
    refused(hex("e0 01 8b"), v5, errc::disconnect_reason_code_invalid, sender::client);
    refused(hex("e0 01 04"), v5, errc::disconnect_reason_code_invalid, sender::server);
    const bytes d8b = hex("e0 01 8b"), d04 = hex("e0 01 04");
    decode_valid(d8b, v5, sender::server);
    decode_valid(d04, v5, sender::client);
    refused(hex("f0 06 00 04 15 00 01 61"), v5, errc::auth_reason_code_invalid, sender::client);
    refused(hex("f0 06 19 04 15 00 01 61"), v5, errc::auth_reason_code_invalid, sender::server);
}

// ---- E. Strings -------------------------------------------------------------------------------

namespace {

// Ill-formed UTF-8 sequences, and U+0000.
const char* const ill_formed[] = {
    "c0 80",        // over-long U+0000
    "c1 bf",        // over-long two-byte form
    "e0 80 80",     // over-long three-byte form
    "e0 9f bf",     // over-long three-byte form
    "ed a0 80",     // U+D800
    "ed bf bf",     // U+DFFF
    "ed af bf ed b0 80",  // a surrogate pair written as two three-byte forms (CESU-8)
    "f0 80 80 80",  // over-long four-byte form
    "f4 90 80 80",  // above U+10FFFF
    "f5 80 80 80",  // lead byte beyond U+10FFFF
    "fe",
    "ff",
    "80",           // continuation byte without a lead
    "bf",
    "c3",           // lead byte at the end
    "e2 82",        // truncated three-byte form
    "f0 9f 98",     // truncated four-byte form
    "c3 28",        // lead byte followed by a non-continuation byte
};

// A packet with `text` in one UTF-8 field.
struct utf8_field {
    const char* what;
    bool v311_too;  // the field exists in 3.1.1
    sender from;
    bytes (*make)(protocol_version, const bytes&);
};

bytes none_if_v311(protocol_version v) { return is_v5(v) ? hex("00") : bytes{}; }

const utf8_field utf8_fields[] = {
    {"Client Identifier", true, sender::client,
     [](protocol_version v, const bytes& t) { return connect_packet(v, 0x02, {}, field(t)); }},
    {"Will Topic", true, sender::client,
     [](protocol_version v, const bytes& t) {
         return connect_packet(v, 0x06, {}, concat({field("a"), none_if_v311(v), field(t), field("m")}));
     }},
    {"User Name", true, sender::client,
     [](protocol_version v, const bytes& t) { return connect_packet(v, 0xc2, {}, concat({field("a"), field(t), field("p")})); }},
    {"PUBLISH Topic Name", true, sender::any,
     [](protocol_version v, const bytes& t) { return packet_of(0x30, concat({field(t), none_if_v311(v), text("x")})); }},
    {"SUBSCRIBE Topic Filter", true, sender::client,
     [](protocol_version v, const bytes& t) { return packet_of(0x82, concat({hex("00 01"), none_if_v311(v), field(t), hex("01")})); }},
    {"UNSUBSCRIBE Topic Filter", true, sender::client,
     [](protocol_version v, const bytes& t) { return packet_of(0xa2, concat({hex("00 01"), none_if_v311(v), field("a"), field(t)})); }},
    {"Content Type", false, sender::any,
     [](protocol_version, const bytes& t) { return publish_v5(concat({hex("03"), field(t)})); }},
    {"Response Topic", false, sender::any,
     [](protocol_version, const bytes& t) { return publish_v5(concat({hex("08"), field(t)})); }},
    {"Reason String", false, sender::any,
     [](protocol_version, const bytes& t) { return puback_v5(concat({hex("1f"), field(t)})); }},
    {"User Property name", false, sender::any,
     [](protocol_version, const bytes& t) { return puback_v5(concat({hex("26"), field(t), field("v")})); }},
    {"User Property value", false, sender::any,
     [](protocol_version, const bytes& t) { return disconnect_v5(concat({hex("26"), field("k"), field(t)})); }},
    {"Authentication Method", false, sender::client,
     [](protocol_version v, const bytes& t) { return connect_packet(v, 0x02, concat({hex("15"), field(t)}), field("a")); }},
    {"Assigned Client Identifier", false, sender::server,
     [](protocol_version, const bytes& t) { return connack_v5(concat({hex("12"), field(t)})); }},
    {"Response Information", false, sender::server,
     [](protocol_version, const bytes& t) { return connack_v5(concat({hex("1a"), field(t)})); }},
    {"Server Reference", false, sender::server,
     [](protocol_version, const bytes& t) { return packet_of(0xe0, concat({hex("9c"), props(concat({hex("1c"), field(t)}))})); }},
    {"Will Content Type", false, sender::client,
     [](protocol_version v, const bytes& t) {
         return connect_packet(v, 0x06, {}, concat({field("a"), props(concat({hex("03"), field(t)})), field("w"), field("m")}));
     }},
};

}  // namespace

TEST_CASE("bad-input E17 ill-formed UTF-8, surrogates and U+0000 in every UTF-8 field (wolfMQTT #534, #535)") {
    const bytes marker = text("~~~");
    for (const utf8_field& fld : utf8_fields) {
        for (const protocol_version v : both) {
            if (!is_v5(v) && !fld.v311_too) continue;
            INFO(fld.what << " " << name(v));
            // Valid text in the same field, with characters of every length.
            const bytes good = fld.make(v, concat({marker, hex("c3 a9 e2 82 ac f0 9f 98 80 ef bb bf")}));
            decode_valid(good, v, fld.from);
            for (const char* bad : ill_formed) {
                INFO(std::string(bad));
                const bytes b = fld.make(v, concat({marker, hex(bad)}));
                const error e = refused(b, v, errc::utf8_ill_formed, fld.from);
                CHECK(e.offset == find(b, marker) + marker.size());
                CHECK(e.rule() == (is_v5(v) ? "MQTT-1.5.4-1" : "MQTT-1.5.3-1"));
            }
            const bytes nul = fld.make(v, concat({marker, hex("00")}));
            const error e = refused(nul, v, errc::utf8_null_character, fld.from);
            CHECK(e.offset == find(nul, marker) + marker.size());
            CHECK(e.rule() == (is_v5(v) ? "MQTT-1.5.4-2" : "MQTT-1.5.3-2"));
        }
    }
}

TEST_CASE("bad-input E17 the Password and other Binary Data are not UTF-8 checked") {
    for (const protocol_version v : both) {
        INFO(name(v));
        for (const char* bad : ill_formed) {
            const bytes pw = connect_packet(v, 0xc2, {}, concat({field("a"), field("u"), field(hex(bad))}));
            CHECK(decode_valid_as<connect>(pw, v, sender::client).password->size() == hex(bad).size());
            // The Will Message is Binary Data too.
            const bytes will = connect_packet(v, 0x06, {}, concat({field("a"), none_if_v311(v), field("w"), field(hex(bad))}));
            decode_valid(will, v, sender::client);
            // And so is a PUBLISH payload.
            const bytes pub = packet_of(0x30, concat({field("t"), none_if_v311(v), hex(bad)}));
            decode_valid(pub, v);
        }
        const bytes nul_pw = connect_packet(v, 0xc2, {}, concat({field("a"), field("u"), field(hex("00 00"))}));
        decode_valid(nul_pw, v, sender::client);
    }
    // 5.0 Correlation Data and Authentication Data.
    const bytes corr = publish_v5(concat({hex("09"), field(hex("ff 00 ed a0 80"))}));
    decode_valid(corr, v5);
    const bytes auth_data = connect_packet(v5, 0x02, concat({hex("15"), field("m"), hex("16"), field(hex("c0 80"))}), field("a"));
    decode_valid(auth_data, v5, sender::client);
}

TEST_CASE("bad-input E18 empty PUBLISH Topic Name (mosquitto CVE-2021-34432) v3.1.1 [MQTT-4.7.3-1]") {
    for (const char* wire : {"30 02 00 00", "32 04 00 00 00 01", "30 05 00 00 61 62 63"}) {
        const error e = refused(hex(wire), v311, errc::topic_empty);
        CHECK(e.offset == 2);
        CHECK(e.rule() == "MQTT-4.7.3-1");
    }
    publish p;
    p.payload = bytes_view(std::string_view("x"));
    CHECK(encode_invalid(p, v311, errc::topic_empty).offset == 2);
}

TEST_CASE("bad-input E18 empty PUBLISH Topic Name is valid in v5 only with a Topic Alias [MQTT-4.7.3-1]") {
    for (const char* wire : {"30 03 00 00 00", "32 05 00 00 00 01 00", "30 08 00 00 05 02 00 00 00 01"}) {
        const error e = refused(hex(wire), v5, errc::topic_empty);
        CHECK(e.offset == 2);
        CHECK(e.rule() == "MQTT-4.7.3-1");
    }
    const bytes with_alias = hex("30 06 00 00 03 23 00 01");
    const publish p = decode_valid_as<publish>(with_alias, v5);
    CHECK(p.topic.empty());
    CHECK(p.properties.topic_alias() == std::uint16_t{1});
    // An alias of 0 does not count.
    refused(hex("30 06 00 00 03 23 00 00"), v5, errc::topic_alias_zero);

    publish q;
    q.payload = bytes_view(std::string_view("x"));
    CHECK(encode_invalid(q, v5, errc::topic_empty).offset == 2);
    bytes storage;
    q.properties = build_properties(storage, [](property_builder& b) { b.topic_alias(1); });
    encode_valid(q, v5);
}
