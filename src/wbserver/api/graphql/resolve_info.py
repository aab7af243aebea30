"""The resolve info every resolver gets: graphql-core's `GraphQLResolveInfo` (generic in its
context since graphql-core 3.3) with the context typed as our `RequestContext`.

Resolvers import `GraphQLResolveInfo` from here, not from `graphql`, so that the type checker
sees what `info.context` holds. The alias is a real subscripted type at runtime too.
"""

from __future__ import annotations

from graphql import GraphQLResolveInfo as _GraphQLResolveInfo

from wbserver.http.context import RequestContext

GraphQLResolveInfo = _GraphQLResolveInfo[RequestContext]
