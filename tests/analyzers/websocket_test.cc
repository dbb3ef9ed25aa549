// WebSocket framing on real streams taken from the corpus (hex as tshark prints each TCP segment's
// payload), fed whole, per segment, byte by byte and in random splits, and on constructed edge cases.
#include "websocket/websocket.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;
using test::from_hex;

// One TCP segment's payload and its (relative) sequence number, as captured.
struct Segment {
  uint32_t seq;
  std::string hex;
};

// zeek__websocket_reply-ping-separate.pcap frames 4 and 6: the handshake (key and accept are correct).
const std::string kPingSeparateRequest =
    "474554202f20485454502f312e310d0a486f73743a206c6f63616c686f73743a383038300d0a557067726164653a2077"
    "6562736f636b65740d0a436f6e6e656374696f6e3a20557067726164650d0a5365632d576562536f636b65742d4b6579"
    "3a2062557a4f41704e45634933762b732f4c32524b3475513d3d0d0a5365632d576562536f636b65742d56657273696f"
    "6e3a2031330d0a5365632d576562536f636b65742d457874656e73696f6e733a207065726d6573736167652d6465666c"
    "6174653b20636c69656e745f6d61785f77696e646f775f626974730d0a5365632d576562536f636b65742d50726f746f"
    "636f6c3a2076310d0a557365722d4167656e743a20507974686f6e2f332e313020776562736f636b6574732f31322e30"
    "0d0a0d0a";
const std::string kPingSeparateResponse =
    "485454502f312e312031303120537769746368696e672050726f746f636f6c730d0a636f6e6e656374696f6e3a207570"
    "67726164650d0a757067726164653a20776562736f636b65740d0a7365632d776562736f636b65742d6163636570743a"
    "20755872482f336c6e57625878465079526d5155524e75714f4434513d0d0a7365632d776562736f636b65742d70726f"
    "746f636f6c3a2076310d0a0d0a";
// zeek__websocket_reply-ping-separate.pcap, server -> client after the 101: ping "Zeek", text, close 1000.
const std::vector<Segment> kPingSeparateServer = {
    {158, "89045a65656b"},  // frame 8
    {164, "810c48656c6c6f20746865726521"},  // frame 13
    {178, "880203e8"},  // frame 15
};
// zeek__websocket_reply-ping-separate.pcap, client -> server after the upgrade: masked pong, text, close 1000.
const std::vector<Segment> kPingSeparateClient = {
    {293, "8a847a08980d206dfd66"},  // frame 10
    {303, "818b4d883f4c05ed532022a8652928e31e"},  // frame 11
    {320, "88820736aa5504de"},  // frame 14
};
// zeek__websocket_wrong-accept-header.pcap frames 4 and 6: the server answers a wrong Sec-WebSocket-Accept.
const std::string kWrongAcceptRequest =
    "474554202f20485454502f312e310d0a486f73743a206c6f63616c686f73743a383038300d0a557067726164653a2077"
    "6562736f636b65740d0a436f6e6e656374696f6e3a20557067726164650d0a5365632d576562536f636b65742d4b6579"
    "3a20564d7565754a4968753630433068444b4c2b765336673d3d0d0a5365632d576562536f636b65742d56657273696f"
    "6e3a2031330d0a5365632d576562536f636b65742d457874656e73696f6e733a207065726d6573736167652d6465666c"
    "6174653b20636c69656e745f6d61785f77696e646f775f626974730d0a5365632d576562536f636b65742d50726f746f"
    "636f6c3a2076310d0a557365722d4167656e743a20507974686f6e2f332e313020776562736f636b6574732f31322e30"
    "0d0a0d0a";
const std::string kWrongAcceptResponse =
    "485454502f312e312031303120537769746368696e672050726f746f636f6c730d0a636f6e6e656374696f6e3a207570"
    "67726164650d0a757067726164653a20776562736f636b65740d0a7365632d776562736f636b65742d6163636570743a"
    "204e386e744e596b58365165727734744b33732f43597a70535a4e633d2d77726f6e670d0a7365632d776562736f636b"
    "65742d70726f746f636f6c3a2076310d0a0d0a";
// zeek__websocket_wrong-accept-header.pcap, server -> client after the 101: one ping.
const std::vector<Segment> kWrongAcceptServer = {
    {164, "89045a65656b"},  // frame 8
};
// wswiki__websocket.pcap frames 4 and 6: a Chrome handshake.
const std::string kWswikiRequest =
    "474554202f20485454502f312e310d0a486f73743a203139322e3136382e34332e3133353a31323334350d0a436f6e6e"
    "656374696f6e3a20557067726164650d0a507261676d613a206e6f2d63616368650d0a43616368652d436f6e74726f6c"
    "3a206e6f2d63616368650d0a557067726164653a20776562736f636b65740d0a4f726967696e3a2066696c653a2f2f0d"
    "0a5365632d576562536f636b65742d56657273696f6e3a2031330d0a557365722d4167656e743a204d6f7a696c6c612f"
    "352e30202857696e646f7773204e5420362e313b2057696e36343b2078363429204170706c655765624b69742f353337"
    "2e333620284b48544d4c2c206c696b65204765636b6f29204368726f6d652f35322e302e323734332e31313620536166"
    "6172692f3533372e33360d0a4163636570742d456e636f64696e673a20677a69702c206465666c6174652c2073646368"
    "0d0a4163636570742d4c616e67756167653a207a682d434e2c7a683b713d302e382c656e2d55533b713d302e362c656e"
    "3b713d302e340d0a5365632d576562536f636b65742d4b65793a20624b6450796e337539386354665a4a536834544e65"
    "513d3d0d0a5365632d576562536f636b65742d457874656e73696f6e733a207065726d6573736167652d6465666c6174"
    "653b20636c69656e745f6d61785f77696e646f775f626974730d0a0d0a";
const std::string kWswikiResponse =
    "485454502f312e312031303120537769746368696e672050726f746f636f6c730d0a557067726164653a20776562736f"
    "636b65740d0a436f6e6e656374696f6e3a20557067726164650d0a5365632d576562536f636b65742d4163636570743a"
    "203445616553436b754f4742792b726a4f534a534d562b564d6f43303d0d0a576562536f636b65742d4f726967696e3a"
    "2066696c653a2f2f0d0a576562536f636b65742d4c6f636174696f6e3a2077733a2f2f3139322e3136382e34332e3133"
    "353a31323334352f0d0a0d0a";
