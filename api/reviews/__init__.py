"""工作复盘: after-action reviews of an event, an emergency period and a month."""
