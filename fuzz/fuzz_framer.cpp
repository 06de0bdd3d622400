// fuzz_framer: the incremental framer against frame() over the whole stream.
//
// Input:
//   byte 0   bit 0: protocol version (0: 3.1.1, 1: 5.0); bits 1-3: storage size (one of
//            `storage_sizes`); bits 4-5: maximum packet size (0: the storage size, 1: half of it,
//            2: 268,435,460, the protocol's largest, so that split packets can outgrow the storage;
//            3: the storage size plus one)
//   byte 1   number of piece sizes, 1 + (byte % 8)
//   then     the piece sizes, one byte each, used in turn and cycled (0 feeds an empty input)
//   rest     the stream
//
// The reference walks the stream with frame(): whole packets, then possibly an error or an
// unfinished packet at the end. The framer, fed the stream in pieces, must return the same packets
// with the same bytes, consume input only up to the end of the current packet, report an error
// exactly where the reference has one (or buffer_too_small for a split packet larger than the
// storage), hold nothing after an error, and then frame a known-good packet intact.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

constexpr std::size_t storage_sizes[] = {2, 3, 5, 8, 16, 64, 300, 4096};

// Valid in both versions: PUBLISH QoS 0, topic "a/b", 5.0 Property Length 0, payload "hello".
constexpr std::uint8_t good_publish[] = {0x30, 0x0B, 0x00, 0x03, 'a', '/', 'b', 0x00, 'h', 'e', 'l', 'l', 'o'};
constexpr std::uint8_t good_pingreq[] = {0xC0, 0x00};

struct ref_packet {
    std::size_t start = 0;
    std::size_t size = 0;
};

struct reference {
    std::vector<ref_packet> packets;  // whole packets, in order
    // What follows the last whole packet: nothing, an error, or an unfinished packet.
    enum class tail_kind { none, error, unfinished } tail = tail_kind::none;
    std::size_t tail_start = 0;
    errc tail_error{};
    bool tail_header_known = false;
    std::size_t tail_size = 0;  // when tail_header_known
};

reference frame_all(const bytes_view& stream, std::uint32_t maximum, protocol_version v) {
    reference ref;
    std::size_t pos = 0;
    while (pos < stream.size()) {
        const auto f = frame(stream.subview(pos), maximum, v);
        if (!f) {
            ref.tail = reference::tail_kind::error;
            ref.tail_start = pos;
            ref.tail_error = f.error().code;
            return ref;
        }
        if (!f->complete) {
            require(f->needed > 0);
            ref.tail = reference::tail_kind::unfinished;
            ref.tail_start = pos;
            ref.tail_header_known = f->header_known;
            ref.tail_size = f->header_known ? f->header.packet_size() : 0;
            if (f->header_known) require(pos + f->header.packet_size() == stream.size() + f->needed);
            return ref;
        }
        require(f->header.packet_size() >= 2 && f->header.packet_size() <= maximum);
        ref.packets.push_back({pos, f->header.packet_size()});
        pos += f->header.packet_size();
    }
    return ref;
}

// Bytes of the fixed header at `start` as far as the stream shows them: the type byte and the
// length bytes up to the first without the continuation bit; at most 1 + 5.
std::size_t header_size(const bytes_view& stream, std::size_t start) {
    std::size_t n = 1;
    while (n < 6 && start + n < stream.size()) {
        if ((stream[start + n++] & 0x80u) == 0) break;
    }
    return n;
}

bool is_length_error(errc c) {
    return c == errc::variable_byte_integer_too_long || c == errc::variable_byte_integer_not_minimal;
}

class pieces {
public:
    pieces(const std::uint8_t* sizes, std::size_t n) : sizes_(sizes), n_(n) {
        all_zero_ = true;
        for (std::size_t i = 0; i < n; ++i) all_zero_ = all_zero_ && sizes[i] == 0;
    }
    std::size_t next() {
        const std::size_t s = sizes_[i_++ % n_];
        return all_zero_ ? 1 : s;
    }

private:
    const std::uint8_t* sizes_;
    std::size_t n_;
    std::size_t i_ = 0;
    bool all_zero_ = false;
};

