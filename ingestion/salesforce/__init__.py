"""The Salesforce connector: REST query/queryAll into ``raw_salesforce``."""
