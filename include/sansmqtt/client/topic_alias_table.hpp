// sansmqtt: a table of Topic Aliases (MQTT 5.0, 3.3.2.3.4) over caller-provided storage.
//
// Alias n (1-based) keeps its topic in slot n-1 of `storage`, each slot `slot_size` bytes long. The
// client keeps one table for the aliases it sends and one for the aliases the server sends; both
// are emptied for every new network connection [MQTT-3.3.2-7].
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sansmqtt/wire/bytes.hpp"

namespace sansmqtt {

class topic_alias_table {
public:
    topic_alias_table() noexcept = default;
    topic_alias_table(mutable_bytes storage, std::uint16_t* lengths, std::size_t count, std::size_t slot_size) noexcept
        : storage_(storage), lengths_(lengths), count_(count), slot_size_(slot_size) {}

    // The number of aliases the table holds (the largest alias it accepts).
    std::uint16_t capacity() const noexcept { return static_cast<std::uint16_t>(count_ < 65535 ? count_ : 65535); }
    std::size_t slot_size() const noexcept { return slot_size_; }

    void clear() noexcept {
        for (std::size_t i = 0; i < count_; ++i) lengths_[i] = 0;
    }

    // Maps `alias` to `topic`; false when the alias is out of range or the topic longer than a slot.
    bool set(std::uint16_t alias, const text_view& topic) noexcept {
        if (alias == 0 || alias > count_ || topic.size() > slot_size_ || topic.empty()) return false;
        copy_bytes(topic.bytes(), slot(alias));
        lengths_[alias - 1] = static_cast<std::uint16_t>(topic.size());
        return true;
    }

    // Unmaps `alias` (an assignment whose packet could not be sent).
    void set_unused(std::uint16_t alias) noexcept {
        if (alias != 0 && alias <= count_) lengths_[alias - 1] = 0;
    }

    // The topic `alias` maps to, if it is mapped. The view points into the table.
    std::optional<text_view> get(std::uint16_t alias) const noexcept {
        if (alias == 0 || alias > count_ || lengths_[alias - 1] == 0) return std::nullopt;
        return text_view(bytes_view(slot(alias), lengths_[alias - 1]));
    }

    // The alias mapped to `topic`, or 0.
    std::uint16_t find(const text_view& topic) const noexcept {
        for (std::size_t i = 0; i < count_; ++i) {
            if (lengths_[i] == topic.size() && text_view(bytes_view(slot(i + 1), lengths_[i])) == topic) {
                return static_cast<std::uint16_t>(i + 1);
            }
        }
        return 0;
    }

    // Maps `topic` to the lowest free alias not above `limit`; returns it, or 0 when none is free
    // (aliases are kept for the whole connection, so the first topics sent keep them).
    std::uint16_t assign(const text_view& topic, std::uint16_t limit) noexcept {
        const std::size_t n = limit < count_ ? limit : count_;
        for (std::size_t i = 0; i < n; ++i) {
            if (lengths_[i] == 0) {
                const auto alias = static_cast<std::uint16_t>(i + 1);
                return set(alias, topic) ? alias : 0;
            }
        }
        return 0;
    }

private:
    std::uint8_t* slot(std::size_t alias) const noexcept { return storage_.data() + (alias - 1) * slot_size_; }

    mutable_bytes storage_;
    std::uint16_t* lengths_ = nullptr;
    std::size_t count_ = 0;
    std::size_t slot_size_ = 0;
};

}  // namespace sansmqtt
