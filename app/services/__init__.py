"""Use cases: load rows, call `cases`/`gis`, write the audit, commit. Views call one of these."""