// wswiki__websocket.pcap, server -> client after the 101 (TCP sequence numbers relative).
const std::vector<Segment> kWswikiServer = {
    {205, "811757656c636f6d652c203139322e3136382e34332e312021"},  // frame 7
    {230,  // frame 10
     "813232313a33333a35322028273139322e3136382e34332e31272c20353039393929207361793a2074657374206d6573"
     "73616765"},
    {282,  // frame 16
     "813532313a33343a35332028273139322e3136382e34332e31272c20353039393929207361793a2068656c6c6f207765"
     "62736f636b6574"},
};
// wswiki__websocket.pcap, client -> server after the upgrade; frames 12 and 18 are TCP keep-alives
// (one old byte again) that an in-order reassembler drops.
const std::vector<Segment> kWswikiClient = {
    {510, "818ce17e8eb9951bfdcdc113ebca921fe9dc"},  // frame 9
    {527, "00"},  // frame 12
    {528, "818fb7cefd57dfab913bd8ee8a32d5bd9234dcab89"},  // frame 14
    {548, "00"},  // frame 18
};
// zeek__websocket_wstunnel-https.pcap, client -> server: masked binary frames (a TLS ClientHello and
// later records tunnelled), 16- and 7-bit lengths.
const std::vector<Segment> kWstunnelClient = {
    {406,  // frame 8
     "82fe02058aefaa409cecab428aeeaa4176eca93d32f147a76ed771cf2140d47b49d09f5cd6d8758fe2074c35d3d20d34"
     "b3a08260df3b70b46635203f2dbea19055d2d69c9e7bbf7bcac1c9e22c9e13d45e89a3598ad1b94299ecb9414ac36a70"
     "8a7066e9464766ea4ac46a6f8a716a644ac7aa2b4acc6a678a886a4a4afbaa794ae66a538adcaadd8a73aa7d8ad3aa75"
     "8ac0aabf8befab358aefaa4d8ae4aa408295cf25e1c1c532edefa1408eecaa4188efa0409cefbe4097efbd4094efb340"
     "92eeaa418beea84189eeae73feefaa409aefa44086edc2728287de34fac09b6ebbefbc408aefbd408aef9b408aefa740"
     "a0ef824489eaa94689e7ad4882e7a34880e7a1488ee7af488cebab458be9ab4389ecab4388eba84588e9a840a1efaf44"
     "89eba9438ac2aa428beeaa738ac9aa648af2aa6070611786c3cc973b10d0d0de1e930b2f7fd8b98a5c8568904db688d7"
     "558aa5078afaaaf58aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa40"
     "8aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa40"
     "8aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa40"
     "8aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408aefaa408a"},
    {931,  // frame 17
     "82fe007eb975ef78ad76ec78b874f87bba75aa00ac054a49bcbb39927e12707cdc2fb36880c793ac430c03f276a69796"
     "e21a7ef03c2ba07dcdce0fa51f311ae0d8a5bb79902a95ab8596b2bf406d879a80340f1d86e588a0ae76ec789048805c"
     "b245b361aac9c288514aedfa452c1761abeaf4d17eca0cfc484790bac39bbef3609a05e46510"},
    {1065,  // frame 18
     "82fe008db03c3c70a73f3f709c648a8b7228263b11c2b43d8cf48a52b9f9fc4bf10019f3781c62bd0f9e6552d41993f6"
     "f91470015d9a2559f32b3f73b022c22f7cb0f448b818abe7c4ac23dc065472c6e04bc7982afaa08cd13831d4a73f3f70"
     "84c043fa7db11fef9fc278175c5cc82f2e4f0394ad5ea62d85f98d92c21a230fcd48a38b08dee7f0331985eb3c07d4c9"
     "67f77bdbba"},
    {1214,  // frame 21
     "829fd3cbed7fc4c8ee7fc97d83d1fe97ad35a8594fcc0cf54229b144846ff69ce05dd517e7"},
};
// zeek__websocket_wstunnel-https.pcap, server -> client: a 1420-byte binary message, then a 3776-byte one
// spread over three segments.
const std::vector<Segment> kWstunnelServer = {
    {195,  // frame 9
     "827e058c160303007a020000760303c6392a39db733a1f1c56fa858e765fdfb829c69e0f93c2e806d6ad614323b58220"
     "55d4daf4ecda8a7fa7510bd0df3d7cdc1494153b402e63a2a671b994d4660919130200002e002b000203040033002400"
     "1d00201d674a89f9b86baca09ea5a2ae64ca93a08033fc96953d6beaa850efa1acca401403030001011703030024da98"
     "4d412bfa48d74b2c40aa981fd7ee788424e18dc1cb8b2249dbefe206f0b7a67e3acb17030312ea522bc49038ecbe23f5"
     "a9151124f4fb3c0cc607fd7f349e671460cbe3095faf6b3124cce736b0b469f03605d9a87cbcb32439c11572c74179fd"
     "d54cea3e3980e8e74432cb482d34c3ab58ebcc1182a0a094aa969cc8af8e7b3a672263fb8ac3986d561be15a70d00e4d"
     "d960a4b4d09c818ae96108a913f52088faa356a72c2b49f569c097f55c91bce798c68ad7f7f9b62b957bfb0bf1e21495"
     "bd1515596f426e379c8479bc6206927dd2f581554105cb24c6a58021e5d8249337316130657becb0f5702fcebbcd973f"
     "4bfda30ffdaec3b3c7b34ae1a457e686eadd61a0f0ed07b6b47d62c62f0794a0a8494133a7650d89b3af334191223843"
     "6ac04fa6b55db974c93b26b22c5d65bed86b6ef36dd8039f96ebcb911c59a0e26269375cae735696f8fe3857019b6f02"
     "7d5a00e8ca79315dfa72eb075614b71ceedadb97d1c6f3c677e45ebac741f27284b45c15245e9777b7b27ca13da5012e"
     "c2c6c283f4880e52bf671cf6b5eac96590b5d38bd81c6274beede2b48a14c80a3a0236cb4379dfc628a4947ee1fbede9"
     "73d4f2e2bd54f6c168aba3fd577aa0d7925bce2758049e09b237163a3e81df7269699cbf3c4d099652ad090210b0b376"
     "d57348aa53785c7584cded591c3a4d74f020799bd335550e12a531608bd2d0a1840641abe2b59492b0535ec24e80b9de"
     "86a71c41ad1675eb5e36a9820d84e6ac4e22cf81da613c0beb634aef7fde61a30925bcc5953b7271386f16bdc0e406cc"
     "59cb4977b9bb0f682ca8192f77aa2dc9720b87d20042251558dba31602611536202ccbfd6b6ce77a2080e10cce87fcee"
     "78ff9d2ce121bca1e328aabf5f8500b8aa6418f6412d6756b4e367d4e48d622821a0b63fd84747fd154d2d37894ea7d6"
     "08d3b21595ca3fa1ddfc8d49bc6991b391e7b43b3ecfe58d3800020d840067613bb6f26e8c54627ad5dcd4f54eb3155b"
     "63426ad12f8db6fc057f25f2eae1f06048e995086b5e7a782bd56ba2d73936228bb5bead4fa72e69e822bf2d2314bb5f"
     "e0cc57a1e2fd5285b1a1fe77b876608598705fc02c3b0d15c4436d199a128fa66958c8145b95e6e502adafa4bf97e5bb"
     "8efa043a1276245f93a102ae5a84b18a25663457a6faf2013469392ebd8c084db578337f37a47b645109b31fc2222a5c"
     "d53260b310a097760b7ef4bd63b84fc16c329f2b0ca3de712f05ada54b9f1bce19cc2630a24db2b6b1d87e9bc0e92201"
     "ec56bed529cc487a0e6d28bf07432630302808755d1bf11f374d3eadba5e18840e8a292a307b199b10d9f7c3a61a533a"
     "513ca1bdc630cf99f4da90816ad8be4e88ba57dc7211cf8d15d8727d7108419778ec06b168d8fcb55d4b668151570db5"
     "9239d71100ae5b8574448a2c40751fa66ecf705ef0faf8ce38857856de7bed2cd34ab67f7158654382c546b73fcb898d"
     "be3014d18d8aef0a0deb2352f689dbfc0b3390b51a633842810b8c7bad1c375dce27bd82ebd04f590cbff0b440929300"
     "355d2e256dc5ab29b8f0bc2fcf672ffba89edba5f158e891b411875dc1b06483d23fbcd3d2c5a44daec08bca51a0efd9"
     "c058004fc8f155d1460ec37cd13d7255e4dda09b9be8d23ebcc341f067f6cde2b899668b92d06ddb825ec36faec92f2b"
     "2f7745c21c637e8643f88ed962047c2f441f95820c5c14f00f2fc66d8a7f450fe640339a0788dc868eac32d14687055e"
     "f30260a9e84f3a8a52dc66c025b768c4f452300e73cf16c4cda1b555257ab5f3"},
    {1619,  // frame 11
     "827e0ec0a437e65990f252af106f5bd6a43afce4f071eb41d57d72173cf29a5b786bfdaaea77771e8c2faf97bb8c8269"
     "8a683c62178c59ade8c462185888ce037de5bb8517c694d97fe0b00f8bbe5c20d125471452227177ee4121238b6b14d3"
     "9a9eec723db82fbb6a07c0be19ac826844665f82a8a43fee0e8a2dea713c48cd042336eb7ebea0a98b633bd9c11d73ac"
     "1ba1f24177ee6339e61796ca28cfd40fd09aadaa238101f953be85110ae27a0ce3c73ffe2128aaf44ae4b995af867702"
     "dcf97b2e85e0eb5f9dd9f2ded7c34f8fc7a32734e6084ea4b103ac8823ba276806e08a3797f37fdcffe8cc86d860aab1"
     "e49396571eb51ea204bad9803fca07d9f6bc34a02429fb93a8231776e2961d23c758e9a33fe3c5790a9afb18cb43b855"
     "9fa5f6576e54e1ee9e5c65efb0effde309179b7c049545365d4412fc6d64e31f1e201ba0714e4af747b7da9f59f56449"
     "7c47dc3319b8ae6149ab8191cbbacc944b861fa5a6d4f06721bf3583c3e31e4641d4d65dc6cbb21bcd07099670df9bdc"
     "542a79b3c20240b883d2d8ff1da0c187782d0345dc0d26ae5c7a2907530359e861b5e4438a258613b618322c96cd0bca"
     "6aa2c07cf814fed0598e046b3584cb3350cfe4761ab9da3f4680486d6a78e89a46b449644945649786a83f535cf320ee"
     "385797a49b970ef0ed98e214d8e57fe318aab02638d8c34d01103c18789b15469001dc4fd832a668b3f35e209e99c79f"
     "f72469acedfbfc836ff13653a3cebd3c5e87425bd4015ec3202d1fd41203284b3a814f21f5dd30c0c843253f34a32c9d"
     "b295a6087f7b8b670945536ecae8f33fa40155ece0555e2e5ad6f30532b8cd1aa47014e3644b69b1af39640d888d3959"
     "bdf2b15cced9ee8ec8f47d52c2d17a04c79467915b2d2d9a0c90389a420ab568b3a351d6d48a458c3186e80f65a80851"
     "7faf2cc0f92743e7a9158171468374b6b0c45663f6ea60e51171bccfd40dffecd6a8780eec825c95707061aeb0f824cb"
     "8bb7df7dc70c7c3f9d74861decd8b069cff2974004bacdf268830ce64149b41f3064157fb52877aa1ebff6070157b088"
     "08837909551064bb068fd28fa917adf8ce07654bc859b28873001a6466d9db08a4fe8a4b19a60c26d8035369853edbd4"
     "f1231a0a9aafb0b46b91784789a99a3a987559df8cccae0fb6ed25ed16429d7ac35443f96c099a434c5b4cae50724c58"
     "8c9fa799dbb628da4f4eca736810d367f379c234d4a2ea0f65fe87fd32a51d417c61b0ae7f5079b78d9733f2a78e059b"
     "f2bfdab0def84f78eb3969424926c54c0725e3b038e732d8666e2643d77ff05e4097d8a871b4f9fc16b6c803ddc2fbfb"
     "1374027b61574a92a3b059b4884cdeaa0391883bfef963f71e0e4cbe44918de0d61496893a732d8c7342b65f97b4c377"
     "07c072d8243aa7490e6a1d30f3976f69c55909dc57eaf42fd3eb4a75297e779de4864a04c13fd7861d372bd962be14d4"
     "7596627c61765edc99313873ca29ac8156a80bdd54baa17fab456b235a79fdef3d837d1473e675c198adba446efc98a0"
     "6fac74ebe10309aec1db5edbab6a81ee785720f5e3f41283d10d84e94caf2c88f16c9bf44f0f0076d4862d713b531844"
     "5434b542f0451216a4f70c798d25cdc4ec7e7841a7f147909c6a4eeca0b52c8be9366e8fee71b3170198ad25c2aa4098"
     "2b10c07918135ff113d7c7e0168b123acdfa0262718fd45e8c87a270cac0be12a30c3567b78f59c5ed47eb8a3a4d8e18"
     "46995b3cf78b036906fa10bf697f8b8634ee3739b9575e196d8566dc7addaa444e093c8f1e851ace4d62abcc06c9bd74"
     "33df30e80a77ee61a952f4a759a8182deab667fa6cb5a173de4cd5177dd86b05edeb9b1f0b904aa4a9f4741851a7d24a"
     "7ead8dfe999a5f21e0bd45fdae89da65ad57c9bc391391724f7d4492acb3144a384fbc25732ff9d1774f526f2fb40eab"
     "d0e5635799850e3cb30a9b40ac3c4a5d364c3dfc34c5aeadc8f31956cf6f6a9bfb61d36497a62ca8430dd52497835052"
     "3ef914e0193c78e5"},
    {3067,  // frame 12
     "4cd155dedb1ff2e290df4c20e10b32a84467710e3d9034d7f111f6a4152963844fd3d413b159c098ebb624843d0b090e"
     "4ffde3581308940fbc3f79f6410c6f8b423c0b5c815d52739e395851cae9fb8063a2d1b6e9476bd94cb9898d7774ca1f"
     "270e0f72d0d2437347ca3b4df7ac99aa42e127afcfd03566bd78e8c434924f99c7ab58e1a72e55d064ca1e16d0fbed17"
     "e4990792e669204583b04c42cdf986bc305a2d68e8ba41fcd06579ada91209517eef9d648bff83d6c78b572be141a037"
     "c6cfed8910b6cd42d91dc4ea02aaaf965df044308bc4b276af3078bca6a379d889e3cbab8094bf54921b5fe9a7414e7f"
     "a1d4939892b29c1e93e7c6e30c8fe047c75efa74cbf05acfd1e15a17cfe143791dc2d08714fe167585f5b11448eae4bb"
     "ef6f9cc95cc1afa11818ce18a9f7d1cd8fac4d5b9fd8915e210be507b9538355de0b5229c0a236e12a4375b6666bc10c"
     "2245bd8c8e4a8cb2a154969ec5deb7b8a1c588db628afd3b68a45ee6dbdb9c1f5499a08286e5c5f5968775c8017518fe"
     "dcf87ca90449b54e918cbff4034433e37af5588f4b9a1c626ed9e7b5fbf01c4c431fb83bd88ea1b09ff684311b825155"
     "1e3366c422ebf08839a84fc759fe0d0e5aa41c2aba5eded7d27a36bdb0347db3ac8624d90ef79acd221a0fa561819049"
     "bc6856a9dce8192f98f7b8fb8b8f24dc1a81c08be61934858f895110180a2f53ce23d73266adf86e0cb9e81749ec7862"
     "181879a569007ed754351efaa7c6c528b9070003f678b10d7a90bbb19842b608656a01fcc1e426bfa678a08640683778"
     "31a14889a1addbe36140dfdae51a3174b4960a1574869c151b69dc1182ed3410c86e94d1afd8ff48579c099f8ff354f0"
     "1aaa43f40af4664accbb16ea8c0b1a960efe748c2f566aa23707440ab2af4614a3f5448a9909c13c60f471e9cabe264d"
     "4ca9f7c26484dc3cb1544eb613457a72f5f421fcb90922b4b2e5e8b3d0a571ceede1619b437ee7f345fe3b2eb5ed0f1e"
     "24c59701332fd2e38daf6d662bf555153ddcc88d8d1e941e31b05b440563fe14bc4f74c76d4ffd277c5c2df3f949dcaa"
     "ed38b8834b950a589151e532c0e4d11990a6796d75a14b7f8d119dc5a9e6bd9bb78705c0b8e0cdaa6a7128c3aa66c7ec"
     "b1cbd05e483efb4b2a2e9a2d2d03ba99f53c4d936b70101560a2cfb581262e99ab5a12b004f62248096a1270bf0bd1b1"
     "1c7b8be7da998a2f353d8149b8b0bfa372f272705397401c6a51f93305cc4712c52a0d108cd35b7748056bfdbe131cca"
     "f97a9dd54ba08bf0a239400a815f90909afacc413e3dd54761f9b93b60f4fa12d76b7b42385fc945e9e4a2fb1a037530"
     "51d56c1bf5373e21e8181cd30d20da7d02d22a74e233768934c1f6f02ba4f70388d55ba543d682d6ec137c62da3673d9"
     "62208425c82e91eacfe454a0deef35b6a33e5cfa8ad9f853e0aa62910103f9224bf8f67a601aaf2bc8503d60d5f5b244"
     "dc7d6449264ae177d724df9bbac549baf6eca2cc2b5b02abf5ae14c2555c11463ba24c84729c902424a0c3f2e4178299"
     "39f921b4b1cc6602e07141e1f10ac4bef36a3b31191f08091437def0e3aa8a8736ae7f66acd06aaef9467b09a7237a4b"
     "67f88a0b631fa3c4a4466c0431f5bb8609499fe9c2fae2982ca584c298544a01cc1662649beae3bff067f642514dcd28"
     "76bdba61ed88695b6799bb6c35a4971c754911f0530d5ad97f570790ce250b8a4d8afdebcf86f24197dcecf1a6745927"
     "ff21c10e7e9815040a0132905118abd152874ed90b02018845f2c528133fbfbb8f01225dc8b498cd3548c5d5c181fbee"
     "5aa4ebb49fbc6affc24e9c5a781fc1f5bc3b6ab21cd17d38476852d0ac621877ff65663a45ce3e297dd07600442f6186"
     "fe8f7d70ebe07a14ba4e928e4e802d3b5ea97965b3d27d93ad94ef3b64f92c9177279dc813808b4fb72bfb8776a4a29f"
     "7626cc32c5a8ff003cb5dc6bf2a0dbb38293b3503d3d008e4846e00824c9f87a00e9f073f106e08d3d4144099c533a02"
     "f0c3ae8092e8b922"},
    {4515,  // frame 13
     "f178fcded1c366fe2b5d0018d064220bf40bc942611fa5ec96c72d6974f77947a823af45b920f58f4ecf5c5e95783b69"
     "00aa8e9f3c8d2cf6ffc00af185bb0715105522d14fe9963910cda46861730a9f267e69922a4f5a1f1cc0c3c9da2fb793"
     "c753f476cff3a98d2095ff223fe20f9a688fbc572526744ba6441f8113e3ce276a02df884bf0b6291a5787e4cabf3a25"
     "f8e694f794d8669d931efd69171534c712f862930f7d6461cd497ec56ccb8c67f214cde28b2d6df8acd093da409224d1"
     "b0ecdb85f5ff3d2dc84566038ff1f13c3589631c67fc7582b0e98eec84379aec11fd0eca8ddb340dc350e3a80d657de6"
     "8916d9eaa10cc9d4ed169621af89e4e1a11a7117c2874eaa927d8db73e7993af9eed15945d4909082c1f8acaf4260d6a"
     "77f74664b9c41949393518b38a5ca79cdc09b18a883621eee4307f060d70554ebcddd6b9ce4b4f7f059daa3978dab68b"
     "204671626a41aad4bcb38d3723a69cce94cbbb0dc016e272c37dbb59f37748dd29a72b0d69e1d2b4f43882fbb745a7bc"
     "4e01fee5c56cc7ee2499123f6ac1a0ca46bad61c0e6e3726deb1c1cb81e39a75cddfaf8c7e55f88f3283c3349385e1f9"
     "481d6e6c513d9e2b9f63b2266ee2e00ec2342543810c78e473f6b4a1801276638a4bb5db19ed91cd686cfc1b15d0cb00"
     "56a67483d6ead1590dc312fad543a80c8e1199df1688a148cdb26eae4f5ce1f5b18fd0f50f43e2099d590e7029f570a7"
     "37ac048366134a75e75d488cd22a5674a02c5c0b1cb3da4ead4e9e9b10d85c7b93d7e1b86a5eef8c55bab77ae6762183"
     "5f3307804e55ac0d4f3fbbc4aae974639bf5a6bc6b98f8233874e79f20adac5ffe7b8c27ed6c603726433067a2a44b42"
     "acfc7dbb587640fc2d2ab6de454cc3811bcde03da09013731942c6cf9f4066f2cf032e4715c9a05a07d5090428d67d9b"
     "7b9935ac35f6712fc2a0e2f9ec5e4873e804f666159a6bcbe835a4c4e1e57e3f03530fb6f81703030060d7203def2d6f"
     "aedaf46dda344070ebc62d1c738363d0c7dc33760889d3c754f83a6a9100a88a68a3c178ae7fa0a98d185bbb6af09df1"
     "f45531912ba2ec0b10353fd8e8aefaf34c0cce019331d10a52eab4a79e263eac945f61e1f699abb000b01703030045d0"
     "9dcd2bc7cf0485e5ecf07f3fe2dcc7a0624df0cb5c0bb4c1575a2ef0adf90f8cf4f75ec172b9d336b277da21f69ef904"
     "765bdd3d12f95c15b474def9d19b8e84cb8e7208"},
};

