"""The flow language's values: conditions, durations, `{{ }}` references, contacts, zones."""
