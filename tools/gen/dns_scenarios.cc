#include "dns_scenarios.h"

#include <cstdio>
#include <optional>
#include <string>

#include "rng.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kSec = 1000000;
constexpr std::int64_t kMs = 1000;
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeSoa = 6;
constexpr std::uint16_t kClassIn = 1;
constexpr std::uint8_t kRcodeNxDomain = 3;

void put_name(Bytes& b, const std::string& name) {
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    put8(b, static_cast<std::uint8_t>(dot - start));
    append(b, std::string_view(name).substr(start, dot - start));
    start = dot + 1;
  }
  put8(b, 0);
}

// A standard query for `name` (recursion desired), one question.
Bytes dns_query(std::uint16_t id, const std::string& name, std::uint16_t qtype) {
  Bytes b;
  put16(b, id);
  put16(b, 0x0100);  // RD
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0);
  put_name(b, name);
  put16(b, qtype);
  put16(b, kClassIn);
  return b;
}

// The resolver's answer: an A record (rcode 0), or NXDOMAIN with the zone's SOA in authority.
Bytes dns_answer(std::uint16_t id, const std::string& name, std::optional<Ipv4Addr> a, std::uint8_t rcode,
                 const std::string& zone) {
  Bytes b;
  put16(b, id);
  put16(b, static_cast<std::uint16_t>(0x8180 | rcode));  // QR, RD, RA
  put16(b, 1);
  put16(b, a ? 1 : 0);
  put16(b, a ? 0 : 1);
  put16(b, 0);
  put_name(b, name);
  put16(b, kTypeA);
  put16(b, kClassIn);
  if (a) {
    put16(b, 0xc00c);  // the question's name
    put16(b, kTypeA);
    put16(b, kClassIn);
    put32(b, 60);
    put16(b, 4);
    put32(b, a->v);
  } else {
    put_name(b, zone);
    put16(b, kTypeSoa);
    put16(b, kClassIn);
    put32(b, 900);
    Bytes rdata;
    put_name(rdata, "ns1." + zone);
    put_name(rdata, "hostmaster." + zone);
    put32(rdata, 2026010101);
    put32(rdata, 7200);
    put32(rdata, 3600);
    put32(rdata, 1209600);
    put32(rdata, 300);
    put16(b, static_cast<std::uint16_t>(rdata.size()));
    append(b, rdata);
  }
  return b;
}

enum class Fault { kNone, kSlow, kNxDomain, kLost };

struct DnsRun {
  std::vector<Anomaly> anomalies;
  int queries = 0;   // sent, a query sent again included
  int answers = 0;
  int failures = 0;  // NXDOMAIN/SERVFAIL/REFUSED answers and queries never answered (a slow one is answered)
};

