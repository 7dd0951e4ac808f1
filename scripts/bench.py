#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make bench, the host side (Debian's python3, standard library only).

  bench.py mkdisk IMAGE NPARTS PART_MIB
      a sparse raw disk image with a GPT of NPARTS equal Linux partitions
  bench.py report RAWDIR OUTDIR [--header KEY=VALUE ...]
      RAWDIR is the guest's results archive, unpacked (tests/bench/run.sh);
      writes OUTDIR/results.json, summary.md, readme.md, ratios.png
  bench.py readme SUMMARY README
      replaces the table between the bench markers in README

Every statistic is computed here: medians and spread over the repetitions,
ratios against kernel ext4 and against classic FUSE (fuse2fs) within the
run, CPU use from /proc/stat samples, upcalls per GiB from fusetd's
counters.
"""
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import uuid
import zlib

SECTOR = 512
BASE = "ext4"            # kernel filesystem: the reference
CLASSIC = "fuse2fs"      # the published classic FUSE baseline
OURS = "iomap"           # the target the goals are about
NOCACHE = "iomap-nocache"  # the same without the mapping cache
UPCALL_OPS = ("READ", "WRITE", "IOMAP_BEGIN", "IOMAP_END", "IOMAP_IOEND")
README_BEGIN = "<!-- bench-table-begin -->"
README_END = "<!-- bench-table-end -->"


# --- mkdisk ---------------------------------------------------------------

def mkdisk(path, nparts, part_mib):
    """A GPT disk: 1 MiB before the first partition, 1 MiB after the last."""
    linux_fs = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")
    part_sectors = part_mib * 2048
    first = 2048
    total = first + nparts * part_sectors + 2048
    last_lba = total - 1
    entries = bytearray(128 * 128)
    for i in range(nparts):
        start = first + i * part_sectors
        name = ("bench%d" % (i + 1)).encode("utf-16-le")
        struct.pack_into("<16s16sQQQ72s", entries, i * 128, linux_fs.bytes_le,
                         uuid.uuid4().bytes_le, start, start + part_sectors - 1,
                         0, name)
    entries_crc = zlib.crc32(entries)
    disk_guid = uuid.uuid4().bytes_le

    def header(my_lba, alt_lba, entries_lba):
        fmt = "<8sIIIIQQQQ16sQIII"
        args = [b"EFI PART", 0x10000, 92, 0, 0, my_lba, alt_lba, 34,
                last_lba - 33, disk_guid, entries_lba, 128, 128, entries_crc]
        hdr = struct.pack(fmt, *args)
        args[3] = zlib.crc32(hdr)
        return struct.pack(fmt, *args).ljust(SECTOR, b"\0")

    mbr = bytearray(SECTOR)
    struct.pack_into("<B3sB3sII", mbr, 446, 0, b"\x00\x02\x00", 0xEE,
                     b"\xff\xff\xff", 1, min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    with open(path, "wb") as f:
        f.truncate(total * SECTOR)
        f.write(mbr)
        f.write(header(1, last_lba, 2))
        f.write(entries)
        f.seek((last_lba - 32) * SECTOR)
        f.write(entries)
        f.write(header(last_lba, 1, last_lba - 32))


# --- report ---------------------------------------------------------------

def load_table(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "|" in line:
                rows.append(line.split("|"))
    return rows


def load_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    return env


def load_fio(path):
    """fio's JSON, past any warning lines fio printed before it."""
    with open(path) as f:
        text = f.read()
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON in " + path)
    return json.JSONDecoder().raw_decode(text[start:])[0]


def cpu_sample(base, ncpu):
    """VM-wide busy CPU and the server's CPU, in % of one CPU, from the
    samples hook.sh took before (base.cpu0) and after (base.cpu1) a run."""
    with open(base + ".cpu0") as f:
        l0 = f.read().split("\n")
    with open(base + ".cpu1") as f:
        l1 = f.read().split("\n")
    c0 = [int(x) for x in l0[0].split()[1:]]
    c1 = [int(x) for x in l1[0].split()[1:]]
    d = [b - a for a, b in zip(c0, c1)]
    total = sum(d[:8])         # guest time is already in user
    idle = d[3] + d[4]
    wall = total / ncpu        # ticks of one CPU over the run
    res = {"vm_cpu": 100.0 * (total - idle) / wall if wall else None,
           "server_cpu": None}
    if l0[1].strip() not in ("", "-") and l1[1].strip() not in ("", "-") \
            and wall:
        res["server_cpu"] = 100.0 * (int(l1[1]) - int(l0[1])) / wall
    if len(l0) > 3 and len(l1) > 2 and l0[3] and l1[2]:
        # seconds spent flushing/dropping caches, and from then to the end
        res["prepare_s"] = float(l0[3]) - float(l0[2])
        res["wall_s"] = float(l1[2]) - float(l0[3])
    return res


