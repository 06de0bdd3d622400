// mqtt-sub: subscribe to topics and print the messages received, over TCP or TLS.
// sansmqtt's counterpart of mosquitto_sub; `mqtt-sub --help` lists the flags.
//
// Each message prints as its payload (with -v: "topic payload"; an empty payload prints nothing,
// or "topic (null)" with -v, as mosquitto_sub does) followed by a newline, and standard output is
// flushed after each one. A message larger than the receive buffer arrives in pieces (the client
// streams it) and prints piece by piece. With -C the tool disconnects cleanly after that many.
//
// Exit status: 0 after -C messages, -E, or a clean end; 27 after -W seconds ("Timed out", as
// mosquitto_sub); the CONNACK code when the server refused the connection (as mosquitto_sub:
// 5 for "not authorised" in 3.1.1, 135 in 5.0); 1 otherwise, with "Error: ..." on standard error.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../transport/client_loop.hpp"
#include "cli_common.hpp"

namespace {

using namespace sansmqtt;
using namespace sansmqtt::examples;

// The client mqtt-sub runs (sizeof about 0.7 MB, allocated once on the heap):
// - rx_buffer_size: messages up to 64 KiB arrive whole; larger ones (up to MQTT's 256 MiB) are
//   streamed in pieces of the buffer's size and printed as they come.
// - tx_buffer_size: SUBSCRIBE with every -t filter (and UNSUBSCRIBE with every -U) must fit
//   whole; acknowledgements are a few bytes.
// - receive_maximum: incoming QoS 2 messages between PUBREC and PUBREL (the QoS 2 table; 5.0
//   sends it as Receive Maximum unless it is 65,535). 65,535, every Packet Identifier, because a
//   server may overrun a smaller one: mosquitto 2.0.11 does whenever messages queue up for the
//   subscriber (db__message_delete_outgoing() counts only the in-flight messages before the
//   completed one, then moves up to the maximum more into flight), and the client then has to
//   end the session (0x93 in 5.0, a full table in 3.1.1). The tables cost about 0.5 MB.
// - mqtt-sub publishes nothing, so its session store holds no messages of its own.
struct sub_config : default_config {
    static constexpr std::size_t rx_buffer_size = 64 * 1024;
    static constexpr std::size_t tx_buffer_size = 64 * 1024;
    static constexpr std::size_t max_stored_messages = 0;
    static constexpr std::size_t session_store_bytes = 0;
    static constexpr std::uint16_t receive_maximum = 65'535;
    static constexpr std::size_t topic_alias_length = 256;
};

constexpr int timed_out_status = 27;  // mosquitto_sub's status for -W (MOSQ_ERR_TIMEOUT)

class subscriber {
public:
    subscriber(const cli::options& o, const cli::property_blocks& props, client<sub_config>& mqtt, std::string client_id)
        : o_(o), props_(props), mqtt_(mqtt), id_(std::move(client_id)) {
        for (const std::string& t : o_.topics) {
            subscription s;
            s.topic_filter = text_view(t);
            s.qos = static_cast<qos>(o_.qos);
            subscriptions_.push_back(s);
        }
        for (const std::string& t : o_.unsubscribe) unsubscriptions_.push_back(text_view(t));
        if (o_.timeout_s != 0) timeout_at_ = monotonic_ms() + static_cast<std::uint64_t>(o_.timeout_s) * 1000u;
    }

    void on_event(const event& e) {
        if (o_.debug) std::fprintf(stderr, "Client %s event: %s\n", id_.c_str(), cli::describe_event(e).c_str());
        if (std::get_if<connected_event>(&e)) {
            on_connected();
        } else if (const auto* r = std::get_if<connect_refused_event>(&e)) {
            refused_ = r->reason_code;
        } else if (const auto* m = std::get_if<message_event>(&e)) {
            if (!begin_message(m->packet)) return;
            print(m->packet.payload, m->packet.payload.empty());
            end_message();
        } else if (const auto* b = std::get_if<message_begin_event>(&e)) {
            streaming_ = begin_message(b->packet);
            if (streaming_) print(bytes_view(), b->payload_size == 0);
        } else if (const auto* c = std::get_if<message_chunk_event>(&e)) {
            if (streaming_) std::fwrite(c->data.data(), 1, c->data.size(), stdout);
        } else if (std::get_if<message_end_event>(&e)) {
            if (streaming_) end_message();
            streaming_ = false;
        } else if (const auto* s = std::get_if<subscribe_completed_event>(&e)) {
            on_suback(*s);
        } else if (std::get_if<unsubscribe_completed_event>(&e)) {
            --requests_left_;
            if (o_.exit_after_sub && requests_left_ == 0) stop();
        } else if (const auto* d = std::get_if<disconnected_event>(&e)) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(d->reason_code));
            fail("the server disconnected: " + std::string(reason_code_name(d->reason_code, packet_type::disconnect)) +
                 " (" + hex + ")");
        }
    }

    void on_turn() {
        if (timeout_at_ == 0) return;
        const std::uint64_t now = monotonic_ms();
        if (!timed_out_ && now >= timeout_at_) {
            timed_out_ = true;
            stop();
            give_up_at_ = now + 2000;  // a DISCONNECT that cannot be sent does not keep us
        }
        if (timed_out_ && now >= give_up_at_) {
            std::fflush(stdout);
            if (!o_.quiet) std::fputs("Timed out\n", stderr);
            std::_Exit(timed_out_status);
        }
    }

    std::optional<std::uint64_t> wake_at() const {
        if (timeout_at_ == 0) return std::nullopt;
        return timed_out_ ? give_up_at_ : timeout_at_;
    }

    int finish(const loop_result& r, const cli::opened_stream& net) {
        std::fflush(stdout);
        if (refused_) {
            cli::print_error(o_, cli::connack_refusal_text(o_.version, *refused_));
            return static_cast<int>(*refused_);
        }
        if (!fatal_.empty()) {
            cli::print_error(o_, fatal_);
            return 1;
        }
        if (timed_out_) {
            if (!o_.quiet) std::fputs("Timed out\n", stderr);
            return timed_out_status;
        }
        if (!r.clean) {
            std::string why = r.error.empty() ? "the connection ended before the session did" : r.error;
            if (net.tls_handshake_pending() && why.rfind("TLS", 0) != 0) why = "TLS: " + why;
            cli::print_error(o_, why);
            return 1;
        }
        return 0;
    }

