// DNS parsing on real queries and answers from the corpus (hex as tshark prints the UDP payload),
// and constructed faults: failure codes, compression loops, names out of bounds or too long.
#include "dns/dns.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;
using test::from_hex;

// ndpi__teams.pcap frame 10: A query for skypedataprdcolneu04.cloudapp.net, id 0xce9d, RD.
const std::string kQuery =
    "ce9d0100000100000000000014736b79706564617461707264636f6c6e6575303408636c6f7564617070036e6574"
    "0000010001";
// Frame 11: its answer, one A 52.114.77.33, TTL 9, the owner name compressed to offset 12.
const std::string kAnswer =
    "ce9d8180000100010000000014736b79706564617461707264636f6c6e6575303408636c6f7564617070036e6574"
    "0000010001c00c0001000100000009000434724d21";
// Frame 249: NXDOMAIN for the PTR b._dns-sd._udp.ntop.org, an SOA in the authority section.
const std::string kNxDomain =
    "a74b818300010000000100000162075f646e732d7364045f756470046e746f70036f726700000c0001c01b000600"
    "010000003b002905646e73646fc01b0a706f73746d6173746572c01b7866f3640000a8c000001c200024ea000000"
    "0258";
// Frame 333: config.teams.microsoft.com, three CNAMEs then A 52.113.194.132; TTLs 2873, 11, 58, 104.
const std::string kCnameChain =
    "9af28180000100040000000006636f6e666967057465616d73096d6963726f736f667403636f6d0000010001c00c"
    "0005000100000b39002106636f6e666967057465616d730e747261666669636d616e61676572036e657400c03800"
    "0500010000000b001f0c636f6e6669672d7465616d7306732d3030303508732d6d7365646765c054c06500050001"
    "0000003a0002c072c072000100010000006800043471c284";
// Frame 720: AAAA for trouter2-asse-a.trouter.teams.microsoft.com: a CNAME (TTL 3467), then
// 2a01:111:f100:7000::6fdd:54a1 (TTL 5).
const std::string kAaaa =
    "f401818000010002000000000f74726f75746572322d617373652d610774726f75746572057465616d73096d6963"
    "726f736f667403636f6d00001c0001c00c0005000100000d8b001e0f74726f75746572322d617373652d6108636c"
    "6f7564617070036e657400c049001c00010000000500102a010111f1007000000000006fdd54a1";
// Frame 744: AAAA with no answer (NOERROR, an SOA in the authority section: "no data").
const std::string kNoData =
    "c8638180000100000001000014736b79706564617461707264636f6c6e6575303408636c6f7564617070036e6574"
    "00001c0001c021000600010000000e004004707264310e617a757265646e732d636c6f7564c02a066d736e687374"
    "096d6963726f736f667403636f6d007da3fc3c000003840000012c00093a800000003c";
// wswiki__aaa.pcap frame 9: sip.cybercity.dk A 212.242.33.35 (TTL 300), two NS, one glue A.
const std::string kWithGlue =
    "b2d081800001000100020001037369700963796265726369747902646b0000010001c00c000100010000012c0004"
    "d4f22123c01000020001000000890006036e7332c010c01000020001000000890006036e7331c010c05000010001"
    "000000890004d4f229f8";
// Frame 10: SRV query _sip._udp.sip.cybercity.dk.
const std::string kSrvQuery =
    "4cd201000001000000000000045f736970045f756470037369700963796265726369747902646b0000210001";

// A header with the given counts, followed by `body`.
Frame message(uint16_t qd, uint16_t an, const Frame& body, uint8_t flags2 = 0) {
  const Frame header{0x12, 0x34, 0x81, flags2, 0, static_cast<uint8_t>(qd), 0, static_cast<uint8_t>(an), 0, 0, 0, 0};
  return test::concat(header, body);
}

// A wire name from dotted text (no compression).
Frame wire_name(const std::string& dotted) {
  Frame out;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    out.push_back(static_cast<uint8_t>(dot - start));
    out.insert(out.end(), dotted.begin() + start, dotted.begin() + dot);
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

Frame question(const Frame& name, uint16_t qtype = 1) {
  Frame q = name;
  q.insert(q.end(), {static_cast<uint8_t>(qtype >> 8), static_cast<uint8_t>(qtype), 0, 1});
  return q;
}

TEST(Dns, QueryFromTheCorpus) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kQuery), m), dns::DnsError::None);
  EXPECT_EQ(m.id, 0xce9d);
  EXPECT_FALSE(m.qr);
  EXPECT_TRUE(m.rd);
  EXPECT_FALSE(m.ra);
  EXPECT_EQ(m.opcode, 0);
  EXPECT_EQ(m.qdcount, 1);
  EXPECT_EQ(m.ancount, 0);
  ASSERT_TRUE(m.has_question);
  EXPECT_STREQ(m.qname.data(), "skypedataprdcolneu04.cloudapp.net");
  EXPECT_EQ(m.qtype, dns::type::kA);
  EXPECT_EQ(m.qclass, 1);
  EXPECT_FALSE(m.has_address);
  EXPECT_FALSE(m.edns);
}

