"""The 附件3 domain: taxonomy as data, facts, classification rules, reconciliation, progress."""
