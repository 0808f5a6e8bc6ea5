"""The faces: the command line, the OpenAI-compatible server and batch answering."""