// ---- helpers -----------------------------------------------------------------------------------

// The segments an in-order reassembler passes on: a segment starting before the next expected
// byte (a keep-alive, a retransmission) is dropped. The corpus streams have no gaps.
std::vector<Frame> in_order(const std::vector<Segment>& segs) {
  std::vector<Frame> out;
  uint32_t next = segs.empty() ? 0 : segs.front().seq;
  for (const Segment& s : segs) {
    if (s.seq != next) continue;
    out.push_back(from_hex(s.hex));
    next += static_cast<uint32_t>(out.back().size());
  }
  return out;
}

Frame joined(const std::vector<Frame>& chunks) {
  Frame all;
  for (const Frame& c : chunks) all.insert(all.end(), c.begin(), c.end());
  return all;
}

std::string text(Bytes b) { return std::string(b.begin(), b.end()); }

// A delivered message, copied out (the assembler's views die on the next call).
struct Got {
  WsMessageKind kind;
  std::string payload;
  uint64_t length;
  bool truncated, compressed, masked;
  uint32_t frames;
  bool has_close_code;
  uint16_t close_code;
  std::string close_reason;
  bool close_body_malformed;
  bool operator==(const Got&) const = default;
};

struct Assembled {
  std::vector<Got> messages;
  WsAssemblyError error = WsAssemblyError::None;
};

