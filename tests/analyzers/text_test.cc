// The shared head parser of HTTP/1.x, SIP/2.0 and RTSP/1.0: real heads from the corpus (hex as
// tshark prints the payload), and the edges a TCP stream cutter depends on.
#include "text/text_message.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;
using test::from_hex;

// wswiki__aaa.pcap frame 19: a REGISTER from a SIP phone (10 headers, Content-Length 0).
const std::string kRegister =
    "5245474953544552207369703a7369702e6379626572636974792e646b205349502f322e300d0a5669613a205349502f"
    "322e302f554450203139322e3136382e312e323b6272616e63683d7a39684734624b6e703135313234383733372d3436"
    "6561373135653139322e3136382e312e323b72706f72740d0a46726f6d3a203c7369703a766f69313830363340736970"
    "2e6379626572636974792e646b3e3b7461673d393033646630610d0a546f3a203c7369703a766f693138303633407369"
    "702e6379626572636974792e646b3e0d0a43616c6c2d49443a203537383232323732392d343636356437373540353738"
    "3232323733322d34363635643737320d0a436f6e746163743a20203c7369703a766f693138303633403139322e313638"
    "2e312e323a353036303b6c696e653d396337643264626438383232303133633e3b657870697265733d313230303b713d"
    "302e3530300d0a457870697265733a20313230300d0a435365713a2036382052454749535445520d0a436f6e74656e74"
    "2d4c656e6774683a20300d0a4d61782d466f7277617264733a2037300d0a557365722d4167656e743a204e65726f2053"
    "495050532049502050686f6e652056657273696f6e20322e302e35312e31360d0a0d0a";
// ndpi__rtsp.pcap frame 33: VLC's answer to OPTIONS ("Cseq" in its own case).
const std::string kOptionsOk =
    "525453502f312e3020323030204f4b0d0a5365727665723a20564c432f332e302e31320d0a436f6e74656e742d4c656e"
    "6774683a20300d0a437365713a20320d0a5075626c69633a2044455343524942452c53455455502c54454152444f574e"
    "2c504c41592c50415553452c4745545f504152414d455445520d0a0d0a";
// ndpi__rtsp.pcap frame 45: the head of VLC's DESCRIBE answer (Content-Length 695, the SDP in frame 53).
const std::string kDescribeOkHead =
    "525453502f312e3020323030204f4b0d0a5365727665723a20564c432f332e302e31320d0a446174653a205468752c20"
    "3239204a756c20323032312031343a30313a323520474d540d0a436f6e74656e742d547970653a206170706c69636174"
    "696f6e2f7364700d0a436f6e74656e742d426173653a20727473703a2f2f31302e322e322e323a383535342f0d0a436f"
    "6e74656e742d4c656e6774683a203639350d0a43616368652d436f6e74726f6c3a206e6f2d63616368650d0a43736571"
    "3a20330d0a0d0a";
// ndpi__rtsp.pcap frames 25 and 37: the OPTIONS and DESCRIBE requests of LibVLC.
const std::string kOptions =
    "4f5054494f4e5320727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a435365713a20320d"
    "0a557365722d4167656e743a204c6962564c432f332e302e313620284c4956453535352053747265616d696e67204d65"
    "6469612076323031362e31312e3238290d0a0d0a";
const std::string kDescribe =
    "444553435249424520727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a435365713a2033"
    "0d0a557365722d4167656e743a204c6962564c432f332e302e313620284c4956453535352053747265616d696e67204d"
    "656469612076323031362e31312e3238290d0a4163636570743a206170706c69636174696f6e2f7364700d0a0d0a";

Frame text(std::string_view s) { return Frame(s.begin(), s.end()); }
std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

// Every span of a Complete head lies inside the buffer it was parsed from.
void expect_inside(const TextHead& h, Bytes buf) {
  auto inside = [&](Bytes b) {
    return b.empty() || (b.data() >= buf.data() && b.data() + b.size() <= buf.data() + buf.size());
  };
  EXPECT_LE(h.head_len, buf.size());
  EXPECT_TRUE(inside(h.method) && inside(h.uri) && inside(h.reason));
  EXPECT_LE(h.header_count, kTextMaxHeaders);
  for (size_t i = 0; i < h.header_count; ++i) {
    EXPECT_TRUE(inside(h.headers[i].name) && inside(h.headers[i].value));
    EXPECT_FALSE(h.headers[i].name.empty());
  }
}

