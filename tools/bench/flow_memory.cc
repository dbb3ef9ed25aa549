// wcstap-flow-memory: how many bytes one worker's Pipeline allocates at start for a config's flow
// capacity, measured (glibc mallinfo2: heap bytes in use before and after constructing it, plus
// the tables of 2 MB or more mapped on their own for huge pages, each rounded up to 2 MB).
// Everything sized by flows.capacity and flows.rtp_streams (flow table buckets, media pool, RTP
// stream and RTCP tables, DTLS and session pools) is preallocated there, so this is the memory a
// worker commits per flow, whatever the traffic. Allocated pages the kernel has not touched yet
// count too.
//
//   wcstap-flow-memory [--config FILE] [--flows N] [--streams-per-flow K]
//
// --flows=N sets flows.capacity to N and flows.rtp_streams to K*N (K 2 unless given) over the
// config's. Prints one JSON line: capacity, rtp_streams, bytes (the whole pipeline), base_bytes
// (the same config at the smallest capacity, 16 flows and 16 streams: what does not scale with
// flows: signalling reassembly, Hyperscan scratch...) and bytes_per_flow = (bytes - base_bytes) /
// capacity, its RTP streams' share included.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "config/config.h"
#include "flow/table_memory.h"
#include "event.h"
#include "pipeline.h"

namespace {

class NullSink : public wcstap::EventSink {
 public:
  void emit(const wcstap::Event&) override {}
};

size_t heap_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  // small chunks in use + chunks malloc mapped + the big tables (TableVector maps them itself)
  return mi.uordblks + mi.hblkhd + wcstap::table_memory::mapped_bytes();
}

// Heap bytes a Pipeline built from `cfg` holds once constructed.
size_t pipeline_bytes(const wcstap::Config& cfg) {
  NullSink sink;
  const size_t before = heap_in_use();
  wcstap::Pipeline pipe(cfg, sink);
  return heap_in_use() - before;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  unsigned long long flows = 0;
  unsigned long long streams_per_flow = 2;
  CLI::App app{"wcstap-flow-memory: bytes one worker's pipeline preallocates per flow", "wcstap-flow-memory"};
  app.add_option("--config", config_path, "YAML configuration (default: built-in defaults)");
  app.add_option("--flows", flows, "flows.capacity (and flows.rtp_streams = K x N)")->check(CLI::Range(16ull, 1ull << 30));
  app.add_option("--streams-per-flow", streams_per_flow, "K")->check(CLI::Range(1ull, 64ull))->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    wcstap::Config cfg = config_path.empty() ? wcstap::default_config() : wcstap::load_config(config_path);
    if (flows != 0) {
      cfg.flows.capacity = static_cast<uint32_t>(flows);
      cfg.flows.rtp_streams = static_cast<uint32_t>(std::max<unsigned long long>(16, streams_per_flow * flows));
    }
    wcstap::Config base = cfg;
    base.flows.capacity = 16;
    base.flows.rtp_streams = 16;
    const size_t bytes = pipeline_bytes(cfg);
    const size_t base_bytes = pipeline_bytes(base);
    const double per_flow =
        bytes > base_bytes ? static_cast<double>(bytes - base_bytes) / cfg.flows.capacity : 0.0;
    std::printf("{\"capacity\":%u,\"rtp_streams\":%u,\"bytes\":%zu,\"base_bytes\":%zu,\"bytes_per_flow\":%.1f}\n",
                cfg.flows.capacity, cfg.flows.rtp_streams, bytes, base_bytes, per_flow);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wcstap-flow-memory: %s\n", e.what());
    return 1;
  }
  return 0;
}
