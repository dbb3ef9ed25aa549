// TLS parsing on real records taken from the corpus (hex as tshark prints the TCP payload, or the
// unmasked WebSocket payload for wstunnel), fed as the segments came and in other splits.
#include "tls/tls.h"

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

// zeek__tls_tls-1.2-handshake-failure.pcap frame 4: a TLS 1.2 ClientHello, no SNI, 9 suites,
// compression methods deflate and null.
const std::string kFailClientHello =
    "16030100ad010000a90303aaa3b6e3259f9c61ee29dde42820a73799972d6bf61ac2ea385a92c8ec5dae2f000012c010"
    "c006c015c00bc001003b0002000100ff020100006d000b000403000102000a00340032000e000d0019000b000c001800"
    "09000a00160017000800060007001400150004000500120013000100020003000f0010001100230000000d0020001e06"
    "0106020603050105020503040104020403030103020303020102020203000f000101";

// Frame 6: the server's answer, a fatal handshake_failure alert.
const std::string kFailAlert =
    "15030300020228";

// ndpi__discord.pcap, TCP stream 0, client to server: frame 3 (ClientHello, SNI discord.com)...
const std::string kDiscordClient3 =
    "16030100ab010000a70303f1f318c3e72492ca306f3789eaff28710f00dcc8987c96a6ad43679b79151b0a000018c02b"
    "c02ccca9c02fc030cca8c013c014009c009d002f003501000066ff0100010000000010000e00000b646973636f72642e"
    "636f6d0017000000230000000d001400120403080404010503080505010806060102010005000501000000000010000e"
    "000c02683208687474702f312e31000b00020100000a00080006001d00170018";

// ...frame 6 (ClientKeyExchange, ChangeCipherSpec, encrypted Finished).
const std::string kDiscordClient6 =
    "160303002510000021200497bc0ac01e59ab9f93156e5ce695e8323dcb6dd480afc4c7ffe6d2d0a5ff76140303000101"
    "16030300280000000000000000283d973a2ba1a7c34b1812613db94ba83ba0450c85b4a7b19029e260f85cbd51";

// Server to client: frame 4 (ServerHello, the start of the Certificate record)...
const std::string kDiscordServer4 =
    "16030300500200004c030360c20400da96a07e781d54e5107a7309e3aeeec74641a494444f574e4752440100c02b0000"
    "240000000000170000ff01000100000b00020100002300000010000500030268320005000016030308970b0008930008"
    "900004b9308204b53082045ba003020102021007dd824866bcf9b82d39116ada3ea85c300a06082a8648ce3d04030230"
    "4a310b300906035504061302555331193017060355040a1310436c6f7564666c6172652c20496e632e3120301e060355"
    "04031317436c6f7564666c61726520496e63204543432043412d33301e170d3231303131393030303030305a170d3232"
    "303131383233353935395a306d310b3009060355040613025553310b3009060355040813024341311630140603550407"
    "130d53616e204672616e636973636f31193017060355040a1310436c6f7564666c6172652c20496e632e311e301c0603"
    "5504031315736e692e636c6f7564666c61726573736c2e636f6d3059301306072a8648ce3d020106082a8648ce3d0301"
    "0703420004352059dc182976b86280b3311e02ff72d68ab931360305136c305ecd2802671df1aa20df465b919cb04f5d"
    "9b764d87d6fec07348f767c0210b044da762918d89a38202fe308202fa301f0603551d23041830168014a5ce37eaebb0"
    "750e946788b445fad9241087961f301d0603551d0e0416041465371b2edb39d1d730cd12f9e5eacd450c0c7c87303c06"
    "03551d1104353033820b646973636f72642e636f6d8215736e692e636c6f7564666c61726573736c2e636f6d820d2a2e"
    "646973636f72642e636f6d300e0603551d0f0101ff040403020780301d0603551d250416301406082b06010505070301"
    "06082b06010505070302307b0603551d1f047430723037a035a0338631687474703a2f2f63726c332e64696769636572"
    "742e636f6d2f436c6f7564666c617265496e6345434343412d332e63726c3037a035a0338631687474703a2f2f63726c"
    "342e64696769636572742e636f6d2f436c6f7564666c617265496e6345434343412d332e63726c303e0603551d200437"
    "30353033060667810c0102023029302706082b06010505070201161b687474703a2f2f7777772e64696769636572742e"
    "636f6d2f435053307606082b06010505070101046a3068302406082b060105050730018618687474703a2f2f6f637370"
    "2e64696769636572742e636f6d304006082b060105050730028634687474703a2f2f636163657274732e646967696365"
    "72742e636f6d2f436c6f7564666c617265496e6345434343412d332e637274300c0603551d130101ff04023000308201"
    "06060a2b06010401d6790204020481f70481f400f20077002979bef09e393921f056739f63a577e5be577d9c600af8f9"
    "4d5d265c255dc784000001771c6f9ac00000040300483046022100daa8d57604e4a1b40af84ecd0dd474b57f20dca6ea"
    "e0a54f21e1716d35f463dc02210092926e27bb9a6aa9e2d810ffd2e8fcf11c9c437f4ba8cfbf74232344f29197310077"
    "002245450759552456963fa12ff1f76d86e0232663adc04b7f5dc6835c6ee20f02000001771c6f9b1700000403004830"
    "46022100ee6bfd97e81232aa486b898bde80c2d0cf1e469e206669c9c1bae2a50e9d3193022100c42284727c485cc4a1"
    "891d7ad47b20094d55a647ddb20b8e39c362833c160b4b300a06082a8648ce3d040302034800304502207035a6950803"
    "ebc6621c7a54fe81e4b59ddf32bfbe3a306abc7a87e59049ddb3022100887efe82529b2a0b25c9e0a0a98fd0d851bedc"
    "bbb683d66f9b7a6b89bb1f81ed0003d1308203cd308202b5a00302010202100a3787645e5fb48c224efd1bed140c3c30"
    "0d06092a864886f70d01010b0500305a310b300906035504061302494531123010060355040a130942616c74696d6f72"
    "6531133011060355040b130a43796265725472757374312230200603550403131942616c74696d6f7265204379626572"
    "547275737420526f6f74301e";

