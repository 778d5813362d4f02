"""pgha.wire package."""
