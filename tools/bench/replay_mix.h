// A capture held in memory for replaying over and over as more of the same traffic: what
// wcstap-bench times the pipeline on and what wcstap-feeder sends through net_memif.
//
// Every replay k is shifted forward in time by k * period, every RTP stream's sequence numbers
// and RTP timestamps are carried on by k times the stream's own span (so a replay reads as more of
// the same media rather than as the stream going back: the second replay would otherwise be all
// "duplicates", or a stream reset at every seam), and every TCP connection's ephemeral port (the
// higher of its two, when 1024 or more) moves on per replay, so a replay's connections are new
// ones, read from their SYN.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "classify/classify.h"
#include "decode/decode.h"

namespace wcstap::bench {

struct Packet {
  uint32_t off = 0;       // into Mix::bytes
  uint32_t caplen = 0;
  uint32_t wire_len = 0;
  Nanos rel = 0;          // time since the mix's first packet
  FlowClass cls = FlowClass::Unknown;  // Rtp, Rtcp, or Unknown for everything else
  uint32_t rtp_off = 0;   // RTP packets: where the RTP header starts in the frame
  uint32_t stream = 0;    // RTP packets: index into Mix::streams
  uint16_t seq0 = 0;      // RTP packets: sequence number and timestamp as captured
  uint32_t rtpts0 = 0;
  uint32_t port_off = 0;  // TCP packets: where the ephemeral port is in the frame (0: not moved)
  uint16_t port0 = 0;     // ... and its value as captured
};

// How far a TCP connection's ephemeral port moves per replay, within 1024-65535 (prime: a port
// comes back only after 64512 replays).
constexpr uint32_t kPortStep = 7919;

// How far an RTP stream's sequence numbers and timestamps move on per replay.
struct StreamStep {
  uint16_t seq = 0;
  uint32_t ts = 0;
};

struct Mix {
  std::string name, path;
  LinkType link = LinkType::Ethernet;
  std::vector<uint8_t> bytes;
  std::vector<Packet> pkts;
  std::vector<StreamStep> streams;
  std::vector<uint32_t> all, rtp, rtcp, not_rtp;  // packet indices
  std::vector<uint32_t> tcp;                       // TCP packets whose ephemeral port moves
  Nanos t0 = 0;          // first packet's time
  Nanos period = 0;      // replay k starts at t0 + k * period
  uint64_t applied = 0;  // the replay whose RTP headers `bytes` holds now

  std::span<const uint8_t> frame(const Packet& p) const { return {bytes.data() + p.off, p.caplen}; }

  // Writes packet `p`'s RTP sequence number and timestamp, or its TCP ephemeral port, as replay k
  // carries them, into `frame` (a copy of the packet as captured, or `bytes` itself). Computed from
  // the captured values, so idempotent and in any order of replays.
  void rewrite(const Packet& p, uint64_t k, uint8_t* frame) const {
    if (p.cls == FlowClass::Rtp) {
      const StreamStep& st = streams[p.stream];
      const auto seq = static_cast<uint16_t>(p.seq0 + k * st.seq);
      const auto ts = static_cast<uint32_t>(p.rtpts0 + k * st.ts);
      uint8_t* h = frame + p.rtp_off;
      h[2] = static_cast<uint8_t>(seq >> 8);
      h[3] = static_cast<uint8_t>(seq);
      h[4] = static_cast<uint8_t>(ts >> 24);
      h[5] = static_cast<uint8_t>(ts >> 16);
      h[6] = static_cast<uint8_t>(ts >> 8);
      h[7] = static_cast<uint8_t>(ts);
    } else if (p.port_off != 0) {
      const auto port = static_cast<uint16_t>(1024 + (p.port0 - 1024 + k * kPortStep) % (65536 - 1024));
      frame[p.port_off] = static_cast<uint8_t>(port >> 8);
      frame[p.port_off + 1] = static_cast<uint8_t>(port);
    }
  }
  // Rewrites every RTP header and TCP ephemeral port in `bytes` for replay k.
  void set_replay(uint64_t k) {
    if (k == applied) return;
    for (uint32_t i : rtp) rewrite(pkts[i], k, bytes.data() + pkts[i].off);
    for (uint32_t i : tcp) rewrite(pkts[i], k, bytes.data() + pkts[i].off);
    applied = k;
  }
};

// The mix's name: the file's base name without .pcap/.pcapng/.cap.
std::string mix_name(const std::string& path);

// Reads a capture (libpcap) into memory and finds its RTP streams and TCP ephemeral ports. Throws
// std::runtime_error naming the file on a read error, an unknown link type, packets out of time
// order, over 4 GiB of packets, or none.
std::unique_ptr<Mix> load_mix(const std::string& path);

}  // namespace wcstap::bench
