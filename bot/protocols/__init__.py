"""The protocol engine: declarative protocols (YAML), their schema, and answer rules."""
