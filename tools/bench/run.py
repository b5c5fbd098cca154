#!/usr/bin/env python3
"""The measuring half of `tools/bench.sh` (which installs the peers, builds the release binaries
and then runs this with the benchmark venv's Python). Makes the inputs with our generators,
measures ipgate and its peers side by side in the same run (runs alternate between the sides;
medians of wall and CPU time, peak RSS from `/usr/bin/time -v`) and writes docs/benchmarks.md.

    run.py [--quick] [--out docs/benchmarks.md] [--only ROW,ROW] [--keep]

With --only, the report goes to target/bench/benchmarks-only.md unless --out says otherwise (a
partial run never replaces docs/benchmarks.md by accident).

Rows: read, validate, package-validate, package-build, download, sync, submit, auth, start.
Nothing here fails on a time: a target not met is reported as "not met", a command that does
not exist yet as "not measurable yet: <why>". Exit 0 unless the script itself breaks.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
RELEASE = os.path.join(TARGET, "release")
IPGATE = os.path.join(RELEASE, "ipgate")
EXAMPLES = os.path.join(RELEASE, "examples")
DATA = os.path.join(TARGET, "bench")
XSD_DIR = os.path.join(REPO, "xsd", "wipo")
BULLETIN_XSD = os.path.join(XSD_DIR, "V6_0", "HagueIBToOfficeTransaction_V6_0.xsd")
SAMPLES = os.path.abspath(os.path.join(REPO, "..", "shared", "st96", "samples", "hague"))
PY = sys.executable
MB = 1e6


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- sizes -----------------------------------------------------------------------------------
FULL = dict(bulletin_mb=50, validate_mb=50, small_mb=1, runs=3, callgrind=True, callgrind_mb=(2, 0.5), slow_runs=1, package_mb=200, package_files=320,
            download_bytes=1_000_000_000, sync_weeks=20, sync_bytes=25_000_000, wan=(40, 20_000_000), submit_mb=20,
            auth_calls=1000, start_runs=200)
QUICK = dict(bulletin_mb=2, validate_mb=6, small_mb=0.5, runs=2, callgrind=False, callgrind_mb=(2, 0.5), slow_runs=1, package_mb=12, package_files=300,
             download_bytes=40_000_000, sync_weeks=4, sync_bytes=2_000_000, wan=(40, 4_000_000), submit_mb=4,
             auth_calls=1000, start_runs=30)


# ---- running and timing ----------------------------------------------------------------------
class Failed(Exception):
    pass


class NotYet(Exception):
    """A command the row needs does not exist (yet) in this build."""


def run(cmd, check=True, env=None, cwd=None, timeout=3600, quiet=False):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    if check and p.returncode != 0:
        raise Failed(f"{' '.join(map(str, cmd))} exited {p.returncode}: {p.stderr.strip()[-600:]}")
    return p


def timed(cmd, env=None, cwd=None, ok_codes=(0,), shell=False):
    """Runs cmd under /usr/bin/time -v; returns wall, cpu (user+sys), rss (KiB), stdout."""
    fd, tfile = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    argv = ["/usr/bin/time", "-v", "-o", tfile]
    argv += ["bash", "-c", cmd] if shell else [str(c) for c in cmd]
    # CPU from our own rusage of waited-for children (microseconds; time(1) rounds to 10 ms):
    # time(1) and everything it waited for, i.e. the command and its children.
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    outer = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    with open(tfile) as f:
        tv = f.read()
    os.unlink(tfile)
    if p.returncode not in ok_codes:
        shown = cmd if shell else " ".join(map(str, cmd))
        raise Failed(f"{shown} exited {p.returncode}: {(p.stderr or p.stdout).strip()[-600:]}")

    def field(name):
        m = re.search(re.escape(name) + r"[^:]*:\s*(\S+)", tv)
        return m.group(1) if m else "0"

    # The wall clock is ours (time(1) rounds it to 10 ms); it includes starting time(1) itself,
    # about a millisecond, on both sides alike.
    return dict(wall=outer, cpu=cpu,
                rss=int(field("Maximum resident set size")), out=p.stdout, err=p.stderr)


def tree_bytes(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)


def callgrind_ir(cmd):
    """Instructions executed by cmd under callgrind (reproducible on a busy machine)."""
    fd, out = tempfile.mkstemp(prefix="bench-callgrind-")
    os.close(fd)
    p = run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *map(str, cmd)], check=False)
    os.unlink(out)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if not m:
        raise Failed(f"callgrind gave no count for {cmd}: {p.stderr[-300:]}")
    return int(m.group(1))


def kv(text):
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", text)}


def proc_cpu(pid):
    """CPU seconds (user + system, all threads) process `pid` has used so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def side_by_side(sides, runs, prep=None, server=None):
    """sides: {name: (cmd_or_fn, runs_or_None, kwargs)}. Runs alternate between the sides.
    server: the pid of a server both sides talk to; its CPU during each run is kept as
    `server_cpu` (the two sides share the machine's cores with it)."""
    res = {name: [] for name in sides}
    n = max((r or runs) for _, r, _ in sides.values())
    for i in range(n):
        for name, (cmd, r, kw) in sides.items():
            if i >= (r or runs):
                continue
            if prep:
                prep(name)
            c = cmd() if callable(cmd) else cmd
            before = proc_cpu(server) if server else 0.0
            result = timed(c, **kw)
            if server:
                result["server_cpu"] = proc_cpu(server) - before
            res[name].append(result)
    return res


