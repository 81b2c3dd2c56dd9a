"""Geography of 石嘴山市: district boundaries, coordinate checks and point-in-district lookup."""
