#include "telemetry.h"

#include <cstdlib>
#include <mutex>

#include <rte_telemetry.h>
#include <spdlog/spdlog.h>

namespace wcstap::dp {

namespace {

struct TelemetryState {
  std::mutex mutex;
  std::string tap_id;
  TapStatsSample sample;
  bool have = false;
};
TelemetryState& state() {
  static TelemetryState s;
  return s;
}

// "/wcstap/port,3": the number after the comma; -1 when missing or not a number.
long param_number(const char* params) {
  if (params == nullptr || *params == '\0') return -1;
  char* end = nullptr;
  const long v = std::strtol(params, &end, 10);
  return (end == params || *end != '\0' || v < 0) ? -1 : v;
}

void add_u64(rte_tel_data* d, const char* name, uint64_t v) { rte_tel_data_add_dict_u64(d, name, v); }

int on_stats(const char*, const char*, rte_tel_data* d) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  const TapStatsSample& s = st.sample;
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "tap_id", st.tap_id.c_str());
  add_u64(d, "uptime_ms", s.uptime_ns / 1'000'000);
  uint64_t rx = 0, rx_bytes = 0, imissed = 0, ierrors = 0, nombuf = 0, tx = 0, oerrors = 0;
  for (const auto& p : s.ports) {
    rx += p.counters.rx_packets;
    rx_bytes += p.counters.rx_bytes;
    imissed += p.counters.imissed;
    ierrors += p.counters.ierrors;
    nombuf += p.counters.rx_nombuf;
    tx += p.counters.tx_packets;
    oerrors += p.counters.oerrors;
  }
  uint64_t handoff_drops = 0, tx_drops = 0, ring_drops = 0, published = 0;
  for (const auto& w : s.workers) {
    handoff_drops += w.counters.handoff_drops;
    tx_drops += w.counters.tx_drops;
    ring_drops += w.ring_drops;
    published += w.events_published;
  }
  add_u64(d, "ports", s.ports.size());
  add_u64(d, "workers", s.workers.size());
  add_u64(d, "rx_packets", rx);
  add_u64(d, "rx_bytes", rx_bytes);
  add_u64(d, "imissed", imissed);
  add_u64(d, "ierrors", ierrors);
  add_u64(d, "rx_nombuf", nombuf);
  add_u64(d, "tx_packets", tx);
  add_u64(d, "oerrors", oerrors);
  add_u64(d, "tx_drops", tx_drops);
  add_u64(d, "handoff_drops", handoff_drops);
  add_u64(d, "flow_table_full", s.totals.flow_table_full);
  add_u64(d, "event_ring_drops", ring_drops);
  add_u64(d, "publish_drops", s.publish_drops);
  add_u64(d, "packets_analysed", s.totals.packets);
  add_u64(d, "malformed", s.totals.malformed);
  add_u64(d, "flows_created", s.totals.flows_created);
  add_u64(d, "flows_expired", s.totals.flows_expired);
  add_u64(d, "rtp_packets", s.totals.rtp_packets);
  add_u64(d, "rtp_streams", s.totals.rtp_streams);
  add_u64(d, "anomalies_raised", s.totals.anomalies_raised);
  add_u64(d, "events", s.totals.events);
  add_u64(d, "events_published", published);
  return 0;
}

int on_ports(const char*, const char*, rte_tel_data* d) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
  for (const auto& p : st.sample.ports) rte_tel_data_add_array_int(d, p.port_id);
  return 0;
}

rte_tel_data* u64_array(const std::vector<uint64_t>& v) {
  rte_tel_data* a = rte_tel_data_alloc();
  if (a == nullptr) return nullptr;
  rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
  for (uint64_t x : v) rte_tel_data_add_array_u64(a, x);
  return a;
}

