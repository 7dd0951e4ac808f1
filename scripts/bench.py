#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make bench, the host side (Debian's python3, standard library only).

  bench.py mkdisk IMAGE NPARTS PART_MIB
      a sparse raw disk image with a GPT of NPARTS equal Linux partitions
  bench.py report RAWDIR OUTDIR [KEY=VALUE ...]
      RAWDIR is the guest's results archive, unpacked (tests/bench/run.sh);
      writes OUTDIR/results.json, summary.md, readme.md, ratios.png
  bench.py readme SUMMARY README
      replaces the table between the bench markers in README
  bench.py selftest
      checks the statistics on synthetic data (TAP lines, then "N passed,
      N failed"); BENCH_SELFTEST_BREAK=1 corrupts the t table first, and
      then it must fail

Every statistic is computed here.  Repetition i of every target comes from
the same fio process (run.sh), so a target's runs are paired with ext4's:
r_i = ln(target_i / ext4_i) on the ranking metric, the ratio is exp(mean
r_i) (the geometric mean of the paired ratios) with a 95 % Student t
interval exp(mean ± t(0.975, n − 1)·sd/√n), and a paired percentile
bootstrap interval as a cross-check.  The verdict against a goal is "met"
only when the interval lies at or above it, "short" only when it lies
below.  The second metric is guest CPU seconds per GiB moved (busy ticks
of /proc/stat: fio, the kernel and the FUSE server), paired the same way.
Besides: medians and spread over the repetitions, CPU use in %, upcalls
per GiB from fusetd's counters, the application workloads (apps/,
tests/bench/apps.sh): seconds per phase, paired as ext4 / target, and the
files laid out for particular jobs (layouts/, tests/bench/layouts.sh):
their extent counts and what the mapping cache holds of them.
"""
import json
import math
import os
import random
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
USER_HZ = 100            # the unit of /proc/stat (run.sh records it)


# --- statistics -----------------------------------------------------------

# Student t: the 0.975 quantile for 1..40 degrees of freedom (two-sided
# 95 %); past 40, the normal quantile.  The self-test recomputes each.
T975 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
        2.2622, 2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
        2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
        2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423, 2.0395, 2.0369,
        2.0345, 2.0322, 2.0301, 2.0281, 2.0262, 2.0244, 2.0227, 2.0211]
Z975 = 1.96
BOOT_RESAMPLES = 10000
BOOT_SEED = 20261207


def t975(df):
    """t(0.975, df), or None without a degree of freedom."""
    if df < 1:
        return None
    return T975[df - 1] if df <= len(T975) else Z975


def paired_logs(runs, base_runs, key, invert=False):
    """ln(run / base run) for each repetition both have: repetition i of
    every target ran in the same fio process, so they are paired by
    repetition number.  invert: ln(base / run), for times (less is
    better)."""
    base = {r["rep"]: r.get(key) for r in base_runs}
    logs = []
    for r in sorted(runs, key=lambda r: r["rep"]):
        a, b = r.get(key), base.get(r["rep"])
        if a is not None and b is not None and a > 0 and b > 0:
            logs.append(math.log(b / a) if invert else math.log(a / b))
    return logs


def t_interval(logs):
    """The geometric mean of the paired ratios, exp(mean), and its 95 %
    Student t interval exp(mean ± t(0.975, n − 1)·sd/√n); no interval
    (None) below two pairs."""
    n = len(logs)
    if not n:
        return None
    m = math.fsum(logs) / n
    res = {"n": n, "est": math.exp(m), "lo": None, "hi": None,
           "sd_log": None}
    if n >= 2:
        sd = statistics.stdev(logs)
        half = t975(n - 1) * sd / math.sqrt(n)
        res.update(lo=math.exp(m - half), hi=math.exp(m + half), sd_log=sd)
    return res


def percentile(v, q):
    """The q quantile of the sorted list v (linear interpolation)."""
    pos = q * (len(v) - 1)
    i = int(pos)
    if i + 1 >= len(v):
        return v[-1]
    return v[i] + (pos - i) * (v[i + 1] - v[i])


def boot_interval(logs, resamples=BOOT_RESAMPLES, seed=BOOT_SEED):
    """Paired percentile bootstrap: the 2.5 and 97.5 % points of the
    geometric mean over resamples of the pairs (fixed seed)."""
    n = len(logs)
    if n < 2:
        return None, None
    rng = random.Random(seed)
    means = sorted(math.fsum(rng.choices(logs, k=n)) / n
                   for _ in range(resamples))
    return (math.exp(percentile(means, 0.025)),
            math.exp(percentile(means, 0.975)))


def paired(runs, base_runs, key, invert=False):
    """t interval and bootstrap of the paired ratio of runs to base_runs
    on key, or None when no repetition pairs."""
    logs = paired_logs(runs, base_runs, key, invert)
    res = t_interval(logs)
    if res:
        res["boot_lo"], res["boot_hi"] = boot_interval(logs)
    return res


def verdict(ci, goal):
    """met: the whole interval at or above the goal; short: all of it
    below (by how much the estimate is); otherwise undecided."""
    if not ci or ci.get("lo") is None:
        return "undecided"
    if ci["lo"] >= goal:
        return "met"
    if ci["hi"] < goal:
        return "short by %.0f%%" % (100.0 * (goal - ci["est"]) / goal)
    return "undecided"


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


def cpu_sample(base, ncpu, hz=USER_HZ):
    """VM-wide busy CPU and the server's CPU, in % of one CPU, and the
    busy CPU seconds of the whole VM (cpu_s: all but idle and iowait, so
    fio, the kernel and the FUSE server), from the samples hook.sh took
    before (base.cpu0) and after (base.cpu1) a run."""
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
           "server_cpu": None, "cpu_s": (total - idle) / float(hz)}
    if l0[1].strip() not in ("", "-") and l1[1].strip() not in ("", "-") \
            and wall:
        res["server_cpu"] = 100.0 * (int(l1[1]) - int(l0[1])) / wall
    if len(l0) > 3 and len(l1) > 2 and l0[3] and l1[2]:
        # seconds spent flushing/dropping caches, and from then to the end
        res["prepare_s"] = float(l0[3]) - float(l0[2])
        res["wall_s"] = float(l1[2]) - float(l0[3])
    return res


def upcall_counts(path):
    """fusetd's counters (fusetd stats): requests in upper case, and the
    notifications it sent (NOTIFY_*) and event counters (lower case)."""
    counts = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 2:
                    counts[p[0]] = int(p[1])
    return counts


def upcall_total(counts):
    """The requests among fusetd's counters: not its notifications to the
    kernel, nor its event counters."""
    return sum(v for k, v in counts.items()
               if k.isupper() and not k.startswith("NOTIFY_"))


def one_run(job, base, ncpu, hz=USER_HZ):
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
    r.update(cpu_sample(base, ncpu, hz))
    gib = io_bytes / 2.0**30
    r["cpu_s_per_gib"] = r["cpu_s"] / gib if gib else None
    counts = upcall_counts(base + ".upcalls")
    if counts:
        r["upcalls"] = counts
        r["upcalls_per_gib"] = upcall_total(counts) / gib if gib else None
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


def job_runs(jdir, jname, tnames, reps, ncpu, hz, failures):
    """Every repetition's figures per target of one job (each tagged with
    its repetition number "rep", for pairing)."""
    per_target = {t: [] for t in tnames}
    for rep in range(1, reps + 1):
        path = os.path.join(jdir, "%d.json" % rep)
        try:
            fio_jobs = {j["jobname"]: j for j in load_fio(path)["jobs"]}
        except (OSError, ValueError, KeyError) as e:
            failures.append("%s rep %d: %s" % (jname, rep, e))
            continue
        for t in tnames:
            if t not in fio_jobs:
                continue
            base = os.path.join(jdir, t, str(rep))
            try:
                r = one_run(fio_jobs[t], base, ncpu, hz)
            except (OSError, ValueError, KeyError, IndexError) as e:
                failures.append("%s %s rep %d: %s" % (jname, t, rep, e))
                continue
            r["rep"] = rep
            per_target[t].append(r)
    return per_target


def summarize(reps_res, key):
    """Medians of every figure, and the spread of key."""
    keys = [k for k in reps_res[0] if k not in ("upcalls", "rep")]
    med = {k: median([r.get(k) for r in reps_res]) for k in keys}
    vals = [r[key] for r in reps_res]
    m = median(vals)
    med["value"] = m
    med["spread_pct"] = 100.0 * (max(vals) - min(vals)) / m if m else None
    med["n"] = len(reps_res)
    return med


def add_ratios(targets, key, cpu_key, invert=False):
    """Ratios of every target to each base: of the medians (x_BASE), and
    paired per repetition with intervals (paired[BASE] on key,
    cpu_paired[BASE] on cpu_key)."""
    for t, tr in targets.items():
        tr["paired"], tr["cpu_paired"] = {}, {}
        v = tr["median"]["value"]
        for b in (BASE, CLASSIC, "classic"):
            if b not in targets:
                continue
            bv = targets[b]["median"]["value"]
            tr["median"]["x_" + b] = ratio(bv, v) if invert else ratio(v, bv)
            if t == b:
                continue
            tr["paired"][b] = paired(tr["runs"], targets[b]["runs"], key,
                                     invert)
            if b == BASE:
                tr["cpu_paired"][b] = paired(tr["runs"], targets[b]["runs"],
                                             cpu_key)


def report(rawdir, outdir, header):
    env = load_env(os.path.join(rawdir, "env.txt"))
    targets = load_table(os.path.join(rawdir, "targets.txt"))
    jobs = load_table(os.path.join(rawdir, "jobs.txt"))
    ncpu = int(env.get("guest_cpus", "1"))
    reps = int(env.get("reps", "1"))
    hz = int(env.get("user_hz", USER_HZ))
    runs = os.path.join(rawdir, "runs")
    # Targets that ran anything: a fio job, or an application phase
    # (runs/PHASE/TARGET, as for fio), so that a run of the applications
    # alone (BENCH_JOBS=none) has its targets too.
    ran = sorted(os.listdir(runs)) if os.path.isdir(runs) else []
    tnames = [t[0] for t in targets
              if any(os.path.isdir(os.path.join(runs, d, t[0])) for d in ran)]
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
        key = "mbps" if metric == "bw" else "iops"
        per_target = job_runs(jdir, jname, tnames, reps, ncpu, hz,
                              results["failures"])
        for t in tnames:
            if per_target[t]:
                jres["targets"][t] = {"median": summarize(per_target[t], key),
                                      "runs": per_target[t]}
        add_ratios(jres["targets"], key, "cpu_s_per_gib")
        results["jobs"].append(jres)
    results["apps"] = apps_report(rawdir, targets, reps, ncpu, hz,
                                  results["failures"])
    results["layouts"] = layouts_report(rawdir, [t[0] for t in targets])

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


def apps_report(rawdir, targets, reps, ncpu, hz, failures):
    """The application workloads (tests/bench/apps.sh): apps/apps.txt
    lists the phases (NAME|DESCRIPTION), apps/times.txt has a line
    "PHASE TARGET REP SECONDS" per run, apps/failures.txt the failed
    checks; hook.sh's samples are in runs/PHASE/TARGET/REP.*."""
    adir = os.path.join(rawdir, "apps")
    if not os.path.exists(os.path.join(adir, "apps.txt")):
        return []
    if os.path.exists(os.path.join(adir, "failures.txt")):
        with open(os.path.join(adir, "failures.txt")) as f:
            failures += ["app " + x.strip() for x in f if x.strip()]
    times = {}
    with open(os.path.join(adir, "times.txt")) as f:
        for line in f:
            p = line.split()
            if len(p) == 4:
                times[(p[0], p[1], int(p[2]))] = float(p[3])
    out = []
    for row in load_table(os.path.join(adir, "apps.txt")):
        phase, desc = row[0], "|".join(row[1:])
        pres = {"name": phase, "description": desc, "targets": {}}
        for t in (t[0] for t in targets):
            rl = []
            for rep in range(1, reps + 1):
                if (phase, t, rep) not in times:
                    continue
                r = {"rep": rep, "seconds": times[(phase, t, rep)]}
                base = os.path.join(rawdir, "runs", phase, t, str(rep))
                try:
                    r.update(cpu_sample(base, ncpu, hz))
                except (OSError, ValueError, IndexError) as e:
                    failures.append("%s %s rep %d: %s" % (phase, t, rep, e))
                counts = upcall_counts(base + ".upcalls")
                if counts:
                    r["upcall_count"] = upcall_total(counts)
                rl.append(r)
            if rl:
                pres["targets"][t] = {"median": summarize(rl, "seconds"),
                                      "runs": rl}
        add_ratios(pres["targets"], "seconds", "cpu_s", invert=True)
        out.append(pres)
    return out


