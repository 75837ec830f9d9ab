"""What would be deployed to a Hugging Face Space, checked offline. The app started as a Space starts it
(``python app.py`` with the Space's variables, on 0.0.0.0, without a local IMDb copy) is checked by the
shutdown test in ``test_serving.py``, which restarts the app that way."""

import os
import re
import subprocess
import sys
import time

import pytest

import deploy

from .conftest import ROOT


def run(args, **env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=os.environ | env, capture_output=True, text=True, timeout=120
    )


def test_readme_front_matter_configures_the_space():
    from huggingface_hub import RepoCard

    card = RepoCard.load(ROOT / "README.md").data.to_dict()
    pinned = re.search(r"^gradio==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert card["sdk"] == "gradio" and card["sdk_version"] == pinned
    assert (ROOT / card["app_file"]).is_file()
    assert card["python_version"].startswith("3.")


def test_upload_set_holds_what_the_app_needs_and_nothing_else():
    files = {f.as_posix() for f in deploy.upload_set()}
    needed = {
        "app.py",
        "requirements.txt",
        "README.md",
        "sentiment/__init__.py",
        "sentiment/predict.py",
        "webapp/ui.py",
        "webapp/serving.py",
        "checkpoints/bilstm-imdb/model.safetensors",
        "checkpoints/bilstm-imdb/config.json",
        "checkpoints/bilstm-imdb/vocab.json",
        "checkpoints/ngram-imdb/model.safetensors",
        "docs/screenshots/predict.png",
    }
    assert needed <= files
    assert not [
        f
        for f in files
        if f.split("/")[0] in {"tests", "bench", "runs", ".ci", ".git"} or "__pycache__" in f or f.endswith(".pyc")
    ]
    assert "requirements-dev.txt" not in files and "deploy.py" not in files
    # the pictures the README shows are uploaded with it
    assert set(re.findall(r"\]\((docs/screenshots/\S+?\.png)\)", (ROOT / "README.md").read_text())) <= files
    without_model = {f.as_posix() for f in deploy.upload_set(without_model=True)}
    assert without_model == {f for f in files if not f.startswith("checkpoints/bilstm-imdb/")}


def test_dry_run_lists_sizes_names_lfs_files_and_uploads_nothing(tmp_path):
    result = run(
        ["deploy.py", "someone/imdb-sentiment", "--dry-run"],
        HF_TOKEN="",
        HF_HOME=str(tmp_path),
        HF_ENDPOINT="http://127.0.0.1:9",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    sizes = {f.as_posix(): (ROOT / f).stat().st_size for f in deploy.upload_set()}
    big = [f for f, size in sizes.items() if size > 10 * 1024 * 1024]
    assert big and all(re.search(rf"{re.escape(f)}\s+\(Git LFS\)", out) for f in big)
    assert f"{sum(sizes.values()) / 1e6:9.2f} MB  in {len(sizes)} files" in out
    print(out.splitlines()[-2])  # the total, for the log
    assert "dry run: nothing uploaded" in out


def test_dry_run_with_a_model_repo_lists_the_model_repositorys_files_too(tmp_path):
    env = dict(HF_TOKEN="", HF_HOME=str(tmp_path), HF_ENDPOINT="http://127.0.0.1:9")
    result = run(["deploy.py", "someone/space", "--model-repo", "someone/model", "--dry-run"], **env)
    assert result.returncode == 0, result.stderr
    model_part, space_part = result.stdout.split("to the Space someone/space:")
    assert model_part.startswith("to the model repository someone/model:")
    model = {f.as_posix(): (ROOT / f).stat().st_size for f in deploy.model_files()}
    assert {"checkpoints/bilstm-imdb/model.safetensors", "checkpoints/bilstm-imdb/config.json"} <= set(model)
    assert (
        all(f in model_part for f in model)
        and f"{sum(model.values()) / 1e6:9.2f} MB  in {len(model)} files" in model_part
    )
    assert not any(f in space_part for f in model)  # the Space loads the model from its repository
    assert "dry run: nothing uploaded to someone/space or someone/model" in space_part


@pytest.mark.parametrize(
    "args, env, code, message",
    [
        (["not a space id!"], {}, 2, "is not a valid Space id"),
        (["just-a-name"], {}, 2, "give it as USER/NAME"),
        (["someone/space", "--model-repo", "bad//repo"], {}, 2, "is not a valid model repository id"),
        (["someone/space"], {"HF_TOKEN": ""}, 2, "Not logged in to the Hugging Face Hub: run `hf auth login`"),
        (
            ["someone/space"],
            {"HF_TOKEN": "hf_not_a_real_token"},
            1,
            "Deploy failed uploading the Space someone/space; nothing changed on the Hub",
        ),
        (
            ["someone/space", "--model-repo", "someone/model"],
            {"HF_TOKEN": "hf_not_a_real_token"},
            1,
            "Deploy failed uploading the model to someone/model, nothing changed",
        ),
    ],
)
def test_bad_input_stops_with_one_clear_line(tmp_path, args, env, code, message):
    result = run(["deploy.py", *args], HF_HOME=str(tmp_path), HF_ENDPOINT="http://127.0.0.1:9", **env)
    assert result.returncode == code and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_model_repo_that_cannot_be_reached_stops_start_up_naming_it(tmp_path):
    start = time.perf_counter()
    result = run(
        ["app.py"], MODEL_PATH="someone/no-such-model", HF_HOME=str(tmp_path), HF_ENDPOINT="http://127.0.0.1:9"
    )
    assert result.returncode == 1 and "Cannot start: someone/no-such-model" in result.stderr
    assert time.perf_counter() - start < 60


class HubDroppingUploads:
    """Stands in for HfApi where the Hub cannot be reached from here: repos can be made, uploads break mid-way."""

    def __init__(self, exists: bool):
        self.exists, self.calls = exists, []

    def repo_exists(self, repo_id, repo_type):
        return self.exists

    def create_repo(self, repo_id, repo_type, **kw):
        self.calls.append(("create", repo_id))

    def upload_folder(self, **kw):
        raise ConnectionError("connection reset half-way")

    def delete_repo(self, repo_id, repo_type, missing_ok):
        self.calls.append(("delete", repo_id))


@pytest.mark.parametrize("exists", [False, True])
def test_a_failed_upload_leaves_nothing_it_created(exists):
    hub = HubDroppingUploads(exists)
    with pytest.raises(ConnectionError):
        deploy._upload(hub, "someone/space", "space", ROOT, ["app.py"], "deploy", space_sdk="gradio")
    assert hub.calls == ([] if exists else [("create", "someone/space"), ("delete", "someone/space")])


class HubTakingModelsOnly(HubDroppingUploads):
    def __init__(self):
        super().__init__(exists=False)

    def upload_folder(self, repo_type, **kw):
        if repo_type != "model":
            raise ConnectionError("connection reset half-way")
        self.calls.append(("upload", kw["repo_id"]))


def test_a_space_upload_failing_after_the_model_says_what_was_uploaded(monkeypatch):
    import huggingface_hub

    hub = HubTakingModelsOnly()
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda: hub)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_token")
    with pytest.raises(deploy.DeployFailed, match="the model uploaded to someone/model stays"):
        deploy.deploy("someone/space", "someone/model", private=False)
    assert hub.calls == [
        ("create", "someone/model"),
        ("upload", "someone/model"),
        ("create", "someone/space"),
        ("delete", "someone/space"),
    ]
