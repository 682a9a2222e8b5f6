"""forked_map: the parts computed in forked children come back in order, and a child that
fails, dies or hangs costs time, never the result."""

import os
import time

import pytest

from curation import forking

PARENT = os.getpid()


def _square_all(part):
    return [number * number for number in part]


def _where(part):
    return [(os.getpid() != PARENT, number) for number in part]


def test_every_part_comes_back_in_order_and_the_later_ones_from_children():
    parts = [[1, 2], [3], [4, 5, 6], []]
    assert forking.forked_map(_square_all, parts) == [[1, 4], [9], [16, 25, 36], []]
    where = forking.forked_map(_where, [[1], [2], [3]])
    assert where == [[(False, 1)], [(True, 2)], [(True, 3)]]


def test_a_large_result_travels_whole():
    big = list(range(300_000))  # several MB pickled: more than a pipe holds
    assert forking.forked_map(lambda part: part, [[0], big]) == [[0], big]


def _fails_in_a_child(part):
    if os.getpid() != PARENT:
        raise ValueError("only in the child")
    return sum(part)


def _dies_in_a_child(part):
    if os.getpid() != PARENT:
        os._exit(9)  # as a crash would: nothing sent
    return sum(part)


@pytest.mark.parametrize("function", [_fails_in_a_child, _dies_in_a_child])
def test_a_child_that_fails_or_dies_has_its_part_computed_here(function, caplog):
    assert forking.forked_map(function, [[1, 2], [3, 4], [5]]) == [3, 7, 5]
    assert "its part is computed here" in caplog.text


def _hangs_in_a_child(part):
    if os.getpid() != PARENT:
        time.sleep(60)
    return sum(part)


def test_a_child_that_hangs_is_ended_at_the_deadline_and_its_part_computed_here(monkeypatch, caplog):
    monkeypatch.setattr(forking, "AT_LEAST_SECONDS", 0.5)
    started = time.monotonic()
    assert forking.forked_map(_hangs_in_a_child, [[1], [2, 3]]) == [1, 5]
    assert time.monotonic() - started < 10
    assert "ran past its deadline" in caplog.text


def test_one_part_or_no_fork_runs_here(monkeypatch):
    assert forking.forked_map(_where, [[1, 2]]) == [[(False, 1), (False, 2)]]
    monkeypatch.delattr(os, "fork")
    assert forking.forked_map(_where, [[1], [2]]) == [[(False, 1)], [(False, 2)]]


def _fails_here_sleeps_there(part):
    if os.getpid() == PARENT:
        raise KeyError("this process's own part")
    time.sleep(60)
    return part


def test_an_error_in_this_process_ends_the_children_at_once(monkeypatch):
    forked = []
    original = forking._fork

    def fork(*args):
        forked.append(original(*args))
        return forked[-1]

    monkeypatch.setattr(forking, "_fork", fork)
    started = time.monotonic()
    with pytest.raises(KeyError):
        forking.forked_map(_fails_here_sleeps_there, [[1], [2], [3]])
    assert time.monotonic() - started < 10 and len(forked) == 2
    for pid, _ in forked:
        with pytest.raises(ChildProcessError):  # ended and reaped: nothing left running
            os.waitpid(pid, os.WNOHANG)
