"""The bottom layer: the shared nouns, errors, settings and text helpers every stage uses."""
