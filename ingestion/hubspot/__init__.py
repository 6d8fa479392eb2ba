"""HubSpot: the objects Funnelhouse lands in raw_hubspot, and how each is validated."""
