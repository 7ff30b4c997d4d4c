"""One command, one process: the Gradio chat at /, the REST API under /v1, MCP at /mcp.

    python serve.py --demo --offline            # the shapes demo model, no LLM: runs on any CPU
    python serve.py --model facebook/sam3 --llm-url http://127.0.0.1:8000/v1
"""

from segchat.faces.server import main

if __name__ == "__main__":
    main()
