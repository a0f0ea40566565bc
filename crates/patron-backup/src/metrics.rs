//! The run's Prometheus metrics: a textfile for node-exporter, a Pushgateway, or both.
