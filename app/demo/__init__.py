"""Demo and synthetic data sets of stuck housing projects (pure data: no Flask, no database)."""
