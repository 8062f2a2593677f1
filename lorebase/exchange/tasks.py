"""The export and import jobs: what a worker runs for `POST /v2/Project/Export|Import` and for
`lorebase export|import`."""

from __future__ import annotations
