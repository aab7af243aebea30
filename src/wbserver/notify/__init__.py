"""Delivering notifications: Slack (incoming webhooks, OAuth v2 connect) and queues."""
