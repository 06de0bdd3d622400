// sansmqtt: a bounds-checked reader of MQTT primitive fields.
//
// Every read checks the bytes that remain and reports `truncated` at the offset of the field that
// did not fit; nothing is read outside [begin, end). Offsets are positions in the viewed input, so
// an error points at a byte of the packet the caller passed in.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/utf8.hpp"
#include "sansmqtt/wire/variable_byte_integer.hpp"

namespace sansmqtt {

class byte_reader {
public:
    // Reads in[pos, end). Precondition: pos <= end <= in.size().
    constexpr byte_reader(const bytes_view& in, std::size_t pos, std::size_t end) noexcept
        : in_(in), pos_(pos), end_(end) {}
    constexpr explicit byte_reader(const bytes_view& in) noexcept : byte_reader(in, 0, in.size()) {}

    constexpr std::size_t position() const noexcept { return pos_; }
    constexpr std::size_t end() const noexcept { return end_; }
    constexpr std::size_t remaining() const noexcept { return end_ - pos_; }
    constexpr bool at_end() const noexcept { return pos_ == end_; }
    constexpr const bytes_view& input() const noexcept { return in_; }

    constexpr result<std::uint8_t> read_u8() noexcept {
        if (remaining() < 1) return make_error(errc::truncated, pos_);
        return in_[pos_++];
    }

    constexpr result<std::uint16_t> read_u16() noexcept {
        if (remaining() < 2) return make_error(errc::truncated, pos_);
        const auto v = static_cast<std::uint16_t>((in_[pos_] << 8) | in_[pos_ + 1]);
        pos_ += 2;
        return v;
    }

    constexpr result<std::uint32_t> read_u32() noexcept {
        if (remaining() < 4) return make_error(errc::truncated, pos_);
        const std::uint32_t v = (std::uint32_t{in_[pos_]} << 24) | (std::uint32_t{in_[pos_ + 1]} << 16) |
                                (std::uint32_t{in_[pos_ + 2]} << 8) | std::uint32_t{in_[pos_ + 3]};
        pos_ += 4;
        return v;
    }

    constexpr result<std::uint32_t> read_variable_byte_integer(bool require_minimal) noexcept {
        const auto r = sansmqtt::read_variable_byte_integer(in_.subview(0, end_), pos_, require_minimal);
        if (!r) return r.error();
        if (!r->complete()) return make_error(errc::truncated, pos_);
        pos_ += r->length;
        return r->value;
    }

    constexpr result<bytes_view> read_bytes(std::size_t n) noexcept {
        if (remaining() < n) return make_error(errc::truncated, pos_);
        const bytes_view v = in_.subview(pos_, n);
        pos_ += n;
        return v;
    }

    constexpr bytes_view read_rest() noexcept {
        const bytes_view v = in_.subview(pos_, remaining());
        pos_ = end_;
        return v;
    }

    // Binary Data: two-byte length, then that many bytes.
    constexpr result<bytes_view> read_binary() noexcept {
        const std::size_t at = pos_;
        const auto len = read_u16();
        if (!len) return len.error();
        const auto v = read_bytes(*len);
        if (!v) {
            pos_ = at;
            return make_error(errc::truncated, at);
        }
        return v;
    }

    // UTF-8 Encoded String: Binary Data whose bytes pass check_utf8(). `check` false skips the
    // UTF-8 check (for text that was checked before); the length is checked either way.
    constexpr result<text_view> read_utf8(bool check = true) noexcept {
        if (remaining() < 2) return make_error(errc::truncated, pos_);
        const std::size_t len = std::size_t{in_[pos_]} << 8 | in_[pos_ + 1];
        if (remaining() - 2 < len) return make_error(errc::truncated, pos_);
        const bytes_view v = in_.subview(pos_ + 2, len);
        if (check) {
            if (const auto ok = check_utf8(v); !ok) return make_error(ok.error().code, pos_ + 2 + ok.error().offset);
        }
        pos_ += 2 + len;
        return text_view(v);
    }

private:
    bytes_view in_;
    std::size_t pos_;
    std::size_t end_;
};

}  // namespace sansmqtt
