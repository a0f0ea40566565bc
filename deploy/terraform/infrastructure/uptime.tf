# An outside view: DigitalOcean probes the site's liveness endpoint from several regions and
# mails when it is down, slow, or its certificate is about to expire. /healthz checks only the
# process, so this alert means "people cannot reach patron", not "a dependency is degraded".
resource "digitalocean_uptime_check" "site" {
  name    = "${var.name}-healthz"
  target  = "https://${var.site_host}/healthz"
  type    = "https"
  regions = var.uptime_regions
  enabled = true
}

resource "digitalocean_uptime_alert" "down" {
  name     = "${var.name} is down"
  check_id = digitalocean_uptime_check.site.id
  type     = "down"
  period   = "2m"

  notifications {
    email = [var.alert_email]
  }
}

resource "digitalocean_uptime_alert" "slow" {
  name       = "${var.name} is slow"
  check_id   = digitalocean_uptime_check.site.id
  type       = "latency"
  threshold  = var.uptime_latency_ms
  comparison = "greater_than"
  period     = "5m"

  notifications {
    email = [var.alert_email]
  }
}

resource "digitalocean_uptime_alert" "certificate" {
  name       = "${var.name} certificate expires soon"
  check_id   = digitalocean_uptime_check.site.id
  type       = "ssl_expiry"
  threshold  = 14
  comparison = "less_than"
  period     = "1h"

  notifications {
    email = [var.alert_email]
  }
}
