#include "rtp/rtp_stream.h"

#include <algorithm>

namespace wcstap {

namespace {
// In-sequence packets that make a stream trusted (RFC 3550 A.1 uses 2; noise that merely starts
// with 0x80 rarely survives 3).
constexpr uint8_t kProbation = 3;
}  // namespace

namespace {
constexpr bool is_comfort_noise(uint8_t pt) { return pt == 13 || pt == 19; }
// Media time and arrival time disagreeing by more than this: the timestamps jumped.
constexpr double kTimestampJump = 10.0;
// A clock is inferred (infer_clock) from this many packets over this many whole seconds.
constexpr uint64_t kInferMinPackets = 20;
constexpr uint64_t kInferSeconds = 2;
}  // namespace

void RtpStreamState::count(const RtpHeader& h, uint32_t len, Nanos ts) {
  second_closed = false;
  window_closed = false;
  reset = 0;
  const uint64_t second = packets == 0 ? 0 : elapsed(ts, first_ts) / 1'000'000'000;
  const uint64_t filling = loss_second;  // the second, and bitrate window, this packet may close
  bool infer = false;
  if (packets == 0) {
    loss_second_ext = h.seq - 1;  // the first packet is expected too
    loss_second_received = 1;
    pt = last_pt = h.pt;
    ext_first = ext_max = h.seq;
    first_ts = ref_arrival = ts;
    probation = kProbation - 1;
    seen = 1;
    last_rtp_ts = h.timestamp;
    if (clock_rate == 0 && (clock_rate = static_clock_rate(h.pt)) != 0) clock_source = ClockSource::Static;
  } else {
    if (h.pt != last_pt) ++pt_changes;
    close_seconds(second);
    if (count_sequence(h)) ++loss_second_received;
    infer = count_timing(h, ts, second);
  }
  count_bitrate(len, second, filling);
  if (h.marker) ++markers;
  ++packets;
  bytes += len;
  last_ts = ts;
  // Last, as a tail call: with no call left in count() itself, its common path saves fewer
  // registers.
  if (infer) [[unlikely]] infer_clock(last_ext_ts, ts);
}

bool RtpStreamState::repair(uint16_t osn) {
  const auto back = static_cast<uint16_t>(static_cast<uint16_t>(ext_max) - osn);
  if (back >= 64 || ext_max - back < ext_first) return false;
  const uint64_t bit = uint64_t{1} << back;
  if (seen & bit) return false;
  seen |= bit;  // delivered now: a late original is a duplicate
  ++repaired;
  return true;
}

// count()'s parts, `inline`: count() is their only caller, on every RTP packet, and a call costs
// about what the smaller ones do.
inline void RtpStreamState::close_seconds(uint64_t now) {
  while (loss_second < now) {
    const unsigned slot = loss_second % kLossSeconds;
    second_expected[slot] = static_cast<uint32_t>(ext_max - loss_second_ext);
    second_received[slot] = loss_second_received;
    lossy_seconds = static_cast<uint8_t>(lossy_seconds << 1 | (second_expected[slot] > second_received[slot]));
    loss_second_ext = ext_max;
    loss_second_received = 0;
    if (second_jitter_samples != 0) last_second_jitter = second_jitter_sum / second_jitter_samples;
    second_jitter_sum = 0;
    second_jitter_samples = 0;
    ++loss_second;
    if (closed_seconds < kLossSeconds) ++closed_seconds;
    second_closed = true;
    // A silence longer than the ring: the seconds it keeps are the last kLossSeconds, all empty,
    // each in its own slot. (Until 2026-11-27 the ring stopped after kLossSeconds slots and jumped
    // to `now`, leaving the second before the silence in whichever slot it had, read then as one
    // of the last seconds: its loss counted in the window after the silence.)
    if (now - loss_second > kLossSeconds) loss_second = now - kLossSeconds;
  }
}

void RtpStreamState::loss_window(unsigned seconds, uint64_t& expected, uint64_t& received,
                                 Nanos& first_lossy) const {
  expected = received = 0;
  first_lossy = 0;
  for (unsigned i = 1; i <= seconds && i <= closed_seconds; ++i) {
    const unsigned slot = (loss_second - i) % kLossSeconds;
    expected += second_expected[slot];
    received += second_received[slot];
    if (second_expected[slot] > second_received[slot]) first_lossy = first_ts + (loss_second - i) * 1'000'000'000;
  }
}

inline void RtpStreamState::count_bitrate(uint32_t len, uint64_t index, uint64_t filling) {
  if (index > filling) {
    // The window just finished, and any silent ones after it, are complete.
    window_min_bytes = std::min(window_min_bytes, index > filling + 1 ? 0 : window_bytes);
    window_max_bytes = std::max(window_max_bytes, window_bytes);
    closed_window_bytes = window_bytes;
    closed_window_index = filling;
    window_closed = true;
    window_bytes = 0;
  }
  window_bytes += len;
}

inline bool RtpStreamState::count_sequence(const RtpHeader& h) {
  // RFC 3550 A.1: a distance of MAX_DROPOUT (3000) or more either way (beyond MAX_MISORDER back) is
  // no gap but a restart, believed once the next packet follows on. Counting stays Wireshark's.
  constexpr uint16_t kMaxDropout = 3000, kMaxMisorder = 100;
  const auto udelta = static_cast<uint16_t>(h.seq - static_cast<uint16_t>(ext_max));
  const bool far = udelta >= kMaxDropout && udelta <= 65535 - kMaxMisorder;
  if (jump_pending && h.seq == jump_expect) {
    // The next packet follows the jump: the sender restarted its numbering. Go on from there.
    jump_pending = 0;
    reset = 1;
    ext_max = jump_target;
    seen = 1;
    // The loss of the second being filled is judged from the new numbering on: with this packet
    // (ext_max + 1) counted, expected equals received (the stray jump packet is among them).
    loss_second_ext = ext_max - loss_second_received;
  } else if (far) {
    // Believed only when the next packet follows it; until then it does not move the highest
    // number (a stray far packet would otherwise make every later one look late).
    jump_pending = 1;
    jump_expect = static_cast<uint16_t>(h.seq + 1);
    jump_target = ext_max + static_cast<int16_t>(udelta);
    reset_value = static_cast<int16_t>(udelta) - 1;  // beyond the next expected number
    if (!confirmed) probation = kProbation - 1;
    return true;
  } else {
    jump_pending = 0;
  }
  // Distance from the highest sequence number so far, in the 16-bit circle: forward up to half
  // the space (wrapping on), backward otherwise (late, reordered or repeated packet).
  auto delta = static_cast<int16_t>(static_cast<uint16_t>(h.seq - static_cast<uint16_t>(ext_max)));
  int64_t ext = ext_max + delta;
  if (!confirmed) {
    if (delta == 1) {
      if (probation > 0) --probation;
    } else {
      probation = kProbation - 1;
    }
    if (probation == 0) confirmed = 1;
  }
  if (ext > ext_max) {
    int64_t shift = ext - ext_max;
    seen = (shift >= 64 ? 0 : seen << shift) | 1;
    ext_max = ext;
    return true;
  }
  int64_t back = ext_max - ext;
  uint64_t bit = back < 64 ? uint64_t{1} << back : 0;
  if (bit != 0 && (seen & bit)) {
    ++duplicates;
    return false;
  }
  seen |= bit;
  ++reordered;
  return true;
}

inline uint32_t RtpStreamState::clock_of(uint8_t packet_pt) const {
  if (packet_pt == pt) return clock_rate;
  return packet_pt < 96 ? static_clock_rate(packet_pt) : 0;
}

// A dynamic payload type without SDP: after long enough, the timestamps' pace against arrival
// time names the clock (8000, 16000, 48000, 90000 Hz... differ by far more than network jitter).
void RtpStreamState::infer_clock(int64_t ext_ts, Nanos ts) {
  if (ext_ts <= 0) return;
  clock_rate = nearest_clock_rate(static_cast<double>(ext_ts) / (static_cast<double>(elapsed(ts, first_ts)) / 1e9));
  if (clock_rate == 0) return;
  clock_source = ClockSource::Inferred;
  ref_ext_ts = ext_ts;  // jitter is measured from this packet on
}

inline bool RtpStreamState::count_timing(const RtpHeader& h, Nanos ts, uint64_t second) {
  // Extended timestamp relative to the first packet's (0). A packet stamped before the first one
  // is out of order; one that merely steps back a little is not (tshark 4.0 counts it in order).
  int64_t ext_ts = last_ext_ts + static_cast<int32_t>(h.timestamp - last_rtp_ts);
  last_rtp_ts = h.timestamp;
  last_ext_ts = ext_ts;

  const bool in_order = ext_ts >= 0;
  const double delta = (static_cast<double>(ts) - static_cast<double>(ref_arrival)) / 1e9;
  const uint32_t clock = clock_of(h.pt);
  if (clock != 0) {
    // RFC 3550 section 6.4.1: D = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16
    double d = delta - static_cast<double>(ext_ts - ref_ext_ts) / clock;
    if (d > kTimestampJump || d < -kTimestampJump) {
      // The timestamps jumped (a restart): not jitter. Measure from this packet on.
      reset = reset ? reset : 2;
      if (reset == 2) reset_value = static_cast<int64_t>(-d);
      ref_arrival = ts;
      ref_ext_ts = ext_ts;
      last_pt = h.pt;
      return false;
    }
    jitter += ((d < 0 ? -d : d) - jitter) / 16;
    second_jitter_sum += jitter;
    ++second_jitter_samples;
  }
  const bool regular = !h.marker && in_order && !is_comfort_noise(h.pt) && !is_comfort_noise(last_pt);
  if (regular) {
    Nanos gap = elapsed(ts, ref_arrival);
    if (gap > max_delta) max_delta = gap;
    // `packets` deltas precede this packet (it is not counted yet). Converted as signed: the same
    // value (far below 2^63) in one instruction, where unsigned takes a test, a branch and more.
    const auto n = static_cast<double>(static_cast<int64_t>(packets));
    mean_delta = (mean_delta * (n - 1) + static_cast<double>(gap) / 1e9) / n;
    if (clock != 0) {
      if (jitter > jitter_max) jitter_max = jitter;
      jitter_mean = (jitter_mean * (n - 1) + jitter) / n;
    }
  }
  // The reference arrival moves with every packet in order; its timestamp only with packets whose
  // clock is known (a telephone-event's frozen timestamp does not become the reference).
  if (in_order) {
    ref_arrival = ts;
    if (clock != 0) ref_ext_ts = ext_ts;
  }
  last_pt = h.pt;
  // Tried at the first packet that may, then once a second while no standard clock fits (on
  // every packet, a stream of an odd clock paid a division and eight comparisons for ever).
  return clock_rate == 0 && second >= kInferSeconds && h.pt == pt && pt >= 96 && packets >= kInferMinPackets &&
         (second_closed || packets == kInferMinPackets);
}

void RtpStreamState::fill(RtpStreamEvent& ev) const {
  ev.ssrc = ssrc;
  ev.pt = pt;
  ev.packets = packets;
  ev.bytes = bytes;
  ev.lost = lost();
  ev.ext_seq_first = static_cast<uint64_t>(ext_first);
  ev.ext_seq_max = static_cast<uint64_t>(ext_max);
  ev.first_ts = first_ts;
  ev.last_ts = last_ts;
  ev.duplicates = duplicates;
  ev.reordered = reordered;
  ev.max_delta_ms = static_cast<double>(max_delta) / 1e6;
  ev.mean_delta_ms = mean_delta * 1e3;
  ev.clock_rate = clock_rate;
  ev.clock_source = clock_source;
  ev.jitter_max_ms = jitter_max * 1e3;
  ev.jitter_mean_ms = jitter_mean * 1e3;
  const double secs = static_cast<double>(elapsed(last_ts, first_ts)) / 1e9;
  ev.bitrate_mean_kbps = secs > 0 ? static_cast<double>(bytes) * 8 / 1000 / secs : 0;
  if (loss_second > 0) {  // at least one complete window
    ev.bitrate_min_kbps = static_cast<double>(window_min_bytes) * 8 / 1000;
    ev.bitrate_max_kbps = static_cast<double>(window_max_bytes) * 8 / 1000;
  } else {
    ev.bitrate_min_kbps = ev.bitrate_max_kbps = ev.bitrate_mean_kbps;
  }
  ev.frame_rate = clock_rate == 90000 && secs > 0 ? static_cast<double>(markers) / secs : 0;
  ev.pt_changes = pt_changes;
  ev.lost_after_repair = ev.lost - static_cast<int64_t>(std::min<uint64_t>(repaired, ev.lost > 0 ? ev.lost : 0));
  ev.rtx_packets = rtx_packets;
  ev.rtx_for_ssrc = rtx_for;
  ev.mos_min = mos_min;
  ev.mos_windows = mos_windows;
}

uint32_t nearest_clock_rate(double ticks_per_second) {
  static constexpr uint32_t kRates[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000, 90000};
  for (uint32_t r : kRates)
    if (ticks_per_second > r * 0.95 && ticks_per_second < r * 1.05) return r;
  return 0;
}

}  // namespace wcstap
