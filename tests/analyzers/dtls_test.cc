// DTLS parsing on real records taken from the corpus (hex as tshark prints the UDP payload), and
// the certificate fingerprint over fragments in every order a network can deliver them.
#include "dtls/dtls.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;
using test::from_hex;

// zeek__tls_webrtc-stun.pcap frame 9: a DTLS 1.0 ClientHello (Firefox, 2016) offering 73 cipher
// suites and use_srtp SRTP_AES128_CM_HMAC_SHA1_80.
const std::string kClientHello =
    "16feff0000000000000000011c010001100000000000000110feffb509517d8e76fa20bf84d05bdd51e8cedb21df8fa6"
    "6b57c37a43b4a07a096f7e00000092c014c00a00390038003700360088008700860085c019003a0089c00fc005003500"
    "84c013c0090033003200310030009a0099009800970045004400430042c0180034009b0046c00ec004002f0096004100"
    "07c012c008001600130010000dc017001bc00dc003000a00150012000f000c001a000900140011000e000b0019000800"
    "06c010c006c015c00bc0010002000100ff01000054000b000403000102000a003a0038000e000d0019001c000b000c00"
    "1b00180009000a001a00160017000800060007001400150004000500120013000100020003000f00100011000f000101"
    "000e00050002000100";
// Frame 11's first record: the ServerHello selecting 0xc00a and SRTP_AES128_CM_HMAC_SHA1_80.
const std::string kServerHelloRecord =
    "16feff000000000000000000680200005c000000000000005cfeff98a9bba258a3c4945327ef47ea41eca749481524a9"
    "6aa2b4400acd1a4f0194ab200828c6b70198e7be06476deb418014287b0d9308058f6f61e65fecaac020c798c00a0000"
    "14000b00020100000e00050002000100ff01000100";
// Frame 14: ChangeCipherSpec, then the encrypted Finished in epoch 1, in one datagram.
const std::string kCcsFinished =
    "14feff000000000000000500010116feff00010000000000000040839f896403d1c433d779d4b08645205efb670150f9"
    "e045d96796a973be57ffbd863427051d729c592e0be1e0925a2869c04e1c88380dab28b9bff5eb09742812";

std::vector<dtls::Record> records(const Frame& d, bool* malformed = nullptr) {
  dtls::RecordReader rr(d);
  std::vector<dtls::Record> out;
  dtls::Record r;
  while (rr.next(r)) out.push_back(r);
  if (malformed) *malformed = rr.malformed();
  return out;
}

// The first handshake fragment of a datagram holding one handshake record (`d` must outlive it).
dtls::Fragment only_fragment(const Frame& d) {
  auto rs = records(d);
  EXPECT_EQ(rs.size(), 1u);
  dtls::Fragment g;
  if (rs.empty()) return g;
  dtls::FragmentReader fr(rs[0].body);
  EXPECT_TRUE(fr.next(g));
  return g;
}

TEST(Dtls, ClientHelloFromTheCorpus) {
  const Frame d = from_hex(kClientHello);
  bool bad = true;
  auto rs = records(d, &bad);
  EXPECT_FALSE(bad);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].type, dtls::kHandshake);
  EXPECT_EQ(rs[0].version, dtls::kDtls10);
  EXPECT_EQ(rs[0].epoch, 0);
  EXPECT_EQ(rs[0].seq, 0u);
  dtls::FragmentReader fr(rs[0].body);
  dtls::Fragment g;
  ASSERT_TRUE(fr.next(g));
  EXPECT_EQ(g.msg_type, dtls::kClientHello);
  EXPECT_TRUE(g.whole());
  EXPECT_EQ(g.length, 0x110u);
  dtls::Hello h;
  ASSERT_TRUE(dtls::parse_client_hello(g.data, h));
  EXPECT_EQ(h.legacy_version, dtls::kDtls10);
  EXPECT_EQ(h.cipher_suites, 73);
  EXPECT_EQ(h.cipher_suite, 0xc014);
  EXPECT_EQ(h.cookie_len, 0);
  EXPECT_TRUE(h.use_srtp);
  EXPECT_EQ(h.srtp_profile, 0x0001);
  EXPECT_EQ(h.srtp_profiles, 1);
  EXPECT_FALSE(fr.next(g));
  EXPECT_FALSE(fr.malformed());
}