def upcall_counts(path):
    counts = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 2:
                    counts[p[0]] = int(p[1])
    return counts


def one_run(job, base, ncpu):
    """The figures of one target's fio run: job is its entry in fio's
    JSON, base the prefix of hook.sh's files (base.cpu0, .cpu1,
    .upcalls)."""
    if job.get("error"):
        raise ValueError("fio error %d" % job["error"])
    dirs = [job[k] for k in ("read", "write") if job[k]["io_bytes"] > 0]
    if not dirs:
        raise ValueError("no I/O")
    main = max(dirs, key=lambda d: d["io_bytes"])
    io_bytes = sum(d["io_bytes"] for d in dirs)
    # Total latency (submission to completion, lat_percentiles=1): with
    # io_uring an I/O can complete inside the submitting call, which
    # fio's completion latency (clat) alone would not see.
    pct = main.get("lat_ns", {}).get("percentile") or \
        main.get("clat_ns", {}).get("percentile", {})
    r = {
        "mbps": sum(d["bw_bytes"] for d in dirs) / 1e6,
        "iops": sum(d["iops"] for d in dirs),
        "p50_us": pct.get("50.000000", 0) / 1000.0 if pct else None,
        "p99_us": pct.get("99.000000", 0) / 1000.0 if pct else None,
        "fio_usr": job["usr_cpu"],
        "fio_sys": job["sys_cpu"],
        "io_bytes": io_bytes,
        "runtime_ms": max(d["runtime"] for d in dirs),
    }
    r.update(cpu_sample(base, ncpu))
    counts = upcall_counts(base + ".upcalls")
    if counts:
        gib = io_bytes / 2.0**30
        r["upcalls"] = counts
        r["upcalls_per_gib"] = sum(counts.values()) / gib if gib else None
        for op in UPCALL_OPS:
            r[op.lower() + "_per_gib"] = counts.get(op, 0) / gib if gib else None
    return r


def median(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def goal_of(job):
    """The project's target ratio (iomap ×ext4) for a job, and its class."""
    seq = job.startswith("seq")
    if "-direct" in job:
        return (0.97, "direct sequential") if seq else (0.95, "direct random 4k")
    if job.startswith("mmap"):
        return 0.95, "mmap (as buffered random)"
    return (1.0, "buffered sequential") if seq else (0.95, "buffered random 4k")


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, digits)


def ratio(a, b):
    return a / b if a is not None and b else None


def report(rawdir, outdir, header):
    env = load_env(os.path.join(rawdir, "env.txt"))
    targets = load_table(os.path.join(rawdir, "targets.txt"))
    jobs = load_table(os.path.join(rawdir, "jobs.txt"))
    ncpu = int(env.get("guest_cpus", "1"))
    reps = int(env.get("reps", "1"))
    runs = os.path.join(rawdir, "runs")
    tnames = [t[0] for t in targets
              if any(os.path.isdir(os.path.join(runs, j[0], t[0])) for j in jobs)]
    results = {"header": dict(header), "env": env,
               "targets": [{"name": t[0], "setup": t[1], "description": t[2]}
                           for t in targets if t[0] in tnames],
               "jobs": [], "failures": []}
    for jname, metric, opts in jobs:
        jdir = os.path.join(runs, jname)
        if not os.path.isdir(jdir):
            continue
        jres = {"name": jname, "metric": metric, "fio_options": opts,
                "targets": {}}
        per_target = {t: [] for t in tnames}
        for rep in range(1, reps + 1):
            path = os.path.join(jdir, "%d.json" % rep)
            try:
                fio_jobs = {j["jobname"]: j for j in load_fio(path)["jobs"]}
            except (OSError, ValueError, KeyError) as e:
                results["failures"].append("%s rep %d: %s" % (jname, rep, e))
                continue
            for t in tnames:
                if t not in fio_jobs:
                    continue
                base = os.path.join(jdir, t, str(rep))
                try:
                    per_target[t].append(one_run(fio_jobs[t], base, ncpu))
                except (OSError, ValueError, KeyError, IndexError) as e:
                    results["failures"].append("%s %s rep %d: %s"
                                               % (jname, t, rep, e))
        for t in tnames:
            reps_res = per_target[t]
            if not reps_res:
                continue
            keys = [k for k in reps_res[0] if k != "upcalls"]
            med = {k: median([r.get(k) for r in reps_res]) for k in keys}
            vals = [r["mbps" if metric == "bw" else "iops"] for r in reps_res]
            m = median(vals)
            med["value"] = m
            med["spread_pct"] = 100.0 * (max(vals) - min(vals)) / m if m else None
            med["n"] = len(reps_res)
            jres["targets"][t] = {"median": med, "runs": reps_res}
        for t, tr in jres["targets"].items():
            v = tr["median"]["value"]
            for b in (BASE, CLASSIC, "classic"):
                if b in jres["targets"]:
                    tr["median"]["x_" + b] = ratio(
                        v, jres["targets"][b]["median"]["value"])
        results["jobs"].append(jres)

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    short, full = markdown(results, tnames)
    with open(os.path.join(outdir, "readme.md"), "w") as f:
        f.write(short)
    with open(os.path.join(outdir, "summary.md"), "w") as f:
        f.write(full)
    chart(results, tnames, outdir)
    return results


