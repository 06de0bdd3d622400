// sansmqtt: client<Config>, the client with its storage sized at compile time.
//
// client<Config> owns every buffer and table client_core works in, as std::array members sized by
// Config (see config.hpp), so sizeof(client<Config>) is the client's whole RAM cost and nothing is
// allocated. All behaviour is client_core's; this class only provides the storage.
//
//   sansmqtt::client<> c;                      // default_config, built-in RAM session store
//   sansmqtt::client<my_config> c(flash_store); // my_config::builtin_session_store == false
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "sansmqtt/client/client_core.hpp"
#include "sansmqtt/client/session_store.hpp"
#include "sansmqtt/config.hpp"

namespace sansmqtt {

namespace detail {

struct no_session_store {};

// The storage, in a base class so that it exists before client_core is constructed over it.
template <class Config>
struct client_buffers {
    static_assert(check_config<Config>());

    using builtin_store = std::conditional_t<
        Config::builtin_session_store,
        static_session_store<Config::max_stored_messages, Config::session_store_bytes, Config::receive_maximum>,
        no_session_store>;

    std::array<std::uint8_t, Config::rx_buffer_size> rx{};
    std::array<std::uint8_t, Config::tx_buffer_size> tx{};
    std::array<pending_request, Config::max_pending_requests> requests{};
    std::array<pending_ack, Config::receive_maximum> acks{};
    std::array<std::uint8_t, Config::topic_aliases_out * Config::topic_alias_length> alias_out_topics{};
    std::array<std::uint16_t, Config::topic_aliases_out> alias_out_lengths{};
    std::array<std::uint8_t, Config::topic_aliases_in * Config::topic_alias_length> alias_in_topics{};
    std::array<std::uint16_t, Config::topic_aliases_in> alias_in_lengths{};
    std::array<std::uint8_t, Config::authentication_method_length> authentication_method{};
    builtin_store store;

    client_storage storage(session_store& s) noexcept {
        client_storage st;
        st.rx = mutable_bytes(rx.data(), rx.size());
        st.tx = mutable_bytes(tx.data(), tx.size());
        st.requests = requests.data();
        st.request_capacity = requests.size();
        st.acks = acks.data();
        st.ack_capacity = acks.size();
        st.aliases_out = topic_alias_table(mutable_bytes(alias_out_topics.data(), alias_out_topics.size()),
                                           alias_out_lengths.data(), Config::topic_aliases_out, Config::topic_alias_length);
        st.aliases_in = topic_alias_table(mutable_bytes(alias_in_topics.data(), alias_in_topics.size()),
                                          alias_in_lengths.data(), Config::topic_aliases_in, Config::topic_alias_length);
        st.authentication_method = mutable_bytes(authentication_method.data(), authentication_method.size());
        st.store = &s;
        return st;
    }

    static constexpr client_settings settings() noexcept {
        client_settings s;
        s.receive_maximum = Config::receive_maximum;
        s.maximum_packet_size = Config::maximum_packet_size;
        s.stream_large_messages = Config::stream_large_messages;
        s.v3_1_1_enabled = Config::enable_v3_1_1;
        s.v5_enabled = Config::enable_v5;
        return s;
    }
};

}  // namespace detail

template <class Config = default_config>
class client : private detail::client_buffers<Config>, public client_core {
    using buffers = detail::client_buffers<Config>;

public:
    using config = Config;

    // A client with the built-in RAM session store.
    client() noexcept : client_core(buffers::storage(buffers::store.store()), buffers::settings()) {
        static_assert(Config::builtin_session_store, "this Config has no built-in session store: pass one");
    }

    // A client whose session state lives in `external` (which must outlive the client).
    explicit client(session_store& external) noexcept : client_core(buffers::storage(external), buffers::settings()) {
        static_assert(!Config::builtin_session_store,
                      "set builtin_session_store = false in the Config to use an external store without paying for the built-in one");
    }
};

}  // namespace sansmqtt
