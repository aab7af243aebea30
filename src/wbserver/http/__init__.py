"""The request plumbing both HTTP adapters use: `api/` (the wandb client's GraphQL and REST)
and `web/` (pages and the JSON they fetch). The wired services and a request's context
(`context`), where the store work of a request runs (`store_threads`), the external base URL
and the API-key auth of a request (`auth`), and the one mapping from domain errors to HTTP
statuses and bodies (`errors`). Neither adapter imports the other: only `api/routes.py`, the
route table, names the handlers of both."""
