// sansmqtt: the client's session state for QoS 1 and 2, behind a small interface.
//
// The store holds what must survive a reconnect with a resumed session (and, if the store is kept
// in flash, a reboot): our QoS 1 and 2 messages not yet completed, in the order they were
// accepted, and the Packet Identifiers of the server's QoS 2 messages between PUBREC and PUBREL.
// The client reads and changes it only through this interface; ram_session_store is the default.
// A flash-backed store implements the same functions and is passed to the client's constructor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "sansmqtt/wire/bytes.hpp"

namespace sansmqtt {

enum class message_state : std::uint8_t {
    queued,    // accepted; not sent yet (waiting for the send quota or for room to send)
    sent,      // PUBLISH sent; waiting for PUBACK (QoS 1) or PUBREC (QoS 2)
    released,  // QoS 2: PUBREC received, PUBREL sent; waiting for PUBCOMP. The PUBLISH is no longer needed.
};

struct stored_message {
    std::uint16_t packet_id = 0;
    message_state state = message_state::queued;
    bytes_view packet;  // the encoded PUBLISH with DUP 0 and its full Topic Name; empty once released
};

class session_store {
public:
    // Outgoing messages, in the order they were appended.
    virtual std::size_t size() const noexcept = 0;
    virtual stored_message at(std::size_t index) const noexcept = 0;
    // Appends a message in state queued; false when there is no room (nothing changes then).
    virtual bool append(std::uint16_t packet_id, const bytes_view& encoded) noexcept = 0;
    // Changes a message's state. On `released` the store moves the message behind the released
    // ones and in front of all others: released messages come first, in the order they were
    // released. After a reconnect their PUBRELs then go out in the order the PUBRECs arrived
    // [MQTT-4.6.0-4], and never wait behind a PUBLISH held by the send quota [MQTT-3.3.4-8].
    // The store may drop the packet bytes then.
    virtual void set_state(std::size_t index, message_state state) noexcept = 0;
    virtual void erase(std::size_t index) noexcept = 0;

    // Packet Identifiers of incoming QoS 2 messages that were acknowledged with PUBREC and not yet
    // released by PUBREL. add_incoming() returns false when full.
    virtual bool add_incoming(std::uint16_t packet_id) noexcept = 0;
    virtual bool has_incoming(std::uint16_t packet_id) const noexcept = 0;
    virtual void remove_incoming(std::uint16_t packet_id) noexcept = 0;
    virtual std::size_t incoming_size() const noexcept = 0;
    virtual std::size_t incoming_capacity() const noexcept = 0;
    virtual void clear_incoming() noexcept = 0;

    // Discards everything (a new session).
    virtual void clear() noexcept = 0;

protected:
    session_store() = default;
    session_store(const session_store&) = default;
    session_store& operator=(const session_store&) = default;
    ~session_store() = default;
};

// The default store, over caller-provided arrays: `records` bound the number of messages and
// `arena` holds their packets back to back (erasing one moves the later ones down).
class ram_session_store final : public session_store {
public:
    struct record {
        std::uint16_t packet_id = 0;
        message_state state = message_state::queued;
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
    };

    ram_session_store(record* records, std::size_t record_capacity, mutable_bytes arena, std::uint16_t* incoming,
                      std::size_t incoming_capacity) noexcept
        : records_(records),
          record_capacity_(record_capacity),
          arena_(arena),
          incoming_(incoming),
          incoming_capacity_(incoming_capacity) {}
    ram_session_store(const ram_session_store&) = delete;
    ram_session_store& operator=(const ram_session_store&) = delete;

    std::size_t size() const noexcept override { return size_; }

    stored_message at(std::size_t index) const noexcept override {
        const record& r = records_[index];
        return stored_message{r.packet_id, r.state, bytes_view(arena_.data() + r.offset, r.length)};
    }

    bool append(std::uint16_t packet_id, const bytes_view& encoded) noexcept override {
        if (size_ == record_capacity_ || arena_.size() - used_ < encoded.size()) return false;
        copy_bytes(encoded, arena_.data() + used_);
        records_[size_++] = record{packet_id, message_state::queued, static_cast<std::uint32_t>(used_),
                                   static_cast<std::uint32_t>(encoded.size())};
        used_ += encoded.size();
        return true;
    }

    void set_state(std::size_t index, message_state state) noexcept override {
        records_[index].state = state;
        if (state != message_state::released) return;
        drop_bytes(index);
        std::size_t first = 0;  // the first message that is not released
        while (first < index && records_[first].state == message_state::released) ++first;
        const record moved = records_[index];
        for (std::size_t i = index; i > first; --i) records_[i] = records_[i - 1];
        records_[first] = moved;
    }

    void erase(std::size_t index) noexcept override {
        drop_bytes(index);
        for (std::size_t i = index; i + 1 < size_; ++i) records_[i] = records_[i + 1];
        --size_;
    }

    bool add_incoming(std::uint16_t packet_id) noexcept override {
        if (has_incoming(packet_id)) return true;
        if (incoming_size_ == incoming_capacity_) return false;
        incoming_[incoming_size_++] = packet_id;
        return true;
    }
    bool has_incoming(std::uint16_t packet_id) const noexcept override {
        for (std::size_t i = 0; i < incoming_size_; ++i) {
            if (incoming_[i] == packet_id) return true;
        }
        return false;
    }
    void remove_incoming(std::uint16_t packet_id) noexcept override {
        for (std::size_t i = 0; i < incoming_size_; ++i) {
            if (incoming_[i] == packet_id) {
                incoming_[i] = incoming_[--incoming_size_];
                return;
            }
        }
    }
    std::size_t incoming_size() const noexcept override { return incoming_size_; }
    std::size_t incoming_capacity() const noexcept override { return incoming_capacity_; }
    void clear_incoming() noexcept override { incoming_size_ = 0; }

    void clear() noexcept override {
        size_ = 0;
        used_ = 0;
        incoming_size_ = 0;
    }

    std::size_t bytes_used() const noexcept { return used_; }

private:
    // Removes a record's packet bytes from the arena, moving the later packets down.
    void drop_bytes(std::size_t index) noexcept {
        record& r = records_[index];
        if (r.length == 0) return;
        const std::size_t end = std::size_t{r.offset} + r.length;
        for (std::size_t i = end; i < used_; ++i) arena_[i - r.length] = arena_[i];
        used_ -= r.length;
        for (std::size_t i = 0; i < size_; ++i) {
            if (records_[i].offset > r.offset) records_[i].offset -= r.length;
        }
        r.length = 0;
    }

    record* records_;
    std::size_t record_capacity_;
    mutable_bytes arena_;
    std::uint16_t* incoming_;
    std::size_t incoming_capacity_;
    std::size_t size_ = 0;
    std::size_t used_ = 0;
    std::size_t incoming_size_ = 0;
};

// A ram_session_store that owns its arrays.
template <std::size_t Messages, std::size_t Bytes, std::size_t Incoming>
class static_session_store {
public:
    static_session_store() noexcept : store_(records_.data(), Messages, mutable_bytes(arena_.data(), Bytes),
                                             incoming_.data(), Incoming) {}
    static_session_store(const static_session_store&) = delete;
    static_session_store& operator=(const static_session_store&) = delete;

    ram_session_store& store() noexcept { return store_; }
    const ram_session_store& store() const noexcept { return store_; }

private:
    std::array<ram_session_store::record, Messages> records_{};
    std::array<std::uint8_t, Bytes> arena_{};
    std::array<std::uint16_t, Incoming> incoming_{};
    ram_session_store store_;
};

}  // namespace sansmqtt
