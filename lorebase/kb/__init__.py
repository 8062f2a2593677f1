"""The knowledge-base domain: workspaces, languages, categories, articles, revisions, merge
codes and search. Every rule lives here; the HTTP layers only translate."""

# Imported for its session events: every write made through a Session, from any module, records
# what it changed in the category trees' change feed.
from lorebase.kb import changes as changes
