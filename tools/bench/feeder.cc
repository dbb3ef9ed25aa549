// wcstap-feeder: sends a capture over and over through a DPDK port (net_memif in linerate), as more
// of the same traffic: every replay's RTP sequence numbers and timestamps, and TCP ephemeral ports,
// carried on (replay_mix.h), so the receiver sees steady media rather than every stream going back
// in time at each loop, which is what net_pcap's infinite_rx sends.
//
// The capture is copied once into mbufs that stay the feeder's own: each is sent with its reference
// count raised, so a copying PMD (net_memif in copy mode) frees it back to one reference, and the
// next replay rewrites its headers in place just before sending it again.
//
//   wcstap-feeder [EAL options] -- --pcap FILE [--port N] [--seconds N]
//
// Once a second it prints a line "feeder: t=..s tx_pps=.. full=.. replays=.." on stdout: full is the
// share of transmit calls that found the port's ring full. Near 0 the receiver kept up with the
// feeder, so a receiver's rate is then the feeder's, not its own.
//
// Stopping: when a net_memif peer leaves, the PMD unmaps the shared rings, under the other side if
// it is still polling (testpmd and the feeder were each seen to crash so). So the first SIGINT or
// SIGTERM stops sending and prints the totals; the feeder then stays connected, idle, until the
// receiver has left (stop it next), and closes; a second signal ends that wait.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "replay_mix.h"

namespace {

using namespace wcstap;
using namespace wcstap::bench;

// Signals seen: the first stops sending, a second stops waiting for the receiver to leave.
std::atomic<int> g_signals{0};
std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_signals.fetch_add(1, std::memory_order_relaxed);
  g_stop.store(true, std::memory_order_relaxed);
}

constexpr uint16_t kBurst = 32;

