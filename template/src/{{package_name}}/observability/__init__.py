"""What the service tells about itself: request ids, metrics, JSON logs (and their shipping)."""