TEST(Dtls, ServerHelloFromTheCorpus) {
  const Frame d = from_hex(kServerHelloRecord);
  const dtls::Fragment g = only_fragment(d);
  EXPECT_EQ(g.msg_type, dtls::kServerHello);
  dtls::Hello h;
  ASSERT_TRUE(dtls::parse_server_hello(g.data, h));
  EXPECT_EQ(h.version, dtls::kDtls10);
  EXPECT_EQ(h.cipher_suite, 0xc00a);
  EXPECT_TRUE(h.use_srtp);
  EXPECT_EQ(h.srtp_profile, 0x0001);
  EXPECT_STREQ(dtls::srtp_profile_name(h.srtp_profile), "SRTP_AES128_CM_HMAC_SHA1_80");
}

TEST(Dtls, ChangeCipherSpecThenEncryptedFinished) {
  auto rs = records(from_hex(kCcsFinished));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].type, dtls::kChangeCipherSpec);
  EXPECT_EQ(rs[0].epoch, 0);
  EXPECT_EQ(rs[0].seq, 5u);
  EXPECT_EQ(rs[1].type, dtls::kHandshake);
  EXPECT_EQ(rs[1].epoch, 1);
  EXPECT_EQ(rs[1].body.size(), 64u);
}

TEST(Dtls, TruncatedRecordStopsTheWalkAndSaysSo) {
  Frame d = from_hex(kCcsFinished);
  d.resize(d.size() - 1);
  bool bad = false;
  auto rs = records(d, &bad);
  EXPECT_EQ(rs.size(), 1u);  // the ChangeCipherSpec before it stands
  EXPECT_TRUE(bad);
}

TEST(Dtls, ServerHelloCutShortDoesNotParse) {
  const Frame d = from_hex(kServerHelloRecord);
  const dtls::Fragment g = only_fragment(d);
  ASSERT_EQ(g.msg_type, dtls::kServerHello);
  dtls::Hello h;
  for (size_t n = 0; n < 38; ++n) EXPECT_FALSE(dtls::parse_server_hello(g.data.first(n), h)) << n;
}

TEST(Dtls, FragmentPastItsMessageIsMalformed) {
  // offset 10 + 8 bytes > length 12
  const Frame body = test::dtls_fragment(dtls::kCertificate, 12, 1, 10, Frame(8, 0));
  dtls::FragmentReader fr(body);
  dtls::Fragment g;
  EXPECT_FALSE(fr.next(g));
  EXPECT_TRUE(fr.malformed());
}

TEST(Dtls, Dtls13UnifiedHeader) {
  // 001 C=0 S=1 L=1 EE=3: 16-bit sequence number, a length, epoch 3; then one without a length
  // that fills the rest of the datagram.
  Frame d{0x2f, 0x01, 0x02, 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x22, 0x07, 0x11, 0x22};
  bool bad = true;
  auto rs = records(d, &bad);
  EXPECT_FALSE(bad);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_TRUE(rs[0].unified);
  EXPECT_EQ(rs[0].epoch, 3);
  EXPECT_EQ(rs[0].seq, 0x0102u);
  EXPECT_EQ(rs[0].body.size(), 3u);
  EXPECT_EQ(rs[1].epoch, 2);
  EXPECT_EQ(rs[1].seq, 7u);
  EXPECT_EQ(rs[1].body.size(), 2u);
}

// ---- certificate fingerprint -------------------------------------------------------------------

// A Certificate message body: the list's length, then each certificate's length and bytes.
Frame certificate_message(const std::vector<Frame>& certs) {
  auto put24 = [](Frame& f, size_t v) {
    for (int shift = 16; shift >= 0; shift -= 8) f.push_back(static_cast<uint8_t>(v >> shift));
  };
  size_t list = 0;
  for (const Frame& c : certs) list += 3 + c.size();
  Frame m;
  put24(m, list);
  for (const Frame& c : certs) {
    put24(m, c.size());
    for (uint8_t b : c) m.push_back(b);
  }
  return m;
}

std::array<uint8_t, 32> sha256_of(const Frame& b) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, b.size(), b.data());
  std::array<uint8_t, 32> d;
  sha256_digest(&c, d.size(), d.data());
  return d;
}

