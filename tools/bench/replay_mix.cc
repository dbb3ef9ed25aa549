// Loading a replay mix: see replay_mix.h.
#include "replay_mix.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>

#include "decode/bytes.h"

namespace wcstap::bench {

std::string mix_name(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  for (const char* ext : {".pcapng", ".pcap", ".cap"}) {
    const size_t n = std::strlen(ext);
    if (base.size() > n && base.compare(base.size() - n, n, ext) == 0) return base.substr(0, base.size() - n);
  }
  return base;
}

namespace {

// Per-stream bookkeeping while loading: sequence numbers and RTP timestamps unwrapped.
struct StreamScan {
  int64_t ext_seq = 0, seq_min = 0, seq_max = 0;
  int64_t ts_first = 0, ts_last = 0;  // unwrapped RTP timestamps of the first and last packets
  uint16_t prev_seq = 0;
  uint32_t prev_ts = 0;
  Nanos t_first = 0, t_last = 0;
};

}  // namespace

std::unique_ptr<Mix> load_mix(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* pc = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!pc) throw std::runtime_error(errbuf);  // libpcap's message names the file
  auto mix = std::make_unique<Mix>();
  mix->path = path;
  mix->name = mix_name(path);
  const int dlt = pcap_datalink(pc);
  const auto link = link_type_from_dlt(dlt);
  if (!link) {
    pcap_close(pc);
    throw std::runtime_error(path + ": link type " + std::to_string(dlt) + " is not one wcstap decodes");
  }
  mix->link = *link;

  Nanos span = 0;  // the latest packet's time since the first
  std::map<std::string, uint32_t> stream_ids;
  std::vector<StreamScan> scans;
  pcap_pkthdr* hdr;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
    const Nanos ts = static_cast<Nanos>(hdr->ts.tv_sec) * 1'000'000'000ull + static_cast<Nanos>(hdr->ts.tv_usec);
    if (mix->pkts.empty()) mix->t0 = ts;
    if (ts < mix->t0) {
      pcap_close(pc);
      throw std::runtime_error(path + ": packet " + std::to_string(mix->pkts.size() + 1) +
                               " is stamped before the first one; the bench wants time order");
    }
    if (mix->bytes.size() + hdr->caplen > UINT32_MAX) {
      pcap_close(pc);
      throw std::runtime_error(path + ": over 4 GiB of packets; give the bench a smaller mix");
    }
    Packet p;
    p.off = static_cast<uint32_t>(mix->bytes.size());
    p.caplen = hdr->caplen;
    p.wire_len = hdr->len;
    p.rel = ts - mix->t0;
    span = std::max(span, p.rel);
    mix->bytes.insert(mix->bytes.end(), data, data + hdr->caplen);

    DecodedPacket d;
    DecodeError err;
    const bool decoded = decode_packet(*link, {data, hdr->caplen}, d, err) == DecodeStatus::Ok;
    if (decoded && d.l4 == L4::Udp && (!d.fragment || d.first_fragment)) {
      const FlowClass c = classify_udp_payload(d.l4_payload);
      if (c == FlowClass::Rtp || c == FlowClass::Rtcp) p.cls = c;
      if (c == FlowClass::Rtp) {
        const uint8_t* h = d.l4_payload.data();
        p.rtp_off = static_cast<uint32_t>(h - data);
        p.seq0 = be16(h + 2);
        p.rtpts0 = be32(h + 4);
        // A stream: its SSRC in one direction between two endpoints.
        std::string key;
        for (const Endpoint* e : {&d.src, &d.dst}) {
          key.append(reinterpret_cast<const char*>(e->addr.data()), e->addr.size());
          key.push_back(static_cast<char>(e->port >> 8));
          key.push_back(static_cast<char>(e->port));
        }
        key.append(reinterpret_cast<const char*>(h + 8), 4);
        auto [it, fresh] = stream_ids.emplace(key, static_cast<uint32_t>(scans.size()));
        p.stream = it->second;
        if (fresh) {
          StreamScan s;
          s.prev_seq = p.seq0;
          s.prev_ts = p.rtpts0;
          s.t_first = s.t_last = ts;
          scans.push_back(s);
        } else {
          StreamScan& s = scans[p.stream];
          s.ext_seq += static_cast<int16_t>(static_cast<uint16_t>(p.seq0 - s.prev_seq));
          s.ts_last += static_cast<int32_t>(p.rtpts0 - s.prev_ts);
          s.seq_min = std::min(s.seq_min, s.ext_seq);
          s.seq_max = std::max(s.seq_max, s.ext_seq);
          s.prev_seq = p.seq0;
          s.prev_ts = p.rtpts0;
          s.t_last = ts;
        }
      }
    }
    if (decoded && d.l4 == L4::Tcp && !d.fragment && std::max(d.src.port, d.dst.port) >= 1024) {
      // The TCP header: where its ports and sequence number are (past the link and IP headers).
      const bool src_moves = d.src.port >= d.dst.port;
      for (uint32_t h = 14; h + 8 <= hdr->caplen && h <= 128; ++h) {
        if (be16(data + h) == d.src.port && be16(data + h + 2) == d.dst.port && be32(data + h + 4) == d.tcp_seq) {
          p.port_off = src_moves ? h : h + 2;
          p.port0 = src_moves ? d.src.port : d.dst.port;
          break;
        }
      }
    }
    const auto idx = static_cast<uint32_t>(mix->pkts.size());
    if (p.port_off != 0) mix->tcp.push_back(idx);
    mix->all.push_back(idx);
    if (p.cls == FlowClass::Rtp) mix->rtp.push_back(idx);
    else mix->not_rtp.push_back(idx);
    if (p.cls == FlowClass::Rtcp) mix->rtcp.push_back(idx);
    mix->pkts.push_back(p);
  }
  std::string read_error = rc == -1 ? pcap_geterr(pc) : "";
  pcap_close(pc);
  if (!read_error.empty()) throw std::runtime_error(path + ": " + read_error);
  if (mix->pkts.empty()) throw std::runtime_error(path + ": no packets");

  // The next replay starts one mean packet gap after this one ends.
  mix->period = span + std::max<Nanos>(1000, span / std::max<size_t>(1, mix->pkts.size() - 1));
  for (const StreamScan& s : scans) {
    StreamStep st;
    st.seq = static_cast<uint16_t>(s.seq_max - s.seq_min + 1);
    // RTP time moves on by the stream's own span plus the arrival gap to its next-replay first
    // packet at the stream's own rate: no jump in jitter at the seam.
    int64_t step = s.ts_last - s.ts_first;
    if (s.t_last > s.t_first && step > 0) {
      const double rate = static_cast<double>(step) / static_cast<double>(s.t_last - s.t_first);
      step += std::llround(rate * static_cast<double>(mix->period - (s.t_last - s.t_first)));
    }
    st.ts = static_cast<uint32_t>(step);
    mix->streams.push_back(st);
  }
  return mix;
}

}  // namespace wcstap::bench