// ...frame 5 (the rest of Certificate, CertificateStatus, ServerKeyExchange, ServerHelloDone)...
const std::string kDiscordServer5 =
    "170d3230303132373132343830385a170d3234313233313233353935395a304a310b3009060355040613025553311930"
    "17060355040a1310436c6f7564666c6172652c20496e632e3120301e06035504031317436c6f7564666c61726520496e"
    "63204543432043412d333059301306072a8648ce3d020106082a8648ce3d03010703420004b9ad4d6699140b46ec1f81"
    "d12a501e9d03152f34127d2d96b888389b855f8fbfbb4def6146c4c973d4244fe0ee1cce6cb351712f6aee4c050977d3"
    "7262a49bd7a382016830820164301d0603551d0e04160414a5ce37eaebb0750e946788b445fad9241087961f301f0603"
    "551d23041830168014e59d5930824758ccacfa085436867b3ab5044df0300e0603551d0f0101ff040403020186301d06"
    "03551d250416301406082b0601050507030106082b0601050507030230120603551d130101ff040830060101ff020100"
    "303406082b0601050507010104283026302406082b060105050730018618687474703a2f2f6f6373702e646967696365"
    "72742e636f6d303a0603551d1f04333031302fa02da02b8629687474703a2f2f63726c332e64696769636572742e636f"
    "6d2f4f6d6e69726f6f74323032352e63726c306d0603551d2004663064303706096086480186fd6c0101302a30280608"
    "2b06010505070201161c68747470733a2f2f7777772e64696769636572742e636f6d2f435053300b06096086480186fd"
    "6c01023008060667810c0102013008060667810c0102023008060667810c010203300d06092a864886f70d01010b0500"
    "038201010005241ddd1bb02aeb98d685e3394d5e6b579d8257fcebe831a257906505be1644385a7702b9cf1042c6e192"
    "a4e34527f800472c68a8569953548fad9e40c1d00fb6d70d0b38486c502c4990065b641d8bcc48302ede08e29b4922c0"
    "920c115e969294d5fc20dc566ce59293bf7a1cc037e3854915fa2be17439180fb7daf3a25758604fcc8e9400fc467b34"
    "313e4d4782813acbf4895d0eef4d0d6e9c1b8224dd32255d117851103da03523042f656f9cc1d143d7d01ef331675927"
    "dd6bd275099311242414cf29bee623c3b88f723fe907c82444537ab3b96165a14c0ec64800c97563058770455283d395"
    "9d45eaf0e8311d7e091f0afe3eddaa3c5e74d2acb1160303011f1600011b01000117308201130a0100a082010c308201"
    "0806092b06010505073001010481fa3081f730819ea2160414a5ce37eaebb0750e946788b445fad9241087961f180f32"
    "303231303630343136353435395a307330713049300906052b0e03021a0500041412d78b402c356206fa827f8ed89224"
    "11b4acf5040414a5ce37eaebb0750e946788b445fad9241087961f021007dd824866bcf9b82d39116ada3ea85c800018"
    "0f32303231303630343136333930325aa011180f32303231303631313135353430325a300a06082a8648ce3d04030203"
    "48003045022100c5d138a5d9ec9b7c662e79e0307baae3c22bf219165993699667cf455914736902200271257ed771d6"
    "9f5a21b04ba2f414c1dd10b2d9a3ee7a179d34efff14eae94016030300730c00006f03001d20a49e218473a0f43f4ff3"
    "735b62d61e578a3ea64dfd5bf8bc005f26b3b933ce21040300473045022014e6ac9a64343ebed06d76ff5cad4c2cf532"
    "8736c89d17af7888195c1f0e79aa022100b81785b5e860806c0ce90ef770f22b9b34c42c9d653464a5640447ed8b27aa"
    "c216030300040e000000";

// ...frame 7 (NewSessionTicket, ChangeCipherSpec, encrypted Finished, application data).
const std::string kDiscordServer7 =
    "16030300ca040000c60000fd2000c01be76138de847156d8cd24ecaf1d3c19d8aedd33b1e0ed746e4e4ff9e8a818319f"
    "9122b84707497b9a94fc7c8332a4cad4a3583f4909b83f0111ad0cea2c763f2236f8cdab361fe6f1131322d5bca607c7"
    "b26276169b1f05aa0f722e13f54083598b2d192eb7a6c0605d04695d6bcdb6f0850edb2563fe8bed33a5f4fbd94e384f"
    "e89675ec0e4b4325d84b25a4532432ed2e9c6baf30e5482e7077109ec51f5c17cb28746b2733fe545ba803092bcd2371"
    "219f08ce34dc2e23331c01fd6d4b3d14030300010116030300280000000000000000e903a67524cf6e4f9679aa5f2d4e"
    "9e897d355b66891dfd8fdfff563c61cd09fb170303004000000000000000011cfe850bdb82429dd9bf9127ee20b9b34d"
    "435046b082e031689b02c54322be7b769347a496c6eaea28bea0cc2a4c96e4b0db3fe339e628fc";

// ndpi__teams.pcap frame 18: Chrome's ClientHello with GREASE, SNI teams.microsoft.com, ALPN h2.
const std::string kTeamsGreaseHello =
    "16030100cd010000c903032d7f336be6c274bf052721f2374d5f6c4ec19b3e9c1f64e59f98c75873eda56900001cbaba"
    "cca9cca8c02bc02fc02cc030c013c014009c009d002f0035000a01000084baba0000ff01000100000000180016000013"
    "7465616d732e6d6963726f736f66742e636f6d0017000000230000000d00140012040308040401050308050501080606"
    "010201000500050100000000001200000010000e000c02683208687474702f312e31000b00020100000a000a0008dada"
    "001d00170018001b00030200027a7a000100";

// ndpi__teams.pcap frame 518: a ClientHello offering TLS 1.3-1.0 (SNI dati.ntop.org), 57 suites.
const std::string kTeamsTls13Hello =
    "1603010200010001fc0303a5951c331412c3d9f192d1174c4309b27895feaedf678924dce8b81e7cc68e1b20def1bbec"
    "0d068a67f4874c295349412970a7e6f2d9d1701fd7c660cce308dfd20072130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c013003300ad00abccaeccadccac009d00a9ccab00ac"
    "00aa009c00a8003d003cc038c03600b700b300950091003500af008dc037c03500b600b200940090002f00ae008c00ff"
    "0100014100000012001000000d646174692e6e746f702e6f7267000b000403000102000a000c000a001d0017001e0019"
    "001800230000337400000010000e000c02683208687474702f312e310016000000170000000d0030002e040305030603"
    "080708080809080a080b080408050806040105010601030302030301020103020202040205020602002b000908030403"
    "0303020301002d00020101003300260024001d0020beb16ae3190c6632bb8de7861435e314155cb64bc39366d46b6188"
    "3bfaa56f7a0015007c000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000";

