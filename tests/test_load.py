"""The shared server while it trains: predictions answered, one run at a time, a visitor leaving mid-run frees
the slot for the next, absurd settings refused. (Many concurrent clients: tests/test_serving.py.)"""

import dataclasses
import time

import httpx
import pytest
from gradio_client import Client
from gradio_client.utils import Status

REVIEWS = [
    "A wonderful, moving film. I loved it.",
    "Dull, predictable and far too long. I hated it.",
    "Not bad at all, actually quite charming.",
    "The worst acting I have seen in years.",
]
TRAIN = (1, 2000, "lstm", True, 32, 32, 0.003, 32, "random weights")


@pytest.fixture
def long_budget(monkeypatch):
    """Runs on the shared server may last 30 minutes, so a long run really is long."""
    from webapp import settings

    monkeypatch.setattr(settings, "SETTINGS", dataclasses.replace(settings.SETTINGS, budget_s=1800.0))


def test_predictions_are_answered_during_training_and_a_visitor_leaving_frees_the_slot(
    app_server, long_budget, long_run
):
    leaving, other = Client(app_server, verbose=False), Client(app_server, verbose=False)
    first = leaving.submit(*long_run, api_name="/train")
    deadline = time.time() + 60
    while not first.outputs() and time.time() < deadline:  # its first update: the run has started
        time.sleep(0.1)
    second = other.submit(*TRAIN, api_name="/train")
    deadline = time.time() + 30
    while second.status().code == Status.STARTING and time.time() < deadline:  # until the server has placed it
        time.sleep(0.2)
    assert second.status().code == Status.IN_QUEUE and not second.outputs(), second.status()
    answered = [Client(app_server, verbose=False).predict(REVIEWS[0], api_name="/predict")["label"] for _ in range(5)]
    assert answered == ["positive"] * 5
    assert not first.done(), "the training run ended before the predictions were answered"
    try:
        first.cancel()  # what closing the page does to its running event
    except httpx.TimeoutException:
        pass  # the server closes the run at its next step (after a validation check: seconds)
    # the queued run starts within a minute: it would wait for the long run (many minutes) if the slot were held
    deadline = time.time() + 60
    while not second.outputs() and time.time() < deadline:
        time.sleep(0.1)
    assert second.outputs(), "the queued run did not start after the first visitor left"
    other.predict(api_name="/stop")
    final = second.result(timeout=120)
    assert "Best validation accuracy" in final[3]


def test_training_api_refuses_absurd_settings(app_server):
    """Refused with a clear message (by the slider's own check or by the handler's) before any work."""
    client = Client(app_server, verbose=False)
    for epochs, reviews, hidden in [
        (10000, 2000, 32),
        (1, -5, 32),
        (1, 10**9, 32),
        (1, 2000, 10**6),
        ("many", 2000, 32),
    ]:
        try:
            client.predict(epochs, reviews, "lstm", True, 32, hidden, 0.003, 32, "random weights", api_name="/train")
        except Exception as e:  # gradio_client raises AppError carrying the message
            assert any(
                words in str(e) for words in ("must be", "maximum value", "minimum value", "Expected a `float`")
            ), e
        else:
            raise AssertionError(f"epochs={epochs!r} reviews={reviews!r} hidden={hidden!r} was accepted")
