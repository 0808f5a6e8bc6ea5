"""Generator backends: each turns a Prompt into streamed text, nothing more.

The pipeline around them retrieves, verifies and cites the same way whichever one answers.
"""
