"""Risk flags, alerts, deadlines and escalation, e-mail notification."""
