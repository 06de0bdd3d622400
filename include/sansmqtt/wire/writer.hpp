// sansmqtt: a writer of MQTT primitive fields into a caller's buffer.
//
// The encoder sizes the packet before writing, so running out of room is a bug in the caller of
// the writer; it is still checked: the writer then stops writing and reports overflowed().
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/variable_byte_integer.hpp"

namespace sansmqtt {

class byte_writer {
public:
    constexpr explicit byte_writer(mutable_bytes out) noexcept : out_(out) {}

    constexpr std::size_t position() const noexcept { return pos_; }
    constexpr bool overflowed() const noexcept { return overflowed_; }

    constexpr void write_u8(std::uint8_t v) noexcept {
        if (!room(1)) return;
        out_[pos_++] = v;
    }
    constexpr void write_u16(std::uint16_t v) noexcept {
        if (!room(2)) return;
        out_[pos_++] = static_cast<std::uint8_t>(v >> 8);
        out_[pos_++] = static_cast<std::uint8_t>(v);
    }
    constexpr void write_u32(std::uint32_t v) noexcept {
        if (!room(4)) return;
        for (int shift = 24; shift >= 0; shift -= 8) out_[pos_++] = static_cast<std::uint8_t>(v >> shift);
    }
    // Precondition: v <= largest_variable_byte_integer.
    constexpr void write_variable_byte_integer(std::uint32_t v) noexcept {
        if (!room(variable_byte_integer_size(v))) return;
        do {
            auto b = static_cast<std::uint8_t>(v & 0x7Fu);
            v >>= 7;
            if (v != 0) b = static_cast<std::uint8_t>(b | 0x80u);
            out_[pos_++] = b;
        } while (v != 0);
    }
    constexpr void write_bytes(const bytes_view& v) noexcept {
        if (!room(v.size())) return;
        copy_bytes(v, out_.data() + pos_);
        pos_ += v.size();
    }
    // Binary Data or UTF-8 string: two-byte length, then the bytes. Precondition: size <= 65,535.
    constexpr void write_binary(const bytes_view& v) noexcept {
        write_u16(static_cast<std::uint16_t>(v.size()));
        write_bytes(v);
    }
    constexpr void write_utf8(const text_view& v) noexcept { write_binary(v.bytes()); }

private:
    constexpr bool room(std::size_t n) noexcept {
        if (overflowed_ || out_.size() - pos_ < n) {
            overflowed_ = true;
            return false;
        }
        return true;
    }

    mutable_bytes out_;
    std::size_t pos_ = 0;
    bool overflowed_ = false;
};

}  // namespace sansmqtt
