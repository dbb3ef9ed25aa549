// Per-SSRC RTP stream state (one per source, destination and SSRC, like Wireshark's stream key)
// in a fixed pool; the streams of a flow are chained from the flow record.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "anomaly/anomaly_engine.h"
#include "flow/flow_table.h"
#include "flow/index_pool.h"
#include "media/host_evidence.h"
#include "rtp/rtp_parser.h"

namespace wcstap {

// Aligned on a cache line, so that a packet reads four lines of it, not five (704 bytes, 11 lines).
struct alignas(64) RtpStreamState {
  // Ordered by use: what every packet reads or writes (the stream lookup, count(), the analyzer's
  // per-packet tests, check_one_way()) comes first, within four 64-byte lines
  // (kRtpStreamPacketBytes); then what closing a second reads or writes (kRtpStreamSecondBytes);
  // the rest is touched only when an anomaly is judged, a packet is out of order, the stream
  // restarts or is reported. A field of a group described further down names its group.
  uint32_t ssrc = 0;
  uint32_t next = kNoIndex;  // next stream of the same flow
  uint8_t dir = 0;           // flow direction the stream travels
  uint8_t pt = 0;            // payload type of the first packet
  uint8_t confirmed = 0;     // passed probation: trusted as RTP
  uint8_t probation = 0;     // in-sequence packets still needed
  uint8_t last_pt = 0;       // timing: the last packet's payload type
  uint8_t jump_pending = 0;  // ssrc_collision_or_reset: a jump waits for the next packet
  uint8_t reset = 0;         // set by count(): 1 sequence reset, 2 timestamp jump (for the analyzer)
  bool second_closed = false;  // packet_loss: the last count() completed a second
  bool window_closed = false;  // bitrate: the last count() completed a window
  bool stall_open = false;     // stall.open, kept here for every packet to read (stall is cold)
  uint16_t jump_expect = 0;  // ssrc_collision_or_reset: the sequence number that confirms the jump
  uint32_t clock_rate = 0;   // timing: of the stream's payload type
  int64_t ext_max = 0;       // highest extended sequence number
  uint64_t packets = 0;
  uint64_t bytes = 0;
  Nanos first_ts = 0;
  Nanos last_ts = 0;
  // sequence history: bit i set = ext_max - i received (duplicates and reordering)
  uint64_t seen = 0;
  // Timing: arrival deltas and RFC 3550 interarrival jitter, measured against the last packet in
  // RTP timestamp order (the reference). The statistics leave out what Wireshark's leave out, so
  // the figures compare: the first packet, marker-bit packets (talkspurt or frame boundaries),
  // comfort noise and the packet after it, and packets whose timestamp goes backwards.
  uint32_t last_rtp_ts = 0;     // as carried, for extending the next one
  uint32_t since_back = 0;      // one_way_media: packets sent since back_ts
  int64_t last_ext_ts = 0;      // extended (wrap-free) RTP timestamp of the last packet
  int64_t ref_ext_ts = 0;       // ... of the reference packet
  Nanos ref_arrival = 0;
  Nanos max_delta = 0;
  // Means as Wireshark keeps them, so the figures compare: a running mean updated on the regular
  // packets only but weighted by the count of all packets before it.
  double mean_delta = 0;        // seconds
  double jitter = 0;            // seconds
  double jitter_max = 0;
  double jitter_mean = 0;
  // bitrate windows of 1 s from first_ts (the window being filled is loss_second); frames by marker bit
  uint64_t window_bytes = 0;
  // packet_loss: expected and received packets per whole second since the first packet, the last
  // kLossSeconds of them in a ring
  uint64_t loss_second = 0;       // the second being filled (and the bitrate window)
  // high_jitter: the mean jitter of the second being filled, and of the last completed ones as
  // bits (bit 0 = the last second, set = above the threshold judged at its close)
  double second_jitter_sum = 0;
  uint32_t second_jitter_samples = 0;
  uint32_t loss_second_received = 0;  // packet_loss
  // one_way_media: the last sign of life from the receiving side
  Nanos back_ts = 0;
  // ... what the host evidence index last said of the receiver (asked on every packet): RTP from
  // it to the sender on other ports, its reports about this SSRC
  HostEvidenceIndex::Memo back_media_memo, receiver_report_memo;
  Nanos noted_ts = 0;  // last entry in the host evidence index
  // RFC 4588 retransmission (RTX) streams: their payload starts with the original sequence number
  // (OSN) of the packet they repair (readable in plain RTP only; SRTP encrypts it).
  uint32_t rtx_for = 0;         // an RTX stream: the SSRC it repairs (0: none seen yet)
  uint32_t srtp = kNoIndex;  // its SrtpStreamState, when the tap holds the stream's SRTP key
  uint32_t srtp_gen = 0;     // the key set it was looked up in (keys added or replaced: look again)
  uint32_t markers = 0;
  AnomalySlot one_way;       // each packet asks whether it is open
  // What closing a second reads and writes (second_closed, window_closed: every packet of a stream
  // that sends one a second), from kRtpStreamPacketBytes to kRtpStreamSecondBytes: what every
  // stream's close touches (to the loss slot), then what a stream with a clock adds (high_jitter's
  // slot), then an audio stream's, then a video stream's (rtp_stream_second_bytes()).
  // packet_loss's ring
  static constexpr unsigned kLossSeconds = 8;
  std::array<uint32_t, kLossSeconds> second_expected{};
  std::array<uint32_t, kLossSeconds> second_received{};
  int64_t loss_second_ext = 0;    // highest extended sequence number before loss_second
  // high_jitter: the mean jitter over the last completed second that had samples (seconds)
  double last_second_jitter = 0;
  // bitrate: the smallest and largest complete window, and the one the last count() completed
  uint64_t window_min_bytes = UINT64_MAX;
  uint64_t window_max_bytes = 0;
  uint64_t closed_window_bytes = 0;
  uint64_t closed_window_index = 0;
  uint8_t closed_seconds = 0;     // packet_loss: complete seconds in the ring
  uint8_t jitter_judged_seconds = 0;  // high_jitter: seconds judged (up to 16), and their verdicts
  uint16_t jitter_high_bits = 0;      // as bits (bit 0 = the last second, set = above the threshold)
  uint8_t q_seconds = 0;          // audio quality (below)
  uint8_t lossy_seconds = 0;      // packet_loss: as bits, which of the ring's seconds lost packets
                                  // (bit 0 = the last; set = expected more than received)
  AnomalySlot loss;
  AnomalySlot high_jitter;
  // audio quality: whole seconds accounted into the 5 s window being filled
  uint64_t q_second = 0;
  uint32_t q_expected = 0, q_received = 0;
  double q_jitter_sum = 0;      // ms, per second accounted
  double mos_min = 0;
  uint32_t mos_windows = 0;
  // bitrate_drop (video): a fast EWMA of the completed windows' bitrate against the stream's own
  // slow baseline (the mean of its first windows, then an EWMA over baseline_s windows)
  uint32_t br_windows = 0;      // windows in the baseline
  uint32_t br_open_windows = 0; // windows judged since bitrate_drop was raised
  double br_fast_kbps = 0;
  double br_base_kbps = 0;
  Nanos br_low_since = 0;       // start of the first window of the current low run
  AnomalySlot bitrate;
  // The rest: read at the stream's report, on rare packets (reordered, duplicated, a jump, RTX),
  // or while one_way_media or a stall is judged.
  int64_t ext_first = 0;     // extended sequence number of the first packet
  uint32_t pt_changes = 0;
  AnomalySlot stall;         // open: stall_open mirrors it (set it with the slot)
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  ClockSource clock_source = ClockSource::None;
  uint8_t talkspurts = 0;  // has resumed after silence with the marker bit: suppresses silence
  bool agreed_one_way = false;  // one_way_media: one way as the SDP agreed (counted once)
  uint64_t rtx_packets = 0;     // RTX: packets that repaired a gap of the stream it repairs
  uint64_t repaired = 0;        // a media stream: gaps an RTX stream filled
  // ssrc_collision_or_reset: jumps beyond RFC 3550's sane bounds, a large one believed when the
  // next packet follows it
  int64_t jump_target = 0;      // the extended number the jump went to
  int64_t reset_value = 0;      // the jump, in sequence numbers or seconds
  // one_way_media's: the sender's own reports, asked while it is judged
  HostEvidenceIndex::Memo sender_report_memo;
  char stream[48]{};            // the name signalling gave it when it began (RtpStreamEvent::stream)

