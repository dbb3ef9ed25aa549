#include "turn_client.h"

#include <string_view>
#include <utility>

namespace wcsgen {

namespace {

// What coturn names itself in its responses (SOFTWARE).
constexpr char kServerSoftware[] = "Coturn-4.6.2 'Gorst'";
constexpr char kRealm[] = "wcs.example.com";
constexpr std::uint8_t kUdp = 17;  // REQUESTED-TRANSPORT's protocol number

std::string random_chars(Rng& rng, std::string_view alphabet, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(alphabet[rng.below(alphabet.size())]);
  return s;
}

std::uint16_t response(std::uint16_t method, std::uint16_t cls) { return static_cast<std::uint16_t>(method | cls); }

}  // namespace

Bytes turn_channel_data(std::uint16_t channel, ByteView datagram) {
  Bytes b;
  put16(b, channel);
  put16(b, static_cast<std::uint16_t>(datagram.size()));
  append(b, datagram);
  while (b.size() % 4 != 0) put8(b, 0);
  return b;
}

TurnClient::TurnClient(Capture& cap, const Endpoint& browser, const Endpoint& server, std::int64_t rtt_us, Rng& rng)
    : cap_(cap),
      rng_(rng),
      browser_(browser),
      server_(server),
      relayed_{server.ip, static_cast<std::uint16_t>(rng.range(49152, 65535))},
      rtt_us_(rtt_us),
      username_("wcs-" + random_chars(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 10)),
      realm_(kRealm),
      nonce_(random_chars(rng, "0123456789abcdef", 16)) {
  const std::string password =
      random_chars(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 24);
  key_ = stun::long_term_key(username_, realm_, password);
}

std::int64_t TurnClient::exchange(std::int64_t t_us, Bytes request, Bytes answer) {
  cap_.add_udp(t_us, browser_, server_, Content::kStun, std::move(request));
  const std::int64_t t_answer = t_us + rng_.range(50, 400);
  cap_.add_udp(t_answer, server_, browser_, Content::kStun, std::move(answer));
  return t_answer;
}

std::int64_t TurnClient::after_answer(std::int64_t answer_us) { return answer_us + rtt_us_ + rng_.range(200, 2000); }

void TurnClient::add_credentials(stun::MessageBuilder& m) const {
  m.add_string(stun::attr::kUsername, username_);
  m.add_string(stun::attr::kRealm, realm_);
  m.add_string(stun::attr::kNonce, nonce_);
}

std::int64_t TurnClient::allocate(std::int64_t t_us) {
  Bytes transport{kUdp, 0, 0, 0};

  // Without credentials: the server challenges with its realm and a nonce.
  const auto tid1 = stun::new_transaction_id(rng_);
  stun::MessageBuilder first(stun::kAllocate, tid1);
  first.add(stun::attr::kRequestedTransport, transport);
  stun::MessageBuilder challenge(response(stun::kAllocate, stun::kErrorClass), tid1);
  challenge.add_error_code(401, "Unauthorized");
  challenge.add_string(stun::attr::kRealm, realm_);
  challenge.add_string(stun::attr::kNonce, nonce_);
  challenge.add_string(stun::attr::kSoftware, kServerSoftware);
  const std::int64_t t_challenge = exchange(t_us, first.finish_unauthenticated(), challenge.finish_unauthenticated());

  // With them: the relayed address, the browser's as the server sees it, the lifetime.
  const auto tid2 = stun::new_transaction_id(rng_);
  stun::MessageBuilder again(stun::kAllocate, tid2);
  again.add(stun::attr::kRequestedTransport, transport);
  add_credentials(again);
  stun::MessageBuilder ok(response(stun::kAllocate, stun::kSuccessClass), tid2);
  ok.add_xor_address(stun::attr::kXorRelayedAddress, relayed_);
  ok.add_xor_mapped_address(browser_);
  ok.add_u32(stun::attr::kLifetime, kTurnLifetimeS);
  ok.add_string(stun::attr::kSoftware, kServerSoftware);
  return exchange(after_answer(t_challenge), again.finish(key_), ok.finish(key_));
}

std::int64_t TurnClient::bind_channel(std::int64_t t_us, const Endpoint& peer, std::uint16_t channel) {
  const auto tid1 = stun::new_transaction_id(rng_);
  stun::MessageBuilder permission(stun::kCreatePermission, tid1);
  permission.add_xor_address(stun::attr::kXorPeerAddress, peer);
  add_credentials(permission);
  stun::MessageBuilder permitted(response(stun::kCreatePermission, stun::kSuccessClass), tid1);
  permitted.add_string(stun::attr::kSoftware, kServerSoftware);
  exchange(t_us, permission.finish(key_), permitted.finish(key_));

  const auto tid2 = stun::new_transaction_id(rng_);
  stun::MessageBuilder bind(stun::kChannelBind, tid2);
  bind.add_u32(stun::attr::kChannelNumber, std::uint32_t{channel} << 16);  // then 2 bytes RFFU
  bind.add_xor_address(stun::attr::kXorPeerAddress, peer);
  add_credentials(bind);
  stun::MessageBuilder bound(response(stun::kChannelBind, stun::kSuccessClass), tid2);
  bound.add_string(stun::attr::kSoftware, kServerSoftware);
  return exchange(t_us + rng_.range(50, 500), bind.finish(key_), bound.finish(key_));
}

void TurnClient::refresh(std::int64_t t_us) {
  const auto tid = stun::new_transaction_id(rng_);
  stun::MessageBuilder req(stun::kRefresh, tid);
  req.add_u32(stun::attr::kLifetime, kTurnLifetimeS);
  add_credentials(req);
  stun::MessageBuilder ok(response(stun::kRefresh, stun::kSuccessClass), tid);
  ok.add_u32(stun::attr::kLifetime, kTurnLifetimeS);
  ok.add_string(stun::attr::kSoftware, kServerSoftware);
  exchange(t_us, req.finish(key_), ok.finish(key_));
}

}  // namespace wcsgen
