"""Outbound adapters to the shop platforms: one interface, one module per platform."""
