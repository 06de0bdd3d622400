// Proof of zero heap: the global allocation functions (operator new/delete in all forms, malloc,
// calloc, realloc) are replaced by ones that abort while the trap is armed. With the trap armed,
// every packet type of both versions is encoded, framed, decoded and compared, and properties,
// topic matching and error descriptions are used. Reaching the end means the codec never
// allocated. This program uses no test framework, so that nothing else allocates meanwhile.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <new>
#include <sys/wait.h>
#include <unistd.h>

#include "sansmqtt/sansmqtt.hpp"

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
extern "C" void __libc_free(void*);

namespace {

bool armed = false;

[[noreturn]] void trapped(const char* what) {
    // write(2): no stdio buffer, no allocation.
    static const char prefix[] = "alloc-trap: the codec called ";
    (void)!write(2, prefix, sizeof prefix - 1);
    std::size_t n = 0;
    while (what[n] != '\0') ++n;
    (void)!write(2, what, n);
    (void)!write(2, "\n", 1);
    std::abort();
}

void* checked_malloc(std::size_t n, const char* what) {
    if (armed) trapped(what);
    void* p = __libc_malloc(n == 0 ? 1 : n);
    return p;
}

}  // namespace

extern "C" void* malloc(std::size_t n) { return checked_malloc(n, "malloc"); }
extern "C" void* calloc(std::size_t a, std::size_t b) {
    if (armed) trapped("calloc");
    return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, std::size_t n) {
    if (armed) trapped("realloc");
    return __libc_realloc(p, n);
}
extern "C" void free(void* p) { __libc_free(p); }

void* operator new(std::size_t n) {
    void* p = checked_malloc(n, "operator new");
    if (p == nullptr) std::abort();
    return p;
}
void* operator new[](std::size_t n) {
    void* p = checked_malloc(n, "operator new[]");
    if (p == nullptr) std::abort();
    return p;
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return checked_malloc(n, "operator new(nothrow)"); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return checked_malloc(n, "operator new[](nothrow)"); }
void* operator new(std::size_t n, std::align_val_t a) {
    if (armed) trapped("operator new(align)");
    void* p = nullptr;
    if (posix_memalign(&p, static_cast<std::size_t>(a), n) != 0) std::abort();
    return p;
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }

