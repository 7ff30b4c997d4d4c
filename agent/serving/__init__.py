"""What keeps the agent serving: the session store, video jobs, the work queue, request payloads and image URLs."""