  // Counts a packet: extended sequence number across wrap (and reordering), probation.
  void count(const RtpHeader& h, uint32_t len, Nanos ts);
  // Whether count() of a packet at `ts` completes the second being filled (second_closed: the
  // per-second checks and the cold part of the stream follow): count()'s own test, without its
  // division, for a caller fetching that part ahead.
  bool closes_second(Nanos ts) const {
    return packets != 0 && elapsed(ts, first_ts) >= (loss_second + 1) * 1'000'000'000;
  }

 private:
  // The clock rate of one packet's payload type: the stream's for its own type, the static
  // table's for a static type, none for another dynamic type (telephone-event, RED...).
  uint32_t clock_of(uint8_t packet_pt) const;
  // False for a duplicate (counted in `duplicates`, which a packet otherwise does not read: it
  // lies beyond the per-packet part).
  bool count_sequence(const RtpHeader& h);
  // True when the clock is to be inferred from this packet (a dynamic type after its window).
  bool count_timing(const RtpHeader& h, Nanos ts, uint64_t second);
  void infer_clock(int64_t ext_ts, Nanos ts);
  // `second`: the packet's whole second since the stream's first packet (both keep seconds).
  // `filling`: the window being filled before this packet.
  void count_bitrate(uint32_t len, uint64_t second, uint64_t filling);
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
// The bytes of a stream a packet reads or writes (fetched ahead of a burst's analysis), and those a
// packet that closes a second reads or writes (fetched ahead when it will: closes_second()).
constexpr size_t kRtpStreamPacketBytes = offsetof(RtpStreamState, second_expected);
constexpr size_t kRtpStreamSecondBytes = offsetof(RtpStreamState, ext_first);
static_assert(RtpStreamState::kLossSeconds <= 8, "lossy_seconds holds a bit for each second of the ring");
static_assert(kRtpStreamPacketBytes <= 256, "the per-packet part of a stream stays within four lines");
static_assert(kRtpStreamSecondBytes <= 576, "a packet that closes a second reads at most nine lines of its stream");
// What closing a second reads of a stream of this clock rate: every stream's part up to the loss
// slot (no clock: no jitter to judge, no voice codec), then high_jitter's slot and audio quality's
// accounting (a voice clock), then bitrate_drop's (video's 90 kHz: all).
constexpr size_t rtp_stream_second_bytes(uint32_t clock_rate) {
  return clock_rate == 90000 ? kRtpStreamSecondBytes
         : clock_rate != 0   ? offsetof(RtpStreamState, br_windows)
                             : offsetof(RtpStreamState, high_jitter);
}

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
// Inline (a table lookup): RtpStreamState::count() asks on every packet of a type other than its
// stream's, and a call there would make count() save registers for it on every packet.
constexpr uint32_t static_clock_rate(uint8_t pt) {
  switch (pt) {
    case 0: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 13: case 15: case 18:
      return 8000;  // PCMU, GSM, G723, DVI4/8000, LPC, PCMA, G722 (8000 by RFC 3551's erratum), QCELP, CN, G728, G729
    case 6: return 16000;   // DVI4/16000
    case 10: case 11: return 44100;  // L16
    case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
      return 90000;  // MPA, CelB, JPEG, nv, H261, MPV, MP2T, H263
    case 16: return 11025;  // DVI4/11025
    case 17: return 22050;  // DVI4/22050
    default: return 0;
  }
}

// The standard RTP clock rate that `ticks_per_second` (timestamp advance over arrival time) is,
// within 5 %; 0 when it is none of them.
uint32_t nearest_clock_rate(double ticks_per_second);

using RtpStreamTable = IndexPool<RtpStreamState>;

}  // namespace wcstap
