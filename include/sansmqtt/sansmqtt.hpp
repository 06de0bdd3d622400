// sansmqtt: the whole library. Include single headers instead to take only what you use.
#pragma once

#include "sansmqtt/protocol.hpp"
#include "sansmqtt/result.hpp"
#include "sansmqtt/wire/bytes.hpp"
#include "sansmqtt/wire/reader.hpp"
#include "sansmqtt/wire/utf8.hpp"
#include "sansmqtt/wire/variable_byte_integer.hpp"
#include "sansmqtt/wire/writer.hpp"
#include "sansmqtt/codec/checks.hpp"
#include "sansmqtt/codec/decode.hpp"
#include "sansmqtt/codec/encode.hpp"
#include "sansmqtt/codec/framer.hpp"
#include "sansmqtt/codec/packet.hpp"
#include "sansmqtt/codec/packet_type.hpp"
#include "sansmqtt/codec/properties.hpp"
#include "sansmqtt/codec/reason_code.hpp"
#include "sansmqtt/codec/topic.hpp"
