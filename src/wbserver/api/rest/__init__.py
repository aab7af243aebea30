"""REST endpoints: GraphQL transport, file_stream, storage, downloads, health."""
