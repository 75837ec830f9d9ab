"""The real server under load: many concurrent clients, predictions during training, one run at a time."""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from gradio_client import Client
from gradio_client.utils import Status

from webapp import models

REVIEWS = [
    "A wonderful, moving film. I loved it.",
    "Dull, predictable and far too long. I hated it.",
    "Not bad at all, actually quite charming.",
    "The worst acting I have seen in years.",
]
TRAIN = (1, 2000, "lstm", True, 32, 32, 0.003, 32, "random weights")


def test_200_predictions_from_20_concurrent_clients(app_server):
    expected = {r: models.shipped_predictor().predict(r).label for r in REVIEWS}
    clients = [Client(app_server, verbose=False) for _ in range(20)]

    def run(client_index):
        out = []
        for k in range(10):
            review = REVIEWS[(client_index + k) % len(REVIEWS)]
            start = time.perf_counter()
            result = clients[client_index].predict(review, api_name="/predict")
            out.append((review, result, time.perf_counter() - start))
        return out

    with ThreadPoolExecutor(20) as pool:
        results = [r for batch in pool.map(run, range(20)) for r in batch]
    assert len(results) == 200
    assert all(result["label"] == expected[review] for review, result, _ in results)
    latencies = sorted(1000 * s for _, _, s in results)
    print(
        f"\n/predict under 20 concurrent clients: median {statistics.median(latencies):.0f} ms, p95 {latencies[189]:.0f} ms"
    )


def test_predictions_are_answered_during_training_and_a_second_run_waits(app_server):
    trainer, other = Client(app_server, verbose=False), Client(app_server, verbose=False)
    first = trainer.submit(*TRAIN, api_name="/train")
    deadline = time.time() + 60
    while not first.outputs() and time.time() < deadline:  # its first update: the run has started
        time.sleep(0.1)
    second = other.submit(*TRAIN, api_name="/train")
    time.sleep(1.0)
    assert second.status().code == Status.IN_QUEUE and not second.outputs(), second.status()
    answered = [Client(app_server, verbose=False).predict(REVIEWS[0], api_name="/predict")["label"] for _ in range(5)]
    assert answered == ["positive"] * 5
    assert not first.done(), "the training run ended before the predictions were answered"
    trainer.predict(api_name="/stop")
    first.result(timeout=120)
    # the queued run starts only after the first has ended; stop it too
    deadline = time.time() + 60
    while not second.outputs() and time.time() < deadline:
        time.sleep(0.1)
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


def test_a_cancelled_run_frees_the_trainer_at_once(app_server):
    """A client that goes away (here: cancels its job) ends its run; the next one starts right after."""
    leaving = Client(app_server, verbose=False)
    long_run = leaving.submit(5, 20000, "lstm", True, 64, 64, 0.003, 32, "random weights", api_name="/train")
    deadline = time.time() + 60
    while not long_run.outputs() and time.time() < deadline:
        time.sleep(0.1)
    long_run.cancel()
    start = time.time()
    short = Client(app_server, verbose=False).submit(
        1, 200, "lstm", True, 16, 16, 0.003, 32, "random weights", api_name="/train"
    )
    assert "Best validation accuracy" in short.result(timeout=90)[3]
    assert time.time() - start < 90