int run(int argc, char** argv) {
  CLI::App app{"wcstap-feeder: a capture sent over and over through a DPDK port, as steady traffic"};
  std::string pcap;
  uint16_t port = 0;
  unsigned seconds = 0;
  app.add_option("--pcap", pcap, "the capture to send")->required();
  app.add_option("--port", port, "the DPDK port to send on (default 0)");
  app.add_option("--seconds", seconds, "stop after this long sending (default: until SIGINT/SIGTERM)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  std::unique_ptr<Mix> mix;
  try {
    mix = load_mix(pcap);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wcstap-feeder: %s\n", e.what());
    return 1;
  }
  if (!rte_eth_dev_is_valid_port(port)) {
    std::fprintf(stderr, "wcstap-feeder: no DPDK port %u (give one with --vdev, e.g. net_memif0,role=server,...)\n",
                 port);
    return 1;
  }

  uint32_t max_caplen = 0;
  for (const Packet& p : mix->pkts) max_caplen = std::max(max_caplen, p.caplen);
  const uint32_t room = RTE_PKTMBUF_HEADROOM + std::max<uint32_t>(max_caplen, 64);
  if (room > UINT16_MAX) {
    std::fprintf(stderr, "wcstap-feeder: %s: a %u-byte frame does not fit an mbuf\n", pcap.c_str(), max_caplen);
    return 1;
  }
  const auto n = static_cast<uint32_t>(mix->pkts.size());
  rte_mempool* pool = rte_pktmbuf_pool_create("feeder", n + 2048, 0, 0, static_cast<uint16_t>(room),
                                              static_cast<int>(rte_socket_id()));
  if (!pool) {
    std::fprintf(stderr, "wcstap-feeder: cannot make a pool of %u mbufs of %u bytes: %s (more -m?)\n", n + 2048,
                 room, rte_strerror(rte_errno));
    return 1;
  }
  std::vector<rte_mbuf*> frames(n);
  if (rte_pktmbuf_alloc_bulk(pool, frames.data(), n) != 0) {
    std::fprintf(stderr, "wcstap-feeder: cannot take %u mbufs from the pool\n", n);
    return 1;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const Packet& p = mix->pkts[i];
    char* dst = rte_pktmbuf_append(frames[i], static_cast<uint16_t>(p.caplen));
    std::memcpy(dst, mix->bytes.data() + p.off, p.caplen);
  }

  rte_eth_conf conf{};
  int rc = rte_eth_dev_configure(port, 1, 1, &conf);
  if (rc == 0) rc = rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr, pool);
  if (rc == 0) rc = rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr);
  if (rc == 0) rc = rte_eth_dev_start(port);
  if (rc != 0) {
    std::fprintf(stderr, "wcstap-feeder: port %u: cannot start: %s\n", port, rte_strerror(-rc));
    return 1;
  }
  std::printf("feeder: %s: %u packets (%zu RTP in %zu streams, %zu TCP), port %u; waiting for a receiver\n",
              pcap.c_str(), n, mix->rtp.size(), mix->streams.size(), mix->tcp.size(), port);
  std::fflush(stdout);

  // Once a second (from the first packet a receiver took): the rate and the share of transmit calls
  // that found the ring full; stops after --seconds. Checked on every transmit call, so a receiver
  // that leaves (the ring stays full) does not hold the feeder past its time.
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t start = 0, last_report = 0, sent_at_report = 0;
  uint64_t sent = 0, calls = 0, short_calls = 0, calls_at_report = 0, short_at_report = 0, busy = 0;
  uint64_t k = 0;
  auto tick = [&] {
    const uint64_t now = rte_get_tsc_cycles();
    if (start == 0) {
      if (sent == 0) return;
      start = last_report = now;
    }
    if (now - last_report < hz) return;
    const double dt = static_cast<double>(now - last_report) / static_cast<double>(hz);
    const uint64_t dc = calls - calls_at_report;
    std::printf("feeder: t=%.0fs tx_pps=%.0f full=%.3f replays=%lu\n",
                static_cast<double>(now - start) / static_cast<double>(hz),
                static_cast<double>(sent - sent_at_report) / dt,
                dc ? static_cast<double>(short_calls - short_at_report) / static_cast<double>(dc) : 0.0,
                static_cast<unsigned long>(k));
    std::fflush(stdout);
    sent_at_report = sent;
    calls_at_report = calls;
    short_at_report = short_calls;
    last_report = now;
    if (seconds != 0 && now - start >= uint64_t{seconds} * hz) g_stop.store(true, std::memory_order_relaxed);
  };
  std::array<rte_mbuf*, kBurst> burst;
  while (!g_stop.load(std::memory_order_relaxed)) {
    for (uint32_t at = 0; at < n && !g_stop.load(std::memory_order_relaxed); at += kBurst) {
      const uint16_t m = static_cast<uint16_t>(std::min<uint32_t>(kBurst, n - at));
      for (uint16_t j = 0; j < m; ++j) {
        rte_mbuf* f = frames[at + j];
        // Still held by the PMD (a zero-copy one): its bytes must not change under it.
        if (rte_mbuf_refcnt_read(f) != 1) ++busy;
        mix->rewrite(mix->pkts[at + j], k, rte_pktmbuf_mtod(f, uint8_t*));
        rte_mbuf_refcnt_update(f, 1);
        burst[j] = f;
      }
      uint16_t done = 0;
      while (done < m && !g_stop.load(std::memory_order_relaxed)) {
        const uint16_t s = rte_eth_tx_burst(port, 0, burst.data() + done, static_cast<uint16_t>(m - done));
        done = static_cast<uint16_t>(done + s);
        sent += s;
        ++calls;
        if (done < m) ++short_calls;
        tick();
      }
      for (uint16_t j = done; j < m; ++j) rte_mbuf_refcnt_update(burst[j], -1);  // stopping: never sent
    }
    ++k;
  }
  std::printf("feeder: sent %lu packets in %lu replays; %lu frames were still held by the PMD when rewritten\n",
              static_cast<unsigned long>(sent), static_cast<unsigned long>(k), static_cast<unsigned long>(busy));
  std::fflush(stdout);
  // Connected still: wait, not sending, for the receiver to leave (the link goes down) before
  // closing, so that neither side's PMD unmaps the rings under the other's polling. A second
  // signal, or --seconds without a receiver ever, ends the wait.
  rte_eth_link link{};
  while (g_signals.load(std::memory_order_relaxed) < 2 && sent != 0 &&
         rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
    rte_delay_us_sleep(10'000);
  std::printf("feeder: %s\n", g_signals.load() >= 2 ? "stopped (second signal)" : "the receiver left");
  std::fflush(stdout);
  rte_eth_dev_stop(port);
  rte_pktmbuf_free_bulk(frames.data(), n);
  return busy == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int used = rte_eal_init(argc, argv);
  if (used < 0) {
    std::fprintf(stderr, "wcstap-feeder: the EAL did not start (its messages above say why)\n");
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  argv[used] = argv[0];
  const int rc = run(argc - used, argv + used);
  rte_eal_cleanup();
  return rc;
}
