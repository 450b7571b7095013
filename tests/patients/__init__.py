"""Simulated patients who write like people (issue #18): goal-driven conversations checked against Open Dental."""
