import pytest

from sentiment.text import PAD, PAD_ID, UNK, UNK_ID, Vocab, tokenize


def test_textbook_example():
    assert tokenize("This movie was great!") == ["this", "movie", "was", "great"]


def test_html_is_stripped():
    assert tokenize("Loved it.<br /><br />Really <b>loved</b> it") == ["loved", "it", "really", "loved", "it"]


@pytest.mark.parametrize(
    "text, emoticon",
    [
        ("fun :)", ":)"),
        ("fun :-)", ":)"),
        ("wink ;-)", ";)"),
        ("ha =D", "=D"),
        ("sad :(", ":("),
        ("meh :-(", ":("),
        ("lol :p", ":P"),
    ],
)
def test_emoticons_are_kept_without_the_nose(text, emoticon):
    assert tokenize(text)[-1] == emoticon


def test_emoticons_stay_in_place_and_words_after_colons_are_words():
    assert tokenize("Great :) but long") == ["great", ":)", "but", "long"]
    assert tokenize("Note:Dear viewers") == ["note", "dear", "viewers"]


def test_limit_stops_early():
    assert tokenize("a b c d e", limit=2) == ["a", "b"]


def test_vocab_order_specials_and_ties():
    vocab = Vocab.build([["b", "a", "c"], ["a", "b"], ["a"]])
    assert vocab.itos == [PAD, UNK, "a", "b", "c"]
    assert vocab.stoi[PAD] == PAD_ID == 0 and vocab.stoi[UNK] == UNK_ID == 1
    # ties are broken alphabetically, whatever the order words are seen in
    assert Vocab.build([["z", "y"], ["y", "z"]]).itos[2:] == ["y", "z"]


def test_vocab_min_freq_and_max_size():
    lists = [["a", "a", "a", "b", "b", "c"]]
    assert Vocab.build(lists, min_freq=2).itos[2:] == ["a", "b"]
    assert Vocab.build(lists, max_size=3).itos == [PAD, UNK, "a"]


def test_encode_decode_round_trip_and_unknown(tmp_path):
    vocab = Vocab.build([tokenize("a great great movie")])
    ids = vocab.encode(tokenize("a great film"))
    assert ids[-1] == UNK_ID and ids[:2] == [vocab.stoi["a"], vocab.stoi["great"]]
    assert vocab.decode(vocab.encode(["great", "movie"])) == ["great", "movie"]
    vocab.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path / "vocab.json").itos == vocab.itos


def test_vocab_rejects_bad_lists():
    with pytest.raises(ValueError):
        Vocab(["a", "b"])
    with pytest.raises(ValueError):
        Vocab([PAD, UNK, "a", "a"])
