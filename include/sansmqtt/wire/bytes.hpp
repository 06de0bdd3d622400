// sansmqtt: non-owning views of bytes and of UTF-8 text, and a writable byte span.
//
// A view refers either to unsigned bytes (data received from the network) or to chars (string
// literals, std::string_view). Both kinds work in constant expressions, where a char pointer cannot
// be reinterpreted as a byte pointer; a sub-view keeps the kind of the view it came from.
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
    constexpr bytes_view() noexcept = default;
    constexpr bytes_view(const std::uint8_t* data, std::size_t size) noexcept : bytes_(data), size_(size) {}
    constexpr bytes_view(const char* data, std::size_t size) noexcept : chars_(data), size_(size) {}
    constexpr bytes_view(std::string_view chars) noexcept : chars_(chars.data()), size_(chars.size()) {}
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

    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }

    // Precondition: i < size(). (The char pointer is tested first: a byte-backed view then never
    // shows the compiler a path through a null char pointer, which GCC's -Warray-bounds flags.)
    constexpr std::uint8_t operator[](std::size_t i) const noexcept {
        return chars_ != nullptr ? static_cast<std::uint8_t>(chars_[i]) : bytes_[i];
    }

    // The bytes from `pos` on, at most `count` of them. Precondition: pos <= size().
    constexpr bytes_view subview(std::size_t pos, std::size_t count = static_cast<std::size_t>(-1)) const noexcept {
        const std::size_t n = count < size_ - pos ? count : size_ - pos;
        bytes_view v;
        v.bytes_ = bytes_ != nullptr ? bytes_ + pos : nullptr;
        v.chars_ = chars_ != nullptr ? chars_ + pos : nullptr;
        v.size_ = n;
        return v;
    }

    // Calls f(pointer, size) with the underlying pointer (const std::uint8_t* or const char*), so
    // that loops over the bytes compile without a branch per byte.
    template <class F>
    constexpr decltype(auto) visit(F&& f) const {
        if (chars_ != nullptr) return f(chars_, size_);
        return f(bytes_, size_);
    }

    // Pointer to the first byte (not usable in constant expressions for char-backed views).
    const std::uint8_t* data() const noexcept {
        return chars_ != nullptr ? reinterpret_cast<const std::uint8_t*>(chars_) : bytes_;
    }
    std::string_view as_string_view() const noexcept {
        return chars_ != nullptr ? std::string_view(chars_, size_)
                                 : std::string_view(reinterpret_cast<const char*>(bytes_), size_);
    }

    friend constexpr bool operator==(const bytes_view& a, const bytes_view& b) noexcept {
        if (a.size_ != b.size_) return false;
        if (a.size_ == 0) return true;
        if (!detail::is_constant_evaluated()) return std::memcmp(a.data(), b.data(), a.size_) == 0;
        for (std::size_t i = 0; i < a.size_; ++i) {
            if (a[i] != b[i]) return false;
        }
        return true;
    }
    friend constexpr bool operator!=(const bytes_view& a, const bytes_view& b) noexcept { return !(a == b); }

private:
    const std::uint8_t* bytes_ = nullptr;
    const char* chars_ = nullptr;
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
    from.visit([to](const auto* p, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) to[i] = static_cast<std::uint8_t>(p[i]);
    });
}

}  // namespace sansmqtt
