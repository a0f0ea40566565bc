# Read by ../releases through terraform_remote_state; secrets are marked sensitive so that
# they never appear in plan output or CI logs (they are still in the state: keep the state
# bucket private).

output "cluster_id" {
  description = "Id of the Kubernetes cluster (doctl kubernetes cluster kubeconfig save <id>)."
  value       = digitalocean_kubernetes_cluster.main.id
}

output "cluster_name" {
  description = "Name of the Kubernetes cluster."
  value       = digitalocean_kubernetes_cluster.main.name
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = digitalocean_kubernetes_cluster.main.endpoint
}

output "cluster_version" {
  description = "Kubernetes version slug the cluster was created with or last set to."
  value       = digitalocean_kubernetes_cluster.main.version
}

output "vpc_id" {
  description = "Id of the VPC of the cluster and the databases."
  value       = digitalocean_vpc.main.id
}

output "vpc_ip_range" {
  description = "Address range of the VPC: the databases' private addresses are in it (for NetworkPolicy egress rules)."
  value       = digitalocean_vpc.main.ip_range
}

output "database_host" {
  description = "Private host name of the PostgreSQL cluster (reachable from the Kubernetes cluster only)."
  value       = digitalocean_database_cluster.postgres.private_host
}

output "database_port" {
  description = "Port of the PostgreSQL cluster."
  value       = digitalocean_database_cluster.postgres.port
}

output "database_url" {
  description = "PATRON_DATABASE_URL: patron's user, directly to the primary over the private network, TLS required."
  value = format(
    "postgres://%s@%s:%d/%s?sslmode=require",
    join(":", [digitalocean_database_user.patron.name, urlencode(digitalocean_database_user.patron.password)]),
    digitalocean_database_cluster.postgres.private_host,
    digitalocean_database_cluster.postgres.port,
    digitalocean_database_db.patron.name,
  )
  sensitive = true
}

output "database_pool_url" {
  description = "The transaction-mode PgBouncer pool, same user and database; read the README before pointing patron at it."
  value       = digitalocean_database_connection_pool.patron.private_uri
  sensitive   = true
}

output "database_admin_uri" {
  description = "The cluster's administrator connection (doadmin), for maintenance from inside the cluster only."
  value       = digitalocean_database_cluster.postgres.private_uri
  sensitive   = true
}

output "redis_url" {
  description = "PATRON_CACHE_URL of the managed Valkey cluster (rediss://, TLS), or empty when managed_redis is off."
  value       = var.managed_redis ? digitalocean_database_cluster.redis[0].private_uri : ""
  sensitive   = true
}

output "managed_redis" {
  description = "Whether a managed Valkey cluster exists (then the patron-data chart is not needed)."
  value       = var.managed_redis
}

output "bucket_name" {
  description = "Name of the Spaces bucket."
  value       = digitalocean_spaces_bucket.media.name
}

output "bucket_region" {
  description = "Spaces region of the bucket."
  value       = digitalocean_spaces_bucket.media.region
}

output "bucket_endpoint" {
  description = "S3 endpoint of the bucket's region, with scheme."
  value       = "https://${digitalocean_spaces_bucket.media.endpoint}"
}

output "storage_url" {
  description = "PATRON_STORAGE_URL for the bucket (objects under the media/ prefix)."
  value       = "s3://${digitalocean_spaces_bucket.media.name}/patron?endpoint=https://${digitalocean_spaces_bucket.media.endpoint}&region=${digitalocean_spaces_bucket.media.region}"
}

output "s3_access_key_id" {
  description = "PATRON_S3_ACCESS_KEY_ID: patron's Spaces key, limited to its bucket."
  value       = digitalocean_spaces_key.patron.access_key
}

output "s3_secret_access_key" {
  description = "PATRON_S3_SECRET_ACCESS_KEY for that key."
  value       = digitalocean_spaces_key.patron.secret_key
  sensitive   = true
}

output "public_url" {
  description = "PATRON_PUBLIC_URL."
  value       = "https://${var.site_host}"
}

output "site_host" {
  description = "Host name of the site."
  value       = var.site_host
}

output "dns_record" {
  description = "The DNS record of the site, or a reminder when the load balancer's address is not known yet."
  value       = local.load_balancer_ip != "" ? "${var.site_host} A ${local.load_balancer_ip}" : "not created: set load_balancer_ip or load_balancer_name and apply again"
}

output "uptime_check_id" {
  description = "Id of the uptime check of https://<site_host>/healthz."
  value       = digitalocean_uptime_check.site.id
}
