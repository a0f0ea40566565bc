# The newest patch release of the chosen minor version. Going through the data source (rather
# than a fixed slug) keeps plans clean after DigitalOcean's auto-upgrade has moved the cluster
# to a newer patch; a new minor version is a deliberate change of kubernetes_version_prefix.
data "digitalocean_kubernetes_versions" "selected" {
  version_prefix = var.kubernetes_version_prefix
}

resource "digitalocean_kubernetes_cluster" "main" {
  name     = "${var.name}-k8s"
  region   = var.region
  version  = data.digitalocean_kubernetes_versions.selected.latest_version
  vpc_uuid = digitalocean_vpc.main.id
  tags     = local.tags

  # upgrades bring up new nodes before old ones are drained, so the PodDisruptionBudgets of
  # the chart can always be honoured
  surge_upgrade = true
  auto_upgrade  = var.kubernetes_auto_upgrade
  ha            = var.kubernetes_ha

  maintenance_policy {
    day        = var.maintenance_day
    start_time = var.maintenance_start_time
  }

  dynamic "control_plane_firewall" {
    for_each = length(var.control_plane_allowed_addresses) > 0 ? [1] : []
    content {
      enabled           = true
      allowed_addresses = var.control_plane_allowed_addresses
    }
  }

  node_pool {
    name       = "${var.name}-default"
    size       = var.node_size
    auto_scale = true
    min_nodes  = var.node_min_count
    max_nodes  = var.node_max_count
    tags       = local.tags
  }
}
