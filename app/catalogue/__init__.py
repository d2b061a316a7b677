"""The exercise catalogue: a versioned data file, validated and indexed at load."""

from app.catalogue.loader import Catalogue, CatalogueError, load_catalogue

__all__ = ["Catalogue", "CatalogueError", "load_catalogue"]
