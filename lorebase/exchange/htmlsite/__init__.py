"""The offline HTML documentation site export."""
