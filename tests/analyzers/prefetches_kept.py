#!/usr/bin/env python3
"""The pipeline's software prefetches are in the built code.

GCC takes a function that does nothing but __builtin_prefetch for a pure one and deletes a call
to it that it did not inline, silently: the evidence refresh's prefetches were never made for
that reason until the helpers became [[gnu::always_inline]] (flow/table_memory.h). This
disassembles the analyzers library and checks that the functions that fetch state ahead still
hold their prefetch instructions. x86-64 only (elsewhere: skipped).

usage: prefetches_kept.py LIBRARY
"""
import platform
import re
import shutil
import subprocess
import sys

# function (as objdump -C names it, up to its parameters) -> prefetch instructions it must hold, and why
EXPECTED = {
    "wcstap::Pipeline::Impl::fetch_notes": (5, "the evidence refresh's 3 note slots and the RTCP key's 2 tag sets"),
    "wcstap::Pipeline::Impl::rtp": (5, "the same 5 where the look-ahead did not work them out"),
    "wcstap::Pipeline::Impl::fetch_ahead": (2, "the flow's media line and its stream's lines"),
    "wcstap::Pipeline::Impl::stage": (4, "frames, flow buckets, flow records, first streams, one-way memos"),
}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if platform.machine() not in ("x86_64", "AMD64"):
        print(f"skipped: prefetch instructions are counted on x86-64 only, not {platform.machine()}")
        return 77
    objdump = shutil.which("objdump")
    if objdump is None:
        print("prefetches_kept: objdump (binutils) not found", file=sys.stderr)
        return 1
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", "-C", sys.argv[1]], check=True,
                         capture_output=True, text=True).stdout
    counts: dict[str, int] = {}
    current = None
    header = re.compile(r"^[0-9a-f]+ <(.*)>:$")
    for line in out.splitlines():
        m = header.match(line)
        if m:
            name = m.group(1)
            current = next((f for f in EXPECTED if name.startswith(f + "(")), None)
            if current is not None:
                counts.setdefault(current, 0)
            continue
        if current is not None and re.search(r"\bprefetch(t0|t1|t2|nta|w)?\b", line):
            counts[current] += 1
    failed = False
    for f, (least, why) in EXPECTED.items():
        n = counts.get(f)
        if n is None:
            print(f"FAIL {f}: not found in {sys.argv[1]}")
            failed = True
        elif n < least:
            print(f"FAIL {f}: {n} prefetch instructions, at least {least} expected ({why})")
            failed = True
        else:
            print(f"ok   {f}: {n} prefetch instructions (at least {least}: {why})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
