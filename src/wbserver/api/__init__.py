"""HTTP adapters: GraphQL, file_stream, the storage route. Thin: parse, call, shape."""
