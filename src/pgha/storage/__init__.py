"""pgha.storage package."""
