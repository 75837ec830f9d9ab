"""train.py end to end on real reviews, and its --help."""

import dataclasses
import json
import shutil
import sys

import pytest

from devtools import ROOT, SHIPPED
from sentiment import ModelConfig, NgramConfig, TrainConfig, load_predictor
from sentiment.cli import field_comments
from sentiment.evaluate import main as evaluate_main

sys.path.insert(0, str(ROOT))
import train  # noqa: E402


def test_help_documents_every_config_field():
    out = train.build_parser().format_help()  # what `python train.py --help` prints
    docs = {
        **field_comments(ModelConfig),
        **field_comments(NgramConfig),
        **field_comments(TrainConfig),
    }
    for f in dataclasses.fields(ModelConfig) + dataclasses.fields(NgramConfig) + dataclasses.fields(TrainConfig):
        if f.name not in train.SKIP:
            assert f"--{f.name.replace('_', '-')}" in out and docs[f.name], f.name
    for flag in (
        "--data",
        "--out",
        "--preset",
        "--push-to-hub",
        "--train-limit",
        "--model",
        "--pretrained",
        "--teacher",
        "--unlabeled",
    ):
        assert flag in out


def test_textbook_preset_and_explicit_flags():
    args = train.build_parser().parse_args(["--preset", "textbook", "--epochs", "2", "--bidirectional"])
    model_cfg, train_cfg = train.configs(args)
    assert (model_cfg.embed_dim, model_cfg.hidden_dim, model_cfg.fc_dim, model_cfg.pooling) == (20, 64, 64, "last")
    assert model_cfg.bidirectional and train_cfg.epochs == 2 and train_cfg.batch_size == 32 and train_cfg.lr == 1e-3


