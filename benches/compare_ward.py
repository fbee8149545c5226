"""Oracle and speed comparison of segcore's Ward against scipy and fastcluster.

Runs every library on the same bytes in a fresh process (peak memory = ru_maxrss of that
process) and checks segcore's linkage against scipy's: heights to 1e-9 relative, identical
(a, b, count) columns, and fcluster labels equal up to renaming.

    python benches/compare_ward.py --check            # correctness on small/medium data
    python benches/compare_ward.py --bench 20000 8    # time and memory vs fastcluster, scipy, sklearn
    python benches/compare_ward.py --bench 100000 8 --no-scipy   # O(n^2) peers need ~40 GB here
    python benches/compare_ward.py --two-stage 20000 8 500   # ARI of two-stage vs exact

Needs the release example: cargo build --release -p segcore-bench --example ward_bench
and the peers: python -m pip install -r benches/requirements.txt (fastcluster)
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXE = os.path.join(ROOT, "target", "release", "examples", "ward_bench")
DATA = os.environ.get("SEGCORE_DATA", os.path.join(ROOT, "..", "shared", "data"))


def blobs(n, d, seed=0, centres=8):
    rng = np.random.default_rng(seed)
    c = rng.uniform(-10, 10, size=(centres, d))
    return c[rng.integers(0, centres, n)] + rng.normal(size=(n, d))


def wholesale():
    import pandas as pd
    path = os.path.join(DATA, "wholesale_customers", "wholesale_customers.csv")
    if not os.path.exists(path):
        print(f"SKIP wholesale: {path} not found")
        return None
    df = pd.read_csv(path)
    x = np.log1p(df[["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]].to_numpy(float))
    return (x - x.mean(0)) / x.std(0)


def run_segcore(x, extra=(), env=None):
    with tempfile.TemporaryDirectory() as tmp:
        xp, zp, lp = (os.path.join(tmp, f) for f in ("x.f64", "z.f64", "l.u64"))
        np.ascontiguousarray(x, dtype="<f8").tofile(xp)
        args = [EXE, xp, str(x.shape[0]), str(x.shape[1]), zp] + [str(a) for a in extra]
        if extra:
            args.append(lp)
        out = subprocess.run(args, check=True, capture_output=True, text=True,
                             env=None if env is None else {**os.environ, **env}).stdout
        info = json.loads(out)
        z = np.fromfile(zp, dtype="<f8").reshape(-1, 4)
        labels = np.fromfile(lp, dtype="<u8") if extra else None
    return z, labels, info


CHILD = """
import sys, time, resource, json, numpy as np
x = np.load(sys.argv[2])
t = time.perf_counter()
if sys.argv[1] == 'fastcluster':
    import fastcluster; z = fastcluster.linkage_vector(x, method='ward')
    if len(sys.argv) > 3: np.save(sys.argv[3], z)
elif sys.argv[1] == 'sklearn':
    from sklearn.cluster import AgglomerativeClustering
    AgglomerativeClustering(n_clusters=8, linkage='ward').fit(x)
else:
    from scipy.cluster.hierarchy import linkage; linkage(x, method='ward')
