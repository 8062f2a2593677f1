"""Lorebase's Markdown export (a ZIP of `.md` files with front matter) and its reader."""
