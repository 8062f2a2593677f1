"""API tokens: issued once, stored as hashes, scoped to one project and a set of methods."""
