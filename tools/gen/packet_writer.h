// Classic pcap output (DLT_EN10MB, microsecond timestamps) through libpcap.
#pragma once

#include <cstdint>
#include <string>

#include "bytes.h"

struct pcap;
struct pcap_dumper;

namespace wcsgen {

class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // t_us: absolute time, microseconds since the Unix epoch.
  void write(std::int64_t t_us, ByteView frame);
  void close();
  std::uint64_t frames() const { return frames_; }

 private:
  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  std::uint64_t frames_ = 0;
};

}  // namespace wcsgen
