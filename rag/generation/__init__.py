"""Generation: the model interface, its backends, packaged weights and the prompt templates."""