def numbers(path):
    """A file of "NAME NUMBER" lines, as a dict (others are skipped)."""
    res = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 2:
                continue
            try:
                res[p[0]] = int(p[1])
            except ValueError:
                try:
                    res[p[0]] = float(p[1])
                except ValueError:
                    pass
    return res


def layouts_report(rawdir, tnames):
    """The files laid out for particular jobs (tests/bench/layouts.sh):
    layouts/NAME/TARGET.txt has the file's "size", its FIEMAP "extents"
    and the "bytes" they map, and the "seconds" the layout took.  Where
    the target's connection has a mapping cache, TARGET.cache0 and
    TARGET.cache1 are its debugfs counters (fuse-iomap/CONN/cache) before
    and after one read-through of the file with 1 MiB direct reads, from
    an empty page cache, and TARGET.upcalls fusetd's requests during it.
    The cache's bytes per 10,000 extents are what it grew by over the
    read-through per 10,000 of the file's FIEMAP extents."""
    ldir = os.path.join(rawdir, "layouts")
    out = []
    if not os.path.isdir(ldir):
        return out
    for name in sorted(os.listdir(ldir)):
        lres = {"name": name, "targets": {}}
        for t in tnames:
            base = os.path.join(ldir, name, t)
            if not os.path.exists(base + ".txt"):
                continue
            r = numbers(base + ".txt")
            if os.path.exists(base + ".cache1"):
                c0 = numbers(base + ".cache0") \
                    if os.path.exists(base + ".cache0") else {}
                c1 = numbers(base + ".cache1")
                r["cache_entries"] = c1.get("entries")
                r["cache_bytes"] = c1.get("bytes")
                r["cache_max_bytes"] = c1.get("max_bytes")
                r["cache_entries_before"] = c0.get("entries")
                grown = (c1.get("bytes") or 0) - (c0.get("bytes") or 0)
                # per 10,000 extents only of a file that has that many
                r["cache_bytes_per_10k_extents"] = \
                    grown * 10000.0 / r["extents"] \
                    if r.get("extents", 0) >= 10000 else None
            counts = upcall_counts(base + ".upcalls")
            if counts and r.get("size"):
                r["readthrough_upcalls"] = upcall_total(counts)
                r["readthrough_upcalls_per_gib"] = \
                    upcall_total(counts) / (r["size"] / 2.0**30)
                r["readthrough_iomap_begin"] = counts.get("IOMAP_BEGIN", 0)
            lres["targets"][t] = r
        out.append(lres)
    return out


