// run_client(): the loop that joins a sansmqtt client to a stream (TCP or TLS) on a POSIX
// system, waiting in poll() until the socket, an optional input descriptor (stdin, ...) or the
// client's next deadline wants attention. Copy it and adapt it; it is the whole glue.
//
// Each turn: receive into the client's buffer, drain events (the caller's on_event issues
// commands), let on_turn() issue more, hand tx_data() to the stream, flush, tick, wait.
#pragma once

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <sansmqtt/sansmqtt.hpp>

#include "stream.hpp"

namespace sansmqtt::examples {

inline std::uint64_t monotonic_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1'000'000u;
}

struct loop_hooks {
    std::function<void(const event&)> on_event;  // every event, in order
    std::function<void()> on_turn;                // once per turn, after the events
    int input_fd = -1;                            // also wake when this is readable (-1: none)
    std::function<bool()> want_input;             // poll input_fd only while this says so
    std::function<void()> on_input;               // input_fd is readable
    std::function<std::optional<std::uint64_t>()> wake_at;  // also wake by this monotonic_ms() time (nullopt: no timer)
};

// How long run_client() keeps trying to send the last packets (our DISCONNECT, or the one the client
// queued on a failure) once the session is over.
inline constexpr std::uint64_t close_grace_ms = 2'000;

struct loop_result {
    bool clean = false;  // the session ended with our DISCONNECT, and the stream closed cleanly
    std::string error;   // otherwise: why (stream error, or the client's failure)
};

