"""Infrastructure: SQL repositories, template seeding, provider adapters, settings."""