TEST(Dns, AnswerWithACompressedOwnerName) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kAnswer), m), dns::DnsError::None);
  EXPECT_EQ(m.id, 0xce9d);
  EXPECT_TRUE(m.qr);
  EXPECT_TRUE(m.ra);
  EXPECT_EQ(m.rcode, dns::rcode::kNoError);
  EXPECT_EQ(m.answers_a, 1);
  ASSERT_TRUE(m.has_address);
  EXPECT_EQ(m.address, test::endpoint("52.114.77.33", 0));
  ASSERT_TRUE(m.has_min_ttl);
  EXPECT_EQ(m.min_ttl, 9u);
}

TEST(Dns, CnameChainCountsAndMinimumTtl) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kCnameChain), m), dns::DnsError::None);
  EXPECT_STREQ(m.qname.data(), "config.teams.microsoft.com");
  EXPECT_EQ(m.ancount, 4);
  EXPECT_EQ(m.answers_cname, 3);
  EXPECT_EQ(m.answers_a, 1);
  EXPECT_EQ(m.address, test::endpoint("52.113.194.132", 0));
  EXPECT_EQ(m.min_ttl, 11u);
}

TEST(Dns, AaaaBehindACname) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kAaaa), m), dns::DnsError::None);
  EXPECT_EQ(m.qtype, dns::type::kAaaa);
  EXPECT_STREQ(dns::qtype_name(m.qtype), "AAAA");
  EXPECT_EQ(m.answers_cname, 1);
  EXPECT_EQ(m.answers_aaaa, 1);
  EXPECT_EQ(m.address, test::endpoint("2a01:111:f100:7000::6fdd:54a1", 0));
  EXPECT_EQ(m.min_ttl, 5u);
}

TEST(Dns, NxDomainFromTheCorpus) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kNxDomain), m), dns::DnsError::None);
  EXPECT_EQ(m.rcode, dns::rcode::kNxDomain);
  EXPECT_STREQ(dns::rcode_name(m.rcode_full()), "NXDOMAIN");
  EXPECT_STREQ(m.qname.data(), "b._dns-sd._udp.ntop.org");
  EXPECT_EQ(m.qtype, dns::type::kPtr);
  EXPECT_EQ(m.nscount, 1);
  EXPECT_FALSE(m.has_address);
  EXPECT_FALSE(m.has_min_ttl);  // the SOA's TTL is not an answer's
}

TEST(Dns, NoDataAnswer) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kNoData), m), dns::DnsError::None);
  EXPECT_EQ(m.rcode, dns::rcode::kNoError);
  EXPECT_EQ(m.ancount, 0);
  EXPECT_EQ(m.answers_aaaa, 0);
  EXPECT_FALSE(m.has_address);
}

TEST(Dns, GlueInTheAdditionalSectionIsNotAnAnswer) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kWithGlue), m), dns::DnsError::None);
  EXPECT_EQ(m.nscount, 2);
  EXPECT_EQ(m.arcount, 1);
  EXPECT_EQ(m.answers_a, 1);
  EXPECT_EQ(m.address, test::endpoint("212.242.33.35", 0));
  EXPECT_EQ(m.min_ttl, 300u);  // not the NS records' 137
}

TEST(Dns, SrvQuery) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(from_hex(kSrvQuery), m), dns::DnsError::None);
  EXPECT_STREQ(m.qname.data(), "_sip._udp.sip.cybercity.dk");
  EXPECT_EQ(m.qtype, dns::type::kSrv);
  EXPECT_STREQ(dns::qtype_name(m.qtype), "SRV");
}

TEST(Dns, ServFail) {
  Frame f = from_hex(kQuery);
  f[2] |= 0x80;  // QR
  f[3] = 0x82;   // RA, SERVFAIL
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(f, m), dns::DnsError::None);
  EXPECT_TRUE(m.qr);
  EXPECT_EQ(m.rcode, dns::rcode::kServFail);
  EXPECT_STREQ(dns::rcode_name(m.rcode), "SERVFAIL");
  EXPECT_STREQ(m.qname.data(), "skypedataprdcolneu04.cloudapp.net");
}

