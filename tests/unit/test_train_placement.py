"""Where the built-in trainer's fits after the first run: the pure decision (no timing here:
the first fit's time is given)."""

from __future__ import annotations

import math

import pytest

from mlgate.train.crossval import Placement, local_workers, place_rest


@pytest.mark.parametrize(("jobs", "cpus", "expected"),
                         [(1, 8, 1), (3, 2, 3), (-1, 2, 2), (-1, 1, 1), (-2, 2, 1), (-2, 8, 7),
                          (-9, 2, 1)])
def test_local_workers(jobs: int, cpus: int, expected: int) -> None:
    assert local_workers(jobs, cpus) == expected


def test_millisecond_fits_stay_in_this_process() -> None:
    placement = place_rest(0.012, 15, 2, start_seconds=3.5)
    assert placement == Placement(1, 15, 0.012, pytest.approx(0.18), pytest.approx(3.596))
    assert placement.text() == (
        "the first fit took 12 ms: the other 15 in this process too (about 180 ms; starting "
        "worker processes would cost more: about 3.6 s in all)")


def test_fits_of_seconds_go_to_the_workers() -> None:
    placement = place_rest(2.0, 15, 2, start_seconds=3.5)
    assert (placement.workers, placement.here, placement.there) == (2, 30.0, 19.5)
    assert placement.text() == ("the first fit took 2.0 s: the other 15 on 2 local processes "
                                "(about 19.5 s with starting them; 30.0 s in this process)")


def test_the_boundary_a_tie_stays_in_this_process() -> None:
    # 15 fits on 2 workers: 8 rounds, so workers win when 15 t > 3.5 + 8 t, i.e. t > 0.5 s
    assert place_rest(0.5, 15, 2, start_seconds=3.5).workers == 1
    assert place_rest(0.5 + 1e-9, 15, 2, start_seconds=3.5).workers == 2
    assert place_rest(0.499, 15, 2, start_seconds=3.5).workers == 1


def test_more_workers_than_fits_counts_only_the_fits() -> None:
    placement = place_rest(10.0, 3, 16, start_seconds=3.5)
    assert (placement.workers, placement.there) == (3, 13.5)


@pytest.mark.parametrize(("remaining", "workers"), [(15, 1), (1, 4), (0, 2)])
def test_one_worker_or_one_fit_never_starts_workers(remaining: int, workers: int) -> None:
    placement = place_rest(100.0, remaining, workers, start_seconds=0.0)
    assert placement.workers == 1
    assert math.isinf(placement.there)
    assert placement.text().endswith("in this process too")


def test_free_workers_are_used_for_any_fit_that_takes_time() -> None:
    assert place_rest(0.001, 15, 2, start_seconds=0.0).workers == 2
