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
