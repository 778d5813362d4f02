"""pgha.routing package."""
