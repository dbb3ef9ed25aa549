#include "tap_config.h"

#include <fstream>
#include <stdexcept>

namespace wcsgen {

namespace {

// A YAML single-quoted scalar: nothing is an escape in it but '' for a quote.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

void write_tap_config(const std::string& path, const Capture& cap) {
  std::ofstream f(path);
  f << "# wcstap config for this capture (wcstap-gen --tap-config): the scenario's settings, defaults otherwise\n";
  f << (cap.signatures().empty() ? "signatures: []\n" : "signatures:\n");
  for (const UserSignature& s : cap.signatures()) {
    f << "  - id: " << s.id << "\n"
      << "    name: " << quoted(s.name) << "\n"
      << "    pattern: " << quoted(s.pattern) << "\n"
      << "    severity: " << s.severity << "\n";
    if (s.ports.empty()) continue;
    f << "    ports: [";
    for (std::size_t i = 0; i < s.ports.size(); ++i) {
      const auto [from, to] = s.ports[i];
      f << (i ? ", " : "") << '\'' << from;
      if (to != from) f << '-' << to;
      f << '\'';
    }
    f << "]\n";
  }
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace wcsgen
