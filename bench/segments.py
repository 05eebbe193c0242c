#!/usr/bin/env python
"""Benchmark the clustering core of customer segmentation (no database).

    .venv/bin/python bench/segments.py [--accounts 1000 10000 50000] [--k-low 3 --k-high 8]

For each size N: N synthetic 24-hour profiles from four planted shapes (evening peak, daytime, flat,
night) with per-account sizes from 0.5 to 50 and 8 % noise, normalised, then:

1. ``cluster_profiles``: k-means (n_init=10) for every k in the range, silhouette on up to 3,000
   profiles, the size rule, as a run does it;
2. the reference: one scikit-learn KMeans fit at the planted k with n_init=1 and default threading —
   the floor for clustering N profiles at all.

Prints seconds for both, whether the planted k was chosen and every profile recovered; the last line
is the ratio run ÷ reference at the largest N.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _common import cpu_model

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOURS = np.arange(24)


def _bump(centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((HOURS - centre) / width) ** 2)


SHAPES = [
    0.3 + 2.0 * _bump(20, 1.5),
    0.15 + 1.5 * ((HOURS >= 8) & (HOURS <= 17)),
    np.ones(24) + 0.05 * np.cos(HOURS / 24 * 2 * np.pi),
    0.2 + 1.8 * ((HOURS >= 23) | (HOURS <= 5)),
]


def profiles(n: int, *, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(SHAPES), n)
    base = np.array(SHAPES)[truth]
    sizes = rng.uniform(0.5, 50, (n, 1))
    return sizes * np.clip(base * (1 + 0.08 * rng.standard_normal((n, 24))), 0.01, None), truth


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--k-low", type=int, default=3)
    parser.add_argument("--k-high", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing_portal.settings.test")
    import django

    django.setup()
    from sklearn.cluster import KMeans

    from analytics.services.segments import cluster_profiles, normalise_profiles

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    ratio = None
    for n in args.accounts:
        matrix, truth = profiles(n)
        normalised = normalise_profiles(matrix)
        started = time.perf_counter()
        result = cluster_profiles(normalised, k_range=(args.k_low, args.k_high))
        run_seconds = time.perf_counter() - started
        started = time.perf_counter()
        KMeans(n_clusters=len(SHAPES), n_init=1, random_state=0).fit(normalised)
        reference_seconds = time.perf_counter() - started
        recovered = all(len(set(truth[result.labels == c].tolist())) == 1 for c in range(result.k))
        print(
            f"N={n:>6}: cluster_profiles k={args.k_low}..{args.k_high} {run_seconds:6.2f} s "
            f"(chose k={result.k}, planted {len(SHAPES)}, every cluster pure: {recovered}); "
            f"reference one KMeans fit {reference_seconds:5.2f} s"
        )
        ratio = run_seconds / reference_seconds
    print(f"ratio cluster_profiles / reference at N={args.accounts[-1]}: {ratio:.1f}x")


if __name__ == "__main__":
    main()
