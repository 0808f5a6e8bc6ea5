"""Answering: evidence, the gate, premise and conflict checks, verification, rewriting, the pipeline."""
