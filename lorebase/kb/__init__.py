"""The knowledge-base domain: workspaces, languages, categories, articles, revisions, merge
codes and search. Every rule lives here; the HTTP layers only translate."""
