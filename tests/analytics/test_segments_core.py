"""The pure clustering core of customer segmentation (analytics.services.segments): no database.

Planted profiles are built from three (or four) known daily shapes, each account scaled by its own
size and disturbed by noise, so the clustering must see through size (normalisation) and noise."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.models.segments import Shape
from analytics.services.segments import (
    SegmentationError,
    cluster_profiles,
    normalise_profiles,
    segment_labels,
    shape_of,
)

HOURS = np.arange(24)


def _bump(centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((HOURS - centre) / width) ** 2)


EVENING = 0.3 + 2.0 * _bump(20, 1.5)  # homes: low all day, evening peak
DAYTIME = 0.15 + 1.5 * ((HOURS >= 8) & (HOURS <= 17))  # offices and shops
FLAT = np.ones(24) + 0.05 * np.cos(HOURS / 24 * 2 * np.pi)  # three-shift factory
NIGHT = 0.2 + 1.8 * ((HOURS >= 23) | (HOURS <= 5))  # night heating / EV charging
DOUBLE = 0.4 + 1.6 * _bump(7.5, 1.0) + 2.0 * _bump(19.5, 1.5)


def planted(shapes: list[np.ndarray], per_shape: int, *, noise: float = 0.08, seed: int = 7):
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for index, shape in enumerate(shapes):
        for _ in range(per_shape):
            size = rng.uniform(0.5, 50)  # kWh scale differs by two orders of magnitude
            rows.append(size * np.clip(shape * (1 + noise * rng.standard_normal(24)), 0.01, None))
            truth.append(index)
    order = rng.permutation(len(rows))
    return np.array(rows)[order], np.array(truth)[order]


def _agreement(labels: np.ndarray, truth: np.ndarray) -> float:
    """Share of profiles whose cluster's majority truth is their own truth (1.0 = perfect recovery)."""
    hits = 0
    for cluster in set(labels.tolist()):
        members = truth[labels == cluster]
        hits += np.bincount(members).max()
    return hits / len(truth)


def test_normalising_keeps_the_shape_and_drops_the_size():
    small, large = EVENING * 2, EVENING * 40
    normalised = normalise_profiles(np.array([small, large]))
    assert normalised.mean(axis=1) == pytest.approx([1.0, 1.0])
    assert normalised[0] == pytest.approx(normalised[1])


def test_normalising_refuses_an_all_zero_profile():
    with pytest.raises(SegmentationError):
        normalise_profiles(np.array([EVENING, np.zeros(24)]))


def test_recovers_three_planted_shapes_and_picks_k_3():
    matrix, truth = planted([EVENING, DAYTIME, FLAT], per_shape=60)
    result = cluster_profiles(normalise_profiles(matrix), k_range=(2, 8))
    assert result.k == 3
    assert result.chosen_by == "silhouette"
    assert _agreement(result.labels, truth) == 1.0
    best = max(result.scores, key=lambda s: s.silhouette)
    assert best.k == 3
    assert {s.k for s in result.scores} == set(range(2, 9))


def test_recovers_four_planted_shapes_and_picks_k_4():
    matrix, truth = planted([EVENING, DAYTIME, FLAT, NIGHT], per_shape=40, seed=11)
    result = cluster_profiles(normalise_profiles(matrix), k_range=(2, 8))
    assert result.k == 4
    assert _agreement(result.labels, truth) == 1.0
    names = sorted(shape for shape, _hour, _label in segment_labels(result.centroids))
    assert names == sorted([Shape.EVENING_PEAK, Shape.DAYTIME, Shape.FLAT, Shape.NIGHT])