TEST(Dns, EdnsOptRecord) {
  Frame f = from_hex(kQuery);
  f[11] = 1;  // ARCOUNT
  // root name, OPT, UDP 1232, extended rcode 1 (BADVERS with rcode 0), version 0, DO, no options
  const Frame opt{0, 0, 41, 0x04, 0xd0, 1, 0, 0x80, 0, 0, 0};
  f.insert(f.end(), opt.begin(), opt.end());
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(f, m), dns::DnsError::None);
  EXPECT_TRUE(m.edns);
  EXPECT_EQ(m.edns_udp_size, 1232);
  EXPECT_TRUE(m.edns_do);
  EXPECT_EQ(m.edns_version, 0);
  EXPECT_EQ(m.rcode_full(), 16);
  EXPECT_STREQ(dns::rcode_name(m.rcode_full()), "BADVERS");
}

TEST(Dns, PointerToItselfIsALoop) {
  const Frame f = message(1, 0, {0xc0, 12, 0, 1, 0, 1});
  dns::DnsMessage m;
  EXPECT_EQ(dns::parse_dns(f, m), dns::DnsError::NameLoop);
  EXPECT_EQ(m.id, 0x1234);  // the header still stands
  EXPECT_STREQ(m.qname.data(), "");
}

TEST(Dns, TwoPointersChasingEachOtherAreALoop) {
  // offset 12: label "a" then a pointer to 17; offset 17: pointer back to 12
  const Frame f = message(1, 0, {1, 'a', 0xc0, 17, 0, 0xc0, 12, 0, 1, 0, 1});
  dns::DnsMessage m;
  EXPECT_EQ(dns::parse_dns(f, m), dns::DnsError::NameLoop);
}

TEST(Dns, PointerOutOfBounds) {
  const Frame f = message(1, 0, {0xc1, 0x00, 0, 1, 0, 1});
  dns::DnsMessage m;
  EXPECT_EQ(dns::parse_dns(f, m), dns::DnsError::NameBadPointer);
  EXPECT_STREQ(dns::error_name(dns::DnsError::NameBadPointer), "name_bad_pointer");
}

TEST(Dns, TruncatedNameAndTruncatedRecord) {
  const Frame q = from_hex(kQuery);
  dns::DnsMessage m;
  EXPECT_EQ(dns::parse_dns(Bytes(q).first(20), m), dns::DnsError::NameTruncated);
  EXPECT_EQ(dns::parse_dns(Bytes(q).first(q.size() - 1), m), dns::DnsError::RecordTruncated);
  const Frame a = from_hex(kAnswer);
  EXPECT_EQ(dns::parse_dns(Bytes(a).first(a.size() - 1), m), dns::DnsError::RecordTruncated);  // RDATA
  EXPECT_EQ(m.qtype, dns::type::kA);  // the question before it was read
  EXPECT_EQ(dns::parse_dns(Bytes(a).first(11), m), dns::DnsError::ShortHeader);
}

TEST(Dns, LabelOf63BytesIsTheLimit) {
  const std::string l63(63, 'x');
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(message(1, 0, question(wire_name(l63 + ".example"))), m), dns::DnsError::None);
  EXPECT_EQ(std::string(m.qname.data()), l63 + ".example");
  Frame bad = question(wire_name(std::string(63, 'x')));
  bad[0] = 64;  // 0x40: the extended label type, not a 64-byte label
  bad.insert(bad.begin() + 1, 'x');
  EXPECT_EQ(dns::parse_dns(message(1, 0, bad), m), dns::DnsError::LabelBadType);
}

TEST(Dns, NameOf255OctetsFitsAndOneMoreDoesNot) {
  // 4 labels of 62 + 1 of 1: 4 * 63 + 2 + 1 (root) = 255 octets, 253 characters
  const std::string l62(62, 'y');
  const std::string ok = l62 + "." + l62 + "." + l62 + "." + l62 + ".z";
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(message(1, 0, question(wire_name(ok))), m), dns::DnsError::None);
  EXPECT_EQ(std::string(m.qname.data()), ok);
  EXPECT_EQ(ok.size(), 253u);
  EXPECT_EQ(dns::parse_dns(message(1, 0, question(wire_name(ok + "z"))), m), dns::DnsError::NameTooLong);
}

TEST(Dns, LongNameThroughPointersIsStillLimited) {
  // Each name is a 63-byte label and a pointer to the previous one: the third expands to
  // 3 * 64 + 1 = 193 octets, the fourth to 257.
  Frame body;
  size_t prev = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t here = 12 + body.size();
    body.push_back(63);
    body.insert(body.end(), 63, 'w');
    if (i == 0) body.push_back(0);
    else body.insert(body.end(), {static_cast<uint8_t>(0xc0 | prev >> 8), static_cast<uint8_t>(prev)});
    body.insert(body.end(), {0, 1, 0, 1});
    prev = here;
  }
  dns::DnsMessage m;
  EXPECT_EQ(dns::parse_dns(message(4, 0, body), m), dns::DnsError::NameTooLong);
  EXPECT_EQ(dns::parse_dns(message(3, 0, Frame(body.begin(), body.begin() + 69 + 2 * 70)), m),
            dns::DnsError::None);
}