// Feeds [offset, offset + n) of `msg` as one fragment.
void feed(dtls::CertificateHasher& h, const Frame& msg, uint32_t offset, uint32_t n, uint16_t seq = 1) {
  const Frame body = test::dtls_fragment(dtls::kCertificate, static_cast<uint32_t>(msg.size()), seq, offset,
                                         Frame(msg.begin() + offset, msg.begin() + offset + n));
  dtls::FragmentReader fr(body);
  dtls::Fragment g;
  ASSERT_TRUE(fr.next(g));
  h.feed(g);
}

struct CertCase : ::testing::Test {
  Frame leaf = Frame(700), ca = Frame(500);
  Frame msg;
  void SetUp() override {
    for (size_t i = 0; i < leaf.size(); ++i) leaf[i] = static_cast<uint8_t>(i * 7 + 3);
    for (size_t i = 0; i < ca.size(); ++i) ca[i] = static_cast<uint8_t>(i * 13 + 1);
    msg = certificate_message({leaf, ca});
  }
  uint32_t size() const { return static_cast<uint32_t>(msg.size()); }
};

TEST_F(CertCase, WholeMessageHashesTheFirstCertificateOnly) {
  dtls::CertificateHasher h;
  feed(h, msg, 0, size());
  ASSERT_TRUE(h.done());
  EXPECT_EQ(h.digest(), sha256_of(leaf));
  EXPECT_NE(h.digest(), sha256_of(ca));
}

TEST_F(CertCase, OneByteFragmentsSplittingTheLengthFields) {
  dtls::CertificateHasher h;
  for (uint32_t o = 0; o < size() && !h.done(); ++o) feed(h, msg, o, 1);
  ASSERT_TRUE(h.done());
  EXPECT_EQ(h.digest(), sha256_of(leaf));
}

TEST_F(CertCase, OverlappingAndRepeatedFragments) {
  dtls::CertificateHasher h;
  feed(h, msg, 0, 300);
  feed(h, msg, 0, 300);    // a retransmission
  feed(h, msg, 200, 300);  // overlaps what was hashed
  EXPECT_FALSE(h.done());
  feed(h, msg, 450, size() - 450);
  ASSERT_TRUE(h.done());
  EXPECT_EQ(h.digest(), sha256_of(leaf));
}

TEST_F(CertCase, FragmentAfterAGapWaitsForTheRetransmission) {
  dtls::CertificateHasher h;
  feed(h, msg, 0, 200);
  feed(h, msg, 400, size() - 400);  // 200..400 lost
  EXPECT_FALSE(h.done());
  // The flight is retransmitted whole.
  feed(h, msg, 0, 400);
  feed(h, msg, 400, size() - 400);
  ASSERT_TRUE(h.done());
  EXPECT_EQ(h.digest(), sha256_of(leaf));
}

TEST_F(CertCase, AnotherMessageSeqStartsOver) {
  dtls::CertificateHasher h;
  feed(h, msg, 0, 300, 1);
  Frame other_leaf(64, 0x5a);
  const Frame other = certificate_message({other_leaf});
  feed(h, other, 0, static_cast<uint32_t>(other.size()), 2);
  ASSERT_TRUE(h.done());
  EXPECT_EQ(h.digest(), sha256_of(other_leaf));
}

TEST_F(CertCase, LengthThatDoesNotFitHashesNothing) {
  Frame bad = msg;
  bad[3] = 0xff;  // the first certificate's length now runs past the message
  dtls::CertificateHasher h;
  feed(h, bad, 0, size());
  EXPECT_FALSE(h.done());
  const Frame empty = certificate_message({});
  dtls::CertificateHasher e;
  feed(e, empty, 0, static_cast<uint32_t>(empty.size()));
  EXPECT_FALSE(e.done());
}

TEST(Dtls, FingerprintTextIsSdpStyle) {
  std::array<uint8_t, 32> d{};
  d[0] = 0xab;
  d[31] = 0x01;
  const std::string s = dtls::fingerprint_text(d);
  EXPECT_EQ(s.size(), 95u);
  EXPECT_EQ(s.substr(0, 6), "AB:00:");
  EXPECT_EQ(s.substr(s.size() - 3), ":01");
}

}  // namespace
}  // namespace wcstap
