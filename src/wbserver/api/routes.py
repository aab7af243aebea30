"""THE route table."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wbserver.api import metrics
from wbserver.api.rest import artifact_download, handlers, uploads
from wbserver.web import (
    assets,
    pages_admin,
    pages_auth,
    pages_lang,
    pages_notify,
    pages_runs,
    pages_sso,
    pages_sweeps,
    pages_user,
    run_edit_api,
    ui_api,
    workspace_api,
)

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
GET, POST, FORM = ["GET"], ["POST"], ["GET", "POST"]

ROUTES = [
    Route("/graphql", handlers.graphql, methods=["POST"]),
    Route("/files/{entity}/{project}/{run}/file_stream", handlers.file_stream, methods=["POST"]),
    Route("/files/{entity}/{project}/{run}/{name:path}", handlers.run_file_download,
          methods=["GET"]),
    Route("/storage/{key:path}", uploads.storage_put, methods=["PUT"]),
    Route("/storage/{key:path}", handlers.storage_get, methods=["GET", "HEAD"]),
    Route("/artifactsV2/{path:path}", artifact_download.artifact_file, methods=["GET"]),
    Route("/healthz", handlers.healthz, methods=["GET"]),
    Route("/readyz", handlers.readyz, methods=["GET"]),
    Route("/metrics", metrics.metrics_page, methods=["GET"]),
    # browser pages
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
    Route("/favicon.ico", lambda _r: RedirectResponse("/static/favicon.svg", 301), methods=GET),
    Route("/", pages_user.home, methods=GET),
    Route("/", pages_sso.root_callback, methods=POST),  # form_post to a HOST callback
    Route("/setup", pages_auth.setup, methods=FORM),
    Route("/login", pages_auth.login, methods=FORM),
    Route("/logout", pages_auth.logout, methods=FORM),
    Route("/invite/{token}", pages_auth.invite, methods=FORM),
    Route("/oidc/login", pages_sso.start, methods=GET),
    Route("/oidc/callback", pages_sso.finish, methods=FORM),
    Route("/slack/connect", pages_notify.connect, methods=GET),
    Route("/slack/callback", pages_notify.callback, methods=GET),
    Route("/slack/disconnect", pages_notify.disconnect, methods=POST),
    Route("/notifications", pages_notify.save_choices, methods=POST),
    Route("/teams/{name}", pages_notify.team, methods=GET),
    Route("/teams/{name}/members", pages_notify.set_member, methods=POST),
    Route("/reset/{token}", pages_auth.reset, methods=FORM),
    Route("/settings", pages_user.settings_page, methods=GET),
    Route("/lang", pages_lang.choose_language, methods=POST),
    Route("/settings/keys", pages_user.create_key, methods=POST),
    Route("/settings/keys/{key_id:int}/revoke", pages_user.revoke_key, methods=POST),
    Route("/settings/password", pages_user.change_password, methods=POST),
    Route("/system-admin", pages_admin.settings, methods=GET),
    # the W&B Local guide's address of the same page
    Route("/admin-settings", lambda _r: RedirectResponse("/system-admin", 301), methods=GET),
    Route("/system-admin/settings", pages_admin.save_settings, methods=POST),
    Route("/system-admin/users", pages_admin.users, methods=GET),
    Route("/system-admin/users", pages_admin.create_user, methods=POST),
    Route("/system-admin/invites", pages_admin.invite, methods=POST),
    Route("/system-admin/users/{username}/{action}", pages_admin.user_action, methods=POST),
    Route("/system-admin/audit", pages_admin.audit, methods=GET),
    # the run page's and the workspace's scripts and styles, joined (web/assets.py)
    Route("/_assets/{name}", assets.serve, methods=GET),
    # a user's file behind a signed view link (no entity starts with "_")
    Route("/_ui/_view/{key:path}", ui_api.view_file, methods=GET),
    # JSON the run, project and compare pages fetch (session cookie)
    Route("/_ui/{entity}/{project}/runs", ui_api.runs_table, methods=GET),
    Route("/_ui/{entity}/{project}/compare", ui_api.compare_series, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/series", ui_api.run_series, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/system", ui_api.system_series, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/status", ui_api.run_status, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/logs", ui_api.run_logs, methods=GET),
    Route("/_ui/{entity}/{project}/workspace", workspace_api.overview, methods=GET),
    Route("/_ui/{entity}/{project}/workspace/runs", workspace_api.runs, methods=GET),
    Route("/_ui/{entity}/{project}/workspace/layout", workspace_api.save_layout,
          methods=["PUT"]),
    Route("/_ui/{entity}/{project}/panels/{kind}", workspace_api.panel, methods=GET),
    Route("/_ui/{entity}/{project}/sweeps/{sweep}/analysis", pages_sweeps.sweep_analysis,
          methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/media", ui_api.run_media, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/media/values", ui_api.media_values, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/media/table", ui_api.media_table, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/media/table-file", ui_api.media_table_file,
          methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/media/table-links", ui_api.media_table_links,
          methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/file/{name:path}", ui_api.run_file, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/html/{name:path}", ui_api.run_html, methods=GET),
    Route("/_ui/{entity}/{project}/runs/{run}/lineage", ui_api.run_lineage, methods=GET),
    Route("/_ui/{entity}/{project}/artifacts/{type}/{name}/{version}/lineage",
          ui_api.version_lineage, methods=GET),
    # the run page's edits: rename, tags, notes, delete (project writers; CSRF header)
    Route("/_ui/{entity}/{project}/runs/{run}/edit", run_edit_api.edit, methods=POST),
    Route("/_ui/{entity}/{project}/runs/{run}/delete", run_edit_api.delete, methods=POST),
    # entity/project pages: after every fixed route above
    Route("/{entity}/{project}/runs/{run}", pages_runs.run, methods=GET),
    Route("/{entity}/{project}/compare", pages_runs.compare_runs, methods=GET),
    Route("/{entity}/{project}/table", pages_runs.runs_table, methods=GET),
    Route("/{entity}/{project}/artifacts", pages_runs.artifacts, methods=GET),
    Route("/{entity}/{project}/artifacts/{type}/{name}", pages_runs.artifact_collection,
          methods=GET),
    Route("/{entity}/{project}/artifacts/{type}/{name}/{version}", pages_runs.artifact_version,
          methods=GET),
    Route("/{entity}/{project}/artifacts/{type}/{name}/{version}/delete",
          pages_runs.delete_artifact_version, methods=POST),
    Route("/{entity}/{project}/sweeps", pages_sweeps.sweeps, methods=GET),
    Route("/{entity}/{project}/sweeps/{sweep}", pages_sweeps.sweep, methods=GET),
    Route("/{entity}/{project}/sweeps/{sweep}/state", pages_sweeps.sweep_state, methods=POST),
    Route("/{entity}/{project}", pages_runs.project, methods=GET),
]
