"""The browser side of Lorebase: pages rendered with Jinja2, people signed in by session."""