def test_distances_are_to_the_own_centroid_and_clusters_numbered_by_size():
    matrix, _truth = planted([EVENING, DAYTIME, FLAT], per_shape=30, seed=3)
    extra, _ = planted([EVENING], per_shape=20, seed=4)
    profiles = normalise_profiles(np.vstack([matrix, extra]))
    result = cluster_profiles(profiles, k=3)
    sizes = np.bincount(result.labels)
    assert list(sizes) == sorted(sizes, reverse=True)
    assert sizes[0] == 50  # the evening homes, planted 30 + 20
    expected = np.linalg.norm(profiles - result.centroids[result.labels], axis=1)
    assert result.distances == pytest.approx(expected)
    # Each profile is nearest to its own centroid.
    nearest = np.argmin(np.linalg.norm(profiles[:, None, :] - result.centroids[None], axis=2), axis=1)
    assert (nearest == result.labels).all()


def test_same_input_gives_the_same_result():
    matrix, _ = planted([EVENING, DAYTIME, FLAT], per_shape=30)
    first = cluster_profiles(normalise_profiles(matrix))
    second = cluster_profiles(normalise_profiles(matrix))
    assert (first.labels == second.labels).all()
    assert first.scores == second.scores


def test_size_rule_rejects_a_k_that_splits_off_a_tiny_cluster():
    # 3 big groups and 2 lonely night profiles: k=4 isolates the pair, which the size rule (≥ 3) refuses.
    matrix, _ = planted([EVENING, DAYTIME, FLAT], per_shape=40)
    night, _ = planted([NIGHT], per_shape=2)
    result = cluster_profiles(normalise_profiles(np.vstack([matrix, night])), k_range=(3, 6))
    by_k = {s.k: s for s in result.scores}
    assert by_k[4].smallest == 2 and not by_k[4].eligible
    assert result.k == 3


def test_fixed_k_is_used_as_given():
    matrix, _ = planted([EVENING, DAYTIME, FLAT], per_shape=20)
    result = cluster_profiles(normalise_profiles(matrix), k=5)
    assert result.k == 5 and result.chosen_by == "fixed"
    assert len(result.centroids) == 5 and [s.k for s in result.scores] == [5]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"k": 1}, "at least 2"), ({"k_range": (5, 3)}, "ascending"), ({"k_range": (3, 8)}, "too few")],
)
def test_bad_k_or_too_few_profiles_is_a_clear_error(kwargs, message):
    profiles = normalise_profiles(planted([EVENING], per_shape=3)[0])
    with pytest.raises(SegmentationError, match=message):
        cluster_profiles(profiles, **kwargs)


@pytest.mark.parametrize(
    ("profile", "shape", "peak"),
    [
        (EVENING, Shape.EVENING_PEAK, 20),
        (DAYTIME, Shape.DAYTIME, 8),
        (FLAT, Shape.FLAT, 0),
        (NIGHT, Shape.NIGHT, 0),
        (DOUBLE, Shape.DOUBLE_PEAK, 19),
        (0.3 + 2.0 * _bump(7, 1.0), Shape.MORNING_PEAK, 7),
        # A shop open 06–22 h with its highest hour in the evening is still a daytime business.
        (0.2 + 1.2 * ((HOURS >= 6) & (HOURS <= 21)) + 0.05 * (HOURS == 19), Shape.DAYTIME, 19),
        # A short spike at 02:00 on an otherwise even load matches no family.
        (1.0 + 1.0 * _bump(2, 0.5), Shape.MIXED, 2),
    ],
)
def test_shape_rules(profile, shape, peak):
    assert shape_of(profile) == (shape, peak)


def test_shape_rules_work_on_96_quarter_hours_too():
    quarter_hourly = np.repeat(EVENING, 4)
    assert shape_of(quarter_hourly) == (Shape.EVENING_PEAK, 20)


def test_labels_tell_apart_two_segments_of_the_same_shape():
    labels = segment_labels(np.array([EVENING, 0.3 + 2.0 * _bump(18, 1.0), DAYTIME]))
    assert [label for _s, _h, label in labels] == ["evening peak, 20:00", "evening peak, 18:00", "daytime"]
