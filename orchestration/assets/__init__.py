"""Asset definitions: ingestion into raw schemas, then the dbt project."""
