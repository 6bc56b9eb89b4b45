"""One module per agent: each reads the state, calls tools, returns a partial update."""
