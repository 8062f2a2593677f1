"""Lorebase's PDF export: one PDF per workspace and language, rendered by WeasyPrint."""
