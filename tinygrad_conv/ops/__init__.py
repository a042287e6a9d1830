"""One module per family of operations; each op is a Function with check, forward and backward."""
