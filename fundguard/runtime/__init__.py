"""The shared runtime: plumbing only (settings, server start, telemetry, database).

No domain code lives here; each service's business rules live in its own ``domain``.
"""
