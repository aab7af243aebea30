"""Run colours: each run keeps the colour its name gives it from page to page, and runs shown
together never share one while the palette has colours left."""

from __future__ import annotations

import itertools

from wbserver.domain.compare import PALETTE, distinct_colours, run_colour


def _names_of_colour(colour: str, count: int) -> list[str]:
    return list(itertools.islice((n for n in (f"run{i}" for i in itertools.count())
                                  if run_colour(n) == colour), count))


def test_runs_whose_names_give_the_same_colour_get_different_ones_together():
    first, second, third = _names_of_colour(PALETTE[3], 3)
    colours = distinct_colours([first, second, third])
    assert colours[first] == PALETTE[3]  # the first keeps its own
    assert colours[second] == PALETTE[4] and colours[third] == PALETTE[5]  # the next free ones
    assert distinct_colours([first, second, third]) == colours  # the same selection, same colours
    assert distinct_colours([second])[second] == PALETTE[3]  # alone, a run has its own colour


def test_names_without_a_clash_keep_their_own_colour_and_wrap_around_the_palette():
    names = [_names_of_colour(c, 1)[0] for c in PALETTE]
    assert distinct_colours(names) == {n: run_colour(n) for n in names}
    last, clash = _names_of_colour(PALETTE[-1], 2)
    assert distinct_colours([last, clash])[clash] == PALETTE[0]


def test_more_runs_than_colours_all_get_one():
    names = [f"r{i}" for i in range(3 * len(PALETTE))]
    colours = distinct_colours(names)
    assert set(colours) == set(names)
    first = [colours[n] for n in names[:len(PALETTE)]]
    assert sorted(first) == sorted(PALETTE)  # every colour is used before any repeats
    assert all(colours[n] == run_colour(n) for n in names[len(PALETTE):])  # then their own
