"""Early warning (预警分析): the rules that turn event data into warnings, and the duplicate
check at intake. Pure computation over numpy arrays and dataclasses: the application feeds
the events (from PostGIS) and stores the warnings, once per `EarlyWarning.key`.

- `rules`: surge (异常聚集/激增), hotspot (热点), repeat (重复投诉);
- `keywords`: words that must reach the commander at once (敏感词);
- `duplicates`: possible duplicates of a new report among recent events (重复上报);
- `common`: the warning, the event columns, the local metric projection, DBSCAN in metres;
- `text`: the normalisation of Chinese text both keyword and duplicate checks use.
"""
