"""The OpenAPI examples of the API document, one module per resource (valid answers, checked by tests)."""
