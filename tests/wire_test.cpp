// The wire layer: Variable Byte Integers, UTF-8 validation, and the bounds-checked reader/writer.
#include "support.hpp"

#include <array>
#include <cstring>
#include <iterator>
#include <optional>
#include <utility>

using namespace test;

TEST_CASE("v5 [MQTT-1.5.5-1] variable byte integer: boundaries encode in the fewest bytes and decode back") {
    const std::pair<std::uint32_t, const char*> cases[] = {
        {0, "00"},           {127, "7f"},          {128, "80 01"},       {16383, "ff 7f"},
        {16384, "80 80 01"}, {2097151, "ff ff 7f"}, {2097152, "80 80 80 01"}, {268435455, "ff ff ff 7f"},
    };
    for (const auto& c : cases) {
        const std::uint32_t value = c.first;
        const char* const wire = c.second;
        INFO(value);
        std::array<std::uint8_t, 4> out{};
        byte_writer w(out);
        w.write_variable_byte_integer(value);
        CHECK(to_hex(bytes_view(out.data(), w.position())) == wire);
        CHECK(variable_byte_integer_size(value) == w.position());
        const bytes b = hex(wire);
        const auto r = read_variable_byte_integer(view(b), 0, true);
        REQUIRE(r.has_value());
        CHECK(r->value == value);
        CHECK(r->length == b.size());
    }
}

TEST_CASE("v5 [MQTT-1.5.5-1] variable byte integer: over-long forms are refused only where 5.0 rules apply") {
    for (const char* wire : {"80 00", "80 80 00", "80 80 80 00", "ff 80 00"}) {
        INFO(wire);
        const bytes b = hex(wire);
        const auto strict = read_variable_byte_integer(view(b), 0, true);
        REQUIRE_FALSE(strict.has_value());
        CHECK(strict.error().code == errc::variable_byte_integer_not_minimal);
        const auto lenient = read_variable_byte_integer(view(b), 0, false);
        REQUIRE(lenient.has_value());
        CHECK(lenient->length == b.size());
    }
}

TEST_CASE("v5 variable byte integer: a fifth byte is refused and a short input is incomplete, not an error") {
    const bytes five = hex("ff ff ff ff 7f");
    const auto r = read_variable_byte_integer(view(five), 0, true);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::variable_byte_integer_too_long);
    CHECK(r.error().reason_code() == 0x81);
    const bytes partial = hex("ff ff");
    const auto p = read_variable_byte_integer(view(partial), 0, true);
    REQUIRE(p.has_value());
    CHECK_FALSE(p->complete());
}

TEST_CASE("v5 [MQTT-1.5.4-1] UTF-8: well-formed text of every length class passes") {
    // 1, 2, 3 and 4-byte characters, and the last code point U+10FFFF.
    const bytes b = hex("41 c2 a9 e2 82 ac f0 9f 98 80 f4 8f bf bf ed 9f bf ee 80 80");
    CHECK(check_utf8(view(b)).has_value());
}

TEST_CASE("v5 [MQTT-1.5.4-1] UTF-8: ill-formed sequences and surrogates are refused at their first byte") {
    const std::pair<const char*, std::uint32_t> cases[] = {
        {"41 80", 1},          // lone continuation byte
        {"c0 af", 0},          // over-long '/'
        {"c1 bf", 0},          // over-long
        {"e0 80 af", 0},       // over-long 3-byte
        {"f0 80 80 af", 0},    // over-long 4-byte
        {"ed a0 80", 0},       // U+D800 surrogate
        {"ed bf bf", 0},       // U+DFFF surrogate
        {"f4 90 80 80", 0},    // above U+10FFFF
        {"f5 80 80 80", 0},    // invalid lead byte
        {"ff", 0},             // invalid byte
        {"41 42 e2 82", 2},    // truncated sequence at the end
        {"c3 28", 0},          // bad continuation
    };
    for (const auto& c : cases) {
        const char* const wire = c.first;
        const std::uint32_t offset = c.second;
        INFO(wire);
        const bytes b = hex(wire);
        const auto r = check_utf8(view(b));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::utf8_ill_formed);
        CHECK(r.error().offset == offset);
        CHECK(r.error().rule() == "MQTT-1.5.4-1");
    }
}

