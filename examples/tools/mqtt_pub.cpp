// mqtt-pub: publish a message, a file, or each line of standard input, over TCP or TLS.
// sansmqtt's counterpart of mosquitto_pub; `mqtt-pub --help` lists the flags.
//
// With -l every line is delivered or the exit status says it was not: the tool stops reading
// standard input while the client cannot take another message (its session store is full, the
// server's Receive Maximum is reached, or the transmit buffer is full) and goes on when an
// acknowledgement or a write makes room, so no message is dropped, QoS 0 included. It exits once
// every QoS 1 and 2 message was acknowledged and every byte was written, then sends DISCONNECT.
//
// Exit status: 0 when everything was delivered; the CONNACK code when the server refused the
// connection (as mosquitto_pub: 5 for "not authorised" in 3.1.1, 135 in 5.0); 1 otherwise, with
// "Error: ..." on standard error.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "../transport/client_loop.hpp"
#include "cli_common.hpp"

namespace {

using namespace sansmqtt;
using namespace sansmqtt::examples;

// The client mqtt-pub runs (sizeof about 1.4 MB, allocated once on the heap):
// - tx_buffer_size: a PUBLISH is encoded whole into the transmit buffer, so it bounds the largest
//   message: 320 KiB holds a 256 KiB payload (-f) plus a topic and properties up to 64 KiB. A big
//   buffer also lets many small -l messages go out in one write().
// - max_stored_messages / session_store_bytes: QoS 1 and 2 messages wait here until acknowledged.
//   256 messages keep the link busy whatever the server's Receive Maximum (mosquitto grants 20 in
//   5.0 and does not limit 3.1.1); 1 MiB holds three largest messages or 256 lines of up to 4 KiB.
// - rx_buffer_size: mqtt-pub receives only acknowledgements, CONNACK and DISCONNECT; 16 KiB leaves
//   room for long reason strings and user properties.
struct pub_config : default_config {
    static constexpr std::size_t rx_buffer_size = 16 * 1024;
    static constexpr std::size_t tx_buffer_size = 320 * 1024;
    static constexpr std::size_t max_stored_messages = 256;
    static constexpr std::size_t session_store_bytes = 1024 * 1024;
    static constexpr std::size_t topic_alias_length = 256;
};

constexpr std::size_t largest_file = 256 * 1024;
constexpr std::size_t stdin_chunk = 64 * 1024;

class publisher {
public:
    publisher(const cli::options& o, const cli::property_blocks& props, client<pub_config>& mqtt, std::string client_id)
        : o_(o), props_(props), mqtt_(mqtt), id_(std::move(client_id)) {}

    bool lines_mode() const { return o_.source == cli::payload_source::lines; }
    void set_payload(std::string p) { payload_ = std::move(p); }