TEST(TextHead, SipRequestFromTheCorpus) {
  const Frame b = from_hex(kRegister);
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(h.protocol, TextProtocol::Sip20);
  EXPECT_TRUE(h.is_request);
  EXPECT_EQ(str(h.method), "REGISTER");
  EXPECT_EQ(str(h.uri), "sip:sip.cybercity.dk");
  EXPECT_EQ(h.header_count, 10);
  EXPECT_EQ(h.headers_dropped, 0);
  EXPECT_EQ(h.head_len, b.size());  // Content-Length: 0, nothing follows the blank line
  EXPECT_TRUE(h.has_content_length);
  EXPECT_EQ(h.content_length, 0u);
  EXPECT_EQ(str(h.headers[0].name), "Via");
  EXPECT_EQ(str(h.headers[9].value), "Nero SIPPS IP Phone Version 2.0.51.16");
  const TextHeader* contact = find_header(h, "contact");
  ASSERT_NE(contact, nullptr);  // "Contact:  <sip:...": two spaces trimmed
  EXPECT_EQ(str(contact->value), "<sip:voi18063@192.168.1.2:5060;line=9c7d2dbd8822013c>;expires=1200;q=0.500");
  expect_inside(h, b);
}

TEST(TextHead, RtspStatusLineAndCaseInsensitiveLookup) {
  const Frame b = from_hex(kOptionsOk);
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(h.protocol, TextProtocol::Rtsp10);
  EXPECT_FALSE(h.is_request);
  EXPECT_EQ(h.status_code, 200);
  EXPECT_EQ(str(h.reason), "OK");
  EXPECT_EQ(h.header_count, 4);
  const TextHeader* cseq = find_header(h, "CSeq");  // written "Cseq"
  ASSERT_NE(cseq, nullptr);
  EXPECT_EQ(str(cseq->value), "2");
  EXPECT_EQ(str(find_header(h, "public")->value), "DESCRIBE,SETUP,TEARDOWN,PLAY,PAUSE,GET_PARAMETER");
  EXPECT_EQ(find_header(h, "Session"), nullptr);
}

TEST(TextHead, BareLfLineEnds) {
  const Frame b = text("SIP/2.0 200 OK\nCall-ID: abc\nContent-Length: 3\n\nxyz");
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(h.header_count, 2);
  EXPECT_EQ(str(find_header(h, "call-id")->value), "abc");
  EXPECT_EQ(h.head_len, b.size() - 3);
  uint64_t total = 0;
  ASSERT_TRUE(text_message_length(h, total));
  EXPECT_EQ(total, b.size());
}

TEST(TextHead, SipCompactFormsFindLongNamesAndBack) {
  const Frame b = text(
      "INVITE sip:b@example.com SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\ni: cid@h\r\nf: <sip:a@h>;tag=1\r\n"
      "t: <sip:b@h>\r\nm: <sip:a@h>\r\nc: application/sdp\r\nk: timer\r\ns: hi\r\ne: gzip\r\nl: 0\r\n\r\n");
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(str(find_header(h, "Call-ID")->value), "cid@h");
  EXPECT_EQ(str(find_header(h, "FROM")->value), "<sip:a@h>;tag=1");
  EXPECT_EQ(str(find_header(h, "to")->value), "<sip:b@h>");
  EXPECT_EQ(str(find_header(h, "via")->value), "SIP/2.0/UDP h;branch=z9hG4bK1");
  EXPECT_EQ(str(find_header(h, "contact")->value), "<sip:a@h>");
  EXPECT_EQ(str(find_header(h, "content-type")->value), "application/sdp");
  EXPECT_EQ(str(find_header(h, "supported")->value), "timer");
  EXPECT_EQ(str(find_header(h, "subject")->value), "hi");
  EXPECT_EQ(str(find_header(h, "content-encoding")->value), "gzip");
  EXPECT_TRUE(h.has_content_length);  // "l: 0" is Content-Length
  EXPECT_EQ(str(find_header(h, "i")->value), "cid@h");

  const Frame full = text("SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n");
  ASSERT_EQ(parse_text_head(full, h), TextStatus::Complete);
  EXPECT_EQ(str(find_header(h, "i")->value), "x");  // a long name found by its compact form
}

