#include "port.h"

#include <algorithm>
#include <array>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace wcstap::dp {

namespace {

constexpr uint32_t kMempoolCache = 256;

std::string errstr(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

int port_socket(uint16_t port_id) {
  const int s = rte_eth_dev_socket_id(port_id);
  return s < 0 ? static_cast<int>(SOCKET_ID_ANY) : s;
}

}  // namespace

std::vector<Port> select_ports(const DataplaneConfig& cfg) {
  std::vector<Port> ports;
  auto describe = [](uint16_t id) {
    Port p;
    p.port_id = id;
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    if (rte_eth_dev_get_name_by_port(id, name) == 0) p.name = name;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(id, &info) == 0) {
      if (info.driver_name != nullptr) p.driver = info.driver_name;
      p.max_rx_queues = info.max_rx_queues;
      p.max_tx_queues = info.max_tx_queues;
      p.rss_offloads = info.flow_type_rss_offloads;
    }
    return p;
  };
  if (cfg.ports.empty()) {
    uint16_t id;
    RTE_ETH_FOREACH_DEV(id) ports.push_back(describe(id));
    if (ports.empty())
      throw SetupError(
          "no DPDK port found: bind a NIC to a DPDK driver or give a virtual device, e.g. "
          "--vdev net_pcap0,rx_pcap=FILE or --vdev net_af_packet0,iface=eth0");
    return ports;
  }
  for (const auto& name : cfg.ports) {
    uint16_t id;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
      std::string known;
      uint16_t k;
      RTE_ETH_FOREACH_DEV(k) {
        char n[RTE_ETH_NAME_MAX_LEN] = {};
        if (rte_eth_dev_get_name_by_port(k, n) == 0) known += (known.empty() ? "" : ", ") + std::string(n);
      }
      throw SetupError("dataplane.ports names '" + name + "', which is not a DPDK port (ports: " +
                       (known.empty() ? "none" : known) + ")");
    }
    if (std::any_of(ports.begin(), ports.end(), [&](const Port& p) { return p.port_id == id; }))
      throw SetupError("dataplane.ports names '" + name + "' twice");
    ports.push_back(describe(id));
  }
  if (cfg.mode == DataplaneMode::Inline)
    for (size_t i = 0; i + 1 < ports.size(); i += 2) {
      ports[i].peer = static_cast<int>(i + 1);
      ports[i + 1].peer = static_cast<int>(i);
    }
  return ports;
}

