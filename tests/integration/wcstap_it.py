#!/usr/bin/env python3
"""End-to-end tests: capture -> wcstap-dataplane -> ZeroMQ -> wcstap-control.

  wcstap_it.py pcap      --scenario one-way ...   net_pcap vdev replays a generated capture; the live
                                                  verdicts must equal the offline analyzer's and the truth
                                                  (anomalies, RTP streams, sessions, signalling records)
  wcstap_it.py pcap      --scenario a+b+c --workers 4 [--queues 2] ...
                                                  the scenarios' captures merged in time, read by N
                                                  workers (dataplane.workers): the software balance hands
                                                  each host pair's packets to one worker; with --queues,
                                                  the capture is split over that many net_pcap queues
                                                  first. Live (the workers together) must equal one
                                                  offline pipeline on the whole: every anomaly, stream,
                                                  session and signalling line
  wcstap_it.py pcap      --scenario a+b --workers 2 --balance five_tuple ...
                                                  workers share the packets by 5-tuple: what one flow
                                                  shows equals offline; what crosses flows (SDP facts,
                                                  correlated verdicts, DNS summaries) as stated in
                                                  check_five_tuple_results
  wcstap_it.py inline    --scenario healthy ...   two net_pcap ports in-line: every packet read on one
                                                  must come out of its peer unchanged (tx_pcap), in
                                                  order, while the verdicts equal the offline ones
  wcstap_it.py telemetry --scenario healthy ...   a running tap (net_pcap, infinite_rx) answers its DPDK
                                                  telemetry commands (/wcstap/...); with hugepages (set
                                                  up when root), dpdk-dumpcap captures from it (rte_pdump)
  wcstap_it.py afpacket  --scenario healthy ...   net_af_packet on a veth pair inside a network namespace
                                                  made (and removed) by the test; frames are sent into the
                                                  peer with a raw socket; counts come from Goodbye
  wcstap_it.py overload ...                       a flow table too small for the capture: its losses counted
                                                  as offline counts them, tap_overload raised and resolved
  wcstap_it.py errors ...                         start-up failures: clear message, non-zero exit
  wcstap_it.py send IFACE PCAP                    (internal) the raw-socket sender, run inside the namespace

Exit 0: pass, 1: fail, 77: skipped (meson's skip code: no root / no network namespaces).
Stdlib only. Every process and namespace it makes is removed on the way out, on failure too.
"""
import argparse
import base64
import glob
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77

MINIMAL_CONFIG = "tap_id: wcstap-it\n"


class Fail(Exception):
    pass