// Feeds `chunks` in order to one assembler with a `capacity`-byte buffer (plus the padding).
Assembled assemble(const std::vector<Frame>& chunks, size_t capacity = 64 * 1024) {
  std::vector<uint8_t> buffer(capacity + kWsMessagePadding);
  WsMessageAssembler a(buffer);
  Assembled run;
  for (const Frame& c : chunks) {
    Bytes in(c);
    WsMessage m;
    WsMessageAssembler::Status st;
    while ((st = a.next(in, m)) == WsMessageAssembler::Status::Message) {
      run.messages.push_back(Got{m.kind, text(m.payload), m.length, m.truncated, m.compressed, m.masked,
                                 m.frames, m.has_close_code, m.close_code, std::string(m.close_reason),
                                 m.close_body_malformed});
      // a data message leaves at least the padding readable after it, inside the caller's buffer
      if (m.kind == WsMessageKind::Text || m.kind == WsMessageKind::Binary) {
        EXPECT_GE(buffer.data() + buffer.size() - (m.payload.data() + m.payload.size()),
                  static_cast<ptrdiff_t>(kWsMessagePadding));
      }
    }
    if (st == WsMessageAssembler::Status::Error) {
      run.error = a.error();
      break;
    }
    EXPECT_TRUE(in.empty());  // NeedMore means everything was taken
  }
  return run;
}

std::vector<Frame> bytewise(const Frame& all) {
  std::vector<Frame> out;
  for (uint8_t b : all) out.push_back(Frame{b});
  return out;
}

std::vector<Frame> random_split(const Frame& all, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Frame> out;
  size_t pos = 0;
  while (pos < all.size()) {
    // mostly short pieces, so headers land across boundaries, now and then a long one
    const size_t n = std::min(all.size() - pos, size_t{1} + (rng() % 8 == 0 ? rng() % 3000 : rng() % 16));
    out.emplace_back(all.begin() + static_cast<ptrdiff_t>(pos), all.begin() + static_cast<ptrdiff_t>(pos + n));
    pos += n;
  }
  return out;
}