def med(rs, key):
    return statistics.median(r[key] for r in rs)


def summary(rs):
    s = dict(wall=med(rs, "wall"), cpu=med(rs, "cpu"), rss=max(r["rss"] for r in rs), n=len(rs))
    if all("server_cpu" in r for r in rs):
        s["server_cpu"] = med(rs, "server_cpu")
    return s


def num(x, digits=1):
    """A figure, or "n/a" where the measurement was within the noise (NaN)."""
    return "n/a" if x != x else f"{x:.{digits}f}"


def fmt_s(s):
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def ratio_text(ours, peer):
    return f"{ours['wall'] / peer['wall']:.2f}× ({ours['cpu'] / max(peer['cpu'], 1e-3):.2f}× CPU)"


def fmt_side(s, size=None):
    txt = f"{fmt_s(s['wall'])} wall, {fmt_s(s['cpu'])} CPU, {s['rss'] / 1024:.0f} MiB"
    if size:
        txt += f" ({size / MB / s['wall']:.0f} MB/s)"
    return txt


# ---- inputs ----------------------------------------------------------------------------------
def fresh(path, *deps):
    if not os.path.exists(path):
        return False
    t = os.path.getmtime(path)
    return all(os.path.getmtime(d) <= t for d in deps if os.path.exists(d))


def our_bulletin(mb):
    out = os.path.join(DATA, f"ours-{mb}mb.xml")
    gen = os.path.join(REPO, "tools", "gen-bulletin.py")
    if not fresh(out, gen):
        log(f"generating {out} with tools/gen-bulletin.py")
        run([PY, gen, "--size-mb", str(mb), "--seed", "1", "--out", out])
    return out


def rich_bulletin(mb):
    out = os.path.join(DATA, f"rich-{mb}mb.xml")
    gen = os.path.join(HERE, "gen-rich-bulletin.py")
    if not fresh(out, gen):
        log(f"generating {out} with tools/bench/gen-rich-bulletin.py (from the schema)")
        run([PY, gen, "--schema", BULLETIN_XSD, "--size-mb", str(mb), "--seed", "1", "--out", out])
    return out


def package_dir(mb, files):
    out = os.path.join(DATA, f"pkg-{mb}mb-{files}")
    gen = os.path.join(HERE, "gen-package.py")
    if not fresh(os.path.join(out, "app.xml"), gen):
        log(f"generating {out} with tools/bench/gen-package.py")
        shutil.rmtree(out, ignore_errors=True)
        run([PY, gen, "--template", os.path.join(SAMPLES, "indirect_application_minimal.xml"),
             "--size-mb", str(mb), "--files", str(files), "--out", out])
    return out


def built_package(mb, files):
    src = package_dir(mb, files)
    out = src + ".zip"
    if not fresh(out, os.path.join(src, "app.xml"), IPGATE):
        if os.path.exists(out):
            os.unlink(out)
        run([IPGATE, "package", "build", src, "-o", out, "--schemas", XSD_DIR, "--require-schema"])
    return src, out


# ---- the commands we need ------------------------------------------------------------------------
def has_command(*words):
    p = subprocess.run([IPGATE, *words, "--help"], capture_output=True, text=True)
    return p.returncode == 0


def need(*words):
    if not os.path.exists(IPGATE):
        raise NotYet(f"{IPGATE} is not built")
    if not has_command(*words):
        raise NotYet(f"`ipgate {' '.join(words)}` does not exist in this build")


def example(name):
    path = os.path.join(EXAMPLES, name)
    if not os.path.exists(path):
        raise NotYet(f"the example {name} is not built (cargo build --release --examples)")
    return path


# ---- rows ----------------------------------------------------------------------------------------
class Row:
    def __init__(self, key, work, target):
        self.key, self.work, self.target = key, work, target
        self.ours = self.peer = self.ratio = self.input = ""
        self.verdict = ""
        self.details = []

    def as_dict(self):
        return dict(key=self.key, work=self.work, input=self.input, ours=self.ours, peer=self.peer, ratio=self.ratio,
                    target=self.target, verdict=self.verdict, details=self.details)


def verdict(ok):
    return "met" if ok else "**not met**"


