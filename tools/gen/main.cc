// wcstap-gen: writes a synthetic WCS capture (pcap) for a named scenario, the
// ground truth a correct wcstap must report for it (JSON) and, if asked, the
// SRTP keys that decrypt its media (YAML) and the wcstap config it is to be
// analysed with (YAML: a scenario's own user signatures). With --mix it writes one of the
// line-rate benchmark's traffic mixes instead (mixes.h): no truth, a JSON summary on stdout.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>

#include "capture.h"
#include "key_file.h"
#include "mixes.h"
#include "scenarios.h"
#include "tap_config.h"
#include "truth.h"

namespace {

// --list prints bare names, one per line (scripts iterate over them);
// the descriptions are in --help.
void list_scenarios() {
  for (const auto& s : wcsgen::all_scenarios()) std::cout << s.name << "\n";
}

std::string scenario_help() {
  std::string help = "Scenario to generate:";
  for (const auto& s : wcsgen::all_scenarios()) {
    char min[32];
    std::snprintf(min, sizeof min, "%g", s.min_duration_s);
    help += "\n  " + std::string(s.name) + ": " + std::string(s.description) + " (--duration >= " + min + ")";
  }
  return help;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wcstap-gen: synthetic Web Call Server captures with ground truth"};
  bool list = false;
  std::string scenario_name;
  std::string out_path;
  std::string truth_path;
  std::string keys_path;
  std::string config_path;
  wcsgen::ScenarioParams params;
  app.add_flag("--list", list, "Print the scenario names, one per line, and exit");
  app.add_option("--scenario", scenario_name, scenario_help());
  app.add_option("--out", out_path, "Output capture (pcap, Ethernet, microsecond timestamps)");
  app.add_option("--truth", truth_path, "Output ground truth (JSON)");
  app.add_option("--keys", keys_path,
                 "Output SRTP master keys of the capture's streams (YAML; 'keys: []' when it has no SRTP)");
  app.add_option("--tap-config", config_path,
                 "Output the wcstap config the capture is to be analysed with (YAML: the scenario's user "
                 "signatures, 'signatures: []' when it has none; defaults for the rest)");
  app.add_option("--seed", params.seed, "Random seed (same seed, same output)")->capture_default_str();
  CLI::Option* duration =
      app.add_option("--duration", params.duration_s,
                     "Length of each session in seconds (left out: this default, or the scenario's minimum "
                     "where that is longer)")
          ->capture_default_str()
          ->check(CLI::Range(1.0, 3600.0));
  std::string mix_name;
  wcsgen::MediaMixParams media;
  wcsgen::FlowMixParams flow_mix;
  CLI::Option* mix_packets = nullptr;
  CLI::Option* mix_flows = nullptr;
  app.add_option("--mix", mix_name,
                 "Write a line-rate benchmark mix instead of a scenario (needs only --out; prints a JSON "
                 "summary):\n  media: --sessions WebRTC sessions for --seconds, audio + video\n"
                 "  small: 64-byte frames (60 captured) round-robin over --flows flows, --packets of them\n"
                 "  flows: --flows distinct UDP 5-tuples round-robin, --packets small SRTP-looking audio "
                 "packets (default max(--flows, 2097152))")
      ->check(CLI::IsMember({"media", "small", "flows"}));
  app.add_option("--sessions", media.sessions, "media mix: concurrent WebRTC sessions")->capture_default_str();
  app.add_option("--seconds", media.seconds, "media mix: seconds of traffic")->capture_default_str();
  mix_flows = app.add_option("--flows", flow_mix.flows, "small/flows mix: distinct 5-tuples (small: default 1024)");
  mix_packets = app.add_option("--packets", flow_mix.packets, "small/flows mix: packets (small: default 1048576)");
  CLI11_PARSE(app, argc, argv);

  if (!mix_name.empty()) {
    if (out_path.empty()) {
      std::cerr << "wcstap-gen: --mix needs --out\n";
      return 2;
    }
    try {
      wcsgen::MixSummary sum;
      media.seed = params.seed;
      flow_mix.seed = params.seed;
      if (mix_name == "media") {
        sum = wcsgen::write_media_mix(media, out_path);
      } else if (mix_name == "small") {
        sum = wcsgen::write_small_mix(flow_mix, out_path);
      } else {
        if (mix_flows->count() == 0) {
          std::cerr << "wcstap-gen: --mix flows needs --flows\n";
          return 2;
        }
        if (mix_packets->count() == 0) flow_mix.packets = std::max<std::uint64_t>(flow_mix.flows, 1u << 21);
        sum = wcsgen::write_flows_mix(flow_mix, out_path);
      }
      std::cout << wcsgen::summary_json(mix_name, sum) << "\n";
    } catch (const std::exception& e) {
      std::cerr << "wcstap-gen: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }

  if (list) {
    list_scenarios();
    return 0;
  }
  if (scenario_name.empty() || out_path.empty() || truth_path.empty()) {
    std::cerr << "wcstap-gen: --scenario, --out and --truth are required (see --help, --list)\n";
    return 2;
  }
  const wcsgen::ScenarioDef* def = wcsgen::find_scenario(scenario_name);
  if (def == nullptr) {
    std::cerr << "wcstap-gen: unknown scenario '" << scenario_name << "' (try --list)\n";
    return 2;
  }
  // A scenario whose fault needs a longer session gets it unless a duration was asked for.
  if (duration->count() == 0) params.duration_s = std::max(params.duration_s, def->min_duration_s);
  if (params.duration_s < def->min_duration_s) {
    std::cerr << "wcstap-gen: scenario '" << def->name << "' needs --duration >= " << def->min_duration_s << "\n";
    return 2;
  }

  try {
    wcsgen::Capture cap(wcsgen::kWcsIp);
    const auto anomalies = def->build(params, cap);
    cap.protect_srtp();  // sorts too
    cap.relay_turn();    // relayed sessions' packets onto their TURN flows
    const std::uint64_t frames = cap.write_pcap(out_path);
    const auto truth = wcsgen::make_truth(std::string(def->name), params, cap, anomalies, frames);
    std::ofstream f(truth_path);
    f << truth.dump(2) << "\n";
    f.close();
    if (!f) {
      std::cerr << "wcstap-gen: cannot write " << truth_path << "\n";
      return 1;
    }
    if (!keys_path.empty()) wcsgen::write_key_file(keys_path, cap);
    if (!config_path.empty()) wcsgen::write_tap_config(config_path, cap);
  } catch (const std::exception& e) {
    std::cerr << "wcstap-gen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