def test_a_short_run_writes_a_checkpoint_whose_test_accuracy_evaluate_reproduces(imdb_path, tmp_path, capsys):
    out = tmp_path / "ckpt"
    code = train.main(
        [
            "--data",
            str(imdb_path),
            "--out",
            str(out),
            "--train-limit",
            "300",
            "--epochs",
            "1",
            "--embed-dim",
            "8",
            "--hidden-dim",
            "8",
            "--bidirectional",
            "--pooling",
            "max",
            "--test-limit",
            "2000",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_reviews"] == 300 and metrics["valid_reviews"] == 5000 and metrics["test_reviews"] == 2000
    assert len(metrics["history"]) == 1 and metrics["command"].startswith("python train.py")
    assert {"torch", "datasets", "huggingface_hub", "safetensors"} <= set(metrics["versions"])
    # the evaluation CLI and the public API (predict_batch) agree with train.py on the same 2,000 test reviews
    from sentiment import load_imdb
    from sentiment.evaluate import accuracy

    capsys.readouterr()
    assert (
        evaluate_main(["--checkpoint", str(out), "--data", str(imdb_path), "--device", "cpu", "--limit", "2000"]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["accuracy"] == metrics["test_accuracy"]
    first = load_imdb(imdb_path, splits=("test",))["test"].spread(2000)
    assert sum(first.labels) == 1000  # both labels, not the file's first (all negative) reviews
    assert accuracy(load_predictor(out, device="cpu"), first) == printed["accuracy"]


def test_ngram_baseline_then_a_bilstm_distilled_from_it(imdb_path, tmp_path):
    teacher = tmp_path / "ngram"
    assert (
        train.main(
            [
                "--model",
                "ngram",
                "--data",
                str(imdb_path),
                "--out",
                str(teacher),
                "--train-limit",
                "500",
                "--epochs",
                "1",
                "--lr",
                "0.05",
                "--ngram-buckets",
                "65536",
                "--ngram-n",
                "2",
                "--test-limit",
                "2000",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    t = json.loads((teacher / "metrics.json").read_text())
    assert t["test_accuracy"] > 0.7 and json.loads((teacher / "config.json").read_text())["ngram_buckets"] == 65536
    student = tmp_path / "student"
    assert (
        train.main(
            [
                "--data",
                str(imdb_path),
                "--out",
                str(student),
                "--train-limit",
                "200",
                "--epochs",
                "1",
                "--embed-dim",
                "8",
                "--hidden-dim",
                "8",
                "--bidirectional",
                "--teacher",
                str(teacher),
                "--unlabeled",
                "100",
                "--test-limit",
                "2000",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    m = json.loads((student / "metrics.json").read_text())
    assert m["train_reviews"] == 200 and m["unlabeled_reviews"] == 100
    assert m["teachers"] == [{"path": str(teacher), "test_accuracy": t["test_accuracy"]}]
    config = json.loads((student / "config.json").read_text())
    assert "ngram_buckets" not in config and config["bidirectional"] is True
    # a second round: continue the student, taught by the mean of both models' logits
    again = tmp_path / "again"
    assert (
        train.main(
            [
                "--data",
                str(imdb_path),
                "--out",
                str(again),
                "--train-limit",
                "200",
                "--epochs",
                "1",
                "--init",
                str(student),
                "--teacher",
                str(teacher),
                "--teacher",
                str(student),
                "--unlabeled",
                "100",
                "--test-limit",
                "2000",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    m2 = json.loads((again / "metrics.json").read_text())
    assert [t["path"] for t in m2["teachers"]] == [str(teacher), str(student)] and m2["init"]["path"] == str(student)
    # it records the round it continued, for the Model tab's lineage (what was taught where, time in all)
    (first,) = m2["earlier_rounds"]
    assert first["command"] == m["command"] and first["valid_accuracy"] == m["valid_accuracy"]
    assert first["train_seconds"] == m["train_seconds"] and "earlier_rounds" not in m
    assert json.loads((again / "vocab.json").read_text()) == json.loads((student / "vocab.json").read_text())


def test_unreachable_data_is_one_clear_message(tmp_path, capsys):
    assert train.main(["--data", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "IMDB_DATA" in err and "Traceback" not in err


def test_continuing_a_checkpoint_with_broken_metrics_names_it(tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(SHIPPED, broken)
    (broken / "metrics.json").write_text('{"valid_accuracy": "high"}')
    assert train.main(["--data", str(tmp_path / "nowhere"), "--init", str(broken)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err and "'valid_accuracy'" in err and "Traceback" not in err


def test_sentences_can_take_another_models_probabilities_instead_of_their_rule_labels(
    imdb_path, tmp_path, monkeypatch, shipped
):
    made, prepared = [], []
    real_augment, real_prepare = train.augment, train.prepare
    monkeypatch.setattr(train, "augment", lambda *a: made.append(real_augment(*a)) or made[-1])
    monkeypatch.setattr(train, "prepare", lambda *a, **k: prepared.append(real_prepare(*a, **k)) or prepared[-1])
    out = tmp_path / "kept"
    args = ["--data", str(imdb_path), "--out", str(out), "--train-limit", "100", "--epochs", "1", "--embed-dim", "8"]
    args += ["--hidden-dim", "8", "--test-limit", "200", "--device", "cpu", "--augment", "60", "--augment-pairs"]
    assert train.main([*args, "--augment-labels-from", str(SHIPPED)]) == 0
    (extra,) = made  # the flipped edits of the 100 reviews, then the 60 sentences
    edits = len(extra) - 60
    assert edits > 0 and set(extra.labels) == {0, 1}
    labels = prepared[0].train.labels[-len(extra) :].tolist()
    assert labels[:edits] == extra.labels[:edits]  # the edits keep their flipped labels
    sentences = extra.texts[edits:]
    assert labels[edits:] == pytest.approx([p.probability for p in shipped.predict_batch(sentences)], abs=1e-6)
    assert labels[edits:] != extra.labels[edits:]
    m = json.loads((out / "metrics.json").read_text())
    assert m["augment"]["labels_from"] == str(SHIPPED) and m["augmented_examples"] == len(extra)


def test_labels_for_the_sentences_without_sentences_or_from_a_missing_model_are_refused(tmp_path, capsys):
    assert train.main(["--data", str(tmp_path / "nowhere"), "--augment-labels-from", str(SHIPPED)]) == 2
    assert "give --augment N" in capsys.readouterr().err
    missing = tmp_path / "missing"
    assert train.main(["--data", str(tmp_path), "--augment", "10", "--augment-labels-from", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "Traceback" not in err
