// A mosquitto broker for the interoperability tests: a mosquitto.conf in a temporary directory,
// the broker started on a free loopback port with a TLS listener (mutual authentication) and
// optionally a plain one, stopped with SIGTERM. restart() keeps the ports and the persistence
// directory, so a persistent session survives it. Loopback addresses only.
//
// Test code: uses the heap, the OS and exceptions freely.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sansmqtt::interop {

struct broker_options {
    std::string cert_dir;               // the output of scripts/gen-certs.sh
    std::string cafile = "ca.pem";      // the CA that signs client certificates (relative: in cert_dir)
    std::string certfile = "broker.pem";
    std::string keyfile = "broker.key";
    bool require_certificate = true;    // mutual TLS; the certificate's CN becomes the user name
    bool plain_listener = false;        // also a plain TCP listener (plain_port())
    bool persistence = false;           // sessions and queued messages survive restart()
    // Global limits (mosquitto 2.0 has no per-listener form of these), unset: mosquitto's defaults.
    std::optional<std::uint32_t> max_packet_size;        // CONNACK Maximum Packet Size (5.0)
    std::optional<std::uint32_t> max_inflight_messages;  // outgoing in flight; also CONNACK Receive Maximum
    std::optional<std::uint32_t> max_queued_messages;
    std::optional<std::uint16_t> max_topic_alias;        // per listener: CONNACK Topic Alias Maximum
    std::vector<std::string> extra_lines;  // appended to mosquitto.conf as they are (after the listeners)
};

class broker {
public:
    // The binary: $SANSMQTT_MOSQUITTO, else the one meson found, else /usr/sbin/mosquitto.
    static std::string mosquitto_path();

    explicit broker(broker_options options);
    ~broker();  // stops the broker and removes the temporary directory
    broker(const broker&) = delete;
    broker& operator=(const broker&) = delete;

    // Picks free ports, writes mosquitto.conf and starts mosquitto; returns once the TLS port
    // accepts connections (at most ~5 s). Retries with other ports when one was taken meanwhile.
    // false: error says why (the log's tail included).
    bool start(std::string& error);
    // SIGTERM, then waits for the exit (SIGKILL after 5 s). With persistence, mosquitto writes
    // its database on the way out.
    void stop();
    // stop() and start() on the same ports and persistence directory.
    bool restart(std::string& error);
    // Suspends / resumes the process (SIGSTOP / SIGCONT): it accepts nothing meanwhile.
    void pause();
    void resume();

    bool running() const { return pid_ > 0; }
    std::uint16_t tls_port() const { return tls_port_; }
    std::uint16_t plain_port() const { return plain_port_; }
    const std::string& dir() const { return dir_; }
    std::string log_path() const { return dir_ + "/mosquitto.log"; }
    std::string log() const;  // the whole log so far (all runs)

private:
    bool launch(std::string& error);
    void write_config() const;
    std::string path_in_cert_dir(const std::string& name) const;

    broker_options options_;
    std::string dir_;
    pid_t pid_ = -1;
    std::uint16_t tls_port_ = 0;
    std::uint16_t plain_port_ = 0;
};

// A loopback port nobody listens on now (bound to 127.0.0.1:0, then closed); 0 on failure.
std::uint16_t free_loopback_port();
// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(std::uint16_t port);

}  // namespace sansmqtt::interop
