#!/usr/bin/env python3
"""Every generator scenario through wcstap-analyze: exactly the anomalies of its ground truth (kind,
flow, SSRC, start time within the truth's tolerance) and no others; every RTP stream of the truth
with its exact packet and loss counts; every packet read, none malformed.
Usage: scenario_test.py WCSTAP_GEN WCSTAP_ANALYZE WORKDIR"""
import base64
import json
import os
import re
import subprocess
import sys

GEN, ANALYZE, WORK = sys.argv[1:4]
os.makedirs(WORK, exist_ok=True)
failures = []
checked = 0
# per anomaly kind: true positives (raised, in time), false positives (raised, not in the truth),
# false negatives (in the truth, not raised in time)
score = {}


def tally(kind, field):
    score.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0})[field] += 1


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


scenarios = subprocess.run([GEN, "--list"], capture_output=True, text=True, check=True).stdout.split()
if not {"healthy", "one-way"} <= set(scenarios):
    fail(f"wcstap-gen --list: {scenarios}")

SEEDS = range(1, int(os.environ.get("WCSTAP_SEEDS", "3")) + 1)
# WCSTAP_SCENARIOS="a b": only these (a quick run while working on them)
only = os.environ.get("WCSTAP_SCENARIOS", "").split()
for name in (n for n in scenarios if not only or n in only):
    for seed in SEEDS:
        pcap = os.path.join(WORK, f"{name}-{seed}.pcap")
        truth_path = os.path.join(WORK, f"{name}-{seed}.json")
        keys_path = os.path.join(WORK, f"{name}-{seed}.keys.yaml")
        config_path = os.path.join(WORK, f"{name}-{seed}.config.yaml")
        subprocess.run([GEN, "--scenario", name, "--seed", str(seed), "--out", pcap, "--truth", truth_path,
                        "--keys", keys_path, "--tap-config", config_path], check=True, capture_output=True)
        truth = json.load(open(truth_path))
        # The streams' SRTP keys, and the config the scenario sets (its user signatures), as the tap
        # would be given them.
        run = subprocess.run([ANALYZE, "--json", "--flows", "--config", config_path, "--srtp-keys", keys_path, pcap],
                             capture_output=True, text=True)
        # Secrets never leave the tap: no key (base64 as given, or its bytes in hex) in any output.
        for key in re.findall(r'key: "([^"]+)"', open(keys_path).read()):
            raw = base64.b64decode(key)
            for secret in (key, key[:12], raw.hex(), raw.hex().upper(), raw[:8].hex()):
                if secret in run.stdout or secret in run.stderr:
                    fail(f"{name}/seed {seed}: an SRTP key appears in wcstap-analyze's output")
        if run.returncode != 0:
            fail(f"{name}/{seed}: wcstap-analyze exit {run.returncode}: {run.stderr}")
            continue
        # The dataplane's code path (bursts of 32: staging, look-ahead) finds exactly the same.
        burst = subprocess.run([ANALYZE, "--json", "--flows", "--burst", "--config", config_path, "--srtp-keys",
                                keys_path, pcap], capture_output=True, text=True)
        if burst.stdout != run.stdout:
            fail(f"{name}/{seed}: wcstap-analyze --burst differs from frame-at-a-time analysis")
        out = [json.loads(l) for l in run.stdout.splitlines()]
        tag = f"{name}/seed {seed}"
        checked += 1

        summary = out[-1]
        if summary["type"] != "summary" or summary["packets"] != truth["packets"] or summary["malformed"] != 0:
            fail(f"{tag}: summary {summary}, truth packets {truth['packets']}")

        raised = [l for l in out if l["type"] == "anomaly" and l["state"] == "raised"]
        want = {(a["kind"], a["src"], a["dst"], a.get("ssrc")): a for a in truth["anomalies"]}
        got = {(a["kind"], a["src"], a["dst"], a.get("ssrc")): a for a in raised}
        if len(got) != len(raised):
            fail(f"{tag}: the same anomaly raised twice: {raised}")
        for key in want.keys() - got.keys():
            tally(key[0], "fn")
            fail(f"{tag}: missed {key}")
        for key in got.keys() - want.keys():
            tally(key[0], "fp")
            fail(f"{tag}: false {key}: {got[key]['detail']}")
        for key in want.keys() & got.keys():
            w, g = want[key], got[key]
            # raised when the threshold is crossed: truth's from_ts is that moment
            if abs(g["ts"] - w["from_ts"]) > w.get("tolerance_s", 0.5):
                tally(key[0], "fn")
                fail(f"{tag}: {key} raised at {g['ts']:.3f}, truth {w['from_ts']:.3f}")
            else:
                tally(key[0], "tp")

        streams = {(s["src"], s["dst"], s["ssrc"]): s for s in out if s["type"] == "rtp_stream"}
        for s in truth["rtp_streams"]:
            key = (s["src"], s["dst"], s["ssrc"])
            g = streams.get(key)
            if g is None:
                fail(f"{tag}: RTP stream {key} not reported")
            elif (g["packets"], g["lost"], g["pt"]) != (s["packets"], s["lost"], s["pt"]):
                fail(f"{tag}: RTP stream {key}: packets/lost/pt {g['packets']}/{g['lost']}/{g['pt']}, "
                     f"truth {s['packets']}/{s['lost']}/{s['pt']}")
            # WebRTC's dynamic payload types, no SDP: the clock must be inferred, and jitter given in ms;
            # a static payload type (PCMU on the SIP legs) takes its clock from RFC 3551's table
            elif "srtp" in s and (g.get("srtp", {}).get("authenticated"), g.get("srtp", {}).get("auth_failed")) != \
                    (s["srtp"]["authenticated"], s["srtp"]["auth_failed"]):
                fail(f"{tag}: RTP stream {key}: SRTP {g.get('srtp')}, truth {s['srtp']}")
            elif "keyframes" in s and (g.get("keyframes", {}).get("codec"), g.get("keyframes", {}).get("count")) != \
                    (s["codec"], s["keyframes"]):
                fail(f"{tag}: RTP stream {key}: keyframes {g.get('keyframes')}, truth {s['codec']} {s['keyframes']}")
            # a clock the session's SDP gave (SIP) is the truth's "clock_source"
            elif (g["clock_rate"], g["clock_source"]) != \
                    (s["clock_rate"], s.get("clock_source", "inferred" if s["pt"] >= 96 else "static")) \
                    or g["jitter_max_ms"] is None:
                fail(f"{tag}: RTP stream {key}: clock {g['clock_rate']} ({g['clock_source']}), jitter "
                     f"{g['jitter_max_ms']}; truth clock {s['clock_rate']}")
        extra = streams.keys() - {(s["src"], s["dst"], s["ssrc"]) for s in truth["rtp_streams"]}
        if extra:
            fail(f"{tag}: RTP streams not in the capture's truth: {sorted(extra)}")

        # Every DTLS handshake of the truth on its flow: who is client, how far it got, how many
        # ClientHellos, each side's certificate SHA-256 (the browser's sent in two fragments).
        dtls = {(f["dtls"].get("client"), f["dtls"].get("server")): f for f in out
                if f["type"] == "flow" and "dtls" in f}
        stage = {"done": "done", "alert": "failed"}
        for h in truth.get("dtls", []):
            f = dtls.pop((h["client"], h["server"]), None)
            if f is None:
                fail(f"{tag}: DTLS {h['client']} -> {h['server']} not reported")
                continue
            d = f["dtls"]
            fps = dict(zip((f["src"], f["dst"]), d["fingerprints"]))
            got = (stage.get(h["outcome"]) == d["stage"] if h["outcome"] != "incomplete"
                   else d["stage"] not in ("done", "failed"),
                   d["client_hellos"], fps[h["client"]], fps[h["server"]],
                   (d["alert"]["code"], d["alert"]["from"]) if "alert" in d else None)
            want = (True, h["client_hellos"], h["client_fingerprint"], h["server_fingerprint"],
                    (h["alert"]["description"], h["alert"]["from"]) if h["alert"] else None)
            if got != want:
                fail(f"{tag}: DTLS {h['client']} -> {h['server']}: stage {d['stage']}, got {got}, truth "
                     f"{h['outcome']} {want}")
        if dtls:
            fail(f"{tag}: DTLS not in the capture's truth: {sorted(dtls)}")

        # One webrtc_session per WebRTC session (each has one DTLS handshake in the truth), on the
        # handshake's pair, with ICE connected and the handshake's outcome; every anomaly on that pair
        # carries the session's id, and nothing else does.
        sessions = {frozenset((l["selected"]["src"], l["selected"]["dst"])): l for l in out
                    if l["type"] == "webrtc_session" and l["selected"]}
        if len(sessions) != len(truth.get("dtls", [])):
            fail(f"{tag}: {len(sessions)} webrtc_session lines with a pair, truth has {len(truth.get('dtls', []))} sessions")
        for h in truth.get("dtls", []):
            w = sessions.get(frozenset((h["client"], h["server"])))
            want_stage = {"done": "done", "alert": "failed"}.get(h["outcome"])
            if w is None:
                fail(f"{tag}: no webrtc_session on {h['client']} <-> {h['server']}")
            elif w["ice"]["state"] != "connected" or (want_stage and w["dtls"]["stage"] != want_stage) or \
                    (not want_stage and w["dtls"]["stage"] in ("done", "failed")):
                fail(f"{tag}: webrtc_session {w['session']}: ice {w['ice']}, dtls {w['dtls']}, truth {h['outcome']}")
        # A session whose ICE failed has no pair: anomalies on its checks' flow name it all the same.
        failed = {l["session"] for l in out if l["type"] == "webrtc_session" and not l["selected"]
                  and l["ice"]["state"] == "failed"}
        # A WCS stream's anomalies on its WebSocket name the session its SDP offer and answer named.
        stream_sessions = {}
        for l in out:
            if l["type"] == "signalling" and l["kind"] == "wcs_stream" and l.get("session"):
                stream_sessions.setdefault(frozenset((l["client"], l["server"])), set()).add(l["session"])
        for a in (l for l in out if l["type"] == "anomaly"):
            w = sessions.get(frozenset((a["src"], a["dst"])))
            if w is None and a.get("session") in failed:
                continue
            if w is None and a.get("session") in stream_sessions.get(frozenset((a["src"], a["dst"])), set()):
                continue
            if a.get("session") != (w["session"] if w else None):
                fail(f"{tag}: {a['kind']} {a['src']} -> {a['dst']}: session {a.get('session')}, "
                     f"expected {w['session'] if w else None}")
        # A relayed session's flow with its TURN server shows the allocation: one 401 challenge, an
        # Allocate answered with a relayed address, a permission and a channel bound.
        flows = {frozenset((l["src"], l["dst"])): l for l in out if l["type"] == "flow"}
        for w in sessions.values():
            if not w["relay"]:
                continue
            t = flows.get(frozenset((w["selected"]["src"], w["selected"]["dst"])), {}).get("turn")
            if not t or (t["challenges"], t["allocate"]["successes"], t["permission"]["successes"],
                         t["channel_bind"]["successes"]) != (1, 1, 1, 1) or not t["relayed"] or \
                    t["relayed_packets"]["channel_data"] == 0:
                fail(f"{tag}: relayed session {w['session']}: TURN {t}")
        for w in (l for l in out if l["type"] == "webrtc_session"):
            raised_here = sum(1 for a in raised if a.get("session") == w["session"])
            if w["anomalies"] != raised_here:
                fail(f"{tag}: webrtc_session {w['session']} counts {w['anomalies']} anomalies, {raised_here} raised")

        # Signalling records the truth states (SIP dialogs, DNS client/server summaries): each matched by
        # its kind and endpoints (a DNS summary by the client's address: its port is the first query's),
        # a SIP dialog also by its method; every field the truth gives must agree.
        records = [l for l in out if l["type"] == "signalling"]
        for r in truth.get("signalling", []):
            def same(g):
                if g["kind"] != r["kind"] or g["server"] != r["server"]:
                    return False
                if r["kind"] == "dns":
                    return g["client"].rsplit(":", 1)[0] == r["client"]
                return g["client"] == r["client"] and g.get("method") == r.get("method")
            found = [g for g in records if same(g)]
            if len(found) != 1:
                fail(f"{tag}: signalling {r}: {len(found)} records match")
                continue
            diff = {k: (found[0].get(k), v) for k, v in r.items() if k != "client" and found[0].get(k) != v}
            if diff:
                fail(f"{tag}: signalling {r['kind']} {r['client']} -> {r['server']}: (got, truth) {diff}")

print(f"{'anomaly kind':26} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}")
for kind in sorted(score):
    c = score[kind]
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
    print(f"{kind:26} {c['tp']:4} {c['fp']:4} {c['fn']:4} {precision:10.1%} {recall:8.1%}")
print(f"scenarios: {checked} runs checked, {len(failures)} failures")
sys.exit(1 if failures or checked == 0 else 0)
