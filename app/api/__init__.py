"""HTTP routes: one module per resource, each thin."""
