"""The plain JSON route for scripts: ``POST /api/v1/predict`` with ``{"texts": [...], "explain": false}``.

Served by the same process as the Gradio app (``serving.create_app`` mounts both on one FastAPI app).
One request scores up to ``JSON_BATCH`` texts (``JSON_EXPLAIN_BATCH`` with explain) in one batch;
bad input gets a 4xx whose JSON says what is wrong and, for one text, its index.
"""

from __future__ import annotations

import json

import torch
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool

from sentiment import tokenize

from . import models, settings
from .memory import release_memory
from .settings import JSON_BATCH, JSON_EXPLAIN_BATCH, MAX_REVIEW_CHARS, TRIM_EVERY_S


class PredictRequest(BaseModel):
    texts: list[str] = Field(
        description=f"reviews to score: 1 to {JSON_BATCH}, or 1 to {JSON_EXPLAIN_BATCH} with explain"
    )
    explain: StrictBool = Field(
        False, description="also return tokens, ids, occlusion, attributions, trajectory and baseline"
    )


class Label(BaseModel):
    label: str = Field(description='"positive" or "negative"')
    probability: float = Field(description="probability that the review is positive")


class Explained(Label):
    tokens: list[str]
    ids: list[int]
    truncated: bool
    occlusion: list[float] = Field(
        description="per token: score fall when it is read as unknown (+: pushed toward positive)"
    )
    attributions: list[float] = Field(
        description="per token: integrated gradients over the embeddings, signed the same way"
    )
    trajectory: list[float | None]
    baseline: dict | None
    unknown: int


class PredictResponse(BaseModel):
    predictions: list[Explained | Label]


class Problem(BaseModel):
    error: str = Field(description="what is wrong with the request")
    index: int | None = Field(None, description="the position of the text at fault, when one is")


class BadRequest(Exception):
    def __init__(self, status: int, error: str, index: int | None = None):
        super().__init__(error)
        self.status, self.error, self.index = status, error, index


def _problem(status: int, error: str, index: int | None = None) -> JSONResponse:
    return JSONResponse({"error": error} | ({"index": index} if index is not None else {}), status_code=status)


router = APIRouter()


@router.post(
    "/api/v1/predict",
    response_model=PredictResponse,
    response_model_exclude_none=False,
    responses={400: {"model": Problem}, 413: {"model": Problem}, 422: {"model": Problem}},
    summary="Score reviews with the shipped model",
)
def predict(body: PredictRequest) -> dict:
    """Scores a batch of reviews: label and probability of each, in the order given; with explain, also what
    the Gradio API's /predict returns for one review (tokens, ids, occlusion, attributions, trajectory, baseline)."""
    limit = JSON_EXPLAIN_BATCH if body.explain else JSON_BATCH
    if not body.texts:
        raise BadRequest(422, "texts is empty: give at least one review")
    if len(body.texts) > limit:
        raise BadRequest(
            413, f"{len(body.texts)} texts in one request; at most {limit}" + (" with explain" if body.explain else "")
        )
    for i, text in enumerate(body.texts):
        if not text.strip():
            raise BadRequest(422, f"text {i} is empty", i)
        if len(text) > MAX_REVIEW_CHARS:
            raise BadRequest(422, f"text {i} is {len(text):,} characters long; at most {MAX_REVIEW_CHARS:,}", i)
        if not tokenize(text, limit=1):
            raise BadRequest(422, f"text {i} has no words to read", i)
    torch.set_num_threads(settings.SETTINGS.predict_threads)  # the app's CPU-thread rule: a Train run keeps its cores
    predictor = models.shipped_predictor()
    results = predictor.predict_batch(body.texts, explain=body.explain)
    if body.explain:
        release_memory(at_most_every_s=TRIM_EVERY_S)
        return {"predictions": [r.to_dict() for r in results]}
    return {"predictions": [{"label": r.label, "probability": r.probability} for r in results]}


def _validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Pydantic's error, said in one line: malformed JSON (400), a missing or mistyped field, a non-text (422)."""
    first = exc.errors()[0]
    loc = [str(part) for part in first.get("loc", ()) if part != "body"]
    if first.get("type") == "json_invalid":
        return _problem(400, f"malformed JSON: {first.get('msg', '')}".strip())
    if first.get("type") == "missing":
        return _problem(422, f'{".".join(loc) or "the body"} is required: send {{"texts": ["a review", ...]}}')
    if len(loc) >= 2 and loc[0] == "texts" and loc[1].isdigit():
        return _problem(422, f"text {loc[1]} is not a string ({first.get('msg', '')})", int(loc[1]))
    where = ".".join(loc) or "the body"
    return _problem(422, f"{where}: {first.get('msg', 'invalid')}")


def _bad_request(request: Request, exc: BadRequest) -> JSONResponse:
    return _problem(exc.status, exc.error, exc.index)


def install(app: FastAPI) -> None:
    """Add the route and its error answers to ``app``."""
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(BadRequest, _bad_request)
    app.add_exception_handler(json.JSONDecodeError, lambda request, exc: _problem(400, f"malformed JSON: {exc}"))