namespace {

using namespace sansmqtt;

int failures = 0;

void expect(bool ok, const char* what) {
    if (!ok) {
        ++failures;
        (void)!write(2, "alloc-trap: check failed: ", 26);
        std::size_t n = 0;
        while (what[n] != '\0') ++n;
        (void)!write(2, what, n);
        (void)!write(2, "\n", 1);
    }
}

// Encodes `p`, frames the bytes in 3-byte pieces, decodes, and compares.
void round_trip(const packet& p, protocol_version v, const char* what) {
    std::uint8_t out[512];
    const auto n = encode(p, out, v);
    expect(n.has_value(), what);
    if (!n) return;
    const auto size = encoded_size(p, v);
    expect(size && *size == *n, what);

    std::uint8_t storage[512];
    framer f(storage, sizeof storage, v);
    bytes_view whole(out, *n);
    bytes_view framed;
    for (std::size_t at = 0; at < whole.size(); at += 3) {
        bytes_view piece = whole.subview(at, 3);
        while (!piece.empty()) {
            const auto st = f.feed(piece);
            expect(st.has_value(), what);
            if (!st) return;
            piece = piece.subview(st->consumed);
            if (st->complete) framed = st->packet;
        }
    }
    expect(framed == whole, what);
    const auto d = decode(framed, v);
    expect(d && *d == p, what);
    if (d) {
        // Walk every property and every list the decoded packet holds.
        std::size_t seen = 0;
        detail::visit_packet(*d, [&seen](const auto& q) {
            using Q = std::decay_t<decltype(q)>;
            if constexpr (!std::is_same_v<Q, pingreq> && !std::is_same_v<Q, pingresp>) {
                for (const property& prop : q.properties) seen += static_cast<std::size_t>(prop.id);
            }
            if constexpr (std::is_same_v<Q, subscribe>) {
                for (const subscription& s : q.subscriptions) seen += s.topic_filter.size();
            }
            if constexpr (std::is_same_v<Q, suback> || std::is_same_v<Q, unsuback>) {
                for (const reason_code c : q.reason_codes) seen += static_cast<std::size_t>(c);
            }
            if constexpr (std::is_same_v<Q, unsubscribe>) {
                for (const text_view t : q.topic_filters) seen += t.size();
            }
            return 0;
        });
        (void)seen;
    }
}

void exercise() {
    std::uint8_t ps[256];
    property_builder props(ps);
    props.user_property("k", "v").reason_string("why");
    const properties reason_props = *props.build();

    std::uint8_t pub_storage[256];
    property_builder pub_props(pub_storage);
    pub_props.payload_format_indicator(1).message_expiry_interval(30).topic_alias(2).response_topic("r/t")
        .correlation_data(bytes_view(std::string_view("c"))).content_type("t").user_property("a", "b");
    const properties publish_props = *pub_props.build();

    std::uint8_t connect_storage[256];
    property_builder connect_props(connect_storage);
    connect_props.session_expiry_interval(60).receive_maximum(10).maximum_packet_size(1024).topic_alias_maximum(5)
        .request_problem_information(true).request_response_information(false).authentication_method("m")
        .authentication_data(bytes_view(std::string_view("d")));
    const properties conn_props = *connect_props.build();

    std::uint8_t connack_storage[256];
    property_builder connack_props(connack_storage);
    connack_props.assigned_client_identifier("id").server_keep_alive(30).maximum_qos(1).retain_available(true)
        .wildcard_subscription_available(true).subscription_identifier_available(true)
        .shared_subscription_available(false).response_information("ri").server_reference("s");
    const properties ack_props = *connack_props.build();

    std::uint8_t auth_storage[64];
    property_builder auth_props(auth_storage);
    auth_props.authentication_method("SCRAM").authentication_data(bytes_view(std::string_view("x")));
    const properties authp = *auth_props.build();

    const subscription subs[] = {{"a/+", qos::at_least_once}, {"b/#", qos::exactly_once}};
    const text_view filters[] = {"a/+", "b/#"};
    const reason_code codes[] = {reason_code::granted_qos_1, reason_code::granted_qos_2};
    const reason_code unsub_codes[] = {reason_code::success, reason_code::no_subscription_existed};

    for (const protocol_version v : {protocol_version::v3_1_1, protocol_version::v5}) {
        const bool five = is_v5(v);
        connect c;
        c.protocol_version = v;
        c.client_id = "dev";
        c.keep_alive = 30;
        c.will = will_message{"w", bytes_view(std::string_view("gone")), qos::at_least_once, false, {}};
        c.username = text_view("u");
        c.password = bytes_view(std::string_view("p"));
        if (five) c.properties = conn_props;
        round_trip(c, v, "connect");
        round_trip(connack{true, reason_code::success, five ? ack_props : properties{}}, v, "connack");
        publish pub;
        pub.topic = "health/hr";
        pub.payload = bytes_view(std::string_view("72"));
        pub.qos = qos::exactly_once;
        pub.packet_id = 3;
        if (five) pub.properties = publish_props;
        round_trip(pub, v, "publish");
        const properties rp = five ? reason_props : properties{};
        round_trip(puback{1, reason_code::success, rp}, v, "puback");
        round_trip(pubrec{2, reason_code::success, rp}, v, "pubrec");
        round_trip(pubrel{3, reason_code::success, rp}, v, "pubrel");
        round_trip(pubcomp{4, reason_code::success, rp}, v, "pubcomp");
        round_trip(subscribe{5, subs, {}}, v, "subscribe");
        round_trip(suback{5, codes, rp}, v, "suback");
        round_trip(unsubscribe{6, filters, {}}, v, "unsubscribe");
        round_trip(unsuback{6, five ? reason_code_list(unsub_codes) : reason_code_list{}, rp}, v, "unsuback");
        round_trip(pingreq{}, v, "pingreq");
        round_trip(pingresp{}, v, "pingresp");
        round_trip(disconnect{}, v, "disconnect");
        if (five) {
            round_trip(disconnect{reason_code::server_shutting_down, rp}, v, "disconnect with reason");
            round_trip(auth{reason_code::continue_authentication, authp}, v, "auth");
        }
    }

    // Errors: decoding refuses, describes, and names the rule without allocating.
    const std::uint8_t bad[] = {0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01};
    const auto d = decode(bytes_view(bad, sizeof bad), protocol_version::v5);
    expect(!d && d.error().rule() == "MQTT-3.3.1-4" && !d.error().message().empty(), "error description");
    expect(topic_matches("a/+", "a/b") && !topic_matches("+/x", "$SYS/x"), "topic matching");
    expect(check_topic_filter("$share/g/a/#").has_value(), "shared filter");
}

}  // namespace

// The trap must fire: a child process that allocates while armed has to die by abort().
bool trap_fires() {
    const pid_t child = fork();
    if (child == 0) {
        close(2);  // the child's abort message is expected; keep the log clear
        // Called through volatile pointers: a new-expression whose result is unused may be
        // elided by the compiler (clang does), and then nothing would reach the trap.
        void* (*volatile allocate)(std::size_t) = &::operator new;
        void* (*volatile allocate_c)(std::size_t) = &malloc;
        armed = true;
        void* p = allocate(16);
        void* q = allocate_c(16);
        armed = false;
        ::operator delete(p);
        free(q);
        _exit(0);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child) return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

int main() {
    if (!trap_fires()) {
        std::printf("alloc-trap: the trap did not fire on an allocation; the test proves nothing\n");
        return 1;
    }
    armed = true;
    exercise();
    armed = false;
    if (failures != 0) {
        std::printf("alloc-trap: %d checks failed\n", failures);
        return 1;
    }
    std::printf("alloc-trap: every packet type of 3.1.1 and 5.0 encoded, framed and decoded with allocation trapped\n");
    return 0;
}
