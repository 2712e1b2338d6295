"""Use cases: event handlers, delivery and reminder workers, commands and queries."""