// The value of an HTTP header in a handshake (name case-insensitive), without surrounding blanks.
std::string header_value(const std::string& hex, const std::string& name) {
  const Frame b = from_hex(hex);
  const std::string s(b.begin(), b.end());
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string key = "\r\n" + name + ":";
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  const size_t at = lower.find(key);
  if (at == std::string::npos) return "";
  size_t from = at + key.size();
  while (s[from] == ' ') ++from;
  return s.substr(from, s.find("\r\n", from) - from);
}

std::string accept_of(std::string_view key) {
  std::array<char, 28> out;
  websocket_accept(key, out);
  return std::string(out.data(), out.size());
}

Got data(WsMessageKind kind, const std::string& payload, bool masked, uint32_t frames = 1) {
  return Got{kind, payload, payload.size(), false, false, masked, frames, false, 0, "", false};
}
Got control(WsMessageKind kind, const std::string& payload, bool masked) {
  Got g = data(kind, payload, masked);
  if (kind == WsMessageKind::Close && payload.size() >= 2) {
    g.has_close_code = true;
    g.close_code = static_cast<uint16_t>(static_cast<uint8_t>(payload[0]) << 8 | static_cast<uint8_t>(payload[1]));
    g.close_reason = payload.substr(2);
  }
  return g;
}
const std::string kClose1000("\x03\xe8", 2);

// ---- handshake ---------------------------------------------------------------------------------

TEST(WebSocketAccept, Rfc6455Example) {
  // RFC 6455 section 1.3
  EXPECT_EQ(accept_of("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketAccept, MatchesTheCorpusHandshake) {
  const std::string key = header_value(kPingSeparateRequest, "Sec-WebSocket-Key");
  const std::string sent = header_value(kPingSeparateResponse, "Sec-WebSocket-Accept");
  EXPECT_EQ(key, "bUzOApNEcI3v+s/L2RK4uQ==");
  EXPECT_EQ(sent, "uXrH/3lnWbXxFPyRmQURNuqOD4Q=");
  EXPECT_EQ(accept_of(key), sent);
  EXPECT_TRUE(websocket_accept_matches(key, sent));
}

TEST(WebSocketAccept, MatchesAChromeHandshake) {
  const std::string key = header_value(kWswikiRequest, "Sec-WebSocket-Key");
  const std::string sent = header_value(kWswikiResponse, "Sec-WebSocket-Accept");
  EXPECT_EQ(key, "bKdPyn3u98cTfZJSh4TNeQ==");
  EXPECT_TRUE(websocket_accept_matches(key, sent));
}

TEST(WebSocketAccept, WrongAcceptHeaderIsDetected) {
  const std::string key = header_value(kWrongAcceptRequest, "Sec-WebSocket-Key");
  const std::string sent = header_value(kWrongAcceptResponse, "Sec-WebSocket-Accept");
  EXPECT_EQ(key, "VMueuJIhu60C0hDKL+vS6g==");
  EXPECT_EQ(sent, "N8ntNYkX6Qerw4tK3s/CYzpSZNc=-wrong");
  EXPECT_EQ(accept_of(key), "N8ntNYkX6Qerw4tK3s/CYzpSZNc=");  // what the server should have sent
  EXPECT_NE(accept_of(key), sent);
  EXPECT_FALSE(websocket_accept_matches(key, sent));
}

// ---- frame header ------------------------------------------------------------------------------

TEST(WebSocketFrameHeader, ServerPingFromTheCorpus) {
  const Frame b = from_hex(kPingSeparateServer[0].hex);
  WsFrameHeader h;
  ASSERT_EQ(parse_ws_frame_header(b, h), WsFrameStatus::Complete);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.rsv, 0);
  EXPECT_EQ(h.opcode, WsOpcode::Ping);
  EXPECT_FALSE(h.masked);
  EXPECT_EQ(h.payload_length, 4u);
  EXPECT_EQ(h.header_length, 2);
  EXPECT_EQ(h.error, WsFrameError::None);
}

TEST(WebSocketFrameHeader, MaskedClientTextFromTheCorpus) {
  const Frame b = from_hex(kPingSeparateClient[1].hex);  // "Hello Zeek!" masked with 4d883f4c
  WsFrameHeader h;
  ASSERT_EQ(parse_ws_frame_header(b, h), WsFrameStatus::Complete);
  EXPECT_EQ(h.opcode, WsOpcode::Text);
  EXPECT_TRUE(h.masked);
  EXPECT_EQ(h.mask, (std::array<uint8_t, 4>{0x4d, 0x88, 0x3f, 0x4c}));
  EXPECT_EQ(h.payload_length, 11u);
  EXPECT_EQ(h.header_length, 6);
  Frame payload(b.begin() + 6, b.end());
  ws_unmask(payload, h.mask, 0, payload.data());
  EXPECT_EQ(text(payload), "Hello Zeek!");
}

TEST(WebSocketFrameHeader, SixteenBitLengthFromTheCorpus) {
  const Frame b = from_hex(kWstunnelClient[0].hex);
  WsFrameHeader h;
  ASSERT_EQ(parse_ws_frame_header(b, h), WsFrameStatus::Complete);
  EXPECT_EQ(h.opcode, WsOpcode::Binary);
  EXPECT_TRUE(h.masked);
  EXPECT_EQ(h.payload_length, 517u);  // as tshark decodes it
  EXPECT_EQ(h.header_length, 8);
  EXPECT_EQ(h.mask, (std::array<uint8_t, 4>{0x8a, 0xef, 0xaa, 0x40}));
  EXPECT_FALSE(h.non_minimal_length);
}

TEST(WebSocketFrameHeader, SixtyFourBitLength) {
  const Frame b = from_hex("827f0000000000010000");
  WsFrameHeader h;
  ASSERT_EQ(parse_ws_frame_header(b, h), WsFrameStatus::Complete);
  EXPECT_EQ(h.payload_length, 65536u);
  EXPECT_EQ(h.header_length, 10);
  EXPECT_FALSE(h.non_minimal_length);
  const Frame masked = from_hex("82ff000000012345678901020304");
  ASSERT_EQ(parse_ws_frame_header(masked, h), WsFrameStatus::Complete);
  EXPECT_EQ(h.payload_length, 0x123456789ull);
  EXPECT_EQ(h.header_length, 14);
  EXPECT_EQ(h.mask, (std::array<uint8_t, 4>{1, 2, 3, 4}));
}

TEST(WebSocketFrameHeader, SixtyFourBitLengthWithTheTopBitIsInvalid) {
  WsFrameHeader h;
  EXPECT_EQ(parse_ws_frame_header(from_hex("827f8000000000000001"), h), WsFrameStatus::Invalid);
  EXPECT_EQ(h.error, WsFrameError::LengthTopBit);
}

TEST(WebSocketFrameHeader, NonMinimalLengthIsWeirdNotInvalid) {
  WsFrameHeader h;
  ASSERT_EQ(parse_ws_frame_header(from_hex("817e0005"), h), WsFrameStatus::Complete);
  EXPECT_EQ(h.payload_length, 5u);
  EXPECT_TRUE(h.non_minimal_length);
  ASSERT_EQ(parse_ws_frame_header(from_hex("817f000000000000ffff"), h), WsFrameStatus::Complete);
  EXPECT_TRUE(h.non_minimal_length);
}

TEST(WebSocketFrameHeader, ReservedOpcodesAreInvalidFromTheFirstByte) {
  for (uint8_t op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf}) {
    WsFrameHeader h;
    const uint8_t b[1] = {static_cast<uint8_t>(0x80 | op)};
    EXPECT_EQ(parse_ws_frame_header(b, h), WsFrameStatus::Invalid) << int(op);
    EXPECT_EQ(h.error, WsFrameError::ReservedOpcode);
  }
}

