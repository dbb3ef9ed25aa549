// Which worker sees a packet when the software spreads them (a port with fewer RX queues than
// workers, or without RSS). Symmetric: both directions of a host pair (or a 5-tuple) give the same
// hash, so they meet in one worker. Plain bytes in, no DPDK: unit-tested on its own.
#pragma once

#include <cstdint>
#include <span>

#include "config/config.h"

namespace wcstap::dp {

// A symmetric hash of an Ethernet frame (up to two VLAN tags, IPv4 or IPv6): of its two addresses
// (HostPair), or of addresses, protocol and UDP/TCP/SCTP ports (FiveTuple; UDP ports 2n and 2n+1
// count as one, so RTP meets its RTCP; a fragment, or IPv6 with extension headers before the
// transport, falls back to its addresses so all its pieces meet).
// Frames that are not IP, or too short to say, hash to 0.
uint32_t balance_hash(std::span<const uint8_t> frame, BalanceBy by);

// The worker of a hash among n: multiply-shift, no division on the hot path.
inline uint32_t worker_of(uint32_t hash, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(hash) * n) >> 32);
}

}  // namespace wcstap::dp
