"""The attempt policy owns the `stream_options` fallback: decided and remembered in one place."""

from __future__ import annotations

import uuid

from langchain_mashagpt._http.attempts import Attempts, Retry

REFUSAL = b'{"error": {"message": "Unknown parameter: \'stream_options\'."}}'
PAYLOAD = {"model": "m", "stream": True, "stream_options": {"include_usage": True}}


def test_a_refused_stream_options_is_left_out_of_this_call_and_of_later_ones_at_its_url() -> None:
    url = f"http://{uuid.uuid4().hex}.test/v1/chat/completions"
    first = Attempts(max_retries=2, deadline=None, url="shown", remember=url)
    payload, sent = first.to_send(PAYLOAD)
    assert payload == PAYLOAD
    assert sent == {"stream_options"}
    first.send()
    assert first.refused(400, {}, REFUSAL, sent) == Retry(0.0, drop="stream_options")
    assert first.to_send(PAYLOAD) == ({"model": "m", "stream": True}, frozenset())
    later = Attempts(max_retries=2, deadline=None, url="shown", remember=url)
    assert later.to_send(PAYLOAD) == ({"model": "m", "stream": True}, frozenset())
    elsewhere = Attempts(max_retries=2, deadline=None, url="shown", remember=url + "?q=1")
    assert elsewhere.to_send(PAYLOAD) == (PAYLOAD, frozenset({"stream_options"}))


def test_without_a_url_to_remember_the_refusal_holds_for_the_call_only() -> None:
    attempts = Attempts(max_retries=2, deadline=None, url="shown")
    _, sent = attempts.to_send(PAYLOAD)
    attempts.send()
    assert isinstance(attempts.refused(400, {}, REFUSAL, sent), Retry)
    assert "stream_options" not in attempts.to_send(PAYLOAD)[0]
    fresh = Attempts(max_retries=2, deadline=None, url="shown")
    assert "stream_options" in fresh.to_send(PAYLOAD)[0]


def test_a_second_refusal_in_one_call_is_not_retried_without_the_field_again() -> None:
    attempts = Attempts(max_retries=2, deadline=None, url="shown")
    attempts.send()
    assert isinstance(attempts.refused(400, {}, REFUSAL, frozenset({"stream_options"})), Retry)
    attempts.send()
    step = attempts.refused(400, {}, REFUSAL, frozenset({"stream_options"}))
    assert not isinstance(step, Retry)