TEST(WebSocketFrameHeader, ControlFrameRules) {
  WsFrameHeader h;
  EXPECT_EQ(parse_ws_frame_header(from_hex("897e"), h), WsFrameStatus::Invalid);  // ping, 16-bit length
  EXPECT_EQ(h.error, WsFrameError::ControlTooLong);
  EXPECT_EQ(parse_ws_frame_header(from_hex("88ff"), h), WsFrameStatus::Invalid);  // close, 64-bit length
  EXPECT_EQ(h.error, WsFrameError::ControlTooLong);
  EXPECT_EQ(parse_ws_frame_header(from_hex("0900"), h), WsFrameStatus::Invalid);  // ping without FIN
  EXPECT_EQ(h.error, WsFrameError::ControlFragmented);
  ASSERT_EQ(parse_ws_frame_header(from_hex("8a7d"), h), WsFrameStatus::Complete);  // 125 is allowed
  EXPECT_EQ(h.payload_length, 125u);
  EXPECT_EQ(parse_ws_frame_header(from_hex("0100"), h), WsFrameStatus::Complete);  // data may be fragmented
  EXPECT_FALSE(h.fin);
}

TEST(WebSocketFrameHeader, RsvBitsAreReported) {
  WsFrameHeader h;
  ASSERT_EQ(parse_ws_frame_header(from_hex("c100"), h), WsFrameStatus::Complete);
  EXPECT_EQ(h.rsv, 4);  // RSV1: permessage-deflate
  ASSERT_EQ(parse_ws_frame_header(from_hex("b200"), h), WsFrameStatus::Complete);
  EXPECT_EQ(h.rsv, 3);
}

TEST(WebSocketFrameHeader, EveryPrefixOfAHeaderIsIncomplete) {
  for (const std::string& hex : {kPingSeparateClient[1].hex, kWstunnelClient[0].hex, std::string("82ff000000012345678901020304")}) {
    const Frame b = from_hex(hex);
    WsFrameHeader whole;
    ASSERT_EQ(parse_ws_frame_header(b, whole), WsFrameStatus::Complete);
    for (size_t n = 0; n < whole.header_length; ++n) {
      WsFrameHeader h;
      EXPECT_EQ(parse_ws_frame_header(Bytes(b.data(), n), h), WsFrameStatus::Incomplete) << hex << " " << n;
    }
    WsFrameHeader h;
    EXPECT_EQ(parse_ws_frame_header(Bytes(b.data(), whole.header_length), h), WsFrameStatus::Complete);
    EXPECT_EQ(h.payload_length, whole.payload_length);
  }
}

TEST(WebSocketFrameHeader, RandomBytesGiveASaneStatus) {
  std::mt19937 rng(6455);
  for (int i = 0; i < 20000; ++i) {
    Frame b(rng() % 16);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    WsFrameHeader h;
    switch (parse_ws_frame_header(b, h)) {
      case WsFrameStatus::Complete:
        EXPECT_GE(h.header_length, 2);
        EXPECT_LE(h.header_length, b.size());
        EXPECT_EQ(h.error, WsFrameError::None);
        EXPECT_EQ(h.payload_length >> 63, 0u);
        if (ws_is_control(h.opcode)) {
          EXPECT_LE(h.payload_length, kWsMaxControlPayload);
        }
        break;
      case WsFrameStatus::Incomplete:
        EXPECT_LT(b.size(), kWsMaxFrameHeader);
        EXPECT_EQ(h.error, WsFrameError::None);
        break;
      case WsFrameStatus::Invalid:
        EXPECT_NE(h.error, WsFrameError::None);
        break;
    }
  }
}

// ---- stream reader -----------------------------------------------------------------------------

TEST(WebSocketStreamReader, ReportsStartPayloadAndEndPerFrame) {
  const Frame all = joined(in_order(kPingSeparateClient));
  WsStreamReader r;
  Bytes in(all);
  std::array<uint8_t, 64> out;
  std::vector<WsStreamItem::Kind> kinds;
  std::vector<WsOpcode> opcodes;
  std::string payload;
  for (;;) {
    const WsStreamItem it = r.next(in, out);
    if (it.kind == WsStreamItem::Kind::NeedMore) break;
    ASSERT_NE(it.kind, WsStreamItem::Kind::Error);
    kinds.push_back(it.kind);
    if (it.kind == WsStreamItem::Kind::FrameStart) opcodes.push_back(it.header.opcode);
    if (it.kind == WsStreamItem::Kind::Payload) payload.append(out.begin(), out.begin() + static_cast<ptrdiff_t>(it.size));
  }
  using K = WsStreamItem::Kind;
  EXPECT_EQ(kinds, (std::vector<K>{K::FrameStart, K::Payload, K::FrameEnd, K::FrameStart, K::Payload, K::FrameEnd,
                                   K::FrameStart, K::Payload, K::FrameEnd}));
  EXPECT_EQ(opcodes, (std::vector<WsOpcode>{WsOpcode::Pong, WsOpcode::Text, WsOpcode::Close}));
  EXPECT_EQ(payload, "Zeek" "Hello Zeek!" + kClose1000);  // unmasked
  EXPECT_EQ(r.consumed(), all.size());
  EXPECT_FALSE(r.stopped());
}

TEST(WebSocketStreamReader, SmallOutputSpanSplitsPayloadAndKeepsTheMaskPhase) {
  const Frame all = from_hex(kWstunnelClient[0].hex);
  WsStreamReader r;
  Bytes in(all);
  std::array<uint8_t, 7> out;  // not a multiple of 4: the mask offset must carry over
  std::string payload;
  size_t pieces = 0;
  for (;;) {
    const WsStreamItem it = r.next(in, out);
    if (it.kind == WsStreamItem::Kind::NeedMore) break;
    if (it.kind == WsStreamItem::Kind::Payload) {
      EXPECT_LE(it.size, out.size());
      payload.append(out.begin(), out.begin() + static_cast<ptrdiff_t>(it.size));
      ++pieces;
    }
  }
  ASSERT_EQ(payload.size(), 517u);
  EXPECT_EQ(pieces, (517u + 6) / 7);
  // a TLS ClientHello, as tshark unmasks it, naming zeek.org
  EXPECT_EQ(payload.substr(0, 5), std::string("\x16\x03\x01\x02\x00", 5));
  EXPECT_EQ(payload.substr(0x99, 8), "zeek.org");
}

TEST(WebSocketStreamReader, EmptyOutputSkipsPayload) {
  const Frame all = joined(in_order(kWstunnelServer));
  WsStreamReader r;
  Bytes in(all);
  uint64_t skipped = 0;
  int frames = 0;
  for (;;) {
    const WsStreamItem it = r.next(in, {});
    if (it.kind == WsStreamItem::Kind::NeedMore) break;
    if (it.kind == WsStreamItem::Kind::Payload) skipped += it.size;
    if (it.kind == WsStreamItem::Kind::FrameEnd) ++frames;
  }
  EXPECT_EQ(frames, 2);
  EXPECT_EQ(skipped, 1420u + 3776u);
  EXPECT_EQ(r.consumed(), all.size());
}

TEST(WebSocketStreamReader, HeaderSplitAtEveryPointIsReadTheSame) {
  // 14-byte header (64-bit length 5, mask 01020304), then "abcde" masked
  Frame stream = from_hex("82ff000000000000000501020304");
  const std::string plain = "abcde";
  for (size_t i = 0; i < plain.size(); ++i) stream.push_back(static_cast<uint8_t>(plain[i] ^ (i % 4 + 1)));
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    WsStreamReader r;
    std::array<uint8_t, 16> out;
    std::string payload;
    bool ended = false;
    for (Bytes part : {Bytes(stream.data(), cut), Bytes(stream.data() + cut, stream.size() - cut)}) {
      for (;;) {
        const WsStreamItem it = r.next(part, out);
        if (it.kind == WsStreamItem::Kind::NeedMore) break;
        ASSERT_NE(it.kind, WsStreamItem::Kind::Error);
        if (it.kind == WsStreamItem::Kind::Payload) payload.append(out.begin(), out.begin() + static_cast<ptrdiff_t>(it.size));
        if (it.kind == WsStreamItem::Kind::FrameEnd) ended = true;
      }
    }
    EXPECT_TRUE(ended) << cut;
    EXPECT_EQ(payload, "abcde") << cut;
  }
}

