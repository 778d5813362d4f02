"""pgha.proxy package."""
