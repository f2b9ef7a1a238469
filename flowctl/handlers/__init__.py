"""Effect handlers: the only code that performs effects (outbox file, SMTP, HTTP), one per
channel, chosen in the configuration and registered under the `flowctl.handlers` entry points."""
