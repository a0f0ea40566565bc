locals {
  tags = distinct(concat(["patron", var.name], var.tags))

  # address of the load balancer in front of the ingress controller, when known
  load_balancer_ip = var.load_balancer_ip != "" ? var.load_balancer_ip : (
    var.load_balancer_name != "" ? data.digitalocean_loadbalancer.ingress[0].ip : ""
  )
}

# One private network for the cluster and the databases: the databases take connections only
# from the cluster (see the database firewalls), over private addresses.
resource "digitalocean_vpc" "main" {
  name        = "${var.name}-vpc"
  region      = var.region
  ip_range    = var.vpc_ip_range
  description = "patron: Kubernetes cluster and managed databases"
}

# Groups everything patron uses on the control panel and the invoice.
resource "digitalocean_project" "main" {
  name        = var.name
  description = "patron, the creator-membership platform"
  purpose     = "Web Application"
  environment = var.environment
  resources = concat(
    [
      digitalocean_kubernetes_cluster.main.urn,
      digitalocean_database_cluster.postgres.urn,
      digitalocean_spaces_bucket.media.urn,
    ],
    digitalocean_database_cluster.redis[*].urn,
  )
}
