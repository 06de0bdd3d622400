#include "client_support.hpp"

#include <cstdio>

namespace test {

namespace {

std::string hex_byte(unsigned b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02x", b & 0xFFu);
    return buf;
}

std::string code(reason_code c) { return "0x" + hex_byte(static_cast<unsigned>(c)); }

std::string show(const bytes_view& b) {
    bool printable = true;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (b[i] < 0x20 || b[i] > 0x7e) printable = false;
    }
    std::string out;
    if (printable) {
        for (std::size_t i = 0; i < b.size(); ++i) out += static_cast<char>(b[i]);
        return out;
    }
    out = "hex:";
    for (std::size_t i = 0; i < b.size(); ++i) out += hex_byte(b[i]);
    return out;
}

std::string show(const text_view& t) { return show(t.bytes()); }

std::string message_line(const publish& p, const std::string& payload) {
    std::string s = "message t=" + show(p.topic) + " q=" + std::to_string(static_cast<int>(p.qos)) +
                    " id=" + std::to_string(p.packet_id) + " p=" + payload;
    if (p.retain) s += " retain";
    if (p.dup) s += " dup";
    return s;
}

}  // namespace

std::string describe(const event& e) {
    if (const auto* c = std::get_if<connected_event>(&e)) {
        std::string s = "connected sp=" + std::to_string(c->session_present) + " ka=" + std::to_string(c->keep_alive);
        if (!c->assigned_client_id.empty()) s += " id=" + show(c->assigned_client_id);
        return s;
    }
    if (const auto* r = std::get_if<connect_refused_event>(&e)) return "refused rc=" + code(r->reason_code);
    if (const auto* a = std::get_if<auth_event>(&e)) {
        return "auth rc=" + code(a->reason_code) + " data=" + show(a->authentication_data);
    }
    if (const auto* m = std::get_if<message_event>(&e)) return message_line(m->packet, show(m->packet.payload));
    if (const auto* d = std::get_if<publish_completed_event>(&e)) {
        return "completed id=" + std::to_string(d->packet_id) + " q=" + std::to_string(static_cast<int>(d->qos)) +
               " rc=" + code(d->reason_code);
    }
    if (const auto* f = std::get_if<publish_failed_event>(&e)) {
        return "failed id=" + std::to_string(f->packet_id) + " q=" + std::to_string(static_cast<int>(f->qos)) +
               " rc=" + code(f->reason_code) + (f->session_lost ? " lost" : "");
    }
    if (const auto* s = std::get_if<subscribe_completed_event>(&e)) {
        std::string out = "suback id=" + std::to_string(s->packet_id) + " rc=";
        bool first = true;
        for (const reason_code rc : s->packet.reason_codes) {
            out += (first ? "" : ",") + hex_byte(static_cast<unsigned>(rc));
            first = false;
        }
        return out;
    }
    if (const auto* u = std::get_if<unsubscribe_completed_event>(&e)) {
        std::string out = "unsuback id=" + std::to_string(u->packet_id) + " rc=";
        bool first = true;
        for (const reason_code rc : u->packet.reason_codes) {
            out += (first ? "" : ",") + hex_byte(static_cast<unsigned>(rc));
            first = false;
        }
        return out;
    }
    if (const auto* q = std::get_if<request_failed_event>(&e)) {
        return "request_failed id=" + std::to_string(q->packet_id) +
               (q->type == packet_type::subscribe ? " subscribe" : " unsubscribe");
    }
    if (const auto* d = std::get_if<disconnected_event>(&e)) {
        std::string s = "disconnected rc=" + code(d->reason_code);
        if (!d->server_reference.empty()) s += " ref=" + show(d->server_reference);
        return s;
    }
    if (const auto* f = std::get_if<connection_failed_event>(&e)) {
        return "error " + std::string(f->error.name()) + " rc=0x" + hex_byte(f->error.reason_code());
    }
    return "unexpected event";
}

driver::driver(feed_mode mode, client_core* external) : mode_(mode) {
    if (external != nullptr) {
        client_ = external;
    } else {
        own_ = std::make_unique<client_type>();
        client_ = own_.get();
    }
}

void driver::open() {
    client_->tick(now_);  // the scripts' clock starts at 0 (or where tick() left it)
    REQUIRE(client_->transport_opened());
}