def row_read(cfg, row):
    need("st96", "check")
    read = example("bench_read")
    xmls = [("our generator", our_bulletin(cfg["bulletin_mb"])),
            ("schema-rich", rich_bulletin(cfg["bulletin_mb"]))]
    verdicts = []
    for label, xml in xmls:
        size = os.path.getsize(xml)
        sides = {
            "ipgate st96 check --no-xsd": ([IPGATE, "st96", "check", "--no-xsd", xml], None, {}),
            "st96 BulletinReader (library)": ([read, "typed", xml], None, {}),
            "floor: quick-xml NsReader loop": ([read, "floor", xml], None, {}),
            "lxml parse": ([PY, os.path.join(HERE, "peers.py"), "lxml-parse", xml], None, {}),
            "xmlschema decode": ([PY, os.path.join(HERE, "peers.py"), "xmlschema-decode", BULLETIN_XSD, xml],
                                 cfg["slow_runs"], {}),
        }
        res = {k: summary(v) for k, v in side_by_side(sides, cfg["runs"]).items()}
        ours = res["ipgate st96 check --no-xsd"]
        floor = res["floor: quick-xml NsReader loop"]
        xs = res["xmlschema decode"]
        r_floor = floor["wall"] / ours["wall"]
        r_floor_cpu = floor["cpu"] / ours["cpu"]
        r_xs = xs["wall"] / ours["wall"]
        ok = r_floor >= 0.5 and r_floor_cpu >= 0.5 and r_xs >= 20 and ours["rss"] <= 16 * 1024
        verdicts.append(ok)
        for name, s in res.items():
            row.details.append(f"{label} bulletin ({size / MB:.0f} MB): {name}: {fmt_side(s, size)} [{s['n']} runs]")
        row.details.append(
            f"{label}: ours/floor throughput {r_floor:.2f}× wall, {r_floor_cpu:.2f}× CPU; "
            f"{r_xs:.0f}× faster than xmlschema; {ours['rss'] / 1024:.0f} MiB RSS")
        row.input += f"{label} {size / MB:.0f} MB; "
        if label == "schema-rich":
            row.ours = fmt_side(ours, size) + " [schema-rich]"
            row.peer = (f"floor {fmt_side(floor, size)}; xmlschema {fmt_s(xs['wall'])}; "
                        f"lxml {fmt_s(res['lxml parse']['wall'])}")
            row.ratio = f"{r_floor:.2f}× floor ({r_floor_cpu:.2f}× CPU), {r_xs:.0f}× xmlschema"
    row.verdict = verdict(all(verdicts)) + " (both bulletins)" if len(verdicts) == 2 else ""


def row_validate(cfg, row):
    need("st96", "check")
    xsd_bin = example("bench_xsd")
    small_mb = cfg["small_mb"]
    verdicts = []
    for label, make in (("our generator", our_bulletin), ("schema-rich", rich_bulletin)):
        big, small = make(cfg["validate_mb"]), make(small_mb)
        bsz, ssz = os.path.getsize(big), os.path.getsize(small)
        per = {}
        for tag, xml in (("big", big), ("small", small)):
            sides = {
                # The verdict policy (hague_package::verdict): st96's V6_0 model alone where
                # its verdict is proven equal to the schema's, else the schema.
                "ipgate st96 check": ([IPGATE, "st96", "check", "--require-schema", "--schemas", XSD_DIR, xml], None, {}),
                # WIPO's schema whatever the model says (the schema's own speed).
                "ipgate st96 check --always-xsd": ([IPGATE, "st96", "check", "--always-xsd", "--require-schema",
                                                    "--schemas", XSD_DIR, xml], None, {}),
                "lxml validate": ([PY, os.path.join(HERE, "peers.py"), "lxml-validate", BULLETIN_XSD, xml], None, {}),
                "xmllint --stream --schema": (["xmllint", "--noout", "--stream", "--schema", BULLETIN_XSD, xml], None, {}),
                # Cheap: more runs, for the wrapper's overhead from their own clocks.
                "xsd-schema crate alone": ([xsd_bin, "crate", BULLETIN_XSD, xml], max(5, cfg["runs"]), {}),
                "hague_package::validate_xml": ([xsd_bin, "wrapper", BULLETIN_XSD, xml], max(5, cfg["runs"]), {}),
            }
            per[tag] = side_by_side(sides, cfg["runs"])
        # Throughput without schema compilation: the difference between the big and the small
        # file (the method), for every side.
        mbs = {}
        for name in per["big"]:
            b, s = summary(per["big"][name]), summary(per["small"][name])
            # A difference within the noise (the small file's time is mostly compilation) gives
            # no figure rather than a wild one.
            dwall, dcpu = b["wall"] - s["wall"], b["cpu"] - s["cpu"]
            mbs[name] = dict(wall=(bsz - ssz) / MB / dwall if dwall > 0.05 * b["wall"] else float("nan"),
                             cpu=(bsz - ssz) / MB / dcpu if dcpu > 0.05 * b["cpu"] else float("nan"),
                             rss=b["rss"], big=b)
            own = [kv(r["out"]) for r in per["big"][name]]
            own = [float(o.get("validate_secs", o.get("secs", "nan"))) for o in own]
            own_txt = ""
            if own and own[0] == own[0]:
                own_txt = f"; by its own clock, compile excluded: {bsz / MB / statistics.median(own):.1f} MB/s"
            row.details.append(
                f"{label} ({bsz / MB:.0f} MB, small {ssz / MB:.1f} MB): {name}: {fmt_side(b)}; big − small: "
                f"{num(mbs[name]['wall'])} MB/s wall, {num(mbs[name]['cpu'])} MB/s CPU{own_txt}")
        # The wrapper against the crate, from their own clocks (compile excluded).
        inner = {}
        for name, mode in (("xsd-schema crate alone", "crate"), ("hague_package::validate_xml", "wrapper")):
            inner[mode] = statistics.median(float(kv(r["out"]).get("validate_secs", "nan")) for r in per["big"][name])
        overhead = inner["wrapper"] / inner["crate"] - 1
        row.details.append(
            f"{label}: wrapper {inner['wrapper']:.3f} s vs xsd-schema alone {inner['crate']:.3f} s "
            f"(medians of their own clocks, compile excluded) on the same file: overhead "
            f"{overhead * 100:+.1f} % (target ≤ 10 %)")
        if cfg.get("callgrind") and shutil.which("valgrind"):
            # Instruction counts need no big file: 2 MB and 0.5 MB (valgrind is ~50× slower).
            big, small = (make(m) for m in cfg["callgrind_mb"])
            ir = {}
            for mode, xml in (("crate", small), ("crate", big), ("wrapper", big)):
                ir[(mode, xml)] = callgrind_ir([xsd_bin, mode, BULLETIN_XSD, xml])
            validation = ir[("crate", big)] - ir[("crate", small)]
            extra = ir[("wrapper", big)] - ir[("crate", big)]
            overhead = extra / validation
            row.details.append(
                f"{label}: callgrind, instructions: crate alone {ir[('crate', big)] / 1e9:.2f} G on "
                f"{os.path.getsize(big) / MB:.1f} MB, {ir[('crate', small)] / 1e9:.2f} G on "
                f"{os.path.getsize(small) / MB:.1f} MB (≈ compilation); wrapper "
                f"{ir[('wrapper', big)] / 1e9:.2f} G: overhead {overhead * 100:+.1f} % of the validation's instructions")
        ours = mbs["ipgate st96 check"]
        lx, xl = mbs["lxml validate"], mbs["xmllint --stream --schema"]
        # Faster than both in wall and in CPU time (NaN, i.e. noise, counts as not shown).
        ok = all(ours[k] > lx[k] and ours[k] > xl[k] for k in ("wall", "cpu")) and ours["rss"] <= 32 * 1024
        verdicts.append(ok)
        row.input += f"{label} {bsz / MB:.0f} MB (− {ssz / MB:.1f} MB for the compile); "
        if label == "schema-rich" or not row.ours:
            row.ours = (f"`st96 check`: {num(ours['wall'])} MB/s wall, {num(ours['cpu'])} MB/s CPU, "
                        f"{ours['rss'] / 1024:.0f} MiB [{label}]; wrapper overhead {overhead * 100:+.0f} %")
            row.peer = (f"lxml {num(lx['wall'])} MB/s wall, {num(lx['cpu'])} CPU, {lx['rss'] / 1024:.0f} MiB; "
                        f"xmllint {num(xl['wall'])} MB/s wall, {num(xl['cpu'])} CPU, {xl['rss'] / 1024:.0f} MiB")
            row.ratio = (f"speed {num(ours['wall'] / lx['wall'], 2)}× lxml ({num(ours['cpu'] / lx['cpu'], 2)}× CPU), "
                         f"{num(ours['wall'] / xl['wall'], 2)}× xmllint ({num(ours['cpu'] / xl['cpu'], 2)}× CPU)")
    row.verdict = verdict(all(verdicts)) + " (both bulletins)"


