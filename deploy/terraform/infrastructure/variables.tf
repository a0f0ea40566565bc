# ---------------------------------------------------------------------------------------------
# Naming and placement
# ---------------------------------------------------------------------------------------------

variable "name" {
  description = "Prefix of every resource name (cluster, databases, VPC, project)."
  type        = string
  default     = "patron"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}[a-z0-9]$", var.name))
    error_message = "name must be 3 to 26 characters of lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Environment of the DigitalOcean project the resources are grouped in."
  type        = string
  default     = "Production"

  validation {
    condition     = contains(["Development", "Staging", "Production"], var.environment)
    error_message = "environment must be Development, Staging or Production."
  }
}

variable "region" {
  description = "DigitalOcean region of the cluster, the databases and the VPC, e.g. fra1."
  type        = string
  default     = "fra1"

  validation {
    condition     = can(regex("^[a-z]{3}[0-9]$", var.region))
    error_message = "region must be a region slug such as fra1, ams3 or nyc3."
  }
}

variable "vpc_ip_range" {
  description = "Private address range of the VPC (RFC 1918, /16 to /24); must not overlap another VPC of the account."
  type        = string
  default     = "10.120.0.0/20"

  validation {
    condition     = can(cidrhost(var.vpc_ip_range, 0)) && tonumber(split("/", var.vpc_ip_range)[1]) >= 16 && tonumber(split("/", var.vpc_ip_range)[1]) <= 24
    error_message = "vpc_ip_range must be a CIDR block between /16 and /24, e.g. 10.120.0.0/20."
  }
}

# ---------------------------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------------------------

variable "kubernetes_version_prefix" {
  description = "Kubernetes minor version to run, as a prefix of DigitalOcean's version slugs, e.g. \"1.35.\"; the newest patch of it is used."
  type        = string
  default     = "1.35."

  validation {
    condition     = can(regex("^1\\.[0-9]+\\.$", var.kubernetes_version_prefix))
    error_message = "kubernetes_version_prefix must look like \"1.35.\" (major, minor and a trailing dot)."
  }
}

variable "kubernetes_auto_upgrade" {
  description = "Let DigitalOcean apply new patch releases of the minor version during the maintenance window."
  type        = bool
  default     = true
}

variable "kubernetes_ha" {
  description = "Highly available control plane (extra monthly cost; cannot be turned off once on)."
  type        = bool
  default     = false
}

variable "maintenance_day" {
  description = "Day of the weekly maintenance window (cluster upgrades), or \"any\"."
  type        = string
  default     = "sunday"

  validation {
    condition     = contains(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "any"], var.maintenance_day)
    error_message = "maintenance_day must be a lower-case English weekday or \"any\"."
  }
}

variable "maintenance_start_time" {
  description = "Start of the maintenance window, HH:MM in UTC."
  type        = string
  default     = "03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_start_time))
    error_message = "maintenance_start_time must be HH:MM in 24-hour UTC, e.g. 03:00."
  }
}

variable "node_size" {
  description = "Droplet size of the worker nodes, e.g. s-2vcpu-4gb."
  type        = string
  default     = "s-2vcpu-4gb"
}

variable "node_min_count" {
  description = "Fewest worker nodes the autoscaler keeps; two keep the app up while a node is replaced."
  type        = number
  default     = 2

  validation {
    condition     = var.node_min_count >= 1 && floor(var.node_min_count) == var.node_min_count
    error_message = "node_min_count must be a whole number of at least 1."
  }
}

variable "node_max_count" {
  description = "Most worker nodes the autoscaler may add."
  type        = number
  default     = 4

  validation {
    condition     = var.node_max_count >= var.node_min_count && var.node_max_count <= 50
    error_message = "node_max_count must be at least node_min_count and at most 50."
  }
}

variable "control_plane_allowed_addresses" {
  description = "CIDR blocks that may reach the Kubernetes API; empty leaves the API open to the internet (still authenticated)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.control_plane_allowed_addresses : can(cidrhost(cidr, 0))])
    error_message = "control_plane_allowed_addresses must be CIDR blocks, e.g. 203.0.113.7/32."
  }
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

variable "postgres_version" {
  description = "Major version of the managed PostgreSQL cluster; raising it runs DigitalOcean's in-place major upgrade."
  type        = string
  default     = "17"

  validation {
    condition     = can(regex("^[0-9]{2}$", var.postgres_version))
    error_message = "postgres_version must be a major version as text, e.g. \"17\"."
  }
}

variable "postgres_size" {
  description = "Size slug of the PostgreSQL nodes; it also fixes the connection limit (about 25 per GiB of memory)."
  type        = string
  default     = "db-s-1vcpu-2gb"

  validation {
    condition     = startswith(var.postgres_size, "db-")
    error_message = "postgres_size must be a database size slug such as db-s-1vcpu-2gb."
  }
}

variable "postgres_node_count" {
  description = "PostgreSQL nodes: 1 is a primary alone, 2 or 3 add standbys that take over on failure."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 2, 3], var.postgres_node_count)
    error_message = "postgres_node_count must be 1, 2 or 3."
  }
}

