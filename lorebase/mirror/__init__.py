"""`lorebase mirror`: copy a live Document360-compatible project into Lorebase through the v2
API, keeping its ids, inside its rate limit, resumable and incremental.

- `client`: the HTTP client, paced by the source's budget (`X-RateLimit-Remaining`, 429 and
  `Retry-After`), retrying network faults, turning a refused token, a dead URL or a foreign
  server into a `SourceError` with a plain message.
- `source`: the answers of the v2 routes as plain data, checked for shape.
- `state`: what was copied, per item language, with the source fingerprint it had
  (`MirrorItem`), and the source's watermark (`MirrorSource`).
- `writer`: per-item upserts into the knowledge base, keeping the source's ids (why not the
  JSON-ZIP importer's write side: see its docstring).
- `run`: the plan (trees, team, Drive: a fixed number of requests) and the copy, one item
  language per transaction, with the report.

Resuming and catching up are one mechanism: an item language is fetched when the target holds
no record of it or its record's fingerprint (source modified_at and revision numbers, as the
tree shows them) differs from the tree's. A record is written in the transaction that writes the
item, so after Ctrl-C, kill -9 or a lost connection a rerun fetches exactly what is missing or
changed. The watermark (the latest source modified_at of the last finished run) is reported;
`--since` forces a re-read of what changed at or after a date even when the records match.
"""
