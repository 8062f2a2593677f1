"""Database access: engine and session factory, models, migrations."""
