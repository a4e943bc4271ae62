#!/usr/bin/python3
"""Compiles every translation unit of a build against the newest LibTorch 2.x
headers Debian has, as C++20: what the CUDA build on a GPU machine
(bench/gpu_check.sh, PyTorch 2.x) would fail on first, found here on a CPU.

Debian bookworm ships LibTorch 1.13, and the GPU machine's PyTorch is 2.x.
Device time is short and rare, so an API that 2.x removed (torch/linalg.h went
in 2.6, pytorch/pytorch#138435) should cost a compile here, not the device
session's build.

    bench/check_torch2_headers.py [BUILD] [--suite sid|trixie] [--only TEXT ...]

BUILD is a configured Ninja build of this checkout (default: build); its
compile commands are rerun with -fsyntax-only, the 2.x headers searched before
/usr/include, the standard set to C++20 and the precompiled <torch/torch.h>
included where the build includes it. The headers come from Debian's
libtorch-dev of SUITE (sid: the newest; trixie: 2.6), downloaded and
unpacked under $TMPDIR/genbench-torch2 with apt's own lists kept there:
nothing is installed. Exit status: 0 when every unit compiles, 1 otherwise.
14 to 16 minutes on 2 cores for the whole build; not part of CI,
since the suite's version moves.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fetch_headers(suite, work):
    """Unpacks SUITE's libtorch-dev under work/SUITE; returns its include folder."""
    state = os.path.join(work, suite)
    lists, archives = os.path.join(state, "lists"), os.path.join(state, "archives")
    for d in (os.path.join(lists, "partial"), os.path.join(archives, "partial")):
        os.makedirs(d, exist_ok=True)
    sources = os.path.join(state, "sources.list")
    with open(sources, "w") as f:
        f.write(f"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                f"http://deb.debian.org/debian {suite} main\n")
    apt = ["-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
           "-o", f"Dir::State::Lists={lists}", "-o", f"Dir::Cache::Archives={archives}",
           "-o", "APT::Sandbox::User=root" if os.geteuid() == 0 else "Debug::NoLocking=1", "-q"]
    subprocess.run(["apt-get", *apt, "update"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", *apt, "download", "libtorch-dev"], check=True, cwd=archives,
                   stdout=subprocess.DEVNULL)
    debs = sorted(glob.glob(os.path.join(archives, "libtorch-dev_*.deb")), key=os.path.getmtime)
    if not debs:
        sys.exit(f"check_torch2_headers: no libtorch-dev downloaded from Debian {suite}")
    unpacked = os.path.join(state, "root")
    subprocess.run(["rm", "-rf", unpacked], check=True)
    subprocess.run(["dpkg", "-x", debs[-1], unpacked], check=True)
    version = subprocess.check_output(["dpkg-deb", "-f", debs[-1], "Version"], text=True).strip()
    print(f"libtorch-dev {version} (Debian {suite}): its headers, C++20", flush=True)
    return os.path.join(unpacked, "usr", "include")


def syntax_only(command, include):
    """The build's compile command, turned into a C++20 syntax check against other headers."""
    args = shlex.split(command)
    pch = "-include" in args  # CMake's precompiled header: <torch/torch.h>
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-MF", "-MT", "-include", "-Xclang"):
            skip = True
        elif a == "-MD" or a.startswith("-Winvalid-pch"):
            pass
        elif a.startswith("-std="):
            out.append("-std=c++20")
        elif a == "-c":
            out.append("-fsyntax-only")
        else:
            out.append(a)
    # the 2.x headers ahead of Debian's 1.13 in /usr/include
    first = ["-isystem", os.path.join(include, "torch", "csrc", "api", "include"), "-isystem", include]
    return out[:1] + (["-include", "torch/torch.h"] if pch else []) + first + out[1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    parser.add_argument("--suite", default="sid", help="Debian suite whose libtorch-dev to use (default sid)")
    parser.add_argument("--only", action="append", default=[], help="check only files whose path contains TEXT")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    opts = parser.parse_args()
    if not os.path.exists(os.path.join(opts.build, "build.ninja")):
        sys.exit(f"check_torch2_headers: {opts.build}: no build.ninja (configure a Ninja build first: make build)")
    include = fetch_headers(opts.suite, os.path.join(os.environ.get("TMPDIR", tempfile.gettempdir()),
                                                     "genbench-torch2"))
    compdb = json.loads(subprocess.check_output(["ninja", "-C", opts.build, "-t", "compdb"]))
    units = [c for c in compdb if c["file"].endswith(".cpp") and "cmake_pch" not in c["file"]
             and (not opts.only or any(o in c["file"] for o in opts.only))]

    def check(unit):
        p = subprocess.run(syntax_only(unit["command"], include), cwd=unit["directory"],
                           capture_output=True, text=True)
        return os.path.relpath(unit["file"], ROOT), p.returncode, p.stderr

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(opts.jobs) as pool:
        for path, rc, err in pool.map(check, units):
            print(("FAIL " if rc else "ok   ") + path, flush=True)
            if rc:
                failed += 1
                print("\n".join([l for l in err.splitlines() if "error" in l][:10]))
    print(f"{len(units) - failed} of {len(units)} translation units compile as C++20 against these headers")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
