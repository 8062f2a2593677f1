"""The Document360 JSON export ZIP (`export_type: 0`): writer (and reader)."""
