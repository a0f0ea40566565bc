//! The run's summary sent by e-mail and to Slack webhooks.
