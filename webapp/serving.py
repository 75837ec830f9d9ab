"""Serving: the queue, the FastAPI app (JSON route + the Gradio app mounted), SIGTERM and the uvicorn server."""

from __future__ import annotations

import os
import signal
import threading

import gradio as gr
import uvicorn
from fastapi import FastAPI

from . import api, models, settings
from .memory import limit_memory_arenas


def configure_queue(blocks: gr.Blocks) -> gr.Blocks:
    """Up to 4 events at once (training is limited to 1 on its own), at most 64 waiting."""
    return blocks.queue(default_concurrency_limit=4, max_size=64)


def create_app(demo: gr.Blocks) -> FastAPI:
    """One FastAPI app: ``POST /api/v1/predict`` (its OpenAPI page at /docs) and the Gradio app at /."""
    s = settings.SETTINGS
    app = FastAPI(title="IMDb sentiment · BiLSTM", docs_url="/docs", openapi_url="/openapi.json", redoc_url=None)
    api.install(app)
    configure_queue(demo)
    demo.state_session_capacity = s.session_capacity  # sessions whose state is kept (least recently used go first)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=s.server_name,
        server_port=s.server_port,
        allowed_paths=[str(s.runs_root)],
        show_error=True,
        ssr_mode=False,
    )


class Server:
    """uvicorn serving ``app`` on a thread of its own (so it installs no signal handlers: SIGTERM stays ours)."""

    def __init__(self, app: FastAPI, host: str, port: int):
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="uvicorn")
        self.url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"

    def start(self, timeout: float = 60) -> Server:
        self.thread.start()
        for _ in range(int(timeout / 0.05)):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError(f"the server did not start on {self.url}")
            threading.Event().wait(0.05)
        raise RuntimeError(f"the server did not start within {timeout:g} s on {self.url}")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def terminate(signum=None, frame=None) -> None:
    """SIGTERM (a platform stopping or restarting the app): delete this server's run files and exit at once.
    A training run still going ends with the process; it never writes the shipped checkpoint, so nothing
    on disk is left half done. (Closing the server gracefully instead took over 5 s with a run going.)"""
    models.run_store().remove_all()
    os._exit(0)


def serve(demo: gr.Blocks) -> None:
    """Serve until SIGTERM or Ctrl+C on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (127.0.0.1:7860 by default)."""
    s = settings.SETTINGS
    limit_memory_arenas()
    server = Server(create_app(demo), s.server_name, s.server_port).start()
    signal.signal(signal.SIGTERM, terminate)
    print(f"Serving on {server.url} (JSON route: {server.url}api/v1/predict, its page: {server.url}docs)", flush=True)
    try:
        while server.thread.is_alive():
            server.thread.join(timeout=0.5)
    except KeyboardInterrupt:
        server.stop()
    finally:
        models.run_store().remove_all()  # every run file this server wrote