// Frame 553: its ServerHello choosing TLS 1.2, 0xc030, ALPN http/1.1.
const std::string kTeamsServerHello =
    "16030300600200005c030363f43156f74b94a7ada4a581f4819ceeb202640269cd74f9253868210b1818c020def1bbec"
    "0d068a67f4874c295349412970a7e6f2d9d1701fd7c660cce308dfd2c030000014ff010001000010000b000908687474"
    "702f312e311403030001011603030028c9b34481f8ecc2d92066efa0225b4c4beb6693940479de3dcd66c5cb894f91d9"
    "091d527f2a7e4489";

// wswiki__sip-tls13-rtcp_sip.pcap frame 4: a ClientHello offering only TLS 1.3 draft 21 (0x7f15).
const std::string kSipDraftHello =
    "16030100f3010000ef0303254dc7519191161daafdd8ddbcef30dbe6f3c95a9fb4e1406ce8f40de7aaa00a00000c1302"
    "130313011305130400ff010000ba000b000403000102000a00040002001700230000000d001600140403050306030807"
    "0804080508060401050106010016000000170000002b0003027f15002d000201010028004700450017004104f145e0e1"
    "5072f4983d04be08c7886c598af98607204dd036a5dc463e0f5ab9393150e01a3a355da8612ae19d5c62cf0076763f2e"
    "de605571c93b7f75013181fb002f0028002600243022310b30090603550406130255533113301106035504030c0a4672"
    "6565535749544348";

// Frame 6, its first two records: a draft-21 ServerHello (no session id, no compression),
// then application data.
const std::string kSipDraftServer =
    "16030100730200006f7f158f3a63a080b3c1ae2b3192c76574d4f28afdb1f123a68f816bdf56b6a0a725b51302004900"
    "2800450017004104110e96ae58d23b968ebb7fd9075d83348733a622013785717930977b4aaea91aec723164c717081a"
    "7b928388626fae5b9c8b888dad6b6d9342d8d0d4412f1c351703010017af556e399b7864b3ca337641fcf7101fef8c55"
    "75c18724";

// zeek__websocket_wstunnel-https.pcap frame 8, the unmasked WebSocket payload: a ClientHello,
// SNI zeek.org, ALPN h2 and http/1.1, TLS 1.3 and 1.2.
const std::string kWsClientHello =
    "1603010200010001fc03037db81eede7e438db8fabaf7e3bc33f351c5c37dfcf68e8e675593da774394f282055d4daf4"
    "ecda8a7fa7510bd0df3d7cdc1494153b402e63a2a671b994d4660919003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff01000175"
    "0000000d000b0000087a65656b2e6f7267000b000403000102000a00160014001d0017001e0019001801000101010201"
    "030104337400000010000e000c02683208687474702f312e31001600000017000000310000000d002a00280403050306"
    "03080708080809080a080b080408050806040105010601030303010302040205020602002b00050403040303002d0002"
    "0101003300260024001d0020fa8ebdc649233d7b9a3f7a9e947ca16ff53713cad66ac2d0c7592297df650f47001500b5"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000";

// Frame 9's payload up to 20 bytes into its fourth record: ServerHello (TLS 1.3),
// ChangeCipherSpec, application data (36 bytes), the start of a 4842-byte application data record.
const std::string kWsServer =
    "160303007a020000760303c6392a39db733a1f1c56fa858e765fdfb829c69e0f93c2e806d6ad614323b5822055d4daf4"
    "ecda8a7fa7510bd0df3d7cdc1494153b402e63a2a671b994d4660919130200002e002b0002030400330024001d00201d"
    "674a89f9b86baca09ea5a2ae64ca93a08033fc96953d6beaa850efa1acca401403030001011703030024da984d412bfa"
    "48d74b2c40aa981fd7ee788424e18dc1cb8b2249dbefe206f0b7a67e3acb17030312ea522bc49038ecbe23f5a9151124"
    "f4fb3c0cc607fd";