variable "postgres_slow_query_ms" {
  description = "Statements slower than this many milliseconds are written to the database log (-1 turns it off)."
  type        = number
  default     = 500

  validation {
    condition     = var.postgres_slow_query_ms == -1 || (var.postgres_slow_query_ms >= 50 && var.postgres_slow_query_ms <= 60000)
    error_message = "postgres_slow_query_ms must be -1 or between 50 and 60000."
  }
}

variable "database_name" {
  description = "Name of patron's database in the cluster."
  type        = string
  default     = "patron"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lower-case PostgreSQL identifier."
  }
}

variable "database_user" {
  description = "Name of the database user patron connects as (owner of nothing else)."
  type        = string
  default     = "patron"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_user))
    error_message = "database_user must be a lower-case PostgreSQL identifier."
  }
}

variable "connection_pool_size" {
  description = "Server connections of the transaction-mode PgBouncer pool (for clients that can use one; see README)."
  type        = number
  default     = 10

  validation {
    condition     = var.connection_pool_size >= 1 && var.connection_pool_size <= 100
    error_message = "connection_pool_size must be between 1 and 100."
  }
}

# ---------------------------------------------------------------------------------------------
# Managed Redis (Valkey), optional
# ---------------------------------------------------------------------------------------------

variable "managed_redis" {
  description = "Create a managed Valkey (Redis-compatible) cluster instead of running Redis in the cluster with the patron-data chart."
  type        = bool
  default     = false
}

variable "redis_version" {
  description = "Major version of the managed Valkey cluster."
  type        = string
  default     = "8"

  validation {
    condition     = can(regex("^[0-9]+$", var.redis_version))
    error_message = "redis_version must be a major version as text, e.g. \"8\"."
  }
}

variable "redis_size" {
  description = "Size slug of the managed Valkey node."
  type        = string
  default     = "db-s-1vcpu-1gb"

  validation {
    condition     = startswith(var.redis_size, "db-")
    error_message = "redis_size must be a database size slug such as db-s-1vcpu-1gb."
  }
}

# ---------------------------------------------------------------------------------------------
# Object storage (Spaces)
# ---------------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the Spaces bucket for uploads and media; globally unique within the Spaces region."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3 to 63 characters of lower-case letters, digits and dashes."
  }
}

variable "spaces_region" {
  description = "Spaces region of the bucket (not every region has Spaces), e.g. fra1."
  type        = string
  default     = "fra1"

  validation {
    condition     = can(regex("^[a-z]{3}[0-9]$", var.spaces_region))
    error_message = "spaces_region must be a region slug such as fra1, ams3 or nyc3."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object's old version is kept (versioning). Keep it short: patron deletes originals to drop their metadata (GPS)."
  type        = number
  default     = 7

  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 90
    error_message = "noncurrent_version_days must be between 1 and 90."
  }
}

# ---------------------------------------------------------------------------------------------
# Site address, DNS and uptime
# ---------------------------------------------------------------------------------------------

variable "site_host" {
  description = "Host name people reach patron at (PATRON_PUBLIC_URL is https://<site_host>), e.g. members.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.site_host))
    error_message = "site_host must be a lower-case host name such as members.example.com (no scheme, no path)."
  }
}

variable "cloudflare_zone_id" {
  description = "Cloudflare zone id of the domain site_host belongs to (the zone's Overview page shows it)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.cloudflare_zone_id))
    error_message = "cloudflare_zone_id must be 32 hexadecimal characters."
  }
}

variable "cloudflare_proxied" {
  description = "Send the site's traffic through Cloudflare's proxy (orange cloud) instead of straight to the load balancer."
  type        = bool
  default     = true
}

variable "load_balancer_ip" {
  description = "Public IPv4 address of the load balancer the ingress controller created; empty until it exists (no DNS record is made then)."
  type        = string
  default     = ""

  validation {
    condition     = var.load_balancer_ip == "" || can(regex("^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$", var.load_balancer_ip))
    error_message = "load_balancer_ip must be an IPv4 address or empty."
  }
}

variable "load_balancer_name" {
  description = "Name of that load balancer in DigitalOcean, to look its address up instead of giving load_balancer_ip; empty to not look."
  type        = string
  default     = ""
}

variable "alert_email" {
  description = "Address the uptime alerts (site down, slow) are mailed to."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an e-mail address."
  }
}

variable "uptime_regions" {
  description = "Regions the uptime check probes from."
  type        = list(string)
  default     = ["eu_west", "us_east"]

  validation {
    condition     = length(var.uptime_regions) > 0 && alltrue([for region in var.uptime_regions : contains(["us_east", "us_west", "eu_west", "se_asia"], region)])
    error_message = "uptime_regions must name one or more of us_east, us_west, eu_west and se_asia."
  }
}

variable "uptime_latency_ms" {
  description = "Alert when /healthz answers slower than this many milliseconds for the alert period."
  type        = number
  default     = 1000

  validation {
    condition     = var.uptime_latency_ms >= 100
    error_message = "uptime_latency_ms must be at least 100."
  }
}

variable "tags" {
  description = "Extra tags for the cluster, the node pool and the databases."
  type        = list(string)
  default     = []
}
