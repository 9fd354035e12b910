"""考核指标: indicators over a period, computed from the timeline (one fact row per event)."""