TEST(TextHead, CompactFormsAreSipOnly) {
  const Frame b = text("HTTP/1.1 200 OK\r\nl: 5\r\ni: x\r\n\r\n");
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_FALSE(h.has_content_length);
  EXPECT_EQ(find_header(h, "call-id"), nullptr);
}

TEST(TextHead, RepeatedHeadersAreFoundInOrder) {
  const Frame b = text("SIP/2.0 200 OK\r\nVia: one\r\nTo: x\r\nv: two\r\nVia: three\r\n\r\n");
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  const TextHeader* v = find_header(h, "via");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(str(v->value), "one");
  v = find_header(h, "via", v);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(str(v->value), "two");
  v = find_header(h, "via", v);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(str(v->value), "three");
  EXPECT_EQ(find_header(h, "via", v), nullptr);
}

TEST(TextHead, EveryPrefixOfTheHeadIsIncomplete) {
  const Frame b = from_hex(kDescribeOkHead);
  for (size_t n = 0; n < b.size(); ++n) {
    TextHead h;
    EXPECT_EQ(parse_text_head(Bytes(b.data(), n), h), TextStatus::Incomplete) << n;
  }
  TextHead h;
  EXPECT_EQ(parse_text_head(b, h), TextStatus::Complete);
}

TEST(TextHead, MessageLengthFromContentLength) {
  const Frame b = from_hex(kDescribeOkHead);
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(h.head_len, b.size());
  EXPECT_EQ(h.content_length, 695u);
  uint64_t total = 0;
  ASSERT_TRUE(text_message_length(h, total));
  EXPECT_EQ(total, b.size() + 695);  // tshark: frame 53 carries the 695 bytes of SDP
}

