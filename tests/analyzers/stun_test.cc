// STUN parsing on real messages taken from the corpus (hex below, as captured), and on edge cases.
#include "stun/stun.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "output/format.h"
#include "packet_builder.h"

namespace wcstap {
namespace {

using test::from_hex;

// zeek__tls_webrtc-stun.pcap frame 1: an ICE check from the controlling agent, nominating.
const std::string kIceRequest =
    "000100582112a4422598a65b9710b89865bc344000060019547735586d47414254553535753646323a333165353862"
    "623600000000250000002400046e7f00ff802a00089e681f4a7b38b1cc000800147320f87b2afd14aae987eac3a85b"
    "6bcb31cea55080280004287c8926";
// frame 2: its success response.
const std::string kIceSuccess =
    "0101002c2112a4422598a65b9710b89865bc34400020000800015b2ae1841fac00080014f493acdab4af84cc57677e"
    "1584af9e25cf59526d802800046eef2e05";
// ndpi__stun.pcap frame 19: a TURN Allocate error response, 401 with REALM and NONCE.
const std::string kAllocate401 =
    "0113003c2112a442536e4c665278533665516e540009000400000401001400117475726e2e6c2e676f6f676c652e63"
    "6f6d000000001500186d6168366f4f746c33364c46346d774b3061775559413d3d";
// ndpi__stun.pcap frame 26: a Binding success over IPv6 with a plain MAPPED-ADDRESS.
const std::string kIpv6Success = "010100182112a44242717143766336792f6b4965000100140002de3020011670000ceb0470aff67f8e49f603";

TEST(Stun, IceCheckFromTheCorpus) {
  auto b = from_hex(kIceRequest);
  StunMessage m;
  ASSERT_TRUE(parse_stun(b, m));
  EXPECT_EQ(m.method, stun::kBinding);
  EXPECT_EQ(m.cls, StunClass::Request);
  EXPECT_TRUE(m.rfc5389);
  EXPECT_EQ(m.length, 0x58);
  EXPECT_EQ(m.attributes, 6);
  ASSERT_TRUE(m.has_username);
  EXPECT_EQ(std::string(m.username.begin(), m.username.end()), "Tw5XmGABTU55u6F2:31e58bb6");
  ASSERT_TRUE(m.has_priority);
  EXPECT_EQ(m.priority, 1853817087u);  // as tshark decodes it
  EXPECT_TRUE(m.use_candidate);
  EXPECT_TRUE(m.ice_controlling);
  EXPECT_FALSE(m.ice_controlled);
  EXPECT_TRUE(m.has_integrity);
  EXPECT_TRUE(m.has_fingerprint);
  EXPECT_TRUE(m.fingerprint_ok);  // tshark: CRC-32 0x287c8926 [correct]
}

TEST(Stun, SuccessResponseCarriesTheXorMappedAddress) {
  auto req = from_hex(kIceRequest), resp = from_hex(kIceSuccess);
  StunMessage q, r;
  ASSERT_TRUE(parse_stun(req, q));
  ASSERT_TRUE(parse_stun(resp, r));
  EXPECT_EQ(r.cls, StunClass::Success);
  EXPECT_EQ(r.method, stun::kBinding);
  EXPECT_EQ(r.tid, q.tid);  // the transaction they share
  ASSERT_TRUE(r.has_mapped);
  EXPECT_EQ(endpoint_to_string(r.mapped), "192.150.187.238:31288");  // as tshark decodes it
  EXPECT_TRUE(r.fingerprint_ok);
}

TEST(Stun, TurnAllocateErrorCodeAndClass) {
  auto b = from_hex(kAllocate401);
  StunMessage m;
  ASSERT_TRUE(parse_stun(b, m));
  EXPECT_EQ(m.method, stun::kAllocate);
  EXPECT_EQ(m.cls, StunClass::Error);
  EXPECT_EQ(m.error_code, 401);
  EXPECT_FALSE(m.has_fingerprint);
  EXPECT_STREQ(stun_method_name(m.method), "allocate");
  EXPECT_STREQ(stun_class_name(m.cls), "error");
}

TEST(Stun, Ipv6MappedAddress) {
  auto b = from_hex(kIpv6Success);
  StunMessage m;
  ASSERT_TRUE(parse_stun(b, m));
  ASSERT_TRUE(m.has_mapped);
  EXPECT_EQ(endpoint_to_string(m.mapped), "[2001:1670:c:eb04:70af:f67f:8e49:f603]:56880");
}

TEST(Stun, AFlippedBitFailsTheFingerprint) {
  auto b = from_hex(kIceRequest);
  b[30] ^= 0x01;  // inside USERNAME
  StunMessage m;
  ASSERT_TRUE(parse_stun(b, m));
  EXPECT_TRUE(m.has_fingerprint);
  EXPECT_FALSE(m.fingerprint_ok);
}

TEST(Stun, EveryTruncationIsRefusedAndSafe) {
  auto b = from_hex(kIceRequest);
  for (size_t n = 0; n < b.size(); ++n) {
    StunMessage m;
    EXPECT_FALSE(parse_stun(Bytes(b.data(), n), m)) << n;
  }
}

TEST(Stun, AttributeRunningPastTheMessageIsRefused) {
  auto b = from_hex(kIceSuccess);
  b[22] = 0x00;
  b[23] = 0x40;  // XOR-MAPPED-ADDRESS claims 64 bytes
  StunMessage m;
  EXPECT_FALSE(parse_stun(b, m));
}

TEST(Stun, NotStun) {
  StunMessage m;
  std::vector<uint8_t> rtp(40, 0);
  rtp[0] = 0x80;
  EXPECT_FALSE(parse_stun(rtp, m));  // the top two bits of a STUN type are zero
  auto b = from_hex(kIceSuccess);
  b.push_back(0);  // length field no longer covers the datagram
  EXPECT_FALSE(parse_stun(b, m));
}

}  // namespace
}  // namespace wcstap
