"""Fixture companies for the blind question sets: each writes contract-shaped files that `finops ingest` loads."""
