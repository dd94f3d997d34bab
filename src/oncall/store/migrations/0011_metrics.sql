-- Metrics (`store/metrics.py`): close overrides are counted from the timeline without reading
-- every event; the partial index holds only the (few) override events.
CREATE INDEX timeline_close_override ON timeline (incident_id) WHERE kind = 'close_override';
