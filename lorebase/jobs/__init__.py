"""Durable background jobs: the queue (`queue`) and the workers that run them (`worker`)."""
