// sansmqtt: non-owning views of bytes and of UTF-8 text, and a writable byte span.
//
// A view is a pointer and a length, of unsigned bytes (data received from the network) or of chars
// (string literals, std::string_view). Both kinds work in constant expressions, where a char
// pointer cannot be reinterpreted as a byte pointer; at run time both read as bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>

namespace sansmqtt {

namespace detail {

constexpr bool is_constant_evaluated() noexcept {
#if defined(__cpp_lib_is_constant_evaluated)
    return std::is_constant_evaluated();
#else
    return __builtin_is_constant_evaluated();
#endif
}

}  // namespace detail

class bytes_view {
public:
    constexpr bytes_view() noexcept : bytes_(nullptr) {}
    constexpr bytes_view(const std::uint8_t* data, std::size_t size) noexcept : bytes_(data), size_(size) {}
    constexpr bytes_view(const char* data, std::size_t size) noexcept : chars_(data), size_(size | char_tag) {}
    constexpr bytes_view(std::string_view chars) noexcept : bytes_view(chars.data(), chars.size()) {}
    template <std::size_t N>
    constexpr bytes_view(const std::uint8_t (&a)[N]) noexcept : bytes_(a), size_(N) {}
    // Any contiguous container of bytes whose data() is const std::uint8_t* (std::array, a byte vector).
    template <class C, std::enable_if_t<std::is_same_v<decltype(std::declval<const C&>().data()), const std::uint8_t*>,
                                        int> = 0>
    constexpr bytes_view(const C& c) noexcept : bytes_(c.data()), size_(c.size()) {}
    // Anything convertible to std::string_view: string literals, standard strings, ...
    template <class S, std::enable_if_t<std::is_convertible_v<const S&, std::string_view> &&
                                            !std::is_same_v<S, std::string_view>,
                                        int> = 0>
    constexpr bytes_view(const S& s) noexcept : bytes_view(std::string_view(s)) {}

    constexpr std::size_t size() const noexcept { return size_ & ~char_tag; }
    constexpr bool empty() const noexcept { return size() == 0; }

    // Precondition: i < size(). (Both branches read the same pointer: at run time this is one load.)
    constexpr std::uint8_t operator[](std::size_t i) const noexcept {
        return is_chars() ? static_cast<std::uint8_t>(chars_[i]) : bytes_[i];
    }

    // The bytes from `pos` on, at most `count` of them. Precondition: pos <= size().
    constexpr bytes_view subview(std::size_t pos, std::size_t count = static_cast<std::size_t>(-1)) const noexcept {
        const std::size_t left = size() - pos;
        const std::size_t n = count < left ? count : left;
        return is_chars() ? bytes_view(chars_ + pos, n) : bytes_view(bytes_ + pos, n);
    }

    // Calls f(pointer, size): at run time with the byte pointer (one instantiation of f), in
    // constant evaluation with the pointer the view was made from.
    template <class F>
    constexpr decltype(auto) visit(F&& f) const {
        if (detail::is_constant_evaluated() && is_chars()) return f(chars_, size());
        return f(detail::is_constant_evaluated() ? bytes_ : data(), size());
    }

    // Pointer to the first byte (not usable in constant expressions for char-backed views).
    const std::uint8_t* data() const noexcept {
        return is_chars() ? reinterpret_cast<const std::uint8_t*>(chars_) : bytes_;
    }
    std::string_view as_string_view() const noexcept {
        return std::string_view(reinterpret_cast<const char*>(data()), size());
    }

