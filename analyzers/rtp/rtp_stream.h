// Per-SSRC RTP stream state (one per source, destination and SSRC, like Wireshark's stream key)
// in a fixed pool; the streams of a flow are chained from the flow record.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "anomaly/anomaly_engine.h"
#include "flow/flow_table.h"
#include "flow/index_pool.h"
#include "media/host_evidence.h"
#include "rtp/rtp_parser.h"

namespace wcstap {

struct RtpStreamState {
  uint32_t ssrc = 0;
  uint32_t next = kNoIndex;  // next stream of the same flow
  uint8_t dir = 0;           // flow direction the stream travels
  uint8_t pt = 0;            // payload type of the first packet
  uint8_t confirmed = 0;     // passed probation: trusted as RTP
  uint8_t probation = 0;     // in-sequence packets still needed
  int64_t ext_first = 0;     // extended sequence number of the first packet
  int64_t ext_max = 0;       // highest extended sequence number
  uint64_t packets = 0;
  uint64_t bytes = 0;
  Nanos first_ts = 0;
  Nanos last_ts = 0;
  // sequence history: bit i set = ext_max - i received (duplicates and reordering)
  uint64_t seen = 0;
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  // Timing: arrival deltas and RFC 3550 interarrival jitter, measured against the last packet in
  // RTP timestamp order (the reference). The statistics leave out what Wireshark's leave out, so
  // the figures compare: the first packet, marker-bit packets (talkspurt or frame boundaries),
  // comfort noise and the packet after it, and packets whose timestamp goes backwards.
  uint32_t clock_rate = 0;      // of the stream's payload type
  ClockSource clock_source = ClockSource::None;
  uint32_t last_rtp_ts = 0;     // as carried, for extending the next one
  int64_t last_ext_ts = 0;      // extended (wrap-free) RTP timestamp of the last packet
  int64_t ref_ext_ts = 0;       // ... of the reference packet
  Nanos ref_arrival = 0;
  uint8_t last_pt = 0;
  Nanos max_delta = 0;
  // Means as Wireshark keeps them, so the figures compare: a running mean updated on the regular
  // packets only but weighted by the count of all packets before it.
  double mean_delta = 0;        // seconds
  double jitter = 0;            // seconds
  double jitter_max = 0;
  double jitter_mean = 0;
  // bitrate windows of 1 s from first_ts; frames by marker bit
  uint64_t window_index = 0;    // the window being filled
  uint64_t window_bytes = 0;
  uint64_t window_min_bytes = UINT64_MAX;
  uint64_t window_max_bytes = 0;
  uint64_t markers = 0;
  uint64_t closed_window_bytes = 0;  // the window the last count() completed...
  uint64_t closed_window_index = 0;
  bool window_closed = false;        // ... when it completed one
  // bitrate_drop: a fast EWMA of the completed windows' bitrate against the stream's own slow
  // baseline (the mean of its first windows, then an EWMA over baseline_s windows)
  double br_fast_kbps = 0;
  double br_base_kbps = 0;
  uint32_t br_windows = 0;      // windows in the baseline
  uint32_t br_open_windows = 0; // windows judged since bitrate_drop was raised
  Nanos br_low_since = 0;       // start of the first window of the current low run
  AnomalySlot bitrate;
  uint32_t pt_changes = 0;
  // RFC 4588 retransmission (RTX) streams: their payload starts with the original sequence number
  // (OSN) of the packet they repair (readable in plain RTP only; SRTP encrypts it).
  uint32_t rtx_for = 0;         // an RTX stream: the SSRC it repairs (0: none seen yet)
  uint64_t rtx_packets = 0;     // ... packets that repaired a gap of it
  uint64_t repaired = 0;        // a media stream: gaps an RTX stream filled
  // audio quality: whole seconds accounted into the 5 s window being filled
  uint64_t q_second = 0;
  uint32_t q_expected = 0, q_received = 0;
  uint8_t q_seconds = 0;
  double q_jitter_sum = 0;      // ms, per second accounted
  double mos_min = 0;
  uint32_t mos_windows = 0;
  // packet_loss: expected and received packets per whole second since the first packet, the last
  // kLossSeconds of them in a ring
  static constexpr unsigned kLossSeconds = 8;
  std::array<uint32_t, kLossSeconds> second_expected{};
  std::array<uint32_t, kLossSeconds> second_received{};
  uint64_t loss_second = 0;       // the second being filled
  int64_t loss_second_ext = 0;    // highest extended sequence number before it
  uint32_t loss_second_received = 0;
  uint8_t closed_seconds = 0;     // complete seconds in the ring
  bool second_closed = false;     // the last count() completed a second
  AnomalySlot loss;
  // high_jitter: the mean jitter of the second being filled, and of the last completed ones as
  // bits (bit 0 = the last second, set = above the threshold judged at its close)
  double second_jitter_sum = 0;
  uint32_t second_jitter_samples = 0;
  double last_second_jitter = 0;  // seconds; mean over the last completed second that had samples
  uint16_t jitter_high_bits = 0;
  uint8_t jitter_judged_seconds = 0;
  AnomalySlot high_jitter;
  AnomalySlot stall;
  uint8_t talkspurts = 0;  // has resumed after silence with the marker bit: suppresses silence
  // ssrc_collision_or_reset: jumps beyond RFC 3550's sane bounds
  uint16_t jump_expect = 0;     // a large sequence jump is believed when the next packet follows it
  int64_t jump_target = 0;      // the extended number the jump went to
  uint8_t jump_pending = 0;
  uint8_t reset = 0;            // set by count(): 1 sequence reset, 2 timestamp jump (for the analyzer)
  int64_t reset_value = 0;      // the jump, in sequence numbers or seconds
  // one_way_media: the last sign of life from the receiving side, packets sent since then
  Nanos back_ts = 0;
  uint32_t since_back = 0;
  // ... what the host evidence index last said of the receiver (asked on every packet): RTP from
  // it to the sender on other ports, its reports about this SSRC
  HostEvidenceIndex::Memo back_media_memo, receiver_report_memo, sender_report_memo;
  bool agreed_one_way = false;  // one way as the SDP agreed (counted once)
  char stream[48]{};            // the name signalling gave it when it began (RtpStreamEvent::stream)
  Nanos noted_ts = 0;  // last entry in the host evidence index
  AnomalySlot one_way;
  uint32_t srtp = kNoIndex;  // its SrtpStreamState, when the tap holds the stream's SRTP key
  uint32_t srtp_gen = 0;     // the key set it was looked up in (keys added or replaced: look again)