def row_package_validate(cfg, row):
    need("package", "validate")
    src, pkg = built_package(cfg["package_mb"], cfg["package_files"])
    size = os.path.getsize(pkg)
    sides = {
        "ipgate package validate": ([IPGATE, "package", "validate", pkg, "--schemas", XSD_DIR, "--require-schema"], None, {}),
        "unzip -t": (["unzip", "-tq", pkg], None, {}),
    }
    res = {k: summary(v) for k, v in side_by_side(sides, cfg["runs"]).items()}
    ours, peer = res["ipgate package validate"], res["unzip -t"]
    ratio = ours["wall"] / peer["wall"]
    row.ours, row.peer = fmt_side(ours, size), fmt_side(peer, size)
    row.ratio = ratio_text(ours, peer)
    row.verdict = verdict(ratio <= 0.5)
    row.input = f"{size / MB:.0f} MB package, {cfg['package_files']} JPEGs and PDFs"
    row.details.append(f"package {size / MB:.0f} MB, {cfg['package_files']} JPEGs and PDFs + XML, built by ipgate")


def row_package_build(cfg, row):
    need("package", "build")
    src, _ = built_package(cfg["package_mb"], cfg["package_files"])
    out_ours = os.path.join(DATA, "build-ours.zip")
    out_zip = os.path.join(DATA, "build-zip.zip")

    def prep(name):
        f = out_ours if name.startswith("ipgate") else out_zip
        if os.path.exists(f):
            os.unlink(f)

    sides = {
        "ipgate package build": ([IPGATE, "package", "build", src, "-o", out_ours, "--schemas", XSD_DIR,
                                  "--require-schema"], None, {}),
        "zip -r -q": (["zip", "-r", "-q", out_zip, "."], None, {"cwd": src}),
    }
    res = {k: summary(v) for k, v in side_by_side(sides, cfg["runs"], prep).items()}
    ours, peer = res["ipgate package build"], res["zip -r -q"]
    ratio = ours["wall"] / peer["wall"]
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(src) for f in fs)
    row.ours, row.peer = fmt_side(ours, size), fmt_side(peer, size)
    row.ratio = ratio_text(ours, peer)
    row.verdict = verdict(ratio <= 0.7)
    row.input = f"{size / MB:.0f} MB of files, {cfg['package_files']} JPEGs and PDFs"
    row.details.append(f"input {size / MB:.0f} MB; ours validates (XSD + rules) before writing; "
                       f"sizes: ours {os.path.getsize(out_ours) / MB:.0f} MB, zip {os.path.getsize(out_zip) / MB:.0f} MB")