    friend constexpr bool operator==(const bytes_view& a, const bytes_view& b) noexcept {
        const std::size_t n = a.size();
        if (n != b.size()) return false;
        if (n == 0) return true;
        if (!detail::is_constant_evaluated()) return std::memcmp(a.data(), b.data(), n) == 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (a[i] != b[i]) return false;
        }
        return true;
    }
    friend constexpr bool operator!=(const bytes_view& a, const bytes_view& b) noexcept { return !(a == b); }

private:
    // A view is a pointer and a length. Which pointer type it holds (bytes received, or chars of
    // a literal or string) matters only in constant evaluation, where a char pointer cannot be read
    // as bytes; the top bit of the length says which member is active.
    static constexpr std::size_t char_tag = ~(static_cast<std::size_t>(-1) >> 1);
    constexpr bool is_chars() const noexcept { return (size_ & char_tag) != 0; }

    union {
        const std::uint8_t* bytes_;
        const char* chars_;
    };
    std::size_t size_ = 0;
};

// A view of text that is meant to be UTF-8. The codec checks it wherever the protocol says so.
class text_view {
public:
    constexpr text_view() noexcept = default;
    constexpr text_view(const char* nul_terminated) noexcept
        : bytes_(std::string_view(nul_terminated)) {}
    constexpr text_view(const char* data, std::size_t size) noexcept : bytes_(data, size) {}
    constexpr text_view(std::string_view s) noexcept : bytes_(s) {}
    // Anything else convertible to std::string_view, such as a standard string.
    template <class S, std::enable_if_t<std::is_convertible_v<const S&, std::string_view> &&
                                            !std::is_same_v<S, std::string_view> && !std::is_convertible_v<const S&, const char*>,
                                        int> = 0>
    constexpr text_view(const S& s) noexcept : bytes_(std::string_view(s)) {}
    constexpr explicit text_view(bytes_view b) noexcept : bytes_(b) {}

    constexpr const bytes_view& bytes() const noexcept { return bytes_; }
    constexpr std::size_t size() const noexcept { return bytes_.size(); }
    constexpr bool empty() const noexcept { return bytes_.empty(); }
    constexpr std::uint8_t operator[](std::size_t i) const noexcept { return bytes_[i]; }
    constexpr text_view subview(std::size_t pos, std::size_t count = static_cast<std::size_t>(-1)) const noexcept {
        return text_view(bytes_.subview(pos, count));
    }
    constexpr bool starts_with(text_view prefix) const noexcept {
        return prefix.size() <= size() && subview(0, prefix.size()) == prefix;
    }

    std::string_view as_string_view() const noexcept { return bytes_.as_string_view(); }

    friend constexpr bool operator==(const text_view& a, const text_view& b) noexcept { return a.bytes_ == b.bytes_; }
    friend constexpr bool operator!=(const text_view& a, const text_view& b) noexcept { return !(a == b); }

private:
    bytes_view bytes_;
};

// A writable span of bytes owned by the caller.
class mutable_bytes {
public:
    constexpr mutable_bytes() noexcept = default;
    constexpr mutable_bytes(std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <std::size_t N>
    constexpr mutable_bytes(std::array<std::uint8_t, N>& a) noexcept : data_(a.data()), size_(N) {}
    template <std::size_t N>
    constexpr mutable_bytes(std::uint8_t (&a)[N]) noexcept : data_(a), size_(N) {}

    constexpr std::uint8_t* data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr std::uint8_t& operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr mutable_bytes subspan(std::size_t pos, std::size_t count = static_cast<std::size_t>(-1)) const noexcept {
        const std::size_t n = count < size_ - pos ? count : size_ - pos;
        return mutable_bytes(data_ + pos, n);
    }
    constexpr operator bytes_view() const noexcept { return bytes_view(data_, size_); }

private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

// Copies `from` to `to` (memcpy at run time). Precondition: `to` has room for from.size() bytes.
constexpr void copy_bytes(const bytes_view& from, std::uint8_t* to) noexcept {
    if (from.empty()) return;
    if (!detail::is_constant_evaluated()) {
        std::memcpy(to, from.data(), from.size());
        return;
    }
    for (std::size_t i = 0; i < from.size(); ++i) to[i] = from[i];
}

}  // namespace sansmqtt