Frame cat(std::initializer_list<std::string> hex) {
  Frame out;
  for (const auto& h : hex) {
    const Frame f = from_hex(h);
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

// The body of the first handshake message in a record (which must hold all of it).
Bytes first_message(const Frame& record) {
  const Bytes r(record);
  if (r.size() < 9) return {};
  return r.subspan(9, std::min<size_t>(be24(&r[6]), r.size() - 9));
}

// An item with its message body copied: a body is a view valid only until the reader's next call.
struct Seen {
  tls::ItemKind kind;
  uint8_t msg_type = 0;
  uint32_t length = 0;
  bool skipped = false;
  Frame body;
  uint8_t level = 0, desc = 0;
};

struct Reader {
  explicit Reader(size_t capacity = 32 * 1024) : buf(capacity), r(buf) {}
  std::vector<uint8_t> buf;
  tls::DirectionReader r;
  tls::Status last = tls::Status::Ok;

  std::vector<Seen> feed(Bytes segment) {
    std::vector<Seen> out;
    r.feed(segment);
    tls::Item it;
    while ((last = r.next(it)) == tls::Status::Ok) {
      EXPECT_TRUE(it.message.skipped || it.kind != tls::ItemKind::Handshake ||
                  it.message.body.size() == it.message.length);
      out.push_back(Seen{it.kind, it.message.type, it.message.length, it.message.skipped,
                         Frame(it.message.body.begin(), it.message.body.end()), it.alert_level,
                         it.alert_description});
    }
    return out;
  }
  // The stream cut into pieces of `chunk` bytes (0: the segments as given).
  std::vector<Seen> feed_all(const std::vector<Frame>& segments, size_t chunk = 0) {
    std::vector<Seen> out;
    for (const Frame& s : segments) {
      const Bytes b(s);
      for (size_t off = 0; off < b.size() || off == 0; off += chunk ? chunk : b.size()) {
        const size_t n = chunk ? std::min(chunk, b.size() - off) : b.size();
        auto got = feed(b.subspan(off, n));
        out.insert(out.end(), got.begin(), got.end());
        if (b.empty()) break;
      }
    }
    return out;
  }
};

std::vector<Frame> discord_server() {
  return {from_hex(kDiscordServer4), from_hex(kDiscordServer5), from_hex(kDiscordServer7)};
}

std::string kinds(const std::vector<Seen>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ' ';
    s += x.kind == tls::ItemKind::Handshake ? tls::handshake_name(x.msg_type) : tls::item_kind_name(x.kind);
  }
  return s;
}

// ---- record layer ------------------------------------------------------------------------------

TEST(Tls, RecordHeaderOfTheFailureAlert) {
  const Frame a = from_hex(kFailAlert);
  tls::RecordHeader h;
  ASSERT_EQ(tls::parse_record_header(a, h), tls::Status::Ok);
  EXPECT_EQ(h.type, tls::kAlert);
  EXPECT_EQ(h.version, tls::kTls12);
  EXPECT_EQ(h.length, 2);
}

TEST(Tls, RecordHeaderPrefixIsIncompleteNotInvalid) {
  const Frame a = from_hex(kFailAlert);
  tls::RecordHeader h;
  for (size_t n = 0; n < tls::kRecordHeaderSize; ++n)
    EXPECT_EQ(tls::parse_record_header(Bytes(a).first(n), h), tls::Status::Incomplete) << n;
}

TEST(Tls, RecordHeaderRejectsWhatTlsNeverSends) {
  tls::RecordHeader h;
  const Frame type19{19, 3, 3, 0, 2}, type25{25, 3, 3, 0, 2}, v2{22, 2, 0, 0, 2}, v35{22, 3, 5, 0, 2},
      big{23, 3, 3, 0x48, 0x01}, http{'G', 'E', 'T', ' ', '/'};
  for (const Frame* f : {&type19, &type25, &v2, &v35, &big, &http})
    EXPECT_EQ(tls::parse_record_header(*f, h), tls::Status::Invalid);
  const Frame max{23, 3, 3, 0x48, 0x00};  // 2^14 + 2048 exactly
  EXPECT_EQ(tls::parse_record_header(max, h), tls::Status::Ok);
  EXPECT_EQ(h.length, 18432);
  // A bad first byte is Invalid at once: no need to wait for five bytes of HTTP.
  EXPECT_EQ(tls::parse_record_header(Bytes(http).first(1), h), tls::Status::Invalid);
}

TEST(Tls, LooksLikeTlsOnEveryClientHelloOfTheCorpus) {
  for (const std::string* h : {&kFailClientHello, &kDiscordClient3, &kTeamsGreaseHello, &kTeamsTls13Hello,
                               &kSipDraftHello, &kWsClientHello})
    EXPECT_TRUE(tls::looks_like_tls(from_hex(*h))) << h->substr(0, 20);
}

TEST(Tls, LooksLikeTlsRefusesOtherFirstBytes) {
  EXPECT_FALSE(tls::looks_like_tls(from_hex(kDiscordServer4)));  // a ServerHello does not open a stream
  EXPECT_FALSE(tls::looks_like_tls(from_hex(kFailAlert)));
  const std::string get = "GET / HTTP/1.1\r\n";
  EXPECT_FALSE(tls::looks_like_tls(Bytes(reinterpret_cast<const uint8_t*>(get.data()), get.size())));
  EXPECT_FALSE(tls::looks_like_tls(Bytes(from_hex(kWsClientHello)).first(5)));  // a bare header
  Frame sslv2_version = from_hex(kWsClientHello);
  sslv2_version[9] = 2;  // the hello's own version must be 3.x too
  EXPECT_FALSE(tls::looks_like_tls(sslv2_version));
}

TEST(Tls, RecordStreamSplitsRecordsAcrossSegments) {
  // Frame 4 ends inside the Certificate record; frame 5 finishes it and adds three more records.
  tls::RecordStream rs;
  std::vector<tls::RecordPiece> pieces;
  const auto segs = discord_server();
  for (size_t i = 0; i < 2; ++i) {
    rs.feed(segs[i]);
    tls::RecordPiece p;
    tls::Status s;
    while ((s = rs.next(p)) == tls::Status::Ok) pieces.push_back(p);
    EXPECT_EQ(s, tls::Status::Incomplete);
  }
  // tshark: record lengths 80 (frame 4), then 2199, 287, 115, 4 (frame 5)
  ASSERT_EQ(pieces.size(), 6u);
  EXPECT_EQ(pieces[0].header.length, 80);
  EXPECT_TRUE(pieces[0].first() && pieces[0].last());
  EXPECT_EQ(pieces[1].header.length, 2199);
  EXPECT_TRUE(pieces[1].first());
  EXPECT_FALSE(pieces[1].last());
  EXPECT_EQ(pieces[2].offset, pieces[1].data.size());
  EXPECT_TRUE(pieces[2].last());
  EXPECT_EQ(pieces[1].data.size() + pieces[2].data.size(), 2199u);
  EXPECT_EQ(pieces[3].header.length, 287);
  EXPECT_EQ(pieces[4].header.length, 115);
  EXPECT_EQ(pieces[5].header.length, 4);
  EXPECT_TRUE(pieces[5].first() && pieces[5].last());
  EXPECT_EQ(rs.records(), 5u);
}

TEST(Tls, NotTlsIsInvalidAndStaysSo) {
  tls::RecordStream rs;
  const std::string get = "GET / HTTP/1.1\r\n";
  rs.feed(Bytes(reinterpret_cast<const uint8_t*>(get.data()), get.size()));
  tls::RecordPiece p;
  EXPECT_EQ(rs.next(p), tls::Status::Invalid);
  const Frame alert = from_hex(kFailAlert);
  rs.feed(alert);
  EXPECT_EQ(rs.next(p), tls::Status::Invalid);
  EXPECT_TRUE(rs.invalid());
  rs.reset();
  rs.feed(alert);
  EXPECT_EQ(rs.next(p), tls::Status::Ok);
  EXPECT_EQ(p.data.size(), 2u);
}

// ---- hellos ------------------------------------------------------------------------------------

TEST(Tls, ClientHelloOfTheHandshakeFailure) {
  const Frame rec = from_hex(kFailClientHello);
  tls::ClientHello h;
  ASSERT_TRUE(tls::parse_client_hello(first_message(rec), h));
  EXPECT_EQ(h.legacy_version, tls::kTls12);
  EXPECT_EQ(h.max_version, tls::kTls12);
  EXPECT_FALSE(h.has_supported_versions);
  EXPECT_EQ(h.session_id_len, 0);
  EXPECT_EQ(h.cipher_suite_count, 9);
  const std::array<uint16_t, tls::kListedSuites> first{0xc010, 0xc006, 0xc015, 0xc00b,
                                                      0xc001, 0x003b, 0x0002, 0x0001};
  EXPECT_EQ(h.cipher_suites, first);
  EXPECT_EQ(h.compression_methods, 2);
  EXPECT_TRUE(h.offers_compression);
  EXPECT_FALSE(h.has_sni);
  EXPECT_EQ(h.alpn_count, 0);
  EXPECT_EQ(h.grease, 0);
}

TEST(Tls, ClientHelloGreaseIsSkipped) {
  const Frame rec = from_hex(kTeamsGreaseHello);
  tls::ClientHello h;
  ASSERT_TRUE(tls::parse_client_hello(first_message(rec), h));
  EXPECT_EQ(h.cipher_suite_count, 13);  // tshark lists 14 with 0xbaba first
  EXPECT_EQ(h.cipher_suites[0], 0xcca9);
  EXPECT_EQ(h.cipher_suites[7], 0xc014);
  EXPECT_GE(h.grease, 3);  // a suite and (Chrome) two extensions
  EXPECT_TRUE(h.has_sni);
  EXPECT_EQ(h.sni, "teams.microsoft.com");
  ASSERT_EQ(h.alpn_count, 2);
  EXPECT_EQ(h.alpn[0], "h2");
  EXPECT_EQ(h.alpn[1], "http/1.1");
  EXPECT_FALSE(h.offers_compression);
  EXPECT_EQ(h.max_version, tls::kTls12);
}

TEST(Tls, ClientHelloOfferingTls13) {
  const Frame rec = from_hex(kTeamsTls13Hello);
  tls::ClientHello h;
  ASSERT_TRUE(tls::parse_client_hello(first_message(rec), h));
  EXPECT_EQ(h.legacy_version, tls::kTls12);
  EXPECT_TRUE(h.has_supported_versions);
  EXPECT_EQ(h.max_version, tls::kTls13);
  EXPECT_EQ(h.session_id_len, 32);
  EXPECT_EQ(h.cipher_suite_count, 57);
  EXPECT_EQ(h.cipher_suites[0], 0x1302);
  EXPECT_EQ(h.sni, "dati.ntop.org");
}

TEST(Tls, ClientHelloOfTls13Draft21) {
  const Frame rec = from_hex(kSipDraftHello);
  tls::ClientHello h;
  ASSERT_TRUE(tls::parse_client_hello(first_message(rec), h));
  EXPECT_EQ(h.max_version, 0x7f15);
  EXPECT_TRUE(tls::version_is_tls13(h.max_version));
  EXPECT_STREQ(tls::version_name(h.max_version), "TLS 1.3 draft");
  EXPECT_EQ(h.cipher_suite_count, 6);
  EXPECT_FALSE(h.has_sni);
}

TEST(Tls, ClientHelloInsideWebSocket) {
  const Frame rec = from_hex(kWsClientHello);
  tls::ClientHello h;
  ASSERT_TRUE(tls::parse_client_hello(first_message(rec), h));
  EXPECT_EQ(h.sni, "zeek.org");
  EXPECT_EQ(h.max_version, tls::kTls13);
  EXPECT_EQ(h.cipher_suite_count, 31);
  ASSERT_EQ(h.alpn_count, 2);
  EXPECT_EQ(h.alpn[0], "h2");
}

TEST(Tls, ServerHelloTls12WithAlpn) {
  const Frame rec = from_hex(kDiscordServer4);
  tls::ServerHello h;
  ASSERT_TRUE(tls::parse_server_hello(first_message(rec), h));
  EXPECT_EQ(h.version, tls::kTls12);
  EXPECT_EQ(h.cipher_suite, 0xc02b);
  EXPECT_EQ(h.compression_method, 0);
  EXPECT_TRUE(h.has_alpn);
  EXPECT_EQ(h.alpn, "h2");
  EXPECT_FALSE(h.hello_retry_request);

  const Frame teams = from_hex(kTeamsServerHello);
  ASSERT_TRUE(tls::parse_server_hello(first_message(teams), h));
  EXPECT_EQ(h.cipher_suite, 0xc030);
  EXPECT_EQ(h.session_id_len, 32);
  EXPECT_EQ(h.alpn, "http/1.1");
}

TEST(Tls, ServerHelloTls13FromSupportedVersions) {
  const Frame rec = from_hex(kWsServer);
  tls::ServerHello h;
  ASSERT_TRUE(tls::parse_server_hello(first_message(rec), h));
  EXPECT_EQ(h.legacy_version, tls::kTls12);
  EXPECT_EQ(h.version, tls::kTls13);
  EXPECT_EQ(h.cipher_suite, 0x1302);
  EXPECT_EQ(h.session_id_len, 32);
  EXPECT_FALSE(h.has_alpn);
  EXPECT_FALSE(h.hello_retry_request);
}

TEST(Tls, ServerHelloOfDraft21HasNoSessionIdNorCompression) {
  const Frame rec = from_hex(kSipDraftServer);
  tls::ServerHello h;
  ASSERT_TRUE(tls::parse_server_hello(first_message(rec), h));
  EXPECT_EQ(h.version, 0x7f15);
  EXPECT_EQ(h.cipher_suite, 0x1302);
  EXPECT_EQ(h.extension_count, 1);  // key_share
}

TEST(Tls, HelloRetryRequestIsRecognisedByItsRandom) {
  Frame rec = from_hex(kWsServer);
  static constexpr uint8_t kHrr[32] = {
      0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
      0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  std::memcpy(&rec[11], kHrr, sizeof kHrr);  // record 5 + handshake 4 + version 2
  tls::ServerHello h;
  ASSERT_TRUE(tls::parse_server_hello(first_message(rec), h));
  EXPECT_TRUE(h.hello_retry_request);
  EXPECT_EQ(h.version, tls::kTls13);
}

TEST(Tls, SniThatDoesNotPrintIsFlaggedNotExposed) {
  Frame rec = from_hex(kWsClientHello);
  const std::string name = "zeek.org";
  auto at = std::search(rec.begin(), rec.end(), name.begin(), name.end());
  ASSERT_NE(at, rec.end());
  *at = '\n';
  tls::ClientHello h;
  ASSERT_TRUE(tls::parse_client_hello(first_message(rec), h));
  EXPECT_TRUE(h.has_sni);
  EXPECT_TRUE(h.sni_malformed);
  EXPECT_TRUE(h.sni.empty());
}

TEST(Tls, MalformedAlpnListNamesNothing) {
  Frame rec = from_hex(kWsClientHello);
  const Frame alpn = from_hex("000c02683208687474702f312e31");  // list length 12: "h2", "http/1.1"
  auto at = std::search(rec.begin(), rec.end(), alpn.begin(), alpn.end());
  ASSERT_NE(at, rec.end());
  at[2] = 0;  // an empty protocol name, which RFC 7301 forbids
  tls::ClientHello h;
  ASSERT_TRUE(tls::parse_client_hello(first_message(rec), h));
  EXPECT_EQ(h.alpn_count, 0);
  EXPECT_TRUE(h.alpn[0].empty());
  EXPECT_EQ(h.sni, "zeek.org");  // the rest of the hello still reads
}

TEST(Tls, HelloCutShortDoesNotParse) {
  const Frame rec = from_hex(kDiscordClient3);
  const Bytes body = first_message(rec);
  tls::ClientHello h;
  int parsed = 0;
  for (size_t n = 0; n < body.size(); ++n) parsed += tls::parse_client_hello(body.first(n), h);
  // Only the cut right before the extensions block reads as an extension-less hello.
  EXPECT_EQ(parsed, 1);
  const Frame srec = from_hex(kDiscordServer4);
  const Bytes sbody = first_message(srec);
  tls::ServerHello s;
  parsed = 0;
  for (size_t n = 0; n < sbody.size(); ++n) parsed += tls::parse_server_hello(sbody.first(n), s);
  EXPECT_EQ(parsed, 1);
}

// ---- one direction of a connection -------------------------------------------------------------

TEST(Tls, DiscordServerDirectionAsSegmented) {
  Reader rd;
  const auto seen = rd.feed_all(discord_server());
  EXPECT_EQ(kinds(seen),
            "server_hello certificate certificate_status server_key_exchange server_hello_done "
            "new_session_ticket change_cipher_spec encrypted_handshake application_data");
  EXPECT_EQ(rd.last, tls::Status::Incomplete);
  EXPECT_EQ(rd.r.version(), tls::kTls12);
  EXPECT_TRUE(rd.r.plaintext_over());
  EXPECT_EQ(rd.r.skipped_messages(), 0u);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[1].length, 2195u);  // certificate_list length 2192 + 3
}

TEST(Tls, DiscordLeafCertificateMatchesTshark) {
  Reader rd;
  const auto seen = rd.feed_all(discord_server());
  ASSERT_GE(seen.size(), 2u);
  ASSERT_EQ(seen[1].msg_type, tls::kCertificate);
  tls::CertificateInfo c;
  ASSERT_EQ(tls::parse_certificate(seen[1].body, c), tls::CertStatus::Ok);
  EXPECT_EQ(c.chain_length, 2);
  EXPECT_EQ(c.leaf_der.size(), 1209u);
  EXPECT_STREQ(c.subject_cn.data(), "sni.cloudflaressl.com");
  EXPECT_STREQ(c.subject.data(), "CN=sni.cloudflaressl.com,O=Cloudflare\\, Inc.,L=San Francisco,ST=CA,C=US");
  EXPECT_STREQ(c.issuer.data(), "CN=Cloudflare Inc ECC CA-3,O=Cloudflare\\, Inc.,C=US");
  EXPECT_EQ(c.not_before, 1611014400);  // 2021-01-19 00:00:00 UTC
  EXPECT_EQ(c.not_after, 1642550399);   // 2022-01-18 23:59:59 UTC
}

TEST(Tls, CertificateCacheDecodesEachLeafOnce) {
  Reader rd;
  const auto seen = rd.feed_all(discord_server());
  ASSERT_GE(seen.size(), 2u);
  tls::CertificateCache cache;
  tls::CertificateInfo direct, first, again;
  ASSERT_EQ(tls::parse_certificate(seen[1].body, direct), tls::CertStatus::Ok);
  ASSERT_EQ(cache.parse(seen[1].body, first), tls::CertStatus::Ok);
  EXPECT_EQ(cache.hits(), 0u);
  const Frame copy(seen[1].body.begin(), seen[1].body.end());  // the same certificate, another message
  ASSERT_EQ(cache.parse(copy, again), tls::CertStatus::Ok);
  EXPECT_EQ(cache.hits(), 1u);
  for (const tls::CertificateInfo* c : {&first, &again}) {
    EXPECT_STREQ(c->subject.data(), direct.subject.data());
    EXPECT_STREQ(c->issuer.data(), direct.issuer.data());
    EXPECT_STREQ(c->subject_cn.data(), direct.subject_cn.data());
    EXPECT_EQ(c->not_before, direct.not_before);
    EXPECT_EQ(c->not_after, direct.not_after);
    EXPECT_EQ(c->chain_length, 2);
  }
  EXPECT_EQ(again.leaf_der.data(), copy.data() + 6);  // into its own message, past the two lengths
  // Another leaf is no hit, and what does not decode is remembered as such.
  const Frame junk{0, 0, 7, 0, 0, 4, 0x30, 0x02, 0x01, 0x00};
  tls::CertificateInfo j;
  EXPECT_EQ(cache.parse(junk, j), tls::CertStatus::Undecodable);
  EXPECT_EQ(cache.parse(junk, j), tls::CertStatus::Undecodable);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.parse(Frame{0, 0, 0}, j), tls::CertStatus::Empty);
}

