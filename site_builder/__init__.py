"""site_builder: a static site generator for a union local's news, events and closures."""

__version__ = "0.1.0"
