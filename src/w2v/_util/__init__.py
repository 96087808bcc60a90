"""Helpers every layer uses and no user needs: atomic writes of the files users own."""
