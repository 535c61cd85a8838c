"""The in-process sandbox adapter (`sandbox` entry point): deterministic, scriptable outcomes."""