def log(msg):
    print(f"[wcstap_it] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# pcap reading (classic pcap, any byte order, us or ns)

def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise Fail(f"{path}: not a pcap file")
    magic_le = struct.unpack("<I", data[:4])[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif struct.unpack(">I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D):
        endian = ">"
    else:
        raise Fail(f"{path}: not a classic pcap file (pcapng?)")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    frames = []
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + caplen])
        off += caplen
    return linktype, frames


def read_pcap_records(path):
    """The file header and every record as (ts_sec, ts_frac, header bytes, frame), in file order."""
    with open(path, "rb") as f:
        data = f.read()
    read_pcap(path)  # the same checks
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    records = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        records.append((sec, frac, data[off:off + 16], data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], records


def host_pair(frame):
    """The frame's two IP addresses, in a fixed order (so both directions give one pair); None if not IP."""
    off, etype = 14, struct.unpack(">H", frame[12:14])[0] if len(frame) >= 14 else 0
    while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
        etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800 and len(frame) >= off + 20:
        a, b = frame[off + 12:off + 16], frame[off + 16:off + 20]
    elif etype == 0x86DD and len(frame) >= off + 40:
        a, b = frame[off + 8:off + 24], frame[off + 24:off + 40]
    else:
        return None
    return (a, b) if a <= b else (b, a)


def merge_pcaps(paths, out):
    """The captures (one generator: one file format) merged by time into `out`."""
    header, merged = None, []
    for i, p in enumerate(paths):
        h, records = read_pcap_records(p)
        header = header or h
        merged += [(sec, frac, i, n, hdr, frame) for n, (sec, frac, hdr, frame) in enumerate(records)]
    merged.sort(key=lambda r: r[:4])
    with open(out, "wb") as f:
        f.write(header)
        for r in merged:
            f.write(r[4] + r[5])


def split_pcap(path, outs):
    """The capture split by host pair over `outs` (pairs dealt out in order of first appearance), so
    each queue sees whole conversations, both ways. Returns the frames each file got."""
    header, records = read_pcap_records(path)
    pairs, counts = {}, [0] * len(outs)
    files = [open(o, "wb") for o in outs]
    try:
        for f in files:
            f.write(header)
        for _, _, hdr, frame in records:
            pair = host_pair(frame)
            q = pairs.setdefault(pair, len(pairs) % len(outs))
            files[q].write(hdr + frame)
            counts[q] += 1
    finally:
        for f in files:
            f.close()
    return counts


# ---------------------------------------------------------------------------------------------------
# processes

class Procs:
    """Processes started by the test; all are ended (by pid) when the test leaves."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, stdout, stderr):
        log(f"start {name}: {' '.join(argv)}")
        p = subprocess.Popen(argv, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        self.procs.append((name, p))
        return p

    def cleanup(self):
        for name, p in self.procs:
            if p.poll() is None:
                log(f"killing leftover {name} (pid {p.pid})")
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def wait(p, name, timeout):
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        raise Fail(f"{name} did not finish within {timeout} s")


def wait_ok(p, name, timeout, when=""):
    """wait(), and a failure unless the process exited 0."""
    rc = wait(p, name, timeout)
    if rc != 0:
        raise Fail(f"{name} exited {rc}{when}")


def run(argv, **kw):
    log(f"run: {' '.join(argv)}")
    return subprocess.run(argv, check=True, **kw)


def json_lines(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise Fail(f"{path}:{n}: not JSON ({e}): {line[:200]}")
    return out


def show(path, limit=60):
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError:
        return
    log(f"---- {path} (last {min(limit, len(lines))} of {len(lines)} lines)")
    for line in lines[-limit:]:
        sys.stderr.write("    " + line)


def anomaly_key(a):
    return (a["kind"], a["src"], a["dst"], a.get("ssrc"))


def raised(lines):
    return {anomaly_key(a) for a in lines if a.get("type") == "anomaly" and a.get("state") == "raised"}


def stream_packets(lines):
    counts = {}
    for s in lines:
        if s.get("type") == "rtp_stream":
            k = (s["src"], s["dst"], s["ssrc"])
            counts[k] = counts.get(k, 0) + s["packets"]
    return counts


def summaries(lines):
    return [s for s in lines if s.get("type") == "summary"]


# ---------------------------------------------------------------------------------------------------
# the pieces both tests share

class Env:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="wcstap-it-")
        self.procs = Procs()
        self.prefixes = []
        self.endpoint = f"ipc://{self.tmp}/tap.sock"
        self.config = args.config
        if not self.config or not os.path.exists(self.config):
            self.config = os.path.join(self.tmp, "wcstap.yaml")
            with open(self.config, "w") as f:
                f.write(MINIMAL_CONFIG)
            log(f"config {args.config!r} not found: using a minimal one")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def file_prefix(self, what):
        prefix = f"wcstap-it-{what}-{os.getpid()}"
        self.prefixes.append(prefix)
        return prefix

    def generate(self, scenario):
        if "+" in scenario:
            # Several scenarios in one capture, their truths added up.
            parts = [self.generate(s) for s in scenario.split("+")]
            pcap = self.path("merged.pcap")
            merge_pcaps([p for p, _ in parts], pcap)
            truth = {"scenario": scenario, "anomalies": [], "rtp_streams": [], "signalling": [], "dtls": [],
                     "packets": 0}
            for _, t in parts:
                for k in ("anomalies", "rtp_streams", "signalling", "dtls"):
                    truth[k] += t.get(k, [])
                truth["packets"] += t["packets"]
            return pcap, truth
        pcap, truth = self.path(f"{scenario}.pcap"), self.path(f"{scenario}.truth.json")
        run([self.args.gen, "--scenario", scenario, "--out", pcap, "--truth", truth])
        with open(truth) as f:
            return pcap, json.load(f)

    def offline(self, pcap):
        out = self.path("offline.jsonl")
        with open(out, "w") as f:
            run([self.args.analyze, "--json", "-c", self.config, pcap], stdout=f)
        return json_lines(out)

    def start_control(self):
        self.ctl_out, self.ctl_err = self.path("control.jsonl"), self.path("control.err")
        self.ctl = self.procs.start(
            "wcstap-control",
            [self.args.control, "--json", "--tap-stats", "--until-goodbye", "--timeout", "60", "--connect",
             self.endpoint],
            open(self.ctl_out, "w"), open(self.ctl_err, "w"))

    def control_heard_hello(self):
        with open(self.ctl_err) as f:
            return "hello from tap" in f.read()

    def replay(self, what, vdevs, lcores, config):
        """wcstap-control, then wcstap-dataplane reading the net_pcap `vdevs` until the capture ends
        (--no-huge); waits for both. Returns the dataplane's log; a failure shows both logs."""
        self.start_control()
        dp_err = self.path("dataplane.err")
        argv = [self.args.dataplane, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", self.file_prefix(what)]
        for vdev in vdevs:
            argv += ["--vdev", vdev]
        argv += [*lcores, "--", "-c", config, "--exit-on-pcap-end", "--publish", self.endpoint,
                 "--wait-for-subscribers", "10000"]
        dp = self.procs.start("wcstap-dataplane", argv, subprocess.DEVNULL, open(dp_err, "w"))
        try:
            wait_ok(dp, "wcstap-dataplane", 120)
            wait_ok(self.ctl, "wcstap-control", 70)
        except Fail:
            show(dp_err)
            show(self.ctl_err)
            raise
        return dp_err

    def cleanup(self):
        self.procs.cleanup()
        for prefix in self.prefixes:
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
            # A primary on hugepages leaves its page files behind, and the pages stay taken until
            # they are removed (dpdk-hugepages.py --clear only lowers the count)
            for mount in hugetlbfs_mounts():
                for page in glob.glob(os.path.join(mount, f"{prefix}map_*")):
                    try:
                        os.remove(page)
                    except OSError:
                        pass
        if self.args.keep:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# net_pcap: live verdicts == offline verdicts == truth

def test_pcap(env):
    scenario = env.args.scenario
    pcap, truth = env.generate(scenario)
    offline = env.offline(pcap)

    workers, queues = env.args.workers, env.args.queues
    vdev = f"net_pcap0,rx_pcap={pcap}"
    if queues > 1:
        # One net_pcap RX queue per file, each replaying its share of the host pairs.
        files = [env.path(f"queue{q}.pcap") for q in range(queues)]
        counts = split_pcap(pcap, files)
        log(f"{queues} queues: frames per queue {counts}")
        if min(counts) == 0:
            raise Fail(f"a queue got no frames: {counts} (the capture needs more host pairs)")
        vdev = "net_pcap0," + ",".join(f"rx_pcap={q}" for q in files)
    config = workers_config(env, workers, env.args.balance)
    dp_err = env.replay("pcap", [vdev], worker_lcores(workers), config)
    try:
        live = json_lines(env.ctl_out)
        if workers > 1:
            per_worker = {}
            for l in live:
                if l.get("type") in ("signalling", "anomaly", "flow", "rtp_stream") and "worker" in l:
                    per_worker[l.get("worker")] = per_worker.get(l.get("worker"), 0) + 1
            log(f"lines per worker: {dict(sorted(per_worker.items(), key=str))}")
            if len(per_worker) < min(workers, 2):
                raise Fail(f"expected lines from several of the {workers} workers, saw {per_worker}")
            check_handoff(dp_err, workers)
            check_analysed_once(truth, live)
        if env.args.balance == "five_tuple":
            check_five_tuple_results(truth, offline, live)
        else:
            check_pcap_results(scenario, truth, offline, live)
        with open(env.ctl_err) as f:
            if "sequence gap" in f.read():
                raise Fail("wcstap-control reported sequence gaps")
    except Fail:
        show(dp_err)
        show(env.ctl_err)
        show(env.ctl_out, 20)
        raise


def workers_config(env, workers, balance="host_pair"):
    """The test config with dataplane.workers (and dataplane.balance) set. net_pcap reads a file as
    fast as it can, and here the workers share two CPUs: a worker's inbox must hold what the reading
    worker hands it while it waits for the CPU, so the hand-off rings and the mbuf pool hold a whole
    test capture (a full inbox drops and counts, as it must; that is not what this test is about)."""
    if workers == 1 and balance == "host_pair":
        return env.config
    config = env.path("workers.yaml")
    with open(env.config) as f:
        text = f.read()
    for key in ("workers: 1", "handoff_ring_size: 4096", "mbufs: 8191", "balance: host_pair"):
        if key not in text:
            raise Fail(f"{env.config}: no '{key}' to change")
    text = text.replace("workers: 1", f"workers: {workers}", 1)
    text = text.replace("balance: host_pair", f"balance: {balance}", 1)
    text = text.replace("handoff_ring_size: 4096", "handoff_ring_size: 32768", 1)
    text = text.replace("mbufs: 8191", "mbufs: 65535", 1)
    with open(config, "w") as f:
        f.write(text)
    return config


def worker_lcores(workers):
    """EAL lcores: the main one and one per worker, sharing the machine's CPUs after the main one's."""
    if workers == 1:
        return ["-l", "0-1"]
    ncpu = max(1, os.cpu_count() or 1)
    return ["--lcores", ",".join(f"{l}@{min(l, ncpu - 1)}" for l in range(workers + 1))]


def check_handoff(dp_err, workers):
    """The dataplane's closing lines: packets were handed between workers and none was dropped."""
    with open(dp_err) as f:
        text = f.read()
    rows = re.findall(r"worker (\d+) \(lcore \d+\): rx (\d+), handed on (\d+) \(dropped (\d+)\), "
                      r"from other workers (\d+)", text)
    if len(rows) != workers:
        raise Fail(f"expected {workers} worker lines in the dataplane log, found {len(rows)}")
    handed = sum(int(r[2]) for r in rows)
    dropped = sum(int(r[3]) for r in rows)
    received = sum(int(r[4]) for r in rows)
    log(f"hand-off: {handed} packets handed on, {received} received, {dropped} dropped")
    if handed == 0 or dropped != 0 or handed != received:
        raise Fail(f"hand-off between workers: handed {handed}, received {received}, dropped {dropped}")


def check_analysed_once(truth, live):
    """The Goodbye's TapStats: the workers together analysed each packet of the capture once."""
    final = [l for l in live if l.get("type") == "tap_stats" and l.get("final")]
    if len(final) != 1:
        raise Fail(f"expected one final tap_stats line, got {len(final)}")
    per_worker = [w["packets"] for w in final[0]["workers"]]
    read = sum(w["rx_packets"] for w in final[0]["workers"])
    log(f"packets analysed per worker: {per_worker} (read {read}), capture {truth['packets']}")
    if sum(per_worker) != truth["packets"] or read != truth["packets"]:
        raise Fail(f"workers analysed {per_worker} (sum {sum(per_worker)}) of {read} read; the capture has "
                   f"{truth['packets']}")
    if sum(w["handoff_drops"] for w in final[0]["workers"]) != 0:
        raise Fail(f"tap_stats: hand-off drops {final[0]['workers']}")


# ---------------------------------------------------------------------------------------------------
# balance by 5-tuple: each flow whole in one worker, a session's signalling and media maybe not

# What signalling tells the media analyzers (SDP: the clock rate's source, the stream's name, SDES
# keys), which an RTP stream only has when its SDP met it in one worker.
SDP_STREAM_FIELDS = ("clock_source", "stream", "srtp")
# Verdicts that need a session's signalling and its media together; by 5-tuple the tap does not
# judge those resting on media not seen (sip_rtp_mismatch; rtsp_failure, no RTP over UDP), and one
# resting on SDP facts (dtls_fingerprint_mismatch, SDP form) can only be missed. Never raised live
# without offline.
CORRELATED_KINDS = ("sip_rtp_mismatch", "rtsp_failure", "dtls_fingerprint_mismatch")
# Summary counters that count correlation, not packets or messages: SDP clock rates and SDES keys
# that reached their media, what was judged and reported (DNS summaries are per worker).
CORRELATED_COUNTERS = ("anomalies", "events", "rtp_clock_from_sdp", "one_way_agreed_by_sdp", "signalling_reports",
                       "sdes_keys_learnt", "srtp_authenticated", "srtp_auth_failed", "srtcp_authenticated",
                       "srtcp_auth_failed")


def check_five_tuple_results(truth, offline, live):
    """Live (workers sharing flows by 5-tuple) against one offline pipeline. What is judged on one
    flow must be equal: flows, every RTP stream's statistics (RTP meets its RTCP: the balance keeps
    UDP ports 2n and 2n+1 together), RTCP, WebRTC sessions (ICE, DTLS and media on one 5-tuple),
    per-flow anomalies, signalling records, packet and message counts. What crosses flows may differ,
    and only as stated: SDP facts on a stream whose signalling another worker read, the correlated
    verdicts (never raised without offline), DNS summaries (per client host: one per worker, adding up)."""
    def norm(l, drop=()):
        return json.dumps({k: v for k, v in l.items() if k not in ("tap", "port", "queue", "worker") + drop},
                          sort_keys=True)

    def of(lines, kind):
        return [l for l in lines if l.get("type") == kind]

    def equal(kind, drop=(), pick=lambda l: True):
        a = sorted(norm(l, drop) for l in of(live, kind) if pick(l))
        b = sorted(norm(l, drop) for l in of(offline, kind) if pick(l))
        if a != b:
            raise Fail(f"{kind} lines differ live/offline ({len(a)} vs {len(b)}): {sorted(set(a) ^ set(b))[:4]}")
        return len(a)

    flows = equal("flow")
    rtcp = equal("rtcp_stream")
    sessions = equal("webrtc_session")

    # RTP streams: the same streams, each with the same statistics. A stream whose SDP was read by
    # another worker lacks what SDP says of it, nothing else.
    key = lambda l: (l["src"], l["dst"], l["ssrc"])
    live_rtp, off_rtp = {}, {}
    for lines, into in ((live, live_rtp), (offline, off_rtp)):
        for l in of(lines, "rtp_stream"):
            into.setdefault(key(l), []).append(l)
    if live_rtp.keys() != off_rtp.keys():
        raise Fail(f"RTP streams differ: live only {sorted(live_rtp.keys() - off_rtp.keys())}, "
                   f"offline only {sorted(off_rtp.keys() - live_rtp.keys())}")
    sdp_elsewhere = []
    for k, offs in off_rtp.items():
        lives = live_rtp[k]
        split = any(o.get("clock_source") == "sdp" for o in offs) and not any(l.get("clock_source") == "sdp"
                                                                            for l in lives)
        drop = SDP_STREAM_FIELDS if split else ()
        if sorted(norm(l, drop) for l in lives) != sorted(norm(o, drop) for o in offs):
            raise Fail(f"rtp_stream {k} differs live/offline{' (beyond SDP facts)' if split else ''}: "
                       f"live {[norm(l) for l in lives]}, offline {[norm(o) for o in offs]}")
        if split:
            sdp_elsewhere.append(k)
    # The capture must hold the case this test is about: a stream whose SDP another worker read.
    if not sdp_elsewhere:
        raise Fail("no RTP stream's SDP was read by another worker: the capture no longer tests the split "
                   "(change the scenario mix)")
    for s in truth["rtp_streams"]:
        k = (s["src"], s["dst"], s["ssrc"])
        if sum(l["packets"] for l in live_rtp.get(k, [])) != s["packets"]:
            raise Fail(f"rtp_stream {k}: live {live_rtp.get(k)}, truth {s['packets']} packets")

    # Anomalies: per-flow kinds line for line (the stream's SDP name aside); correlated kinds never
    # raised live without offline.
    per_flow = lambda l: l["kind"] not in CORRELATED_KINDS
    equal("anomaly", drop=("stream",), pick=per_flow)
    live_corr = {norm(l, ("stream",)) for l in of(live, "anomaly") if not per_flow(l)}
    off_corr = {norm(l, ("stream",)) for l in of(offline, "anomaly") if not per_flow(l)}
    if not live_corr <= off_corr:
        raise Fail(f"correlated anomalies raised live only: {sorted(live_corr - off_corr)}")
    live_raised = raised(live)
    truth_raised = {(a["kind"], a["src"], a["dst"], a.get("ssrc")) for a in truth["anomalies"]
                    if a["kind"] not in CORRELATED_KINDS}
    if truth_raised - live_raised:
        raise Fail(f"truth anomalies not raised live: {sorted(truth_raised - live_raised, key=str)}")

    # Signalling: every record but DNS summaries line for line; those add up per client host and server.
    dns = lambda l: l.get("kind") == "dns"
    signalling = equal("signalling", pick=lambda l: not dns(l))

    def dns_totals(lines):
        out = {}
        for l in of(lines, "signalling"):
            if dns(l):
                t = out.setdefault((l["client"].rsplit(":", 1)[0], l["server"]), {"queries": 0, "answers": 0,
                                   "failures": 0, "first_ts": l["first_ts"], "last_ts": l["last_ts"], "max_ms": 0})
                for f in ("queries", "answers", "failures"):
                    t[f] += l[f]
                t["first_ts"], t["last_ts"] = min(t["first_ts"], l["first_ts"]), max(t["last_ts"], l["last_ts"])
                t["max_ms"] = max(t["max_ms"], l["max_ms"])
        return out
    if dns_totals(live) != dns_totals(offline):
        raise Fail(f"DNS summaries do not add up: live {dns_totals(live)}, offline {dns_totals(offline)}")

    ls, os_ = dict(summaries(live)[0]), dict(summaries(offline)[0])
    if ls["packets"] != truth["packets"]:
        raise Fail(f"summary packets {ls['packets']} != truth {truth['packets']}")
    ls.pop("tap", None)
    os_.pop("file", None)
    differ = {k: (ls.get(k), os_.get(k)) for k in set(ls) | set(os_) if ls.get(k) != os_.get(k)}
    if set(differ) - set(CORRELATED_COUNTERS):
        unexpected = {k: differ[k] for k in set(differ) - set(CORRELATED_COUNTERS)}
        raise Fail(f"summary counters differ live/offline: {unexpected}")
    if ls["rtp_clock_from_sdp"] > os_["rtp_clock_from_sdp"] or ls["signalling_reports"] < os_["signalling_reports"]:
        raise Fail(f"SDP clock rates {ls['rtp_clock_from_sdp']} (offline {os_['rtp_clock_from_sdp']}), signalling "
                   f"reports {ls['signalling_reports']} (offline {os_['signalling_reports']})")
    log(f"five_tuple: {flows} flows, {len(live_rtp)} RTP streams ({len(sdp_elsewhere)} with their SDP on another "
        f"worker: {sorted(sdp_elsewhere)}), {rtcp} RTCP-only, {sessions} sessions, {signalling} signalling records "
        f"and DNS totals, {len(live_raised)} anomalies: as offline; differing, as allowed: {differ}")


# ---------------------------------------------------------------------------------------------------
# in-line: two net_pcap ports paired; what one reads, the other writes, unchanged

def split_by_direction(path, outs):
    """Each frame to outs[0] when its source address sorts before its destination, else outs[1]: one
    side of the wire per port, as an in-line tap between a client network and a server sees it.
    Non-IP frames go to outs[0]. Returns the frames of each."""
    header, records = read_pcap_records(path)
    sides = [[], []]
    for _, _, hdr, frame in records:
        pair = host_pair(frame)
        src_first = pair is None or frame_src(frame) == pair[0]
        sides[0 if src_first else 1].append(hdr + frame)
    for out, recs in zip(outs, sides):
        with open(out, "wb") as f:
            f.write(header + b"".join(recs))
    return [len(s) for s in sides]


def frame_src(frame):
    off, etype = 14, struct.unpack(">H", frame[12:14])[0]
    while etype in (0x8100, 0x88A8):
        etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    return frame[off + 12:off + 16] if etype == 0x0800 else frame[off + 8:off + 24]


def test_inline(env):
    pcap, truth = env.generate(env.args.scenario)
    workers = env.args.workers
    rx = [env.path("side0.pcap"), env.path("side1.pcap")]
    tx = [env.path("out0.pcap"), env.path("out1.pcap")]
    counts = split_by_direction(pcap, rx)
    log(f"in-line: {counts} frames on the two sides")
    if min(counts) == 0:
        raise Fail(f"a side got no frames: {counts}")
    config = env.path("inline.yaml")
    with open(workers_config(env, workers)) as f:
        text = f.read()
    if "mode: mirror" not in text or "ports: []" not in text:
        raise Fail(f"{env.config}: no 'mode: mirror' / 'ports: []' to turn in-line")
    with open(config, "w") as f:
        f.write(text.replace("mode: mirror", "mode: inline", 1).replace("ports: []", "ports: [net_pcap0, net_pcap1]", 1))

    dp_err = env.replay("inline", [f"net_pcap0,rx_pcap={rx[0]},tx_pcap={tx[0]}", f"net_pcap1,rx_pcap={rx[1]},tx_pcap={tx[1]}"],
                        worker_lcores(workers), config)
    try:
        # What port 0 read went out on port 1, and the other way round: every frame, byte for byte.
        # One worker keeps the order; several keep each host pair's order (one worker per pair).
        for src, dst in ((rx[0], tx[1]), (rx[1], tx[0])):
            _, sent = read_pcap(src)
            _, out = read_pcap(dst)
            if workers == 1 and sent != out:
                firstdiff = next((i for i, (a, b) in enumerate(zip(sent, out)) if a != b), min(len(sent), len(out)))
                raise Fail(f"{os.path.basename(dst)}: {len(out)} frames out for {len(sent)} in; first difference at {firstdiff}")
            by_pair = lambda frames: {p: [f for f in frames if host_pair(f) == p] for p in {host_pair(f) for f in frames}}
            if sorted(sent) != sorted(out) or by_pair(sent) != by_pair(out):
                raise Fail(f"{os.path.basename(dst)}: the frames forwarded differ from those read ({len(out)} vs {len(sent)})")
            log(f"{os.path.basename(src)} -> {os.path.basename(dst)}: {len(out)} frames forwarded unchanged")
        live = json_lines(env.ctl_out)
        # The Goodbye's TapStats, as the control prints them: each port sent what its peer read.
        final = [l for l in live if l.get("type") == "tap_stats" and l.get("final")]
        if len(final) != 1:
            raise Fail(f"expected one final tap_stats line, got {len(final)}")
        ports = {p["name"]: p for p in final[0]["ports"]}
        for name, peer, n in (("net_pcap0", "net_pcap1", counts[0]), ("net_pcap1", "net_pcap0", counts[1])):
            if ports[name]["rx_packets"] != n or ports[peer]["tx_packets"] != n:
                raise Fail(f"tap_stats: {name} read {ports[name]['rx_packets']}, {peer} sent "
                           f"{ports[peer]['tx_packets']}; the capture side has {n}")
        if sum(w["tx_drops"] + w["handoff_drops"] for w in final[0]["workers"]) != 0:
            raise Fail(f"tap_stats: drops {final[0]['workers']}")
        summary = summaries(live)
        if len(summary) != 1 or summary[0]["packets"] != truth["packets"]:
            raise Fail(f"the tap observed {summary[0]['packets'] if summary else '?'} packets, the capture has {truth['packets']}")
        with open(dp_err) as f:
            text = f.read()
        tx_rows = re.findall(r"tx (\d+) \(dropped (\d+)\)", text)
        if not tx_rows or sum(int(d) for _, d in tx_rows) != 0 or sum(int(t) for t, _ in tx_rows) != truth["packets"]:
            raise Fail(f"worker TX counts {tx_rows}: expected {truth['packets']} sent, none dropped")
        log(f"in-line with {workers} worker(s): {truth['packets']} packets observed and forwarded, 0 dropped")
    except Fail:
        show(dp_err)
        show(env.ctl_err)
        raise


def rtcp_reports(lines, kind):
    return {(l["src"], l["dst"], l["ssrc"]): json.dumps(l["rtcp"], sort_keys=True)
            for l in lines if l.get("type") == kind}


def check_pcap_results(scenario, truth, offline, live):
    types = {line.get("type") for line in live}
    unknown = types - {"anomaly", "rtp_stream", "rtcp_stream", "flow", "summary", "webrtc_session", "signalling",
                       "tap_stats"}
    if unknown:
        raise Fail(f"control printed unknown line types {unknown}")

    live_raised, offline_raised = raised(live), raised(offline)
    log(f"anomalies raised: live {sorted(live_raised)}")
    if live_raised != offline_raised:
        raise Fail(f"live anomalies {sorted(live_raised)} != offline {sorted(offline_raised)}")
    with_session = lambda lines: {anomaly_key(l) + (l.get("session"),) for l in lines if l.get("type") == "anomaly"}
    if with_session(live) != with_session(offline):
        raise Fail(f"anomalies' sessions differ: live {sorted(with_session(live), key=str)}, "
                   f"offline {sorted(with_session(offline), key=str)}")

    # every anomaly line (raised and resolved, every field but where it was captured) is the same
    def lines_of(lines, kind):
        return sorted(json.dumps({k: v for k, v in l.items() if k not in ("tap", "port", "queue", "worker")},
                                 sort_keys=True)
                      for l in lines if l.get("type") == kind)
    if lines_of(live, "anomaly") != lines_of(offline, "anomaly"):
        diff = set(lines_of(live, "anomaly")) ^ set(lines_of(offline, "anomaly"))
        raise Fail(f"anomaly lines differ live/offline: {sorted(diff)[:6]}")

    truth_raised = {(a["kind"], a["src"], a["dst"], a.get("ssrc")) for a in truth["anomalies"]}
    missing = truth_raised - live_raised
    if missing:
        raise Fail(f"truth anomalies not raised live: {sorted(missing, key=str)}")

    # signalling records (SIP dialogs, DNS summaries, WCS streams, connections): live == offline, and
    # the truth's are among them
    live_sig, off_sig = lines_of(live, "signalling"), lines_of(offline, "signalling")
    if live_sig != off_sig:
        diff = set(live_sig) ^ set(off_sig)
        raise Fail(f"signalling lines differ live/offline ({len(live_sig)} vs {len(off_sig)}): {sorted(diff)[:6]}")
    sig_live = [l for l in live if l.get("type") == "signalling"]
    # (an endpoint in the truth may be an address alone: a DNS summary is per client host)
    same = lambda k, want, got: got == want or (k in ("client", "server") and isinstance(got, str)
                                                 and ":" not in want and got.rsplit(":", 1)[0] == want)
    for t in truth.get("signalling", []):
        if not any(all(same(k, v, l.get(k)) for k, v in t.items()) for l in sig_live):
            raise Fail(f"truth signalling record {t} not reported live")
    if scenario == "healthy":
        any_anomaly = [a for a in live if a.get("type") == "anomaly"]
        if any_anomaly:
            raise Fail(f"healthy scenario gave anomalies: {any_anomaly}")

    # every stream's statistics (loss, jitter, timing, bitrate, RTCP), not only its packets
    if lines_of(live, "rtp_stream") != lines_of(offline, "rtp_stream"):
        diff = set(lines_of(live, "rtp_stream")) ^ set(lines_of(offline, "rtp_stream"))
        raise Fail(f"rtp_stream lines differ live/offline: {sorted(diff)[:4]}")
    live_streams = stream_packets(live)
    for s in truth["rtp_streams"]:
        k = (s["src"], s["dst"], s["ssrc"])
        if live_streams.get(k) != s["packets"]:
            raise Fail(f"rtp_stream {k}: live {live_streams.get(k)} packets, truth {s['packets']}")
    if stream_packets(offline) != live_streams:
        raise Fail(f"rtp_stream packets differ: live {live_streams}, offline {stream_packets(offline)}")
    # what RTCP said, per SSRC, crosses the wire whole: with its stream or on a line of its own
    for kind in ("rtp_stream", "rtcp_stream"):
        live_rtcp, off_rtcp = rtcp_reports(live, kind), rtcp_reports(offline, kind)
        if live_rtcp != off_rtcp:
            raise Fail(f"{kind} rtcp reports differ: live {live_rtcp}, offline {off_rtcp}")

    # the sessions cross the wire whole too, and anomalies carry their session id
    # (a WebRTC scenario, one with DTLS, must have them; a signalling one may have none)
    sessions = lambda lines: lines_of(lines, "webrtc_session")
    if (truth.get("dtls") and not sessions(live)) or sessions(live) != sessions(offline):
        raise Fail(f"webrtc_session lines differ: live {sessions(live)}, offline {sessions(offline)}")

    live_sum, off_sum = summaries(live), summaries(offline)
    if len(live_sum) != 1:
        raise Fail(f"expected one summary line from the control, got {len(live_sum)}")
    ls, os_ = dict(live_sum[0]), dict(off_sum[0])
    if ls["packets"] != truth["packets"]:
        raise Fail(f"summary packets {ls['packets']} != truth {truth['packets']}")
    ls.pop("tap", None)
    os_.pop("file", None)
    if ls != os_:
        raise Fail(f"summary differs: live {ls} offline {os_}")
    log(f"{scenario}: {len(live_raised)} anomalies, {len(live_streams)} RTP streams, {len(live_sig)} signalling "
        f"records, {len(sessions(live))} sessions, {ls['packets']} packets: live == offline == truth")


# ---------------------------------------------------------------------------------------------------
# two taps, one control: every event carries its tap, and each tap's verdicts are its own

def test_multitap(env):
    taps = {"tap-a": "one-way", "tap-b": "healthy"}
    runs = {}
    for tap, scenario in taps.items():
        pcap, truth = env.generate(scenario)
        config = env.path(f"{tap}.yaml")
        with open(config, "w") as f:
            f.write(f"tap_id: {tap}\n")
        runs[tap] = dict(pcap=pcap, truth=truth, config=config, endpoint=f"ipc://{env.tmp}/{tap}.sock",
                         offline=env.offline(pcap), err=env.path(f"{tap}.err"))

    env.ctl_out, env.ctl_err = env.path("control.jsonl"), env.path("control.err")
    argv = [env.args.control, "--json", "--until-goodbye", "--timeout", "90"]
    for r in runs.values():
        argv += ["--connect", r["endpoint"]]
    env.ctl = env.procs.start("wcstap-control", argv, open(env.ctl_out, "w"), open(env.ctl_err, "w"))
    dps = {}
    for tap, r in runs.items():
        dps[tap] = env.procs.start(f"wcstap-dataplane {tap}", [
            env.args.dataplane, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", env.file_prefix(tap),
            "--vdev", f"net_pcap0,rx_pcap={r['pcap']}", "-l", "0-1", "--",
            "-c", r["config"], "--exit-on-pcap-end", "--publish", r["endpoint"], "--wait-for-subscribers", "10000",
        ], subprocess.DEVNULL, open(r["err"], "w"))
    try:
        for tap, dp in dps.items():
            wait_ok(dp, f"wcstap-dataplane {tap}", 150)
        wait_ok(env.ctl, "wcstap-control", 100)
        live = json_lines(env.ctl_out)
        untagged = [l for l in live if l.get("tap") not in taps]
        if untagged:
            raise Fail(f"lines without one of the taps' ids: {untagged[:3]}")
        for tap, r in runs.items():
            mine = [l for l in live if l["tap"] == tap]
            if raised(mine) != raised(r["offline"]):
                raise Fail(f"{tap}: live {sorted(raised(mine))} != offline {sorted(raised(r['offline']))}")
            want = {(a["kind"], a["src"], a["dst"], a.get("ssrc")) for a in r["truth"]["anomalies"]}
            if raised(mine) != want:
                raise Fail(f"{tap}: raised {sorted(raised(mine))}, truth {sorted(want)}")
            if stream_packets(mine) != stream_packets(r["offline"]):
                raise Fail(f"{tap}: RTP streams differ from offline")
            sums = summaries(mine)
            if len(sums) != 1 or sums[0]["packets"] != r["truth"]["packets"]:
                raise Fail(f"{tap}: summaries {sums}, truth packets {r['truth']['packets']}")
            log(f"{tap} ({taps[tap]}): {len(raised(mine))} anomalies, {sums[0]['packets']} packets, as offline")
        with open(env.ctl_err) as f:
            if "sequence gap" in f.read():
                raise Fail("wcstap-control reported sequence gaps")
    except Fail:
        for r in runs.values():
            show(r["err"])
        show(env.ctl_err)
        raise


# ---------------------------------------------------------------------------------------------------
# net_af_packet on a veth pair in a private network namespace

def sh(argv, check=True):
    return subprocess.run(argv, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_afpacket(env):
    if os.geteuid() != 0:
        log("skipped: needs root for a network namespace")
        return SKIP
    ns = f"wcstap-it-{os.getpid()}"
    r = sh(["ip", "netns", "add", ns], check=False)
    if r.returncode != 0:
        log(f"skipped: cannot create a network namespace: {r.stderr.strip()}")
        return SKIP
    try:
        return afpacket_in_namespace(env, ns)
    finally:
        sh(["ip", "netns", "del", ns], check=False)
        if ns in sh(["ip", "netns", "list"], check=False).stdout:
            log(f"WARNING: namespace {ns} still there")


def afpacket_in_namespace(env, ns):
    nsx = ["ip", "netns", "exec", ns]
    # No IPv6 in the namespace: no router solicitation or MLD frame joins the test traffic.
    for key in ("all", "default"):
        sh(nsx + ["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"], check=False)
    sh(nsx + ["ip", "link", "add", "wtap0", "type", "veth", "peer", "name", "wsend0"])
    sh(nsx + ["ip", "link", "set", "wtap0", "up"])
    sh(nsx + ["ip", "link", "set", "wsend0", "up"])

    pcap, truth = env.generate(env.args.scenario)
    offline = env.offline(pcap)
    off_sum = summaries(offline)[0]

    env.start_control()
    dp_err = env.path("dataplane.err")
    dp = env.procs.start("wcstap-dataplane", nsx + [
        env.args.dataplane, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", env.file_prefix("afp"),
        "--vdev", "net_af_packet0,iface=wtap0", "-l", "0-1", "--",
        "-c", env.config, "--publish", env.endpoint, "--wait-for-subscribers", "10000",
        "--stats-interval", "0.2",
    ], subprocess.DEVNULL, open(dp_err, "w"))
    try:
        deadline = time.monotonic() + 30
        while not env.control_heard_hello():
            if dp.poll() is not None:
                raise Fail(f"wcstap-dataplane exited {dp.returncode} before its Hello")
            if time.monotonic() > deadline:
                raise Fail("no Hello from the dataplane within 30 s")
            time.sleep(0.05)
        time.sleep(0.5)  # workers are launched right after Hello

        sender = subprocess.run(nsx + [sys.executable, os.path.abspath(__file__), "send", "wsend0", pcap],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        if sender.returncode != 0:
            raise Fail(f"sender failed: {sender.stderr.strip()}")
        sent = json.loads(sender.stdout)
        log(f"sent {sent}")
        time.sleep(1.0)  # the worker drains the socket ring
        dp.send_signal(signal.SIGINT)
        wait_ok(dp, "wcstap-dataplane", 60, " after SIGINT")
        wait_ok(env.ctl, "wcstap-control", 70)

        live = json_lines(env.ctl_out)
        live_sum = summaries(live)
        if len(live_sum) != 1:
            raise Fail(f"expected one summary (from Goodbye), got {len(live_sum)}")
        s = live_sum[0]
        log(f"goodbye summary: {s}")
        exact = s["packets"] == sent["sent"]
        if not exact:
            # A busy machine may starve the worker and the socket ring overflow: fine if the tap
            # counted that loss (port imissed), which is what tap_overload is for.
            imissed = port_imissed(env.ctl_err)
            if imissed == 0 or s["packets"] + imissed != sent["sent"]:
                raise Fail(f"tap counted {s['packets']} packets (imissed {imissed}), {sent['sent']} were sent")
            log(f"WARNING: {imissed} frames lost in the socket ring (counted as imissed): counts not compared")
        if exact and sent["skipped"] == 0:
            for key in ("flows", "rtp_streams", "rtp_packets", "rtcp_packets", "non_ip", "malformed"):
                if s[key] != off_sum[key]:
                    raise Fail(f"summary {key}: tap {s[key]}, offline {off_sum[key]}")
            if s["rtp_streams"] != len(truth["rtp_streams"]):
                raise Fail(f"rtp_streams {s['rtp_streams']} != truth {len(truth['rtp_streams'])}")
        flows = [line for line in live if line.get("type") == "flow"]
        if len(flows) != s["flows"]:
            raise Fail(f"{len(flows)} flow lines, summary says {s['flows']} flows")
        log(f"af_packet: {s['packets']} packets, {s['flows']} flows, {s['rtp_streams']} RTP streams: as sent")
        return 0
    except Fail:
        show(dp_err)
        show(env.ctl_err)
        raise


# ---------------------------------------------------------------------------------------------------
# telemetry and packet capture from a running tap

def telemetry_query(sock_path, commands):
    """Each command's answer (JSON) from a DPDK telemetry socket (v2: SOCK_SEQPACKET)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(sock_path)
        json.loads(s.recv(1024).decode())  # the greeting: version, pid, max_output_len
        answers = []
        for cmd in commands:
            s.send(cmd.encode())
            answers.append(json.loads(s.recv(65536).decode()))
        return answers
    finally:
        s.close()


def hugetlbfs_mounts():
    try:
        with open("/proc/mounts") as f:
            return [line.split()[1] for line in f if len(line.split()) > 2 and line.split()[2] == "hugetlbfs"]
    except OSError:
        return []


def hugepages_free():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def reserve_hugepages():
    """2 MB hugepages for a primary whose memory a secondary (dpdk-dumpcap) can map. Returns True
    when this call reserved them (to be given back), False when they were there, None when it cannot."""
    if hugepages_free() >= 256 and subprocess.run(["grep", "-q", "hugetlbfs", "/proc/mounts"]).returncode == 0:
        return False
    if os.geteuid() != 0 or not shutil.which("dpdk-hugepages.py"):
        return None
    os.makedirs("/dev/hugepages", exist_ok=True)
    if subprocess.run(["grep", "-q", "hugetlbfs", "/proc/mounts"]).returncode != 0:
        if sh(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"], check=False).returncode != 0:
            return None
    if sh(["dpdk-hugepages.py", "-p", "2M", "--setup", "1G"], check=False).returncode != 0 or hugepages_free() < 256:
        return None
    return True


def test_telemetry(env):
    pcap, truth = env.generate(env.args.scenario)
    config = env.path("telemetry.yaml")
    with open(env.config) as f:
        text = f.read()
    # infinite_rx keeps every packet of the file in mbufs; it gives no timestamps: the TSC dates them
    with open(config, "w") as f:
        f.write(text.replace("mbufs: 8191", "mbufs: 32767", 1).replace("time_source: auto", "time_source: tsc", 1))
    reserved = reserve_hugepages()
    memory = ["-m", "512"] if reserved is not None else ["--no-huge", "-m", "1024"]
    prefix = env.file_prefix("telemetry")
    env.start_control()
    dp_err = env.path("dataplane.err")
    dp = env.procs.start("wcstap-dataplane", [
        env.args.dataplane, *memory, "--no-pci", "--file-prefix", prefix, "-l", "0-1",
        "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--",
        "-c", config, "--publish", env.endpoint, "--wait-for-subscribers", "10000", "--stats-interval", "0.2",
    ], subprocess.DEVNULL, open(dp_err, "w"))
    sock = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    try:
        deadline = time.time() + 30
        while not os.path.exists(sock) or "worker 0 on lcore" not in open(dp_err).read():
            if time.time() > deadline or dp.poll() is not None:
                raise Fail("the tap did not start (no telemetry socket / worker)")
            time.sleep(0.2)
        time.sleep(1.0)
        first, ports, port, workers, worker, absent = telemetry_query(
            sock, ["/wcstap/stats", "/wcstap/ports", "/wcstap/port,0", "/wcstap/workers", "/wcstap/worker,0",
                   "/wcstap/worker,7"])
        time.sleep(1.0)
        (second,) = telemetry_query(sock, ["/wcstap/stats"])
        st1, st2 = first["/wcstap/stats"], second["/wcstap/stats"]
        log(f"telemetry: rx {st1['rx_packets']} then {st2['rx_packets']} packets, analysed {st2['packets_analysed']}")
        if not (0 < st1["rx_packets"] < st2["rx_packets"]) or st2["packets_analysed"] == 0:
            raise Fail(f"/wcstap/stats does not count the packets flowing: {st1} then {st2}")
        if ports["/wcstap/ports"] != [0] or workers["/wcstap/workers"] != [0]:
            raise Fail(f"ports {ports}, workers {workers}")
        p0 = port["/wcstap/port"]
        if p0["name"] != "net_pcap0" or p0["rx_queue_packets"] == [] or p0["mbufs"] != 32767:
            raise Fail(f"/wcstap/port,0: {p0}")
        w0 = worker["/wcstap/worker"]
        if w0["rx_packets"] == 0 or not (0 < w0["load_permille"] <= 1000):
            raise Fail(f"/wcstap/worker,0: {w0}")
        if absent["/wcstap/worker"] is not None:
            raise Fail(f"/wcstap/worker,7 should be null: {absent}")
        for key in ("imissed", "rx_nombuf", "handoff_drops", "event_ring_drops", "publish_drops", "flow_table_full"):
            if key not in st2:
                raise Fail(f"/wcstap/stats has no {key}")

        if reserved is None:
            log("dpdk-dumpcap: skipped (no hugepages, and none could be set up here: not root, or the kernel "
                "had no 2 MB pages free)")
        else:
            dump = env.path("dump.pcapng")
            r = subprocess.run(["dpdk-dumpcap", f"--file-prefix={prefix}", "-i", "net_pcap0", "-w", dump, "-c", "500",
                                "-q"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
            if r.returncode != 0:
                raise Fail(f"dpdk-dumpcap exited {r.returncode}: {r.stdout[-1500:]}")
            frames = pcapng_frames(dump)
            _, sent = read_pcap(pcap)
            known = set(sent)
            log(f"dpdk-dumpcap: {len(frames)} frames captured from the running tap")
            if len(frames) < 500 or any(f not in known for f in frames):
                raise Fail(f"dpdk-dumpcap captured {len(frames)} frames, not all of them the capture's")
    except Fail:
        show(dp_err)
        raise
    finally:
        if dp.poll() is None:
            dp.send_signal(signal.SIGINT)
            wait(dp, "wcstap-dataplane", 60)
        if reserved:
            sh(["dpdk-hugepages.py", "--clear"], check=False)
    return 0


def pcapng_frames(path):
    """The packet data of every Enhanced Packet Block of a pcapng file (little-endian, as dumpcap writes)."""
    with open(path, "rb") as f:
        data = f.read()
    frames, off = [], 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack("<II", data[off:off + 8])
        if blen < 12:
            raise Fail(f"{path}: bad block length {blen}")
        if btype == 6:
            caplen = struct.unpack("<I", data[off + 20:off + 24])[0]
            frames.append(data[off + 28:off + 28 + caplen])
        off += blen
    return frames


# ---------------------------------------------------------------------------------------------------
# the tap's own losses: counted, equal to offline's, raised as tap_overload and resolved

def test_overload(env):
    """1,000 media flows fill a flow table of 1,000 (20 packets each: confirmed RTP, which the eviction
    policy protects); then 2,000 flows more, one packet each, of which those not already in the table
    find no room. The tap must count those packets in flow_table_full exactly as the offline
    pipeline does, raise tap_overload for them in the stats interval they fell in (its detail naming
    the flow table) and resolve it once an interval passes without a loss; and every event a worker
    made is either published or counted as a ring drop."""
    gen = env.args.gen
    established, flood = env.path("established.pcap"), env.path("flood.pcap")
    run([gen, "--mix", "flows", "--flows", "1000", "--packets", "20000", "--seed", "5", "--out", established],
        stdout=subprocess.DEVNULL)
    run([gen, "--mix", "flows", "--flows", "2000", "--packets", "2000", "--seed", "6", "--out", flood],
        stdout=subprocess.DEVNULL)
    # The flood 1 ms after the last established packet (both files start at the same instant).
    header, first = read_pcap_records(established)
    _, second = read_pcap_records(flood)
    micro = struct.unpack("<I", header[:4])[0] == 0xA1B2C3D4
    if not micro:
        raise Fail(f"{established}: expected a little-endian microsecond pcap from wcstap-gen")
    at = lambda r: r[0] * 1_000_000 + r[1]  # noqa: E731
    shift = at(first[-1]) + 1000 - at(second[0])
    pcap = env.path("overload.pcap")
    with open(pcap, "wb") as f:
        f.write(header)
        for sec, frac, hdr, frame in first:
            f.write(hdr + frame)
        for sec, frac, hdr, frame in second:
            t = at((sec, frac)) + shift
            f.write(struct.pack("<II", t // 1_000_000, t % 1_000_000) + hdr[8:] + frame)
    frames = len(first) + len(second)

    config = env.path("overload.yaml")
    with open(env.config) as f:
        text = f.read()
    for old, new in (("capacity: 65536", "capacity: 1000"), ("media_flows: 65536", "media_flows: 1000"),
                     ("rtp_streams: 65536", "rtp_streams: 1000"), ("stats_interval_s: 1.0", "stats_interval_s: 0.1")):
        if old not in text:
            raise Fail(f"{env.config}: no '{old}' to change")
        text = text.replace(old, new, 1)
    with open(config, "w") as f:
        f.write(text)

    offline_out = env.path("offline.jsonl")
    with open(offline_out, "w") as f:
        run([env.args.analyze, "--json", "-c", config, pcap], stdout=f)
    offline = json_lines(offline_out)
    want = summaries(offline)[0]["flow_table_full"]
    log(f"offline: {want} packets found the flow table full")
    if want == 0:
        raise Fail("the capture was meant to fill the flow table, and did not offline")

    dp_err = env.replay("overload", [f"net_pcap0,rx_pcap={pcap}"], ["-l", "0-1"], config)
    try:
        live = json_lines(env.ctl_out)
        got = summaries(live)[0]["flow_table_full"] if summaries(live) else None
        if got != want:
            raise Fail(f"the tap counted {got} packets finding the flow table full, offline {want}")
        for kind in ("flow", "rtp_stream"):
            n_live = sum(l.get("type") == kind for l in live)
            n_off = sum(l.get("type") == kind for l in offline)
            if n_live != n_off:
                raise Fail(f"{n_live} {kind} lines live, {n_off} offline")
        final = [l for l in live if l.get("type") == "tap_stats" and l.get("final")]
        if not final:
            raise Fail("no final tap_stats line")
        final = final[-1]
        port_rx = sum(p["rx_packets"] for p in final["ports"])
        if port_rx != frames:
            raise Fail(f"the port received {port_rx} frames of {frames}")
        for w in final["workers"]:
            if w["flow_table_full"] != want:
                raise Fail(f"worker {w['worker']}: flow_table_full {w['flow_table_full']}, offline {want}")
            # Nothing a worker made is lost unseen: published, or counted where it was dropped.
            if w["events"] != w["events_published"] + w["ring_drops"]:
                raise Fail(f"worker {w['worker']}: {w['events']} events made, {w['events_published']} published,"
                           f" {w['ring_drops']} dropped at the ring")
        overload = [l for l in live if l.get("type") == "anomaly" and l.get("kind") == "tap_overload"]
        states = [a["state"] for a in overload]
        log(f"tap_overload: {states}; " + "; ".join(a["detail"] for a in overload))
        raised = [a for a in overload if a["state"] == "raised"]
        if not raised:
            raise Fail("tap_overload was not raised")
        m = re.search(r"flow table full (\d+)", raised[0]["detail"])
        if not m or int(m.group(1)) == 0 or int(m.group(1)) > want or raised[0]["value"] < int(m.group(1)):
            raise Fail(f"tap_overload's detail does not name the flow table's losses: {raised[0]['detail']!r}")
        if states[-1] != "resolved":
            raise Fail(f"tap_overload was not resolved after the losses stopped: {states}")
        # The tap's own verdict, judged on the main lcore: named by its tap, not by a worker's origin.
        misnamed = [a for a in overload if "tap" not in a or {"port", "queue", "worker"} & a.keys()]
        if misnamed:
            raise Fail(f"tap_overload should name its tap alone: {misnamed[0]}")
        if not all("worker" in l for l in live if l.get("type") == "flow"):
            raise Fail("a flow line does not name its worker")
        log(f"{want} packets refused by a full flow table, counted alike live and offline; tap_overload raised"
            f" ({raised[0]['detail']}) and resolved")
    except Fail:
        show(dp_err)
        show(env.ctl_err)
        raise
    return 0


# ---------------------------------------------------------------------------------------------------
# start-up failures: a clear message and a non-zero exit, before any packet

def test_errors(env):
    pcap = env.path("empty.pcap")
    with open(pcap, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    bad = env.path("bad.yaml")
    with open(bad, "w") as f:
        f.write("dataplane:\n  workers: many\n")
    eal = ["--no-huge", "-m", "1024", "--no-pci", "--vdev", f"net_pcap0,rx_pcap={pcap}"]
    # a key of 29 bytes: named by file, key and line, its bytes never shown
    short_key = base64.b64encode(bytes(range(29))).decode()
    keys = env.path("short.keys.yaml")
    with open(keys, "w") as f:
        f.write(f'srtp:\n  keys:\n    - ssrc: 0x1234\n      key: "{short_key}"\n')
    cases = [
        ("short SRTP key", eal + ["--file-prefix", env.file_prefix("err5"), "-l", "0-1", "--", "-c", env.config,
                                  "--srtp-keys", keys], 2, ["short.keys.yaml", "srtp.keys[0].key", "30 bytes"]),
        ("bad config", eal + ["--file-prefix", env.file_prefix("err1"), "-l", "0-1", "--", "-c", bad],
         2, ["bad.yaml", "dataplane.workers"]),
        ("missing config", eal + ["--file-prefix", env.file_prefix("err2"), "-l", "0-1", "--",
                                  "-c", env.path("nonexistent.yaml")], 2, ["nonexistent.yaml"]),
        ("too few lcores", eal + ["--file-prefix", env.file_prefix("err3"), "-l", "0", "--", "-c", env.config,
                                  "--publish", env.endpoint], 1, ["worker lcore", "-l 0-1"]),
        ("bad EAL option", ["--no-such-eal-option", "--", "-c", env.config], 1, ["EAL"]),
        ("no app options", eal + ["--file-prefix", env.file_prefix("err4"), "-l", "0-1"], 2, ["--config"]),
    ]
    for name, argv, want_rc, want_text in cases:
        r = subprocess.run([env.args.dataplane] + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        if r.returncode != want_rc:
            raise Fail(f"{name}: exit {r.returncode}, expected {want_rc}\n{r.stdout[-2000:]}")
        for text in want_text:
            if text not in r.stdout:
                raise Fail(f"{name}: output does not say {text!r}\n{r.stdout[-2000:]}")
        if short_key[:12] in r.stdout:
            raise Fail(f"{name}: an SRTP key appears in the output")
        log(f"{name}: exit {r.returncode} as expected")
    return 0


def port_imissed(ctl_err):
    """The imissed of the Goodbye's port lines in wcstap-control's log."""
    total = 0
    with open(ctl_err) as f:
        for line in f:
            if " port " in line and "imissed" in line:
                total += int(line.split("imissed", 1)[1].split(",")[0])
    return total


def send(iface, pcap):
    """Sends every frame of the capture out of `iface`, paced so a socket ring on the peer keeps up."""
    linktype, frames = read_pcap(pcap)
    if linktype != 1:
        raise Fail(f"{pcap}: link type {linktype}, the sender needs Ethernet")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    mtu = int(open(f"/sys/class/net/{iface}/mtu").read())
    sent = skipped = 0
    for i, fr in enumerate(frames):
        if len(fr) > mtu + 14 or len(fr) < 14:
            skipped += 1
            continue
        s.send(fr)
        sent += 1
        if i % 8 == 7:
            time.sleep(0.001)
    s.close()
    print(json.dumps({"sent": sent, "skipped": skipped}))
    return 0


# ---------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    for mode in ("pcap", "afpacket", "errors", "multitap", "inline", "telemetry", "overload"):
        p = sub.add_parser(mode)
        p.add_argument("--scenario", required=mode in ("pcap", "afpacket", "inline", "telemetry"))
        p.add_argument("--gen", required=True)
        p.add_argument("--analyze", required=True)
        p.add_argument("--dataplane", required=True)
        p.add_argument("--control", required=True)
        p.add_argument("--config", default="")
        p.add_argument("--keep", action="store_true", help="keep the temporary directory")
        if mode == "pcap":
            p.add_argument("--balance", choices=("host_pair", "five_tuple"), default="host_pair",
                           help="dataplane.balance: how the workers share the packets")
        if mode in ("pcap", "inline"):
            p.add_argument("--workers", type=int, default=1, help="dataplane workers, 1 or more")
            p.add_argument("--queues", type=int, default=1, help="net_pcap RX queues (the capture split by host pair)")
    p = sub.add_parser("send")
    p.add_argument("iface")
    p.add_argument("pcap")
    args = ap.parse_args()

    if args.mode == "send":
        return send(args.iface, args.pcap)

    env = Env(args)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        rc = {"pcap": test_pcap, "afpacket": test_afpacket, "errors": test_errors,
              "multitap": test_multitap, "inline": test_inline, "telemetry": test_telemetry,
              "overload": test_overload}[args.mode](env)
        if rc == SKIP:
            return SKIP
        log("PASS")
        return 0
    except Fail as e:
        log(f"FAIL: {e}")
        return 1
    except subprocess.CalledProcessError as e:
        log(f"FAIL: {e}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 1
    finally:
        env.cleanup()


if __name__ == "__main__":
    sys.exit(main())