def fmt_mib(b):
    if b is None:
        return "–"
    if b >= 2**30 and b % 2**30 == 0:
        return "%d GiB" % (b // 2**30)
    return "%s MiB" % fmt(b / 2.0**20, 1)


LAYOUTS_TEXT = (
    "\nThe files of the -4g and -100kext jobs (tests/bench/layouts.sh), "
    "laid out once per target before the repetitions: their size, how "
    "many extents FIEMAP reports on each target (the same layout, shown, "
    "not assumed), and the seconds the layout took.  Where the connection "
    "has a mapping cache, the file was then read through once with direct "
    "reads (1 MiB; 64 KiB for frag) from an empty cache: fusetd's requests "
    "per GiB in that pass, and what the kernel's mapping cache held after "
    "it (debugfs fuse-iomap/CONN/cache: entries, bytes at 56 a mapping) "
    "and its growth per 10,000 of the file's extents (files of 10,000 "
    "extents or more).\n")


def layouts_table(res):
    lays = res.get("layouts") or []
    if not lays:
        return []
    s = [LAYOUTS_TEXT,
         "| file | target | size | extents | layout s | read-through "
         "upcalls/GiB | cache entries | cache bytes | bytes per 10,000 "
         "extents |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for lay in lays:
        for t, r in lay["targets"].items():
            s.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                lay["name"], t, fmt_mib(r.get("size")),
                fmt(r.get("extents")), fmt(r.get("seconds"), 1),
                fmt(r.get("readthrough_upcalls_per_gib")),
                fmt(r.get("cache_entries")), fmt(r.get("cache_bytes")),
                fmt(r.get("cache_bytes_per_10k_extents"))))
    return s


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


