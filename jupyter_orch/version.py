"""The package's version, in the bottom layer so that the API (health, the OpenAPI document) can
state it without importing the package root above everything."""

__version__ = "0.1.0"