    void on_event(const event& e) {
        if (o_.debug) std::fprintf(stderr, "Client %s event: %s\n", id_.c_str(), cli::describe_event(e).c_str());
        if (std::get_if<connected_event>(&e)) {
            connected_ = true;
        } else if (const auto* r = std::get_if<connect_refused_event>(&e)) {
            refused_ = r->reason_code;
        } else if (std::get_if<publish_completed_event>(&e)) {
            ++completed_;
        } else if (const auto* f = std::get_if<publish_failed_event>(&e)) {
            ++failed_;
            last_failure_ = f->reason_code;
        } else if (const auto* d = std::get_if<disconnected_event>(&e)) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(d->reason_code));
            if (fatal_.empty()) {
                fatal_ = "the server disconnected: " +
                         std::string(reason_code_name(d->reason_code, packet_type::disconnect)) + " (" + hex + ")";
            }
        }
    }

    void on_turn() {
        if (mqtt_.state() != client_state::connected) return;
        if (!finish_) publish_more();
        if (!disconnect_sent_ && (finish_ || all_done())) {
            disconnect_sent_ = true;
            (void)mqtt_.disconnect(reason_code::normal_disconnection, props_.disconnect);
        }
    }

    // -l: read standard input only while there is no whole line waiting for the client.
    bool want_input() const {
        return lines_mode() && connected_ && !eof_ && !finish_ && mqtt_.state() == client_state::connected &&
               buffer_.find('\n', pos_) == std::string::npos;
    }

    void on_input() {
        if (pos_ != 0 && pos_ * 2 >= buffer_.size()) {
            buffer_.erase(0, pos_);
            pos_ = 0;
        }
        const std::size_t old = buffer_.size();
        buffer_.resize(old + stdin_chunk);
        const ssize_t n = ::read(STDIN_FILENO, &buffer_[old], stdin_chunk);
        buffer_.resize(old + (n > 0 ? static_cast<std::size_t>(n) : 0));
        if (n == 0) {
            eof_ = true;
        } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
            fatal_ = std::string("cannot read standard input: ") + std::strerror(errno);
            finish_ = true;
        } else if (buffer_.size() - pos_ > pub_config::tx_buffer_size &&
                   buffer_.find('\n', pos_) == std::string::npos) {
            fatal_ = "line " + std::to_string(lines_read_ + 1) + " is longer than the largest message (" +
                     std::to_string(pub_config::tx_buffer_size) + " bytes)";
            finish_ = true;
        }
        publish_more();
    }

    // How the session went; prints the error and returns the exit status.
    int finish(const loop_result& r, const cli::opened_stream& net) {
        if (refused_) {
            cli::print_error(o_, cli::connack_refusal_text(o_.version, *refused_));
            return static_cast<int>(*refused_);
        }
        std::string why = fatal_;
        if (why.empty() && !r.clean) {
            why = r.error.empty() ? "the connection ended before the session did" : r.error;
            if (net.tls_handshake_pending() && why.rfind("TLS", 0) != 0) why = "TLS: " + why;
        }
        if (why.empty() && failed_ == 0) return 0;
        std::string counts;
        if (failed_ != 0) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(last_failure_));
            const std::string refusal = "the server refused " + std::to_string(failed_) + " of " +
                                        std::to_string(published_) + " messages (the last with " +
                                        std::string(reason_code_name(last_failure_)) + ", " + hex + ")";
            why = why.empty() ? refusal : why + "; " + refusal;
        }
        if (published_ != 0 && o_.qos == 0) {
            counts = ". " + std::to_string(published_) + (published_ == 1 ? " message was" : " messages were") +
                     " handed to the connection; QoS 0 has no acknowledgement, so the last of them may be lost";
        } else if (published_ != 0) {
            const std::uint64_t unacknowledged = published_ - completed_ - failed_;
            counts = ". Published " + std::to_string(published_) + ": " + std::to_string(completed_) +
                     " acknowledged, " + std::to_string(failed_) + " refused, " + std::to_string(unacknowledged) +
                     " not acknowledged (not delivered, or not known to be)";
        } else {
            counts = ". Nothing was published";
        }
        if (lines_mode() && !(eof_ && pos_ == buffer_.size())) counts += "; the rest of standard input was not sent";
        cli::print_error(o_, why + counts + ".");
        return 1;
    }