def fmt_ratio(x):
    if x is None:
        return "–"
    return "%.3f" % x if x < 0.1 else "%.2f" % x


def fmt_ci(ci):
    """"0.93 [0.88–0.98]": the paired ratio and its 95 % t interval."""
    if not ci:
        return "–"
    if ci.get("lo") is None:
        return "%s [–]" % fmt_ratio(ci["est"])
    return "%s [%s–%s]" % (fmt_ratio(ci["est"]), fmt_ratio(ci["lo"]),
                           fmt_ratio(ci["hi"]))


def fmt_boot(ci):
    if not ci or ci.get("boot_lo") is None:
        return "–"
    return "[%s–%s]" % (fmt_ratio(ci["boot_lo"]), fmt_ratio(ci["boot_hi"]))


def paired_of(tr, base=BASE, what="paired"):
    return (tr or {}).get(what, {}).get(base)


RATIO_TEXT = (
    "\nMedian of the repetitions; in brackets the ratio to kernel ext4 on "
    "the same disk in the same boot and its 95 % confidence interval.  "
    "Repetition i of every target runs in the same fio process, so each "
    "is paired with ext4's repetition i: the ratio is the geometric mean "
    "of the paired ratios, the interval exp(mean ± t·sd/√n) of their "
    "logarithms (Student t, n − 1 degrees of freedom; \"[–]\": one "
    "pair, no interval).  summary.md also gives a paired percentile "
    "bootstrap interval as a cross-check; with as few pairs as here the "
    "percentile bootstrap under-covers (its intervals come out too "
    "narrow), so the tables use t.  Under TCG the absolute numbers mean "
    "little; the ratios are the result.\n")

GOALS_TEXT = (
    "\nverdict: *met* when the whole interval of `%s` ×ext4 is at or above "
    "the goal, *short* when all of it is below (by how much the estimate "
    "is), otherwise *undecided*: the runs cannot tell, more repetitions "
    "might.  CPU/GiB ×ext4 is the second metric: the guest's busy CPU "
    "seconds (/proc/stat, all but idle and iowait: fio, the kernel and "
    "the FUSE server together) per GiB moved, paired with ext4's run the "
    "same way; below 1 is less CPU per byte than ext4.  It counts work "
    "done rather than time waited.\n")