void driver::record(const event& e) {
    if (const auto* b = std::get_if<message_begin_event>(&e)) {
        stream_head_ = message_line(b->packet, "");
        stream_head_.erase(stream_head_.find(" p="));
        stream_data_.clear();
        return;
    }
    if (const auto* c = std::get_if<message_chunk_event>(&e)) {
        CHECK(c->offset == stream_data_.size());
        for (std::size_t i = 0; i < c->data.size(); ++i) stream_data_.push_back(c->data[i]);
        return;
    }
    if (std::get_if<message_end_event>(&e) != nullptr) {
        events_.push_back(stream_head_ + " p=" + show(view(stream_data_)) + " streamed");
        return;
    }
    events_.push_back(describe(e));
}

std::size_t driver::poll() {
    std::size_t n = 0;
    for (int guard = 0; guard < 100000; ++guard) {
        auto e = client_->poll_event();
        if (!e) {
            // Waiting for transmit room: the test's transport takes everything.
            if (client_->rx_pending() != 0 && !client_->tx_data().empty()) {
                if (!sent_.empty()) sent_ += " ";
                sent_ += to_hex(client_->tx_data());
                client_->tx_consume(client_->tx_data().size());
                continue;
            }
            break;
        }
        record(*e);
        ++n;
    }
    return n;
}

void driver::server(const bytes& b) {
    std::vector<bytes_view> pieces;
    const bytes_view all = view(b);
    if (mode_.byte_by_byte) {
        for (std::size_t i = 0; i < all.size(); ++i) pieces.push_back(all.subview(i, 1));
    } else if (mode_.split != 0 && mode_.split < all.size()) {
        pieces.push_back(all.subview(0, mode_.split));
        pieces.push_back(all.subview(mode_.split));
    } else {
        pieces.push_back(all);
    }
    for (bytes_view piece : pieces) {
        for (int guard = 0; !piece.empty() && guard < 100000; ++guard) {
            const std::size_t n = client_->receive(piece);
            piece = piece.subview(n);
            poll();
        }
        REQUIRE(piece.empty());
    }
}

void driver::server(std::string_view hex_bytes) { server(hex(hex_bytes)); }

std::string driver::sent() {
    poll();
    std::string out = sent_;
    sent_.clear();
    if (!client_->tx_data().empty()) {
        if (!out.empty()) out += " ";
        out += to_hex(client_->tx_data());
        client_->tx_consume(client_->tx_data().size());
    }
    return out;
}

std::vector<std::string> driver::events() {
    poll();
    std::vector<std::string> out;
    out.swap(events_);
    return out;
}

std::string driver::event_line() {
    const auto all = events();
    return all.empty() ? std::string() : all.back();
}

void run_script(const std::function<void(driver&)>& script, std::size_t max_split) {
    {
        INFO("server bytes fed whole");
        driver d(feed_mode{});
        script(d);
    }
    for (std::size_t k = 1; k <= max_split; ++k) {
        INFO("server bytes split at " << k);
        driver d(feed_mode{k, false});
        script(d);
    }
    {
        INFO("server bytes fed byte by byte");
        driver d(feed_mode{0, true});
        script(d);
    }
}

std::ostream& operator<<(std::ostream& os, const lines& l) {
    os << "{";
    for (std::size_t i = 0; i < l.size(); ++i) os << (i == 0 ? "\"" : ", \"") << l[i] << "\"";
    return os << "}";
}

lines connect_with(driver& d, const connect_options& o, std::string_view connect_bytes, std::string_view connack) {
    d.open();
    REQUIRE(d.c().connect(o));
    CHECK(d.sent() == connect_bytes);
    d.server(connack);
    return events(d);
}

publish message(std::string_view payload, qos q, std::string_view topic) {
    publish m;
    m.topic = topic;
    m.payload = payload;
    m.qos = q;
    return m;
}

std::string connack_v5(bool session_present, std::uint8_t code_byte, std::string_view props_hex) {
    const bytes props = hex(props_hex);
    bytes body = {static_cast<std::uint8_t>(session_present ? 1 : 0), code_byte};
    const bytes len = variable_byte_integer_bytes(props.size());
    body.insert(body.end(), len.begin(), len.end());
    body.insert(body.end(), props.begin(), props.end());
    return to_hex(view(packet_of(0x20, body)));
}

}  // namespace test
