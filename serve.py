"""One command, one process: the Gradio chat at /, the REST API under /v1, MCP at /mcp.

    python serve.py --demo --offline            # the shapes demo model, no LLM: runs on any CPU
    python serve.py --model facebook/sam3 --llm-url http://127.0.0.1:8000/v1
    python serve.py --demo --offline --ray --replicas 2   # on Ray Serve: a local cluster, 2 segmenter replicas
"""

from segchat.faces.launch import main

if __name__ == "__main__":
    main()
