"""The GraphQL API the wandb client speaks, schema-first (schema.graphql)."""
