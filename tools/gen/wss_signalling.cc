#include "wss_signalling.h"

#include "tls_records.h"

namespace wcsgen {

namespace {
constexpr std::size_t kTls13Overhead = 1 + 16;  // inner content type + AEAD tag
constexpr std::uint16_t kGroupX25519 = 0x001d;
constexpr std::uint16_t kTlsAes128GcmSha256 = 0x1301;
}  // namespace

WssSignalling::WssSignalling(Capture& cap, const Endpoint& browser, const Endpoint& server, std::int64_t rtt_us,
                             Rng& rng, std::string server_name)
    : rng_(rng), server_name_(std::move(server_name)), tcp_(cap, browser, server, rtt_us, rng) {}

Bytes WssSignalling::app_record(std::size_t plaintext_len) {
  return tls::record(tls::content::kApplicationData, tls::kVersionTls12, rng_.bytes(plaintext_len + kTls13Overhead));
}

Bytes WssSignalling::client_hello() {
  Bytes body;
  put16(body, tls::kVersionTls12);  // legacy_version
  rng_.fill(body, 32);
  put8(body, 32);
  rng_.fill(body, 32);  // legacy_session_id
  append(body, tls::u16_list({0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8}));
  put8(body, 1);
  put8(body, 0);
  Bytes exts;
  {
    Bytes sni;
    const std::size_t list = begin_vec(sni, 2);
    put8(sni, 0);  // host_name
    const std::size_t name = begin_vec(sni, 2);
    append(sni, std::string_view(server_name_));
    end_vec(sni, name, 2);
    end_vec(sni, list, 2);
    tls::add_extension(exts, tls::ext::kServerName, sni);
  }
  tls::add_extension(exts, tls::ext::kExtendedMasterSecret, {});
  tls::add_extension(exts, tls::ext::kRenegotiationInfo, tls::renegotiation_info_empty());
  tls::add_extension(exts, tls::ext::kSupportedGroups, tls::supported_groups());
  tls::add_extension(exts, tls::ext::kEcPointFormats, tls::ec_point_formats());
  {
    Bytes alpn;
    const std::size_t list = begin_vec(alpn, 2);
    put8(alpn, 8);
    append(alpn, std::string_view("http/1.1"));
    end_vec(alpn, list, 2);
    tls::add_extension(exts, tls::ext::kAlpn, alpn);
  }
  tls::add_extension(exts, tls::ext::kSignatureAlgorithms, tls::signature_algorithms());
  {
    Bytes ks;
    const std::size_t list = begin_vec(ks, 2);
    put16(ks, kGroupX25519);
    put16(ks, 32);
    rng_.fill(ks, 32);
    end_vec(ks, list, 2);
    tls::add_extension(exts, tls::ext::kKeyShare, ks);
  }
  tls::add_extension(exts, tls::ext::kPskKeyExchangeModes, Bytes{0x01, 0x01});
  tls::add_extension(exts, tls::ext::kSupportedVersions, Bytes{0x04, 0x03, 0x04, 0x03, 0x03});
  put16(body, static_cast<std::uint16_t>(exts.size()));
  append(body, exts);
  return tls::record(tls::content::kHandshake, tls::kVersionTls10, tls::handshake(tls::hs::kClientHello, body));
}

Bytes WssSignalling::server_hello() {
  Bytes body;
  put16(body, tls::kVersionTls12);
  rng_.fill(body, 32);
  put8(body, 32);
  rng_.fill(body, 32);  // echo of the session id (value irrelevant here)
  put16(body, kTlsAes128GcmSha256);
  put8(body, 0);
  Bytes exts;
  {
    Bytes ks;
    put16(ks, kGroupX25519);
    put16(ks, 32);
    rng_.fill(ks, 32);
    tls::add_extension(exts, tls::ext::kKeyShare, ks);
  }
  tls::add_extension(exts, tls::ext::kSupportedVersions, Bytes{0x03, 0x04});
  put16(body, static_cast<std::uint16_t>(exts.size()));
  append(body, exts);
  return tls::record(tls::content::kHandshake, tls::kVersionTls12, tls::handshake(tls::hs::kServerHello, body));
}

std::size_t WssSignalling::ws_frame_len(std::size_t payload, bool masked) {
  std::size_t hdr = 2;
  if (payload >= 126) hdr += payload > 0xffff ? 8 : 2;
  return hdr + (masked ? 4 : 0) + payload;
}

std::int64_t WssSignalling::connect(std::int64_t t_us) {
  const std::int64_t rtt = tcp_.rtt_us();
  const std::int64_t t_est = tcp_.open(t_us);

  const std::int64_t t_ch = t_est + rng_.range(100, 600);
  tcp_.queue_send(Side::kClient, t_ch, client_hello(), Content::kTls);

  // ServerHello, ChangeCipherSpec (compatibility), then the encrypted
  // EncryptedExtensions + Certificate + CertificateVerify + Finished.
  Bytes flight = server_hello();
  append(flight, tls::record(tls::content::kChangeCipherSpec, tls::kVersionTls12, Bytes{0x01}));
  append(flight, app_record(static_cast<std::size_t>(rng_.range(2400, 3600))));
  const std::int64_t t_sh = t_ch + rng_.range(800, 3000);
  tcp_.queue_send(Side::kServer, t_sh, std::move(flight), Content::kTls);

  // Client ChangeCipherSpec + Finished, then the HTTP Upgrade request.
  Bytes fin = tls::record(tls::content::kChangeCipherSpec, tls::kVersionTls12, Bytes{0x01});
  append(fin, app_record(36));
  const std::int64_t t_fin = t_sh + rtt + rng_.range(1000, 4000);
  tcp_.queue_send(Side::kClient, t_fin, std::move(fin), Content::kTls);
  const std::int64_t t_upgrade = t_fin + rng_.range(50, 400);
  tcp_.queue_send(Side::kClient, t_upgrade, app_record(static_cast<std::size_t>(rng_.range(480, 620))),
                  Content::kTls);

  // 101 Switching Protocols.
  const std::int64_t t_101 = t_upgrade + rng_.range(1000, 5000);
  tcp_.queue_send(Side::kServer, t_101, app_record(static_cast<std::size_t>(rng_.range(160, 220))), Content::kTls);
  return t_101;
}

void WssSignalling::client_message(std::int64_t t_us, std::size_t json_len) {
  tcp_.queue_send(Side::kClient, t_us, app_record(ws_frame_len(json_len, true)), Content::kTls);
}

void WssSignalling::server_message(std::int64_t t_us, std::size_t json_len) {
  tcp_.queue_send(Side::kServer, t_us, app_record(ws_frame_len(json_len, false)), Content::kTls);
}

std::int64_t WssSignalling::close(std::int64_t t_us) {
  // Close frames carry a 2-byte status code (1000).
  tcp_.queue_send(Side::kClient, t_us, app_record(ws_frame_len(2, true)), Content::kTls);
  const std::int64_t t_echo = t_us + rng_.range(300, 2000);
  tcp_.queue_send(Side::kServer, t_echo, app_record(ws_frame_len(2, false)), Content::kTls);
  // RFC 6455: the server closes the TCP connection first.
  return tcp_.close(Side::kServer, t_echo + rng_.range(100, 1000));
}

}  // namespace wcsgen
