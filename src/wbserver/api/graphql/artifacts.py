"""Artifact mutations: create, manifest, files, commit, use, delete."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql.artifact_files import manifest_node, upload_url
from wbserver.api.graphql.ids import decode_id, encode_id
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain import artifacts as domain
from wbserver.domain.artifact_content import upload_key
from wbserver.domain.artifact_models import FULL, FileSpec
from wbserver.domain.models import RunKey
from wbserver.errors import InvalidInput


def _artifact_id(value: str) -> int:
    return decode_id("Artifact", value)


def create_artifact(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    collection = input.get("artifactCollectionName") or next(
        iter(input.get("artifactCollectionNames") or []), "")
    aliases = [a["alias"] for a in input.get("aliases") or []
               if a.get("artifactCollectionName") in (None, collection)]
    request = domain.CreateRequest(
        entity=input["entityName"], project=input["projectName"],
        type_name=input["artifactTypeName"], sequence_name=collection, digest=input["digest"],
        digest_algorithm=input.get("digestAlgorithm"), description=input.get("description"),
        metadata=input.get("metadata"), aliases=tuple(aliases), client_id=input.get("clientID"),
        sequence_client_id=input.get("sequenceClientID"), run_name=input.get("runName"),
        history_step=input.get("historyStep"),
        dedupe=input.get("enableDigestDeduplication") is not False,
        storage_region=input.get("storageRegion"),
        storage_regions=ctx.services.settings.storage_region_names,
        tags=tuple(tag["tagName"] for tag in input.get("tags") or []),
        distributed_id=input.get("distributedID"),
        ttl_duration_seconds=input.get("ttlDurationSeconds"))
    artifact, _latest = domain.create_artifact(ctx.store, viewer=ctx.viewer, request=request)
    return {"artifact": artifact}


def _manifest(info: GraphQLResolveInfo, artifact_id: int, digest: str | None,
              manifest_type: str | None = None, base_id: int | None = None) -> dict[str, Any]:
    ctx = info.context
    artifact, url, headers = domain.manifest_upload(
        ctx.store, ctx.services.blobs, viewer=ctx.viewer, artifact_id=artifact_id,
        digest=digest, base_url=ctx.base_url, expires_in=ctx.services.settings.upload_url_ttl,
        manifest_type=manifest_type, base_id=base_id)
    return {"artifactManifest": manifest_node(info, artifact, (url, headers))}


def create_manifest(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    base = input.get("baseArtifactID")
    return _manifest(info, _artifact_id(input["artifactID"]), input.get("digest"),
                     manifest_type=input.get("type") or FULL,
                     base_id=_artifact_id(base) if base else None)


def update_manifest(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    return _manifest(info, decode_id("ArtifactManifest", input["artifactManifestID"]),
                     input.get("digest"))


def create_files(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    """Edges in input order; uploadUrl null where the content is stored and the caller may
    read it already. Multipart URLs (asked for with uploadPartsInput) come from stores that
    take parts (S3, Azure); others answer null and take any size in one PUT. Content stored
    but not readable by the caller goes to a staging key (domain/artifact_content.py)."""
    ctx = info.context
    files = [(_artifact_id(f["artifactID"]),
              FileSpec(name=f["name"], md5=f["md5"], mimetype=f.get("mimetype")))
             for f in input["artifactFiles"]]
    plans = domain.plan_files(ctx.store, viewer=ctx.viewer, files=files)
    # once per artifact, not per file (a batch of the client's holds up to a few hundred)
    births = {aid: ctx.store.get_artifact(aid)
              for aid in dict.fromkeys(p.birth_artifact_id for p in plans)}
    layout = ctx.store.artifact_layout()
    edges = []
    for index, plan in enumerate(plans):
        key = upload_key(files[index][0], plan, layout)
        url, headers = upload_url(info, key, plan.md5) if plan.needs_upload else (None, [])
        parts = input["artifactFiles"][index].get("uploadPartsInput")
        multipart = _multipart(info, key, parts) if plan.needs_upload and parts else None
        node = {"id": encode_id("ArtifactFile", index), "name": plan.name,
                "displayName": plan.name, "storagePath": key, "uploadUrl": url,
                "uploadHeaders": headers, "uploadMultipartUrls": multipart,
                "artifact": births[plan.birth_artifact_id]}
        edges.append({"node": node, "cursor": str(index)})
    return {"files": {"edges": edges, "totalCount": len(edges),
                      "pageInfo": {"hasNextPage": False, "hasPreviousPage": False,
                                   "endCursor": edges[-1]["cursor"] if edges else None}}}


def _part_numbers(parts: list[dict[str, Any]]) -> list[int]:
    try:
        return [int(p["partNumber"]) for p in parts]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("every part has an integer partNumber") from None


def _multipart(info: GraphQLResolveInfo, key: str,
               parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    ctx = info.context
    upload = domain.start_multipart(ctx.services.blobs, key=key, parts=_part_numbers(parts),
                                    expires_in=ctx.services.settings.upload_url_ttl)
    if upload is None:
        return None
    return {"uploadID": upload.upload_id,
            "uploadUrlParts": [{"partNumber": number, "uploadUrl": url}
                               for number, url in upload.part_urls]}


def complete_multipart(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    if input["completeMultipartAction"] != "Complete":
        raise InvalidInput("the only multipart action is Complete")
    digest = domain.complete_multipart(
        ctx.store, ctx.services.blobs, viewer=ctx.viewer,
        artifact_id=_artifact_id(input["artifactID"]), key=input["storagePath"],
        upload_id=input["uploadID"], parts=_part_numbers(input["completedParts"]))
    return {"digest": digest}


def commit_artifact(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    artifact = domain.commit_artifact(ctx.store, ctx.services.blobs, viewer=ctx.viewer,
                                      artifact_id=_artifact_id(input["artifactID"]))
    return {"artifact": artifact}


def use_artifact(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    run = RunKey(input["entityName"], input["projectName"], input["runName"])
    artifact = domain.use_artifact(ctx.store, viewer=ctx.viewer,
                                   artifact_id=_artifact_id(input["artifactID"]), run=run,
                                   used_as=input.get("usedAs"))
    return {"artifact": artifact}


def delete_artifact(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    artifact = domain.delete_artifact(ctx.store, viewer=ctx.viewer,
                                      artifact_id=_artifact_id(input["artifactID"]),
                                      delete_aliases=bool(input.get("deleteAliases")))
    return {"artifact": artifact}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Mutation": {
        "createArtifact": create_artifact,
        "createArtifactManifest": create_manifest,
        "updateArtifactManifest": update_manifest,
        "createArtifactFiles": create_files,
        "commitArtifact": commit_artifact,
        "useArtifact": use_artifact,
        "deleteArtifact": delete_artifact,
        "completeMultipartUploadArtifact": complete_multipart,
    },
}
