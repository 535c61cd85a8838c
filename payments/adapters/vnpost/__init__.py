"""Cash at the post office (`vnpost` entry point): client, mapping, simulator."""