// Feeds a packet that fits the storage and the maximum; it must come back whole and unchanged.
void feed_good(framer& f, pieces& cut, const bytes_view& good) {
    std::size_t off = 0;
    bool done = false;
    while (!done) {
        const std::size_t take = std::min(cut.next(), good.size() - off);
        const bytes_view in = good.subview(off, take);
        std::size_t used = 0;
        do {
            const auto r = f.feed(in.subview(used));
            require(r.has_value());
            require(r->consumed <= take - used);
            used += r->consumed;
            off += r->consumed;
            if (r->complete) {
                require(off == good.size() && used == take);
                require(r->packet == good);
                require(f.buffered() == 0);
                done = true;
            } else {
                require(used == take);
                require(f.buffered() == off);
            }
        } while (used < take);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const protocol_version v = (data[0] & 1u) != 0 ? protocol_version::v5 : protocol_version::v3_1_1;
    const std::size_t storage_size = storage_sizes[(data[0] >> 1) & 7u];
    std::uint32_t maximum = 0;
    switch ((data[0] >> 4) & 3u) {
        case 0: maximum = static_cast<std::uint32_t>(storage_size); break;
        case 1: maximum = static_cast<std::uint32_t>(storage_size / 2 < 2 ? 2 : storage_size / 2); break;
        case 2: maximum = largest_packet_size; break;
        default: maximum = static_cast<std::uint32_t>(storage_size + 1); break;
    }
    const std::size_t n_pieces = 1 + data[1] % 8;
    if (size < 2 + n_pieces) return 0;
    pieces cut(data + 2, n_pieces);
    const bytes_view stream(data + 2 + n_pieces, size - 2 - n_pieces);

    const reference ref = frame_all(stream, maximum, v);

    // Exactly the storage size, so that AddressSanitizer sees a write past it.
    std::vector<std::uint8_t> storage(storage_size);
    framer f(span(storage), maximum, v);

    std::size_t off = 0;   // stream bytes the framer has consumed
    std::size_t next = 0;  // index of the next reference packet
    bool failed = false;
    while (off < stream.size() && !failed) {
        const std::size_t take = std::min(cut.next(), stream.size() - off);
        const bytes_view in = stream.subview(off, take);
        std::size_t used = 0;
        do {
            const auto r = f.feed(in.subview(used));
            // The packet the framer is working on: a whole one of the reference, or the tail.
            const bool in_packets = next < ref.packets.size();
            const std::size_t start = in_packets ? ref.packets[next].start : ref.tail_start;
            const bool size_known = in_packets || ref.tail_header_known;
            const std::size_t packet_size = in_packets ? ref.packets[next].size : ref.tail_size;
            if (!r) {
                const errc code = r.error().code;
                if (code == errc::buffer_too_small) {
                    // Only a packet larger than the storage, arriving split; or one whose fixed
                    // header alone is longer than the storage, whatever its length bytes say.
                    if (header_size(stream, start) <= storage.size()) {
                        require(!in_packets || ref.packets[next].size > storage.size());
                        if (!in_packets) require(ref.tail == reference::tail_kind::unfinished && size_known);
                        require(packet_size > storage.size());
                    }
                } else {
                    require(!in_packets && ref.tail == reference::tail_kind::error);
                    if (ref.tail_error == errc::packet_type_invalid || code == errc::packet_type_invalid) {
                        require(code == ref.tail_error);
                    } else if (is_length_error(code)) {
                        require(code == ref.tail_error);
                    } else {
                        // The framer may prove a packet too large from the first length bytes.
                        require(code == errc::packet_too_large);
                        require(ref.tail_error == errc::packet_too_large || is_length_error(ref.tail_error));
                    }
                }
                require(f.buffered() == 0);
                failed = true;
                break;
            }
            require(r->consumed <= take - used);
            if (take > used) require(r->consumed > 0);
            used += r->consumed;
            off += r->consumed;
            if (r->complete) {
                require(in_packets);
                const ref_packet& want = ref.packets[next++];
                require(off == want.start + want.size);
                require(r->packet == stream.subview(want.start, want.size));
                // A copy in the storage, or a view of the input.
                const std::uint8_t* at = r->packet.data();
                if (at != stream.data() + want.start) {
                    require(at == storage.data() && want.size <= storage.size());
                }
                require(f.buffered() == 0);
            } else {
                require(used == take);
                require(r->needed > 0);
                require(f.buffered() == off - start);
                if (size_known) require(off + r->needed <= start + packet_size);
            }
        } while (used < take);
    }

    if (!failed) {
        // Every whole packet came out, and an error in the reference was seen.
        require(next == ref.packets.size());
        require(ref.tail != reference::tail_kind::error);
        if (ref.tail == reference::tail_kind::unfinished) {
            require(f.buffered() == stream.size() - ref.tail_start);
            f.reset();
            require(f.buffered() == 0);
        } else {
            require(f.buffered() == 0);
        }
    }
    // Whatever came before, the framer is clean for the next packet.
    const bytes_view good = storage.size() >= sizeof good_publish && maximum >= sizeof good_publish
                                ? bytes_view(good_publish)
                                : bytes_view(good_pingreq);
    feed_good(f, cut, good);
    return 0;
}
