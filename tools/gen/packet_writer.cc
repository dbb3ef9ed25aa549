#include "packet_writer.h"

#include <pcap/pcap.h>

#include <stdexcept>

namespace wcsgen {

namespace {
constexpr int kSnapLen = 262144;
}

PcapWriter::PcapWriter(const std::string& path) {
  handle_ = pcap_open_dead(DLT_EN10MB, kSnapLen);
  if (handle_ == nullptr) throw std::runtime_error("pcap_open_dead failed");
  dumper_ = pcap_dump_open(handle_, path.c_str());
  if (dumper_ == nullptr) {
    std::string err = pcap_geterr(handle_);
    pcap_close(handle_);
    handle_ = nullptr;
    throw std::runtime_error("cannot open " + path + ": " + err);
  }
}

PcapWriter::~PcapWriter() { close(); }

void PcapWriter::write(std::int64_t t_us, ByteView frame) {
  if (dumper_ == nullptr) throw std::logic_error("PcapWriter used after close");
  if (t_us < 0) throw std::invalid_argument("negative timestamp");
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(t_us / 1000000);
  hdr.ts.tv_usec = static_cast<suseconds_t>(t_us % 1000000);
  hdr.caplen = static_cast<bpf_u_int32>(frame.size());
  hdr.len = static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, frame.data());
  ++frames_;
}

void PcapWriter::close() {
  if (dumper_ != nullptr) {
    const bool failed = pcap_dump_flush(dumper_) != 0;
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
    if (handle_ != nullptr) pcap_close(handle_);
    handle_ = nullptr;
    if (failed) throw std::runtime_error("pcap write failed");
  }
  if (handle_ != nullptr) {
    pcap_close(handle_);
    handle_ = nullptr;
  }
}

}  // namespace wcsgen