TEST(WebSocketStreamReader, StopsForGoodAfterInvalidFraming) {
  const Frame all = from_hex("8100" "83" "8100");  // an empty text frame, then opcode 3
  WsStreamReader r;
  Bytes in(all);
  std::vector<WsStreamItem::Kind> kinds;
  WsStreamItem it;
  while ((it = r.next(in, {})).kind != WsStreamItem::Kind::Error) {
    ASSERT_NE(it.kind, WsStreamItem::Kind::NeedMore);
    kinds.push_back(it.kind);
  }
  EXPECT_EQ(kinds.size(), 2u);  // start and end of the empty frame
  EXPECT_EQ(it.error, WsFrameError::ReservedOpcode);
  EXPECT_TRUE(r.stopped());
  const Frame more = from_hex("8100");
  Bytes again(more);
  EXPECT_EQ(r.next(again, {}).kind, WsStreamItem::Kind::Error);
  EXPECT_EQ(r.error(), WsFrameError::ReservedOpcode);
}

// ---- message assembler on the corpus -----------------------------------------------------------

TEST(WebSocketAssembler, PingSeparateServerSide) {
  const Assembled run = assemble(in_order(kPingSeparateServer));
  EXPECT_EQ(run.error, WsAssemblyError::None);
  const std::vector<Got> want = {control(WsMessageKind::Ping, "Zeek", false),
                                 data(WsMessageKind::Text, "Hello there!", false),
                                 control(WsMessageKind::Close, kClose1000, false)};
  EXPECT_EQ(run.messages, want);
  ASSERT_EQ(run.messages.size(), 3u);
  EXPECT_TRUE(run.messages[2].has_close_code);
  EXPECT_EQ(run.messages[2].close_code, 1000);
  EXPECT_TRUE(ws_close_code_is_normal(run.messages[2].close_code));
}

TEST(WebSocketAssembler, PingSeparateClientSideIsUnmasked) {
  const Assembled run = assemble(in_order(kPingSeparateClient));
  EXPECT_EQ(run.error, WsAssemblyError::None);
  const std::vector<Got> want = {control(WsMessageKind::Pong, "Zeek", true),
                                 data(WsMessageKind::Text, "Hello Zeek!", true),
                                 control(WsMessageKind::Close, kClose1000, true)};
  EXPECT_EQ(run.messages, want);
}

TEST(WebSocketAssembler, WrongAcceptStreamStillFrames) {
  const Assembled run = assemble(in_order(kWrongAcceptServer));
  EXPECT_EQ(run.messages, (std::vector<Got>{control(WsMessageKind::Ping, "Zeek", false)}));
}

TEST(WebSocketAssembler, WswikiBothDirections) {
  const Assembled server = assemble(in_order(kWswikiServer));
  EXPECT_EQ(server.error, WsAssemblyError::None);
  EXPECT_EQ(server.messages, (std::vector<Got>{
                                 data(WsMessageKind::Text, "Welcome, 192.168.43.1 !", false),
                                 data(WsMessageKind::Text, "21:33:52 ('192.168.43.1', 50999) say: test message", false),
                                 data(WsMessageKind::Text, "21:34:53 ('192.168.43.1', 50999) say: hello websocket", false),
                             }));
  const Assembled client = assemble(in_order(kWswikiClient));
  EXPECT_EQ(client.error, WsAssemblyError::None);
  EXPECT_EQ(client.messages, (std::vector<Got>{data(WsMessageKind::Text, "test message", true),
                                               data(WsMessageKind::Text, "hello websocket", true)}));
}

TEST(WebSocketAssembler, KeepAliveByteWouldBreakFramingIfNotDropped) {
  // What happens when a tap passes TCP keep-alives on: the old byte 0x00 reads as a continuation
  // frame with no message open. The reassembler must drop them (in_order() does).
  std::vector<Frame> raw;
  for (const Segment& s : kWswikiClient) raw.push_back(from_hex(s.hex));
  const Assembled run = assemble(raw);
  EXPECT_EQ(run.messages.size(), 1u);
  EXPECT_EQ(run.error, WsAssemblyError::UnexpectedContinuation);
}

TEST(WebSocketAssembler, WstunnelClientBinaryMessages) {
  const Assembled run = assemble(in_order(kWstunnelClient));
  EXPECT_EQ(run.error, WsAssemblyError::None);
  ASSERT_EQ(run.messages.size(), 4u);
  const size_t lengths[] = {517, 126, 141, 31};  // as tshark decodes them
  // first and last payload bytes of each, unmasked, as tshark shows them
  const std::string heads[] = {"1603010200", "1403030001", "170303002c", "170303001a"};
  const std::string tails[] = {"0000000000", "9cdc65", "47ab0a", "06dc0a"};
  for (size_t i = 0; i < 4; ++i) {
    const Got& m = run.messages[i];
    EXPECT_EQ(m.kind, WsMessageKind::Binary);
    EXPECT_TRUE(m.masked);
    EXPECT_EQ(m.length, lengths[i]);
    ASSERT_EQ(m.payload.size(), lengths[i]);
    const Frame head = from_hex(heads[i]), tail = from_hex(tails[i]);
    EXPECT_EQ(m.payload.substr(0, head.size()), text(head)) << i;
    EXPECT_EQ(m.payload.substr(m.payload.size() - tail.size()), text(tail)) << i;
  }
}

TEST(WebSocketAssembler, WstunnelServerMessageAcrossThreeSegments) {
  const Assembled run = assemble(in_order(kWstunnelServer));
  EXPECT_EQ(run.error, WsAssemblyError::None);
  ASSERT_EQ(run.messages.size(), 2u);
  EXPECT_EQ(run.messages[0].length, 1420u);
  EXPECT_EQ(run.messages[0].payload.substr(0, 6), text(from_hex("16030300" "7a02")));  // ServerHello
  EXPECT_EQ(run.messages[1].length, 3776u);
  EXPECT_FALSE(run.messages[1].masked);
  EXPECT_EQ(run.messages[1].payload.substr(0, 4), text(from_hex("a437e659")));
  // the last bytes of the last segment close the message
  EXPECT_EQ(run.messages[1].payload.substr(3776 - 16), text(from_hex("12f95c15b474def9d19b8e84cb8e7208")));
}

const std::vector<const std::vector<Segment>*> kAllStreams = {
    &kPingSeparateServer, &kPingSeparateClient, &kWrongAcceptServer, &kWswikiServer,
    &kWswikiClient,       &kWstunnelClient,     &kWstunnelServer};

TEST(WebSocketAssembler, WholeBytewiseAndRandomSplitsGiveTheSameMessages) {
  for (const auto* stream : kAllStreams) {
    const std::vector<Frame> segments = in_order(*stream);
    const Assembled per_segment = assemble(segments);
    ASSERT_FALSE(per_segment.messages.empty());
    const Frame all = joined(segments);
    EXPECT_EQ(assemble({all}).messages, per_segment.messages);
    EXPECT_EQ(assemble(bytewise(all)).messages, per_segment.messages);
    for (uint32_t seed = 1; seed <= 40; ++seed) {
      const Assembled r = assemble(random_split(all, seed));
      EXPECT_EQ(r.messages, per_segment.messages) << seed;
      EXPECT_EQ(r.error, WsAssemblyError::None);
    }
  }
}

// ---- message assembler on constructed streams --------------------------------------------------

TEST(WebSocketAssembler, FragmentsJoinedAroundAPing) {
  // RFC 6455 5.7: "Hel" + "lo" as two fragments, an unmasked ping "Hello" between them
  const Assembled run = assemble({from_hex("010348656c" "890548656c6c6f" "80026c6f")});
  EXPECT_EQ(run.error, WsAssemblyError::None);
  EXPECT_EQ(run.messages, (std::vector<Got>{control(WsMessageKind::Ping, "Hello", false),
                                            data(WsMessageKind::Text, "Hello", false, 2)}));
}

