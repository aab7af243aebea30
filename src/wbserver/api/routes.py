"""THE route table."""

from __future__ import annotations

from starlette.routing import Route

from wbserver.api.rest import artifact_download, handlers

ROUTES = [
    Route("/graphql", handlers.graphql, methods=["POST"]),
    Route("/files/{entity}/{project}/{run}/file_stream", handlers.file_stream, methods=["POST"]),
    Route("/files/{entity}/{project}/{run}/{name:path}", handlers.run_file_download,
          methods=["GET"]),
    Route("/storage/{key:path}", handlers.storage_put, methods=["PUT"]),
    Route("/storage/{key:path}", handlers.storage_get, methods=["GET", "HEAD"]),
    Route("/artifactsV2/{path:path}", artifact_download.artifact_file, methods=["GET"]),
    Route("/healthz", handlers.healthz, methods=["GET"]),
]
