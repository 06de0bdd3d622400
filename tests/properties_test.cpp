// MQTT 5.0 properties: the table, the lazy view, the builder and check_properties().
#include "support.hpp"

#include <set>

using namespace test;

TEST_CASE("v5 [unnumbered 2.2.2.2] the property table has the 27 properties of Table 2-4 with their types") {
    std::set<std::uint8_t> ids;
    for (const property_info& info : detail::property_table) ids.insert(static_cast<std::uint8_t>(info.id));
    CHECK(ids == std::set<std::uint8_t>{0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19,
                                         0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A});
    CHECK(type_of(property_id::subscription_identifier) == property_type::variable_byte_integer);
    CHECK(type_of(property_id::user_property) == property_type::utf8_string_pair);
    CHECK(type_of(property_id::correlation_data) == property_type::binary_data);
    CHECK(type_of(property_id::server_keep_alive) == property_type::two_byte_integer);
    CHECK(type_of(property_id::will_delay_interval) == property_type::four_byte_integer);
    CHECK(type_of(property_id::maximum_qos) == property_type::byte);
    CHECK(find_property_info(0x04) == nullptr);
    CHECK(find_property_info(0x2B) == nullptr);
    CHECK(is_allowed(property_id::will_delay_interval, property_context::will));
    CHECK_FALSE(is_allowed(property_id::will_delay_interval, property_context::publish));
    CHECK(is_allowed(property_id::user_property, property_context::auth));
}

TEST_CASE("v5 properties view: iteration in wire order, typed accessors return the first occurrence") {
    bytes ps;
    const properties p = build_properties(ps, [](property_builder& b) {
        b.user_property("a", "1").topic_alias(4).user_property("a", "2").content_type("x/y");
    });
    std::vector<property_id> order;
    for (const property& prop : p) order.push_back(prop.id);
    CHECK(order == std::vector<property_id>{property_id::user_property, property_id::topic_alias,
                                            property_id::user_property, property_id::content_type});
    std::vector<std::string> values;
    for (const property& up : p.user_properties()) values.emplace_back(up.pair.value.as_string_view());
    CHECK(values == std::vector<std::string>{"1", "2"});
    CHECK(p.topic_alias() == std::uint16_t{4});
    CHECK(p.content_type() == text_view("x/y"));
    CHECK_FALSE(p.response_topic().has_value());
    CHECK(p.find(property_id::user_property)->pair.value == "1");
    CHECK(p.count(property_id::user_property) == 2);
    CHECK(check_properties(p, property_context::publish).has_value());
}

TEST_CASE("v5 properties view: unchecked malformed bytes end the iteration instead of being read past") {
    const bytes b = hex("23 00 05 26 00 09 61");  // topic alias 5, then a truncated user property
    const properties p(view(b));
    int n = 0;
    for (const property& prop : p) {
        CHECK(prop.id == property_id::topic_alias);
        ++n;
    }
    CHECK(n == 1);
    const auto r = check_properties(p, property_context::publish);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::property_truncated);
    CHECK(r.error().offset == 4);
}

TEST_CASE("v5 property_builder: refuses type mismatches, out-of-range values and a full buffer") {
    std::uint8_t storage[8];
    {
        property_builder b(storage);
        b.add_string(property_id::topic_alias, "x");
        CHECK(b.build().error().code == errc::property_type_mismatch);
    }
    {
        property_builder b(storage);
        b.add_integer(property_id::content_type, 1);
        CHECK(b.build().error().code == errc::property_type_mismatch);
    }
    {
        property_builder b(storage);
        b.add_integer(property_id::server_keep_alive, 0x10000);
        CHECK(b.build().error().code == errc::value_out_of_range);
    }
    {
        property_builder b(storage);
        b.add_integer(property_id::subscription_identifier, 268435456);
        CHECK(b.build().error().code == errc::value_out_of_range);
    }
    {
        property_builder b(storage);
        b.content_type("\xff");
        CHECK(b.build().error().code == errc::utf8_ill_formed);
    }
    {
        property_builder b(storage);
        b.topic_alias(1).message_expiry_interval(2);  // 3 + 5 = 8 bytes: fits exactly
        REQUIRE(b.build().has_value());
        CHECK(b.build()->wire().size() == 8);
        b.topic_alias(2);
        const auto r = b.build();
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::buffer_too_small);
        CHECK(r.error().category == error_category::resource);
    }
}

TEST_CASE("v5 property_builder writes the wire form of every type") {
    bytes ps;
    const properties p = build_properties(ps, [](property_builder& b) {
        b.payload_format_indicator(1)                                  // byte
            .server_keep_alive(0x0102)                                 // two byte
            .session_expiry_interval(0x01020304)                       // four byte
            .subscription_identifier(16384)                            // variable byte integer
            .content_type("t")                                         // string
            .correlation_data(bytes_view(std::string_view("\x00", 1)))  // binary
            .user_property("n", "v");                                  // string pair
    });
    CHECK(to_hex(p.wire()) == "01 01 13 01 02 11 01 02 03 04 0b 80 80 01 03 00 01 74 09 00 01 00 26 00 01 6e 00 01 76");
}

