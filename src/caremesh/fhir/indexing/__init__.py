"""Search-index extraction: the spec's FHIRPath expressions turned into rows of typed index entries."""
