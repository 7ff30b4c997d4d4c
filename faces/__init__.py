"""The faces: the CLI, REST, MCP and the server that wires them (thin adapters over the agent)."""
