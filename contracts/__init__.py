"""Contracts shared by every layer: errors, the result and plan types, the tool definition, settings."""
