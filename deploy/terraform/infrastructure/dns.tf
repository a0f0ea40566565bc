# The ingress controller (installed into the cluster, not by this configuration) creates the
# load balancer, so its address is known only after the first deploy: give it as
# load_balancer_ip, or its name as load_balancer_name, and apply again.
data "digitalocean_loadbalancer" "ingress" {
  count = var.load_balancer_ip == "" && var.load_balancer_name != "" ? 1 : 0

  name = var.load_balancer_name
}

resource "cloudflare_dns_record" "site" {
  count = local.load_balancer_ip != "" ? 1 : 0

  zone_id = var.cloudflare_zone_id
  name    = var.site_host
  type    = "A"
  content = local.load_balancer_ip
  proxied = var.cloudflare_proxied
  # 1 is "automatic", the only TTL a proxied record has
  ttl     = var.cloudflare_proxied ? 1 : 300
  comment = "patron (managed by Terraform)"
}
