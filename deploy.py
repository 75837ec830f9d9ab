"""Deploy the demo to a Hugging Face Space: the files the app needs, uploaded in one commit.

    hf auth login                                     # once, with a token that can write
    python deploy.py USER/SPACE --dry-run             # what would be uploaded: each file, its size, LFS or not
    python deploy.py USER/SPACE                       # create the Space (Gradio, free CPU) if needed, then upload
    python deploy.py USER/SPACE --model-repo USER/bilstm-imdb   # the model in its own model repo instead

The upload set is the app, the ``sentiment`` and ``webapp`` packages, the trainers, requirements.txt, the README
(whose front matter configures the Space), docs/ and checkpoints/; never tests, benchmarks,
training runs or caches. Files over 10 MB go through Git LFS, as the Hub requires; the upload
does that by itself. With ``--model-repo`` the shipped model goes to that model repository
and the Space gets the variable ``MODEL_PATH`` pointing to it.

Nothing is half done: each repository receives one commit or none, a repository this command
created is deleted again if its upload fails, and a failure says what, if anything, was uploaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
UPLOAD = [
    "README.md",
    "app.py",
    "train.py",
    "pretrain.py",
    "requirements.txt",
    "sentiment/*.py",
    "webapp/*.py",
    "webapp/*.json",
    "docs/*.md",
    "docs/screenshots/*.png",
    "checkpoints/*/*",
]
MODEL = "checkpoints/bilstm-imdb"
LFS_BYTES = 10 * 1024 * 1024  # the Hub refuses larger files outside Git LFS


class DeployError(RuntimeError):
    """Stops the deploy with one line for the user (bad input: exit code 2)."""


class DeployFailed(DeployError):
    """The Hub refused or could not be reached (exit code 1); the message says what, if anything, was uploaded."""


def upload_set(without_model: bool = False) -> list[Path]:
    """The files the Space needs, relative to the project root, sorted."""
    files = {p.relative_to(ROOT) for pattern in UPLOAD for p in ROOT.glob(pattern) if p.is_file()}
    if without_model:
        files = {f for f in files if not f.is_relative_to(MODEL)}
    return sorted(files)


def model_files() -> list[Path]:
    """What --model-repo uploads: every file of the shipped model's folder, relative to the project root."""
    return sorted(p.relative_to(ROOT) for p in (ROOT / MODEL).iterdir() if p.is_file())


def describe(files: list[Path]) -> str:
    lines, total = [], 0
    for f in files:
        size = (ROOT / f).stat().st_size
        total += size
        lines.append(f"{size / 1e6:9.2f} MB  {f}" + ("   (Git LFS)" if size > LFS_BYTES else ""))
    lines.append(f"{total / 1e6:9.2f} MB  in {len(files)} files")
    return "\n".join(lines)


def check_repo_id(repo_id: str, kind: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise DeployError(f"{repo_id!r} is not a valid {kind} id (expected USER/NAME): {e}") from None
    if "/" not in repo_id:
        raise DeployError(f"{repo_id!r} is not a valid {kind} id: give it as USER/NAME")


def _upload(api, repo_id: str, repo_type: str, folder: Path, allow: list[str], message: str, **create) -> None:
    """Create the repo if needed, then upload ``allow`` from ``folder`` in one commit; undo the creation if that fails."""
    existed = api.repo_exists(repo_id, repo_type=repo_type)
    if not existed:
        api.create_repo(repo_id, repo_type=repo_type, **create)
    try:
        api.upload_folder(
            repo_id=repo_id, repo_type=repo_type, folder_path=str(folder), allow_patterns=allow, commit_message=message
        )
    except Exception:
        if not existed:
            api.delete_repo(repo_id, repo_type=repo_type, missing_ok=True)
        raise


def _short(e: Exception) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def deploy(space: str, model_repo: str | None, private: bool) -> str:
    from huggingface_hub import HfApi, get_token

    if not get_token():
        raise DeployError(
            "Not logged in to the Hugging Face Hub: run `hf auth login` with a token that can write, or set HF_TOKEN."
        )
    api = HfApi()
    if model_repo:
        try:
            _upload(api, model_repo, "model", ROOT / MODEL, ["*"], "Upload the BiLSTM sentiment model", private=private)
        except Exception as e:  # network, authorisation, quota
            raise DeployFailed(
                f"Deploy failed uploading the model to {model_repo}, nothing changed on the Hub ({_short(e)})"
            ) from e
        print(f"model: https://huggingface.co/{model_repo}")
    files = [f.as_posix() for f in upload_set(without_model=bool(model_repo))]
    create = {"space_sdk": "gradio", "private": private}
    try:
        if model_repo:  # set before the upload, so the Space's first build already loads the model from there
            create["space_variables"] = [{"key": "MODEL_PATH", "value": model_repo}]
            if api.repo_exists(space, repo_type="space"):
                api.add_space_variable(space, "MODEL_PATH", model_repo)
        _upload(api, space, "space", ROOT, files, "Deploy the IMDb sentiment demo", **create)
    except Exception as e:
        kept = f"the model uploaded to {model_repo} stays" if model_repo else "nothing changed on the Hub"
        raise DeployFailed(f"Deploy failed uploading the Space {space}; {kept} ({_short(e)})") from e
    return f"https://huggingface.co/spaces/{space}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("space", metavar="USER/SPACE", help="the Space to create or update")
    ap.add_argument(
        "--model-repo",
        metavar="USER/NAME",
        help="also push the shipped model to this model repository and load it from there",
    )
    ap.add_argument("--private", action="store_true", help="create the repositories private")
    ap.add_argument("--dry-run", action="store_true", help="list what would be uploaded and stop")
    args = ap.parse_args(argv)
    try:
        check_repo_id(args.space, "Space")
        if args.model_repo:
            check_repo_id(args.model_repo, "model repository")
        if args.model_repo:
            print(f"to the model repository {args.model_repo}:")
            print(describe(model_files()))
            print(f"to the Space {args.space}:")
        print(describe(upload_set(without_model=bool(args.model_repo))))
        if args.dry_run:
            print(f"dry run: nothing uploaded to {args.space}" + (f" or {args.model_repo}" if args.model_repo else ""))
            return 0
        print(f"deployed: {deploy(args.space, args.model_repo, args.private)}")
        return 0
    except DeployError as e:
        print(e, file=sys.stderr)
        return 1 if isinstance(e, DeployFailed) else 2


if __name__ == "__main__":
    sys.exit(main())
