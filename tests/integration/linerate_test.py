#!/usr/bin/env python3
"""tools/bench/linerate end to end, briefly: the benchmark of issue 6 must keep working.

Runs linerate on what the suite just built (WCSTAP_LINERATE_NO_BUILD=1) twice, 1 round of 2 s a
mix: on net_memif fed by wcstap-feeder (the default device) with the media mix and 1k flows, then
on net_pcap with 64-byte frames. Checks what it measured (--results), not how fast: every mix's
capture, memory per flow, a testpmd and a dataplane rate, the pipeline alone, nothing skipped, the
dataplane's anomalies read back through wcstap-control, and the table and verdict lines printed.
Usage: linerate_test.py BUILD_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINERATE = os.path.join(TOP, "tools", "bench", "linerate")

failures = []


def check(ok, what):
    print(("check ok: " if ok else "check FAILED: ") + what)
    if not ok:
        failures.append(what)


def run(build, args, results):
    env = dict(os.environ, BUILD_DIR=build, WCSTAP_LINERATE_NO_BUILD="1")
    argv = [LINERATE, "--quick", "--rounds", "1", "--seconds", "2", "--results", results] + args
    print("$ " + " ".join(argv), flush=True)
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=400)
    print(p.stdout)
    check(p.returncode == 0, f"linerate {' '.join(args)} exits 0 (got {p.returncode})")
    rows = {}
    if os.path.exists(results):
        for line in open(results):
            d = json.loads(line)
            rows.setdefault(d.pop("mix"), []).append(d)
    return p.stdout, rows


def check_mix(out, rows, mix, flows, memif):
    lines = rows.get(mix, [])
    check(bool(lines), f"{mix}: figures written")
    merged = {}
    for d in lines:
        merged.update(d)
    skipped = [k for k in merged if k.endswith("_skipped")]
    check(not skipped, f"{mix}: nothing skipped ({skipped})")
    check(merged.get("packets", 0) > 0 and merged.get("flows") == flows,
          f"{mix}: capture of {flows} flows (packets {merged.get('packets')}, flows {merged.get('flows')})")
    mem = merged.get("memory", {})
    check(mem.get("bytes_per_flow", 0) > 0 and mem.get("capacity", 0) >= flows,
          f"{mix}: memory per flow measured for a table of at least {flows} flows ({mem})")
    tp = [d for d in lines if "testpmd_pps" in d]
    wc = [d for d in lines if "wcstap_pps" in d]
    check(len(tp) == 1 and tp[0]["testpmd_pps"] > 0, f"{mix}: testpmd's rate ({[d['testpmd_pps'] for d in tp]})")
    check(len(wc) == 1 and wc[0]["wcstap_pps"] > 0 and wc[0]["workers"] == 1,
          f"{mix}: one dataplane worker's rate ({[(d['wcstap_pps'], d['workers']) for d in wc]})")
    if memif:  # both receivers metered by the feeder, the dataplane's own count beside it
        check(bool(tp) and tp[0].get("testpmd_feeder_pps", 0) > 0, f"{mix}: the feeder's count into testpmd")
        check(bool(wc) and wc[0].get("wcstap_feeder_pps", 0) > 0 and wc[0].get("wcstap_own_pps", 0) > 0,
              f"{mix}: the feeder's count into the dataplane, and the dataplane's own")
    ns = merged.get("pipeline_ns")
    check(ns is not None and ns > 0, f"{mix}: the pipeline alone, ns a packet ({ns})")
    row = [line for line in out.splitlines() if line.split()[:1] == [mix]]
    check(len(row) == 1, f"{mix}: a row in the table")
    return merged


def main():
    build = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        out, rows = run(build, ["--mixes", "media,flows", "--flows", "1000"], os.path.join(tmp, "memif.jsonl"))
        media = check_mix(out, rows, "media", 1000, memif=True)
        flows = check_mix(out, rows, "flows-1k", 1000, memif=True)
        check("device: net_memif" in out, "memif: the device named")
        check("media mix >= 0.6x testpmd:" in out, "memif: the media verdict printed")
        check("1M flows <= 2x 1k flows: no 1M run (--quick)" in out, "memif: the flow-scale verdict says why not")
        # Every flow of the flows mix sends one way: the dataplane's verdicts came through ZeroMQ to
        # wcstap-control. (The media mix's are not asserted: they come from where its capture is cut.)
        check(flows.get("raised", {}).get("one_way_media", 0) > 0,
              f"flows-1k: one_way_media raised, read back through wcstap-control ({flows.get('raised')})")
        check(media.get("time_source") not in (None, "?"), f"media: the dataplane's packet time named ({media.get('time_source')})")

        out, rows = run(build, ["--mixes", "small", "--device", "pcap", "--memory", "no-huge"],
                        os.path.join(tmp, "pcap.jsonl"))
        check_mix(out, rows, "small", 1024, memif=False)
        check("device: net_pcap" in out and "DPDK memory: no-huge" in out, "pcap: the device and memory named")
        check("64-byte frames >= 0.5x testpmd:" in out, "pcap: the 64-byte verdict printed")
    if failures:
        print(f"{len(failures)} check(s) FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
