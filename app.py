"""IMDb sentiment demo: a bidirectional LSTM you can query, look inside and retrain in the browser.

    python app.py            # serves http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)
    MODEL_PATH=org/repo python app.py

The model lives in the ``sentiment`` package, the web app in ``webapp`` (a module per tab, the run store,
the settings, the JSON route and the serving); this file wires them. Importing it builds the page
(``demo``) and loads no model: ``main()`` loads the shipped model first, so a broken checkpoint stops
start-up with a clear message, then serves the page, the Gradio API and ``POST /api/v1/predict``.
"""

from __future__ import annotations

import sys

from sentiment import CheckpointError
from webapp import models, serving, ui

app_ui = ui.build()
demo = app_ui.demo


def main() -> int:
    try:
        predictor = models.shipped_predictor()
    except CheckpointError as e:
        print(f"Cannot start: {e}", file=sys.stderr)
        return 1
    print(f"Loaded {predictor.path} on {predictor.device}", flush=True)
    serving.serve(demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
