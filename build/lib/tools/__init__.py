"""Capabilities with no knowledge of the graph: media, text analysis, storage, providers."""