TEST(TextHead, MessageLengthWithoutContentLength) {
  TextHead h;
  uint64_t total = 0;
  const Frame rtsp = from_hex(kOptions);  // an RTSP request: no body
  ASSERT_EQ(parse_text_head(rtsp, h), TextStatus::Complete);
  ASSERT_TRUE(text_message_length(h, total));
  EXPECT_EQ(total, rtsp.size());
  const Frame get = text("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(parse_text_head(get, h), TextStatus::Complete);
  ASSERT_TRUE(text_message_length(h, total));
  EXPECT_EQ(total, get.size());
  const Frame no_content = text("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(parse_text_head(no_content, h), TextStatus::Complete);
  ASSERT_TRUE(text_message_length(h, total));
  EXPECT_EQ(total, no_content.size());
  const Frame until_close = text("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n");
  ASSERT_EQ(parse_text_head(until_close, h), TextStatus::Complete);
  EXPECT_FALSE(text_message_length(h, total));
  const Frame chunked = text("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 9\r\n\r\n");
  ASSERT_EQ(parse_text_head(chunked, h), TextStatus::Complete);
  EXPECT_TRUE(h.chunked);
  EXPECT_FALSE(text_message_length(h, total));  // chunked wins over Content-Length (RFC 9112 6.3)
}

TEST(TextHead, CutsAStreamIntoMessages) {
  // Three messages of one RTSP connection back to back, as a TCP reassembler hands them over.
  Frame stream = test::concat(test::concat(from_hex(kOptions), from_hex(kOptionsOk)), from_hex(kDescribe));
  std::vector<std::string> starts;
  Bytes rest(stream);
  while (!rest.empty()) {
    TextHead h;
    ASSERT_EQ(parse_text_head(rest, h), TextStatus::Complete);
    uint64_t total = 0;
    ASSERT_TRUE(text_message_length(h, total));
    ASSERT_LE(total, rest.size());
    starts.push_back(h.is_request ? str(h.method) : std::to_string(h.status_code));
    rest = rest.subspan(total);
  }
  EXPECT_EQ(starts, (std::vector<std::string>{"OPTIONS", "200", "DESCRIBE"}));
}

TEST(TextHead, KeepAliveLineBreaksBeforeTheStartLineAreSkipped) {
  Frame b = text("\r\n\r\n");
  TextHead h;
  EXPECT_EQ(parse_text_head(b, h), TextStatus::Incomplete);  // a RFC 5626 ping, and nothing yet
  const Frame reg = from_hex(kRegister);
  b.insert(b.end(), reg.begin(), reg.end());
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(h.leading, 4);
  EXPECT_EQ(str(h.method), "REGISTER");
  EXPECT_EQ(h.head_len, b.size());  // counted from the buffer's start: the cutter consumes the CRLFs too
}

TEST(TextHead, FoldedValueSpansItsContinuationLines) {
  const Frame b = text("SIP/2.0 200 OK\r\nSubject: I know you're there,\r\n  pick up the phone\r\nTo: x\r\n\r\n");
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(h.header_count, 2);
  EXPECT_EQ(str(find_header(h, "subject")->value), "I know you're there,\r\n  pick up the phone");
  EXPECT_EQ(str(find_header(h, "to")->value), "x");
  const Frame first = text("SIP/2.0 200 OK\r\n pick up\r\n\r\n");  // a continuation with nothing to continue
  EXPECT_EQ(parse_text_head(first, h), TextStatus::Invalid);
}

TEST(TextHead, HeadersBeyondCapacityAreCountedNotRejected) {
  std::string s = "RTSP/1.0 200 OK\r\n";
  for (int i = 0; i < 60; ++i) s += "X-H" + std::to_string(i) + ": v\r\n";
  s += "Content-Length: 2\r\n\r\nok";  // the 61st header still frames the message
  const Frame b = text(s);
  TextHead h;
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(h.header_count, kTextMaxHeaders);
  EXPECT_EQ(h.headers_dropped, 61 - kTextMaxHeaders);
  EXPECT_TRUE(h.has_content_length);
  EXPECT_EQ(h.content_length, 2u);
  EXPECT_EQ(str(h.headers[47].name), "X-H47");
}

TEST(TextHead, ContentLengthMustBeOneNumber) {
  TextHead h;
  EXPECT_EQ(parse_text_head(text("SIP/2.0 200 OK\r\nContent-Length: 12a\r\n\r\n"), h), TextStatus::Invalid);
  EXPECT_EQ(parse_text_head(text("SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n"), h), TextStatus::Invalid);
  EXPECT_EQ(parse_text_head(text("SIP/2.0 200 OK\r\nContent-Length:\r\n\r\n"), h), TextStatus::Invalid);
  EXPECT_EQ(parse_text_head(text("SIP/2.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"), h),
            TextStatus::Invalid);
  EXPECT_EQ(parse_text_head(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), h),
            TextStatus::Invalid);  // two framings: request smuggling
  ASSERT_EQ(parse_text_head(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n"), h),
            TextStatus::Complete);
  EXPECT_EQ(h.content_length, 5u);
  ASSERT_EQ(parse_text_head(text("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), h), TextStatus::Complete);
  EXPECT_FALSE(h.has_content_length);
}

TEST(TextHead, StatusLineWithoutReason) {
  TextHead h;
  ASSERT_EQ(parse_text_head(text("HTTP/1.1 200\r\n\r\n"), h), TextStatus::Complete);
  EXPECT_EQ(h.status_code, 200);
  EXPECT_TRUE(h.reason.empty());
  const Frame b = text("SIP/2.0 100 trying -- your call is important to us\r\n\r\n");
  ASSERT_EQ(parse_text_head(b, h), TextStatus::Complete);
  EXPECT_EQ(str(h.reason), "trying -- your call is important to us");
}

TEST(TextHead, InvalidStartLinesAndHeaders) {
  const char* bad[] = {
      "GET / HTTP/2.0\r\n\r\n",           // not a version this parser knows
      "SIP/2.0 20 OK\r\n\r\n",            // two-digit code
      "SIP/2.0 2000 OK\r\n\r\n",          // four digits
      "SIP/2.0 099 Low\r\n\r\n",          // below 100
      "INVITE SIP/2.0\r\n\r\n",           // no URI
      "INVITE a b SIP/2.0\r\n\r\n",       // a space inside the URI
      "HELLO WORLD\r\n\r\n",              // no version
      "{\"message\":\"ping\"}\r\n\r\n",   // JSON
      "SIP/2.0 200 OK\r\nNo colon here\r\n\r\n",
      "SIP/2.0 200 OK\r\n: empty name\r\n\r\n",
      "SIP/2.0 200 OK\r\nBad Name: x\r\n\r\n",
      "SIP/2.0 200 OK\r\nTo: a\rb\r\n\r\n",  // a bare CR
  };
  for (const char* s : bad) {
    TextHead h;
    EXPECT_EQ(parse_text_head(text(s), h), TextStatus::Invalid) << s;
  }
  Frame nul = text("SIP/2.0 200 OK\r\nTo: ab\r\n\r\n");
  nul[20] = 0;
  TextHead h;
  EXPECT_EQ(parse_text_head(nul, h), TextStatus::Invalid);
}

TEST(TextHead, BinaryIsInvalidAtOnceNotIncomplete) {
  // The first bytes of a TLS ClientHello and of an RTP packet: no line break yet, but no start
  // line either, so a stream cutter stops waiting immediately.
  TextHead h;
  EXPECT_EQ(parse_text_head(from_hex("160301020001"), h), TextStatus::Invalid);
  EXPECT_EQ(parse_text_head(from_hex("8060e4d2"), h), TextStatus::Invalid);
  EXPECT_EQ(parse_text_head(text("INVITE sip:a@b SIP/2"), h), TextStatus::Incomplete);  // plausible so far
  EXPECT_EQ(parse_text_head(text("AVERYLONGWORDTHATISNOTAMETHODATALL1234"), h), TextStatus::Invalid);
}

TEST(TextHead, HeadLongerThanTheLimitIsInvalid) {
  std::string s = "SIP/2.0 200 OK\r\n";
  while (s.size() < kTextMaxHeadSize - 200) s += "X-Pad: 0123456789012345678901234567890123456789\r\n";
  TextHead h;
  EXPECT_EQ(parse_text_head(text(s), h), TextStatus::Incomplete);  // under the limit: wait
  while (s.size() < kTextMaxHeadSize + 10) s += "X-Pad: 0123456789012345678901234567890123456789\r\n";
  EXPECT_EQ(parse_text_head(text(s), h), TextStatus::Invalid);
  EXPECT_EQ(parse_text_head(text(s + "\r\n"), h), TextStatus::Invalid);  // ended, but too late
}

TEST(TextHead, LooksLikeTextMessage) {
  EXPECT_TRUE(looks_like_text_message(from_hex(kRegister)));
  EXPECT_TRUE(looks_like_text_message(from_hex(kOptionsOk)));
  EXPECT_TRUE(looks_like_text_message(text("GET_PARAMETER rtsp://a/ RTSP/1.0\r\n")));
  EXPECT_TRUE(looks_like_text_message(text("HTTP/1.1 101 Switching Protocols\r\n")));
  EXPECT_TRUE(looks_like_text_message(text("GET /ws HTTP/1.1\r\n")));
  EXPECT_FALSE(looks_like_text_message(text("get /ws HTTP/1.1\r\n")));  // methods are case-sensitive
  EXPECT_FALSE(looks_like_text_message(text("GETX / HTTP/1.1\r\n")));
  EXPECT_FALSE(looks_like_text_message(text("{\"message\":\"connection\"}")));
  EXPECT_FALSE(looks_like_text_message(from_hex("16030100c8010000c40303")));
  EXPECT_FALSE(looks_like_text_message(text("INV")));
  EXPECT_FALSE(looks_like_text_message(Bytes{}));
}

TEST(TextHelpers, ParamsNumbersAndAddresses) {
  const Frame p = text("rport;branch=z9hG4bK1 ; received=1.2.3.4;x=\"a;b\";Tag=t1");
  Bytes v;
  ASSERT_TRUE(text::find_param(p, "branch", v));
  EXPECT_EQ(str(v), "z9hG4bK1");
  ASSERT_TRUE(text::find_param(p, "rport", v));
  EXPECT_TRUE(v.empty());
  ASSERT_TRUE(text::find_param(p, "tag", v));  // names compare case-insensitively
  EXPECT_EQ(str(v), "t1");
  ASSERT_TRUE(text::find_param(p, "x", v));
  EXPECT_EQ(str(v), "\"a;b\"");  // a quoted ';' does not split
  EXPECT_FALSE(text::find_param(p, "b\"", v));
  EXPECT_FALSE(text::find_param(p, "branc", v));

  uint64_t n = 0;
  EXPECT_TRUE(text::parse_uint(text("4294967295"), UINT32_MAX, n));
  EXPECT_EQ(n, 4294967295u);
  EXPECT_FALSE(text::parse_uint(text("4294967296"), UINT32_MAX, n));
  EXPECT_TRUE(text::parse_uint(text("18446744073709551615"), UINT64_MAX, n));
  EXPECT_FALSE(text::parse_uint(text("18446744073709551616"), UINT64_MAX, n));
  EXPECT_FALSE(text::parse_uint(text(" 1"), 100, n));
  EXPECT_FALSE(text::parse_uint(Bytes{}, 100, n));

  Endpoint e;
  ASSERT_TRUE(text::parse_ip(text("10.0.2.15"), e));
  EXPECT_EQ(e.family, 4);
  EXPECT_EQ(e.addr[0], 10);
  EXPECT_EQ(e.addr[3], 15);
  ASSERT_TRUE(text::parse_ip(text("[2001:db8::1]"), e));
  EXPECT_EQ(e.family, 6);
  EXPECT_EQ(e.addr[0], 0x20);
  EXPECT_EQ(e.addr[15], 1);
  EXPECT_FALSE(text::parse_ip(text("kali"), e));
  EXPECT_FALSE(text::parse_ip(text("1.2.3.4.5"), e));
  EXPECT_FALSE(text::parse_ip(text(std::string(80, '1')), e));
}

TEST(TextHead, RobustAgainstTruncationAndNoise) {
  const std::vector<Frame> samples = {from_hex(kRegister), from_hex(kOptionsOk), from_hex(kDescribeOkHead),
                                      from_hex(kOptions), from_hex(kDescribe)};
  for (const Frame& s : samples) {
    for (size_t n = 0; n <= s.size(); ++n) {
      TextHead h;
      const TextStatus st = parse_text_head(Bytes(s.data(), n), h);
      EXPECT_EQ(st, n == s.size() ? TextStatus::Complete : TextStatus::Incomplete) << n;
    }
  }
  std::mt19937 rng(1234);
  size_t complete = 0;
  for (int round = 0; round < 4000; ++round) {
    Frame b = samples[round % samples.size()];
    if (round % 4 == 0) {  // random bytes
      b.resize(rng() % 300);
      for (auto& c : b) c = static_cast<uint8_t>(rng());
    } else {  // a few flipped bits
      for (int k = 0; k < 1 + round % 5; ++k) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    TextHead h;
    const TextStatus st = parse_text_head(b, h);
    ASSERT_TRUE(st == TextStatus::Complete || st == TextStatus::Incomplete || st == TextStatus::Invalid);
    if (st == TextStatus::Complete) {
      ++complete;
      expect_inside(h, b);
      uint64_t total = 0;
      if (text_message_length(h, total)) {
        EXPECT_GE(total, h.head_len);
      }
    }
  }
  EXPECT_GT(complete, 100u);  // flipped bits in values leave most heads whole
}

TEST(TextChunked, WholeBodyWithTrailers) {
  const std::string b = "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nExpires: never\r\n\r\nNEXT";
  uint64_t len = 0;
  ASSERT_EQ(chunked_body_length(Bytes(reinterpret_cast<const uint8_t*>(b.data()), b.size()), len), TextStatus::Complete);
  EXPECT_EQ(len, b.size() - 4);
}

TEST(TextChunked, EveryPrefixIsIncompleteAndGarbageInvalid) {
  const std::string b = "a\r\n0123456789\r\n0\r\n\r\n";
  for (size_t n = 0; n < b.size(); ++n) {
    uint64_t len = 0;
    EXPECT_EQ(chunked_body_length(Bytes(reinterpret_cast<const uint8_t*>(b.data()), n), len), TextStatus::Incomplete) << n;
  }
  const std::string bad = "zz\r\n";
  uint64_t len = 0;
  EXPECT_EQ(chunked_body_length(Bytes(reinterpret_cast<const uint8_t*>(bad.data()), bad.size()), len), TextStatus::Invalid);
  const std::string no_crlf = "3\r\nabcX";
  EXPECT_EQ(chunked_body_length(Bytes(reinterpret_cast<const uint8_t*>(no_crlf.data()), no_crlf.size()), len),
            TextStatus::Invalid);
}

}  // namespace
}  // namespace wcstap
