"""Cash at the post office (`vnpost` entry point): client, mapping, simulator and
the simulator's wire format (simwire)."""
