# Managed PostgreSQL: patron's system of record (cloud mode). Daily backups with point-in-time
# recovery come with the service; patron's own logical backups are separate.
resource "digitalocean_database_cluster" "postgres" {
  name                 = "${var.name}-pg"
  engine               = "pg"
  version              = var.postgres_version
  size                 = var.postgres_size
  region               = var.region
  node_count           = var.postgres_node_count
  private_network_uuid = digitalocean_vpc.main.id
  tags                 = local.tags

  maintenance_window {
    day  = var.maintenance_day == "any" ? "sunday" : var.maintenance_day
    hour = var.maintenance_start_time
  }

  lifecycle {
    # losing this resource loses every membership and payment
    prevent_destroy = true
  }
}

# Only the Kubernetes cluster may connect (no public access, not even from the operator's
# machine; use `kubectl run` with psql inside the cluster for a console).
resource "digitalocean_database_firewall" "postgres" {
  cluster_id = digitalocean_database_cluster.postgres.id

  rule {
    type  = "k8s"
    value = digitalocean_kubernetes_cluster.main.id
  }
}

resource "digitalocean_database_db" "patron" {
  cluster_id = digitalocean_database_cluster.postgres.id
  name       = var.database_name
}

resource "digitalocean_database_user" "patron" {
  cluster_id = digitalocean_database_cluster.postgres.id
  name       = var.database_user
}

# A PgBouncer pool in transaction mode. patron itself connects directly (see README: its
# migration lock, prepared statements and LISTEN/NOTIFY need a session of their own); the pool
# is there for short-lived clients such as reporting tools, and for patron only with care.
resource "digitalocean_database_connection_pool" "patron" {
  cluster_id = digitalocean_database_cluster.postgres.id
  name       = "${var.database_name}-pool"
  mode       = "transaction"
  size       = var.connection_pool_size
  db_name    = digitalocean_database_db.patron.name
  user       = digitalocean_database_user.patron.name
}

# Slow statements go to the database log, so a missing index shows up as log lines with the
# query instead of as an outage (the sequential scan that took the site down in the talk).
resource "digitalocean_database_postgresql_config" "postgres" {
  cluster_id                 = digitalocean_database_cluster.postgres.id
  log_min_duration_statement = var.postgres_slow_query_ms
  # a transaction left open by a crashed client must not hold locks for ever
  idle_in_transaction_session_timeout = 600000
}