def main_table(res, tnames):
    unit = {"bw": "MB/s", "iops": "IOPS"}
    s = [RATIO_TEXT, "| job | unit | " + " | ".join(tnames) + " |",
         "|---|---|" + "---:|" * len(tnames)]
    for j in res["jobs"]:
        cells = []
        for t in tnames:
            tr = j["targets"].get(t)
            if not tr:
                cells.append("–")
                continue
            v = tr["median"]["value"]
            c = fmt(v, 1 if v < 100 else 0)
            ci = paired_of(tr)
            if t != BASE and ci:
                c += " (%s)" % fmt_ci(ci)
            cells.append(c)
        s.append("| %s | %s | %s |" % (j["name"], unit[j["metric"]],
                                       " | ".join(cells)))
    return s


def goals_table(res):
    jobs = res["jobs"]
    if not any(OURS in j["targets"] for j in jobs):
        return []
    s = ["\nWhere `%s` stands against the project's goals (paired ratio "
         "to ext4, 95 %% interval; goals are not asserted anywhere):\n" % OURS,
         "| job | goal | %s ×ext4 | CPU/GiB ×ext4 | %s ×%s | %s ×classic | "
         "upcalls/GiB | %s ×ext4 | its upcalls/GiB | verdict |" % (
             OURS, OURS, CLASSIC, OURS, NOCACHE),
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for j in jobs:
        tr = j["targets"].get(OURS)
        if not tr:
            continue
        nc = j["targets"].get(NOCACHE)
        goal, _ = goal_of(j["name"])
        ci = paired_of(tr)
        s.append("| %s | ≥ %.2f | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            j["name"], goal, fmt_ci(ci), fmt_ci(paired_of(tr, BASE,
                                                           "cpu_paired")),
            fmt_ratio((paired_of(tr, CLASSIC) or {}).get("est")),
            fmt_ratio((paired_of(tr, "classic") or {}).get("est")),
            fmt(tr["median"].get("upcalls_per_gib")),
            fmt_ci(paired_of(nc)),
            fmt((nc or {}).get("median", {}).get("upcalls_per_gib")),
            verdict(ci, goal) if ci else "–"))
    s.append(GOALS_TEXT % OURS)
    return s


def apps_table(res, tnames):
    apps = res.get("apps") or []
    if not apps:
        return []
    tnames = [t for t in tnames if any(t in a["targets"] for a in apps)]
    s = ["\nApplication workloads (tests/bench/apps.sh), in the same boot: "
         "median seconds of each phase; in brackets ext4's time / the "
         "target's (higher is better), paired per repetition, with its 95 % "
         "t interval.\n",
         "| phase | " + " | ".join(tnames) + " |",
         "|---|" + "---:|" * len(tnames)]
    for a in apps:
        cells = []
        for t in tnames:
            tr = a["targets"].get(t)
            if not tr:
                cells.append("–")
                continue
            c = "%.2f s" % tr["median"]["value"]
            ci = paired_of(tr)
            if t != BASE and ci:
                c += " (%s)" % fmt_ci(ci)
            cells.append(c)
        s.append("| %s | %s |" % (a["name"], " | ".join(cells)))
    return s


def paired_section(res, tnames):
    d = ["\n## Paired ratios to ext4\n",
         "For every job and target: the number of pairs, the ratio to ext4 "
         "with its 95 %% t interval and the paired percentile bootstrap "
         "interval (%d resamples of the pairs, fixed seed) beside it; then "
         "the median guest CPU seconds per GiB moved and its paired ratio "
         "to ext4 (lower is better) with both intervals.\n"
         % BOOT_RESAMPLES,
         "| job | target | n | ×ext4 [t 95 %] | bootstrap | CPU s/GiB "
         "| CPU/GiB ×ext4 [t 95 %] | bootstrap |",
         "|---|---|---:|---:|---:|---:|---:|---:|"]
    for j in res["jobs"]:
        for t in tnames:
            tr = j["targets"].get(t)
            if not tr or t == BASE:
                continue
            ci, cpu = paired_of(tr), paired_of(tr, BASE, "cpu_paired")
            d.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                j["name"], t, (ci or {}).get("n", 0), fmt_ci(ci),
                fmt_boot(ci), fmt(tr["median"].get("cpu_s_per_gib"), 2),
                fmt_ci(cpu), fmt_boot(cpu)))
    return d


