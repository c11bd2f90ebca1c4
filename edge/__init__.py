"""The service: app factory, API, relying-party profiles, sessions, face matching, audit log,
CLI."""
