// sansmqtt: UTF-8 validation as MQTT requires it.
//
// Well-formed per RFC 3629 (no over-long forms, nothing above U+10FFFF, no encoded surrogates
// U+D800..U+DFFF) [MQTT-1.5.4-1] and no U+0000 [MQTT-1.5.4-2]. A byte order mark EF BB BF is an
// ordinary character U+FEFF and is kept [MQTT-1.5.4-3]. The control and non-characters that the
// specification says SHOULD NOT appear are accepted: the decision to close for those is the
// application's.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"

namespace sansmqtt {

namespace detail {

template <class Char>
constexpr result<void> check_utf8(const Char* p, std::size_t n) noexcept {
    std::size_t i = 0;
    while (i < n) {
        const auto b0 = static_cast<std::uint8_t>(p[i]);
        if (b0 < 0x80) {
            if (b0 == 0) return make_error(errc::utf8_null_character, i);
            ++i;
            continue;
        }
        // Range of the second byte and number of continuation bytes, by lead byte (RFC 3629 table).
        std::uint8_t lo = 0x80, hi = 0xBF;
        std::size_t more = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            more = 1;
        } else if (b0 == 0xE0) {
            lo = 0xA0, more = 2;
        } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
            more = 2;
        } else if (b0 == 0xED) {
            hi = 0x9F, more = 2;  // ED A0..BF would encode a surrogate
        } else if (b0 == 0xF0) {
            lo = 0x90, more = 3;
        } else if (b0 >= 0xF1 && b0 <= 0xF3) {
            more = 3;
        } else if (b0 == 0xF4) {
            hi = 0x8F, more = 3;
        } else {
            return make_error(errc::utf8_ill_formed, i);
        }
        if (n - i <= more) return make_error(errc::utf8_ill_formed, i);
        const auto b1 = static_cast<std::uint8_t>(p[i + 1]);
        if (b1 < lo || b1 > hi) return make_error(errc::utf8_ill_formed, i);
        for (std::size_t k = 2; k <= more; ++k) {
            const auto bk = static_cast<std::uint8_t>(p[i + k]);
            if (bk < 0x80 || bk > 0xBF) return make_error(errc::utf8_ill_formed, i);
        }
        i += more + 1;
    }
    return {};
}

}  // namespace detail

// Checks `text` against the MQTT UTF-8 rules. The error's offset is relative to the first byte of
// `text` and points at the start of the offending character.
constexpr result<void> check_utf8(const bytes_view& text) noexcept {
    return text.visit([](const auto* p, std::size_t n) { return detail::check_utf8(p, n); });
}

}  // namespace sansmqtt
