"""hipflex: a small, fast, trustworthy HTTP service for hip-flexor training."""

__version__ = "0.1.0"
