// Test support: hex input, and the checks every valid and invalid packet goes through.
//
// decode_valid() is the one door for valid test packets: besides decoding, it feeds the bytes to
// the framer split at every byte position, and checks that the packet encodes again and decodes to
// the same value. decode_invalid() checks that the bytes are refused with the expected rule and
// that a framer which saw them is clean for the next packet.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sansmqtt/sansmqtt.hpp"

namespace test {

using namespace sansmqtt;
using bytes = std::vector<std::uint8_t>;

// "30 05 00 01 61" -> bytes. Spaces, colons and line breaks are ignored.
bytes hex(std::string_view text);
std::string to_hex(const bytes_view& b);
inline bytes_view view(const bytes& b) { return bytes_view(b.data(), b.size()); }
bytes concat(std::initializer_list<bytes> parts);

// Building wire bytes by hand, for packets whose lengths are easier computed than counted.
bytes variable_byte_integer_bytes(std::size_t n);               // shortest form
bytes packet_of(std::uint8_t first, const bytes& body);        // first byte, Remaining Length, body
bytes field(const bytes& content);                             // two-byte length, then the bytes
bytes field(std::string_view content);
bytes text(std::string_view s);                                // the bytes of s, no length

// Decodes a packet that must be valid, and checks framing and the round trip (see above).
// The returned packet's views point into `b`.
packet decode_valid(const bytes& b, protocol_version v, sender from = sender::any);
packet decode_valid(bytes&&, protocol_version, sender = sender::any) = delete;

template <class P>
P decode_valid_as(const bytes& b, protocol_version v, sender from = sender::any) {
    const packet p = decode_valid(b, v, from);
    const P* q = std::get_if<P>(&p);
    REQUIRE_MESSAGE(q != nullptr, "decoded a different packet type");
    return *q;
}
template <class P>
P decode_valid_as(bytes&&, protocol_version, sender = sender::any) = delete;

// Decodes bytes that must be refused with `code`; returns the error (offset, rule, reason code).
error decode_invalid(const bytes& b, protocol_version v, errc code, sender from = sender::any);

// Encodes a packet that must be valid; checks encoded_size() and that it decodes to the same value.
bytes encode_valid(const packet& p, protocol_version v, sender from = sender::any);

// Encodes a packet that must be refused with `code` (category local, or resource for buffers).
error encode_invalid(const packet& p, protocol_version v, errc code, sender from = sender::any);

// Feeds `stream` to a framer in pieces of `piece` bytes and returns the packets it completes.
std::vector<bytes> frame_all(const bytes& stream, std::size_t piece, protocol_version v,
                             std::uint32_t maximum_packet_size = largest_packet_size);

// Builds a property block in `storage` (kept by the caller) with the builder calls in `fill`.
template <class F>
properties build_properties(bytes& storage, F&& fill) {
    storage.assign(1024, 0);
    property_builder b(mutable_bytes(storage.data(), storage.size()));
    fill(b);
    const auto r = b.build();
    REQUIRE(r.has_value());
    return *r;
}

}  // namespace test