uint64_t rss_types(BalanceBy by) {
  return by == BalanceBy::HostPair ? RTE_ETH_RSS_IP : (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
}

std::vector<uint8_t> symmetric_rss_key(size_t bytes) {
  std::vector<uint8_t> key(bytes);
  for (size_t i = 0; i < key.size(); ++i) key[i] = (i % 2 == 0) ? 0x6d : 0x5a;
  return key;
}

QueuePlan plan_queues(const std::vector<Port>& ports, const DataplaneConfig& cfg) {
  QueuePlan plan;
  if (cfg.workers == 1) return plan;
  for (const auto& p : ports) {
    if ((p.rss_offloads & rss_types(cfg.balance)) == 0) {
      plan.why = "port " + p.name + " (" + p.driver + ") has no RSS";
      return plan;
    }
    if (p.max_rx_queues < cfg.workers) {
      plan.why = "port " + p.name + " (" + p.driver + ") has " + std::to_string(p.max_rx_queues) +
                 " RX queue(s) for " + std::to_string(cfg.workers) + " workers";
      return plan;
    }
  }
  plan.rss = true;
  return plan;
}

void start_port(Port& port, const DataplaneConfig& cfg, const QueuePlan& plan) {
  const uint16_t id = port.port_id;
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(id, &info);
  if (rc != 0) throw SetupError("port " + port.name + ": cannot read device info: " + errstr(rc));

  const uint16_t nq = plan.rss ? cfg.workers : std::max<uint16_t>(1, std::min(cfg.workers, info.max_rx_queues));
  if (nq > info.max_rx_queues)
    throw SetupError("port " + port.name + " (" + port.driver + ") has at most " +
                     std::to_string(info.max_rx_queues) + " RX queue(s), " + std::to_string(nq) + " wanted");
  // In-line: a TX queue per worker when the device has them; fewer are shared under a lock. A
  // mirror port gets one it never uses: rte_pdump (dpdk-dumpcap) refuses a port without TX queues.
  uint16_t ntx = info.max_tx_queues > 0 ? 1 : 0;
  if (cfg.mode == DataplaneMode::Inline) {
    if (info.max_tx_queues == 0) throw SetupError("port " + port.name + " (" + port.driver + ") cannot transmit: not usable in-line");
    ntx = std::min<uint16_t>(cfg.workers, info.max_tx_queues);
  }

  rte_eth_conf conf{};
  std::vector<uint8_t> rss_key;
  if (plan.rss) {
    rss_key = symmetric_rss_key(info.hash_key_size > 0 ? info.hash_key_size : 40);
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = rss_key.data();
    conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(rss_key.size());
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & rss_types(cfg.balance);
  }
  if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
  if (ntx > 0 && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS))
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;  // chained mbufs go out as they came in

  rc = rte_eth_dev_configure(id, nq, ntx, &conf);
  if (rc != 0) throw SetupError("port " + port.name + ": rte_eth_dev_configure failed: " + errstr(rc));

  uint16_t nb_rxd = cfg.rx_descriptors, nb_txd = cfg.rx_descriptors;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);
  if (rc != 0) throw SetupError("port " + port.name + ": cannot adjust descriptor counts: " + errstr(rc));

  // Every RX descriptor holds an mbuf, plus a burst in flight and a cache per lcore; in-line, the
  // TX descriptors of the peer hold this port's mbufs too, and each worker's inbox may.
  const uint64_t needed = static_cast<uint64_t>(nq) * (nb_rxd + kBurstSize) + kMempoolCache * (rte_lcore_count() + 1) +
                          (cfg.mode == DataplaneMode::Inline ? static_cast<uint64_t>(ntx) * nb_txd : 0);
  if (cfg.mbufs < needed)
    throw SetupError("port " + port.name + ": dataplane.mbufs (" + std::to_string(cfg.mbufs) +
                     ") is too small for " + std::to_string(nq) + " RX queue(s) of " + std::to_string(nb_rxd) +
                     " descriptors" + (ntx > 0 ? " and " + std::to_string(ntx) + " TX queue(s)" : std::string()) +
                     "; need at least " + std::to_string(needed));

  const std::string pool_name = "mbuf_p" + std::to_string(id);
  port.pool = rte_pktmbuf_pool_create(pool_name.c_str(), cfg.mbufs, kMempoolCache, 0,
                                      static_cast<uint16_t>(cfg.mbuf_data_room + RTE_PKTMBUF_HEADROOM), port_socket(id));
  if (port.pool == nullptr)
    throw SetupError("port " + port.name + ": cannot create a pool of " + std::to_string(cfg.mbufs) +
                     " mbufs: " + errstr(rte_errno) + " (raise -m / hugepages or lower dataplane.mbufs)");

  rte_eth_rxconf rxconf = info.default_rxconf;
  rxconf.offloads = conf.rxmode.offloads;
  for (uint16_t q = 0; q < nq; ++q) {
    rc = rte_eth_rx_queue_setup(id, q, nb_rxd, static_cast<unsigned>(port_socket(id)), &rxconf, port.pool);
    if (rc != 0)
      throw SetupError("port " + port.name + ": RX queue " + std::to_string(q) + " setup failed: " + errstr(rc));
  }
  rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = conf.txmode.offloads;
  for (uint16_t q = 0; q < ntx; ++q) {
    rc = rte_eth_tx_queue_setup(id, q, nb_txd, static_cast<unsigned>(port_socket(id)), &txconf);
    if (rc != 0)
      throw SetupError("port " + port.name + ": TX queue " + std::to_string(q) + " setup failed: " + errstr(rc));
  }
  rc = rte_eth_dev_start(id);
  if (rc != 0) throw SetupError("port " + port.name + ": cannot start: " + errstr(rc));
  port.started = true;
  port.rx_queues = nq;
  port.tx_queues = cfg.mode == DataplaneMode::Inline ? ntx : 0;
  port.rss = plan.rss;

  rc = rte_eth_promiscuous_enable(id);
  if (rc != 0 && rc != -ENOTSUP)
    spdlog::warn("port {}: cannot enable promiscuous mode: {}", port.name, errstr(rc));
  rte_eth_stats_reset(id);
  spdlog::info("port {} ({}, id {}): {} RX queue(s) of {} descriptors{}{}", port.name, port.driver, id, nq, nb_rxd,
               plan.rss ? ", symmetric RSS" : "",
               port.tx_queues > 0 ? fmt::format(", {} TX queue(s) of {} descriptors", ntx, nb_txd) : std::string());
}

void stop_port(Port& port) {
  if (port.started) {
    const int rc = rte_eth_dev_stop(port.port_id);
    if (rc != 0) spdlog::warn("port {}: stop failed: {}", port.name, errstr(rc));
    port.started = false;
  }
  rte_eth_dev_close(port.port_id);
  if (port.pool != nullptr) {
    rte_mempool_free(port.pool);
    port.pool = nullptr;
  }
}

PortCounters read_port_counters(const Port& port) {
  PortCounters c;
  rte_eth_stats s{};
  if (rte_eth_stats_get(port.port_id, &s) == 0) {
    c.rx_packets = s.ipackets;
    c.rx_bytes = s.ibytes;
    c.imissed = s.imissed;
    c.ierrors = s.ierrors;
    c.rx_nombuf = s.rx_nombuf;
    c.tx_packets = s.opackets;
    c.tx_bytes = s.obytes;
    c.oerrors = s.oerrors;
    // The device's own per-queue counts (the first RTE_ETHDEV_QUEUE_STAT_CNTRS queues).
    const uint16_t nq = std::min<uint16_t>(port.rx_queues, RTE_ETHDEV_QUEUE_STAT_CNTRS);
    c.rx_queue_packets.assign(s.q_ipackets, s.q_ipackets + nq);
    c.rx_queue_bytes.assign(s.q_ibytes, s.q_ibytes + nq);
  }
  if (port.pool != nullptr) {
    c.mbufs = port.pool->size;
    c.mbufs_in_use = rte_mempool_in_use_count(port.pool);
  }
  return c;
}

}  // namespace wcstap::dp
