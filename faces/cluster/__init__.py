"""`serve.py --ray`: the server as a Ray Serve application (an ingress, segmenter replicas routed by image)."""