TEST(WebSocketAssembler, Rfc6455MaskedExample) {
  const Assembled run = assemble({from_hex("818537fa213d7f9f4d5158")});
  EXPECT_EQ(run.messages, (std::vector<Got>{data(WsMessageKind::Text, "Hello", true)}));
}

TEST(WebSocketAssembler, LongMessageIsTruncatedAndCounted) {
  // 25 bytes in three fragments into a 10-byte capacity, then a short message that fits
  const Assembled run = assemble({from_hex("020a" "30313233343536373839" "000a" "41424344454647484950" "8005" "6162636465"
                                     "8103" "787978")},
                           10);
  EXPECT_EQ(run.error, WsAssemblyError::None);
  ASSERT_EQ(run.messages.size(), 2u);
  EXPECT_EQ(run.messages[0].kind, WsMessageKind::Binary);
  EXPECT_EQ(run.messages[0].payload, "0123456789");
  EXPECT_EQ(run.messages[0].length, 25u);
  EXPECT_TRUE(run.messages[0].truncated);
  EXPECT_EQ(run.messages[0].frames, 3u);
  EXPECT_EQ(run.messages[1], data(WsMessageKind::Text, "xyx", false));
}

TEST(WebSocketAssembler, MessageOfExactlyTheCapacityIsNotTruncated) {
  const Assembled run = assemble({from_hex("8105" "6162636465")}, 5);
  ASSERT_EQ(run.messages.size(), 1u);
  EXPECT_FALSE(run.messages[0].truncated);
  EXPECT_EQ(run.messages[0].payload, "abcde");
}

TEST(WebSocketAssembler, UnexpectedContinuationStops) {
  std::vector<uint8_t> buffer(256);
  WsMessageAssembler a(buffer);
  const Frame f = from_hex("8003616263" "810161");
  Bytes in(f);
  WsMessage m;
  EXPECT_EQ(a.next(in, m), WsMessageAssembler::Status::Error);
  EXPECT_EQ(a.error(), WsAssemblyError::UnexpectedContinuation);
  EXPECT_STREQ(ws_assembly_error_name(a.error()), "unexpected_continuation");
  EXPECT_EQ(a.next(in, m), WsMessageAssembler::Status::Error);  // for good
}

TEST(WebSocketAssembler, NewDataFrameInsideAFragmentedMessageStops) {
  const Assembled run = assemble({from_hex("0103616263" "8103646566")});
  EXPECT_TRUE(run.messages.empty());
  EXPECT_EQ(run.error, WsAssemblyError::DataFrameInFragmentedMessage);
}

TEST(WebSocketAssembler, InvalidHeaderStopsAndNamesTheCause) {
  std::vector<uint8_t> buffer(256);
  WsMessageAssembler a(buffer);
  const Frame f = from_hex("8103616263" "897e0080");
  Bytes in(f);
  WsMessage m;
  ASSERT_EQ(a.next(in, m), WsMessageAssembler::Status::Message);
  EXPECT_EQ(text(m.payload), "abc");
  EXPECT_EQ(a.next(in, m), WsMessageAssembler::Status::Error);
  EXPECT_EQ(a.error(), WsAssemblyError::InvalidHeader);
  EXPECT_EQ(a.frame_error(), WsFrameError::ControlTooLong);
  EXPECT_STREQ(ws_frame_error_name(a.frame_error()), "control_too_long");
}

TEST(WebSocketAssembler, CloseBodies) {
  const Assembled run = assemble({from_hex("8800" "880103" "880e03f3" "736572766572206572726f72")});
  ASSERT_EQ(run.messages.size(), 3u);
  EXPECT_FALSE(run.messages[0].has_close_code);  // empty body: no code
  EXPECT_FALSE(run.messages[0].close_body_malformed);
  EXPECT_FALSE(run.messages[1].has_close_code);  // one byte cannot hold a code
  EXPECT_TRUE(run.messages[1].close_body_malformed);
  EXPECT_TRUE(run.messages[2].has_close_code);
  EXPECT_EQ(run.messages[2].close_code, 1011);
  EXPECT_EQ(run.messages[2].close_reason, "server error");
  EXPECT_FALSE(ws_close_code_is_normal(1011));
  EXPECT_STREQ(ws_close_code_name(1011), "internal_error");
  EXPECT_STREQ(ws_close_code_name(1001), "going_away");
  EXPECT_STREQ(ws_close_code_name(4000), "other");
}

TEST(WebSocketAssembler, CompressedFlagFromTheFirstFrame) {
  const Assembled run = assemble({from_hex("4101aa" "8001bb")});  // RSV1 only on the first fragment
  ASSERT_EQ(run.messages.size(), 1u);
  EXPECT_TRUE(run.messages[0].compressed);
  EXPECT_EQ(run.messages[0].frames, 2u);
}

TEST(WebSocketAssembler, EmptyMessages) {
  const Assembled run = assemble({from_hex("8100" "8900" "8280")});  // the last one masked with no mask bytes yet
  ASSERT_EQ(run.messages.size(), 2u);
  EXPECT_EQ(run.messages[0], data(WsMessageKind::Text, "", false));
  EXPECT_EQ(run.messages[1].kind, WsMessageKind::Ping);
  EXPECT_EQ(run.messages[1].length, 0u);
}

// ---- robustness --------------------------------------------------------------------------------

TEST(WebSocketAssembler, EveryTruncationGivesAPrefixOfTheMessages) {
  for (const auto* stream : kAllStreams) {
    const Frame all = joined(in_order(*stream));
    const std::vector<Got> full = assemble({all}).messages;
    for (size_t n = 0; n <= all.size(); ++n) {
      const Assembled r = assemble({Frame(all.begin(), all.begin() + static_cast<ptrdiff_t>(n))});
      ASSERT_EQ(r.error, WsAssemblyError::None) << n;
      ASSERT_LE(r.messages.size(), full.size());
      for (size_t i = 0; i < r.messages.size(); ++i) ASSERT_EQ(r.messages[i], full[i]) << n;
    }
  }
}

// Feeds bytes to an assembler with a small capacity and checks what it says is consistent.
void check_sane(const Frame& bytes, uint32_t seed) {
  std::vector<uint8_t> buffer(200 + kWsMessagePadding);
  WsMessageAssembler a(buffer);
  for (const Frame& part : random_split(bytes, seed)) {
    Bytes in(part);
    WsMessage m;
    WsMessageAssembler::Status st;
    while ((st = a.next(in, m)) == WsMessageAssembler::Status::Message) {
      ASSERT_LE(m.payload.size(), m.length);
      ASSERT_EQ(m.truncated, m.payload.size() < m.length);
      if (m.kind == WsMessageKind::Text || m.kind == WsMessageKind::Binary) {
        ASSERT_LE(m.payload.size(), a.capacity());
        ASSERT_GE(m.frames, 1u);
      } else {
        ASSERT_LE(m.length, kWsMaxControlPayload);
        ASSERT_EQ(m.frames, 1u);
      }
    }
    if (st == WsMessageAssembler::Status::Error) {
      ASSERT_NE(a.error(), WsAssemblyError::None);
      ASSERT_EQ(a.next(in, m), WsMessageAssembler::Status::Error);
      return;
    }
    ASSERT_TRUE(in.empty());
  }
}

TEST(WebSocketAssembler, RandomAndBitFlippedStreamsAreSafe) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 3000; ++i) {
    Frame b(rng() % 300);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    check_sane(b, static_cast<uint32_t>(i));
  }
  for (const auto* stream : kAllStreams) {
    const Frame all = joined(in_order(*stream));
    for (int i = 0; i < 400; ++i) {
      Frame b = all;
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      check_sane(b, static_cast<uint32_t>(i));
    }
  }
}

}  // namespace
}  // namespace wcstap
