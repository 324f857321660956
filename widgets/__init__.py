"""Storefront widgets: the embeddable loader, the rewards panel and their JSON API.

Depends on the core (``loyalty_plugin``) only; the app factory mounts it.
"""