def apps_section(res, tnames):
    apps = res.get("apps") or []
    if not apps:
        return []
    d = ["\n## Application workloads\n",
         "Per phase and target: the median seconds, ext4's time / the "
         "target's (paired, t and bootstrap intervals), the median busy "
         "CPU seconds of the guest over the phase and its paired ratio to "
         "ext4 (lower is better), and fusetd's requests in the phase.\n",
         "| phase | target | n | seconds | ext4/target [t 95 %] | bootstrap "
         "| CPU s | CPU ×ext4 [t 95 %] | bootstrap | upcalls |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for a in apps:
        for t in tnames:
            tr = a["targets"].get(t)
            if not tr:
                continue
            ci, cpu = paired_of(tr), paired_of(tr, BASE, "cpu_paired")
            m = tr["median"]
            d.append("| %s | %s | %d | %.2f | %s | %s | %s | %s | %s | %s |"
                     % (a["name"], t, m["n"], m["value"], fmt_ci(ci),
                        fmt_boot(ci), fmt(m.get("cpu_s"), 2), fmt_ci(cpu),
                        fmt_boot(cpu), fmt(m.get("upcall_count"))))
    d.append("\n| phase | what |")
    d.append("|---|---|")
    d += ["| %s | %s |" % (a["name"], a["description"].replace("|", "\\|"))
          for a in apps]
    return d


def figures_section(res, tnames):
    d = ["\n## Every figure\n",
         "Medians; spread is (max − min) / median of the ranking metric.  "
         "Latencies are fio's total latencies (submission to completion).  "
         "fio CPU is the fio process (usr/sys, %% of one CPU); VM CPU is "
         "the whole guest (%% of one CPU, %s vCPUs) and includes the FUSE "
         "server and kernel threads; server CPU is the FUSE server alone.  "
         "Upcalls are fusetd's request counts per GiB moved (fuse2fs has no "
         "counters).\n" % res["env"].get("guest_cpus", "?"),
         "| job | target | MB/s | IOPS | p50 µs | p99 µs | fio usr/sys % "
         "| VM CPU % | server CPU % | upcalls/GiB | READ | WRITE "
         "| IOMAP_BEGIN | IOMAP_IOEND | spread | n |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
         "|---:|---:|---:|---:|"]
    for j in res["jobs"]:
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
    return d


def markdown(res, tnames):
    s = [header_table(res)]
    s += main_table(res, tnames)
    s += goals_table(res)
    s += apps_table(res, tnames)
    s += layouts_table(res)
    short = "\n".join(s) + "\n"

    d = [short]
    d += paired_section(res, tnames)
    d += apps_section(res, tnames)
    d += figures_section(res, tnames)
    d.append("\n## Targets\n")
    d.append("| target | setup | what |")
    d.append("|---|---|---|")
    for t in res["targets"]:
        d.append("| %s | `%s` | %s |" % (t["name"], t["setup"],
                                        t["description"]))
    d.append("\n## Jobs\n")
    d.append("| job | fio options |")
    d.append("|---|---|")
    for j in res["jobs"]:
        d.append("| %s | `%s` |" % (j["name"], j["fio_options"]))
    if res["failures"]:
        d.append("\n## Failed runs\n")
        d += ["- " + f for f in res["failures"]]
    return short, "\n".join(d) + "\n"


def chart(res, tnames, outdir):
    """ratios.png: every target's paired ratio to ext4 per job, with its
    95 % t interval as an error bar (gnuplot)."""
    others = [t for t in tnames if t != BASE]
    if not others or not any(BASE in j["targets"] for j in res["jobs"]):
        return
    dat = os.path.join(outdir, "ratios.dat")
    lo, hi = 1.0, 1.0
    with open(dat, "w") as f:
        f.write("job " + " ".join("%s lo hi" % t for t in others) + "\n")
        for j in res["jobs"]:
            row = [j["name"]]
            for t in others:
                ci = paired_of(j["targets"].get(t)) or {}
                x = ci.get("est")
                row += ["%.4f" % v if v else "NaN" for v in (
                    x, ci.get("lo") or x, ci.get("hi") or x)]
                if x:
                    lo = min(lo, ci.get("lo") or x)
                    hi = max(hi, ci.get("hi") or x)
            f.write(" ".join(row) + "\n")
    h, env = res["header"], res["env"]
    title = ("paired ratio to kernel ext4, 95%% t interval (%s repetitions)"
             " - %s, %s, %s") % (
        env.get("reps"), env.get("kernel"), h.get("accel"), h.get("date"))
    gp = os.path.join(outdir, "ratios.gp")
    with open(gp, "w") as f:
        f.write("""set terminal pngcairo size 1400,700 font ",10"
set output '%s'
set title "%s"
set style data histograms
set style histogram errorbars gap 1 lw 1
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
plot for [i=0:%d] '%s' using 3*i+2:3*i+3:3*i+4:xtic(1) \\
	title columnheader(3*i+2)
""" % (os.path.join(outdir, "ratios.png"), title,
       max(0.001, 10 ** math.floor(math.log10(lo))),
       next(t for t in (2, 5, 10, 20, 50, 100, float("inf"))
            if t >= hi * 1.1), len(others) - 1, dat))
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


# --- selftest -------------------------------------------------------------

def t_cdf(x, df, steps=4000):
    """Student t's distribution function, by Simpson's rule on its
    density: independent of the table it checks."""
    c = math.exp(math.lgamma((df + 1) / 2.0) - math.lgamma(df / 2.0)) / \
        math.sqrt(df * math.pi)
    h = x / steps
    acc = 0.0
    for i in range(steps + 1):
        w = 1 if i in (0, steps) else (4 if i % 2 else 2)
        acc += w * c * (1 + (i * h) ** 2 / df) ** (-(df + 1) / 2.0)
    return 0.5 + acc * h / 3


def fake_runs(values, reps=None, key="iops"):
    return [{"rep": r, key: v}
            for r, v in zip(reps or range(1, len(values) + 1), values)]


def close(a, b, tol=1e-9):
    return a is not None and b is not None and abs(a - b) <= tol * abs(b)


def st_t_table():
    bad = [df for df in range(1, 41)
           if abs(t_cdf(t975(df), df) - 0.975) > 1e-4]
    return not bad and t975(41) == Z975 and t975(0) is None


def st_constant():
    """target = 0.9 × ext4 in every pair: the interval is the point."""
    ext4 = [1000.0, 1500.0, 800.0, 1200.0, 950.0]
    ci = paired(fake_runs([0.9 * v for v in ext4]), fake_runs(ext4), "iops")
    return ci["n"] == 5 and all(close(ci[k], 0.9) for k in (
        "est", "lo", "hi", "boot_lo", "boot_hi"))


def st_known_sample():
    """log ratios ln 0.9 + e with mean(e) = 0 and sd(e) = 0.02: the
    interval is 0.9·exp(±2.7764·0.02/√5) (t(0.975, 4) written here)."""
    e = [-0.02, 0.01, 0.03, -0.01, -0.01]
    ext4 = [100.0, 200.0, 300.0, 400.0, 500.0]
    runs = fake_runs([b * 0.9 * math.exp(x) for b, x in zip(ext4, e)])
    ci = paired(runs, fake_runs(ext4), "iops")
    half = 2.7764 * 0.02 / math.sqrt(5)
    return close(ci["est"], 0.9) and close(ci["sd_log"], 0.02) and \
        close(ci["lo"], 0.9 * math.exp(-half), 1e-6) and \
        close(ci["hi"], 0.9 * math.exp(half), 1e-6)


def st_bootstrap():
    """The bootstrap of that sample: inside the t interval (narrower at
    n = 5), around the estimate, and the same on a second run."""
    e = [-0.02, 0.01, 0.03, -0.01, -0.01]
    runs = fake_runs([0.9 * math.exp(x) for x in e])
    base = fake_runs([1.0] * 5)
    ci = paired(runs, base, "iops")
    again = paired(runs, base, "iops")
    return ci["lo"] < ci["boot_lo"] < ci["est"] < ci["boot_hi"] < ci["hi"] \
        and (again["boot_lo"], again["boot_hi"]) == (ci["boot_lo"],
                                                     ci["boot_hi"])


def st_coverage():
    """The t interval covers the true ratio about 95 % of the time with
    n = 5 (a normal quantile in its place would cover about 88 %)."""
    rng = random.Random(1)
    trials, hits, true = 4000, 0, 0.95
    for _ in range(trials):
        ci = t_interval([math.log(true) + rng.gauss(0, 0.05)
                         for _ in range(5)])
        hits += ci["lo"] <= true <= ci["hi"]
    print("# coverage of the t interval at n = 5: %.3f" % (hits / trials))
    return 0.935 <= hits / trials <= 0.965


def st_pairing():
    """Pairs are made by repetition number; unmatched ones are dropped."""
    runs = fake_runs([90.0, 180.0, 270.0], reps=[1, 2, 4])
    base = fake_runs([100.0, 200.0, 300.0], reps=[1, 2, 3])
    logs = paired_logs(runs, base, "iops")
    return len(logs) == 2 and all(close(x, math.log(0.9)) for x in logs)


def st_invert():
    """Times: ext4 / target, so that a slower target is below 1."""
    ci = paired(fake_runs([2.0, 4.0], key="seconds"),
                fake_runs([1.0, 2.0], key="seconds"), "seconds", invert=True)
    return close(ci["est"], 0.5) and close(ci["lo"], 0.5)


def st_small_n():
    one = paired(fake_runs([90.0]), fake_runs([100.0]), "iops")
    return one["lo"] is None and one["boot_lo"] is None and \
        fmt_ci(one) == "0.90 [–]" and verdict(one, 0.5) == "undecided" and \
        paired(fake_runs([]), fake_runs([100.0]), "iops") is None


def st_verdicts():
    def ci(est, lo, hi):
        return {"est": est, "lo": lo, "hi": hi}
    return verdict(ci(0.97, 0.96, 0.99), 0.95) == "met" and \
        verdict(ci(0.97, 0.95, 0.99), 0.95) == "met" and \
        verdict(ci(0.855, 0.80, 0.90), 0.95) == "short by 10%" and \
        verdict(ci(0.94, 0.90, 0.99), 0.95) == "undecided" and \
        verdict(ci(0.93, 0.90, 0.95), 0.95) == "undecided" and \
        fmt_ci(ci(0.93, 0.88, 0.98)) == "0.93 [0.88–0.98]"


def st_cpu():
    """CPU seconds: busy ticks (all but idle and iowait) / USER_HZ."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, "1")
        with open(base + ".cpu0", "w") as f:
            f.write("cpu  100 0 50 1000 10 0 0 0 0 0\n-\n1.0\n1.5\n")
        with open(base + ".cpu1", "w") as f:
            # +300 user, +100 system, +500 idle, +100 iowait
            f.write("cpu  400 0 150 1500 110 0 0 0 0 0\n-\n6.5\n")
        r = cpu_sample(base, 2)
    return close(r["cpu_s"], 4.0) and close(r["vm_cpu"], 80.0) and \
        close(r["wall_s"], 5.0)


def st_layouts():
    """The laid-out files: extents, the cache's growth per 10,000
    extents, the read-through's upcalls per GiB, and the table."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        ld = os.path.join(d, "layouts", "frag")
        os.makedirs(ld)
        size = 100000 * 4096

        def put(name, text):
            with open(os.path.join(ld, name), "w") as f:
                f.write(text)
        put("ext4.txt", "size %d\nextents 99552\nbytes %d\nseconds 61.5\n"
            % (size, size))
        put("iomap.txt", "size %d\nextents 100000\nbytes %d\nseconds 90\n"
            % (size, size))
        put("iomap.cache0", "hits 5\nentries 10\nbytes 560\n"
            "max_entries 299593\nmax_bytes 16777208\n")
        put("iomap.cache1", "hits 9\nentries 100010\nbytes 5600560\n"
            "max_entries 299593\nmax_bytes 16777208\n")
        put("iomap.upcalls", "OPEN 1\nIOMAP_BEGIN 99937\nFLUSH 1\n")
        lays = layouts_report(d, ["raw", "ext4", "iomap"])
        table = "\n".join(layouts_table({"layouts": lays}))
    t = lays[0]["targets"]
    gib = size / 2.0**30
    return len(lays) == 1 and list(t) == ["ext4", "iomap"] and \
        t["ext4"]["extents"] == 99552 and \
        "cache_entries" not in t["ext4"] and \
        t["iomap"]["cache_entries"] == 100010 and \
        close(t["iomap"]["cache_bytes_per_10k_extents"], 560000.0) and \
        close(t["iomap"]["readthrough_upcalls_per_gib"], 99939 / gib) and \
        "| frag | ext4 | 390.6 MiB | 99,552 | 61.5 | – | – | – | – |" \
        in table and \
        "| frag | iomap | 390.6 MiB | 100,000 | 90.0 | 261,984 | 100,010 " \
        "| 5,600,560 | 560,000 |" in table


def st_upcalls():
    """Upcalls are requests: not the notifications fusetd sent, nor its
    event counters."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".upcalls") as f:
        f.write("FLUSH 3\nIOMAP_IOEND 752\nLOOKUP 1\n"
                "NOTIFY_IOMAP_UPSERT_MAPPINGS 753\nOPEN 1\nSETATTR 1\n"
                "ioend_direct 752\nioend_unwritten 752\nfault-stale-map 2\n")
        f.flush()
        counts = upcall_counts(f.name)
    return len(counts) == 9 and upcall_total(counts) == 758


SELFTESTS = [
    ("the t table is t(0.975, df) for df 1..40, then 1.96", st_t_table),
    ("a constant ratio: estimate and both intervals are that ratio",
     st_constant),
    ("a known sample: geometric mean, sd and t interval", st_known_sample),
    ("bootstrap: inside the t interval at n = 5, reproducible",
     st_bootstrap),
    ("the t interval covers 95 % of normal samples of 5", st_coverage),
    ("pairs by repetition number", st_pairing),
    ("times are paired as ext4 / target", st_invert),
    ("n = 1: no interval, undecided; n = 0: nothing", st_small_n),
    ("verdicts met / short / undecided, and the cell format", st_verdicts),
    ("CPU seconds from /proc/stat samples", st_cpu),
    ("laid-out files: extents, cache bytes per 10,000 extents, upcalls",
     st_layouts),
    ("upcalls count requests, not notifications or events", st_upcalls),
]


def selftest():
    if os.environ.get("BENCH_SELFTEST_BREAK") == "1":
        # the classic mistake: the normal quantile at every df
        T975[:] = [Z975] * len(T975)
        print("# BENCH_SELFTEST_BREAK=1: the t table is now all 1.96")
    npass = nfail = 0
    for i, (desc, fn) in enumerate(SELFTESTS, 1):
        try:
            ok = fn()
        except Exception as e:  # a crash is a failure like any other
            print("# %s: %r" % (fn.__name__, e))
            ok = False
        print("%sok %d - %s" % ("" if ok else "not ", i, desc))
        npass, nfail = npass + bool(ok), nfail + (not ok)
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


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
    elif len(argv) == 2 and argv[1] == "selftest":
        return selftest()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
