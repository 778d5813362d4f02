"""pgha.server package."""
