output "namespace" {
  description = "Namespace of the releases."
  value       = var.namespace
}

output "patron_release" {
  description = "Name, revision and status of the patron release."
  value = {
    name     = helm_release.patron.name
    revision = helm_release.patron.metadata.revision
    status   = helm_release.patron.status
  }
}

output "image" {
  description = "The image the pods run, by digest."
  value       = "${var.image_registry}/${var.image_repository}:${var.image_tag}@${var.image_digest}"
}

output "cache" {
  description = "Where patron's cache and live events go."
  value       = local.managed_redis ? "managed Valkey (infrastructure output redis_url)" : local.in_cluster_cache_url
}

output "public_url" {
  description = "Address of the site."
  value       = local.infra.public_url
}