// Runs until the client is idle again: after our DISCONNECT was sent, after the server ended the
// session, or after the stream failed. The stream must be connected (TLS may still be in its
// handshake: its write() takes nothing until the handshake is done).
// Either call mqtt.transport_opened(), mqtt.tick(monotonic_ms()) and mqtt.connect() before
// run_client() (a refused connect() is then the caller's to report before any I/O), or leave the
// client idle and call connect() from on_turn().
template <class Config>
loop_result run_client(stream& net, client<Config>& mqtt, const loop_hooks& hooks) {
    loop_result out;
    bool stream_open = true;
    bool we_disconnected = false;
    std::uint64_t close_by = 0;  // the session is over: close the stream by then at the latest (0: not over)
    // The caller may have opened the transport and called connect() already; otherwise on_turn()
    // sends CONNECT once the state is client_state::open.
    if (mqtt.state() == client_state::idle) {
        (void)mqtt.transport_opened();
        mqtt.tick(monotonic_ms());  // the clock before any command: connect() starts the CONNACK timer from it
    }
    const auto end_stream = [&](const std::string& why) {
        if (out.error.empty() && !why.empty()) out.error = why;
        if (stream_open) net.close();
        stream_open = false;
        mqtt.transport_closed();
    };

    while (true) {
        // 1. Received bytes straight into the client's buffer.
        bool stream_ended = false;  // the peer closed the stream, or it failed, while reading
        bool stream_failed = false;
        while (stream_open) {
            const mutable_bytes window = mqtt.rx_window();
            if (window.empty()) break;
            const io_result r = net.read(window.data(), window.size());
            if (r.state == io_state::ok) {
                mqtt.rx_commit(r.bytes);
                if (r.bytes == 0) break;
                continue;
            }
            stream_ended = true;
            stream_failed = r.state == io_state::failed;
            break;
        }
        // 2. Events; the handler may issue commands.
        while (const std::optional<event> e = mqtt.poll_event()) {
            if (const auto* failed = std::get_if<connection_failed_event>(&*e)) {
                if (out.error.empty()) out.error = std::string(failed->error.message());
            }
            if (hooks.on_event) hooks.on_event(*e);
        }
        if (stream_ended && stream_open) {
            // The bytes that came before the end were handled first: a server that refuses the
            // CONNECT, or sends DISCONNECT, usually closes the connection right after it. Its close
            // is an error only while the session was still going on.
            const client_state now_state = mqtt.state();
            const bool session_over = we_disconnected || now_state == client_state::closed ||
                                      now_state == client_state::disconnecting;
            end_stream(stream_failed ? net.error() : (session_over ? "" : "the server closed the connection"));
            continue;  // drain the events transport_closed() produces
        }
        if (hooks.on_turn) hooks.on_turn();
        if (mqtt.state() == client_state::idle && !stream_open) break;
        // 3. Bytes to send, then whatever the stream still holds.
        // A write() that takes nothing (a full socket, a TLS handshake still running) leaves the
        // waiting to the stream's wanted_events(): POLLOUT alone could wake at once, for nothing.
        bool write_stalled = false;
        bool wrote = false;  // tx_data() drained into the stream: on_turn() may have more to queue
        if (stream_open) {
            for (bytes_view pending = mqtt.tx_data(); !pending.empty(); pending = mqtt.tx_data()) {
                const io_result w = net.write(pending.data(), pending.size());
                if (w.state != io_state::ok) {
                    end_stream(net.error());
                    break;
                }
                if (w.bytes == 0) {
                    write_stalled = true;
                    break;
                }
                mqtt.tx_consume(w.bytes);
                wrote = true;
            }
        }
        if (stream_open && !net.flush()) end_stream(net.error());
        // 4. The session is over on our side once everything was sent: close. What cannot be sent
        // within close_grace_ms (a stalled handshake, a peer that stopped reading) is given up.
        const client_state s = mqtt.state();
        const bool over = s == client_state::disconnecting || s == client_state::closed;
        if (over && close_by == 0) close_by = monotonic_ms() + close_grace_ms;
        if (!over) close_by = 0;
        if (stream_open && over &&
            ((mqtt.tx_data().empty() && !net.has_pending_output()) || monotonic_ms() >= close_by)) {
            we_disconnected = s == client_state::disconnecting;
            end_stream("");
            out.clean = we_disconnected && out.error.empty();
            continue;  // drain the events transport_closed() produces
        }
        const std::uint64_t now = monotonic_ms();
        mqtt.tick(now);
        if (!stream_open) continue;
        // A timer that ran out (CONNACK, PINGRESP) ended the session: take its event now rather than
        // wait in poll() (3.1.1 queues no DISCONNECT that would wake it).
        if (mqtt.state() != s) continue;

        // 5. Wait for the socket, the input or the next deadline.
        int timeout = -1;
        if (const auto deadline = mqtt.next_deadline()) {
            timeout = *deadline <= now ? 0 : static_cast<int>(std::min<std::uint64_t>(*deadline - now, 60'000));
        }
        if (close_by != 0) {
            const int until = close_by <= now ? 0 : static_cast<int>(close_by - now);
            if (timeout < 0 || until < timeout) timeout = until;
        }
        if (hooks.wake_at) {
            if (const auto wake = hooks.wake_at()) {
                const int until = *wake <= now ? 0 : static_cast<int>(std::min<std::uint64_t>(*wake - now, 60'000));
                if (timeout < 0 || until < timeout) timeout = until;
            }
        }
        if (mqtt.rx_pending() != 0 && mqtt.rx_window().size() != 0) timeout = 0;  // unprocessed input
        // Room was made in the transmit buffer: let on_turn() fill it at once. Nothing else may wake
        // the loop (a QoS 0 publisher gets no acknowledgement).
        if (wrote && hooks.on_turn) timeout = 0;
        pollfd fds[2] = {};
        fds[0].fd = net.fd();
        fds[0].events = net.wanted_events();
        if ((!mqtt.tx_data().empty() && !write_stalled) || net.has_pending_output()) fds[0].events |= POLLOUT;
        nfds_t count = 1;
        if (hooks.input_fd >= 0 && (!hooks.want_input || hooks.want_input())) {
            fds[1].fd = hooks.input_fd;
            fds[1].events = POLLIN;
            count = 2;
        }
        if (::poll(fds, count, timeout) > 0 && count == 2 && (fds[1].revents & (POLLIN | POLLHUP)) != 0 &&
            hooks.on_input) {
            hooks.on_input();
        }
    }
    return out;
}

}  // namespace sansmqtt::examples
