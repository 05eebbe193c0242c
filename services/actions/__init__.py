"""The services app's write room: every write and business rule, one module per use case, keyword-only
functions taking ``as_of`` (never the clock). Other apps call this room ``<app>/services/``; in an app
named ``services`` that would read services.services, so it takes Zulip's name for it (docs/services.md)."""
