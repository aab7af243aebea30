"""Run files: CreateRunFiles upload URLs, listing, and the File type."""

from __future__ import annotations

import base64
import mimetypes
from typing import Any
from urllib.parse import quote

from wbserver.api.graphql.ids import cursor, encode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.runs import find_run
from wbserver.api.graphql.schema import Resolver
from wbserver.domain.files import create_run_files, mark_run_files_uploaded, run_file_key
from wbserver.domain.models import Run, RunFile

MAX_PAGE = 10000


def create_files(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    run = find_run(info, input["entityName"], input["projectName"], input["runName"])
    targets, headers = create_run_files(
        ctx.store, ctx.services.blobs, run=run, names=input["files"], base_url=ctx.base_url,
        expires_in=ctx.services.settings.upload_url_ttl)
    return {"runID": encode_id("Run", run.id), "uploadHeaders": headers,
            "files": [{"name": t.name, "uploadUrl": t.url} for t in targets]}


def mark_uploaded(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    run = find_run(info, input["entityName"], input["projectName"], input["runName"])
    mark_run_files_uploaded(ctx.store, ctx.services.blobs, run=run, names=input["files"])
    return {"success": True}


class FileView:
    """A run file plus the run it belongs to, so URLs can be built."""

    def __init__(self, file: RunFile, run: Run) -> None:
        self.file = file
        self.run = run


def files(run: Run, info: GraphQLResolveInfo, names: list[str] | None = None,
          after: str | None = None, first: int | None = None, pattern: str | None = None,
          **_kw: Any) -> dict[str, Any]:
    page = info.context.store.list_run_files(
        run.id, names=[n for n in names or [] if n], pattern=pattern,
        after=cursor(after),
        first=max(1, min(first or 50, MAX_PAGE)))
    edges = [{"node": FileView(f, run), "cursor": str(f.id)} for f in page.files]
    return {"edges": edges, "totalCount": page.total,
            "pageInfo": {"endCursor": edges[-1]["cursor"] if edges else None,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "hasNextPage": page.has_next_page, "hasPreviousPage": False}}


def file_count(run: Run, info: GraphQLResolveInfo) -> int:
    return info.context.store.list_run_files(run.id, names=None, pattern=None, after=None,
                                             first=1).total


def _url(view: FileView, info: GraphQLResolveInfo, **_kw: Any) -> str:
    run = view.run
    path = "/".join(quote(p, safe="") for p in (run.entity_name, run.project_name, run.name))
    return f"{info.context.base_url}/files/{path}/{quote(view.file.name, safe='/')}"


def _direct_url(view: FileView, info: GraphQLResolveInfo) -> str:
    ctx = info.context
    return ctx.services.blobs.download_url(run_file_key(view.run.id, view.file.name),
                                           base_url=ctx.base_url,
                                           expires_in=ctx.services.settings.download_url_ttl)


def _md5(view: FileView, _info: GraphQLResolveInfo) -> str | None:
    if not view.file.md5:
        return None
    return base64.b64encode(bytes.fromhex(view.file.md5)).decode()


def _shaped_or(resolver: Resolver) -> Resolver:
    """File nodes are run files (FileView) or, for artifacts, dicts already shaped by field
    name (api/graphql/artifact_files.py)."""
    def resolve(node: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        if isinstance(node, dict):
            return node.get(info.field_name)
        return resolver(node, info, **kwargs)
    return resolve


def _shaped_fields(fields: dict[str, Resolver]) -> dict[str, Resolver]:
    return {field: _shaped_or(resolver) for field, resolver in fields.items()}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Mutation": {"createRunFiles": create_files, "markRunFilesUploaded": mark_uploaded},
    "Run": {"files": files, "fileCount": file_count},
    "File": _shaped_fields({
        "id": lambda v, _i: encode_id("File", v.file.id),
        "name": lambda v, _i: v.file.name,
        "displayName": lambda v, _i: v.file.name,
        "url": _url,
        "directUrl": _direct_url,
        "sizeBytes": lambda v, _i: v.file.size_bytes,
        "mimetype": lambda v, _i: mimetypes.guess_type(v.file.name)[0] or "application/octet-stream",
        "updatedAt": lambda v, _i: v.file.updated_at,
        "md5": _md5,
        "digest": _md5,
        "storagePath": lambda v, _i: run_file_key(v.run.id, v.file.name),
    }),
}
