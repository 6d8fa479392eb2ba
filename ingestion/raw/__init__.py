"""Landing records in the warehouse's raw schemas: versioned, validated, quarantined."""
