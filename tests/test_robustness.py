"""Bad input and faults: odd text never breaks prediction, a killed save never breaks a checkpoint."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentiment import MAX_TOKENS, load_checkpoint, tokenize


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_tokenize_never_raises_and_gives_clean_tokens(text):
    tokens = tokenize(text)
    assert all(t and not t.isspace() and "<" not in t for t in tokens)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_predict_on_arbitrary_unicode(shipped, text):
    try:
        p = shipped.predict(text, explain=True)
    except ValueError as e:  # only for texts without a single word
        assert "no words" in str(e) and tokenize(text) == []
        return
    assert 0.0 <= p.probability <= 1.0
    assert len(p.ids) == len(p.tokens) == len(p.attributions) and all(0 < i < len(shipped.vocab) for i in p.ids)


@pytest.mark.parametrize(
    "text",
    [
        "a",
        "bad\x00movie\x01\x02 \x1b[31m red \x7f",
        "🎬🍿 loved it 😍😍 :)",
        "הסרט היה נהדר  الفيلم كان رائعا",
        "这部电影很好看 映画は素晴らしかった",
        "zqxv wpfk mnbv lkjh",
        "<script>alert('x')</script><img src=x onerror=alert(1)> great film",
        "\u202egnirob\u202c \ufeff soft\u00adhyphen Ｆｕｌｌｗｉｄｔｈ",
    ],
)
def test_odd_text_is_answered(shipped, text):
    p = shipped.predict(text, explain=True)
    assert 0.0 <= p.probability <= 1.0 and p.tokens
    assert all("<" not in t and ">" not in t for t in p.tokens)  # HTML tags are stripped, never passed on


def test_a_megabyte_of_text_is_cut_to_the_maximum(shipped):
    p = shipped.predict("this film was really good and " * 35000)
    assert p.truncated and len(p.tokens) == MAX_TOKENS


def test_a_review_of_only_unknown_words(shipped):
    p = shipped.predict("qwzx vbnmq plokij")
    assert p.ids == [1, 1, 1] and p.unknown == 3


def test_a_save_killed_midway_leaves_the_previous_checkpoint(tmp_path):
    """Kill the saving process after the new weights are written but before the folder is complete."""
    script = textwrap.dedent(
        f"""
        import os, signal, torch
        from sentiment import ModelConfig, SentimentRNN, Vocab, save_checkpoint
        vocab = Vocab.build([["good", "bad"]])
        model = SentimentRNN(ModelConfig(vocab_size=len(vocab), embed_dim=4, hidden_dim=3, fc_dim=2))
        save_checkpoint({str(tmp_path / "ckpt")!r}, model, vocab, {{"run": 1}})
        def die(self, path):
            open(path, "w").write('["<pad>", "<u')  # half-written, then killed
            os.kill(os.getpid(), signal.SIGKILL)
        Vocab.save = die
        torch.nn.init.ones_(model.out.weight)
        save_checkpoint({str(tmp_path / "ckpt")!r}, model, vocab, {{"run": 2}})
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=os.path.dirname(os.path.dirname(__file__)))
    assert proc.returncode == -signal.SIGKILL
    loaded = load_checkpoint(tmp_path / "ckpt")
    assert loaded.metrics == {"run": 1}
    assert not (loaded.model.out.weight == 1).all()