TEST(Tls, ByteBySegmentsGiveTheSameItemsAndCertificate) {
  Reader whole;
  const auto a = whole.feed_all(discord_server());
  for (size_t chunk : {1u, 2u, 3u, 7u, 100u, 1000u}) {
    Reader rd;
    const auto b = rd.feed_all(discord_server(), chunk);
    ASSERT_EQ(kinds(a), kinds(b)) << chunk;
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].body, b[i].body) << chunk << " item " << i;
  }
}

TEST(Tls, MessageOverTheBufferIsSkippedAndFlagged) {
  Reader rd(1024);  // the 2195-byte Certificate does not fit; the rest does
  const auto seen = rd.feed_all(discord_server(), 500);
  EXPECT_EQ(kinds(seen),
            "server_hello certificate certificate_status server_key_exchange server_hello_done "
            "new_session_ticket change_cipher_spec encrypted_handshake application_data");
  ASSERT_GE(seen.size(), 2u);
  EXPECT_TRUE(seen[1].skipped);
  EXPECT_TRUE(seen[1].body.empty());
  EXPECT_EQ(seen[1].length, 2195u);
  EXPECT_FALSE(seen[2].skipped);
  EXPECT_EQ(rd.r.skipped_messages(), 1u);
}

TEST(Tls, DiscordClientDirectionEncryptsAfterItsChangeCipherSpec) {
  Reader rd;
  const auto seen = rd.feed_all({from_hex(kDiscordClient3), from_hex(kDiscordClient6)});
  EXPECT_EQ(kinds(seen), "client_hello client_key_exchange change_cipher_spec encrypted_handshake");
  EXPECT_TRUE(rd.r.plaintext_over());
  EXPECT_EQ(rd.r.version(), 0);  // a client's reader is told the version; nobody told this one
}