TEST_CASE("v5 [unnumbered 2.2.2.2] check_properties applies the rules of the packet the block belongs to") {
    bytes ps;
    const properties alias = build_properties(ps, [](property_builder& b) { b.topic_alias(1); });
    CHECK(check_properties(alias, property_context::publish).has_value());
    CHECK(check_properties(alias, property_context::will).error().code == errc::property_not_allowed);

    bytes ss;
    const properties two_ids = build_properties(ss, [](property_builder& b) {
        b.subscription_identifier(1).subscription_identifier(2);
    });
    CHECK(check_properties(two_ids, property_context::publish, sender::server).has_value());
    CHECK(check_properties(two_ids, property_context::publish, sender::any).has_value());
    CHECK(check_properties(two_ids, property_context::subscribe).error().code == errc::property_duplicate);
    CHECK(check_properties(two_ids, property_context::publish, sender::client).error().code ==
          errc::subscription_identifier_from_client);
}

namespace {

// A random block from the builder: a mix of properties of every type, some repeated, some out
// of range, with long User Properties now and then so that later properties stand past 254 bytes.
void random_block(property_builder& b, std::uint64_t& state) {
    const auto next = [&state](std::uint32_t n) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        return static_cast<std::uint32_t>((state >> 33) % n);
    };
    static const std::string long_value(260, 'v');
    const std::uint32_t count = next(7);
    for (std::uint32_t i = 0; i < count; ++i) {
        switch (next(12)) {
            case 0: b.message_expiry_interval(next(5000)); break;
            case 1: b.content_type("application/json"); break;
            case 2: b.user_property("unit", next(3) == 0 ? text_view(long_value) : text_view("celsius")); break;
            case 3: b.topic_alias(static_cast<std::uint16_t>(next(3))); break;  // 0 is out of range
            case 4: b.subscription_identifier(next(3)); break;                  // 0 too
            case 5: b.session_expiry_interval(next(100)); break;
            case 6: b.receive_maximum(static_cast<std::uint16_t>(next(3))); break;
            case 7: b.response_topic(next(4) == 0 ? text_view("a/+") : text_view("reply/to")); break;
            case 8: b.authentication_data(bytes_view("\x01\x02", 2)); break;
            case 9: b.authentication_method("SCRAM"); break;
            case 10: b.reason_string("fine"); break;
            default: b.payload_format_indicator(static_cast<std::uint8_t>(next(3))); break;  // 2 is invalid
        }
    }
}

// random_block() built in `storage`.
properties random_built_block(std::array<std::uint8_t, 2048>& storage, std::uint64_t& state) {
    property_builder b(mutable_bytes(storage.data(), storage.size()));
    random_block(b, state);
    const auto built = b.build();
    REQUIRE(built.has_value());
    return *built;
}

}  // namespace

TEST_CASE("v5 [unnumbered 2.2.2.2] properties index: O(1) reads give the first occurrence a walk finds, also "
          "past 254 bytes") {
    std::uint64_t state = 7;
    std::size_t far = 0;
    for (int round = 0; round < 3000; ++round) {
        std::array<std::uint8_t, 2048> storage{};
        const properties built = random_built_block(storage, state);
        // The same bytes two ways: as built (indexed by the walk that checked them) and as the
        // caller's bytes (indexed by the constructor's walk).
        const properties raw(built.wire());
        for (const properties* block : {&built, &raw}) {
            for (const property_info& info : detail::property_table) {
                std::optional<property> walked;
                std::size_t n = 0;
                std::size_t at = 0;
                for (auto it = block->begin(); it != block->end(); ++it) {
                    if (it->id != info.id) continue;
                    if (!walked) walked = *it;
                    ++n;
                }
                for (std::size_t pos = 0; walked && pos < block->wire().size();) {  // where the first one stands
                    property p;
                    const auto next = detail::read_property_at(block->wire(), pos, block->wire().size(), p, false);
                    REQUIRE(next.has_value());
                    if (p.id == info.id) break;
                    pos = *next;
                    at = pos;
                }
                if (walked && at >= 254) ++far;
                const auto found = block->find(info.id);
                REQUIRE(found.has_value() == walked.has_value());
                CHECK(block->contains(info.id) == walked.has_value());
                CHECK(block->count(info.id) == n);
                if (!found) continue;
                CHECK(found->integer == walked->integer);
                CHECK(found->string == walked->string);
                CHECK(found->binary == walked->binary);
                CHECK(found->pair == walked->pair);
                std::size_t filtered = 0;
                for (const property& p : block->all(info.id)) {
                    CHECK(p.id == info.id);
                    ++filtered;
                }
                CHECK(filtered == n);
            }
        }
    }
    CHECK(far > 100);  // the far path was taken, many times
}

TEST_CASE("v5 [MQTT-3.3.4-6] [MQTT-3.14.2-2] check_properties of a block checked once gives the walk's answer in "
          "every packet and direction") {
    std::uint64_t state = 11;
    std::size_t passed = 0, refused = 0;
    for (int round = 0; round < 3000; ++round) {
        std::array<std::uint8_t, 2048> storage{};
        const properties built = random_built_block(storage, state);
        for (std::size_t c = 0; c <= static_cast<std::size_t>(property_context::auth); ++c) {
            const auto where = static_cast<property_context>(c);
            for (const sender from : {sender::client, sender::server, sender::any}) {
                const auto fast = check_properties(built, where, from);
                const auto walk = detail::check_properties(built.wire(), 0, built.wire().size(), where, from);
                REQUIRE(fast.has_value() == walk.has_value());
                if (walk) {
                    ++passed;
                } else {
                    ++refused;
                    CHECK(fast.error() == walk.error());
                }
            }
        }
    }
    CHECK(passed > 1000);
    CHECK(refused > 1000);
}