int on_port(const char*, const char* params, rte_tel_data* d) {
  const long id = param_number(params);
  auto& st = state();
  std::lock_guard lock(st.mutex);
  for (const auto& p : st.sample.ports) {
    if (p.port_id != id) continue;
    const PortCounters& c = p.counters;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "name", p.name.c_str());
    add_u64(d, "rx_packets", c.rx_packets);
    add_u64(d, "rx_bytes", c.rx_bytes);
    add_u64(d, "imissed", c.imissed);
    add_u64(d, "ierrors", c.ierrors);
    add_u64(d, "rx_nombuf", c.rx_nombuf);
    add_u64(d, "tx_packets", c.tx_packets);
    add_u64(d, "tx_bytes", c.tx_bytes);
    add_u64(d, "oerrors", c.oerrors);
    add_u64(d, "mbufs", c.mbufs);
    add_u64(d, "mbufs_in_use", c.mbufs_in_use);
    if (rte_tel_data* q = u64_array(c.rx_queue_packets)) rte_tel_data_add_dict_container(d, "rx_queue_packets", q, 0);
    if (rte_tel_data* q = u64_array(c.rx_queue_bytes)) rte_tel_data_add_dict_container(d, "rx_queue_bytes", q, 0);
    return 0;
  }
  return -1;  // telemetry answers null: no such port
}

int on_workers(const char*, const char*, rte_tel_data* d) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
  for (const auto& w : st.sample.workers) rte_tel_data_add_array_int(d, w.index);
  return 0;
}

int on_worker(const char*, const char* params, rte_tel_data* d) {
  const long n = param_number(params);
  auto& st = state();
  std::lock_guard lock(st.mutex);
  for (const auto& w : st.sample.workers) {
    if (w.index != n) continue;
    rte_tel_data_start_dict(d);
    add_u64(d, "lcore", w.lcore);
    add_u64(d, "rx_packets", w.counters.rx_packets);
    add_u64(d, "rx_bytes", w.counters.rx_bytes);
    add_u64(d, "handed_off", w.counters.handed_off);
    add_u64(d, "handoff_drops", w.counters.handoff_drops);
    add_u64(d, "inbox_packets", w.counters.inbox_packets);
    add_u64(d, "tx_packets", w.counters.tx_packets);
    add_u64(d, "tx_drops", w.counters.tx_drops);
    add_u64(d, "multiseg", w.counters.multiseg);
    add_u64(d, "truncated", w.counters.truncated);
    add_u64(d, "busy_cycles", w.counters.busy_cycles);
    add_u64(d, "cycles", w.counters.cycles);
    add_u64(d, "load_permille", w.counters.load_permille());
    add_u64(d, "packets_analysed", w.pipeline.packets);
    add_u64(d, "flows_created", w.pipeline.flows_created);
    add_u64(d, "flow_table_full", w.pipeline.flow_table_full);
    add_u64(d, "rtp_streams", w.pipeline.rtp_streams);
    add_u64(d, "events", w.pipeline.events);
    add_u64(d, "event_ring_drops", w.ring_drops);
    add_u64(d, "events_published", w.events_published);
    return 0;
  }
  return -1;
}

}  // namespace

bool register_telemetry(const std::string& tap_id) {
  state().tap_id = tap_id;
  struct Command {
    const char* name;
    telemetry_cb fn;
    const char* help;
  };
  const Command commands[] = {
      {"/wcstap/stats", on_stats, "The tap's totals: packets, drops by where, events. No parameters"},
      {"/wcstap/ports", on_ports, "The tap's port ids. No parameters"},
      {"/wcstap/port", on_port, "One port's counters and RX queues. Parameters: int port_id"},
      {"/wcstap/workers", on_workers, "The tap's worker numbers. No parameters"},
      {"/wcstap/worker", on_worker, "One worker's queues, hand-off, TX, load and analysis. Parameters: int worker"},
  };
  bool ok = true;
  for (const auto& c : commands) {
    const int rc = rte_telemetry_register_cmd(c.name, c.fn, c.help);
    if (rc != 0) {
      spdlog::warn("telemetry: cannot register {}: {}", c.name, rc);
      ok = false;
    }
  }
  return ok;
}

void update_telemetry(const TapStatsSample& s) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  st.sample = s;
  st.have = true;
}

}  // namespace wcstap::dp