TEST(Tls, HandshakeFailureAlert) {
  Reader client, server;
  EXPECT_EQ(kinds(client.feed(from_hex(kFailClientHello))), "client_hello");
  const auto seen = server.feed(from_hex(kFailAlert));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, tls::ItemKind::Alert);
  EXPECT_EQ(seen[0].level, 2);
  EXPECT_EQ(seen[0].desc, 40);
  EXPECT_STREQ(tls::alert_name(seen[0].desc), "handshake_failure");
  EXPECT_STREQ(tls::alert_level_name(seen[0].level), "fatal");
  EXPECT_FALSE(server.r.plaintext_over());
}

TEST(Tls, AlertSplitAcrossThreeSegments) {
  const Frame a = from_hex(kFailAlert);
  Reader rd;
  EXPECT_TRUE(rd.feed(Bytes(a).subspan(0, 3)).empty());
  EXPECT_TRUE(rd.feed(Bytes(a).subspan(3, 3)).empty());
  const auto seen = rd.feed(Bytes(a).subspan(6));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].desc, 40);
}

TEST(Tls, AlertAfterChangeCipherSpecIsEncrypted) {
  // Discord's client flight, then a 26-byte alert record (what an encrypted close_notify looks like).
  Frame alert{21, 3, 3, 0, 26};
  alert.resize(5 + 26, 0xab);
  Reader rd;
  rd.feed_all({from_hex(kDiscordClient3), from_hex(kDiscordClient6)});
  const auto seen = rd.feed(alert);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, tls::ItemKind::EncryptedAlert);
}

