// What the wearable and the hospital share: the command line, opening TCP or mutual TLS, and the
// vitals (a deterministic simulated sensor, the JSON on the wire, the line a person reads).
//
// Examples only: this code uses the heap, stdio and the OS; the library never includes it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <sansmqtt/sansmqtt.hpp>

#include "transport/bearssl/tls_stream.hpp"
#include "transport/client_loop.hpp"
#include "transport/posix/tcp_stream.hpp"

namespace health {

using namespace sansmqtt;
using namespace sansmqtt::examples;

struct options {
    std::string host = "localhost";
    int port = 0;  // 0: 8883, or 1883 with --plain
    std::string cafile, cert, key;
    std::string id;
    unsigned count = 5;
    unsigned interval_ms = 500;
    unsigned timeout_s = 30;
    bool plain = false;
    protocol_version version = protocol_version::v5;
};

[[noreturn]] inline void usage(const char* program, const char* why) {
    if (why != nullptr) std::fprintf(stderr, "%s: %s\n", program, why);
    std::fprintf(stderr,
                 "usage: %s [--host H] [--port P] [--cafile ca.pem --cert me.pem --key me.key | --plain]\n"
                 "       [--id NAME] [--count N] [--interval-ms MS] [--timeout S] [-V 5|311]\n",
                 program);
    std::exit(2);
}

inline options parse_options(int argc, char** argv, const char* default_id) {
    options o;
    o.id = default_id;
    const auto number = [&](int& i) -> unsigned {
        if (++i >= argc) usage(argv[0], "a number is missing");
        char* end = nullptr;
        const unsigned long v = std::strtoul(argv[i], &end, 10);
        if (*argv[i] == '\0' || *end != '\0' || v > 1'000'000'000ul) usage(argv[0], "not a number");
        return static_cast<unsigned>(v);
    };
    const auto text = [&](int& i) -> std::string {
        if (++i >= argc) usage(argv[0], "a value is missing");
        return argv[i];
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--host") o.host = text(i);
        else if (a == "--port") o.port = static_cast<int>(number(i));
        else if (a == "--cafile") o.cafile = text(i);
        else if (a == "--cert") o.cert = text(i);
        else if (a == "--key") o.key = text(i);
        else if (a == "--id") o.id = text(i);
        else if (a == "--count") o.count = number(i);
        else if (a == "--interval-ms") o.interval_ms = number(i);
        else if (a == "--timeout") o.timeout_s = number(i);
        else if (a == "--plain") o.plain = true;
        else if (a == "-V") {
            const std::string v = text(i);
            if (v != "5" && v != "311") usage(argv[0], "-V takes 5 or 311");
            o.version = v == "5" ? protocol_version::v5 : protocol_version::v3_1_1;
        } else usage(argv[0], a == "--help" ? nullptr : ("unknown option " + a).c_str());
    }
    if (o.port == 0) o.port = o.plain ? 1883 : 8883;
    if (o.port > 65535) usage(argv[0], "the port is at most 65535");
    if (!o.plain && (o.cafile.empty() || o.cert.empty() || o.key.empty())) {
        usage(argv[0], "mutual TLS needs --cafile, --cert and --key (or --plain)");
    }
    return o;
}

// TCP, then TLS over it unless --plain. The TLS handshake itself runs inside run_client().
inline std::unique_ptr<stream> open_stream(const options& o, std::string& error) {
    auto tcp = tcp_stream::connect(o.host, static_cast<std::uint16_t>(o.port), 5000, error);
    if (!tcp || o.plain) return tcp;
    tls_options tls;
    tls.ca_file = o.cafile;  // the CA the broker's certificate must come from
    tls.cert_file = o.cert;  // who we are: the broker checks this against its CA
    tls.key_file = o.key;
    return tls_stream::start(std::move(tcp), tls, error);
}

// One reading. The temperature is kept in tenths of a degree: no floating point on the wire.
struct vitals {
    int hr = 0;           // heart rate, beats per minute
    int spo2 = 0;         // oxygen saturation, percent
    int temp_tenths = 0;  // body temperature, tenths of a degree Celsius
    unsigned seq = 0;
};

// A resting patient, reading `seq` (1, 2, ...): the same sequence on every run.
inline vitals simulate(unsigned seq) {
    vitals v;
    v.hr = 68 + static_cast<int>((seq * 7u) % 11u);           // 68..78
    v.spo2 = 96 + static_cast<int>((seq * 3u) % 4u);          // 96..99
    v.temp_tenths = 364 + static_cast<int>((seq * 5u) % 8u);  // 36.4..37.1
    v.seq = seq;
    return v;
}

inline std::string to_json(const vitals& v) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "{\"hr\":%d,\"spo2\":%d,\"temp\":%d.%d,\"seq\":%u}", v.hr, v.spo2,
                  v.temp_tenths / 10, v.temp_tenths % 10, v.seq);
    return buf;
}

// Exactly the form to_json() writes, nothing more or less.
inline bool from_json(std::string_view payload, vitals& v) {
    const std::string s(payload);
    int whole = 0, tenth = 0, used = -1;
    if (std::sscanf(s.c_str(), "{\"hr\":%d,\"spo2\":%d,\"temp\":%d.%1d,\"seq\":%u}%n", &v.hr, &v.spo2, &whole, &tenth,
                    &v.seq, &used) != 5 ||
        used != static_cast<int>(s.size())) {
        return false;
    }
    v.temp_tenths = whole * 10 + tenth;
    return true;
}

// "patient wearable-01  HR 72 bpm  SpO2 98 %  temp 36.7 C  (seq 3)"
inline std::string describe(std::string_view patient, const vitals& v) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "patient %.*s  HR %d bpm  SpO2 %d %%  temp %d.%d C  (seq %u)",
                  static_cast<int>(patient.size()), patient.data(), v.hr, v.spo2, v.temp_tenths / 10,
                  v.temp_tenths % 10, v.seq);
    return buf;
}

inline const char* transport_name(const options& o) { return o.plain ? "plain TCP" : "mutual TLS"; }

}  // namespace health
