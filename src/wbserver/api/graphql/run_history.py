"""The Run type's history fields: keys, sampled rows, scans, live data, system events."""

from __future__ import annotations

from typing import Any

from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.api.raw_json import RawJson
from wbserver.domain import history
from wbserver.domain.history_codec import parse_line
from wbserver.domain.models import Run

DEFAULT_SAMPLES = 500


def history_keys(run: Run, _info: GraphQLResolveInfo, **_kw: Any) -> dict[str, Any]:
    return history.history_keys(run)


def history_rows(run: Run, info: GraphQLResolveInfo, samples: int | None = None,
                 minStep: int | None = None, maxStep: int | None = None) -> list[str]:  # noqa: N803
    """history(samples, minStep, maxStep): whole rows as JSON strings. maxStep is exclusive."""
    return history.sampled_lines(
        info.context.store, run, samples=samples or DEFAULT_SAMPLES, min_step=minStep,
        max_step=maxStep - 1 if maxStep is not None else None)


def events(run: Run, info: GraphQLResolveInfo, samples: int | None = None) -> list[str]:
    return history.sampled_lines(info.context.store, run, samples=samples or DEFAULT_SAMPLES,
                                 stream="events")


def sampled_history(run: Run, info: GraphQLResolveInfo,
                    specs: list[str]) -> list[RawJson | list[Any]]:
    """One list of rows per spec; numeric keys' rows come JSON-encoded from the columns."""
    out: list[RawJson | list[Any]] = []
    store = info.context.store
    for spec in specs:
        parsed = parse_line(spec, where="sampledHistory spec")
        encoded = history.sampled_history_json(store, run, parsed)
        out.append(RawJson(encoded) if encoded is not None
                   else history.sampled_history(store, run, parsed))
    return out


def parquet_history(run: Run, info: GraphQLResolveInfo, liveKeys: list[str]) -> dict[str, Any]:  # noqa: N803
    return {"parquetUrls": [], "liveData": history.live_data(info.context.store, run, liveKeys)}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Run": {"historyKeys": history_keys, "history": history_rows, "events": events,
            "sampledHistory": sampled_history, "parquetHistory": parquet_history},
}
