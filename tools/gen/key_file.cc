#include "key_file.h"

#include <nettle/base64.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>

#include "srtp_session.h"

namespace wcsgen {

namespace {

std::string base64(ByteView b) {
  std::string s(BASE64_ENCODE_RAW_LENGTH(b.size()), '\0');
  base64_encode_raw(s.data(), b.size(), b.data());
  return s;
}

// The SSRCs the tap saw SRTP or SRTCP from: a key that protected nothing is left out.
std::set<std::uint32_t> protected_senders(const Capture& cap) {
  std::set<std::uint32_t> out;
  for (const Packet& p : cap.packets())
    if (p.srtp == Srtp::kProtected) out.insert(sender_ssrc(p));
  return out;
}

}  // namespace

void write_key_file(const std::string& path, const Capture& cap) {
  std::ofstream f(path);
  f << "# SRTP master keys of the capture's streams (test data: never a real key)\n"
    << "srtp:\n"
    << "  payload_types: {96: vp8, 102: h264, 111: opus}\n";
  const std::set<std::uint32_t> senders = protected_senders(cap);
  // SDES keys are the capture's own (a=crypto in its SDP): the tap learns them there.
  const bool any = std::any_of(cap.srtp_keys().begin(), cap.srtp_keys().end(),
                               [&](const SrtpKey& k) { return senders.contains(k.ssrc) && k.announced.empty(); });
  f << (any ? "  keys:\n" : "  keys: []\n");
  for (const SrtpKey& k : cap.srtp_keys()) {
    if (!senders.contains(k.ssrc) || !k.announced.empty()) continue;
    char ssrc[16];
    std::snprintf(ssrc, sizeof ssrc, "0x%08x", k.ssrc);
    f << "    - ssrc: " << ssrc << "\n"
      << "      suite: " << kSrtpSuite << "\n"
      << "      key: \"" << base64(k.master) << "\"\n";
  }
  // Listed, commented out, for the checks that no key ever appears in the tap's output.
  for (const SrtpKey& k : cap.srtp_keys())
    if (!k.announced.empty()) f << "  # announced in the capture's SDP (SDES), not given: key: \"" << base64(k.announced) << "\"\n";
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace wcsgen
