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
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"

namespace sansmqtt {

namespace detail {

// Word-at-a-time tests (words of 4 or 8 bytes): whether a word holds a byte >= 0x80, a zero byte,
// or a given byte. has_zero_byte() is exact for words without bytes >= 0x80.
using text_word = std::size_t;
template <class W>
constexpr W every_byte(std::uint8_t b) noexcept {
    return static_cast<W>(static_cast<W>(-1) / 0xFF * b);
}
template <class W>
constexpr W has_zero_byte(W w) noexcept {
    return static_cast<W>((w - every_byte<W>(0x01)) & ~w & every_byte<W>(0x80));
}

// '#' (0x23) and '+' (0x2B) differ only in bit 0x08: with that bit set, both read 0x2B.
inline constexpr std::uint8_t wildcard_bit = 0x08;
static_assert(('#' | wildcard_bit) == '+' && ('+' | wildcard_bit) == '+');

template <class W, class Char>
W load_word(const Char* p) noexcept {
    W w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

// The byte a text's bytes are compared with after setting wildcard_bit: '+' finds '+' and '#';
// 0xFF finds nothing the high-bit test has not already found (no wildcard check).
inline constexpr std::uint8_t wildcard_probe(bool topic_name) noexcept { return topic_name ? '+' : 0xFF; }

// True when the word of type W at p is ASCII without U+0000 (and, with probe '+', without '+'
// and '#'): bytes that need no closer look.
template <class W = text_word, class Char>
bool plain_word(const Char* p, std::uint8_t probe) noexcept {
    const W w = load_word<W>(p);
    const W special = static_cast<W>((w & every_byte<W>(0x80)) | has_zero_byte(w) |
                                     has_zero_byte(static_cast<W>((w | every_byte<W>(wildcard_bit)) ^ every_byte<W>(probe))));
    return special == 0;
}

// The same test 16 bytes at a time where the target has SSE2 (every x86-64); elsewhere a block is
// a word.
#if defined(__SSE2__)
inline constexpr std::size_t text_block_size = 16;
template <class Char>
bool plain_block(const Char* p, std::uint8_t probe) noexcept {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(static_cast<char>(wildcard_bit)));
    const __m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()),
                                         _mm_cmpeq_epi8(folded, _mm_set1_epi8(static_cast<char>(probe))));
    return _mm_movemask_epi8(_mm_or_si128(v, special)) == 0;  // the high bit of each byte
}
#else
inline constexpr std::size_t text_block_size = sizeof(text_word);
template <class Char>
bool plain_block(const Char* p, std::uint8_t probe) noexcept {
    return plain_word(p, probe);
}
#endif

inline constexpr std::size_t no_offset = static_cast<std::size_t>(-1);

// One pass over text: well-formed UTF-8 without U+0000 and, for a Topic Name, the first '+' or
// '#' (reported as `wildcard` only when the whole text is well-formed, so a UTF-8 error anywhere
// wins, as it would in two passes). At run time whole blocks (16 bytes with SSE2) and words of
// plain ASCII pass at once; a block that is not plain, and all text in constant evaluation, is
// read one character at a time, and the next block is tried after it.
template <class Char>
constexpr result<void> scan_text(const Char* p, std::size_t n, bool topic_name, errc wildcard) noexcept {
    constexpr std::size_t block = text_block_size;
    constexpr std::size_t word = sizeof(text_word);
    const std::uint8_t probe = wildcard_probe(topic_name);
    std::size_t first_wildcard = no_offset;
    std::size_t i = 0;
    while (i < n) {
        std::size_t stop = n;  // where the character-wise look may hand back to blocks
        if (!is_constant_evaluated()) {
            if (n - i >= block) {
                if (plain_block(p + i, probe)) {
                    i += block;
                    continue;
                }
                stop = i + block;
            } else if (n >= block) {
                if (plain_block(p + n - block, probe)) break;  // the last block, overlapping checked bytes
            } else if (block > word && n - i >= word) {
                if (plain_word(p + i, probe)) {
                    i += word;
                    continue;
                }
                stop = i + word;
            } else if (block > word && n >= word) {
                if (plain_word(p + n - word, probe)) break;
            } else if (word > 4 && n - i >= 4) {  // short text (property values, short names)
                if (plain_word<std::uint32_t>(p + i, probe)) {
                    i += 4;
                    continue;
                }
                stop = i + 4;
            } else if (word > 4 && n >= 4) {
                if (plain_word<std::uint32_t>(p + n - 4, probe)) break;
            }
        }
        while (i < stop) {
            const auto b0 = static_cast<std::uint8_t>(p[i]);
            if (b0 < 0x80) {
                if (b0 == 0) return make_error(errc::utf8_null_character, i);
                if ((b0 | wildcard_bit) == probe && first_wildcard == no_offset) first_wildcard = i;
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
    }
    if (first_wildcard != no_offset) return make_error(wildcard, first_wildcard);
    return {};
}

}  // namespace detail

// Checks `text` against the MQTT UTF-8 rules. The error's offset is relative to the first byte of
// `text` and points at the start of the offending character.
constexpr result<void> check_utf8(const bytes_view& text) noexcept {
    return text.visit([](const auto* p, std::size_t n) { return detail::scan_text(p, n, false, errc::utf8_ill_formed); });
}

// check_utf8() and, in the same pass, no '+' or '#' (reported as `wildcard`, at the first one,
// when the text is otherwise valid).
constexpr result<void> check_utf8_without_wildcards(const bytes_view& text, errc wildcard) noexcept {
    return text.visit([wildcard](const auto* p, std::size_t n) { return detail::scan_text(p, n, true, wildcard); });
}

}  // namespace sansmqtt
