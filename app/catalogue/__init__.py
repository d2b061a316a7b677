"""The exercise catalogue: a versioned data file, validated and indexed at load."""

from app.catalogue.loader import Catalogue, load_catalogue
from app.catalogue.translations import CatalogueError

__all__ = ["Catalogue", "CatalogueError", "load_catalogue"]
