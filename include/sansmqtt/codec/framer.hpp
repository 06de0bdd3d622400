// sansmqtt: finding packet boundaries in a byte stream.
//
// frame() looks at the bytes received so far and says whether they start with a whole packet, how
// many more bytes are needed, or that they cannot start a valid packet. It rejects a reserved packet
// type on the first byte and a packet larger than the caller's maximum as soon as the length bytes
// show it, before any of the packet's body has to be received or stored.
//
// framer does the same over a stream fed in pieces of any size, collecting a packet in the caller's
// storage only when it arrives split; a packet that arrives whole is returned as a view into the
// input, without a copy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/codec/packet_type.hpp"
#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/variable_byte_integer.hpp"

namespace sansmqtt {

struct fixed_header {
    packet_type type{};
    std::uint8_t flags = 0;              // bits 3-0 of the first byte
    std::uint32_t remaining_length = 0;
    std::uint8_t size = 0;               // bytes of the fixed header: 2 to 5

    constexpr std::size_t packet_size() const noexcept { return size + std::size_t{remaining_length}; }
};

struct frame_status {
    bool complete = false;     // the input starts with a whole packet of header.packet_size() bytes
    bool header_known = false; // the fixed header has been read
    std::size_t needed = 0;    // when not complete: bytes still missing (a lower bound until header_known)
    fixed_header header;
};

// Frames the packet at the start of `received`. MQTT 5.0 requires the shortest Remaining Length
// encoding [MQTT-1.5.5-1]; 3.1.1 does not. Errors: packet_type_invalid (offset 0),
// variable_byte_integer_* and packet_too_large (offset 1).
constexpr result<frame_status> frame(const bytes_view& received, std::uint32_t maximum_packet_size,
                                     protocol_version v) noexcept {
    const auto fail = [v](errc code, std::size_t offset) {
        error e = make_error(code, offset);
        e.version = v;
        return e;
    };
    if (!is_compiled_in(v)) return fail(errc::version_compiled_out, 0);
    frame_status s;
    if (received.empty()) {
        s.needed = 2;
        return s;
    }
    const std::uint8_t first = received[0];
    if (!is_defined(static_cast<std::uint8_t>(first >> 4), v)) return fail(errc::packet_type_invalid, 0);

    const auto length = read_variable_byte_integer(received, 1, is_v5(v));
    if (!length) return fail(length.error().code, length.error().offset);
    if (!length->complete()) {
        // Even the bytes so far can prove the packet too large: k length bytes, all with the
        // continuation bit, mean a value of at least their groups, plus 128^k when the shortest
        // form is required and k > 0 (the final byte is then not 0; a first byte may be 0).
        const std::size_t k = received.size() - 1;
        std::uint64_t at_least = 1 + (k + 1);
        for (std::size_t i = 0; i < k; ++i) at_least += std::uint64_t{received[1 + i] & 0x7Fu} << (7 * i);
        if (is_v5(v) && k > 0) at_least += std::uint64_t{1} << (7 * k);
        if (at_least > maximum_packet_size) return fail(errc::packet_too_large, 1);
        s.needed = 1;
        return s;
    }
    s.header_known = true;
    s.header.type = static_cast<packet_type>(first >> 4);
    s.header.flags = static_cast<std::uint8_t>(first & 0x0Fu);
    s.header.remaining_length = length->value;
    s.header.size = static_cast<std::uint8_t>(1 + length->length);
    if (s.header.packet_size() > maximum_packet_size) return fail(errc::packet_too_large, 1);
    if (received.size() >= s.header.packet_size()) {
        s.complete = true;
    } else {
        s.needed = s.header.packet_size() - received.size();
    }
    return s;
}

// An incremental framer over caller-provided storage. Feed it the stream in pieces; each feed()
// consumes bytes up to the end of the current packet and never beyond, so the caller simply
// feeds the rest again. After an error the framer holds nothing of the rejected packet.
class framer {
public:
    struct step {
        std::size_t consumed = 0;  // bytes of the input taken by this call
        bool complete = false;     // `packet` holds a whole packet
        bytes_view packet;         // valid until the next feed() (and as long as the input, if it points there)
        std::size_t needed = 0;    // when not complete: bytes still missing (a lower bound until the header is known)
    };

    // `storage` must hold the largest packet that can arrive split; a packet that does not fit is
    // refused with buffer_too_small. Pass maximum_packet_size <= storage.size() to get
    // packet_too_large instead, as soon as the length is known.
    constexpr framer(mutable_bytes storage, std::uint32_t maximum_packet_size,
                     protocol_version v = protocol_version::v5) noexcept
        : storage_(storage), maximum_packet_size_(maximum_packet_size), version_(v) {}

    constexpr void set_version(protocol_version v) noexcept { version_ = v; }
    constexpr void set_maximum_packet_size(std::uint32_t m) noexcept { maximum_packet_size_ = m; }
    constexpr std::size_t buffered() const noexcept { return delivered_ ? 0 : buffered_; }
    // The fixed header of the packet the last complete step returned, for decode_framed().
    constexpr const fixed_header& header() const noexcept { return header_; }
    constexpr void reset() noexcept {
        buffered_ = 0;
        packet_size_ = 0;
        delivered_ = false;
    }

    constexpr result<step> feed(const bytes_view& input) noexcept {
        if (delivered_) reset();
        step st;
        if (buffered_ == 0) {
            // The common case: the whole packet is in the input. Return a view of it.
            const auto f = frame(input, maximum_packet_size_, version_);
            if (!f) return f.error();
            if (f->complete) {
                st.consumed = f->header.packet_size();
                st.complete = true;
                st.packet = input.subview(0, st.consumed);
                header_ = f->header;
                return st;
            }
        }
        while (st.consumed < input.size()) {
            if (packet_size_ == 0) {
                // Header not known yet: take one byte at a time, so no byte of the next packet is taken.
                // A fixed header longer than the storage belongs to a packet larger than it.
                if (buffered_ == storage_.size()) {
                    reset();
                    return too_small();
                }
                storage_[buffered_++] = input[st.consumed++];
                const auto f = frame(bytes_view(storage_.data(), buffered_), maximum_packet_size_, version_);
                if (!f) {
                    reset();
                    return f.error();
                }
                if (f->header_known) {
                    if (f->header.packet_size() > storage_.size()) {
                        reset();
                        return too_small();
                    }
                    packet_size_ = f->header.packet_size();
                    header_ = f->header;
                }
            } else {
                const std::size_t want = packet_size_ - buffered_;
                const std::size_t take = want < input.size() - st.consumed ? want : input.size() - st.consumed;
                copy_bytes(input.subview(st.consumed, take), storage_.data() + buffered_);
                buffered_ += take;
                st.consumed += take;
            }
            if (packet_size_ != 0 && buffered_ == packet_size_) {
                st.complete = true;
                st.packet = bytes_view(storage_.data(), buffered_);
                delivered_ = true;
                return st;
            }
        }
        st.needed = packet_size_ != 0 ? packet_size_ - buffered_ : 1;
        return st;
    }

private:
    constexpr error too_small() const noexcept {
        error e = make_error(errc::buffer_too_small, 1, error_category::resource);
        e.version = version_;
        return e;
    }

    mutable_bytes storage_;
    std::uint32_t maximum_packet_size_;
    protocol_version version_;
    std::size_t buffered_ = 0;
    std::size_t packet_size_ = 0;  // 0 until the fixed header is complete
    fixed_header header_;          // once it is (and of the last packet returned whole)
    bool delivered_ = false;       // storage holds a packet returned by the last feed()
};

}  // namespace sansmqtt
