// wcstap-analyze: the offline analyzer. Runs a capture file through the same pipeline a dataplane
// worker runs, and prints what it found: operator words, or JSON lines with --json.
#include <pcap/pcap.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <iostream>
#include <vector>

#include "config/config.h"
#include "output/format.h"
#include "pipeline.h"

namespace {

using namespace wcstap;

// The burst size of a dataplane worker: timed work runs as often as there.
constexpr unsigned kBurst = 32;

class PrintingSink : public EventSink {
 public:
  PrintingSink(bool json, bool flows) : json_(json), flows_(flows) {}
  void emit(const Event& ev) override {
    if (json_) {
      std::cout << event_to_json(ev) << '\n';
      return;
    }
    if (std::holds_alternative<FlowEvent>(ev) && !flows_) return;
    std::cout << event_to_text(ev) << '\n';
  }

 private:
  bool json_, flows_;
};

// Returns false when the file could not be read at all. `burst`: frames go through
// Pipeline::process_burst kBurst at a time, as a dataplane worker's do (its look-ahead and
// prefetching), rather than through process() one at a time; the findings are the same.
bool run_file(const std::string& path, Pipeline& pipe, bool burst, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* pc = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!pc) {
    error = errbuf;
    return false;
  }
  int dlt = pcap_datalink(pc);
  auto link = link_type_from_dlt(dlt);
  if (!link) {
    error = std::string("link type ") + (pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?") +
            " (" + std::to_string(dlt) + ") is not supported (ethernet, linux-sll, linux-sll2, raw ip, null)";
    pcap_close(pc);
    return false;
  }
  pcap_pkthdr* hdr;
  const u_char* data;
  unsigned n = 0;
  int rc;
  // A burst's frames, copied: libpcap reuses its buffer for the next frame.
  std::array<std::vector<uint8_t>, kBurst> held;
  std::array<Pipeline::Frame, kBurst> frames;
  unsigned staged = 0;
  auto flush = [&] {
    if (staged == 0) return;
    pipe.process_burst(*link, {frames.data(), staged});
    pipe.advance(frames[staged - 1].ts);
    staged = 0;
  };
  while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
    Nanos ts = static_cast<Nanos>(hdr->ts.tv_sec) * 1000000000ull + static_cast<Nanos>(hdr->ts.tv_usec);
    ++n;
    if (burst) {
      held[staged].assign(data, data + hdr->caplen);
      frames[staged] = {ts, held[staged], hdr->len};
      if (++staged == kBurst) flush();
      continue;
    }
    pipe.process(*link, ts, {data, hdr->caplen}, hdr->len);
    if (n % kBurst == 0) pipe.advance(ts);
  }
  flush();
  if (rc == -1) error = std::string("read error after ") + std::to_string(n) + " packets: " + pcap_geterr(pc);
  pcap_close(pc);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wcstap-analyze: find WCS media and signalling faults in capture files (pcap, pcapng)"};
  std::vector<std::string> files;
  std::string config_path, keys_path;
  bool json = false, flows = false, concat = false, burst = false;
  app.add_option("captures", files, "capture files (pcap or pcapng)")->required()->check(CLI::ExistingFile);
  app.add_option("-c,--config", config_path, "YAML config (default: built-in defaults)");
  app.add_option("--srtp-keys", keys_path, "YAML file of SRTP keys (an srtp: section, as in the config)")
      ->check(CLI::ExistingFile);
  app.add_flag("--json", json, "JSON lines: anomaly, rtp_stream, flow, summary");
  app.add_flag("--flows", flows, "also list every flow in the human output");
  app.add_flag("--concat", concat, "treat the files as one capture cut in pieces (tcpdump -C/-G)");
  app.add_flag("--burst", burst,
               "read frames in bursts of 32, as a dataplane worker does (Pipeline::process_burst): the same "
               "findings, through the worker's code path");
  CLI11_PARSE(app, argc, argv);

  Config cfg;
  try {
    cfg = config_path.empty() ? default_config() : load_config(config_path);
    if (!keys_path.empty()) load_srtp_keys(keys_path, cfg.srtp);
  } catch (const ConfigError& e) {
    std::cerr << "wcstap-analyze: bad config: " << e.what() << '\n';
    return 2;
  }

  std::ios::sync_with_stdio(false);
  PrintingSink sink(json, flows);
  int status = 0;
  auto report = [&](const PipelineCounters& c, const std::string& name) {
    if (json) {
      std::cout << summary_to_json(c, {"file", name}) << '\n';
    } else {
      std::cout << name << ": " << summary_to_text(c) << '\n';
    }
  };

  std::unique_ptr<Pipeline> pipe;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!pipe) {
      try {
        pipe = std::make_unique<Pipeline>(cfg, sink);
      } catch (const std::exception& e) {  // libsrtp refusing a key (named by index, never shown)
        std::cerr << "wcstap-analyze: " << e.what() << '\n';
        return 2;
      }
    }
    if (!json) std::cout << "== " << files[i] << '\n';
    std::string error;
    bool ok = run_file(files[i], *pipe, burst, error);
    if (!error.empty()) {
      std::cerr << "wcstap-analyze: " << files[i] << ": " << error << '\n';
      status = 1;
    }
    if (!ok) continue;
    if (!concat || i + 1 == files.size()) {
      pipe->finish();
      report(pipe->counters(), concat ? files.front() + (files.size() > 1 ? "..." : "") : files[i]);
      pipe.reset();
    }
  }
  std::cout.flush();
  return status;
}