# ---- the sandbox rows ------------------------------------------------------------------------------
class Sandbox:
    """`ipgate sandbox serve` in the background, a registered client and a profile using it."""

    def __init__(self, name, publication_size, wan=None):
        """wan: (latency_ms, bytes_per_sec_per_connection) for `--latency-ms` and
        `--bandwidth-per-connection` (publication downloads over an emulated wide-area network)."""
        need("sandbox", "serve")
        need("sandbox", "register-client")
        wan_args = []
        if wan:
            helptext = subprocess.run([IPGATE, "sandbox", "serve", "--help"], capture_output=True, text=True).stdout
            if "--bandwidth-per-connection" not in helptext:
                raise NotYet("`ipgate sandbox serve --latency-ms/--bandwidth-per-connection` does not exist in this build")
            wan_args = ["--latency-ms", str(wan[0]), "--bandwidth-per-connection", str(wan[1])]
        self.dir = os.path.join(DATA, f"sandbox-{name}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.env = dict(os.environ, IPGATE_DATA_DIR=os.path.join(self.dir, "data"),
                        IPGATE_CACHE_DIR=os.path.join(self.dir, "cache"),
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"))
        for k in ("IPGATE_HWS_BASE_URL", "IPGATE_ISSUER", "IPGATE_TOKEN_ENDPOINT", "IPGATE_CLIENT_ID",
                  "IPGATE_KEY_FILE", "IPGATE_PROFILE", "IPGATE_CONFIG"):
            self.env.pop(k, None)
        state = os.path.join(self.dir, "state")
        self.log = open(os.path.join(self.dir, "serve.log"), "w")
        self.proc = subprocess.Popen(
            [IPGATE, "sandbox", "serve", "--state", state, "--seed", "1", "--schemas", XSD_DIR,
             "--publication-size", str(publication_size), *wan_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=self.env)
        urls = {}
        deadline = time.time() + 60
        while "admin" not in urls and time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if ":" in line:
                k, v = line.split(":", 1)
                urls[k.strip()] = v.strip()
        if "hws" not in urls or "issuer" not in urls:
            self.stop()
            raise Failed(f"ipgate sandbox serve printed no URLs (see {self.log.name})")
        self.hws, self.issuer = urls["hws"], urls["issuer"]
        keys = os.path.join(self.dir, "keys")
        run([IPGATE, "keys", "generate", "--client-name", "bench", "--out", keys], env=self.env)
        run([IPGATE, "sandbox", "register-client", "--state", state, "--cert",
             os.path.join(keys, "es256_cert.pem"), "--client-id", "bench", "--examining-office"], env=self.env)
        self.journal = os.path.join(self.dir, "journal.sqlite")
        self.config = os.path.join(self.dir, "config.toml")
        with open(self.config, "w") as f:
            f.write(f'[profiles.bench.wipo]\nissuer = "{self.issuer}"\nclient_id = "bench"\n'
                    f'key_file = "{os.path.join(keys, "hague4offices_private.pem")}"\n'
                    f'scope = "hague-api/hws-access"\n'
                    f'[profiles.bench.hws]\nbase_url = "{self.hws}"\njournal = "{self.journal}"\n')
        self.cli = [IPGATE, "--config", self.config, "--profile", "bench"]
        tok = run(self.cli + ["auth", "token", "--show-token", "--no-cache"], env=self.env)
        m = re.search(r"(ey[\w-]+\.[\w-]+\.[\w-]+|[A-Za-z0-9._~+/-]{20,}=*)\s*$", tok.stdout.strip())
        if not m:
            raise Failed("`ipgate auth token --show-token` printed no token")
        self.token = m.group(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def reset_journal(self):
        for suffix in ("", "-wal", "-shm"):
            p = self.journal + suffix
            if os.path.exists(p):
                os.unlink(p)


def past_weeks(n, back=3):
    """n consecutive ISO weeks ending `back` weeks ago, as yyyyww."""
    today = dt.date.today()
    out = []
    for i in range(n + back - 1, back - 1, -1):
        y, w, _ = (today - dt.timedelta(weeks=i)).isocalendar()
        out.append(f"{y}{w:02d}")
    return out


def row_download(cfg, row):
    need("hague", "bulletin")
    sb = Sandbox("download", cfg["download_bytes"])
    try:
        week = past_weeks(1)[0]
        url = f"{sb.hws}/publication/bulletin/{week}"
        d_ours, d_curl = os.path.join(sb.dir, "ours"), os.path.join(sb.dir, "curl")

        def prep(name):
            d = d_ours if name.startswith("ipgate") else d_curl
            sb.reset_journal()
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)

        curl = (f"curl -sS --fail -H 'Authorization: Bearer {sb.token}' -o {d_curl}/b.zip {url} "
                f"&& unzip -q {d_curl}/b.zip -d {d_curl}/x")
        sides = {
            "ipgate hague bulletin --extract": (sb.cli + ["hague", "bulletin", week, "--out", d_ours, "--extract"],
                                                None, {"env": sb.env}),
            "curl -o + unzip -q": (curl, None, {"shell": True}),
        }
        res = {k: summary(v) for k, v in side_by_side(sides, cfg["runs"], prep).items()}
        got = [tree_bytes(d) for d in (d_ours, d_curl)]
    finally:
        sb.stop()
    if min(got) < cfg["download_bytes"] * 0.9:
        raise Failed(f"a side wrote too little: ipgate {got[0]} bytes, curl+unzip {got[1]} bytes")
    ours, peer = res["ipgate hague bulletin --extract"], res["curl -o + unzip -q"]
    ratio = ours["wall"] / peer["wall"]
    size = cfg["download_bytes"]
    row.ours, row.peer = fmt_side(ours, size), fmt_side(peer, size)
    row.ratio = ratio_text(ours, peer)
    row.verdict = verdict(ratio <= 1.0 and ours["rss"] <= 64 * 1024)
    row.input = f"{size / MB:.0f} MB bulletin"
    row.details.append(f"one {size / MB:.0f} MB bulletin (week {week}) from `ipgate sandbox serve` over loopback HTTP")


def sync_once(cfg, label, wan, more=()):
    """`bulletin sync` against a curl loop on one sandbox; returns (ours, peer, weeks, {n: more}),
    `more`: other --concurrency values to measure too."""
    sb = Sandbox("sync", cfg["sync_bytes"], wan)
    try:
        weeks = past_weeks(cfg["sync_weeks"])
        d_ours, d_curl = os.path.join(sb.dir, "ours"), os.path.join(sb.dir, "curl")

        def prep(name):
            d = d_ours if name.startswith("ipgate") else d_curl
            sb.reset_journal()
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)

        loop = "set -e; " + "; ".join(
            f"curl -sS --fail -H 'Authorization: Bearer {sb.token}' -o {d_curl}/{w}.zip {sb.hws}/publication/bulletin/{w}"
            for w in weeks)
        sides = {
            "ipgate hague bulletin sync": (sb.cli + ["hague", "bulletin", "sync", "--from", weeks[0], "--to", weeks[-1],
                                                     "--out", d_ours], None, {"env": sb.env}),
            "curl loop": (loop, None, {"shell": True}),
        }
        for n in more:
            sides[f"ipgate hague bulletin sync --concurrency {n}"] = (
                sb.cli + ["hague", "bulletin", "sync", "--from", weeks[0], "--to", weeks[-1], "--out", d_ours,
                          "--concurrency", str(n)], None, {"env": sb.env})
        res = {k: summary(v) for k, v in side_by_side(sides, cfg["runs"], prep, server=sb.proc.pid).items()}
        got = [len([f for f in os.listdir(d) if f.endswith(".zip")]) for d in (d_ours, d_curl)]
    finally:
        sb.stop()
    if got != [len(weeks), len(weeks)]:
        raise Failed(f"{label}: ZIPs written: ipgate {got[0]}, curl {got[1]}, of {len(weeks)} weeks")
    extra = {n: res[f"ipgate hague bulletin sync --concurrency {n}"] for n in more}
    return res["ipgate hague bulletin sync"], res["curl loop"], weeks, extra


def row_sync(cfg, row):
    need("hague", "bulletin", "sync")
    lat, bw = cfg["wan"]
    variants = [("loopback", None),
                (f"WAN-emulated ({lat} ms, {bw / MB:.0f} MB/s per connection)", (lat, bw))]
    cells = []
    for label, wan in variants:
        try:
            ours, peer, weeks, extra = sync_once(cfg, label, wan, more=(2,) if wan else ())
        except NotYet as e:
            row.details.append(f"{label}: not measurable yet: {e}")
            continue
        short = label.split(" (")[0]
        cells.append((short, ours, peer, ours["wall"] / peer["wall"] <= 0.5))
        row.details.append(f"{label}: ipgate (default concurrency) {fmt_side(ours)}; curl loop {fmt_side(peer)}; "
                           f"{ratio_text(ours, peer)}")
        if "server_cpu" in ours and "server_cpu" in peer:
            cores = os.cpu_count() or 1
            row.details.append(
                f"{label}: the sandbox's own CPU while serving ipgate {fmt_s(ours['server_cpu'])}, the curl loop "
                f"{fmt_s(peer['server_cpu'])}; on {cores} cores ipgate's wall cannot be below (its CPU + the "
                f"sandbox's) / {cores} = {fmt_s((ours['cpu'] + ours['server_cpu']) / cores)}, "
                f"{(ours['cpu'] + ours['server_cpu']) / cores / peer['wall']:.2f}× the curl loop's wall")
        for n, r in extra.items():
            row.details.append(f"{label}: ipgate --concurrency {n} {fmt_side(r)}; {ratio_text(r, peer)} the curl loop")
    if not cells:
        raise NotYet("no variant could run")
    row.ours = "; ".join(f"{l}: {fmt_side(o)}" for l, o, _, _ in cells)
    row.peer = "; ".join(f"{l}: {fmt_side(p)}" for l, _, p, _ in cells)
    row.ratio = "; ".join(f"{l}: {ratio_text(o, p)}" for l, o, p, _ in cells)
    row.verdict = "; ".join(f"{verdict(ok)} ({l})" for l, _, _, ok in cells)
    row.input = f"{len(weeks)} weeks of {cfg['sync_bytes'] / MB:.0f} MB"
    row.details.append(
        f"{len(weeks)} weeks ({weeks[0]}–{weeks[-1]}) of {cfg['sync_bytes'] / MB:.0f} MB each, default concurrency "
        "(4); the curl loop is sequential. *loopback*: `ipgate sandbox serve` as it is, hundreds of MB/s, where the "
        "transfer is not the bottleneck; *WAN-emulated*: the same sandbox with `--latency-ms "
        f"{lat} --bandwidth-per-connection {bw}` (a round trip before each answer, each connection paced), as "
        "a distant server behaves")


def row_submit(cfg, row):
    need("hague", "submit")
    _, pkg = built_package(cfg["submit_mb"], 40)
    sb = Sandbox("submit", 1_000_000)
    try:
        curl = (f"curl -sS --fail -o /dev/null -H 'Authorization: Bearer {sb.token}' "
                f"-H 'Content-Type: application/zip' --data-binary @{pkg} {sb.hws}/request")
        sides = {
            "ipgate hague submit": (sb.cli + ["hague", "submit", pkg, "--force", "--schemas", XSD_DIR], None,
                                    {"env": sb.env}),
            "curl upload": (curl, None, {"shell": True}),
        }
        res = {k: summary(v) for k, v in side_by_side(sides, cfg["runs"]).items()}
    finally:
        sb.stop()
    ours, peer = res["ipgate hague submit"], res["curl upload"]
    ratio = ours["wall"] / peer["wall"]
    size = os.path.getsize(pkg)
    row.ours, row.peer = fmt_side(ours), fmt_side(peer)
    row.ratio = ratio_text(ours, peer)
    row.verdict = verdict(ratio <= 1.5)
    row.input = f"{size / MB:.0f} MB package"
    row.details.append(f"{size / MB:.0f} MB package; ours validates it first (XSD + rules) and journals it; "
                       "token cached on disk from the previous run, as for a user")


def row_auth(cfg, row):
    auth = example("bench_auth")
    r = timed([auth, str(cfg["auth_calls"])])
    v = kv(r["out"])
    reqs, ns = int(v["token_requests"]), float(v["cached_token_ns"])
    row.ours = (f"{v['calls']} concurrent pings ({v['ok']} ok) in {float(v['wall_secs']):.2f} s: "
                f"{reqs} token request(s); cached token {ns:.0f} ns/call")
    row.peer = "—"
    row.ratio = "—"
    row.verdict = verdict(reqs == 1 and int(v["ok"]) == int(v["calls"]) and ns <= 2000)
    row.input = f"{cfg['auth_calls']} calls"
    row.details.append("hws-client's HwsClient against ipgate-sandbox in one process (bench_auth example)")


def row_start(cfg, row):
    if not os.path.exists(IPGATE):
        raise NotYet("ipgate is not built")
    out = os.path.join(DATA, "hyperfine-start.json")
    run(["hyperfine", "-N", "--warmup", "5", "--runs", str(cfg["start_runs"]), "--export-json", out,
         f"{IPGATE} --version", "curl --version"])
    with open(out) as f:
        res = json.load(f)["results"]
    ours, peer = res[0]["median"], res[1]["median"]
    rss = {n: timed(c)["rss"] for n, c in (("ours", [IPGATE, "--version"]), ("curl", ["curl", "--version"]))}
    row.ours = f"{ours * 1000:.1f} ms, {rss['ours'] / 1024:.0f} MiB"
    row.peer = f"{peer * 1000:.1f} ms, {rss['curl'] / 1024:.0f} MiB"
    row.ratio = f"{ours / peer:.2f}×"
    row.verdict = verdict(ours <= peer)
    row.input = "—"
    row.details.append(f"hyperfine -N, {cfg['start_runs']} runs after 5 warm-ups, medians")


ROWS = [
    ("read", "ST.96 typed read of a ≥ 50 MB bulletin, streaming",
     "≥ 0.5× the floor (CPU too), ≥ 20× xmlschema, RSS ≤ 16 MB", row_read),
    ("validate", "Validate a ≥ 50 MB bulletin against WIPO's schema",
     "faster than both, RSS ≤ 32 MB, pure Rust", row_validate),
    ("package-validate", "Validate a 200 MB package (≥ 300 JPEGs and PDFs)", "≤ 0.5× unzip -t", row_package_validate),
    ("package-build", "Build that package", "≤ 0.7× zip -r", row_package_build),
    ("download", "Download and extract a 1 GB bulletin from the sandbox",
     "≤ 1.0× wall, RSS ≤ 64 MB", row_download),
    ("sync", "`bulletin sync` of 20 weeks", "≤ 0.5× wall", row_sync),
    ("submit", "Submit a 20 MB package to the sandbox, validation included", "≤ 1.5×", row_submit),
    ("auth", "Auth: 1000 concurrent HWS calls", "exactly 1 token request; cached token ≤ 2 µs", row_auth),
    ("start", "CLI start: `ipgate --version`", "≤ 1.0× `curl --version`", row_start),
]


# ---- the report ----------------------------------------------------------------------------------
def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))

    def version(cmd, pattern=None):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            text = (p.stdout or p.stderr).strip()
            if pattern:
                m = re.search(pattern, text)
                return m.group(0) if m else "unknown"
            return " ".join(text.splitlines()[0].split()[:3])
        except (OSError, IndexError):
            return "missing"

    peers = {
        "ipgate": version([IPGATE, "--version"]),
        "rustc": version(["rustc", "--version"], r"rustc \S+"),
        "python": platform.python_version(),
        "lxml": version([PY, "-c", "import lxml.etree as e; print(e.__version__, 'libxml2', '.'.join(map(str, e.LIBXML_VERSION)))"], r".+"),
        "xmlschema": version([PY, "-c", "import xmlschema; print(xmlschema.__version__)"]),
        "xmllint": version(["xmllint", "--version"], r"libxml version \d+"),
        "curl": version(["curl", "--version"]),
        "zip": version(["zip", "-v"], r"Zip \d[\d.]*"),
        "unzip": version(["unzip", "-v"], r"UnZip \d[\d.]*"),
        "hyperfine": version(["hyperfine", "--version"]),
    }
    commit = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = bool(run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], check=False).stdout.strip())
    return dict(nproc=os.cpu_count(), cpu=model, mem_gib=mem / 1024 / 1024, peers=peers,
                commit=commit + (" (with uncommitted changes of the shared tree)" if dirty else ""))