s = time.perf_counter() - t
print(json.dumps({'seconds': s, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_python(lib, x, keep_linkage=False):
    with tempfile.TemporaryDirectory() as tmp:
        xp, zp = os.path.join(tmp, "x.npy"), os.path.join(tmp, "z.npy")
        np.save(xp, x)
        out = subprocess.run([sys.executable, "-c", CHILD, lib, xp] + ([zp] if keep_linkage else []),
                             check=True, capture_output=True, text=True).stdout
        info = json.loads(out)
        if keep_linkage:
            info["linkage"] = np.load(zp)
    return info


def same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def check(name, x):
    from scipy.cluster.hierarchy import linkage, fcluster, cophenet
    zs = linkage(x, method="ward")
    z, _, _ = run_segcore(x)
    rel = np.max(np.abs(z[:, 2] - zs[:, 2]) / np.maximum(np.abs(zs[:, 2]), 1e-300))
    ok_rel = np.max(np.abs(z[:, 2] - zs[:, 2]) / np.maximum(zs[:, 2], 1e-12)) < 1e-9
    same_tree = np.array_equal(z[:, [0, 1, 3]], zs[:, [0, 1, 3]])
    # Merges whose heights tie in exact arithmetic may be ordered differently when the last bits
    # differ (documented); the dendrogram itself (cophenetic distances) must still agree.
    coph = np.allclose(cophenet(z), cophenet(zs), rtol=1e-9, atol=0) if len(x) <= 5000 else None
    cuts = True
    for k in (2, 3, 5, 8, 20):
        if k < len(x):
            cuts &= same_partition(fcluster(z, k, "maxclust"), fcluster(zs, k, "maxclust"))
    for q in (0.5, 0.9, 0.99):
        t = np.quantile(zs[:, 2], q)
        cuts &= same_partition(fcluster(z, t, "distance"), fcluster(zs, t, "distance"))
    print(f"{name:28s} n={len(x):6d} max rel height diff {rel:.2e} (<1e-9: {ok_rel}) "
          f"same (a,b,count): {same_tree} cophenetic equal: {coph} cuts equal: {cuts}")
    return ok_rel and coph is not False and cuts


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true")
    p.add_argument("--bench", nargs=2, type=int)
    p.add_argument("--two-stage", nargs=3, type=int)
    p.add_argument("--no-scipy", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    if a.check:
        ok = True
        for name, x in [("blobs 200x3", blobs(200, 3, 1)), ("blobs 3000x8", blobs(3000, 8, 2)),
                        ("gaussian 2000x5", np.random.default_rng(3).normal(size=(2000, 5))),
                        ("integers 500x2 (ties)", np.random.default_rng(4).integers(0, 6, (500, 2)).astype(float)),
                        ("duplicates 300x4", np.repeat(blobs(100, 4, 5), 3, axis=0)),
                        ("wide 400x40", blobs(400, 40, 6))]:
            ok &= check(name, x)
        w = wholesale()
        if w is not None:
            ok &= check("wholesale log1p+std 440x6", w)
        print("ALL OK" if ok else "MISMATCH")
    if a.bench:
        n, d = a.bench
        x = blobs(n, d, 0)
        # Alternating runs (segcore on 2 threads, on 1, fastcluster), medians: the machine is shared.
        ours, alone, fast = [], [], []
        for _ in range(a.repeats):
            z, _, info = run_segcore(x)
            ours.append(info)
            alone.append(run_segcore(x, env={"RAYON_NUM_THREADS": "1"})[2])
            f = run_python("fastcluster", x, keep_linkage=True)
            fast.append(f)
        zf = f["linkage"]
        same = np.array_equal(z[:, [0, 1, 3]], zf[:, [0, 1, 3]])
        rel = np.max(np.abs(z[:, 2] - zf[:, 2]) / np.maximum(np.abs(zf[:, 2]), 1e-300))
        med = lambda runs: float(np.median([r["seconds"] for r in runs]))
        print(f"Ward {n} x {d}, {a.repeats} alternating runs, medians; load average {os.getloadavg()[0]:.1f}")
        print(f"segcore     {med(ours):.3f} s  {ours[-1]['peak_rss_mb']:.0f} MB (process peak, {ours[-1]['threads']} threads)  "
              f"runs {[round(r['seconds'], 2) for r in ours]}")
        print(f"segcore 1t  {med(alone):.3f} s  (RAYON_NUM_THREADS=1)  runs {[round(r['seconds'], 2) for r in alone]}")
        print(f"fastcluster {med(fast):.3f} s  {fast[-1]['peak_rss_mb']:.0f} MB (process peak)  "
              f"runs {[round(r['seconds'], 2) for r in fast]}")
        print(f"fastcluster/segcore {med(fast) / med(ours):.2f}x (1 thread: {med(fast) / med(alone):.2f}x); "
              f"same merges (a, b, count) as fastcluster: {same}, max rel height diff {rel:.1e}")
        if not a.no_scipy:
            for lib in ["scipy", "sklearn"]:
                r = run_python(lib, x)
                print(f"{lib:11s} {r['seconds']:.3f} s  {r['peak_rss_mb']:.0f} MB (process peak)  "
                      f"time {lib}/segcore {r['seconds'] / med(ours):.2f}x")
    if a.two_stage:
        from sklearn.metrics import adjusted_rand_score
        n, d, micro = a.two_stage
        def wcss(x, labels):
            return sum(((x[labels == c] - x[labels == c].mean(0)) ** 2).sum() for c in np.unique(labels))
        # 12 blobs (structure to find) and structureless noise (where Ward's own partition is
        # unstable, so the within-cluster sum of squares is the fairer yardstick).
        for name, x in [("blobs", blobs(n, d, 0, centres=12)), ("noise", np.random.default_rng(3).normal(size=(n, d)))]:
            for k in (4, 8, 12, 20):
                _, exact, e = run_segcore(x, (0, k))
                _, approx, s = run_segcore(x, (micro, k))
                print(f"{name} n={n} micro={micro} k={k:3d}: ARI two-stage vs exact "
                      f"{adjusted_rand_score(exact, approx):.4f}, WCSS two-stage/exact {wcss(x, approx) / wcss(x, exact):.4f}; "
                      f"exact {e['seconds']:.2f} s, two-stage {s['seconds']:.2f} s")


if __name__ == "__main__":
    main()