  // Counts a packet: extended sequence number across wrap (and reordering), probation.
  void count(const RtpHeader& h, uint32_t len, Nanos ts);
  // The clock rate of one packet's payload type: the stream's for its own type, the static
  // table's for a static type, none for another dynamic type (telephone-event, RED...).
  uint32_t clock_of(uint8_t packet_pt) const;

 private:
  void count_sequence(const RtpHeader& h);
  void count_timing(const RtpHeader& h, Nanos ts);
  void infer_clock(int64_t ext_ts, Nanos ts);
  // `second`: the packet's whole second since the stream's first packet (both keep seconds).
  void count_bitrate(uint32_t len, uint64_t second);
  void close_seconds(uint64_t second);

 public:
  int64_t lost() const { return (ext_max - ext_first + 1) - static_cast<int64_t>(packets); }
  // An RTX packet names `osn`: true (and the gap counted as repaired) when that sequence number is
  // among the last 64 and had not arrived.
  bool repair(uint16_t osn);
  // Expected and received packets over the last `seconds` complete seconds (at most kLossSeconds),
  // and when the earliest of them that lost packets began (0 when none did).
  void loss_window(unsigned seconds, uint64_t& expected, uint64_t& received, Nanos& first_lossy) const;
  // The stream's figures as reported (rtp_stream event), without the endpoints.
  void fill(RtpStreamEvent& ev) const;
};

// A stream the tap can authenticate and decrypt (SRTP key known): per-packet verdicts, the last
// seconds of them for srtp_auth_failure, and the keyframes the clear payload shows.
struct SrtpStreamState {
  int32_t key = -1;            // SrtpKeyring index (-1: none any more)
  uint32_t key_gen = 0;        // ... and its generation (an SDES key replaced under it: look again)
  SrtpCounts counts;
  static constexpr unsigned kSeconds = 8;
  std::array<uint32_t, kSeconds> second_ok{}, second_failed{};  // ring by whole second of the stream
  uint64_t second = 0;         // the second being filled
  AnomalySlot auth;            // srtp_auth_failure
  VideoCodec codec = VideoCodec::None;
  uint32_t keyframes = 0;
  uint32_t last_keyframe_rtp_ts = 0;
  Nanos last_keyframe = 0;
  double keyframe_gap_sum_s = 0, keyframe_gap_max_s = 0;
  uint32_t parameter_sets = 0;
};

// RFC 3551's static payload types: their RTP clock rate, 0 for dynamic or unassigned types.
uint32_t static_clock_rate(uint8_t pt);

// The standard RTP clock rate that `ticks_per_second` (timestamp advance over arrival time) is,
// within 5 %; 0 when it is none of them.
uint32_t nearest_clock_rate(double ticks_per_second);

using RtpStreamTable = IndexPool<RtpStreamState>;

}  // namespace wcstap