def write_report(path, rows, info, quick, load_start, load_end, started, elapsed, json_name="last-run.json"):
    notes_file = os.path.join(HERE, "notes.md")
    notes = open(notes_file, encoding="utf-8").read() if os.path.exists(notes_file) else ""
    mode = "QUICK (small inputs, `tools/bench.sh --quick`)" if quick else "full"
    lines = [
        "# Benchmarks: ipgate side by side with the tools offices use today",
        "",
        "Generated by `tools/bench.sh` (the measuring is `tools/bench/run.py`); do not edit by hand —",
        "the notes at the end come from `tools/bench/notes.md`. Each row's two sides ran in the same",
        "run, alternating; figures are medians (wall and CPU = user + system), peak RSS is the",
        "largest `Maximum resident set size` of `/usr/bin/time -v`. Ratio: ours / peer for times",
        "(lower is better) unless the row says otherwise. Nothing in the test suite fails on a time.",
        "",
        f"- **Mode: {mode}**" + (" — the inputs are far below the sizes of the targets; "
                                   "ratios on them are indicative only." if quick else ""),
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}, {elapsed / 60:.1f} min",
        f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['mem_gib']:.1f} GiB memory, "
        f"load average {load_start} at the start and {load_end} at the end"
        + (" (**a busy machine: wall-clock figures are inflated; CPU figures are steadier**)"
           if max(float(load_start.split()[0]), float(load_end.split()[0])) >= 2 else ""),
        f"- ipgate: {info['peers']['ipgate']} at {info['commit']}, {info['peers']['rustc']}, release build",
        "- Peers: " + "; ".join(f"{k} {v}" for k, v in info["peers"].items() if k not in ("ipgate", "rustc")),
        "",
        "| Work | Input in this run | ipgate | Peer, same input, same run | Ratio | Target | Verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [r.work, r.input.rstrip("; "), r.ours, r.peer, r.ratio, r.target, r.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") if c else "" for c in cells) + " |")
    lines += ["", "## Details", ""]
    for r in rows:
        lines.append(f"### {r.work}")
        lines.append("")
        lines += [f"- {d}" for d in r.details] or ["- (none)"]
        lines.append("")
    if notes:
        lines += [notes.rstrip(), ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    with open(os.path.join(DATA, json_name), "w") as f:
        json.dump(dict(rows=[r.as_dict() for r in rows], machine=info, quick=quick, load_start=load_start,
                       load_end=load_end, started=started.isoformat(), elapsed=elapsed), f, indent=1)


def render_again(path):
    """Writes the report again from target/bench/last-run.json (e.g. after editing notes.md)."""
    with open(os.path.join(DATA, "last-run.json")) as f:
        d = json.load(f)
    rows = []
    for r in d["rows"]:
        row = Row(r["key"], r["work"], r["target"])
        for k in ("ours", "peer", "ratio", "verdict", "details", "input"):
            setattr(row, k, r.get(k, ""))
        rows.append(row)
    write_report(path, rows, d["machine"], d["quick"], d["load_start"], d["load_end"],
                 dt.datetime.fromisoformat(d["started"]), d["elapsed"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", help="the report (default docs/benchmarks.md; with --only, "
                    "target/bench/benchmarks-only.md, so a partial run never replaces the full report)")
    ap.add_argument("--callgrind", action="store_true",
                    help="also count instructions (valgrind) for the XSD wrapper's overhead (always on in full runs)")
    ap.add_argument("--only", help="comma-separated row keys: " + ",".join(k for k, *_ in ROWS))
    ap.add_argument("--render-only", action="store_true",
                    help="write the report again from the last run's figures (target/bench/last-run.json)")
    args = ap.parse_args()
    if args.out is None:
        args.out = (os.path.join(DATA, "benchmarks-only.md") if args.only
                    else os.path.join(REPO, "docs", "benchmarks.md"))
    if args.render_only:
        render_again(args.out)
        return 0
    cfg = dict(QUICK if args.quick else FULL)
    if args.callgrind:
        cfg["callgrind"] = True
    os.makedirs(DATA, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.time()
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])
    only = set(args.only.split(",")) if args.only else None
    rows = []
    for key, work, target, fn in ROWS:
        if only and key not in only:
            continue
        row = Row(key, work, target)
        log(f"row {key}: {work}")
        try:
            fn(cfg, row)
        except NotYet as e:
            row.ours = f"not measurable yet: {e}"
            row.verdict = "—"
        except (Failed, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
            row.ours = f"failed: {str(e)[:300]}"
            row.verdict = "—"
            row.details.append("```\n" + traceback.format_exc()[-1500:] + "```")
        log(f"row {key}: {row.ours} | {row.peer} | {row.ratio} | {row.verdict}")
        rows.append(row)
    load_end = " ".join(open("/proc/loadavg").read().split()[:3])
    # A partial run (--only) keeps the full run's figures (last-run.json) for --render-only.
    write_report(args.out, rows, machine(), args.quick, load_start, load_end, started, time.time() - t0,
                 json_name="last-run-only.json" if only else "last-run.json")
    log(f"wrote {args.out} in {(time.time() - t0) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