TEST_CASE("v5 [MQTT-1.5.4-2] UTF-8: U+0000 is refused, also inside otherwise valid text") {
    const bytes b = hex("61 62 00 63");
    const auto r = check_utf8(view(b));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::utf8_null_character);
    CHECK(r.error().offset == 2);
    // The over-long form of U+0000 is refused as ill-formed.
    const bytes overlong = hex("c0 80");
    CHECK(check_utf8(view(overlong)).error().code == errc::utf8_ill_formed);
}

TEST_CASE("v5 UTF-8: control characters and non-characters are accepted (SHOULD NOT, not MUST NOT)") {
    const bytes b = hex("01 1f 7f c2 80 c2 9f ef bf bf");
    CHECK(check_utf8(view(b)).has_value());
}

TEST_CASE("v5 byte_reader: every read checks the remaining bytes and reports the field's offset") {
    const bytes b = hex("01 00 02 00 00 00 03 00 05 61 62");
    byte_reader r(view(b));
    CHECK(*r.read_u8() == 1);
    CHECK(*r.read_u16() == 2);
    CHECK(*r.read_u32() == 3);
    const auto s = r.read_utf8();  // declares 5 bytes, 2 remain
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::truncated);
    CHECK(s.error().offset == 7);
    CHECK(r.position() == 7);  // a failed read consumes nothing
    CHECK(r.remaining() == 4);
    CHECK(*r.read_u16() == 5);
    CHECK_FALSE(r.read_u32().has_value());
    CHECK(*r.read_u16() == 0x6162);
    CHECK_FALSE(r.read_u8().has_value());
    CHECK(r.at_end());
}

TEST_CASE("v5 byte_reader: a reader limited to a range never reads past its end") {
    const bytes b = hex("00 03 61 62 63");
    byte_reader limited(view(b), 0, 4);
    const auto s = limited.read_utf8();
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::truncated);
}

TEST_CASE("v5 byte_writer: stops and reports overflow instead of writing past the buffer") {
    std::array<std::uint8_t, 4> out{};
    byte_writer w(out);
    w.write_u16(0x0102);
    w.write_u32(0x03040506);
    CHECK(w.overflowed());
    CHECK(w.position() == 2);
}

TEST_CASE("v5 views: char-backed and byte-backed views compare by content") {
    const bytes b = hex("68 69");
    CHECK(text_view(bytes_view(b.data(), b.size())) == text_view("hi"));
    CHECK(bytes_view(std::string_view("hi")) == view(b));
    CHECK(text_view("hi").as_string_view() == "hi");
    CHECK(text_view(view(b)).as_string_view() == "hi");
    CHECK(text_view("hi") != text_view("ho"));
    CHECK(text_view("$share/x").starts_with("$share/"));
}

namespace {

// A byte-at-a-time reference for the one-pass text check: decodes each code point (RFC 3629) and
// notes the first '+' or '#'. Returns the error code and offset, or nullopt when the text passes.
std::optional<std::pair<errc, std::size_t>> reference_scan(const std::string& s, bool topic_name) {
    std::optional<std::size_t> wildcard;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<std::uint8_t>(s[i]);
        if (b < 0x80) {
            if (b == 0) return std::pair{errc::utf8_null_character, i};
            if (topic_name && (b == '+' || b == '#') && !wildcard) wildcard = i;
            ++i;
            continue;
        }
        const std::size_t len = b >= 0xF0 && b <= 0xF7 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC0 && b <= 0xDF ? 2 : 0;
        if (len == 0 || i + len > s.size()) return std::pair{errc::utf8_ill_formed, i};
        std::uint32_t cp = b & (0x7Fu >> len);
        for (std::size_t k = 1; k < len; ++k) {
            const auto c = static_cast<std::uint8_t>(s[i + k]);
            if ((c & 0xC0u) != 0x80u) return std::pair{errc::utf8_ill_formed, i};
            cp = cp << 6 | (c & 0x3Fu);
        }
        const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < smallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return std::pair{errc::utf8_ill_formed, i};
        }
        i += len;
    }
    if (wildcard) return std::pair{errc::topic_name_wildcard, *wildcard};
    return std::nullopt;
}

