"""Self-hosted loyalty program for online shops.

The core package: app factory, configuration, database, models, pure rules,
services, admin API and the ``loyalty`` command.
"""

__version__ = "0.1.0"