private:
    bool all_done() const {
        if (lines_mode()) {
            return eof_ && pos_ == buffer_.size() && mqtt_.messages_in_store() == 0;
        }
        return published_ == 1 && mqtt_.messages_in_store() == 0;
    }

    // Publishes what is waiting until the client cannot take more now.
    void publish_more() {
        if (mqtt_.state() != client_state::connected || finish_) return;
        if (!lines_mode()) {
            if (published_ == 0) (void)offer(bytes_view(payload_));
            return;
        }
        while (pos_ < buffer_.size()) {
            const std::size_t nl = buffer_.find('\n', pos_);
            if (nl == std::string::npos && !eof_) return;  // a partial line: wait for the rest
            const std::size_t end = nl == std::string::npos ? buffer_.size() : nl;
            if (!offer(bytes_view(buffer_.data() + pos_, end - pos_))) return;
            ++lines_read_;
            pos_ = nl == std::string::npos ? buffer_.size() : nl + 1;
        }
    }

    // Hands one message to the client. False when it cannot take it now (try again later) or
    // cannot take it at all (finish_ is set then).
    bool offer(bytes_view payload) {
        const auto q = static_cast<qos>(o_.qos);
        if (q != qos::at_most_once && o_.max_inflight != 0 && mqtt_.messages_in_store() >= o_.max_inflight) {
            return false;
        }
        publish p;
        p.topic = text_view(o_.topics[0]);
        p.payload = payload;
        p.qos = q;
        p.retain = o_.retain;
        p.properties = props_.publish;
        const auto r = mqtt_.publish(p, when_quota_exhausted::wait);
        if (r) {
            ++published_;
            if (q != qos::at_most_once) ++published_qos12_;
            return true;
        }
        switch (r.error().code) {
            case errc::tx_buffer_full:        // room comes as tx_data() is written
            case errc::session_store_full:    // room comes with PUBACK / PUBCOMP
            case errc::send_quota_exhausted:  // (not with when_quota_exhausted::wait)
                return false;
            case errc::buffer_too_small:
                fatal_ = "a message of " + std::to_string(payload.size()) +
                         " bytes does not fit the transmit buffer (" + std::to_string(pub_config::tx_buffer_size) +
                         " bytes with topic and properties)";
                break;
            default: fatal_ = "cannot publish: " + std::string(r.error().message()); break;
        }
        finish_ = true;
        return false;
    }

    const cli::options& o_;
    const cli::property_blocks& props_;
    client<pub_config>& mqtt_;
    std::string id_;
    std::string payload_;

    std::string buffer_;   // -l: standard input read so far
    std::size_t pos_ = 0;  // the start of the next line not yet published
    bool eof_ = false;

    bool connected_ = false;
    bool disconnect_sent_ = false;
    bool finish_ = false;  // stop publishing (an error); disconnect
    std::optional<reason_code> refused_;
    std::string fatal_;
    std::uint64_t lines_read_ = 0;  // -l: lines handed to the client
    std::uint64_t published_ = 0;
    std::uint64_t published_qos12_ = 0;
    std::uint64_t completed_ = 0;
    std::uint64_t failed_ = 0;
    reason_code last_failure_ = reason_code::success;
};

}  // namespace

int main(int argc, char** argv) {
    cli::options o;
    std::string error;
    switch (cli::parse_command_line(cli::tool::pub, argc, argv, o, error)) {
        case cli::parse_status::help: cli::print_usage(cli::tool::pub, stdout); return 0;
        case cli::parse_status::error:
            if (!o.quiet) std::fprintf(stderr, "Error: %s\nUse 'mqtt-pub --help' to see usage.\n", error.c_str());
            return 1;
        case cli::parse_status::ok: break;
    }
    std::string payload;
    if (o.source == cli::payload_source::message) {
        payload = o.message;
    } else if (o.source == cli::payload_source::file) {
        if (!cli::read_file(o.file, payload, error)) {
            cli::print_error(o, error);
            return 1;
        }
    } else if (o.source == cli::payload_source::whole_stdin) {
        if (!cli::read_file("/dev/stdin", payload, error)) {
            cli::print_error(o, error);
            return 1;
        }
    }
    if (payload.size() > largest_file) {
        cli::print_error(o, "the message is " + std::to_string(payload.size()) + " bytes; mqtt-pub sends at most " +
                                std::to_string(largest_file) + ".");
        return 1;
    }

    cli::session<pub_config> s;
    if (!cli::start_session(o, s)) return 1;
    publisher pub(o, s.props, *s.mqtt, s.client_id);
    pub.set_payload(std::move(payload));

    loop_hooks hooks;
    hooks.on_event = [&pub](const event& e) { pub.on_event(e); };
    hooks.on_turn = [&pub] { pub.on_turn(); };
    if (pub.lines_mode()) {
        hooks.input_fd = STDIN_FILENO;
        hooks.want_input = [&pub] { return pub.want_input(); };
        hooks.on_input = [&pub] { pub.on_input(); };
    }
    const loop_result r = run_client(*s.net.net, *s.mqtt, hooks);
    return pub.finish(r, s.net);
}
