"""The run store: visitor folders, keeping and evicting runs, clearing, leaving, sweeping. No training: a
run's checkpoint here is whatever ``write`` puts in its folder."""

import os
import time
from pathlib import Path

import pytest

from webapp.runs import Run, RunStore, RunUnavailable, Visitor


def write(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights")


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "server", max_runs=2, ttl_s=3600)


def test_a_kept_run_has_its_checkpoint_and_zip_in_an_unguessable_folder_of_its_visitor(store):
    visitor = Visitor()
    run = store.keep(visitor, Run(1, "#1 BiLSTM 16"), write, session_hash="session42")
    assert visitor.runs == [run] and visitor.folder == store.visitor_folder("session42")
    assert run.checkpoint.parent == run.folder and run.folder.parent == visitor.folder
    assert (run.checkpoint / "model.safetensors").read_bytes() == b"weights"
    assert run.archive.name == "run-1-bilstm-16.zip" and run.archive.is_file()
    assert "session42" not in str(run.folder)  # download links do not reveal the session id
    assert store.visitor_folder("session42") != RunStore(store.root, 2, 3600).visitor_folder("session42")  # salted
    assert store.find(visitor, "#1 BiLSTM 16") is run


def test_runs_past_the_limit_are_evicted_oldest_first_and_clear_deletes_the_rest(store):
    visitor = Visitor()
    runs = [store.keep(visitor, Run(n, f"#{n} BiGRU"), write) for n in (1, 2, 3)]
    assert [r.name for r in visitor.runs] == ["#2 BiGRU", "#3 BiGRU"]
    assert not runs[0].folder.exists() and all(r.folder.exists() for r in runs[1:])
    store.clear(visitor)
    assert visitor.runs == [] and not any(r.folder.exists() for r in runs)


def test_leaving_stops_the_run_and_deletes_the_visitors_folder(store):
    visitor = Visitor()
    run = store.keep(visitor, Run(1, "#1"), write)
    store.forget(visitor)
    assert visitor.stop and visitor.closed and visitor.runs == [] and not visitor.folder.exists()
    with pytest.raises(RunUnavailable, match="no longer knows #1"):
        store.find(visitor, run.name)
    store.forget(None)  # Gradio may call it for a session that never had state


def test_a_closed_page_deletes_its_folder_and_predict_then_says_the_files_are_gone(store):
    visitor = Visitor()
    run = store.keep(visitor, Run(1, "#1"), write, session_hash="page")
    store.end("page")
    assert not run.folder.exists()
    with pytest.raises(RunUnavailable, match="files of #1 are gone"):
        store.find(visitor, "#1")


def test_folders_without_a_new_run_for_the_ttl_are_swept(store):
    old, fresh = Visitor(), Visitor()
    store.keep(old, Run(1, "#1"), write)
    store.keep(fresh, Run(1, "#1"), write)
    hours_ago = time.time() - store.ttl_s - 60
    os.utime(old.folder, (hours_ago, hours_ago))
    store.sweep()
    assert not old.folder.exists() and fresh.folder.exists()
    store.remove_all()
    assert not store.root.exists()
