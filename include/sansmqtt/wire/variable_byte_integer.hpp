// sansmqtt: the Variable Byte Integer (MQTT 5.0 section 1.5.5, 3.1.1 section 2.2.3).
//
// Seven bits per byte, least significant group first, high bit set when another byte follows;
// at most four bytes, so at most 268,435,455. MQTT 5.0 also requires the shortest form
// [MQTT-1.5.5-1]: a form longer than one byte whose last byte is 0 is over-long.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"

namespace sansmqtt {

struct variable_byte_integer {
    std::uint32_t value = 0;
    std::uint8_t length = 0;  // bytes used on the wire; 0 when the integer is not complete yet
    constexpr bool complete() const noexcept { return length != 0; }
};

// Reads the integer starting at `pos`. Running out of input is not an error: the result is then
// incomplete (length 0). Errors carry the offset of `pos`.
constexpr result<variable_byte_integer> read_variable_byte_integer(const bytes_view& in, std::size_t pos,
                                                                   bool require_minimal) noexcept {
    std::uint32_t value = 0;
    for (std::uint8_t i = 0; i < 4; ++i) {
        if (pos + i >= in.size()) return variable_byte_integer{};
        const std::uint8_t b = in[pos + i];
        value |= static_cast<std::uint32_t>(b & 0x7Fu) << (7u * i);
        if ((b & 0x80u) == 0) {
            if (require_minimal && i > 0 && b == 0) {
                return make_error(errc::variable_byte_integer_not_minimal, pos);
            }
            return variable_byte_integer{value, static_cast<std::uint8_t>(i + 1)};
        }
    }
    return make_error(errc::variable_byte_integer_too_long, pos);
}

// Bytes needed to encode `value` (1 to 4). Precondition: value <= largest_variable_byte_integer.
constexpr std::size_t variable_byte_integer_size(std::uint32_t value) noexcept {
    return value < 128u ? 1 : value < 16'384u ? 2 : value < 2'097'152u ? 3 : 4;
}

}  // namespace sansmqtt