private:
    void on_connected() {
        if (!subscriptions_.empty()) {
            const auto ok = mqtt_.subscribe(subscription_list(subscriptions_.data(), subscriptions_.size()),
                                            props_.subscribe);
            if (!ok) return fail("cannot subscribe: " + std::string(ok.error().message()));
            ++requests_left_;
        }
        if (!unsubscriptions_.empty()) {
            const auto ok = mqtt_.unsubscribe(topic_filter_list(unsubscriptions_.data(), unsubscriptions_.size()),
                                              props_.unsubscribe);
            if (!ok) return fail("cannot unsubscribe: " + std::string(ok.error().message()));
            ++requests_left_;
        }
    }

    void on_suback(const subscribe_completed_event& s) {
        --requests_left_;
        std::size_t i = 0;
        bool any_granted = false;
        for (const reason_code c : s.packet.reason_codes) {
            if (!is_failure(c)) {
                any_granted = true;
            } else if (!o_.quiet) {
                std::fprintf(stderr, "Warning: subscription to '%s' refused: %s (0x%02x)\n",
                             i < o_.topics.size() ? o_.topics[i].c_str() : "?",
                             std::string(reason_code_name(c, packet_type::suback)).c_str(), static_cast<unsigned>(c));
            }
            ++i;
        }
        if (!any_granted) return fail("All subscription requests were denied.");
        if (o_.exit_after_sub && requests_left_ == 0) stop();
    }

    // Whether to print the message (-R, -T, -C); prints the topic with -v.
    bool begin_message(const publish& p) {
        if (stopping_) return false;
        if (o_.no_retained && p.retain) return false;
        for (const std::string& f : o_.filter_out) {
            if (topic_matches(text_view(f), p.topic, o_.version)) return false;
        }
        if (o_.verbose) {
            const std::string_view t = p.topic.as_string_view();
            std::fwrite(t.data(), 1, t.size(), stdout);
            std::fputc(' ', stdout);
        }
        return true;
    }
    void print(const bytes_view& payload, bool empty) {
        last_empty_ = empty;
        if (empty) {
            if (o_.verbose) std::fputs("(null)", stdout);
            return;
        }
        std::fwrite(payload.data(), 1, payload.size(), stdout);
    }
    void end_message() {
        // As mosquitto_sub: an empty payload without -v prints nothing, not even the newline.
        if (!o_.no_eol && (o_.verbose || !last_empty_)) std::fputc('\n', stdout);
        std::fflush(stdout);
        ++received_;
        if (o_.count != 0 && received_ >= static_cast<std::uint64_t>(o_.count)) stop();
    }

    void stop() {
        if (stopping_) return;
        stopping_ = true;
        const client_state s = mqtt_.state();
        if (s == client_state::connected || s == client_state::connecting) {
            (void)mqtt_.disconnect(reason_code::normal_disconnection, props_.disconnect);
        }
    }
    void fail(std::string why) {
        if (fatal_.empty()) fatal_ = std::move(why);
        stop();
    }

    const cli::options& o_;
    const cli::property_blocks& props_;
    client<sub_config>& mqtt_;
    std::string id_;
    std::vector<subscription> subscriptions_;
    std::vector<text_view> unsubscriptions_;
    int requests_left_ = 0;
    bool streaming_ = false;
    bool last_empty_ = false;
    bool stopping_ = false;
    bool timed_out_ = false;
    std::uint64_t timeout_at_ = 0;
    std::uint64_t give_up_at_ = 0;
    std::uint64_t received_ = 0;
    std::optional<reason_code> refused_;
    std::string fatal_;
};

}  // namespace

int main(int argc, char** argv) {
    cli::options o;
    std::string error;
    switch (cli::parse_command_line(cli::tool::sub, argc, argv, o, error)) {
        case cli::parse_status::help: cli::print_usage(cli::tool::sub, stdout); return 0;
        case cli::parse_status::error:
            if (!o.quiet) std::fprintf(stderr, "Error: %s\nUse 'mqtt-sub --help' to see usage.\n", error.c_str());
            return 1;
        case cli::parse_status::ok: break;
    }
    cli::session<sub_config> s;
    if (!cli::start_session(o, s)) return 1;
    subscriber sub(o, s.props, *s.mqtt, s.client_id);

    loop_hooks hooks;
    hooks.on_event = [&sub](const event& e) { sub.on_event(e); };
    hooks.on_turn = [&sub] { sub.on_turn(); };
    hooks.wake_at = [&sub] { return sub.wake_at(); };
    const loop_result r = run_client(*s.net.net, *s.mqtt, hooks);
    return sub.finish(r, s.net);
}
