"""strategy.matrix expands as GitHub documents it (the docs' own include example)."""

from __future__ import annotations

import pytest

from sandbox.pipeline.matrix import MatrixError, expand, leg_name


def test_include_follows_githubs_documented_example() -> None:
    combos = expand(
        {
            "fruit": ["apple", "pear"],
            "animal": ["cat", "dog"],
            "include": [
                {"color": "green"},
                {"color": "pink", "animal": "cat"},
                {"fruit": "apple", "shape": "circle"},
                {"fruit": "banana"},
                {"fruit": "banana", "animal": "cat"},
            ],
        }
    )
    assert combos == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_exclude_removes_every_combination_it_matches() -> None:
    combos = expand(
        {"os": ["linux", "mac"], "python": ["3.11", "3.12"], "exclude": [{"os": "mac"}]}
    )
    assert combos == [{"os": "linux", "python": "3.11"}, {"os": "linux", "python": "3.12"}]


def test_a_matrix_of_includes_only_has_one_combination_each() -> None:
    assert expand({"include": [{"a": 1}, {"b": 2}]}) == [{"a": 1}, {"b": 2}]


def test_no_matrix_runs_the_job_once() -> None:
    assert expand(None) == [{}]


def test_an_empty_list_of_values_is_an_error() -> None:
    with pytest.raises(MatrixError, match=r"strategy\.matrix\.python must be a non-empty list"):
        expand({"python": []})


def test_a_leg_is_named_after_its_values() -> None:
    assert leg_name("test", {"python": "3.12", "os": "linux"}) == "test (3.12, linux)"
