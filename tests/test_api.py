"""The app's HTTP APIs on the shared server: the JSON route ``POST /api/v1/predict`` and the Gradio API's /predict."""

import httpx
import pytest
from gradio_client import Client

from webapp import models
from webapp.settings import JSON_BATCH, JSON_EXPLAIN_BATCH, MAX_REVIEW_CHARS

POSITIVE = "A wonderful, moving film with brilliant acting. I loved every minute and will watch it again."
NEGATIVE = "Dull, predictable and far too long. I hated it."


@pytest.fixture(scope="module")
def http(app_server):
    with httpx.Client(base_url=app_server, timeout=120) as client:
        yield client


def test_json_route_scores_a_batch_in_order_as_the_predictor_does(http):
    texts = [POSITIVE, NEGATIVE] * (JSON_BATCH // 2)
    response = http.post("api/v1/predict", json={"texts": texts})
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    expected = models.shipped_predictor().predict_batch(texts)
    assert [set(p) for p in predictions] == [{"label", "probability"}] * len(texts)
    assert [p["label"] for p in predictions] == [e.label for e in expected]
    assert [p["probability"] for p in predictions] == pytest.approx([e.probability for e in expected], abs=1e-5)


def test_json_route_explains_as_the_gradio_api_does(http, app_server):
    response = http.post("api/v1/predict", json={"texts": [POSITIVE, NEGATIVE], "explain": True})
    assert response.status_code == 200, response.text
    first = response.json()["predictions"][0]
    gradio = Client(app_server, verbose=False).predict(POSITIVE, True, api_name="/predict")
    assert first.keys() == gradio.keys() >= {"tokens", "ids", "occlusion", "attributions", "trajectory", "baseline"}
    assert first["tokens"] == gradio["tokens"] and first["probability"] == pytest.approx(
        gradio["probability"], abs=1e-5
    )
    assert first["attributions"] == pytest.approx(gradio["attributions"], abs=1e-4)
    assert first["occlusion"] == pytest.approx(gradio["occlusion"], abs=1e-4)


@pytest.mark.parametrize(
    "body, status, error, index",
    [
        ({}, 422, "texts is required", None),
        ({"texts": "one review"}, 422, "texts: Input should be a valid list", None),
        ({"texts": []}, 422, "texts is empty", None),
        ({"texts": [POSITIVE, "  "]}, 422, "text 1 is empty", 1),
        ({"texts": [POSITIVE, POSITIVE, 3]}, 422, "text 2 is not a string", 2),
        ({"texts": ["x" * (MAX_REVIEW_CHARS + 1)]}, 422, f"text 0 is {MAX_REVIEW_CHARS + 1:,} characters long", 0),
        ({"texts": [POSITIVE, "?!"]}, 422, "text 1 has no words to read", 1),
        (
            {"texts": [POSITIVE] * (JSON_BATCH + 1)},
            413,
            f"{JSON_BATCH + 1} texts in one request; at most {JSON_BATCH}",
            None,
        ),
        (
            {"texts": [POSITIVE] * (JSON_EXPLAIN_BATCH + 1), "explain": True},
            413,
            f"at most {JSON_EXPLAIN_BATCH} with explain",
            None,
        ),
        ({"texts": [POSITIVE], "explain": "yes"}, 422, "explain: Input should be a valid boolean", None),
    ],
)
def test_bad_input_gets_a_4xx_naming_the_problem_and_the_server_keeps_answering(http, body, status, error, index):
    response = http.post("api/v1/predict", json=body)
    assert response.status_code == status, response.text
    assert error in response.json()["error"] and response.json().get("index") == index
    assert http.post("api/v1/predict", json={"texts": [POSITIVE]}).json()["predictions"][0]["label"] == "positive"


def test_malformed_json_is_a_400_and_the_openapi_page_is_served(http):
    response = http.post("api/v1/predict", content=b'{"texts": [', headers={"content-type": "application/json"})
    assert response.status_code == 400 and "malformed JSON" in response.json()["error"]
    schema = http.get("openapi.json").json()
    assert "/api/v1/predict" in schema["paths"] and "PredictRequest" in schema["components"]["schemas"]
    assert http.get("docs").status_code == 200


def test_predict_endpoint_through_gradio_client(app_server):
    client = Client(app_server, verbose=False)
    result = client.predict(POSITIVE, api_name="/predict")
    assert result["label"] == "positive" and 0.5 < result["probability"] <= 1
    assert len(result["tokens"]) == len(result["ids"]) == len(result["occlusion"]) == len(result["attributions"]) > 10
    assert len(result["trajectory"]) == len(result["tokens"])
    assert result["tokens"][:3] == ["a", "wonderful", "moving"]
    assert result["trajectory"][-1] == pytest.approx(result["probability"], abs=1e-4)
    ngram = models.baseline_predictor().predict(POSITIVE)
    assert result["baseline"] == {"label": ngram.label, "probability": pytest.approx(ngram.probability)}
    # label and probability only, for callers who need speed
    quick = client.predict(POSITIVE, False, api_name="/predict")
    assert quick == {"label": result["label"], "probability": pytest.approx(result["probability"], abs=1e-6)}
    with pytest.raises(Exception, match="explain must be true or false"):
        client.predict(POSITIVE, "no", api_name="/predict")
