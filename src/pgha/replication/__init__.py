"""pgha.replication package."""