std::optional<std::pair<errc, std::size_t>> outcome(const result<void>& r) {
    if (r) return std::nullopt;
    return std::pair{r.error().code, std::size_t{r.error().offset}};
}

}  // namespace

TEST_CASE("v5 [MQTT-1.5.4-1] [MQTT-1.5.4-2] [MQTT-4.7.3-2] one-pass text check: words and bytes agree at every "
          "position and alignment") {
    // Fragments that each take one of the scan's paths; strings of them, with long ASCII runs so
    // that every fragment lands at every position of a word, are checked at 8 alignments.
    const std::string fragments[] = {"a",        "/",        "+",   "#",        std::string(1, '\0'),
                                     "\xc3\xa9", "\xe2\x82\xac",    "\xf0\x9f\x98\x80", "\x80",
                                     "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82",
                                     "abcdefghijklm", "0123456", "\xef\xbb\xbf"};
    std::uint64_t state = 0x243F6A8885A308D3u;
    const auto next = [&state](std::size_t n) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        return static_cast<std::size_t>((state >> 33) % n);
    };
    std::size_t failures_seen = 0, wildcards_seen = 0, passes_seen = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        const std::size_t pieces = next(12);
        for (std::size_t k = 0; k < pieces; ++k) {
            // Mostly harmless fragments, so that some strings pass and errors sit deep in them.
            const std::size_t f = next(4) == 0 ? next(std::size(fragments)) : (next(2) == 0 ? 13 : 0);
            text += fragments[f];
        }
        const std::size_t align = static_cast<std::size_t>(round % 8);
        std::vector<std::uint8_t> storage(align + text.size() + 1, 0xAA);
        std::memcpy(storage.data() + align, text.data(), text.size());
        const bytes_view as_bytes(storage.data() + align, text.size());
        const bytes_view as_chars(text.data(), text.size());
        const auto want_topic = reference_scan(text, true);
        const auto want_text = reference_scan(text, false);
        INFO(to_hex(as_bytes));
        CHECK(outcome(check_utf8_without_wildcards(as_bytes, errc::topic_name_wildcard)) == want_topic);
        CHECK(outcome(check_utf8_without_wildcards(as_chars, errc::topic_name_wildcard)) == want_topic);
        CHECK(outcome(check_utf8(as_bytes)) == want_text);
        CHECK(outcome(check_utf8(as_chars)) == want_text);
        if (!text.empty()) CHECK(outcome(check_topic_name(text_view(as_bytes))) == want_topic);
        if (!want_topic) ++passes_seen;
        else if (want_topic->first == errc::topic_name_wildcard) ++wildcards_seen;
        else ++failures_seen;
    }
    // The strings reached all three outcomes, many times each.
    CHECK(passes_seen > 1000);
    CHECK(wildcards_seen > 1000);
    CHECK(failures_seen > 1000);
}

TEST_CASE("v5 [MQTT-4.7.3-2] one-pass text check: a UTF-8 error anywhere wins over an earlier wildcard") {
    const bytes b = hex("61 2b 62 63 64 65 66 67 68 69 6a ff");  // '+' at 1, an invalid byte at 11
    const auto r = check_topic_name(text_view(view(b)));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::utf8_ill_formed);
    CHECK(r.error().offset == 11);
    static_assert(!check_topic_name("abcdefgh+ijklmnop"));
    static_assert(check_topic_name("abcdefgh+ijklmnop").error().code == errc::topic_name_wildcard);
    static_assert(check_topic_name("abcdefgh+ijklmnop").error().offset == 8);
    static_assert(check_topic_name("plant-7/line-3/press-12/temp01").has_value());
}
