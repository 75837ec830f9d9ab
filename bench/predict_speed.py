"""Prediction speed of a checkpoint on this machine.

    python bench/predict_speed.py --data ../shared/data/imdb [--checkpoint checkpoints/bilstm-imdb]

Prints latency (median and 95th percentile) of ``predict`` for a typical review (~230 tokens)
and a long one (~1,000 tokens), with and without word pushes (and of each of the two methods of
measuring them, occlusion and integrated gradients), the time of the running
verdict (the probability after every prefix) for each, the time of ``compare`` (a review and an
edited copy: both verdicts, both running verdicts, the n-gram baseline's verdicts and the word diff)
for the typical review with a one-word edit near its start (no prefix shared, the slowest case) and
in its middle, and the throughput of ``predict_batch`` on 1,000 test reviews against the baseline
of calling ``predict`` once per review in the same run (and explained, on 20 of them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from sentiment import TRAJECTORY_POINTS, load_imdb, load_predictor, tokenize  # noqa: E402

EXPLAINED = 20  # reviews in the explained predict_batch figure


def timings(fn, repeat: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(1000 * (time.perf_counter() - start))
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def cpu_time(fn, repeat: int) -> float:
    """Median CPU time of this process per call, in ms: on a busy machine, the work a call takes apart from waiting."""
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append(1000 * (time.process_time() - start))
    return statistics.median(samples)


def closest(texts: list[str], n_tokens: int) -> str:
    return min(texts, key=lambda t: abs(len(tokenize(t)) - n_tokens))


def one_word_edited(text: str, at: int) -> str:
    """``text`` with its ``at``-th token (counting from 0) replaced by "dreadful"."""
    from sentiment.diff import token_spans

    start, end = token_spans(text)[at]
    return text[:start] + "dreadful" + text[end:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="local IMDb folder; default $IMDB_DATA, else the Hub")
    ap.add_argument("--checkpoint", default="checkpoints/bilstm-imdb")
    ap.add_argument(
        "--baseline", default="checkpoints/ngram-imdb", help="the order-blind baseline that compare also asks"
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--compare-only", action="store_true", help="time compare alone")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's own choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    p = load_predictor(args.checkpoint, device=args.device)
    both = load_predictor(args.checkpoint, device=args.device, baseline=args.baseline)
    test = load_imdb(args.data)["test"]
    texts = test.texts[::25][:1000]
    typical, long = closest(texts[:300], 230), closest(texts, 1000)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"checkpoint {args.checkpoint}, device {args.device}, {torch.get_num_threads()} threads, load average {load}")
    for name, text in () if args.compare_only else (("typical", typical), ("long", long)):
        n = len(tokenize(text))
        med, p95 = timings(lambda: p.predict(text), args.repeat)
        print(f"predict, {name} review ({n} tokens): median {med:.2f} ms, p95 {p95:.2f} ms")
        med, p95 = timings(lambda: p.predict(text, explain=True), max(20, args.repeat // 5))
        print(
            f"predict(explain=True): word pushes by both methods and running verdict, {name} review ({n} tokens): median {med:.2f} ms, p95 {p95:.2f} ms"
        )
        verdict, _ = timings(lambda: both.predict(text, baseline=True), args.repeat)
        scored = both.predict(text)
        explained, _ = timings(lambda: both.explain(scored), max(20, args.repeat // 5))
        print(
            f"the Predict tab's two steps, {name} review: the verdict and the baseline's, median {verdict:.2f} ms; "
            f"then the explanations (Predictor.explain), median {explained:.2f} ms: the verdict is drawn "
            f"{(verdict + explained) / verdict:.0f}x sooner than if it waited for them"
        )
        ids = p.predict(text).ids
        for method, fn in (("occlusion", p.occlusion), ("integrated gradients", p.attributions)):
            med, p95 = timings(lambda: fn(ids), max(20, args.repeat // 5))
            width = p.occlusion_width(n)
            grouped = f", {width} words at a time" if method == "occlusion" and width > 1 else ""
            print(f"{method}, {name} review ({n} tokens{grouped}): median {med:.2f} ms, p95 {p95:.2f} ms")
        med, p95 = timings(lambda: p.trajectory(ids), max(20, args.repeat // 5))
        points = min(n, TRAJECTORY_POINTS)
        print(f"running verdict, {name} review ({n} tokens, {points} prefixes): median {med:.2f} ms, p95 {p95:.2f} ms")

    n = len(tokenize(typical))
    for where, at in (("near its start", 2), ("in its middle", n // 2)):
        edited = one_word_edited(typical, at)
        med, p95 = timings(lambda: both.compare(typical, edited), max(20, args.repeat // 5))
        cpu = cpu_time(lambda: both.compare(typical, edited), max(20, args.repeat // 5))
        print(
            f"compare, typical review ({n} tokens) and a copy with one word replaced {where} (word {at}), with both "
            f"running verdicts and the baseline: median {med:.2f} ms, p95 {p95:.2f} ms (CPU time of this process: median "
            f"{cpu:.2f} ms a call, roughly what it takes on an idle core)"
        )
    if args.compare_only:
        return
    start = time.perf_counter()
    for t in texts:
        p.predict(t)
    one_by_one = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    p.predict_batch(texts)
    batched = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    p.predict_batch(texts[:EXPLAINED], explain=True)  # each review explained alone: a few per second
    explained = EXPLAINED / (time.perf_counter() - start)
    print(
        f"{len(texts)} test reviews: predict one by one {one_by_one:.0f} reviews/s (baseline), "
        f"predict_batch {batched:.0f} reviews/s ({batched / one_by_one:.1f}x); "
        f"predict_batch explained (both pushes, running verdict; {EXPLAINED} reviews) {explained:.1f} reviews/s"
    )


if __name__ == "__main__":
    main()
