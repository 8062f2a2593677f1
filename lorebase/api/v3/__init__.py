"""The Document360 Customer API v3 routes Lorebase serves: projects, workspaces, exports and
imports (api-reference.md §2.5-2.6)."""
