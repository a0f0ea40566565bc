# Optional managed Valkey (the Redis-compatible engine DigitalOcean offers in place of Redis).
# Without it, the releases configuration runs Redis in the cluster with the patron-data chart.
# patron uses it for rate limits, short-lived values and live events across replicas; losing
# its contents costs a few rate-limit counters and, at worst, a page reload.
resource "digitalocean_database_cluster" "redis" {
  count = var.managed_redis ? 1 : 0

  name                 = "${var.name}-valkey"
  engine               = "valkey"
  version              = var.redis_version
  size                 = var.redis_size
  region               = var.region
  node_count           = 1
  private_network_uuid = digitalocean_vpc.main.id
  eviction_policy      = "allkeys_lru"
  tags                 = local.tags

  maintenance_window {
    day  = var.maintenance_day == "any" ? "sunday" : var.maintenance_day
    hour = var.maintenance_start_time
  }
}

resource "digitalocean_database_firewall" "redis" {
  count = var.managed_redis ? 1 : 0

  cluster_id = digitalocean_database_cluster.redis[0].id

  rule {
    type  = "k8s"
    value = digitalocean_kubernetes_cluster.main.id
  }
}
