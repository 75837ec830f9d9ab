"""The Gradio web app around the ``sentiment`` package: one module per tab, the run store, the process-wide
caches, the settings read from the environment, the JSON route and the serving (``app.py`` wires them)."""
