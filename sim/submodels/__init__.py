"""One module per submodel (docs/ODD.md, "Submodels"); rules are small pure functions."""
