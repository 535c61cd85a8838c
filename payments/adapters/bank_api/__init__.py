"""NAPAS-style bank API adapter (`bank_api` entry point): client, mapping, signing, simulator."""