TEST(Tls, Tls13ServerStopsAtItsServerHello) {
  Reader rd;
  const auto seen = rd.feed(from_hex(kWsServer));
  EXPECT_EQ(kinds(seen), "server_hello change_cipher_spec application_data application_data");
  EXPECT_EQ(rd.r.version(), tls::kTls13);
  EXPECT_TRUE(rd.r.plaintext_over());
  EXPECT_EQ(rd.last, tls::Status::Incomplete);  // inside the 4842-byte record
}

TEST(Tls, Tls13Draft21ServerStopsAtItsServerHello) {
  Reader rd;
  const auto seen = rd.feed(from_hex(kSipDraftServer));
  EXPECT_EQ(kinds(seen), "server_hello application_data");
  EXPECT_EQ(rd.r.version(), 0x7f15);
  EXPECT_TRUE(rd.r.plaintext_over());
}

TEST(Tls, Tls13CompatChangeCipherSpecEncryptsNothing) {
  // After a HelloRetryRequest, a 1.3 client may send its compatibility CCS before the second
  // ClientHello, which is still plaintext.
  const Frame ccs{20, 3, 3, 0, 1, 1};
  Reader told;
  told.r.set_version(tls::kTls13);
  EXPECT_EQ(kinds(told.feed_all({from_hex(kWsClientHello), ccs, from_hex(kWsClientHello)})),
            "client_hello change_cipher_spec client_hello");
  EXPECT_FALSE(told.r.plaintext_over());
  Reader untold;  // without the version it takes TLS <= 1.2 rules
  EXPECT_EQ(kinds(untold.feed_all({from_hex(kWsClientHello), ccs, from_hex(kWsClientHello)})),
            "client_hello change_cipher_spec encrypted_handshake");
}