TEST(Dns, RootNameAndUnprintableBytes) {
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(message(1, 0, question({0}, dns::type::kNs)), m), dns::DnsError::None);
  EXPECT_STREQ(m.qname.data(), ".");
  ASSERT_EQ(dns::parse_dns(message(1, 0, question({3, 'a', '.', 0x07, 2, 'b', ' ', 0})), m),
            dns::DnsError::None);
  EXPECT_STREQ(m.qname.data(), "a??.b?");
}

TEST(Dns, TcpFraming) {
  const Frame q = from_hex(kQuery), a = from_hex(kAnswer);
  Frame stream{static_cast<uint8_t>(q.size() >> 8), static_cast<uint8_t>(q.size())};
  stream.insert(stream.end(), q.begin(), q.end());
  stream.insert(stream.end(), {static_cast<uint8_t>(a.size() >> 8), static_cast<uint8_t>(a.size())});
  stream.insert(stream.end(), a.begin(), a.end());
  Bytes msg;
  size_t used = 0;
  ASSERT_EQ(dns::tcp_frame(stream, msg, used), dns::FrameStatus::Ok);
  EXPECT_EQ(used, q.size() + 2);
  EXPECT_TRUE(std::equal(msg.begin(), msg.end(), q.begin(), q.end()));
  const Bytes rest = Bytes(stream).subspan(used);
  ASSERT_EQ(dns::tcp_frame(rest, msg, used), dns::FrameStatus::Ok);
  dns::DnsMessage m;
  ASSERT_EQ(dns::parse_dns(msg, m), dns::DnsError::None);
  EXPECT_EQ(m.address, test::endpoint("52.114.77.33", 0));
  for (size_t n = 0; n < rest.size(); ++n)
    EXPECT_EQ(dns::tcp_frame(rest.first(n), msg, used), dns::FrameStatus::Incomplete) << n;
  EXPECT_EQ(dns::tcp_frame(Frame{0, 5, 1, 2, 3, 4, 5}, msg, used), dns::FrameStatus::Invalid);
}

std::vector<Frame> samples() {
  std::vector<Frame> v;
  for (const std::string* h : {&kQuery, &kAnswer, &kNxDomain, &kCnameChain, &kAaaa, &kNoData, &kWithGlue, &kSrvQuery})
    v.push_back(from_hex(*h));
  return v;
}

void check_sane(Bytes b) {
  dns::DnsMessage m;
  const dns::DnsError e = dns::parse_dns(b, m);
  EXPECT_LT(std::strlen(m.qname.data()), m.qname.size());
  EXPECT_NE(std::string(dns::error_name(e)), "?");
  if (e == dns::DnsError::None) {
    EXPECT_LE(m.answers_a + m.answers_aaaa + m.answers_cname, m.ancount);
    EXPECT_EQ(m.has_question, m.qdcount > 0);
  }
  Bytes msg;
  size_t used = 0;
  if (dns::tcp_frame(b, msg, used) == dns::FrameStatus::Ok) {
    EXPECT_LE(used, b.size());
  }
}

TEST(Dns, EveryTruncationIsRefusedAndSafe) {
  for (const Frame& s : samples()) {
    dns::DnsMessage m;
    for (size_t n = 0; n < s.size(); ++n) {
      EXPECT_NE(dns::parse_dns(Bytes(s).first(n), m), dns::DnsError::None) << n;
      check_sane(Bytes(s).first(n));
    }
  }
}

TEST(Dns, RandomAndBitFlippedBuffersAreSafe) {
  std::mt19937 rng(53);
  const auto s = samples();
  for (int i = 0; i < 5000; ++i) {
    Frame b;
    if (i % 4 == 0) {
      b.resize(rng() % 300);
      for (auto& x : b) x = static_cast<uint8_t>(rng());
      if (b.size() >= 12 && i % 8 == 0) {  // small counts, so the sections are walked
        for (int k = 4; k < 12; ++k) b[k] = k % 2 ? static_cast<uint8_t>(rng() % 4) : 0;
      }
    } else {
      b = s[rng() % s.size()];
      const int flips = 1 + rng() % 6;
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    check_sane(b);
  }
}

}  // namespace
}  // namespace wcstap