// WCS's lookups of its backend, every second (+-20 ms) for the session's duration, each from a new
// ephemeral port; the resolver 1-3 ms away answers after 2-10 ms (150-300 ms when slow). The fault
// picks one query (the 3rd-5th) for NXDOMAIN (a second name, mistyped in a hook URL) or a lost answer.
DnsRun resolve_loop(const ScenarioParams& p, Capture& cap, std::uint64_t salt, Fault fault) {
  Rng rng(p.seed ^ salt);
  const Endpoint resolver{Ipv4Addr::of(192, 0, 2, static_cast<std::uint8_t>(rng.range(2, 19))), 53};
  cap.set_remote_ttl(resolver.ip, static_cast<std::uint8_t>(64 - rng.range(1, 4)));
  const Ipv4Addr backend = Ipv4Addr::of(203, 0, 113, static_cast<std::uint8_t>(rng.range(2, 250)));
  const std::string zone = "example.com";
  const std::string name = "backend." + zone;
  const std::string bad_name = "hooks-backend." + zone;
  const std::int64_t rtt = 2 * rng.range(1 * kMs, 3 * kMs);
  const int n = std::max(3, static_cast<int>(p.duration_s));
  const int special = static_cast<int>(rng.range(2, 4));
  const std::int64_t t0 = kBaseTimeUs + rng.range(100 * kMs, 400 * kMs);
  DnsRun run;
  for (int i = 0; i < n; ++i) {
    const std::int64_t t = t0 + i * kSec + rng.range(-20 * kMs, 20 * kMs);
    const Endpoint wcs{kWcsIp, static_cast<std::uint16_t>(rng.range(32768, 60999))};
    const auto id = static_cast<std::uint16_t>(rng.u32());
    const bool hit = i == special;
    const std::string& qname = fault == Fault::kNxDomain && hit ? bad_name : name;
    cap.add_udp(t, wcs, resolver, Content::kSignalling, dns_query(id, qname, kTypeA));
    ++run.queries;
    std::int64_t delay = fault == Fault::kSlow ? rng.range(150 * kMs, 300 * kMs) : rtt + rng.range(0, 8 * kMs);
    if (fault == Fault::kNxDomain && hit) {
      const std::int64_t ta = t + delay;
      cap.add_udp(ta, resolver, wcs, Content::kSignalling, dns_answer(id, qname, std::nullopt, kRcodeNxDomain, zone));
      ++run.answers;
      ++run.failures;
      run.anomalies.push_back(Anomaly{"dns_failure", "udp", wcs, resolver, std::nullopt, ta, 0.01});
      continue;
    }
    if (fault == Fault::kLost && hit) {
      // No answer; the stub resolver asks again after its 5 s timeout (same id, same port).
      run.anomalies.push_back(Anomaly{"dns_failure", "udp", wcs, resolver, std::nullopt, t + 2 * kSec, 0.01});
      const std::int64_t tr = t + 5 * kSec;
      cap.add_udp(tr, wcs, resolver, Content::kSignalling, dns_query(id, qname, kTypeA));
      cap.add_udp(tr + delay, resolver, wcs, Content::kSignalling, dns_answer(id, qname, backend, 0, zone));
      ++run.queries;  // asked again: the tap counts both
      ++run.answers;
      ++run.failures;  // given up on at the timeout; the late answer is to a query already judged
      continue;
    }
    const std::int64_t ta = t + delay;
    cap.add_udp(ta, resolver, wcs, Content::kSignalling, dns_answer(id, qname, backend, 0, zone));
    ++run.answers;
    // Slow: a warning raised when the answer shows how late it is (tolerance back to query + 100 ms).
    if (fault == Fault::kSlow)
      run.anomalies.push_back(Anomaly{"dns_failure", "udp", wcs, resolver, std::nullopt, ta, 0.25});
  }
  // The tap's record of WCS's queries to this resolver (every source port together).
  char rec[256];
  std::snprintf(rec, sizeof rec,
                R"({"kind":"dns","client":"%s","server":"%s","queries":%d,"answers":%d,"failures":%d})",
                kWcsIp.str().c_str(), resolver.str().c_str(), run.queries, run.answers, run.failures);
  cap.note_signalling(rec);
  return run;
}

}  // namespace

std::vector<Anomaly> dns_healthy(const ScenarioParams& p, Capture& cap) {
  return resolve_loop(p, cap, 0xd45001u, Fault::kNone).anomalies;
}

std::vector<Anomaly> dns_slow(const ScenarioParams& p, Capture& cap) {
  return resolve_loop(p, cap, 0xd45002u, Fault::kSlow).anomalies;
}

std::vector<Anomaly> dns_nxdomain(const ScenarioParams& p, Capture& cap) {
  return resolve_loop(p, cap, 0xd45003u, Fault::kNxDomain).anomalies;
}

std::vector<Anomaly> dns_no_answer(const ScenarioParams& p, Capture& cap) {
  return resolve_loop(p, cap, 0xd45004u, Fault::kLost).anomalies;
}

}  // namespace wcsgen