TEST(Tls, SeveralMessagesInOneRecordAndOneMessageOverThreeRecords) {
  // Record 1: ServerHelloDone (empty) + HelloRequest (empty) + the first 3 bytes of a 10-byte
  // Finished-typed message header... spread over records 2 and 3.
  const Frame r1{22, 3, 3, 0, 11, 14, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0};
  const Frame r2{22, 3, 3, 0, 5, 10, 1, 2, 3, 4};
  const Frame r3{22, 3, 3, 0, 6, 5, 6, 7, 8, 9, 10};
  Reader rd;
  const auto seen = rd.feed_all({r1, r2, r3});
  EXPECT_EQ(kinds(seen), "server_hello_done hello_request finished");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].length, 0u);
  EXPECT_EQ(seen[2].length, 10u);
  EXPECT_EQ(seen[2].body, (Frame{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST(Tls, UndecodableHandshakeIsReportedOnceThenSkipped) {
  const Frame bad{22, 3, 3, 0, 4, 99, 0, 0, 0};  // handshake type 99 does not exist
  const Frame app{23, 3, 3, 0, 2, 0xaa, 0xbb};
  Reader rd;
  EXPECT_EQ(kinds(rd.feed_all({bad, bad, app})), "handshake_undecodable application_data");
  EXPECT_EQ(rd.last, tls::Status::Incomplete);
}

TEST(Tls, EmptyApplicationDataRecordIsOneItem) {
  const Frame empty{23, 3, 1, 0, 0};
  Reader rd;
  EXPECT_EQ(kinds(rd.feed_all({empty, empty})), "application_data application_data");
}

// ---- certificates ------------------------------------------------------------------------------

TEST(Tls, CertificateEmptyMalformedUndecodable) {
  tls::CertificateInfo c;
  EXPECT_EQ(tls::parse_certificate(Frame{0, 0, 0}, c), tls::CertStatus::Empty);
  EXPECT_EQ(tls::parse_certificate(Frame{0, 0, 5, 0, 0, 9, 1, 2}, c), tls::CertStatus::Malformed);
  EXPECT_EQ(tls::parse_certificate(Frame{0, 0}, c), tls::CertStatus::Malformed);
  EXPECT_EQ(tls::parse_certificate(Frame{0, 0, 3, 0, 0, 0}, c), tls::CertStatus::Malformed);  // empty cert
  const Frame junk{0, 0, 7, 0, 0, 4, 0x30, 0x02, 0x01, 0x00};
  EXPECT_EQ(tls::parse_certificate(junk, c), tls::CertStatus::Undecodable);
  EXPECT_EQ(c.chain_length, 1);
  EXPECT_EQ(c.leaf_der.size(), 4u);
  EXPECT_EQ(c.subject[0], '\0');
}

TEST(Tls, DaysToExpiry) {
  tls::CertificateInfo c;
  c.not_after = 1642550399;
  EXPECT_EQ(tls::days_to_expiry(c, c.not_after - 14 * 86400), 14);
  EXPECT_EQ(tls::days_to_expiry(c, c.not_after - 14 * 86400 + 1), 13);
  EXPECT_EQ(tls::days_to_expiry(c, c.not_after), 0);
  EXPECT_EQ(tls::days_to_expiry(c, c.not_after + 1), -1);
  EXPECT_EQ(tls::days_to_expiry(c, c.not_after + 86400), -1);
  EXPECT_EQ(tls::days_to_expiry(c, c.not_after + 86401), -2);
}

TEST(Tls, Names) {
  EXPECT_STREQ(tls::alert_name(0), "close_notify");
  EXPECT_STREQ(tls::alert_name(48), "unknown_ca");
  EXPECT_STREQ(tls::alert_name(200), "other");
  EXPECT_STREQ(tls::version_name(tls::kTls12), "TLS 1.2");
  EXPECT_STREQ(tls::version_name(0x0305), "other");
  EXPECT_STREQ(tls::handshake_name(tls::kCertificate), "certificate");
  EXPECT_TRUE(tls::is_grease(0x2a2a));
  EXPECT_FALSE(tls::is_grease(0x2a3a));
}

// ---- robustness --------------------------------------------------------------------------------

std::vector<Frame> all_samples() {
  std::vector<Frame> v;
  for (const std::string* h : {&kFailClientHello, &kFailAlert, &kDiscordClient3, &kDiscordClient6,
                               &kDiscordServer4, &kDiscordServer5, &kDiscordServer7, &kTeamsGreaseHello,
                               &kTeamsTls13Hello, &kTeamsServerHello, &kSipDraftHello, &kSipDraftServer,
                               &kWsClientHello, &kWsServer})
    v.push_back(from_hex(*h));
  return v;
}

// Everything a stream reader and the parsers can be asked about these bytes, checked for sanity.
void exercise(Bytes b, size_t chunk) {
  Reader rd(4096);
  for (size_t off = 0; off < b.size(); off += chunk) {
    for (const Seen& s : rd.feed(b.subspan(off, std::min(chunk, b.size() - off)))) {
      if (s.kind != tls::ItemKind::Handshake) continue;
      EXPECT_TRUE(s.skipped ? s.body.empty() : s.body.size() == s.length);
      tls::ClientHello ch;
      tls::ServerHello sh;
      tls::CertificateInfo ci;
      if (tls::parse_client_hello(s.body, ch)) {
        EXPECT_LE(ch.sni.size(), 255u);
        EXPECT_LE(ch.cipher_suite_count + ch.grease, 0xffff / 2);
      }
      tls::parse_server_hello(s.body, sh);
      if (tls::parse_certificate(s.body, ci) != tls::CertStatus::Malformed) {
        EXPECT_LT(std::strlen(ci.subject.data()), ci.subject.size());
      }
    }
    if (rd.last == tls::Status::Invalid) break;
  }
  tls::ClientHello ch;
  tls::ServerHello sh;
  tls::CertificateInfo ci;
  tls::parse_client_hello(b, ch);
  tls::parse_server_hello(b, sh);
  tls::parse_certificate(b, ci);
  tls::looks_like_tls(b);
}

TEST(Tls, EveryPrefixOfAValidStreamIsNeverInvalid) {
  std::vector<Frame> streams = {
      cat({kDiscordServer4, kDiscordServer5, kDiscordServer7}), cat({kDiscordClient3, kDiscordClient6}),
      from_hex(kFailClientHello), from_hex(kFailAlert), from_hex(kWsServer), from_hex(kSipDraftServer),
      from_hex(kTeamsGreaseHello), from_hex(kTeamsTls13Hello)};
  for (const Frame& s : streams) {
    for (size_t n = 0; n <= s.size(); ++n) {
      Reader rd;
      rd.feed(Bytes(s).first(n));
      ASSERT_NE(rd.last, tls::Status::Invalid) << n;
    }
  }
}

TEST(Tls, EveryTruncationOfEverySampleIsSafe) {
  for (const Frame& s : all_samples())
    for (size_t n = 0; n <= s.size(); ++n) {
      exercise(Bytes(s).first(n), 1 + n % 17);
      if (n > 9) exercise(Bytes(s).subspan(9, n - 9), s.size());  // message bodies without headers
    }
}

TEST(Tls, RandomAndBitFlippedBuffersAreSafe) {
  std::mt19937 rng(20240611);
  const auto samples = all_samples();
  for (int i = 0; i < 3000; ++i) {
    Frame b;
    if (i % 3 == 0) {
      b.resize(rng() % 600);
      for (auto& x : b) x = static_cast<uint8_t>(rng());
      if (!b.empty() && i % 2) b[0] = 22;  // make it look like a handshake record now and then
      if (b.size() > 2 && i % 2) b[1] = 3;
    } else {
      b = samples[rng() % samples.size()];
      const int flips = 1 + rng() % 8;
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    exercise(b, 1 + rng() % 300);
    if (b.size() > 9) exercise(Bytes(b).subspan(9), b.size());
  }
}

}  // namespace
}  // namespace wcstap
