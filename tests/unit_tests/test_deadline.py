"""The deadline's one owner: its arithmetic on an injected clock, no sleep."""

from __future__ import annotations

from langchain_mashagpt._http.deadline import Deadline, cut, earlier, ends_after, remaining


def test_a_deadline_ends_its_seconds_after_it_was_made() -> None:
    now = [100.0]
    deadline = Deadline(10.0, clock=lambda: now[0])
    assert deadline.ends == 110.0
    now[0] = 104.0
    assert deadline.left() == 6.0
    assert not deadline.passed()
    assert deadline.cut(120.0) == 6.0  # a longer timeout is cut to what is left
    assert deadline.cut(2.0) == 2.0
    assert deadline.cut(None) == 6.0
    now[0] = 110.0
    assert deadline.passed()


def test_no_deadline_leaves_everything_as_it_is() -> None:
    deadline = Deadline(None, clock=lambda: 5.0)
    assert deadline.ends is None
    assert deadline.left() is None
    assert not deadline.passed()
    assert deadline.cut(3.0) == 3.0
    assert deadline.cut(None) is None


def test_the_end_time_functions() -> None:
    assert ends_after(None) is None
    assert ends_after(2.0, clock=lambda: 1.0) == 3.0
    assert remaining(None) is None
    assert remaining(3.0, clock=lambda: 1.0) == 2.0
    assert earlier(None, None) is None
    assert earlier(5.0, None) == 5.0
    assert earlier(None, 4.0) == 4.0
    assert earlier(5.0, 4.0) == 4.0
    assert earlier(3.0, 4.0) == 3.0
    assert cut(None, 2.0) == 2.0
    assert cut(5.0, 2.0) == 2.0
    assert cut(1.0, 2.0) == 1.0
