"""Helpers every layer uses and no user needs: atomic writes of the files users own, the
one compression table, and the checks of public parameters (one error, one message format)."""