def header_table(res):
    h, env = res["header"], res["env"]
    rows = [
        ("date", h.get("date", "")),
        ("kernel", "%s (%s)" % (env.get("kernel", ""), env.get("kernel_build", ""))),
        ("accelerator", "%s, %s vCPUs, %d MiB, %s" % (
            h.get("accel", ""), env.get("guest_cpus", ""),
            int(env.get("guest_mem_kb", "0")) // 1024, h.get("qemu", ""))),
        ("host CPU", h.get("host_cpu", "")),
        ("guest CPU", env.get("guest_cpu", "")),
        ("disk", h.get("disk", "")),
        ("runs", "%s × %s s (ramp %s s) per job and target, %s file, %s, "
         "interleaved" % (env.get("reps"), env.get("runtime"),
                          env.get("ramp"), env.get("size"), env.get("fio"))),
        ("wall time", h.get("wall", "")),
    ]
    out = ["| | |", "|---|---|"]
    out += ["| %s | %s |" % r for r in rows]
    return "\n".join(out) + "\n"


def markdown(res, tnames):
    unit = {"bw": "MB/s", "iops": "IOPS"}
    jobs = res["jobs"]
    s = []
    s.append(header_table(res))
    s.append("\nMedian of the repetitions; in brackets the ratio to kernel "
             "ext4 on the same disk in the same boot.  Under TCG the absolute "
             "numbers mean little; the ratios are the result.\n")
    s.append("\n| job | unit | " + " | ".join(tnames) + " |")
    s.append("|---|---|" + "---:|" * len(tnames))
    for j in jobs:
        cells = []
        for t in tnames:
            tr = j["targets"].get(t)
            if not tr:
                cells.append("–")
                continue
            m = tr["median"]
            c = fmt(m["value"], 1 if m["value"] < 100 else 0)
            if t != BASE and m.get("x_" + BASE) is not None:
                c += " (%.2f)" % m["x_" + BASE]
            cells.append(c)
        s.append("| %s | %s | %s |" % (j["name"], unit[j["metric"]],
                                       " | ".join(cells)))

    if any(OURS in j["targets"] for j in jobs):
        s.append("\nWhere `%s` stands against the project's goals "
                 "(ratio to ext4; goals are not asserted anywhere):\n" % OURS)
        s.append("| job | goal | %s ×ext4 | %s ×%s | %s ×classic | "
                 "upcalls/GiB | %s ×ext4 | its upcalls/GiB | verdict |" % (
                     OURS, OURS, CLASSIC, OURS, NOCACHE))
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for j in jobs:
            tr = j["targets"].get(OURS)
            if not tr:
                continue
            m = tr["median"]
            nc = j["targets"].get(NOCACHE, {}).get("median", {})
            goal, _ = goal_of(j["name"])
            x = m.get("x_" + BASE)
            if x is None:
                verdict = "–"
            elif x >= goal:
                verdict = "met"
            else:
                verdict = "short by %.0f%%" % (100.0 * (goal - x) / goal)
            s.append("| %s | ≥ %.2f | %s | %s | %s | %s | %s | %s | %s |" % (
                j["name"], goal, fmt(x, 2), fmt(m.get("x_" + CLASSIC), 2),
                fmt(m.get("x_classic"), 2), fmt(m.get("upcalls_per_gib")),
                fmt(nc.get("x_" + BASE), 2), fmt(nc.get("upcalls_per_gib")),
                verdict))
    short = "\n".join(s) + "\n"

    d = [short, "\n## Every figure\n",
         "Medians; spread is (max − min) / median of the ranking metric.  "
         "Latencies are fio's total latencies (submission to completion).  fio CPU is the fio "
         "process (usr/sys, %% of one CPU); VM CPU is the whole guest "
         "(%% of one CPU, %s vCPUs) and includes the FUSE server and kernel "
         "threads; server CPU is the FUSE server alone.  Upcalls are "
         "fusetd's request counts per GiB moved (fuse2fs has no "
         "counters).\n" % res["env"].get("guest_cpus", "?"),
         "\n| job | target | MB/s | IOPS | p50 µs | p99 µs | fio usr/sys % "
         "| VM CPU % | server CPU % | upcalls/GiB | READ | WRITE "
         "| IOMAP_BEGIN | IOMAP_IOEND | spread | n |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
         "|---:|---:|---:|---:|"]
    for j in jobs:
        for t in tnames:
            tr = j["targets"].get(t)
            if not tr:
                continue
            m = tr["median"]
            d.append("| %s | %s | %s | %s | %s | %s | %s/%s | %s | %s | %s "
                     "| %s | %s | %s | %s | %s%% | %d |" % (
                         j["name"], t, fmt(m["mbps"], 1), fmt(m["iops"]),
                         fmt(m["p50_us"], 1), fmt(m["p99_us"], 1),
                         fmt(m["fio_usr"], 1), fmt(m["fio_sys"], 1),
                         fmt(m["vm_cpu"]), fmt(m["server_cpu"]),
                         fmt(m.get("upcalls_per_gib")),
                         fmt(m.get("read_per_gib")),
                         fmt(m.get("write_per_gib")),
                         fmt(m.get("iomap_begin_per_gib")),
                         fmt(m.get("iomap_ioend_per_gib")),
                         fmt(m["spread_pct"]), m["n"]))
    d.append("\n## Targets\n")
    d.append("| target | setup | what |")
    d.append("|---|---|---|")
    for t in res["targets"]:
        d.append("| %s | `%s` | %s |" % (t["name"], t["setup"],
                                        t["description"]))
    d.append("\n## Jobs\n")
    d.append("| job | fio options |")
    d.append("|---|---|")
    for j in jobs:
        d.append("| %s | `%s` |" % (j["name"], j["fio_options"]))
    if res["failures"]:
        d.append("\n## Failed runs\n")
        d += ["- " + f for f in res["failures"]]
    return short, "\n".join(d) + "\n"


def chart(res, tnames, outdir):
    """ratios.png: every target's ratio to ext4, per job (gnuplot)."""
    others = [t for t in tnames if t != BASE]
    if not others or not any(BASE in j["targets"] for j in res["jobs"]):
        return
    dat = os.path.join(outdir, "ratios.dat")
    lo, hi = 1.0, 1.0
    with open(dat, "w") as f:
        f.write("job " + " ".join(others) + "\n")
        for j in res["jobs"]:
            row = [j["name"]]
            for t in others:
                x = j["targets"].get(t, {}).get("median", {}).get("x_" + BASE)
                row.append("%.4f" % x if x else "NaN")
                if x:
                    lo, hi = min(lo, x), max(hi, x)
            f.write(" ".join(row) + "\n")
    h, env = res["header"], res["env"]
    title = "ratio to kernel ext4 (median of %s) - %s, %s, %s" % (
        env.get("reps"), env.get("kernel"), h.get("accel"), h.get("date"))
    gp = os.path.join(outdir, "ratios.gp")
    with open(gp, "w") as f:
        f.write("""set terminal pngcairo size 1400,700 font ",10"
set output '%s'
set title "%s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [%g:%g]
set ytics (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)
set grid ytics
set ylabel "throughput / ext4 (log scale)"
set xtics rotate by -35 noenhanced
set key top left noenhanced
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)
""" % (os.path.join(outdir, "ratios.png"), title,
       max(0.001, 10 ** math.floor(math.log10(lo))),
       next(t for t in (2, 5, 10, 20, 50, 100, float("inf"))
            if t >= hi * 1.1), len(others) + 1, dat))
    try:
        subprocess.run(["gnuplot", gp], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("bench.py: no chart: %s" % e, file=sys.stderr)


def readme(summary, path):
    with open(summary) as f:
        table = f.read().strip("\n")
    with open(path) as f:
        text = f.read()
    a, b = text.index(README_BEGIN), text.index(README_END)
    text = text[:a + len(README_BEGIN)] + "\n" + table + "\n" + text[b:]
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) == 5 and argv[1] == "mkdisk":
        mkdisk(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) >= 4 and argv[1] == "report":
        header = {}
        for a in argv[4:]:
            k, v = a.split("=", 1)
            header[k] = v
        res = report(argv[2], argv[3], header)
        if res["failures"]:
            print("bench.py: %d failed runs" % len(res["failures"]),
                  file=sys.stderr)
            return 1
    elif len(argv) == 4 and argv[1] == "readme":
        readme(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
