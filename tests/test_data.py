"""Loading IMDb with the real `datasets` library, from parquet files or an aclImdb folder."""

import pandas as pd
import pytest

from sentiment.data import DataUnavailableError, EncodedSplit, Split, load_imdb, train_valid_split
from sentiment.text import Vocab


def test_local_parquet_has_both_full_splits(imdb):
    assert len(imdb["train"]) == len(imdb["test"]) == 25000
    assert set(imdb["train"].labels) == {0, 1} and sum(imdb["test"].labels) == 12500
    assert "<br />" in " ".join(imdb["train"].texts[:200])


def test_split_is_20000_5000_fixed_by_the_seed_and_disjoint(imdb):
    train, valid = train_valid_split(imdb["train"], 5000, seed=1)
    again, _ = train_valid_split(imdb["train"], 5000, seed=1)
    assert len(train) == 20000 and len(valid) == 5000
    assert train.texts[:50] == again.texts[:50]
    numbered = Split([str(i) for i in range(25000)], [0] * 25000)
    train_ids, valid_ids = train_valid_split(numbered, 5000, seed=1)
    assert not set(train_ids.texts) & set(valid_ids.texts) and len(set(train_ids.texts + valid_ids.texts)) == 25000


def write_acl(root, n=3):
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}_7.txt").write_text(f"{label} review {i} <br />")


def test_extracted_aclimdb_folder(tmp_path):
    write_acl(tmp_path)
    splits = load_imdb(tmp_path)
    assert len(splits["train"]) == 6 and sorted(set(splits["test"].labels)) == [0, 1]
    assert splits["train"].texts[0].startswith("neg review")


def test_environment_variable_is_used(tmp_path, monkeypatch):
    write_acl(tmp_path, n=1)
    monkeypatch.setenv("IMDB_DATA", str(tmp_path))
    assert len(load_imdb()["test"]) == 2


@pytest.fixture
def silent_server():
    """A local address that takes connections and never answers, like a Hub behind a dropping firewall."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def unreachable_hub(monkeypatch, endpoint, cache):
    """The Hub at ``endpoint``, and ``cache`` as the local Hugging Face cache."""
    import huggingface_hub

    monkeypatch.delenv("IMDB_DATA", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))


def test_an_unreachable_hub_is_said_within_seconds(tmp_path, monkeypatch, silent_server):
    import time

    unreachable_hub(monkeypatch, silent_server, tmp_path / "empty-cache")
    told = []
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError) as err:
        load_imdb(splits=("train",), notify=told.append)
    assert time.perf_counter() - start < 10
    message = str(err.value)
    assert "cannot be reached" in message and "train reviews are not in its local cache" in message
    assert "--data PATH" in message and "IMDB_DATA" in message and told == []


def test_hub_files_in_the_local_cache_are_read_without_the_network(tmp_path, monkeypatch, imdb_path, silent_server):
    """What a second run finds after a first download: the split's parquet file in the Hugging Face cache."""
    from sentiment.data import HUB_DATASET, hub_file

    repo = tmp_path / "cache" / f"datasets--{HUB_DATASET.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40) / hub_file("test")
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(imdb_path / "test.parquet")  # as the cache links to its blobs
    unreachable_hub(monkeypatch, silent_server, tmp_path / "cache")
    told = []
    test = load_imdb(splits=("test",), notify=told.append)["test"]
    assert len(test) == 25000 and told == []  # nothing downloaded, nothing announced
    with pytest.raises(DataUnavailableError, match="train reviews are not in its local cache"):
        load_imdb(splits=("train", "test"), notify=told.append)  # only the splits asked for are looked up


def test_missing_folder_and_missing_file(tmp_path):
    with pytest.raises(DataUnavailableError, match="is not a folder"):
        load_imdb(tmp_path / "nowhere")
    pd.DataFrame({"text": ["a"], "label": [0]}).to_parquet(tmp_path / "train.parquet")
    with pytest.raises(DataUnavailableError, match="test.parquet"):
        load_imdb(tmp_path)


def test_malformed_parquet_and_bad_labels(tmp_path):
    (tmp_path / "train.parquet").write_bytes(b"not a parquet file")
    pd.DataFrame({"text": ["a"], "label": [0]}).to_parquet(tmp_path / "test.parquet")
    with pytest.raises(DataUnavailableError, match="malformed parquet"):
        load_imdb(tmp_path)
    pd.DataFrame({"text": ["a", "b"], "label": [0, 7]}).to_parquet(tmp_path / "train.parquet")
    with pytest.raises(DataUnavailableError, match=r"train.parquet: labels must be 0 or 1, found \[7\]"):
        load_imdb(tmp_path)


def test_encoded_split_batches_cover_every_review_once():
    vocab = Vocab.build([["a", "b", "c"]])
    texts = ["a " * n for n in (5, 1, 9, 3, 7, 2, 8)]
    data = EncodedSplit.encode(Split(texts, [0, 1, 0, 1, 0, 1, 0]), vocab)
    assert data.lengths.tolist() == [5, 1, 9, 3, 7, 2, 8]
    for shuffle in (False, True):
        batches = data.batches(3, shuffle=shuffle, pool=1)
        assert sorted(i for b in batches for i in b) == list(range(7))
    ids, lengths, labels = data.batch([2, 1])
    assert ids.shape == (2, 9) and lengths.tolist() == [9, 1] and ids[1, 1:].eq(0).all()


def test_with_hf_hub_offline_the_check_says_so_without_asking_the_hub(monkeypatch, silent_server):
    import huggingface_hub

    from sentiment.data import hub_unreachable

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", silent_server)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    assert hub_unreachable(timeout=5) == "HF_HUB_OFFLINE is set"


def test_the_hub_check_uses_huggingface_hubs_own_http_client(monkeypatch, silent_server):
    """A proxy or certificate set up for huggingface_hub (its client factory) also applies to the
    reachability check; a Hub that answers with any status counts as reachable."""
    import httpx2  # huggingface_hub's HTTP client
    import huggingface_hub
    from huggingface_hub.utils._http import default_client_factory

    from sentiment.data import hub_unreachable

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", silent_server)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # this test is about the online check
    assert "Timeout" in hub_unreachable(timeout=0.5)
    answered = []

    def through_a_proxy(request):
        answered.append(request.url)
        return httpx2.Response(404)

    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(through_a_proxy)))
    try:
        assert hub_unreachable(timeout=0.5) is None and len(answered) == 1
    finally:
        huggingface_hub.set_client_factory(default_client_factory)


def test_spread_takes_reviews_at_even_intervals_so_a_split_sorted_by_label_gives_both():
    from sentiment.data import Split

    sorted_by_label = Split([str(i) for i in range(10)], [0] * 5 + [1] * 5)
    assert sorted_by_label.spread(4).texts == ["0", "2", "5", "7"] and sorted(
        set(sorted_by_label.spread(4).labels)
    ) == [0, 1]
    assert sorted_by_label.spread(0) is sorted_by_label and sorted_by_label.spread(20) is sorted_by_label
